import { describe, expect, it } from 'vitest'
import { LANGUAGES, translate } from '.'
import { CATALOGUES } from '../test/catalogues'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

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

  it('name the catalogue page and the offices as the council does', () => {
    expect(LANGUAGES.map((l) => translate(l, 'catalogue.title'))).toEqual([
      'Catàleg de tràmits',
      'Catálogo de trámites',
      'Service catalogue',
    ])
    expect(LANGUAGES.map((l) => translate(l, 'office.OMAC'))).toEqual([
      "Oficina Municipal d'Atenció Ciutadana",
      'Oficina Municipal de Atención Ciudadana',
      'Citizen Service Office',
    ])
    expect(LANGUAGES.map((l) => translate(l, 'office.OGAT'))).toEqual([
      'Oficina de Gestió i Atenció Tributària',
      'Oficina de Gestión y Atención Tributaria',
      'Tax Office',
    ])
  })

  it('fill placeholders', () => {
    expect(translate('en', 'service.duration', { minutes: 30 })).toBe('30 min')
  })
})
