/**
 * The back office's side of the API: offices, services, procedures, staff, schedules, leave, holidays and the jobs that
 * handle many affected appointments (admins, `/admin/*`); the supervisor's figures (`/stats`) and "needs rebooking"
 * list; staff account activation, and the fragment helpers the emailed links' pages use. Only the lazy back-office pages import this
 * module, so none of it travels in the first-load bundle.
 *
 * Every admin object carries `version`: a write sends the version it read, and a stale one answers 409
 * `version_conflict`. Writes that can take capacity away accept `?preview=true`: nothing is saved, and the answer lists
 * what each affected appointment would get.
 */
import type { ApiClient } from './api'
import { offerDownload } from './download'
import type { LocalizedText } from './i18n'
import { query } from './query'
import type { Office, Service } from './services'

/** ["HH:MM", "HH:MM"] */
export type Interval = [string, string]
/** ISO weekday ("1" = Monday … "7" = Sunday) → intervals. */
export type Weekly = Record<string, Interval[]>
export const WEEKDAYS = ['1', '2', '3', '4', '5', '6', '7'] as const

/** An office as the citizen's `GET /offices` gives it, and what only the back office reads and writes. */
export interface AdminOffice extends Office {
  kinds: string[]
  opening_hours: Weekly
  overflow_after_minutes: number
  version: number
}

/** A service as the catalogue gives it (disabled ones too), and what only the back office reads and writes. */
export interface AdminService extends Service {
  procedure: string | null
  enabled: boolean
  buffer_minutes: number
  min_notice_minutes: number
  horizon_days: number
  version: number
}

export interface Procedure {
  id: string
  office_kinds: string[]
  name: LocalizedText
}

export const ROLES = ['agent', 'supervisor', 'auditor', 'admin'] as const

export interface StaffException {
  date: string
  kind: 'leave' | 'extra'
  intervals: Interval[]
}

export interface StaffMember {
  username: string
  name: string
  email: string
  roles: string[]
  office: string | null
  enabled: boolean
  activated: boolean
  version: number
  schedule: { office: string | null; weekly: Weekly; version: number }
  exceptions: StaffException[]
}

export type AffectedAction = 'reassigned' | 'needs_rebooking' | 'cancelled'

export interface Affected {
  appointment_id: string
  start: string
  service_id: string
  action: AffectedAction
  agent?: string | null
}

export interface Job {
  id: string
  total: number
}

export interface JobStatus {
  id: string
  kind: string
  status: 'running' | 'done' | 'failed'
  total: number
  done: number
  affected: Affected[]
}

/** What a write that can take capacity away answers (or, with `?preview=true`, would). */
export interface Change {
  affected: Affected[]
  job?: Job | null
}

export const SCOPES = ['national', 'regional', 'local'] as const

export interface Holiday {
  date: string
  name: LocalizedText
  scope: (typeof SCOPES)[number]
  office?: string | null
}

export interface Holidays {
  year: number
  items: Holiday[]
  /** 0: the year was never saved, and `items` is the official list. */
  version: number
}

const items = <T>(body: unknown): T[] => {
  const list = (body as { items?: unknown } | null)?.items
  return Array.isArray(list) ? (list as T[]) : []
}

/** The API's answer to a change, with `affected` always a list. */
export function asChange(body: unknown): Change {
  const b = (body ?? {}) as { affected?: unknown; job?: unknown }
  const job = b.job as Job | undefined | null
  return {
    affected: Array.isArray(b.affected) ? (b.affected as Affected[]) : [],
    job: job && typeof job.id === 'string' ? job : null,
  }
}

const path = (...parts: string[]) => parts.map(encodeURIComponent).join('/')

export async function listOffices(api: ApiClient): Promise<AdminOffice[]> {
  return items<AdminOffice>(await api.request('/admin/offices', { auth: true }))
}

export async function listServices(api: ApiClient, office: string): Promise<AdminService[]> {
  return items<AdminService>(await api.request(`/admin/services${query({ office })}`, { auth: true }))
}

export async function listProcedures(api: ApiClient): Promise<Procedure[]> {
  return items<Procedure>(await api.request('/admin/procedures', { auth: true }))
}

export async function listStaff(api: ApiClient, office: string): Promise<StaffMember[]> {
  return items<StaffMember>(await api.request(`/admin/staff${query({ office })}`, { auth: true })).map(withDefaults)
}

export async function getStaff(api: ApiClient, username: string): Promise<StaffMember> {
  return withDefaults((await api.request(`/admin/staff/${path(username)}`, { auth: true })) as StaffMember)
}

function withDefaults(staff: StaffMember): StaffMember {
  return {
    ...staff,
    roles: staff.roles ?? [],
    schedule: staff.schedule ?? { office: staff.office, weekly: {}, version: 0 },
    exceptions: staff.exceptions ?? [],
  }
}

export async function getHolidays(api: ApiClient, year: number): Promise<Holidays> {
  const body = (await api.request(`/admin/holidays?year=${year}`, { auth: true })) as Holidays
  return { year: body.year ?? year, items: body.items ?? [], version: body.version ?? 0 }
}

export async function getJob(api: ApiClient, id: string): Promise<JobStatus> {
  const job = (await api.request(`/admin/jobs/${path(id)}`, { auth: true })) as JobStatus
  return { ...job, affected: job.affected ?? [] }
}

/** A write to `/admin/…`; with `preview`, nothing is saved and the answer says what the change would do. */
export function adminWrite<T = unknown>(
  api: ApiClient,
  method: 'POST' | 'PUT' | 'DELETE',
  to: string,
  body?: unknown,
  preview = false,
): Promise<T> {
  return api.request<T>(`${to}${preview ? '?preview=true' : ''}`, { method, auth: true, body })
}

export const officePath = (id?: string) => (id ? `/admin/offices/${path(id)}` : '/admin/offices')
export const servicePath = (id?: string) => (id ? `/admin/services/${path(id)}` : '/admin/services')
export const staffPath = (username?: string, ...rest: string[]) =>
  username ? `/admin/staff/${path(username, ...rest)}` : '/admin/staff'
export const holidaysPath = (year: number) => `/admin/holidays/${year}`

// ---- The supervisor ----

export interface ServiceFigures {
  service_id: string
  booked: number
  completed: number
  incomplete: number
  no_show: number
  cancelled: number
  wait_p50_s: number | null
  wait_p90_s: number | null
  call_p50_s: number | null
  documents_issued: number
  recordings_failed: number
}

export interface Stats {
  from: string
  to: string
  offices: { office: string; services: ServiceFigures[] }[]
}

export async function fetchStats(api: ApiClient, from: string, to: string, office: string): Promise<Stats> {
  const body = (await api.request(`/stats${query({ from, to, office })}`, { auth: true })) as Stats
  return { from: body.from ?? from, to: body.to ?? to, offices: Array.isArray(body.offices) ? body.offices : [] }
}

/** Fetches the figures as CSV with the session's token and hands them to the browser as a file. */
export async function downloadStats(api: ApiClient, from: string, to: string, office: string): Promise<string> {
  const blob = await api.download(`/stats.csv${query({ from, to, office })}`, { auth: true })
  const filename = `stats-${from}-${to}${office ? `-${office}` : ''}.csv`
  return offerDownload(blob, filename, 'text/csv')
}

export interface Rebooking {
  appointment_id: string
  service_id: string
  office: string
  start: string
  end: string
  citizen_name: string | null
  since: string
  reason: string
}

export async function listRebooking(api: ApiClient, office: string): Promise<Rebooking[]> {
  return items<Rebooking>(await api.request(`/rebooking${query({ office })}`, { auth: true }))
}

// ---- Links sent by email ----

/** `#token=…&purpose=…` read from an address fragment. */
export function fragmentParams(hash: string): URLSearchParams {
  return new URLSearchParams(hash.replace(/^#/, ''))
}

/** Takes the fragment (a secret) out of the address bar, leaving the page where it is. */
export function forgetFragment(): void {
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search)
}

export function activateAccount(api: ApiClient, token: string, password: string): Promise<unknown> {
  return api.request('/auth/staff/activate', { method: 'POST', body: { token, password } })
}
