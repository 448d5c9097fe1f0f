/**
 * Languages, message catalogues and the rules for choosing the citizen's language.
 *
 * Every user-visible string lives in the three catalogues (ca.json, es.json, en.json, same keys). Service names and
 * descriptions come from the API already in the three languages, as `LocalizedText`.
 *
 * Only Catalan (the default, and the fallback for a missing text) travels in the first-load bundle: Spanish and
 * English are chunks of their own, fetched when the page starts in that language or someone switches to it
 * (`loadCatalogue`), so nobody downloads the texts of two languages they do not read.
 */
import ca from './ca.json'

export const LANGUAGES = ['ca', 'es', 'en'] as const
export type Language = (typeof LANGUAGES)[number]
export const DEFAULT_LANGUAGE: Language = 'ca'
export const STORAGE_KEY = 'va.lang'

export type MessageKey = keyof typeof ca
export type Messages = Record<MessageKey, string>

const loaded: Partial<Record<Language, Messages>> = { ca }
const LOADERS: Record<Language, () => Promise<Messages>> = {
  ca: () => Promise.resolve(ca),
  es: () => import('./es.json').then((m) => m.default),
  en: () => import('./en.json').then((m) => m.default),
}

/** Whether `language`'s texts are here (Catalan always is). */
export function catalogueLoaded(language: Language): boolean {
  return loaded[language] !== undefined
}

/** Fetches `language`'s texts once; until they come (or if they never do) `translate` falls back to Catalan. */
export async function loadCatalogue(language: Language): Promise<void> {
  if (loaded[language]) return
  loaded[language] = await LOADERS[language]()
}

/** Makes texts available without fetching them: for tests, which have every catalogue at hand. */
export function registerCatalogue(language: Language, messages: Messages): void {
  loaded[language] = messages
}

/** Whether `key` is a message of the catalogues (an API code may have no translation). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(ca, key)
}

/** Text the API gives in several languages, e.g. a service's name. */
export type LocalizedText = Partial<Record<Language, string>>

export type Params = Record<string, string | number>
export type Translate = (key: MessageKey, params?: Params) => string

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

export function translate(language: Language, key: MessageKey, params?: Params): string {
  const template = loaded[language]?.[key] ?? ca[key] ?? key
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in params ? String(params[name]) : placeholder,
  )
}

/**
 * The text in `language`, or else in the first language that has it. `language` tells which one was used, so the
 * element showing it can carry the right `lang` attribute for screen readers.
 */
export function localize(text: LocalizedText, language: Language): { text: string; language: Language } {
  for (const candidate of [language, ...LANGUAGES]) {
    const value = text[candidate]
    if (value) return { text: value, language: candidate }
  }
  return { text: '', language }
}

/** The remembered choice, else the first supported language the browser asks for ("es-ES" → es), else Catalan. */
export function detectLanguage(
  storage: Pick<Storage, 'getItem'> | null,
  preferred: readonly string[],
): Language {
  const stored = readStored(storage)
  if (stored) return stored
  for (const tag of preferred) {
    const primary = tag.split('-')[0]?.toLowerCase()
    if (isLanguage(primary)) return primary
  }
  return DEFAULT_LANGUAGE
}

export function rememberLanguage(storage: Pick<Storage, 'setItem'> | null, language: Language): void {
  try {
    storage?.setItem(STORAGE_KEY, language)
  } catch {
    // Storage can be full or disabled (private browsing on old Safari): the choice then lasts for this visit only.
  }
}

function readStored(storage: Pick<Storage, 'getItem'> | null): Language | null {
  try {
    const value = storage?.getItem(STORAGE_KEY)
    return isLanguage(value) ? value : null
  } catch {
    return null
  }
}

/** `window.localStorage`, or null where merely touching it throws (some browsers with storage blocked). */
export function browserStorage(): Storage | null {
  try {
    return window.localStorage
  } catch {
    return null
  }
}
