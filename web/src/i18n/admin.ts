/**
 * The messages of the back-office pages (administration, the supervisor's dashboard and "needs rebooking" list, staff
 * account activation, the citizen's one-tap links, the waitlist and its offers) in their own catalogues, same rules as
 * the main ones (`admin/<code>.json` for every language, found by file name; same keys and placeholders). Only those lazy pages
 * import this module, so their texts travel in their chunks rather than in the first-load bundle every citizen
 * downloads. The pages' titles (used by the navigation) stay in the main catalogues.
 */
import { byLanguage, isMessageKey, translate, type Language, type MessageKey, type Params } from '.'
import { useI18n } from './context'
import ca from './admin/ca.json'

export type AdminKey = keyof typeof ca
export type AdminMessages = Record<AdminKey, string>
export const ADMIN_CATALOGUES: Partial<Record<Language, AdminMessages>> & { ca: AdminMessages } = {
  ...byLanguage(import.meta.glob<AdminMessages>('./admin/*.json', { eager: true, import: 'default' })),
  ca,
}

/** A translation function that knows both the main and the back-office catalogues (so it also serves as a `Translate`). */
export type AdminTranslate = (key: MessageKey | AdminKey, params?: Params) => string

export function isAdminKey(key: string): key is AdminKey {
  return Object.prototype.hasOwnProperty.call(ADMIN_CATALOGUES.ca, key)
}

export function translateAdmin(language: Language, key: MessageKey | AdminKey, params?: Params): string {
  if (!isAdminKey(key)) return translate(language, key, params)
  const template = ADMIN_CATALOGUES[language]?.[key] ?? ADMIN_CATALOGUES.ca[key] ?? key
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in params ? String(params[name]) : placeholder,
  )
}

/** `useI18n()` with a `t` that knows the back-office messages too. */
export function useAdminI18n(): { language: Language; t: AdminTranslate } {
  const { language } = useI18n()
  return { language, t: (key, params) => translateAdmin(language, key, params) }
}

/** The translation of an API code in either catalogue (`admin.action.reassigned`, `role.admin`), else the code. */
export function adminLabel(t: AdminTranslate, key: string, fallback: string): string {
  if (isAdminKey(key)) return t(key)
  return isMessageKey(key) ? t(key) : fallback
}
