/**
 * Records (issue 7): the audit trail an auditor searches, verifies and exports; the citizen's "who accessed my data";
 * the recordings a supervisor plays or puts on legal hold. The API's shapes, read defensively, and the labels that
 * turn its codes into words. Imported only by the lazy pages that use it, so it stays out of the main bundle.
 */
import type { ApiClient } from './api'
import { ZONE } from './appointments'
import { offerDownload } from './download'
import type { Language } from './i18n'
import { isRecordsKey, recordsLabel, type RecordsTranslate } from './i18n/records'
import { query } from './query'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0)

/** One page of a list: `{items, next}`. */
export interface Page<T> {
  items: T[]
  next: string | null
}

function parsePage<T>(body: unknown, parse: (item: unknown) => T | null): Page<T> {
  const items = isObject(body) && Array.isArray(body.items) ? body.items : []
  const next = isObject(body) && typeof body.next === 'string' && body.next !== '' ? body.next : null
  return { items: items.map(parse).filter((x): x is T => x !== null), next }
}

// ---- Audit trail (auditor) ----

export interface AuditEvent {
  id: string
  at: string
  actor: string
  role: string
  action: string
  subject: string
  outcome: string
  purpose: string
}

export interface AuditSearch {
  from: string
  to: string
  actor?: string
  subject?: string
  action?: string
}

function parseAuditEvent(value: unknown): AuditEvent | null {
  if (!isObject(value) || !str(value.at) || !str(value.action)) return null
  return {
    id: str(value.id) || `${str(value.at)}-${str(value.action)}-${str(value.subject)}`,
    at: str(value.at),
    actor: str(value.actor),
    role: str(value.role),
    action: str(value.action),
    subject: str(value.subject),
    outcome: str(value.outcome),
    purpose: str(value.purpose),
  }
}

export async function searchAudit(api: ApiClient, search: AuditSearch, cursor?: string | null) {
  const path = `/audit/events${query({ ...search, cursor })}`
  return parsePage(await api.request(path, { auth: true }), parseAuditEvent)
}

export interface VerifyProblem {
  category: string
  bucket: string
  key: string
  detail: string
}

export interface VerifyReport {
  ok: boolean
  from: string
  to: string
  digests: number
  log_files: number
  events: number
  problems: VerifyProblem[]
  verified_at: string
}

export function parseVerifyReport(value: unknown): VerifyReport | null {
  if (!isObject(value) || typeof value.ok !== 'boolean') return null
  const problems = Array.isArray(value.problems) ? value.problems : []
  return {
    ok: value.ok,
    from: str(value.from),
    to: str(value.to),
    digests: num(value.digests),
    log_files: num(value.log_files),
    events: num(value.events),
    problems: problems.filter(isObject).map((p) => ({
      category: str(p.category),
      bucket: str(p.bucket),
      key: str(p.key),
      detail: str(p.detail),
    })),
    verified_at: str(value.verified_at),
  }
}

export async function verifyTrail(api: ApiClient, from: string, to: string): Promise<VerifyReport> {
  const report = parseVerifyReport(
    await api.request('/audit/verify', { method: 'POST', auth: true, body: { from, to } }),
  )
  if (!report) throw new Error('Unexpected response')
  return report
}

/** Fetches the period's events (NDJSON) with the session's token and hands them to the browser as a file. */
export async function exportTrail(api: ApiClient, from: string, to: string): Promise<string> {
  const blob = await api.download(`/audit/export${query({ from, to })}`, { auth: true })
  const filename = `audit-${from}-${to}.ndjson`
  return offerDownload(blob, filename, 'application/x-ndjson')
}

export const VERIFY_CATEGORIES = [
  'log_file_not_found',
  'log_file_moved',
  'log_file_hash_mismatch',
  'digest_not_found',
  'digest_moved',
  'digest_hash_mismatch',
  'digest_signature_invalid',
  'chain_gap',
] as const

export function problemCategoryName(t: RecordsTranslate, category: string): string {
  return recordsLabel(t, `verifyProblem.${category}`, category)
}

// ---- Who accessed my data (citizen) ----

export interface AccessEntry {
  at: string
  role: string
  action: string
  purpose: string
  office: string
}

function parseAccessEntry(value: unknown): AccessEntry | null {
  if (!isObject(value) || !str(value.at) || !str(value.action)) return null
  return {
    at: str(value.at),
    role: str(value.role),
    action: str(value.action),
    purpose: str(value.purpose),
    office: str(value.office),
  }
}

export async function fetchAccessLog(api: ApiClient, cursor?: string | null) {
  return parsePage(await api.request(`/me/access-log${query({ cursor })}`, { auth: true }), parseAccessEntry)
}

/**
 * What was done with the citizen's data, in plain words. Every action the API records has a label (the completeness
 * test reads chalicelib's AUDIT_ACTIONS); one this app does not know yet gets a general phrase, never its code.
 */
export function accessActionName(t: RecordsTranslate, action: string): string {
  const known = `access.action.${action}`
  return isRecordsKey(known) ? t(known) : t('access.action.unknown')
}

/** The same action as the audit table names it: what happened, not addressed to anyone. */
export function auditActionName(t: RecordsTranslate, action: string): string {
  const known = `audit.act.${action}`
  return isRecordsKey(known) ? t(known) : t('audit.act.unknown')
}

/**
 * Why, in the reader's language: the service's own purposes are fixed words with a label; anything else is a reason a
 * supervisor wrote (for a playback or a legal hold), shown as written.
 */
export function purposeName(t: RecordsTranslate, purpose: string): string | null {
  if (!purpose) return null
  const known = `purpose.${purpose.replace(/ /g, '_')}`
  return isRecordsKey(known) ? t(known) : t('purpose.stated', { reason: purpose })
}

/** Who did it, without a name: "an agent of the office", "the service itself", … (each of a comma list). */
export function accessRoleName(t: RecordsTranslate, role: string): string {
  const roles = role
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
  if (!roles.length) return t('access.role.unknown')
  return roles.map((r) => recordsLabel(t, `access.role.${r}`, r)).join(' / ')
}

// ---- Recordings (supervisor) ----

export interface Recording {
  record_id: string
  appointment_id: string
  office: string
  service_id: string
  start: string
  room_id: string
  status: string
  legal_hold: boolean
  /** A request to lift the hold, waiting for a second supervisor or admin (never the one who asked). */
  release_requested: ReleaseRequest | null
  retain_until: string
  deleted: boolean
}

export interface ReleaseRequest {
  at: string
  by_you: boolean
}

function parseRelease(value: unknown): ReleaseRequest | null {
  return isObject(value) && str(value.at) ? { at: str(value.at), by_you: value.by_you === true } : null
}

function parseRecording(value: unknown): Recording | null {
  if (!isObject(value) || !str(value.record_id)) return null
  return {
    record_id: str(value.record_id),
    appointment_id: str(value.appointment_id),
    office: str(value.office),
    service_id: str(value.service_id),
    start: str(value.start),
    room_id: str(value.room_id),
    status: str(value.status),
    legal_hold: value.legal_hold === true,
    release_requested: parseRelease(value.release_requested),
    retain_until: str(value.retain_until),
    deleted: value.deleted === true,
  }
}

export async function fetchRecordings(api: ApiClient, date: string): Promise<Recording[]> {
  const page = parsePage(await api.request(`/recordings${query({ date })}`, { auth: true }), parseRecording)
  return page.items.sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
}

export interface Segment {
  participant: string
  role: string
  url: string
  start: string
  end: string
}

export interface Playback {
  record_id: string
  expires_in: number
  segments: Segment[]
}

export async function startPlayback(api: ApiClient, recordId: string, reason: string): Promise<Playback> {
  const body = await api.request(`/recordings/${encodeURIComponent(recordId)}/playback`, {
    method: 'POST',
    auth: true,
    body: { reason },
  })
  if (!isObject(body)) throw new Error('Unexpected response')
  const segments = (Array.isArray(body.segments) ? body.segments : []).filter(isObject).flatMap((s) =>
    str(s.url)
      ? [{ participant: str(s.participant), role: str(s.role), url: str(s.url), start: str(s.start), end: str(s.end) }]
      : [],
  )
  return { record_id: str(body.record_id) || recordId, expires_in: num(body.expires_in) || 300, segments }
}

export type HoldState = Pick<Recording, 'legal_hold' | 'release_requested'>

/**
 * The three steps of a legal hold: placing it (one person), asking to lift it, and another supervisor or admin
 * approving that; each with a reason, and each answering the hold as it now is.
 */
export type HoldStep = 'place' | 'release' | 'approve'

const HOLD_PATHS: Record<HoldStep, string> = {
  place: '/legal-hold',
  release: '/legal-hold/release',
  approve: '/legal-hold/release/approve',
}

export async function changeLegalHold(api: ApiClient, recordId: string, step: HoldStep, reason: string): Promise<HoldState> {
  const body = await api.request(`/records/${encodeURIComponent(recordId)}${HOLD_PATHS[step]}`, {
    method: 'POST',
    auth: true,
    body: step === 'place' ? { hold: true, reason } : { reason },
  })
  if (!isObject(body) || typeof body.legal_hold !== 'boolean') throw new Error('Unexpected response')
  return { legal_hold: body.legal_hold, release_requested: parseRelease(body.release_requested) }
}

/** A reason for playing a recording or changing its hold: said in words, 10–500 characters. */
export const REASON_MIN = 10
export const REASON_MAX = 500

export function reasonProblem(t: RecordsTranslate, reason: string): string | null {
  const length = [...reason.trim()].length
  if (length === 0) return t('reason.missing')
  if (length < REASON_MIN) return t('reason.tooShort', { min: REASON_MIN })
  if (length > REASON_MAX) return t('reason.tooLong', { max: REASON_MAX })
  return null
}

// ---- The council's clock, to the second ----

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>()

/** "28/11/2026, 11:00:05" on the council's clock (Europe/Madrid), whatever the device's zone. */
export function formatDateTime(language: Language, instant: string, seconds = false): string {
  const key = `${language}-${seconds}`
  let format = dateTimeFormats.get(key)
  if (!format) {
    format = new Intl.DateTimeFormat(language === 'en' ? 'en-GB' : language, {
      timeZone: ZONE,
      day: '2-digit',
      month: '2-digit',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    })
    dateTimeFormats.set(key, format)
  }
  const at = new Date(instant)
  return Number.isNaN(at.getTime()) ? instant : format.format(at)
}

/** "09:15:03" on the council's clock. */
export function formatClock(language: Language, instant: string): string {
  const at = new Date(instant)
  if (Number.isNaN(at.getTime())) return instant
  return new Intl.DateTimeFormat(language === 'en' ? 'en-GB' : language, {
    timeZone: ZONE,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(at)
}
