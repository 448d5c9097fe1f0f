import { describe, expect, it } from 'vitest'
import {
  byText, click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, storedSession, submit, text, type,
  unmountApps, waitFor,
} from '../test/page'
import { OTP_CITIZEN } from '../test/appointments'

async function requestCode(id = '12345678-z', destination = 'ana@example.com') {
  await type('#id-number', id)
  await type('#destination', destination)
  await submit('form#otp-request')
}

describe('citizen sign-in with a code', () => {
  pageTest()

  it('asks for a code, shows the wrong code with attempts left, then signs in and opens the area', async () => {
    const api = routeApi({
      'POST /api/auth/otp': () => json({ challenge_id: 'ch-1', expires_in: 600 }, 202),
      'POST /api/auth/otp/verify': [
        () => problem(401, 'invalid_code', { attempts_left: 2 }),
        () => json({ access_token: 'tok-1', token_type: 'Bearer', expires_in: 900 }),
      ],
      'GET /api/me': () => json(OTP_CITIZEN),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/sign-in' })
    expect(text('h1')).toBe('Sign in')
    expect(text('main')).toContain('low identification level')

    await requestCode()

    const step = await find('form#otp-verify')
    expect(api.callsTo('POST /api/auth/otp')[0]?.body).toEqual({
      id_number: '12345678Z',
      channel: 'email',
      destination: 'ana@example.com',
      language: 'en',
    })
    // The page's language goes with every request too, for whatever the API sends back.
    expect(api.callsTo('POST /api/auth/otp')[0]?.headers['Accept-Language']).toBe('en')
    expect(document.querySelector('form#otp-request')).toBeNull()
    const heading = byText(document, 'h2', 'Enter the 6-digit code')
    await waitFor(() => expect(document.activeElement).toBe(heading))
    expect(text('.otp-sent')).toBe('We have sent a code to ana@example.com. It is valid for 10 min.')
    await waitFor(() => expect(liveRegion()).toBe('We have sent a code to ana@example.com. It is valid for 10 min.'))
    const input = step.querySelector<HTMLInputElement>('#otp-code')
    expect(input?.getAttribute('inputmode')).toBe('numeric')
    expect(input?.getAttribute('autocomplete')).toBe('one-time-code')
    expect(input?.getAttribute('pattern')).toBe('[0-9]{6}')

    await type('#otp-code', '111111')
    await submit('form#otp-verify')

    await waitFor(() => expect(text('#otp-code-error')).toBe('Error: The code is not correct. Attempts left: 2.'))
    expect(input?.getAttribute('aria-invalid')).toBe('true')
    expect(input?.getAttribute('aria-describedby')).toBe('otp-code-hint otp-code-error')
    const summary = document.querySelector('.error-summary')
    expect(document.activeElement).toBe(summary)
    expect(summary?.querySelector('a')?.getAttribute('href')).toBe('#otp-code')
    expect(document.body.textContent).not.toContain('In English.')
    expect(api.callsTo('POST /api/auth/otp/verify')[0]?.body).toEqual({ challenge_id: 'ch-1', code: '111111' })

    await type('#otp-code', ' 123 456 ')
    await submit('form#otp-verify')

    await waitFor(() => expect(window.location.pathname).toBe('/me'))
    expect(api.callsTo('POST /api/auth/otp/verify')[1]?.body).toEqual({ challenge_id: 'ch-1', code: '123456' })
    expect(storedSession()).toMatchObject({
      access_token: 'tok-1',
      kind: 'citizen',
      contact: { channel: 'email', destination: 'ana@example.com' },
    })
    await waitFor(() => expect(text('h1')).toBe('My area'))
    await waitFor(() => expect(text('#citizen-id')).toContain('****678Z'))
    expect(api.callsTo('GET /api/me')[0]?.headers.Authorization).toBe('Bearer tok-1')
  })

  it('checks the DNI letter before asking the API, and links the error to the field', async () => {
    const api = routeApi({})
    await mountApp({ fetch: api.fetch, language: 'en', path: '/sign-in' })

    await requestCode('54362315Z', 'not-an-email')

    const summary = await find('.error-summary')
    expect(document.activeElement).toBe(summary)
    expect([...summary.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.textContent])).toEqual([
      ['#id-number', 'The letter does not match the number: check your DNI or NIE.'],
      ['#destination', 'Enter an email address like name@example.com.'],
    ])
    const id = document.querySelector('#id-number')
    expect(id?.getAttribute('aria-invalid')).toBe('true')
    expect(id?.getAttribute('aria-describedby')).toBe('id-number-hint id-number-error')
    expect(api.callsTo('POST /api/auth/otp')).toHaveLength(0)

    await click(summary.querySelector('a'))
    expect(document.activeElement).toBe(id)
  })

  it('sends an SMS code to an international number, with a phone keyboard', async () => {
    const api = routeApi({ 'POST /api/auth/otp': () => json({ challenge_id: 'ch-2', expires_in: 600 }, 202) })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/sign-in' })

    await click(document.querySelector('input[name=channel][value=sms]'))
    const destination = document.querySelector('#destination')
    expect(destination?.getAttribute('type')).toBe('tel')
    expect(destination?.getAttribute('inputmode')).toBe('tel')
    expect(destination?.getAttribute('autocomplete')).toBe('tel')
    expect(text('label[for=destination]')).toBe('Número de móvil')

    await requestCode('X1234567L', '612 345 678')

    await find('form#otp-verify')
    expect(api.callsTo('POST /api/auth/otp')[0]?.body).toEqual({
      id_number: 'X1234567L',
      channel: 'sms',
      destination: '+34612345678',
      language: 'es',
    })
    expect(api.callsTo('POST /api/auth/otp')[0]?.headers['Accept-Language']).toBe('es')
  })

  it('says how long to wait when rate limited, from Retry-After', async () => {
    const api = routeApi({
      'POST /api/auth/otp': [
        () => problem(429, 'rate_limited', {}, { 'Retry-After': '300' }),
        () => problem(429, 'rate_limited', {}, { 'Retry-After': '61' }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/sign-in' })

    await requestCode()
    await waitFor(() => expect(text('.error-summary li')).toBe("Massa intents. Torneu-ho a provar d'aquí a 5 min."))
    expect(document.activeElement).toBe(document.querySelector('.error-summary'))

    await submit('form#otp-request')
    await waitFor(() => expect(text('.error-summary li')).toBe("Massa intents. Torneu-ho a provar d'aquí a 2 min."))
  })

  it('puts the API’s field errors on the fields, in the person’s language', async () => {
    const api = routeApi({
      'POST /api/auth/otp': () =>
        problem(422, 'validation_error', { errors: [{ field: 'destination', message: 'Not deliverable' }] }),
    })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/sign-in' })
    await requestCode()
    await waitFor(() =>
      expect(text('#destination-error')).toBe(
        'Error: La dirección de correo electrónico o el número de móvil no es válido.',
      ),
    )
    expect(document.body.textContent).not.toContain('Not deliverable')
  })

  it('asks for a new code when the code expired or was tried too often', async () => {
    const api = routeApi({
      'POST /api/auth/otp': [
        () => json({ challenge_id: 'ch-1', expires_in: 600 }, 202),
        () => json({ challenge_id: 'ch-2', expires_in: 600 }, 202),
      ],
      'POST /api/auth/otp/verify': [
        () => problem(401, 'code_expired'),
        () => problem(429, 'too_many_attempts'),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/sign-in' })
    await requestCode()
    await find('form#otp-verify')

    await type('#otp-code', '123456')
    await submit('form#otp-verify')
    await waitFor(() => expect(text('.error-summary li')).toBe('The code has expired. Ask for a new one.'))
    expect(document.querySelector('.error-summary a')?.getAttribute('href')).toBe('#otp-verify-resend')

    await click(byText(document, 'button', 'Send me a new code'))
    await waitFor(() => expect(liveRegion()).toBe('We have sent a new code to ana@example.com.'))
    expect(document.querySelector('.error-summary')).toBeNull()
    expect(api.callsTo('POST /api/auth/otp')[1]?.body).toEqual(api.callsTo('POST /api/auth/otp')[0]?.body)

    await type('#otp-code', '123456')
    await submit('form#otp-verify')
    await waitFor(() =>
      expect(text('.error-summary li')).toBe('Too many wrong attempts: this code no longer works. Ask for a new one.'),
    )
    expect(api.callsTo('POST /api/auth/otp/verify')[1]?.body).toEqual({ challenge_id: 'ch-2', code: '123456' })
  })

  it('shows the development outbox on the code step only where the API has one', async () => {
    const messages = [
      { to: 'ana@example.com', subject: 'Your code', body: 'Your code is 482913', sent_at: '2026-01-01T10:00:00Z' },
    ]
    const api = routeApi({
      'POST /api/auth/otp': () => json({ challenge_id: 'ch-1', expires_in: 600 }, 202),
      'GET /api/dev/outbox': () => json({ items: messages }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/sign-in' })
    expect(api.callsTo('GET /api/dev/outbox')).toHaveLength(0)

    await requestCode()

    const panel = await find('section#dev-outbox')
    expect(panel.querySelector('h2')?.textContent).toBe('Development: messages sent')
    expect(api.callsTo('GET /api/dev/outbox')[0]?.url).toBe('/api/dev/outbox?to=ana%40example.com')
    await waitFor(() => expect(panel.querySelector('li')?.textContent).toContain('Your code is 482913'))

    await click(byText(panel, 'button', 'Refresh messages'))
    await waitFor(() => expect(api.callsTo('GET /api/dev/outbox')).toHaveLength(2))
  })

  it('has no outbox panel where the API answers 404, and asks only once', async () => {
    const api = routeApi({ 'POST /api/auth/otp': () => json({ challenge_id: 'ch-1', expires_in: 600 }, 202) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/sign-in' })
    await requestCode()
    await find('form#otp-verify')
    await waitFor(() => expect(api.callsTo('GET /api/dev/outbox')).toHaveLength(1))

    await click(byText(document, 'button', 'Send me a new code'))
    await waitFor(() => expect(api.callsTo('POST /api/auth/otp')).toHaveLength(2))
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(document.querySelector('#dev-outbox')).toBeNull()
    expect(api.callsTo('GET /api/dev/outbox')).toHaveLength(1)
  })

  it('offers the digital identity, coming back to a safe return_to only', async () => {
    await mountApp({ fetch: routeApi({}).fetch, language: 'ca', path: '/sign-in?return_to=%2Fservices%2Fx' })
    const link = document.querySelector('a#eid-start')
    expect(link?.getAttribute('href')).toMatch(/^\/api\/auth\/eid\/start\?return_to=%2Fservices%2Fx&attempt=[\w-]{16,}$/)
    expect(link?.textContent).toBe("Identificar-se amb la identitat digital (idCAT Mòbil, Cl@ve, certificat)")
    unmountApps()

    await mountApp({ fetch: routeApi({}).fetch, language: 'ca', path: '/sign-in?return_to=%2F%2Fevil.example' })
    expect(document.querySelector('a#eid-start')?.getAttribute('href')).toMatch(/^\/api\/auth\/eid\/start\?return_to=%2Fme&attempt=[\w-]{16,}$/)
  })
})

const value = (selector: string) => document.querySelector<HTMLInputElement>(selector)?.value

describe('signing in when the service is briefly unavailable (503)', () => {
  pageTest()

  it('says so in plain words and keeps what the person typed', async () => {
    const api = routeApi({
      'POST /api/auth/otp': () => problem(503, 'service_unavailable', {}, { 'Retry-After': '30' }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/sign-in' })

    await type('#id-number', '12345678Z')
    await type('#destination', 'ana@example.com')
    await submit('form#otp-request')

    await waitFor(() => expect(document.querySelector('.error-summary')?.textContent).toContain('no està disponible'))
    expect(document.querySelector('.error-summary')?.textContent).toContain('El que heu escrit es manté')
    expect(value('#id-number')).toBe('12345678Z')
    expect(value('#destination')).toBe('ana@example.com')
    expect(document.querySelector('form#otp-request')).not.toBeNull()
  })
})
