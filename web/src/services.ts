/**
 * The service catalogue and the council's offices as the API gives them (`GET /services`, `GET /offices`, reached under
 * `/api`), each fetched once per visit and kept in memory: every page reads the same lists, and a change of language
 * needs no new request.
 */
import { ApiError, fetchJson, type Fetch } from './api'
import type { LocalizedText } from './i18n'

export { ApiError, type Fetch }

export interface Service {
  id: string
  /** The id of one of `GET /offices`; a service of an office that list lacks still shows up, under the office's code. */
  office: string
  name: LocalizedText
  description: LocalizedText
  duration_minutes: number
  /** "low" | "substantial" | "high": the eIDAS assurance level the citizen's identification must reach. */
  min_assurance: string
  required_documents: LocalizedText[]
  /** How many days ahead it may be booked, and its waitlist reach (absent from an older API: 60). */
  horizon_days?: number
}

/** An office as `GET /offices` gives it: its names are data, so a new office needs no change here. */
export interface Office {
  id: string
  name: LocalizedText
  /** IANA time zone. */
  timezone: string
  address: string
  /** ISO weekday ("1" = Monday … "7" = Sunday) → ["HH:MM", "HH:MM"] intervals. */
  opening_hours: Record<string, [string, string][]>
}

export interface ServiceCatalogue {
  /** All services; the first successful answer is reused, a failure is not, so a retry asks again. */
  list(): Promise<Service[]>
  /** The list if it has already arrived, so a page can show it without a loading flash. */
  cached(): Service[] | null
  /** Every office, in the API's order; reused and retried like `list()`. */
  offices(): Promise<Office[]>
  cachedOffices(): Office[] | null
}

export interface CatalogueOptions {
  fetch?: Fetch
  baseUrl?: string
  /** Weak mobile networks can hang a request for minutes: give up and offer Retry instead. */
  timeoutMs?: number
}

export function createServiceCatalogue(options: CatalogueOptions = {}): ServiceCatalogue {
  // Called through a wrapper: some browsers throw "Illegal invocation" when window.fetch is called unbound.
  const doFetch: Fetch = options.fetch ?? ((input, init) => window.fetch(input, init))
  const base = options.baseUrl ?? '/api'
  const timeoutMs = options.timeoutMs ?? 20_000

  async function get(path: string, items: (body: unknown) => unknown): Promise<unknown[]> {
    const body = await fetchJson(doFetch, `${base}${path}`, timeoutMs, { headers: { Accept: 'application/json' } })
    const list = items(body)
    if (!Array.isArray(list)) {
      throw new ApiError(200, { title: 'Unexpected response', detail: 'The answer has no list of items.' })
    }
    return list
  }
  const services = keptOnce(async () => {
    const items = await get('/services', (body) => (body as { items?: unknown } | null)?.items)
    return items.filter(isService)
  })
  const offices = keptOnce(async () => (await get('/offices', (body) => body)).filter(isOffice))

  return { cached: services.cached, list: services.load, cachedOffices: offices.cached, offices: offices.load }
}

/** The first successful answer of `load`, reused; a failure is not kept, so the next call asks again. */
function keptOnce<T>(load: () => Promise<T>): { load: () => Promise<T>; cached: () => T | null } {
  let value: T | null = null
  let pending: Promise<T> | null = null
  return {
    cached: () => value,
    load() {
      if (value !== null) return Promise.resolve(value)
      pending ??= load()
        .then((loaded) => (value = loaded))
        .finally(() => {
          pending = null
        })
      return pending
    },
  }
}

function isOffice(value: unknown): value is Office {
  if (typeof value !== 'object' || value === null) return false
  const o = value as Record<string, unknown>
  return typeof o.id === 'string' && o.id !== '' && isText(o.name)
}

/** Only well-formed services are shown: one bad record must not take the whole catalogue down. */
function isService(value: unknown): value is Service {
  if (typeof value !== 'object' || value === null) return false
  const s = value as Record<string, unknown>
  return (
    typeof s.id === 'string' &&
    s.id !== '' &&
    typeof s.office === 'string' &&
    isText(s.name) &&
    isText(s.description) &&
    typeof s.duration_minutes === 'number' &&
    typeof s.min_assurance === 'string' &&
    Array.isArray(s.required_documents) &&
    s.required_documents.every(isText)
  )
}

function isText(value: unknown): value is LocalizedText {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string')
}
