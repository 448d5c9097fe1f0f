import { describe, expect, it } from 'vitest'
import { LANGUAGES } from '../i18n'
import { appointment, CITIZEN } from '../test/appointments'
import { axeViolations } from '../test/axe'
import { click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, text, unmountApps, waitFor } from '../test/page'

const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()

function offer(extra: Record<string, unknown> = {}) {
  return {
    service_id: 'padron-certificate',
    office: 'OMAC',
    start: '2026-12-01T09:15:00+01:00',
    end: '2026-12-01T09:30:00+01:00',
    hold_until: inMinutes(14),
    min_assurance: 'low',
    ...extra,
  }
}

async function open(routes: Parameters<typeof routeApi>[0] = {}, options: { hash?: string; language?: 'ca' | 'es' | 'en'; signedIn?: boolean } = {}) {
  const api = routeApi({ 'GET /api/offers/tok-1234567890abcdef': () => json(offer()), 'GET /api/me': () => json(CITIZEN), ...routes })
  await mountApp({
    fetch: api.fetch,
    language: options.language ?? 'en',
    path: `/offer${options.hash ?? '#token=tok-1234567890abcdef'}`,
    session: options.signedIn ? signedIn('citizen') : undefined,
  })
  return api
}

describe('the offer of a freed time', () => {
  pageTest({ zone: 'Asia/Tokyo' })

  it('shows the time held, without the token in the address, and books it after one confirmation', async () => {
    const api = await open({
      'POST /api/offers/tok-1234567890abcdef/accept': () => json(appointment({ id: 'appt-7' }), 201),
    })
    await waitFor(() => expect(text('#offer-time')).toMatch(/Tuesday,? 1 December 2026, 09:15 to 09:30/))
    expect(window.location.hash).toBe('')
    expect(window.location.pathname).toBe('/offer')
    expect(text('#offer-facts')).toContain('Residence certificate')
    expect(text('#offer-facts')).toContain('Citizen Service Office')
    expect(text('#offer-left')).toMatch(/\((13:5\d|14:00) left\)/)
    expect(document.querySelector('#offer-left')?.getAttribute('role')).toBe('timer')
    expect(api.callsTo('GET /api/offers/tok-1234567890abcdef')[0]?.headers.Authorization).toBeUndefined()
    expect(await axeViolations()).toEqual([])

    await click(document.querySelector('#offer-book'))
    await waitFor(() => expect(document.activeElement?.id).toBe('offer-confirm-title'))
    expect(text('#offer-confirm-title')).toBe('Book this time?')
    expect(api.callsTo('POST /api/offers/tok-1234567890abcdef/accept')).toHaveLength(0)
    expect(await axeViolations()).toEqual([])

    await click(document.querySelector('#offer-confirm'))
    const done = await find('#offer-done')
    await waitFor(() => expect(document.activeElement).toBe(done))
    expect(done.textContent).toContain('Done: the time is yours.')
    expect(document.querySelector('#offer-appointment')?.getAttribute('href')).toBe('/appointments/appt-7')
    expect(api.callsTo('POST /api/offers/tok-1234567890abcdef/accept')).toHaveLength(1)
    await waitFor(() => expect(liveRegion()).toBe('The time is booked.'))
    expect(sessionStorage.getItem('va.offer')).toBeNull()
    expect(await axeViolations()).toEqual([])
  })

  it('says plainly that someone else was quicker, and that the person stays on the waitlist (409)', async () => {
    await open({ 'POST /api/offers/tok-1234567890abcdef/accept': () => problem(409, 'offer_taken') })
    await click(await find('#offer-book'))
    await click(await find('#offer-confirm'))
    const taken = await find('#offer-taken')
    expect(taken.textContent).toContain('Someone else booked this time first. You stay on the waitlist')
    await waitFor(() => expect(document.activeElement).toBe(taken))
    expect(await axeViolations()).toEqual([])
    unmountApps()

    // Opened after another of the batch booked it: the same words, no "could not be loaded".
    await open({ 'GET /api/offers/tok-1234567890abcdef': () => problem(409, 'offer_taken') })
    await waitFor(() => expect(text('#offer-taken')).toContain('Someone else booked this time first.'))
    expect(document.querySelector('.error-state')).toBeNull()
    expect(sessionStorage.getItem('va.offer')).toBeNull()
  })

  it('explains an expired or used offer (410), whether on opening or on booking', async () => {
    await open({ 'GET /api/offers/tok-1234567890abcdef': () => problem(410, 'offer_expired') })
    await waitFor(() => expect(text('#offer-expired')).toContain('This offer is no longer valid'))
    expect(document.querySelector('.error-state')).toBeNull()
    expect(await axeViolations()).toEqual([])
    unmountApps()

    await open({ 'POST /api/offers/tok-1234567890abcdef/accept': () => problem(410, 'offer_expired') })
    await click(await find('#offer-book'))
    await click(await find('#offer-confirm'))
    await waitFor(() => expect(text('#offer-expired')).toContain('This offer is no longer valid'))
  })

  it('explains a link without a token or an unknown one', async () => {
    await open({}, { hash: '' })
    await waitFor(() => expect(text('#offer-not-found')).toContain('This link is not valid.'))
    unmountApps()
    await open({ 'GET /api/offers/tok-1234567890abcdef': () => problem(404, 'not_found') })
    await waitFor(() => expect(text('#offer-not-found')).toContain('This link is not valid.'))
  })

  it('stops offering the time once its hold has passed on the page', async () => {
    const api = await open({ 'GET /api/offers/tok-1234567890abcdef': () => json(offer({ hold_until: new Date(Date.now() + 1500).toISOString() })) })
    await find('#offer-book')
    await waitFor(() => expect(document.querySelector('#offer-expired')).not.toBeNull(), 5000)
    expect(document.querySelector('#offer-book')).toBeNull()
    expect(api.callsTo('POST /api/offers/tok-1234567890abcdef/accept')).toHaveLength(0)
  })

  it('says how long is left only at a few moments, politely', async () => {
    await open({ 'GET /api/offers/tok-1234567890abcdef': () => json(offer({ hold_until: new Date(Date.now() + 601_500).toISOString() })) })
    await find('#offer-book')
    await waitFor(() => expect(liveRegion()).toBe('10 minutes left to book this time.'), 5000)
  })

  it('leads through eID for a service that asks for it, then comes back to the same offer', async () => {
    await open({ 'GET /api/offers/tok-1234567890abcdef': () => problem(403, 'insufficient_assurance', { required_assurance: 'substantial' }) })
    const start = await find('a#eid-start')
    expect(text('#offer-eid')).toContain('This service asks you to identify yourself with the digital identity')
    const href = start.getAttribute('href') ?? ''
    expect(new URLSearchParams(href.split('?')[1]).get('return_to')).toBe('/offer')
    expect(href).not.toContain('tok-1234567890abcdef')
    expect(sessionStorage.getItem('va.offer')).toBe('tok-1234567890abcdef')
    expect(await axeViolations()).toEqual([])
    unmountApps()

    // Back from eID, signed in: the same offer, asked with the session.
    sessionStorage.setItem('va.offer', 'tok-1234567890abcdef')
    const api = routeApi({ 'GET /api/offers/tok-1234567890abcdef': () => json(offer({ min_assurance: 'substantial' })), 'GET /api/me': () => json(CITIZEN) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/offer', session: signedIn('citizen') })
    await find('#offer-book')
    expect(api.callsTo('GET /api/offers/tok-1234567890abcdef')[0]?.headers.Authorization).toBe('Bearer token-citizen')
  })

  it('leads through eID when the sign-in is no longer enough at the moment of booking', async () => {
    await open({
      'GET /api/offers/tok-1234567890abcdef': [() => json(offer()), () => problem(403, 'insufficient_assurance')],
      'POST /api/offers/tok-1234567890abcdef/accept': () => problem(403, 'insufficient_assurance'),
    })
    await click(await find('#offer-book'))
    await click(await find('#offer-confirm'))
    await find('a#eid-start')
    expect(sessionStorage.getItem('va.offer')).toBe('tok-1234567890abcdef')
  })

  it('speaks Catalan, Spanish and English', async () => {
    for (const language of LANGUAGES) {
      await open({}, { language })
      await find('#offer-book')
      expect(document.documentElement.lang).toBe(language)
      expect(await axeViolations()).toEqual([])
      unmountApps()
    }
  })
})
