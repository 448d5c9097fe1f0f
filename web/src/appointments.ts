/**
 * Appointments: the API's shapes, and the council's clock. Every date and time is shown in Europe/Madrid whatever the
 * zone of the device (someone abroad, a staff PC set to UTC), and days are "YYYY-MM-DD" keys of the Madrid calendar.
 */
import type { ApiClient } from './api'
import { parseCallInfo, parseCallWindow, type CallInfo, type CallWindow } from './call/protocol'
import type { Language } from './i18n'

export const ZONE = 'Europe/Madrid'

export interface Slot {
  /** RFC 3339 with offset, exactly as the API gave it (the radio's value and the booking's `start`). */
  start: string
  end: string
  /** Places left. */
  available: number
}

/** `needs_rebooking`: its agent's time went away (leave, a holiday…) and nobody else was free: the citizen chooses again. */
export type Status = 'booked' | 'cancelled' | 'completed' | 'incomplete' | 'no_show' | 'needs_rebooking'
export type Outcome = 'completed' | 'incomplete' | 'no_show'
export const OUTCOMES: Outcome[] = ['completed', 'incomplete', 'no_show']

export interface Appointment {
  id: string
  service_id: string
  office: string
  start: string
  end: string
  status: string
  language?: string
  contact?: { email?: string; phone?: string }
  manage_url?: string
  /** Staff only. */
  citizen?: { id_number_masked: string; name: string | null }
  outcome?: string | null
  /** The live video call (waiting room state, recording); null when the API gave none. */
  call?: CallInfo | null
  /** When the call may be joined: from 15 min before the start to 60 min after the end. */
  call_window?: CallWindow | null
  /** The citizen's pre-flight check as the API sent it (read by the agenda: `parsePreflightSummary`). */
  preflight?: unknown
}



export interface Agenda {
  date: string
  office: string
  items: Appointment[]
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const str = (v: unknown): v is string => typeof v === 'string'

export function parseAppointment(value: unknown, office = ''): Appointment | null {
  if (!isObject(value) || !str(value.id) || !str(value.start) || !str(value.end)) return null
  const c = value.citizen
  return {
    ...(value as unknown as Appointment),
    service_id: str(value.service_id) ? value.service_id : '',
    office: str(value.office) ? value.office : office,
    status: str(value.status) ? value.status : 'booked',
    citizen: isObject(c)
      ? { id_number_masked: str(c.id_number_masked) ? c.id_number_masked : '', name: str(c.name) ? c.name : null }
      : undefined,
    call: parseCallInfo(value.call),
    call_window: parseCallWindow(value.call_window),
    preflight: value.preflight,
  }
}

export function parseItems<T>(body: unknown, parse: (item: unknown) => T | null): T[] {
  const items = isObject(body) ? body.items : null
  return Array.isArray(items) ? items.map(parse).filter((x): x is T => x !== null) : []
}

export function parseSlot(value: unknown): Slot | null {
  if (!isObject(value) || !str(value.start) || !str(value.end)) return null
  return { start: value.start, end: value.end, available: typeof value.available === 'number' ? value.available : 1 }
}

/** `GET /services/{id}/slots` for the days `from`…`to` (inclusive). */
export async function fetchSlots(api: ApiClient, serviceId: string, from: string, to: string): Promise<Slot[]> {
  const body = await api.request(`/services/${encodeURIComponent(serviceId)}/slots?from=${from}&to=${to}`)
  return parseItems(body, parseSlot)
}

export async function fetchAppointment(api: ApiClient, id: string): Promise<Appointment> {
  const found = parseAppointment(await api.request(`/appointments/${encodeURIComponent(id)}`, { auth: true }))
  if (!found) throw new Error('Unexpected response')
  return found
}

/** A POST to `/appointments/{id}/{action}` answering the appointment. */
export async function changeAppointment(api: ApiClient, id: string, action: string, body: unknown = {}) {
  const found = parseAppointment(
    await api.request(`/appointments/${encodeURIComponent(id)}/${action}`, { method: 'POST', auth: true, body }),
  )
  if (!found) throw new Error('Unexpected response')
  return found
}

/** Fetches the appointment's calendar file with the session's token and hands it to the browser as a download. */
export async function downloadCalendar(api: ApiClient, id: string): Promise<void> {
  const blob = await api.download(`/appointments/${encodeURIComponent(id)}/calendar.ics`, { auth: true })
  const url = URL.createObjectURL(new Blob([blob], { type: 'text/calendar' }))
  const link = document.createElement('a')
  link.href = url
  link.download = `cita-${id}.ics`
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

// ---- The council's clock ----

/** English dates the European way ("Monday 1 December"), as a Barcelona-area council writes them. */
const locale = (language: Language) => (language === 'en' ? 'en-GB' : language)

function format(language: Language, instant: string | number | Date, options: Intl.DateTimeFormatOptions) {
  return new Intl.DateTimeFormat(locale(language), { timeZone: ZONE, ...options }).format(new Date(instant))
}

/** "09:15", on the council's clock. */
export function formatTime(language: Language, instant: string | number | Date): string {
  return format(language, instant, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
}

/** "dilluns, 1 de desembre del 2026" / "Monday 1 December 2026" (without the year: `year` false). */
export function formatDate(language: Language, instant: string | number | Date, year = true): string {
  return format(language, instant, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(year ? { year: 'numeric' } : {}),
  })
}

/** A day key shown as a date: noon UTC of that day is the same day in Madrid. */
export function formatDay(language: Language, day: string, year = false): string {
  return formatDate(language, `${day}T12:00:00Z`, year)
}

/** The Madrid calendar day of an instant, "YYYY-MM-DD". */
export function madridDay(instant: string | number | Date): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(instant))
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  return `${part('year')}-${part('month')}-${part('day')}`
}

export function today(): string {
  return madridDay(Date.now())
}

export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10)
}

/** Whole days from `a` to `b`. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000)
}

export function isDay(value: string | null): value is string {
  return value !== null && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
}

export function minutesBetween(start: string, end: string): number {
  return Math.round((Date.parse(end) - Date.parse(start)) / 60_000)
}

export function isUpcoming(appointment: Appointment, now = Date.now()): boolean {
  return (appointment.status === 'booked' && Date.parse(appointment.end) > now) || appointment.status === 'needs_rebooking'
}

/**
 * Whether the appointment can still be changed or cancelled: not once its time has come or its call has started
 * (the API answers 409 `already_started` then). One that needs a new time always can.
 */
export function canChange(appointment: Appointment, now = Date.now()): boolean {
  if (appointment.status === 'needs_rebooking') return true
  const call = appointment.call?.state
  return appointment.status === 'booked' && Date.parse(appointment.start) > now && call !== 'in_call' && call !== 'ended'
}

// ---- Booking in progress ----

/** The slot chosen before signing in, kept for this tab so the booking resumes afterwards. */
const PENDING_KEY = 'va.booking'

export interface PendingBooking {
  service: string
  start: string
}

export function savePending(pending: PendingBooking | null): void {
  try {
    if (pending) sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending))
    else sessionStorage.removeItem(PENDING_KEY)
  } catch {
    // Blocked storage: the choice is lost on sign-in, nothing worse.
  }
}

export function readPending(service: string): PendingBooking | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as unknown
    return isObject(value) && value.service === service && str(value.start) ? { service, start: value.start } : null
  } catch {
    return null
  }
}

/** A random UUID (v4) for `Idempotency-Key`, also where `crypto.randomUUID` is missing (older Safari). */
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
