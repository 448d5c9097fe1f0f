/**
 * Languages, message catalogues and the rules for choosing the citizen's language.
 *
 * `LANGUAGE_NAMES` is the one list of the languages the SPA speaks. Each has three catalogues, found by file name
 * (`<code>.json` here, in `records/` and in `legal/`, same keys as Catalan's; the tests fail when a declared language
 * lacks one or a file belongs to no declared language), so a new language is those three files and one line here.
 * Every user-visible string lives in the catalogues. Service names and descriptions come from the API already in
 * each language, as `LocalizedText`.
 *
 * Only Catalan (the default, and the fallback for a missing text) travels in the first-load bundle: every other
 * language is a chunk of its own, fetched when the page starts in that language or someone switches to it
 * (`loadCatalogue`), so nobody downloads the texts of languages they do not read.
 */
import ca from './ca.json'

/**
 * The languages, each named in itself (as language pickers show them, so a citizen finds theirs whatever the page is
 * in now; the element showing a name carries its `lang`). Catalan, the council's language and the default, first:
 * `localize` falls back in this order.
 */
export const LANGUAGE_NAMES = { ca: 'Català', es: 'Español', en: 'English' } as const
export type Language = keyof typeof LANGUAGE_NAMES
export const LANGUAGES = Object.keys(LANGUAGE_NAMES) as readonly Language[]
export const DEFAULT_LANGUAGE: Language = 'ca'
export const STORAGE_KEY = 'va.lang'

export type MessageKey = keyof typeof ca
export type Messages = Record<MessageKey, string>

/**
 * The language a catalogue file is for, from its name (`./legal/es.json` → `es`), whether or not it is declared:
 * `import.meta.glob` gives catalogues keyed by path, and the tests use this to match files and languages.
 */
export function catalogueCode(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.json$/, '')
}

/** A glob's catalogues by declared language (files of undeclared languages are left out: the tests name them). */
export function byLanguage<T>(files: Record<string, T>): Partial<Record<Language, T>> {
  const found: Partial<Record<Language, T>> = {}
  for (const [path, value] of Object.entries(files)) {
    const code = catalogueCode(path)
    if (isLanguage(code)) found[code] = value
  }
  return found
}

const loaded: Partial<Record<Language, Messages>> = { ca }
// Every catalogue but Catalan's, each a chunk of its own.
const LOADERS = byLanguage(import.meta.glob<Messages>(['./*.json', '!./ca.json'], { import: 'default' }))

/** Whether `language`'s texts are here (Catalan always is). */
export function catalogueLoaded(language: Language): boolean {
  return loaded[language] !== undefined
}

/** Fetches `language`'s texts once; until they come (or if they never do) `translate` falls back to Catalan. */
export async function loadCatalogue(language: Language): Promise<void> {
  if (loaded[language]) return
  const load = LOADERS[language]
  if (!load) throw new Error(`No catalogue for ${language}`)
  loaded[language] = await load()
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
