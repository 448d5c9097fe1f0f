import { describe, expect, it } from 'vitest'
import {
  byText, click, json, lazyPagesLoaded, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, storedSession,
  text, waitFor,
} from '../test/page'
import { OTP_CITIZEN } from '../test/appointments'

const STAFF = { kind: 'staff', username: 'auditor1', name: 'Pere Soler', roles: ['auditor'], office: null }

describe('the area at /me', () => {
  pageTest()

  it('is the citizen’s area for a citizen, with the ID number masked until asked for', async () => {
    const api = routeApi({ 'GET /api/me': () => json(OTP_CITIZEN) })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/me', session: signedIn('citizen') })

    await waitFor(() => expect(text('#citizen-id')).toBe('****678Zacabat en 678Z'))
    expect(text('h1')).toBe('El meu espai')
    expect(text('#assurance')).toBe('Codi per correu electrònic o SMS')
    expect(text('#auth-method')).toBe('Codi per correu electrònic o SMS')
    expect(document.querySelector('main a[href="/"]')?.textContent).toBe('Anar al catàleg de tràmits')
    expect(document.body.textContent).not.toContain('12345678Z')
    expect(text('#signed-in-as')).toBe('Sessió iniciada com a ****678Z')

    await click(byText(document, 'button', 'Mostrar el número complet'))
    expect(text('#citizen-id')).toBe('12345678Z')
    expect(document.querySelectorAll('button#sign-out')).toHaveLength(1)
    expect(api.callsTo('GET /api/me')[0]?.headers.Authorization).toBe('Bearer token-citizen')
  })

  it('is the staff area for staff, in words', async () => {
    await mountApp({
      fetch: routeApi({ 'GET /api/me': () => json(STAFF) }).fetch,
      language: 'en',
      path: '/me',
      session: signedIn('staff'),
    })
    expect(text('h1')).toBe('Staff area')
    await waitFor(() => expect(text('.roles')).toBe('Auditor'))
    expect(text('#office')).toBe('No office assigned')
    expect(text('#my-area')).toBe('Staff area')
  })

  it('follows what the API says, whatever the sign-in recorded', async () => {
    await mountApp({
      fetch: routeApi({ 'GET /api/me': () => json(STAFF) }).fetch,
      language: 'es',
      path: '/me',
      session: signedIn('citizen'),
    })
    await waitFor(() => expect(text('h1')).toBe('Área de personal'))
  })

  it('sends someone not signed in to sign in, and back here afterwards', async () => {
    const api = routeApi({})
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me' })
    await waitFor(() => expect(window.location.pathname + window.location.search).toBe('/sign-in?return_to=%2Fme'))
    expect(text('h1')).toBe('Sign in')
    expect(api.callsTo('GET /api/me')).toHaveLength(0)
    expect(document.querySelector('a#eid-start')?.getAttribute('href')).toMatch(/^\/api\/auth\/eid\/start\?return_to=%2Fme&attempt=[\w-]{16,}$/)
  })

  it('ends the session on a 401 and says so on the sign-in page', async () => {
    const api = routeApi({ 'GET /api/me': () => problem(401, 'unauthorized') })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me', session: signedIn('citizen') })

    await waitFor(() => expect(window.location.pathname + window.location.search).toBe('/sign-in?return_to=%2Fme'))
    expect(storedSession()).toBeNull()
    await waitFor(() => expect(text('#session-notice')).toBe('Your session has ended. Sign in again to continue.'))
    await waitFor(() => expect(liveRegion()).toBe('Your session has ended. Sign in again to continue.'))
    expect(byText(document, 'nav a', 'Sign in')).toBeTruthy()
  })

  it('sends staff whose session ended to the staff sign-in', async () => {
    const api = routeApi({ 'GET /api/me': () => problem(401, 'unauthorized') })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/me', session: signedIn('staff') })
    await waitFor(() => expect(window.location.pathname).toBe('/staff/sign-in'))
    await lazyPagesLoaded()
    expect(text('#session-notice')).toBe("La sessió ha finalitzat. Identifiqueu-vos de nou per continuar.")
  })

  it('treats a session past its time as ended, without asking the API', async () => {
    const api = routeApi({ 'GET /api/me': () => json(OTP_CITIZEN) })
    await mountApp({
      fetch: api.fetch,
      language: 'en',
      path: '/services/padron-certificate',
      session: signedIn('citizen', -1),
    })
    await waitFor(() => expect(window.location.pathname).toBe('/sign-in'))
    expect(window.location.search).toBe('?return_to=%2Fservices%2Fpadron-certificate')
    expect(storedSession()).toBeNull()
    expect(text('#session-notice')).toBe('Your session has ended. Sign in again to continue.')
    expect(api.callsTo('GET /api/me')).toHaveLength(0)
  })

  it('signs out: tells the API, forgets the session, goes home and says so', async () => {
    const api = routeApi({
      'GET /api/me': () => json(OTP_CITIZEN),
      'POST /api/auth/logout': () => new Response(null, { status: 204 }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me', session: signedIn('citizen') })
    await waitFor(() => expect(text('#assurance')).toBe('Code by email or SMS'))

    await click(document.querySelector('button#sign-out'))

    await waitFor(() => expect(window.location.pathname).toBe('/'))
    expect(api.callsTo('POST /api/auth/logout')[0]?.headers.Authorization).toBe('Bearer token-citizen')
    expect(storedSession()).toBeNull()
    expect(text('h1')).toBe('Service catalogue')
    await waitFor(() => expect(liveRegion()).toBe('You have signed out.'))
    expect(byText(document, 'nav a', 'Sign in').getAttribute('href')).toBe('/sign-in')
    expect(document.querySelector('#sign-out')).toBeNull()
    // The catalogue's own news waits until the sign-out has been heard.
    await waitFor(() => expect(liveRegion()).toBe('Services loaded: 2.'), 3000)
  })

  it('puts who is signed in and Sign out in the header on other pages', async () => {
    const api = routeApi({
      'GET /api/me': () => json({ ...OTP_CITIZEN, name: 'Anna Puig' }),
      'POST /api/auth/logout': () => problem(401, 'unauthorized'),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/', session: signedIn('citizen') })
    await waitFor(() => expect(text('#signed-in-as')).toBe('Signed in as Anna Puig'))
    expect(document.querySelector('header a#my-area')?.getAttribute('href')).toBe('/me')
    expect(text('header button#sign-out')).toBe('Sign out')

    // A 401 to the sign-out itself is no "session ended": the person asked to leave.
    await click(document.querySelector('button#sign-out'))
    await waitFor(() => expect(liveRegion()).toBe('You have signed out.'))
    expect(window.location.pathname).toBe('/')
    expect(document.querySelector('#session-notice')).toBeNull()
  })
})
