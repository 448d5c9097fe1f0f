/**
 * The waitlist and its offers: the API's shapes and calls.
 *
 * A signed-in citizen joins a service's waitlist for a range of days (`POST /waitlist`, idempotent with
 * `Idempotency-Key`), sees their entries (`GET /waitlist`) and leaves one (`DELETE /waitlist/{id}`). When a time frees,
 * the people waiting are sent an offer: a one-tap link `/offer#token=…`. The token travels in the fragment (never in
 * a request line a web server logs) and is read from there by the offer page, which asks `GET /offers/{token}` and
 * books with `POST /offers/{token}/accept` (201 the appointment; 409 `offer_taken`; 410 `offer_expired`). A service
 * above low assurance answers 403 `insufficient_assurance` until an eID sign-in of the same person comes with the
 * request: the token is then kept in this tab (`keepOfferToken`) while the person goes through eID and back.
 */
import type { ApiClient } from './api'
import { parseAppointment, parseItems, type Appointment } from './appointments'

export type PartOfDay = 'morning' | 'afternoon'
export const PARTS_OF_DAY: readonly PartOfDay[] = ['morning', 'afternoon']

/** The default booking horizon of a service (days ahead), where the catalogue does not say. */
export const DEFAULT_HORIZON_DAYS = 60

export interface WaitlistEntry {
  id: string
  service_id: string
  office: string
  /** First and last day ("YYYY-MM-DD", Madrid calendar) a time may be offered for. */
  from: string
  to: string
  part_of_day: PartOfDay | null
  contact: { email?: string; phone?: string }
  language: string
  joined_at: string
}

export interface JoinRequest {
  service_id: string
  from: string
  to: string
  part_of_day?: PartOfDay
  contact: { email?: string; phone?: string }
  language: string
}

/** A time offered to someone waiting, held for them until `hold_until`. */
export interface Offer {
  service_id: string
  office: string
  start: string
  end: string
  hold_until: string
  min_assurance: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const str = (v: unknown): v is string => typeof v === 'string'

function parseContact(value: unknown): { email?: string; phone?: string } {
  if (!isObject(value)) return {}
  return { ...(str(value.email) ? { email: value.email } : {}), ...(str(value.phone) ? { phone: value.phone } : {}) }
}

export function parseEntry(value: unknown): WaitlistEntry | null {
  if (!isObject(value) || !str(value.id) || !str(value.service_id) || !str(value.from) || !str(value.to)) return null
  const part = value.part_of_day
  return {
    id: value.id,
    service_id: value.service_id,
    office: str(value.office) ? value.office : '',
    from: value.from,
    to: value.to,
    part_of_day: part === 'morning' || part === 'afternoon' ? part : null,
    contact: parseContact(value.contact),
    language: str(value.language) ? value.language : 'ca',
    joined_at: str(value.joined_at) ? value.joined_at : '',
  }
}

export function parseOffer(value: unknown): Offer | null {
  if (!isObject(value) || !str(value.service_id) || !str(value.start) || !str(value.hold_until)) return null
  return {
    service_id: value.service_id,
    office: str(value.office) ? value.office : '',
    start: value.start,
    end: str(value.end) ? value.end : value.start,
    hold_until: value.hold_until,
    min_assurance: str(value.min_assurance) ? value.min_assurance : 'low',
  }
}

const unexpected = () => new Error('Unexpected response')

/** `POST /waitlist`; `key`: the attempt's `Idempotency-Key` (the same on a retry after no answer). */
export async function joinWaitlist(api: ApiClient, body: JoinRequest, key: string): Promise<WaitlistEntry> {
  const entry = parseEntry(
    await api.request('/waitlist', { method: 'POST', auth: true, body, headers: { 'Idempotency-Key': key } }),
  )
  if (!entry) throw unexpected()
  return entry
}

/** `GET /waitlist`: the signed-in citizen's entries. */
export async function fetchWaitlist(api: ApiClient): Promise<WaitlistEntry[]> {
  return parseItems(await api.request('/waitlist', { auth: true }), parseEntry)
}

/** `DELETE /waitlist/{id}`. */
export async function leaveWaitlist(api: ApiClient, id: string): Promise<void> {
  await api.request(`/waitlist/${encodeURIComponent(id)}`, { method: 'DELETE', auth: true })
}

/** With the session's token when there is one (a service above low assurance needs the same person's eID). */
const optionalAuth = (api: ApiClient) => (api.session.peek() ? { auth: true, quiet: true } : {})

/** `GET /offers/{token}`: the time offered, its service and office, and until when it is held. */
export async function fetchOffer(api: ApiClient, token: string): Promise<Offer> {
  const offer = parseOffer(await api.request(`/offers/${encodeURIComponent(token)}`, optionalAuth(api)))
  if (!offer) throw unexpected()
  return offer
}

/** `POST /offers/{token}/accept`: the appointment booked. */
export async function acceptOffer(api: ApiClient, token: string): Promise<Appointment> {
  const booked = parseAppointment(
    await api.request(`/offers/${encodeURIComponent(token)}/accept`, { method: 'POST', body: {}, ...optionalAuth(api) }),
  )
  if (!booked) throw unexpected()
  return booked
}

// ---- The offer's token across an eID sign-in ----

const OFFER_KEY = 'va.offer'

/** Keeps the offer's token in this tab while the person signs in with eID (the return address never carries it). */
export function keepOfferToken(token: string | null): void {
  try {
    if (token) sessionStorage.setItem(OFFER_KEY, token)
    else sessionStorage.removeItem(OFFER_KEY)
  } catch {
    // Blocked storage: after eID the person opens the link from the message again.
  }
}

export function keptOfferToken(): string | null {
  try {
    return sessionStorage.getItem(OFFER_KEY)
  } catch {
    return null
  }
}

/** Whole seconds from `now` until `until` (never below 0). */
export function secondsLeft(until: string, now = Date.now()): number {
  return Math.max(0, Math.ceil((Date.parse(until) - now) / 1000))
}

/** The moments (seconds left) the countdown is said to screen readers: a few, politely, never every second. */
export const MILESTONES = [600, 300, 120, 60, 30]

/** The milestone (seconds left) passed going from `previous` to `current` seconds left, if one was. */
export function countdownMilestone(previous: number, current: number): number | null {
  if (current <= 0) return null
  return MILESTONES.find((m) => previous > m && current <= m) ?? null
}
