import { describe, expect, it } from 'vitest'
import { staffHome } from './StaffSignInPage'
import {
  byText, click, find, json, lazyPagesLoaded, mountApp, pageTest, problem, routeApi, storedSession, submit, text,
  type, waitFor,
} from '../test/page'

const STAFF = {
  kind: 'staff',
  username: 'mgarcia',
  name: 'Marta Garcia',
  roles: ['agent', 'supervisor'],
  office: 'OMAC',
  expires_at: '2026-01-01T18:00:00+01:00',
}

describe('staff sign-in', () => {
  pageTest()

  it('takes username and password, then the emailed code, and opens the staff area', async () => {
    const api = routeApi({
      'POST /api/auth/staff/login': [
        () => problem(401, 'otp_required'),
        () => problem(401, 'invalid_code'),
        () => json({ access_token: 'staff-tok', token_type: 'Bearer', expires_in: 28800 }),
      ],
      'GET /api/me': () => json(STAFF),
      'GET /api/dev/outbox': () =>
        json({ items: [{ to: 'mgarcia@ajuntament.example', body: 'Codi: 903211', sent_at: '2026-01-01T10:00:00Z' }] }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/staff/sign-in' })
    expect(text('h1')).toBe('Accés del personal')
    expect(document.querySelector('#username')?.getAttribute('autocomplete')).toBe('username')
    expect(document.querySelector('#password')?.getAttribute('autocomplete')).toBe('current-password')

    await type('#username', ' mgarcia ')
    await type('#password', 's3cret')
    await submit('form#staff-login')

    await find('form#staff-otp')
    expect(api.callsTo('POST /api/auth/staff/login')[0]?.body).toEqual({ username: 'mgarcia', password: 's3cret' })
    await waitFor(() => expect(document.activeElement).toBe(byText(document, 'h2', 'Introduïu el codi de 6 xifres')))
    expect(text('.otp-sent')).toBe('Hem enviat un codi de 6 xifres al vostre correu electrònic de feina.')
    await waitFor(() => expect(text('#dev-outbox li')).toContain('Codi: 903211'))
    expect(api.callsTo('GET /api/dev/outbox')[0]?.url).toBe('/api/dev/outbox')

    await type('#staff-otp-code', '000000')
    await submit('form#staff-otp')
    await waitFor(() => expect(text('#staff-otp-code-error')).toBe('Error: El codi no és correcte.'))
    expect(document.querySelector('#staff-otp-code')?.getAttribute('aria-invalid')).toBe('true')

    await type('#staff-otp-code', '903211')
    await submit('form#staff-otp')

    // an agent lands on their agenda
    await waitFor(() => expect(window.location.pathname).toBe('/agenda'))
    expect(api.callsTo('POST /api/auth/staff/login')[2]?.body).toEqual({
      username: 'mgarcia',
      password: 's3cret',
      otp: '903211',
    })
    expect(storedSession()).toMatchObject({ access_token: 'staff-tok', kind: 'staff' })
    await lazyPagesLoaded()
    await waitFor(() => expect(document.querySelector('#agenda-title')).not.toBeNull())
    expect(text('#signed-in-as')).toBe('Sessió iniciada com a Marta Garcia')
  })

  it('says when the username or password is wrong, and empties the password', async () => {
    const api = routeApi({ 'POST /api/auth/staff/login': () => problem(401, 'invalid_credentials') })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/sign-in' })
    await type('#username', 'mgarcia')
    await type('#password', 'wrong')
    await submit('form#staff-login')

    await waitFor(() => expect(text('.error-summary li')).toBe('The username or the password is not correct.'))
    expect(document.activeElement).toBe(document.querySelector('.error-summary'))
    expect(document.querySelector<HTMLInputElement>('#password')?.value).toBe('')
    expect(document.querySelector('form#staff-otp')).toBeNull()
  })

  it('requires both fields before asking, and reports a disabled account', async () => {
    const api = routeApi({ 'POST /api/auth/staff/login': () => problem(403, 'account_disabled') })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/staff/sign-in' })
    await submit('form#staff-login')
    await waitFor(() => expect(text('#username-error')).toBe('Error: Escriba el nombre de usuario.'))
    expect(text('#password-error')).toBe('Error: Escriba la contraseña.')
    expect(api.callsTo('POST /api/auth/staff/login')).toHaveLength(0)

    await type('#username', 'x')
    await type('#password', 'y')
    await submit('form#staff-login')
    await waitFor(() =>
      expect(text('.error-summary li')).toBe(
        'Esta cuenta está desactivada. Póngase en contacto con la administración del servicio.',
      ),
    )
  })

  it('is linked from the footer', async () => {
    await mountApp({ fetch: routeApi({}).fetch, language: 'en' })
    await click(byText(document, 'footer a', 'Staff access'))
    expect(window.location.pathname).toBe('/staff/sign-in')
    expect(text('h1')).toBe('Staff sign-in')
  })
})

describe('where staff land after signing in', () => {
  it('is their own home page: agenda for agents and supervisors, audit trail for auditors, staff area otherwise', () => {
    expect(staffHome(['agent'])).toBe('/agenda')
    expect(staffHome(['supervisor'])).toBe('/agenda')
    expect(staffHome(['auditor'])).toBe('/staff/audit')
    expect(staffHome(['admin'])).toBe('/staff/admin')
    expect(staffHome([])).toBe('/me')
  })
})
