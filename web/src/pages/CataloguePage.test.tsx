import { describe, expect, it } from 'vitest'
import {
  byText,
  click,
  fakeApi,
  fakeApiWith,
  json,
  liveRegion,
  mountApp,
  OFFICES,
  pageTest,
  problem,
  SERVICES,
  waitFor,
} from '../test/page'

const catalogue = () => json({ items: SERVICES, next: null })
/** The list's error state, once it shows. */
const errorState = () =>
  waitFor(() => {
    const found = document.querySelector('.error-state')
    if (!found) throw new Error('no error state yet')
    return found
  })
const names = () => [...document.querySelectorAll('.service-card h3')].map((h) => h.textContent)

describe('the catalogue page', () => {
  pageTest()

  it('lists the services grouped by office, in the chosen language', async () => {
    const api = fakeApi(catalogue)
    await mountApp({ fetch: api.fetch, language: 'es' })

    // Grouped under the offices, in the order GET /offices lists them (by id).
    await waitFor(() => expect(names()).toEqual(['Fraccionamiento de deudas', 'Certificado de padrón']))
    expect(api.requests).toEqual(['/api/services'])
    expect(document.querySelector('h1')?.textContent).toBe('Catálogo de trámites')
    expect([...document.querySelectorAll('section.office h2')].map((h) => h.textContent)).toEqual([
      'Oficina de Gestión y Atención Tributaria',
      'Oficina Municipal de Atención Ciudadana',
    ])
    const card = document.querySelector('[data-service-id="padron-certificate"]')
    expect(card?.querySelector('.service-description')?.textContent).toBe(
      'Certificado de empadronamiento con validez oficial.',
    )
    expect(card?.querySelector('.service-duration')?.textContent).toContain('15 min')
    expect(card?.querySelector('a')?.getAttribute('href')).toBe('/services/padron-certificate')
    expect(document.querySelector('.catalogue')?.getAttribute('aria-busy')).toBe('false')
    await waitFor(() => expect(liveRegion()).toBe('Trámites cargados: 2.'))
  })

  it('shows the services in another language without asking the API again', async () => {
    const api = fakeApi(catalogue)
    await mountApp({ fetch: api.fetch, language: 'ca' })
    await waitFor(() => expect(names()).toEqual(['Fraccionament de deutes', 'Certificat de padró']))

    await click(byText(document, 'button', 'English'))

    expect(names()).toEqual(['Instalment plan', 'Residence certificate'])
    expect(document.querySelector('h1')?.textContent).toBe('Service catalogue')
    expect(document.querySelector('section.office h2')?.textContent).toBe('Tax Office')
    expect(api.requests).toHaveLength(1)
  })

  it('says when there is nothing to book', async () => {
    await mountApp({ fetch: fakeApi(() => json({ items: [], next: null })).fetch, language: 'en' })
    await waitFor(() =>
      expect(document.querySelector('.empty-state')?.textContent).toBe(
        'No services are available by video call right now.',
      ),
    )
  })

  it('shows the failure with the API’s explanation and recovers on Retry', async () => {
    const api = fakeApi(
      () =>
        json(
          { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'Maintenance until 10:00.' },
          503,
          'application/problem+json',
        ),
      catalogue,
    )
    await mountApp({ fetch: api.fetch, language: 'en' })

    const error = await errorState()
    expect(error.querySelector('h2')?.textContent).toBe('The services could not be loaded.')
    expect(error.querySelector('.error-detail')?.textContent).toBe('Details: Maintenance until 10:00.')
    await waitFor(() =>
      expect(liveRegion()).toBe('The services could not be loaded. Check your connection and try again.'),
    )

    await click(byText(error, 'button', 'Retry'))

    await waitFor(() => expect(names()).toEqual(['Instalment plan', 'Residence certificate']))
    expect(document.querySelector('.error-state')).toBeNull()
    expect(api.requests).toHaveLength(2)
  })

  it('shows the failure when the network is down', async () => {
    await mountApp({
      fetch: async () => {
        throw new TypeError('Failed to fetch')
      },
      language: 'ca',
    })
    await waitFor(() => byText(document, '.error-state button', 'Torneu-ho a provar'))
    expect(document.querySelector('.error-detail')).toBeNull()
  })

  it('shows a failure of the offices like one of the services, and asks only for them again on Retry', async () => {
    let officesAsked = 0
    const api = fakeApiWith(
      { offices: () => (++officesAsked === 1 ? problem(503, 'unavailable') : json(OFFICES)) },
      catalogue,
    )
    await mountApp({ fetch: api.fetch, language: 'en' })
    const error = await errorState()
    expect(error.querySelector('h2')?.textContent).toBe('The services could not be loaded.')
    expect(document.querySelector('.catalogue')?.getAttribute('aria-busy')).toBe('false')

    await click(byText(error, 'button', 'Retry'))

    await waitFor(() => expect(names()).toEqual(['Instalment plan', 'Residence certificate']))
    expect(officesAsked).toBe(2)
    expect(api.requests).toEqual(['/api/services'])
  })

  it('shows an office the API adds, with its names from the API, and falls back to another language with lang', async () => {
    const office = { ...OFFICES[1]!, id: 'OAC2', name: { ca: 'Oficina del Barri', es: 'Oficina del Barrio' } }
    const service = { ...SERVICES[0]!, id: 'barri', office: 'OAC2' }
    const api = fakeApiWith({ offices: () => json([...OFFICES, office]) }, () =>
      json({ items: [...SERVICES, service], next: null }),
    )
    await mountApp({ fetch: api.fetch, language: 'es' })
    await waitFor(() => expect(document.querySelectorAll('section.office')).toHaveLength(3))
    expect(document.querySelector('#office-OAC2')?.textContent).toBe('Oficina del Barrio')

    await click(byText(document, 'button', 'English'))
    // No English name: the office's own language, as every name that is data.
    expect(document.querySelector('#office-OAC2')?.textContent).toBe('Oficina del Barri')
    expect(document.querySelector('#office-OAC2 span')?.getAttribute('lang')).toBe('ca')
    expect(document.querySelector('#office-OMAC span')?.hasAttribute('lang')).toBe(false)
  })

  it('marks the list busy while loading', async () => {
    let answer: (response: Response) => void = () => undefined
    const fetch = (input: string) =>
      input === '/api/offices'
        ? Promise.resolve(json(OFFICES))
        : new Promise<Response>((resolve) => (answer = resolve))
    await mountApp({ fetch, language: 'ca' })

    expect(document.querySelector('.catalogue')?.getAttribute('aria-busy')).toBe('true')
    expect(document.querySelector('.status-message')?.textContent).toBe('Carregant els tràmits…')
    await waitFor(() => expect(liveRegion()).toBe('Carregant els tràmits…'))

    answer(catalogue())
    await waitFor(() => expect(document.querySelector('.catalogue')?.getAttribute('aria-busy')).toBe('false'))
  })
})

describe('moving between pages', () => {
  pageTest()

  it('opens a service from its card and comes back, with focus on each page’s h1', async () => {
    const api = fakeApi(catalogue)
    await mountApp({ fetch: api.fetch, language: 'en' })
    await waitFor(() => expect(names()).toHaveLength(2))

    await click(document.querySelector('[data-service-id="instalment-plan"] a'))

    expect(window.location.pathname).toBe('/services/instalment-plan')
    const h1 = document.querySelector('h1')
    expect(h1?.textContent).toBe('Instalment plan')
    expect(document.activeElement).toBe(h1)
    expect(document.body.textContent).toContain('No documents are needed.')
    // What a citizen needs, in plain words, before a button that a code sign-in could not get past.
    expect(document.querySelector('#identify-note')?.textContent).toBe(
      'With a digital certificate (or the electronic DNI). A code by email or SMS is not enough.',
    )
    expect(document.querySelector('#identify-how')?.textContent).toBe('Digital certificate')
    expect(document.body.textContent?.toLowerCase()).not.toMatch(/substantial|high/)
    await waitFor(() => expect(document.title).toBe('Instalment plan – Video appointments'))

    await click(byText(document, 'main a', 'Back to the service catalogue'))

    expect(window.location.pathname).toBe('/')
    expect(document.activeElement?.textContent).toBe('Service catalogue')
    expect(names()).toHaveLength(2)
    expect(api.requests).toHaveLength(1)
  })

  it('loads a deep link to a service, with its required documents', async () => {
    await mountApp({ fetch: fakeApi(catalogue).fetch, language: 'ca', path: '/services/padron-certificate' })
    await waitFor(() => expect(document.querySelector('h1')?.textContent).toBe('Certificat de padró'))
    expect([...document.querySelectorAll('.documents li')].map((li) => li.textContent)).toEqual(['DNI o NIE'])
  })

  it('says so for a service that does not exist', async () => {
    await mountApp({ fetch: fakeApi(catalogue).fetch, language: 'es', path: '/services/nope' })
    await waitFor(() => expect(document.querySelector('h1')?.textContent).toBe('Trámite no encontrado'))
  })

  it('shows a not-found page for an unknown address', async () => {
    await mountApp({ fetch: fakeApi(catalogue).fetch, language: 'ca', path: '/no/such/page' })
    expect(document.querySelector('h1')?.textContent).toBe('Pàgina no trobada')
    await waitFor(() => expect(document.title).toBe('Pàgina no trobada – Videoatenció'))
  })
})
