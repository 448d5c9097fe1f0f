/**
 * The one way the SPA talks to the API (reached under `/api`): JSON in and out, a timeout, problem+json answers turned
 * into `ApiError` (with the stable `code`, the field errors and `Retry-After`), and — for calls made on someone's
 * behalf — the `Authorization: Bearer` header from the session. Every request says the page's language
 * (`Accept-Language`). Any 401 to such a call (but a wrong one-time code's)
 * ends the session: the shell then sends the person to sign in again.
 */
import type { SessionStore } from './session'

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>

export interface FieldError {
  field: string
  message: string
}

export interface ApiErrorInit {
  title?: string
  detail?: string
  code?: string
  errors?: FieldError[]
  retryAfter?: number | null
  body?: Record<string, unknown>
}

/** Why a request failed. `status` is null when no HTTP answer came (offline, timeout); the rest from problem+json. */
export class ApiError extends Error {
  readonly status: number | null
  readonly title: string | undefined
  readonly detail: string | undefined
  /** The API's stable machine-readable reason (`rate_limited`, `invalid_code`, …): what the SPA translates. */
  readonly code: string | undefined
  readonly errors: FieldError[]
  /** Seconds to wait, from the `Retry-After` header of a 429. */
  readonly retryAfter: number | null
  /** The whole problem document, for extra members such as `attempts_left`. */
  readonly body: Record<string, unknown>

  constructor(status: number | null, init: ApiErrorInit = {}) {
    super(init.title ?? (status === null ? 'Network error' : `HTTP ${status}`))
    this.name = 'ApiError'
    this.status = status
    this.title = init.title
    this.detail = init.detail
    this.code = init.code
    this.errors = init.errors ?? []
    this.retryAfter = init.retryAfter ?? null
    this.body = init.body ?? {}
  }
}

export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(null)
}

export interface RequestOptions {
  method?: string
  body?: unknown
  /** Send the session's bearer token; a 401 (or no live session) ends the session. */
  auth?: boolean
  /** With `auth`: do not end the session on a 401 (sign-out, where the session ends anyway). */
  quiet?: boolean
  /** Extra request headers, e.g. `Idempotency-Key`. */
  headers?: Record<string, string>
}

export interface OutboxMessage {
  to: string
  subject?: string
  body: string
  sent_at: string
}

export interface ApiClient {
  readonly session: SessionStore
  /** The answer's JSON (undefined for an empty answer such as 204); throws ApiError otherwise. */
  request<T = unknown>(path: string, options?: RequestOptions): Promise<T>
  /** A file (e.g. `text/calendar`) fetched like `request`, with the same errors, as a Blob. */
  download(path: string, options?: RequestOptions): Promise<Blob>
  /**
   * Development stage only: the messages the service "sent" (newest first), or null where the stage has no outbox.
   * The first call probes; once it has said "no outbox" the API is not asked again.
   */
  devOutbox(to?: string): Promise<OutboxMessage[] | null>
}

export interface ApiClientOptions {
  session: SessionStore
  fetch?: Fetch
  baseUrl?: string
  /** Weak mobile networks can hang a request for minutes: give up and let the person try again. */
  timeoutMs?: number
  /**
   * The page's language, sent as `Accept-Language` on every request so that what the API sends (a code, a
   * confirmation) is in the language the person reads. Defaults to `<html lang>`, which the i18n context keeps.
   */
  language?: () => string | null
}

function pageLanguage(): string | null {
  return typeof document === 'undefined' ? null : document.documentElement.lang || null
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  // Called through a wrapper: some browsers throw "Illegal invocation" when window.fetch is called unbound.
  const doFetch: Fetch = options.fetch ?? ((input, init) => window.fetch(input, init))
  const baseUrl = options.baseUrl ?? '/api'
  const timeoutMs = options.timeoutMs ?? 20_000
  const session = options.session
  const language = options.language ?? pageLanguage
  let outboxAvailable: boolean | null = null

  async function send<T>(path: string, opts: RequestOptions, read: Read<T>, accept: string): Promise<T> {
    const headers: Record<string, string> = { Accept: accept, ...opts.headers }
    const lang = language()
    if (lang && !headers['Accept-Language']) headers['Accept-Language'] = lang
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json'
    if (opts.auth) {
      const current = opts.quiet ? session.peek() : session.current()
      if (!current) throw new ApiError(401, { code: 'session_ended' })
      headers.Authorization = `Bearer ${current.access_token}`
    }
    try {
      return await fetchWith(
        doFetch,
        baseUrl + path,
        timeoutMs,
        {
          method: opts.method ?? 'GET',
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        },
        read,
      )
    } catch (error) {
      // A wrong one-time code (confirming a procedure) is a 401 too, but about the code: the session lives on.
      const unauthorized = error instanceof ApiError && error.status === 401 && error.code !== 'invalid_code'
      if (opts.auth && !opts.quiet && unauthorized) session.end('ended')
      throw error
    }
  }

  const request = <T,>(path: string, opts: RequestOptions = {}) =>
    send(path, opts, readJson, 'application/json') as Promise<T>

  return {
    session,
    request,
    download: (path, opts = {}) => send(path, opts, (response) => response.blob(), '*/*'),
    async devOutbox(to) {
      if (outboxAvailable === false) return null
      try {
        const body = await request<{ items?: unknown }>(`/dev/outbox${to ? `?to=${encodeURIComponent(to)}` : ''}`)
        outboxAvailable = true
        return Array.isArray(body?.items) ? body.items.filter(isOutboxMessage) : []
      } catch (error) {
        // 404 (or anything else on the first try): this stage has no outbox, and the panel never shows.
        if (outboxAvailable === null || (error instanceof ApiError && error.status === 404)) outboxAvailable = false
        if (outboxAvailable === false) return null
        throw error
      }
    },
  }
}

type Read<T> = (response: Response) => Promise<T>

/** One request with a timeout: the parsed JSON body, undefined when empty, or an ApiError. */
export function fetchJson(doFetch: Fetch, url: string, timeoutMs: number, init: RequestInit = {}): Promise<unknown> {
  return fetchWith(doFetch, url, timeoutMs, init, readJson)
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new ApiError(response.status, { title: 'Unexpected response', detail: 'The answer is not JSON.' })
  }
}

/** One request with a timeout (reading the body included): what `read` makes of a 2xx answer, or an ApiError. */
async function fetchWith<T>(doFetch: Fetch, url: string, timeoutMs: number, init: RequestInit, read: Read<T>) {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    let response: Response
    try {
      response = await doFetch(url, { ...init, signal: controller.signal })
    } catch {
      throw new ApiError(null)
    }
    if (!response.ok) throw await problem(response)
    try {
      return await read(response)
    } catch (error) {
      throw error instanceof ApiError ? error : new ApiError(null)
    }
  } finally {
    clearTimeout(timer)
  }
}

async function problem(response: Response): Promise<ApiError> {
  const retryAfter = parseRetryAfter(response.headers.get('Retry-After'))
  let body: Record<string, unknown> = {}
  try {
    const parsed: unknown = await response.json()
    if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>
  } catch {
    // Not problem+json (a proxy's HTML page, say): the status alone has to do.
  }
  return new ApiError(response.status, {
    title: stringOrUndefined(body.title),
    detail: stringOrUndefined(body.detail),
    code: stringOrUndefined(body.code),
    errors: Array.isArray(body.errors)
      ? body.errors.filter(
          (e): e is FieldError =>
            typeof e === 'object' && e !== null && typeof (e as FieldError).field === 'string',
        )
      : [],
    retryAfter,
    body,
  })
}

/** `Retry-After` is either seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null
  if (/^\s*\d+\s*$/.test(value)) return Number(value)
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000))
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

function isOutboxMessage(value: unknown): value is OutboxMessage {
  if (typeof value !== 'object' || value === null) return false
  const m = value as Record<string, unknown>
  return typeof m.to === 'string' && typeof m.body === 'string'
}
