/**
 * Every catalogue at hand, for tests: the app fetches every language but Catalan on demand (chunks), while tests check
 * all of them for completeness and render pages in any language without waiting for a fetch. They are found the way
 * the app finds them, by file name, in the three folders: the main catalogues, the records pages' and the legal pages'.
 */
import { byLanguage, catalogueCode, registerCatalogue, type Language, type Messages } from '../i18n'
import type legalCa from '../i18n/legal/ca.json'
import type { AdminMessages } from '../i18n/admin'
import type { RecordsMessages } from '../i18n/records'
import type { QueueMessages } from '../queue'

export type LegalMessages = Record<keyof typeof legalCa, string>

const FILES = {
  main: import.meta.glob<Messages>('../i18n/*.json', { eager: true, import: 'default' }),
  records: import.meta.glob<RecordsMessages>('../i18n/records/*.json', { eager: true, import: 'default' }),
  legal: import.meta.glob<LegalMessages>('../i18n/legal/*.json', { eager: true, import: 'default' }),
  admin: import.meta.glob<AdminMessages>('../i18n/admin/*.json', { eager: true, import: 'default' }),
  queue: import.meta.glob<QueueMessages>('../i18n/queue/*.json', { eager: true, import: 'default' }),
}

/** The languages each folder has a catalogue for (declared or not), by file name, sorted. */
export const CATALOGUE_CODES: Record<keyof typeof FILES, string[]> = {
  main: Object.keys(FILES.main).map(catalogueCode).sort(),
  records: Object.keys(FILES.records).map(catalogueCode).sort(),
  legal: Object.keys(FILES.legal).map(catalogueCode).sort(),
  admin: Object.keys(FILES.admin).map(catalogueCode).sort(),
  queue: Object.keys(FILES.queue).map(catalogueCode).sort(),
}

// Typed as complete: a declared language without its file fails the catalogues' test that compares CATALOGUE_CODES
// with LANGUAGES.
export const CATALOGUES = byLanguage(FILES.main) as Record<Language, Messages>
export const RECORDS_CATALOGUES = byLanguage(FILES.records) as Record<Language, RecordsMessages>
export const LEGAL_CATALOGUES = byLanguage(FILES.legal) as Record<Language, LegalMessages>
export const ADMIN_CATALOGUES = byLanguage(FILES.admin) as Record<Language, AdminMessages>
export const QUEUE_CATALOGUES = byLanguage(FILES.queue) as Record<Language, QueueMessages>

/** Makes every catalogue available to `translate` at once (the tests' setup file calls it). */
export function registerAllCatalogues(): void {
  for (const [language, messages] of Object.entries(CATALOGUES)) registerCatalogue(language as Language, messages)
}
