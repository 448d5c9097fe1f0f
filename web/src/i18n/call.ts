/**
 * The messages only the video call's waiting room shows (the recording notice, the place in line) in their own
 * catalogues, same rules as the main ones (`call/<code>.json` for every language, found by file name; same keys and
 * placeholders). Only the lazy call page imports this module (others import its types alone), so these texts travel
 * in the call's chunk rather than in the first-load bundle every citizen downloads.
 */
import { byLanguage, translate, type Language, type MessageKey, type Params } from '.'
import { useI18n } from './context'
import ca from './call/ca.json'

export type CallKey = keyof typeof ca
export type CallMessages = Record<CallKey, string>
/** Every language's call texts, all in this chunk (they are small next to the call's code). */
export const CALL_CATALOGUES: Partial<Record<Language, CallMessages>> & { ca: CallMessages } = {
  ...byLanguage(import.meta.glob<CallMessages>('./call/*.json', { eager: true, import: 'default' })),
  ca,
}

/** A translation function that knows both the main and the call catalogues (so it also serves as a `Translate`). */
export type CallTranslate = (key: MessageKey | CallKey, params?: Params) => string

export function isCallKey(key: string): key is CallKey {
  return Object.prototype.hasOwnProperty.call(CALL_CATALOGUES.ca, key)
}

export function translateCall(language: Language, key: MessageKey | CallKey, params?: Params): string {
  if (!isCallKey(key)) return translate(language, key, params)
  const template = CALL_CATALOGUES[language]?.[key] ?? CALL_CATALOGUES.ca[key] ?? key
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in params ? String(params[name]) : placeholder,
  )
}

/** `useI18n()` with a `t` that knows the call's messages too. */
export function useCallI18n(): { language: Language; t: CallTranslate } {
  const { language } = useI18n()
  return { language, t: (key, params) => translateCall(language, key, params) }
}

