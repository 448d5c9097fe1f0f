import { afterEach, describe, expect, it } from 'vitest'
import { detectLanguage, LANGUAGE_NAMES, LANGUAGES, rememberLanguage, STORAGE_KEY } from '.'
import { byText, click, fakeApi, json, mountApp, SERVICES, waitFor } from '../test/render'

function memoryStorage(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial))
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
    values,
  }
}

describe('choosing the language on arrival', () => {
  it('keeps the choice remembered from an earlier visit', () => {
    expect(detectLanguage(memoryStorage({ [STORAGE_KEY]: 'en' }), ['es-ES'])).toBe('en')
  })

  it('takes the first supported language the browser asks for', () => {
    expect(detectLanguage(memoryStorage(), ['fr-FR', 'es-ES', 'en'])).toBe('es')
    expect(detectLanguage(memoryStorage(), ['CA'])).toBe('ca')
    expect(detectLanguage(memoryStorage(), ['en-GB', 'ca'])).toBe('en')
  })

  it('falls back to Catalan', () => {
    expect(detectLanguage(memoryStorage(), ['fr', 'de-DE'])).toBe('ca')
    expect(detectLanguage(null, [])).toBe('ca')
  })

  it('ignores a stored value that is not a supported language', () => {
    expect(detectLanguage(memoryStorage({ [STORAGE_KEY]: 'fr' }), ['es'])).toBe('es')
  })

  it('survives storage that throws', () => {
    const broken = {
      getItem: () => {
        throw new Error('SecurityError')
      },
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    }
    expect(detectLanguage(broken, ['en'])).toBe('en')
    expect(() => rememberLanguage(broken, 'es')).not.toThrow()
  })
})

describe('the language switch', () => {
  let app: Awaited<ReturnType<typeof mountApp>> | undefined
  afterEach(() => {
    app?.unmount()
    localStorage.clear()
  })

  it('remembers the choice and applies it to the whole page', async () => {
    app = await mountApp({ fetch: fakeApi(() => json({ items: SERVICES, next: null })).fetch, language: 'ca' })
    await waitFor(() => expect(document.title).toBe('Catàleg de tràmits – Videoatenció'))
    expect(document.documentElement.lang).toBe('ca')
    expect(byText(document, 'button', 'Català').getAttribute('aria-pressed')).toBe('true')

    await click(byText(document, 'button[lang="es"]', 'Español'))

    expect(localStorage.getItem('va.lang')).toBe('es')
    expect(document.documentElement.lang).toBe('es')
    expect(byText(document, 'button', 'Español').getAttribute('aria-pressed')).toBe('true')
    expect(byText(document, 'button', 'Català').getAttribute('aria-pressed')).toBe('false')
    // Each language named in itself whatever the page's language, marked with its own `lang` for screen readers.
    const buttons = [...document.querySelectorAll('.language-switch button')]
    const named = buttons.map((b) => [b.getAttribute('lang'), b.textContent])
    expect(named).toEqual(LANGUAGES.map((l) => [l, LANGUAGE_NAMES[l]]))
    expect(named.slice(0, 3)).toEqual([
      ['ca', 'Català'],
      ['es', 'Español'],
      ['en', 'English'],
    ])
    expect(document.querySelector('h1')?.textContent).toBe('Catálogo de trámites')
    expect(document.querySelector('.skip-link')?.textContent).toBe('Saltar al contenido')
    await waitFor(() => expect(document.title).toBe('Catálogo de trámites – Videoatención'))
  })
})
