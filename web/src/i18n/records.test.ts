import { describe, expect, it } from 'vitest'
import { LANGUAGES } from '.'
import { CATALOGUES, RECORDS_CATALOGUES } from '../test/catalogues'
import { VERIFY_CATEGORIES } from '../records'
import { RECORDS_CATALOGUES as APP_RECORDS_CATALOGUES, translateRecords } from './records'

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

describe('the records pages’ message catalogues', () => {
  it('have the same keys in every language, none empty, none also in the main catalogues', () => {
    const keys = Object.keys(RECORDS_CATALOGUES.ca).sort()
    for (const language of LANGUAGES) {
      expect(Object.keys(RECORDS_CATALOGUES[language]).sort()).toEqual(keys)
      for (const [key, text] of Object.entries(RECORDS_CATALOGUES[language])) {
        expect(text.trim(), `${language} ${key}`).not.toBe('')
      }
    }
    expect(keys.filter((key) => key in CATALOGUES.ca)).toEqual([])
  })

  it('use the same placeholders in every language', () => {
    for (const [key, text] of Object.entries(RECORDS_CATALOGUES.ca)) {
      for (const language of LANGUAGES) {
        const other = RECORDS_CATALOGUES[language][key as keyof typeof RECORDS_CATALOGUES.ca]
        expect(placeholders(other), `${language} ${key}`).toEqual(placeholders(text))
      }
    }
  })

  it('name every problem category of the trail verification', () => {
    for (const category of VERIFY_CATEGORIES) {
      expect(`verifyProblem.${category}` in RECORDS_CATALOGUES.ca, category).toBe(true)
    }
  })

  it('are all in the records chunk, found by file name', () => {
    expect(APP_RECORDS_CATALOGUES).toEqual(RECORDS_CATALOGUES)
  })

  it('fill placeholders, and fall back to the main catalogues', () => {
    expect(translateRecords('en', 'recs.reasonCount', { count: 3, max: 500 })).toBe('3 of 500 characters')
    expect(translateRecords('es', 'audit.title')).toBe('Registro de auditoría')
  })
})
