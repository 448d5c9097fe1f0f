/**
 * The messages of the records pages (audit trail, who accessed my data, recordings) in their own catalogues, same rules
 * as the main ones (`records/<code>.json` for every language, found by file name; same keys and placeholders). Only
 * those lazy pages import this module, so their text travels in their chunk rather than in the main bundle every
 * citizen downloads. The pages' titles (used by the navigation) stay in the main catalogues.
 */
import { byLanguage, isMessageKey, translate, type Language, type MessageKey, type Params } from '.'
import { useI18n } from './context'
import ca from './records/ca.json'

export type RecordsKey = keyof typeof ca
export type RecordsMessages = Record<RecordsKey, string>
/** Every language's records texts, all in this chunk (they are small next to the pages' code). */
export const RECORDS_CATALOGUES: Partial<Record<Language, RecordsMessages>> & { ca: RecordsMessages } = {
  ...byLanguage(import.meta.glob<RecordsMessages>('./records/*.json', { eager: true, import: 'default' })),
  ca,
}

/** A translation function that knows both the main and the records catalogues (so it also serves as a `Translate`). */
export type RecordsTranslate = (key: MessageKey | RecordsKey, params?: Params) => string

export function isRecordsKey(key: string): key is RecordsKey {
  return Object.prototype.hasOwnProperty.call(RECORDS_CATALOGUES.ca, key)
}

export function translateRecords(language: Language, key: MessageKey | RecordsKey, params?: Params): string {
  if (!isRecordsKey(key)) return translate(language, key, params)
  const template = RECORDS_CATALOGUES[language]?.[key] ?? RECORDS_CATALOGUES.ca[key] ?? key
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in params ? String(params[name]) : placeholder,
  )
}

/** `useI18n()` with a `t` that knows the records messages too. */
export function useRecordsI18n(): { language: Language; t: RecordsTranslate } {
  const { language } = useI18n()
  return { language, t: (key, params) => translateRecords(language, key, params) }
}

/** The translation of an API code in either catalogue (`access.role.agent`, `role.admin`), else the code itself. */
export function recordsLabel(t: RecordsTranslate, key: string, fallback: string): string {
  if (isRecordsKey(key)) return t(key)
  return isMessageKey(key) ? t(key) : fallback
}
