import { describe, expect, it } from 'vitest'
import { LANGUAGES } from '../i18n'
import { CITIZEN, OTP_CITIZEN, slots } from '../test/appointments'
import { axeViolations } from '../test/axe'
import {
  click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, SERVICES, signedIn, submit, text, type, unmountApps,
  waitFor,
} from '../test/page'

const ENTRY = {
  id: 'e-1',
  service_id: 'padron-certificate',
  office: 'OMAC',
  from: '2026-11-30',
  to: '2026-12-12',
  part_of_day: 'morning',
  contact: { email: 'anna@example.com' },
  language: 'en',
  joined_at: '2026-11-28T11:00:00+01:00',
}

const session = () => ({ ...signedIn('citizen'), contact: { channel: 'email' as const, destination: 'anna@example.com' } })

async function open(routes: Parameters<typeof routeApi>[0], path = '/waitlist?service=padron-certificate', language: 'ca' | 'es' | 'en' = 'en') {
  const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/waitlist': () => json({ items: [], next: null }), ...routes })
  await mountApp({ fetch: api.fetch, language, path, session: session() })
  return api
}

describe('the waitlist', () => {
  pageTest({ zone: 'America/New_York' })

  it('is offered on the booking page when no time suits', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/services/padron-certificate/slots': slots() })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/book/padron-certificate', session: session() })
    const link = await find('a#waitlist-join')
    expect(text('#waitlist-offer')).toBe('No time suits you? Join the waitlist')
    expect(link.getAttribute('href')).toBe('/waitlist?service=padron-certificate')
  })

  it('joins with the days, part of the day and the verified contact, and shows the entry', async () => {
    const api = await open({
      'GET /api/waitlist': [() => json({ items: [], next: null }), () => json({ items: [ENTRY], next: null })],
      'POST /api/waitlist': () => json(ENTRY, 201),
    })
    await find('#wl-form')
    expect(text('h1')).toBe('Join the waitlist')
    expect(text('#wl-join-title')).toBe('Residence certificate · Citizen Service Office')
    // Today up to the booking horizon, on the council's calendar.
    const from = document.querySelector<HTMLInputElement>('#wl-from')
    expect(from?.min).toBe('2026-11-28')
    expect(from?.max).toBe('2027-01-27')
    expect(document.querySelector<HTMLInputElement>('#wl-email')?.value).toBe('anna@example.com')
    expect(await axeViolations()).toEqual([])

    await type('#wl-from', '2026-11-30')
    await type('#wl-to', '2026-12-12')
    await click(document.querySelector('#wl-part-morning'))
    await submit('form#wl-form')

    const done = await find('#wl-joined')
    await waitFor(() => expect(document.activeElement).toBe(done))
    expect(done.textContent).toMatch(/You are on the waitlist for Residence certificate, from Monday,? 30 November 2026 to Saturday,? 12 December 2026/)
    const [call] = api.callsTo('POST /api/waitlist')
    expect(call?.body).toEqual({
      service_id: 'padron-certificate',
      from: '2026-11-30',
      to: '2026-12-12',
      part_of_day: 'morning',
      contact: { email: 'anna@example.com' },
      language: 'en',
    })
    expect(call?.headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/)
    await waitFor(() => expect(document.querySelectorAll('#wl-entries li')).toHaveLength(1))
    expect(text('#wl-entries')).toContain('Morning (before 14:00)')
    expect(text('#wl-entries')).toContain('Offers go to anna@example.com')
    expect(await axeViolations()).toEqual([])
  })

  it('bounds the days by the service’s own booking horizon', async () => {
    const short = SERVICES.map((s) => ({ ...s, horizon_days: 30 }))
    await open({ 'GET /api/services': () => json({ items: short, next: null }) })
    await find('#wl-form')
    expect(document.querySelector<HTMLInputElement>('#wl-to')?.max).toBe('2026-12-28')
    expect(text('#wl-days-hint')).toMatch(/up to Monday,? 28 December 2026/)
  })

  it('checks the days and the contact before sending, each at its field', async () => {
    const api = await open({})
    await find('#wl-form')
    await type('#wl-from', '2026-12-10')
    await type('#wl-to', '2026-12-01')
    await type('#wl-email', '')
    await submit('form#wl-form')
    await find('#wl-errors')
    expect(text('#wl-to-error')).toContain('The last day cannot be before the first one.')
    expect(text('#wl-email-error')).toContain('at least one is needed to send you the offers')
    expect(document.querySelector('#wl-to')?.getAttribute('aria-invalid')).toBe('true')
    expect(api.callsTo('POST /api/waitlist')).toHaveLength(0)
    expect(await axeViolations()).toEqual([])
  })

  it('places the API’s 422 on the field it names, and explains joining twice', async () => {
    await open({
      'POST /api/waitlist': [
        () => problem(422, 'validation_error', { errors: [{ field: 'to', message: 'must be a day from … to …' }] }),
        () => problem(409, 'already_waitlisted'),
      ],
    })
    await find('#wl-form')
    await submit('form#wl-form')
    await waitFor(() => expect(text('#wl-to-error')).toMatch(/Choose a day from Saturday,? 28 November 2026 to/))
    expect(document.querySelector('#wl-from-error')).toBeNull()
    await submit('form#wl-form')
    await waitFor(() => expect(text('#wl-errors')).toContain('You are already on the waitlist for this service.'))
  })

  it('leads a code sign-in through eID for a service that asks for it', async () => {
    const api = await open({ 'GET /api/me': () => json(OTP_CITIZEN) })
    const start = await find('a#eid-start')
    expect(start.getAttribute('href')).toContain(encodeURIComponent('/waitlist?service=padron-certificate'))
    expect(document.querySelector('#wl-form')).toBeNull()
    expect(api.callsTo('POST /api/waitlist')).toHaveLength(0)
  })

  it('asks to sign in first, and comes back to the same form', async () => {
    const api = routeApi({})
    await mountApp({ fetch: api.fetch, language: 'en', path: '/waitlist?service=padron-certificate' })
    await waitFor(() => expect(window.location.pathname).toBe('/sign-in'))
    expect(new URLSearchParams(window.location.search).get('return_to')).toBe('/waitlist?service=padron-certificate')
    expect(api.callsTo('GET /api/waitlist')).toHaveLength(0)
  })

  it('lists my entries and leaves one', async () => {
    const api = await open(
      {
        'GET /api/waitlist': () => json({ items: [ENTRY], next: null }),
        'DELETE /api/waitlist/e-1': () => new Response(null, { status: 204 }),
      },
      '/waitlist',
    )
    await find('#wl-entries')
    expect(text('h1')).toBe('My waitlist')
    expect(text('#wl-entries h2')).toBe('Residence certificate')
    expect(text('#wl-entries')).toMatch(/From Monday,? 30 November 2026 to Saturday,? 12 December 2026/)
    expect(await axeViolations()).toEqual([])
    await click(document.querySelector('#wl-leave-e-1'))
    await find('#wl-empty')
    expect(api.callsTo('DELETE /api/waitlist/e-1')).toHaveLength(1)
    await waitFor(() => expect(liveRegion()).toBe('You have left the waitlist for Residence certificate.'))
    expect(document.activeElement?.id).toBe('wl-title')
  })

  it('speaks Catalan, Spanish and English, and is reached from my appointments', async () => {
    for (const language of LANGUAGES) {
      await open({ 'GET /api/waitlist': () => json({ items: [ENTRY], next: null }) }, '/waitlist?service=padron-certificate', language)
      await find('#wl-entries')
      expect(await axeViolations()).toEqual([])
      unmountApps()
    }
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/appointments': () => json({ items: [] }) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments', session: session() })
    expect((await find('a#my-waitlist')).getAttribute('href')).toBe('/waitlist')
  })
})
