/** Test fixtures for the appointment pages: a clock set to a known day, slots, appointments and profiles. */
import { vi } from 'vitest'
import { json } from './render'

/** "Now" is Saturday 28 November 2026, 11:00 in Madrid; the clock keeps running from there (timers still work). */
export const NOW = Date.parse('2026-11-28T10:00:00Z')

const realNow = Date.now.bind(Date)

/** The test process's environment (the app's type-check knows no Node globals). */
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } }).process.env

/**
 * Sets the device's time zone (Node re-reads `TZ` when it changes), as on a PC abroad or a staff PC left in UTC;
 * returns the function that puts the previous one back.
 */
export function setDeviceZone(zone: string): () => void {
  const previous = env.TZ
  env.TZ = zone
  return () => {
    if (previous === undefined) delete env.TZ
    else env.TZ = previous
  }
}

/** "Now" is `at` from here on (the page-test harness restores the real clock after each test). */
export function setClock(at = NOW) {
  const offset = at - realNow()
  return vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset)
}

export const SLOTS = [
  { start: '2026-12-01T09:00:00+01:00', end: '2026-12-01T09:15:00+01:00', available: 2 },
  { start: '2026-12-01T09:15:00+01:00', end: '2026-12-01T09:30:00+01:00', available: 1 },
  { start: '2026-12-03T12:30:00+01:00', end: '2026-12-03T12:45:00+01:00', available: 3 },
]

export const slots = (items = SLOTS) => () => json({ items, next: null })

export const CITIZEN = {
  kind: 'citizen',
  id_number: '12345678Z',
  name: 'Anna Puig',
  assurance: 'substantial',
  auth_method: 'idcatmobil',
}

/** A citizen signed in with a one-time code (low assurance), as `GET /api/me` describes them. */
export const OTP_CITIZEN = {
  kind: 'citizen',
  id_number: '12345678Z',
  name: null,
  assurance: 'low',
  auth_method: 'otp',
  expires_at: '2026-01-01T10:15:00+01:00',
}

export const AGENT = { kind: 'staff', username: 'agent1', name: 'Pere Soler', roles: ['agent'], office: 'OMAC' }

export function appointment(extra: Record<string, unknown> = {}) {
  return {
    id: 'appt-1',
    service_id: 'padron-certificate',
    office: 'OMAC',
    start: '2026-12-01T09:15:00+01:00',
    end: '2026-12-01T09:30:00+01:00',
    status: 'booked',
    language: 'en',
    contact: { email: 'ana@example.com' },
    manage_url: 'https://example.test/appointments/appt-1',
    ...extra,
  }
}
