/**
 * How long the council keeps a service's call recording and documents, as `GET /retention` computes it from the very
 * rules the deletion sweep applies: the recording notice and the privacy page read it here and never carry a figure
 * of their own (GDPR art. 13: what people are told is what happens).
 */
import { useEffect, useState } from 'preact/hooks'
import type { ApiClient } from './api'
import { useAuth } from './auth'
import type { Language, Translate } from './i18n'

/** A calendar period: "4 years and 1 month" is counted to the day, not as a number of days. */
export interface Period {
  years: number
  months: number
  days: number
}

export interface ServiceRetention {
  service_id: string
  /** When the service's procedure is carried out in the call: the recording is then evidence in its case file. */
  recording: Period
  /** Documents issued in it (or, for a service without a procedure, the supporting documents brought to it). */
  documents: Period
}

export interface Retention {
  /** A call in which no procedure is carried out. */
  recording_default: Period
  services: ServiceRetention[]
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0

function parsePeriod(value: unknown): Period | null {
  if (typeof value !== 'object' || value === null) return null
  const { years, months, days } = value as Record<string, unknown>
  if (!isCount(years) || !isCount(months) || !isCount(days) || years + months + days === 0) return null
  return { years, months, days }
}

export function parseRetention(body: unknown): Retention | null {
  if (typeof body !== 'object' || body === null) return null
  const raw = body as Record<string, unknown>
  const recording_default = parsePeriod(raw.recording_default)
  if (!recording_default || !Array.isArray(raw.services)) return null
  const services: ServiceRetention[] = []
  for (const item of raw.services as unknown[]) {
    if (typeof item !== 'object' || item === null) continue
    const s = item as Record<string, unknown>
    const recording = parsePeriod(s.recording)
    const documents = parsePeriod(s.documents)
    if (typeof s.service_id === 'string' && recording && documents) {
      services.push({ service_id: s.service_id, recording, documents })
    }
  }
  return { recording_default, services }
}

const UNITS = [
  ['years', 'period.year'],
  ['months', 'period.month'],
  ['days', 'period.day'],
] as const

/** "2 years", "4 years and 1 month", "30 days", in the reader's language. */
export function formatPeriod(period: Period, t: Translate, language: Language): string {
  const plural = new Intl.PluralRules(language)
  const parts = UNITS.filter(([unit]) => period[unit] > 0).map(([unit, key]) => {
    const n = period[unit]
    return t(plural.select(n) === 'one' ? `${key}.one` : `${key}.other`, { n })
  })
  const last = parts.pop() ?? ''
  return parts.length ? t('period.list', { first: parts.join(', '), last }) : last
}

const samePeriod = (a: Period, b: Period) => a.years === b.years && a.months === b.months && a.days === b.days

/** The recording notice's "how long it is kept" for one service; null while the rules are not known. */
export function recordingRetentionText(
  retention: Retention | null,
  serviceId: string,
  t: Translate,
  language: Language,
): string | null {
  if (!retention) return null
  const fallback = formatPeriod(retention.recording_default, t, language)
  const service = retention.services.find((s) => s.service_id === serviceId)
  if (!service || samePeriod(service.recording, retention.recording_default)) {
    return t('rec.howLong', { period: fallback })
  }
  return t('rec.howLongProcedure', { period: formatPeriod(service.recording, t, language), fallback })
}

// One request per visit and API client: the rules change a few times a year at most.
const loaded = new WeakMap<ApiClient, Promise<Retention | null>>()

function load(api: ApiClient): Promise<Retention | null> {
  let pending = loaded.get(api)
  if (!pending) {
    pending = api.request('/retention').then(parseRetention, () => {
      loaded.delete(api) // a failure is not kept: the next page asks again
      return null
    })
    loaded.set(api, pending)
  }
  return pending
}

/** The retention rules, or null while they load (or if they could not be read: callers show the general wording). */
export function useRetention(): Retention | null {
  const { api } = useAuth()
  const [retention, setRetention] = useState<Retention | null>(null)
  useEffect(() => {
    let live = true
    void load(api).then((found) => {
      if (live) setRetention(found)
    })
    return () => {
      live = false
    }
  }, [api])
  return retention
}
