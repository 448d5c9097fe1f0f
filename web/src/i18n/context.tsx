/** The current language for the component tree, and the one place that applies a change of language to the page. */
import { createContext, type ComponentChildren } from 'preact'
import { useCallback, useContext, useLayoutEffect, useMemo, useState } from 'preact/hooks'
import { browserStorage, loadCatalogue, rememberLanguage, translate, type Language, type Translate } from '.'

export interface I18n {
  language: Language
  t: Translate
  setLanguage: (language: Language) => void
}

const I18nContext = createContext<I18n | null>(null)

export function I18nProvider(props: { initial: Language; children: ComponentChildren }) {
  const [language, setLanguageState] = useState(props.initial)

  // The page changes language once that language's texts are here (a chunk fetched the first time): never half in one
  // language and half in the fallback. Should the chunk not come, the page stays as it was, in a language it has.
  const setLanguage = useCallback((next: Language) => {
    rememberLanguage(browserStorage(), next)
    loadCatalogue(next).then(
      () => setLanguageState(next),
      () => undefined,
    )
  }, [])

  // Before paint, so assistive technology never reads new text with the old language's voice.
  useLayoutEffect(() => {
    document.documentElement.lang = language
  }, [language])

  const value = useMemo<I18n>(
    () => ({ language, setLanguage, t: (key, params) => translate(language, key, params) }),
    [language, setLanguage],
  )
  return <I18nContext.Provider value={value}>{props.children}</I18nContext.Provider>
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext)
  if (!i18n) throw new Error('useI18n outside <I18nProvider>')
  return i18n
}
