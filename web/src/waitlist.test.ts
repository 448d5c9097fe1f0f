import { describe, expect, it } from 'vitest'
import { createApiClient } from './api'
import { createSessionStore } from './session'
import { json, problem, routeApi } from './test/render'
import {
  acceptOffer,
  countdownMilestone,
  fetchOffer,
  fetchWaitlist,
  joinWaitlist,
  keepOfferToken,
  keptOfferToken,
  leaveWaitlist,
  parseEntry,
  secondsLeft,
} from './waitlist'

const ENTRY = {
  id: 'e-1',
  service_id: 'padron-certificate',
  office: 'OMAC',
  from: '2026-12-01',
  to: '2026-12-10',
  part_of_day: 'morning',
  contact: { email: 'ana@example.com' },
  language: 'en',
  joined_at: '2026-11-28T11:00:00+01:00',
}
const OFFER = {
  service_id: 'padron-certificate',
  office: 'OMAC',
  start: '2026-12-01T09:00:00+01:00',
  end: '2026-12-01T09:15:00+01:00',
  hold_until: '2026-11-28T11:15:00+01:00',
  min_assurance: 'low',
}

function client(routes: Parameters<typeof routeApi>[0], signedIn = true) {
  const fake = routeApi(routes)
  const session = createSessionStore(null)
  if (signedIn) session.start({ access_token: 'tok', expires_in: 900 }, 'citizen')
  return { api: createApiClient({ fetch: fake.fetch, session }), fake }
}

describe('the waitlist client', () => {
  it('joins with an idempotency key and the session, and reads the entry back', async () => {
    const { api, fake } = client({ 'POST /api/waitlist': () => json(ENTRY, 201) })
    const body = { service_id: 'padron-certificate', from: '2026-12-01', to: '2026-12-10', contact: { email: 'ana@example.com' }, language: 'en' }
    const entry = await joinWaitlist(api, body, 'key-1')
    expect(entry).toMatchObject({ id: 'e-1', part_of_day: 'morning', contact: { email: 'ana@example.com' } })
    const [call] = fake.callsTo('POST /api/waitlist')
    expect(call?.headers['Idempotency-Key']).toBe('key-1')
    expect(call?.headers.Authorization).toBe('Bearer tok')
    expect(call?.body).toEqual(body)
  })

  it('lists and leaves entries, skipping malformed ones', async () => {
    const { api, fake } = client({
      'GET /api/waitlist': () => json({ items: [ENTRY, { id: 3 }], next: null }),
      'DELETE /api/waitlist/e-1': () => new Response(null, { status: 204 }),
    })
    expect((await fetchWaitlist(api)).map((e) => e.id)).toEqual(['e-1'])
    await leaveWaitlist(api, 'e-1')
    expect(fake.callsTo('DELETE /api/waitlist/e-1')).toHaveLength(1)
    expect(parseEntry({ ...ENTRY, part_of_day: 'night' })?.part_of_day).toBeNull()
  })

  it('reads and accepts an offer without a session, and with one when there is one', async () => {
    const routes = {
      'GET /api/offers/tok-123': () => json(OFFER),
      'POST /api/offers/tok-123/accept': () => json({ id: 'appt-9', ...OFFER, status: 'booked' }, 201),
    }
    const anonymous = client(routes, false)
    expect(await fetchOffer(anonymous.api, 'tok-123')).toEqual(OFFER)
    expect(anonymous.fake.calls[0]?.headers.Authorization).toBeUndefined()
    expect((await acceptOffer(anonymous.api, 'tok-123')).id).toBe('appt-9')

    const signed = client(routes)
    await fetchOffer(signed.api, 'tok-123')
    expect(signed.fake.calls[0]?.headers.Authorization).toBe('Bearer tok')
  })

  it('passes on the API’s reasons (taken, expired)', async () => {
    const { api } = client({ 'POST /api/offers/t/accept': () => problem(409, 'offer_taken') }, false)
    await expect(acceptOffer(api, 't')).rejects.toMatchObject({ status: 409, code: 'offer_taken' })
  })

  it('keeps the token in this tab across the eID sign-in', () => {
    keepOfferToken('tok-123')
    expect(keptOfferToken()).toBe('tok-123')
    keepOfferToken(null)
    expect(keptOfferToken()).toBeNull()
  })

  it('counts down and names only a few moments', () => {
    const now = Date.parse('2026-11-28T10:00:00Z')
    expect(secondsLeft('2026-11-28T11:15:00+01:00', now)).toBe(900)
    expect(secondsLeft('2026-11-28T10:59:00+01:00', now)).toBe(0)
    expect(countdownMilestone(601, 600)).toBe(600)
    expect(countdownMilestone(600, 599)).toBeNull()
    expect(countdownMilestone(31, 30)).toBe(30)
    expect(countdownMilestone(10, 9)).toBeNull()
    expect(countdownMilestone(900, 0)).toBeNull()
  })
})
