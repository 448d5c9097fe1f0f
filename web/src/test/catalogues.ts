/**
 * Every message catalogue at hand, for tests: the app fetches Spanish and English on demand (chunks), while tests
 * check all three for completeness and render pages in any language without waiting for a fetch.
 */
import ca from '../i18n/ca.json'
import en from '../i18n/en.json'
import es from '../i18n/es.json'
import { registerCatalogue, type Language, type Messages } from '../i18n'

export const CATALOGUES: Record<Language, Messages> = { ca, es, en }

/** Makes every catalogue available to `translate` at once (the tests' setup file calls it). */
export function registerAllCatalogues(): void {
  for (const [language, messages] of Object.entries(CATALOGUES)) registerCatalogue(language as Language, messages)
}
