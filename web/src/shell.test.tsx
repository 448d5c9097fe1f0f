import { describe, expect, it } from 'vitest'
import { act } from 'preact/test-utils'
import { click, json, lazyPagesLoaded, liveRegion, mountApp, pageTest, routeApi, submit, type, unmountApps, waitFor } from './test/page'
import type { Language } from './i18n'

const pause = (ms: number) => act(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

describe('the page shell', () => {
  pageTest()

  it('empties the live region on navigation: one page’s announcement is not read on the next', async () => {
    const api = routeApi({ 'POST /api/auth/otp': () => json({ challenge_id: 'ch-1', expires_in: 600 }, 202) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/sign-in' })
    await type('#id-number', '12345678Z')
    await type('#destination', 'ana@example.com')
    await submit('form#otp-request')
    await waitFor(() => expect(liveRegion()).toContain('We have sent a code'))

    await click(document.getElementById('verify-link'))

    await waitFor(() => expect(window.location.pathname).toBe('/verify'))
    expect(liveRegion()).toBe('')
    await pause(250)
    expect(liveRegion()).toBe('')
  })

  it('shows the council in the header and links the legal pages and the help line from the footer, in each language', async () => {
    const expected = {
      ca: ['Ajuntament de Vilademo', 'Declaració d’accessibilitat', 'Protecció de dades', 'Avís legal'],
      es: ['Ayuntamiento de Vilademo', 'Declaración de accesibilidad', 'Protección de datos', 'Aviso legal'],
      en: ['Vilademo City Council', 'Accessibility statement', 'Privacy notice', 'Legal notice'],
    }
    for (const [language, [council, accessibility, privacy, notice]] of Object.entries(expected)) {
      const api = routeApi({})
      await mountApp({ fetch: api.fetch, language: language as Language, path: '/' })
      expect(document.querySelector('header #council-name')?.textContent).toBe(council)
      expect(document.querySelector('header img.brand__arms')?.getAttribute('src')).toBe('/coat-of-arms.svg')
      const link = (id: string) => document.querySelector<HTMLAnchorElement>(`footer a#${id}`)
      expect([link('accessibility-link')?.textContent, link('accessibility-link')?.getAttribute('href')]).toEqual([
        accessibility,
        '/accessibility',
      ])
      expect([link('privacy-link')?.textContent, link('privacy-link')?.getAttribute('href')]).toEqual([privacy, '/privacy'])
      expect([link('legal-notice-link')?.textContent, link('legal-notice-link')?.getAttribute('href')]).toEqual([
        notice,
        '/legal-notice',
      ])
      expect(link('footer-help')?.getAttribute('href')).toBe('tel:+34900100200')
      expect(document.querySelector('header a#help-phone')?.getAttribute('href')).toBe('tel:+34900100200')
      unmountApps()
    }
  })

  it('folds navigation into one menu button that opens, closes with Escape and closes on navigation', async () => {
    const api = routeApi({})
    await mountApp({ fetch: api.fetch, language: 'en', path: '/' })
    const button = document.querySelector<HTMLButtonElement>('header button#menu-button')
    expect(button?.textContent).toBe('Menu')
    expect(button?.getAttribute('aria-controls')).toBe('site-menu')
    expect(button?.getAttribute('aria-expanded')).toBe('false')
    await click(button)
    expect(button?.getAttribute('aria-expanded')).toBe('true')
    expect(document.getElementById('site-menu')?.className).toContain('site-menu--open')
    document.querySelector('#site-menu a')?.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    await waitFor(() => expect(button?.getAttribute('aria-expanded')).toBe('false'))
    expect(document.activeElement).toBe(button)
    await click(button)
    await click(document.getElementById('verify-link'))
    await waitFor(() => expect(button?.getAttribute('aria-expanded')).toBe('false'))
  })

  it('shows the privacy notice with each procedure’s retention as GET /retention gives it', async () => {
    const api = routeApi({})
    await mountApp({ fetch: api.fetch, language: 'en', path: '/privacy' })
    await lazyPagesLoaded()
    await waitFor(() => expect(document.querySelector('#retention-table')).not.toBeNull())
    const row = (id: string) => document.querySelector(`#retention-table tr[data-service="${id}"]`)?.textContent
    expect(row('padron-certificate')).toBe('Residence certificate2 years2 years')
    expect(row('instalment-plan')).toBe('Instalment plan6 years and 1 month6 years and 1 month')
    expect(document.querySelector('#retention-default')?.textContent).toBe(
      'A video call in which no procedure is carried out is kept for 30 days.',
    )
    expect(document.querySelector('main')?.textContent).toContain('APDCAT')
    expect(document.querySelector('main')?.textContent).toContain('dpd@vilademo.example')
    expect(api.callsTo('GET /api/retention')).toHaveLength(1)
  })

  it('shows the accessibility statement with its compliance status and review date', async () => {
    const api = routeApi({})
    await mountApp({ fetch: api.fetch, language: 'es', path: '/accessibility' })
    await lazyPagesLoaded()
    await waitFor(() => expect(document.querySelector('#a11y-status')).not.toBeNull())
    expect(document.querySelector('h1')?.textContent).toBe('Declaración de accesibilidad')
    expect(document.querySelector('#a11y-status')?.textContent).toContain('parcialmente conforme')
    expect(document.querySelector('#a11y-review')?.textContent).toContain('2027')
    const headings = [...document.querySelectorAll('main h2')].map((h) => h.textContent)
    expect(headings).toEqual([
      'Situación de cumplimiento',
      'Contenido no accesible',
      'Preparación de esta declaración',
      'Observaciones y datos de contacto',
      'Procedimiento de aplicación',
    ])
  })

  it('shows the legal notice with the owner’s details', async () => {
    const api = routeApi({})
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/legal-notice' })
    await lazyPagesLoaded()
    await waitFor(() => expect(document.querySelector('main h2')).not.toBeNull())
    expect(document.querySelector('h1')?.textContent).toBe('Avís legal')
    expect(document.querySelector('main')?.textContent).toContain('NIF P0899900A')
  })
})
