/**
 * Procedures issued during an appointment: the API's shapes, and the form the agent fills in, built from the schema
 * the API gives for the appointment's service (`GET /appointments/{id}/procedure-form`). What a person types is kept
 * as typed (strings, booleans); `checkForm` turns it into the `data` the API expects — money in euros as typed to
 * integer cents, options back to their own values — or says, per field, what is wrong.
 */
import type { ApiClient, ApiError } from '../api'
import { parseItems, uuid } from '../appointments'
import type { Language } from '../i18n'

export type FieldKind = 'text' | 'choice' | 'multichoice' | 'date' | 'integer' | 'money' | 'iban' | 'boolean' | 'file'
const KINDS: readonly string[] = ['text', 'choice', 'multichoice', 'date', 'integer', 'money', 'iban', 'boolean', 'file']

export interface FieldOption {
  /** The option's own value, sent back as it came (a string, a number…). */
  value: string | number | boolean
  label: string
  /** Whatever else the option carries (a debt's `amount_cents`, say): used by the instalment preview. */
  extra: Record<string, unknown>
}

export interface FormField {
  name: string
  kind: FieldKind
  label: string
  help?: string
  required: boolean
  options: FieldOption[]
  /** Integers: the number; money: cents; dates: "YYYY-MM-DD". */
  min?: number | string
  max?: number | string
}

/** What proves the citizen's identity for the appointment: their eID level, or the agent's check in the call. */
export interface IdentityBasis {
  basis: 'eid' | 'check'
  level?: string
  method?: string
}

export interface ProcedureForm {
  type: string
  title: string
  needsConsent: boolean
  /** Its documents hold personal data and nothing proves the citizen's identity yet: the agent checks it first. */
  needsIdentityCheck: boolean
  identity: IdentityBasis | null
  fields: FormField[]
}

/** The identity documents an agent may check on camera. */
export const CHECK_METHODS = ['dni_shown', 'nie_shown', 'passport_shown'] as const
export type CheckMethod = (typeof CHECK_METHODS)[number]

export interface ProcedureDocument {
  id: string
  csv: string
  title: string
}

export interface Procedure {
  id: string
  type: string
  /** "issued" | "awaiting_consent" (others shown by name). */
  status: string
  summary: { title: string; lines: { label: string; value: string }[] }
  documents: ProcedureDocument[]
}

export interface ConsentChallenge {
  challenge_id: string
  channel: string
  expires_in: number | null
}

export interface PlanItem {
  due: string
  principal_cents: number
  interest_cents: number
  total_cents: number
}

export interface PlanPreview {
  items: PlanItem[]
  principal_cents: number
  interest_cents: number
  total_cents: number
  guarantee_required: boolean
  guarantee_cents: number
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const str = (v: unknown): v is string => typeof v === 'string'
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

// ---- Parsing what the API answers ----

export function parseForm(value: unknown): ProcedureForm | null {
  if (!isObject(value) || !str(value.type) || !Array.isArray(value.fields)) return null
  const fields = value.fields.map(parseField).filter((f): f is FormField => f !== null)
  return {
    type: value.type,
    title: str(value.title) ? value.title : value.type,
    needsConsent: value.needs_consent === true,
    needsIdentityCheck: value.needs_identity_check === true,
    identity: parseIdentity(value.identity),
    fields,
  }
}

export function parseIdentity(value: unknown): IdentityBasis | null {
  if (!isObject(value) || (value.basis !== 'eid' && value.basis !== 'check')) return null
  return {
    basis: value.basis,
    level: str(value.level) ? value.level : undefined,
    method: str(value.method) ? value.method : undefined,
  }
}

function parseField(value: unknown): FormField | null {
  if (!isObject(value) || !str(value.name) || !str(value.kind) || !KINDS.includes(value.kind)) return null
  const options = Array.isArray(value.options)
    ? value.options.filter(isObject).flatMap((o) => {
        const { value: v, label, ...extra } = o
        if (!str(v) && !num(v) && typeof v !== 'boolean') return []
        return [{ value: v, label: str(label) ? label : String(v), extra }]
      })
    : []
  const bound = (b: unknown) => (num(b) || str(b) ? b : undefined)
  return {
    name: value.name,
    kind: value.kind as FieldKind,
    label: str(value.label) ? value.label : value.name,
    help: str(value.help) && value.help !== '' ? value.help : undefined,
    required: value.required === true,
    options,
    min: bound(value.min),
    max: bound(value.max),
  }
}

export function parseProcedure(value: unknown): Procedure | null {
  if (!isObject(value) || !str(value.id)) return null
  const summary = isObject(value.summary) ? value.summary : {}
  const lines = Array.isArray(summary.lines)
    ? summary.lines.filter(isObject).map((l) => ({
        label: str(l.label) ? l.label : '',
        value: str(l.value) ? l.value : num(l.value) ? String(l.value) : '',
      }))
    : []
  const documents = Array.isArray(value.documents)
    ? value.documents
        .filter(isObject)
        .filter((d) => str(d.id))
        .map((d) => ({ id: d.id as string, csv: str(d.csv) ? d.csv : '', title: str(d.title) ? d.title : '' }))
    : []
  const type = str(value.type) ? value.type : ''
  return {
    id: value.id,
    type,
    status: str(value.status) ? value.status : 'issued',
    summary: { title: str(summary.title) ? summary.title : type, lines },
    documents,
  }
}

export function parsePlan(value: unknown): PlanPreview | null {
  if (!isObject(value) || !Array.isArray(value.items)) return null
  const items = value.items.filter(isObject).flatMap((i) => {
    if (!str(i.due) || !num(i.principal_cents) || !num(i.interest_cents) || !num(i.total_cents)) return []
    const { due, principal_cents, interest_cents, total_cents } = i
    return [{ due, principal_cents, interest_cents, total_cents }]
  })
  const principal = items.reduce((sum, i) => sum + i.principal_cents, 0)
  const interest = num(value.interest_cents) ? value.interest_cents : items.reduce((s, i) => s + i.interest_cents, 0)
  return {
    items,
    principal_cents: principal,
    interest_cents: interest,
    total_cents: num(value.total_cents) ? value.total_cents : principal + interest,
    guarantee_required: value.guarantee_required === true,
    guarantee_cents: num(value.guarantee_cents) ? value.guarantee_cents : 0,
  }
}

// ---- The API ----

const lang = (language: Language) => ({ 'Accept-Language': language })
const appointmentUrl = (id: string) => `/appointments/${encodeURIComponent(id)}`

/** The form of the appointment's procedure, labels in `language`. */
export async function fetchProcedureForm(api: ApiClient, appointmentId: string, language: Language) {
  const body = await api.request(`${appointmentUrl(appointmentId)}/procedure-form?lang=${language}`, {
    auth: true,
    headers: lang(language),
  })
  const form = parseForm(body)
  if (!form) throw new Error('Unexpected response')
  return form
}

export async function fetchProcedures(api: ApiClient, appointmentId: string, language: Language) {
  const body = await api.request(`${appointmentUrl(appointmentId)}/procedures?lang=${language}`, {
    auth: true,
    headers: lang(language),
  })
  return parseItems(body, parseProcedure)
}

function procedureOrThrow(body: unknown): Procedure {
  const found = parseProcedure(body)
  if (!found) throw new Error('Unexpected response')
  return found
}

/** `POST /appointments/{id}/procedures`; the same `key` for a retry of the same request. */
export async function issueProcedure(
  api: ApiClient,
  appointmentId: string,
  request: { type: string; data: Record<string, unknown> },
  key: string,
  language: Language,
): Promise<Procedure> {
  const body = await api.request(`${appointmentUrl(appointmentId)}/procedures?lang=${language}`, {
    method: 'POST',
    auth: true,
    body: request,
    headers: { ...lang(language), 'Idempotency-Key': key },
  })
  return procedureOrThrow(body)
}

/** `POST /appointments/{id}/identity-check`: the agent saw this document on camera and it matches the person. */
export async function recordIdentityCheck(
  api: ApiClient,
  appointmentId: string,
  method: CheckMethod,
  language: Language,
): Promise<IdentityBasis> {
  const body = await api.request<{ method?: unknown }>(`${appointmentUrl(appointmentId)}/identity-check`, {
    method: 'POST',
    auth: true,
    body: { method, matches: true },
    headers: lang(language),
  })
  return { basis: 'check', method: str(body?.method) ? body.method : method }
}

export async function previewPlan(api: ApiClient, request: Record<string, unknown>, language: Language) {
  const body = await api.request(`/instalment-plans/preview?lang=${language}`, {
    method: 'POST',
    auth: true,
    body: request,
    headers: lang(language),
  })
  const plan = parsePlan(body)
  if (!plan) throw new Error('Unexpected response')
  return plan
}

/** Without a code: a fresh one-time code goes to the citizen (202). */
export async function requestConsentCode(api: ApiClient, procedureId: string): Promise<ConsentChallenge> {
  const body = await api.request(`/procedures/${encodeURIComponent(procedureId)}/confirm`, {
    method: 'POST',
    auth: true,
  })
  if (!isObject(body) || !str(body.challenge_id)) throw new Error('Unexpected response')
  return {
    challenge_id: body.challenge_id,
    channel: str(body.channel) ? body.channel : '',
    expires_in: num(body.expires_in) ? body.expires_in : null,
  }
}

export async function confirmProcedure(
  api: ApiClient,
  procedureId: string,
  challengeId: string,
  code: string,
  language: Language,
): Promise<Procedure> {
  const body = await api.request(`/procedures/${encodeURIComponent(procedureId)}/confirm?lang=${language}`, {
    method: 'POST',
    auth: true,
    body: { challenge_id: challengeId, code },
    headers: lang(language),
  })
  return procedureOrThrow(body)
}

// ---- Money ----

/**
 * Euros as people type them → integer cents, or null. Both "1.234,56" (ca/es) and "1,234.56" (en) are read: when
 * both marks appear the last one is the decimal mark; a single mark followed by exactly three digits groups thousands
 * ("1.200" is 1 200 €), otherwise it is the decimal mark ("12,5" is 12.50 €). At most two decimals; never a float.
 */
export function parseEuros(raw: string): number | null {
  const s = raw.replace(/[\s\u00a0\u202f€]/g, '').replace(/^EUR|EUR$/i, '')
  if (!/^\d[\d.,]*$/.test(s)) return null
  const at = Math.max(s.lastIndexOf('.'), s.lastIndexOf(','))
  let whole = s
  let fraction = ''
  let grouping: string | null = null
  if (at >= 0) {
    const mark = s.charAt(at)
    const other = mark === '.' ? ',' : '.'
    const marks = s.split(mark).length - 1
    const after = s.slice(at + 1)
    const decimal = s.includes(other) || (marks === 1 && after.length !== 3)
    if (decimal) {
      if (marks !== 1 || after.length < 1 || after.length > 2) return null
      whole = s.slice(0, at)
      fraction = after
      grouping = s.includes(other) ? other : null
    } else grouping = mark
  }
  if (grouping !== null) {
    const groups = whole.split(grouping)
    if (groups.some((g, i) => (i === 0 ? g.length < 1 || g.length > 3 : g.length !== 3))) return null
    whole = groups.join('')
  }
  if (!/^\d+$/.test(whole) || !/^\d*$/.test(fraction)) return null
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'))
  return Number.isSafeInteger(cents) ? cents : null
}

const numberLocale = (language: Language) => (language === 'en' ? 'en-GB' : language)

/** "1.216,33 €" / "€1,216.33". */
export function formatMoney(language: Language, cents: number): string {
  return new Intl.NumberFormat(numberLocale(language), { style: 'currency', currency: 'EUR' }).format(cents / 100)
}

// ---- IBAN ----

/** Spaces out, upper case. */
export function compactIban(raw: string): string {
  return raw.replace(/[\s-]+/g, '').toUpperCase()
}

/** The ISO 13616 check (mod 97 = 1) on a compact IBAN; the API checks the rest (the Spanish account digits). */
export function isIban(iban: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false
  const digits = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55))
  let rest = 0
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97
  return rest === 1
}

// ---- The form ----

/** What the person has entered: text as typed, the chosen options' values as strings, booleans. */
export type FormValue = string | string[] | boolean
export type FormValues = Record<string, FormValue>

export function initialValues(form: ProcedureForm): FormValues {
  const values: FormValues = {}
  for (const f of form.fields) values[f.name] = f.kind === 'multichoice' ? [] : f.kind === 'boolean' ? false : ''
  return values
}

export type FieldProblem =
  | { kind: 'required' }
  | { kind: 'mustAccept' }
  | { kind: 'money' }
  | { kind: 'integer' }
  | { kind: 'date' }
  | { kind: 'iban' }
  | { kind: 'choice' }
  | { kind: 'min'; min: number | string }
  | { kind: 'max'; max: number | string }

export interface CheckResult {
  data: Record<string, unknown>
  /** In the form's order. */
  problems: { field: FormField; problem: FieldProblem }[]
}

function optionValue(field: FormField, chosen: string): FieldOption['value'] | undefined {
  return field.options.find((o) => String(o.value) === chosen)?.value
}

/**
 * The API's `data` from what was entered, and what is wrong with it. `only`: check (and return) just those fields —
 * the preview needs the amounts and dates, not yet the rest.
 */
export function checkForm(form: ProcedureForm, values: FormValues, only?: ReadonlySet<string>): CheckResult {
  const data: Record<string, unknown> = {}
  const problems: CheckResult['problems'] = []
  for (const field of form.fields) {
    if (only && !only.has(field.name)) continue
    const result = checkField(field, values[field.name])
    if ('problem' in result) problems.push({ field, problem: result.problem })
    else if (result.value !== undefined) data[field.name] = result.value
  }
  return { data, problems }
}

function checkField(field: FormField, raw: FormValue | undefined): { value: unknown } | { problem: FieldProblem } {
  if (field.kind === 'boolean') {
    const on = raw === true
    return field.required && !on ? { problem: { kind: 'mustAccept' } } : { value: on }
  }
  if (field.kind === 'multichoice') {
    const chosen = Array.isArray(raw) ? raw : []
    if (chosen.length === 0) return field.required ? { problem: { kind: 'required' } } : { value: undefined }
    const picked = field.options.filter((o) => chosen.includes(String(o.value))).map((o) => o.value)
    return picked.length === chosen.length ? { value: picked } : { problem: { kind: 'choice' } }
  }
  const text = typeof raw === 'string' ? raw.trim() : ''
  if (text === '') return field.required ? { problem: { kind: 'required' } } : { value: undefined }
  switch (field.kind) {
    case 'text':
    case 'file': // the id the attachment got when it was uploaded
      return { value: text }
    case 'choice': {
      const value = optionValue(field, text)
      return value === undefined ? { problem: { kind: 'choice' } } : { value }
    }
    case 'iban': {
      const iban = compactIban(text)
      return isIban(iban) ? { value: iban } : { problem: { kind: 'iban' } }
    }
    case 'date': {
      if (!isDate(text)) return { problem: { kind: 'date' } }
      if (typeof field.min === 'string' && text < field.min) return { problem: { kind: 'min', min: field.min } }
      if (typeof field.max === 'string' && text > field.max) return { problem: { kind: 'max', max: field.max } }
      return { value: text }
    }
    case 'integer':
    case 'money': {
      const value = field.kind === 'money' ? parseEuros(text) : /^\d{1,15}$/.test(text) ? Number(text) : null
      if (value === null) return { problem: { kind: field.kind } }
      if (typeof field.min === 'number' && value < field.min) return { problem: { kind: 'min', min: field.min } }
      if (typeof field.max === 'number' && value > field.max) return { problem: { kind: 'max', max: field.max } }
      return { value }
    }
  }
}

function isDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false
  const d = new Date(`${value}T12:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value
}

/**
 * The form field an API error is about: `data.iban`, `iban`, `data.debts[0]`, `data.mandate.iban` → the form's
 * field with that first name; null when it names none of them (it then goes to the summary only).
 */
export function fieldForError(form: ProcedureForm, apiField: string): FormField | null {
  const path = apiField.startsWith('data.') ? apiField.slice(5) : apiField
  const name = /^[^.[]+/.exec(path)?.[0] ?? path
  return form.fields.find((f) => f.name === name) ?? form.fields.find((f) => f.name === path) ?? null
}

/** A 422's field errors per form field (the first for each), in the form's order, and those that fit no field. */
export function apiFieldErrors(
  form: ProcedureForm,
  error: Pick<ApiError, 'errors'>,
): { fields: { field: FormField; message: string }[]; general: string[] } {
  const byName = new Map<string, string>()
  const general: string[] = []
  for (const e of error.errors) {
    const field = fieldForError(form, e.field)
    const message = typeof e.message === 'string' ? e.message.trim() : ''
    if (field) {
      if (!byName.has(field.name)) byName.set(field.name, message)
    } else if (message) general.push(message)
  }
  return {
    fields: form.fields.filter((f) => byName.has(f.name)).map((f) => ({ field: f, message: byName.get(f.name) ?? '' })),
    general,
  }
}

// ---- Instalment plan preview ----

export const INSTALMENT_PLAN = 'instalment_plan'
const PREVIEW_KEYS = ['amount_cents', 'voluntary_period_end', 'fractions', 'first_due', 'day_of_month', 'guarantee']
const NUMERIC = new Set(['amount_cents', 'fractions', 'day_of_month'])

/**
 * The fields the preview reads: those named like its parameters, and the options fields (the debts) whose options
 * carry `amount_cents` or `voluntary_period_end`.
 */
export function previewFields(form: ProcedureForm): Set<string> {
  const names = new Set<string>()
  for (const f of form.fields) {
    if (PREVIEW_KEYS.includes(f.name)) names.add(f.name)
    else if (f.options.some((o) => 'amount_cents' in o.extra || 'voluntary_period_end' in o.extra)) names.add(f.name)
  }
  return names
}

/**
 * `POST /instalment-plans/preview`'s body from the checked data: each parameter from the field of that name, else
 * from the chosen options (the amounts of the debts chosen added up, the earliest end of voluntary period: interest
 * runs from there, as the API computes the plan it files).
 */
export function previewRequest(form: ProcedureForm, data: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  let amount: number | null = null
  let periodEnd: string | null = null
  for (const f of form.fields) {
    const value = data[f.name]
    if (value === undefined) continue
    if (PREVIEW_KEYS.includes(f.name)) {
      body[f.name] = NUMERIC.has(f.name) && typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
      continue
    }
    const chosen = Array.isArray(value) ? value : [value]
    for (const option of f.options.filter((o) => chosen.includes(o.value))) {
      const cents = option.extra.amount_cents
      if (num(cents)) amount = (amount ?? 0) + cents
      const end = option.extra.voluntary_period_end
      if (str(end) && (periodEnd === null || end < periodEnd)) periodEnd = end
    }
  }
  if (body.amount_cents === undefined && amount !== null) body.amount_cents = amount
  if (body.voluntary_period_end === undefined && periodEnd !== null) body.voluntary_period_end = periodEnd
  if (body.guarantee === undefined) body.guarantee = 'none'
  return body
}

/** File types the API keeps as supporting documents, and its size limit. */
export const ATTACHMENT_TYPES = ['application/pdf', 'image/jpeg', 'image/png']
export const ATTACHMENT_MAX_BYTES = 4 * 1024 * 1024

/** Uploads a supporting document shown in the call; resolves to the id the procedure's file field takes. */
export async function uploadAttachment(api: ApiClient, appointmentId: string, file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  const body = { filename: file.name.slice(0, 120), content_type: file.type, data_base64: btoa(binary) }
  // One key per file chosen: a retry of the same upload answers the first one instead of adding the file twice.
  const answer = await api.request<{ id?: unknown }>(`/appointments/${encodeURIComponent(appointmentId)}/attachments`, {
    method: 'POST',
    auth: true,
    body,
    headers: { 'Idempotency-Key': uuid() },
  })
  if (typeof answer?.id !== 'string') throw new Error('attachment without id')
  return answer.id
}
