import { describe, expect, it, vi } from 'vitest'
import { LANGUAGE_NAMES, LANGUAGES, translate } from '.'
import { ADMIN_CATALOGUES, CATALOGUE_CODES, CATALOGUES, LEGAL_CATALOGUES, QUEUE_CATALOGUES } from '../test/catalogues'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('the languages', () => {
  // The app finds catalogues by file name: a declared language without one would show Catalan (or, on the legal
  // pages, nothing), and a file for an undeclared language (a typo in its name, a forgotten line) would never load.
  it('have a catalogue each in every folder (main, records, legal), and no folder has one for another language', () => {
    const declared = [...LANGUAGES].sort()
    expect(CATALOGUE_CODES).toEqual({ main: declared, records: declared, legal: declared, admin: declared, queue: declared })
  })

  it('load each from its own chunk', async () => {
    vi.resetModules()
    const fresh = await import('.') // as on arrival: Catalan only
    for (const language of LANGUAGES) {
      await fresh.loadCatalogue(language)
      expect(fresh.catalogueLoaded(language), language).toBe(true)
      expect(fresh.translate(language, 'catalogue.title')).toBe(CATALOGUES[language]['catalogue.title'])
    }
  })

  it('are named each in itself, Catalan (the default) first', () => {
    expect(LANGUAGES[0]).toBe('ca')
    expect(LANGUAGE_NAMES).toMatchObject({ ca: 'Català', es: 'Español', en: 'English' })
    for (const language of LANGUAGES) expect(LANGUAGE_NAMES[language].trim(), language).not.toBe('')
  })
})

describe('message catalogues', () => {
  it('have the same keys in every language', () => {
    const keys = Object.keys(CATALOGUES.ca).sort()
    for (const language of LANGUAGES) expect(Object.keys(CATALOGUES[language]).sort()).toEqual(keys)
  })

  it('have no empty message', () => {
    for (const language of LANGUAGES) {
      for (const [key, text] of Object.entries(CATALOGUES[language])) {
        expect(text.trim(), `${language} ${key}`).not.toBe('')
      }
    }
  })

  it('use the same placeholders in every language', () => {
    for (const [key, text] of Object.entries(CATALOGUES.ca)) {
      for (const language of LANGUAGES) {
        const other = CATALOGUES[language][key as keyof typeof CATALOGUES.ca]
        expect(placeholders(other), `${language} ${key}`).toEqual(placeholders(text))
      }
    }
  })

  it('name the catalogue page as the council does (the offices are data: GET /offices)', () => {
    const LANGUAGES = ['ca', 'es', 'en'] as const // the ones the council wrote these in
    expect(LANGUAGES.map((l) => translate(l, 'catalogue.title'))).toEqual([
      'Catàleg de tràmits',
      'Catálogo de trámites',
      'Service catalogue',
    ])
  })

  it('fill placeholders', () => {
    expect(translate('en', 'service.duration', { minutes: 30 })).toBe('30 min')
  })
})

describe('the legal pages’ catalogues', () => {
  const legalCa = LEGAL_CATALOGUES.ca
  it('have the same keys and placeholders in every language, none empty', () => {
    for (const language of LANGUAGES) {
      expect(Object.keys(LEGAL_CATALOGUES[language]).sort()).toEqual(Object.keys(legalCa).sort())
      for (const [key, text] of Object.entries(LEGAL_CATALOGUES[language])) {
        expect(text.trim(), `${language} ${key}`).not.toBe('')
        expect(placeholders(text), `${language} ${key}`).toEqual(placeholders(legalCa[key as keyof typeof legalCa]))
      }
    }
  })

  it('address the reader formally: vós in Catalan, usted in Spanish', () => {
    const informalCa = /\b(pots|tens|teus|teves|el teu|la teva|t'enviem|et )\b/i
    const informalEs = /\b(puedes|tienes|tus|tu |te enviamos)\b/i
    for (const text of Object.values(legalCa)) expect(text).not.toMatch(informalCa)
    for (const text of Object.values(LEGAL_CATALOGUES.es)) expect(text).not.toMatch(informalEs)
  })
})

describe('the back office’s catalogues', () => {
  const adminCa = ADMIN_CATALOGUES.ca
  it('have the same keys and placeholders in every language, none empty, none shadowing a main key', () => {
    for (const language of LANGUAGES) {
      expect(Object.keys(ADMIN_CATALOGUES[language]).sort()).toEqual(Object.keys(adminCa).sort())
      for (const [key, text] of Object.entries(ADMIN_CATALOGUES[language])) {
        expect(text.trim(), `${language} ${key}`).not.toBe('')
        expect(placeholders(text), `${language} ${key}`).toEqual(placeholders(adminCa[key as keyof typeof adminCa]))
        expect(key in CATALOGUES.ca, `${key} is in the main catalogue too`).toBe(false)
      }
    }
  })
})

describe('the waiting room’s catalogues', () => {
  const queueCa = QUEUE_CATALOGUES.ca
  it('have the same keys and placeholders in every language, none empty, none shadowing a main key', () => {
    for (const language of LANGUAGES) {
      expect(Object.keys(QUEUE_CATALOGUES[language]).sort()).toEqual(Object.keys(queueCa).sort())
      for (const [key, text] of Object.entries(QUEUE_CATALOGUES[language])) {
        expect(text.trim(), `${language} ${key}`).not.toBe('')
        expect(placeholders(text), `${language} ${key}`).toEqual(placeholders(queueCa[key as keyof typeof queueCa]))
        expect(key in CATALOGUES.ca, `${key} is in the main catalogue too`).toBe(false)
      }
    }
  })
})
