/**
 * The service catalogue as the API gives it (`GET /services`, reached under `/api`), fetched once per visit and kept
 * in memory: the catalogue and detail pages read the same list, and a change of language needs no new request.
 */
import { ApiError, fetchJson, type Fetch } from './api'
import type { LocalizedText } from './i18n'

export { ApiError, type Fetch }

export interface Service {
  id: string
  /** "OMAC" or "OGAT" today; kept as a string so a new office still shows up, under its code. */
  office: string
  name: LocalizedText
  description: LocalizedText
  duration_minutes: number
  /** "low" | "substantial" | "high": the eIDAS assurance level the citizen's identification must reach. */
  min_assurance: string
  required_documents: LocalizedText[]
}

export interface ServiceCatalogue {
  /** All services; the first successful answer is reused, a failure is not, so a retry asks again. */
  list(): Promise<Service[]>
  /** The list if it has already arrived, so a page can show it without a loading flash. */
  cached(): Service[] | null
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
  const url = `${options.baseUrl ?? '/api'}/services`
  const timeoutMs = options.timeoutMs ?? 20_000
  let services: Service[] | null = null
  let pending: Promise<Service[]> | null = null

  async function load(): Promise<Service[]> {
    const body = await fetchJson(doFetch, url, timeoutMs, { headers: { Accept: 'application/json' } })
    const items = (body as { items?: unknown } | null)?.items
    if (!Array.isArray(items)) {
      throw new ApiError(200, { title: 'Unexpected response', detail: 'The answer has no list of items.' })
    }
    return items.filter(isService)
  }

  return {
    cached: () => services,
    list() {
      if (services) return Promise.resolve(services)
      pending ??= load()
        .then((loaded) => (services = loaded))
        .finally(() => {
          pending = null
        })
      return pending
    },
  }
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
