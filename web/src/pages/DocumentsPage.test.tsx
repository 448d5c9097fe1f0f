import { describe, expect, it } from 'vitest'
import { CITIZEN } from '../test/appointments'
import { click, find, json, liveRegion, mountApp, pageTest, routeApi, signedIn, text, waitFor } from '../test/page'
import { DOCUMENT } from '../test/procedures'

describe('my documents', () => {
  pageTest({ zone: 'UTC' })

  it('my documents: linked from the citizen’s header, each with its issue date, CSV and download', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/documents': () => json({ items: [DOCUMENT], next: null }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/', session: signedIn('citizen') })
    const link = await find('header a#my-documents')
    expect(link.textContent).toBe('Els meus documents')
    await click(link)
    expect(text('h1')).toBe('Els meus documents')
    const card = await find('li.document-card[data-id="doc-1"]')
    expect(card.querySelector('h2')?.textContent).toBe('Instalment plan resolution')
    expect(card.textContent).toContain('A1B2-C3D4-E5F6-G7H8-J9')
    expect(card.textContent).toMatch(/dissabte, 28 de novembre del? 2026, 11:20/)
    expect(card.querySelector('#download-doc-1')).not.toBeNull()
    expect(document.querySelector('main a[href="/verify"]')?.textContent).toBe('Verificació de documents')
    await waitFor(() => expect(liveRegion()).toBe('Documents: 1.'))
  })

  it('my documents: an empty state', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/documents': () => json({ items: [], next: null }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/documents', session: signedIn('citizen') })
    await waitFor(() => expect(text('#no-documents')).toBe('You have no documents yet.'))
  })
})
