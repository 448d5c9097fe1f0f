import { describe, expect, it } from 'vitest'
import { json, liveRegion, mountApp, pageTest, routeApi, storedSession, text, waitFor } from '../test/page'
import { parseEidFragment } from './EidDonePage'

const CITIZEN = {
  kind: 'citizen',
  id_number: '12345678Z',
  name: 'Anna Puig',
  assurance: 'substantial',
  auth_method: 'idcatmobil',
}

describe('the eID fragment', () => {
  it('gives the token and a return path on this app', () => {
    expect(parseEidFragment('#access_token=abc&expires_in=900&return_to=%2Fservices%2Fx&attempt=A1', 'A1')).toEqual({
      kind: 'token',
      token: { access_token: 'abc', expires_in: 900 },
      returnTo: '/services/x',
    })
  })

  it('never returns to another site', () => {
    const hostile = ['//evil.example', '%2F%2Fevil.example', 'https%3A%2F%2Fevil.example', '%2F%5Cevil.example']
    for (const returnTo of hostile) {
      const outcome = parseEidFragment(`#access_token=abc&expires_in=900&return_to=${returnTo}&attempt=A1`, 'A1')
      expect(outcome, returnTo).toMatchObject({ kind: 'token', returnTo: '/me' })
    }
    expect(parseEidFragment('#access_token=abc&expires_in=900&attempt=A1', 'A1')).toMatchObject({ returnTo: '/me' })
  })

  it('gives the error, unknown codes counting as eid_failed', () => {
    expect(parseEidFragment('#error=access_denied', 'A1')).toEqual({ kind: 'error', code: 'access_denied' })
    expect(parseEidFragment('#error=server_error', 'A1')).toEqual({ kind: 'error', code: 'eid_failed' })
    expect(parseEidFragment('#access_token=abc&attempt=A1', 'A1')).toEqual({ kind: 'error', code: 'eid_failed' })
    expect(parseEidFragment('', 'A1')).toEqual({ kind: 'none' })
  })

  it('refuses a token for an attempt this tab did not start', () => {
    const failed = { kind: 'error', code: 'eid_failed' }
    expect(parseEidFragment('#access_token=abc&expires_in=900&attempt=A1', 'B2')).toEqual(failed)
    expect(parseEidFragment('#access_token=abc&expires_in=900&attempt=A1', null)).toEqual(failed)
    expect(parseEidFragment('#access_token=abc&expires_in=900', 'A1')).toEqual(failed)
  })
})

describe('/auth/eid/done', () => {
  pageTest()

  it('stores the session, wipes the fragment and goes on to return_to', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN) })
    sessionStorage.setItem('va.eidAttempt', 'attempt-of-this-tab')
    await mountApp({
      fetch: api.fetch,
      language: 'en',
      path: '/auth/eid/done#access_token=eid-token&expires_in=900&return_to=%2Fservices%2Fpadron-certificate&attempt=attempt-of-this-tab',
    })

    await waitFor(() => expect(window.location.pathname).toBe('/services/padron-certificate'))
    expect(window.location.hash).toBe('')
    expect(storedSession()).toMatchObject({ access_token: 'eid-token', kind: 'citizen' })
    await waitFor(() => expect(text('h1')).toBe('Residence certificate'))
    await waitFor(() => expect(text('#signed-in-as')).toBe('Signed in as Anna Puig'))
  })

  it('goes to /me rather than to //evil.example', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN) })
    sessionStorage.setItem('va.eidAttempt', 'attempt-of-this-tab')
    await mountApp({
      fetch: api.fetch,
      language: 'ca',
      path: '/auth/eid/done#access_token=eid-token&expires_in=900&return_to=//evil.example&attempt=attempt-of-this-tab',
    })
    await waitFor(() => expect(window.location.pathname).toBe('/me'))
    expect(window.location.href).not.toContain('evil')
    await waitFor(() => expect(text('h1')).toBe('El meu espai'))
    await waitFor(() => expect(text('#auth-method')).toBe('idCAT Mòbil'))
  })

  it('does not sign in with a token from a link someone sent (no attempt started in this tab)', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN) })
    await mountApp({
      fetch: api.fetch,
      language: 'en',
      path: '/auth/eid/done#access_token=strangers-token&expires_in=900&return_to=%2Fme&attempt=strangers-attempt',
    })

    await waitFor(() => expect(window.location.hash).toBe(''))
    expect(document.querySelector('#eid-error')).not.toBeNull()
    expect(storedSession()).toBeNull()
    expect(api.callsTo('GET /api/me')).toHaveLength(0)
  })

  it('explains a cancelled identification, with the way back to sign-in', async () => {
    await mountApp({ fetch: routeApi({}).fetch, language: 'es', path: '/auth/eid/done#error=access_denied' })
    await waitFor(() => expect(window.location.hash).toBe(''))
    expect(text('h1')).toBe('No se ha podido completar la identificación')
    expect(text('#eid-error')).toBe('Ha cancelado la identificación con la identidad digital.')
    const back = document.querySelector('main a[href="/sign-in"]')
    expect(back?.textContent).toBe('Volver a la página de identificación')
    expect(storedSession()).toBeNull()
    await waitFor(() => expect(liveRegion()).toContain('Ha cancelado la identificación'))
  })
})
