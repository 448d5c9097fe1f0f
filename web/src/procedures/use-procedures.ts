/** The procedures of an appointment, kept fresh: what both the agent's and the citizen's panels show. */
import { useEffect, useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { useAuth } from '../auth'
import type { Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { label } from '../offices'
import { fetchProcedures, type Procedure } from './model'

export const POLL_MS = 5_000
export const AWAITING = 'awaiting_consent'

export function statusName(t: Translate, status: string): string {
  return label(t, `procedure.status.${status}`, status)
}

export interface ProceduresState {
  /** null until the first answer (or when the API would not answer). */
  items: Procedure[] | null
  error: ApiError | null
  refresh: () => void
  /** Puts the API's latest word on one procedure in the list. */
  replace: (procedure: Procedure) => void
}

/**
 * `GET /appointments/{id}/procedures` once `enabled`, and again every 5 s: always (`poll: 'always'`), while one waits
 * for consent (`'awaiting'`), or never. A failed refresh keeps what was shown; a 403/404 stops asking.
 */
export function useProcedures(
  appointmentId: string,
  options: { enabled: boolean; poll: 'always' | 'awaiting' | 'never' },
): ProceduresState {
  const { language } = useI18n()
  const { api } = useAuth()
  const [items, setItems] = useState<Procedure[] | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [tick, setTick] = useState(0)
  const latest = useRef<Procedure[] | null>(null)
  useEffect(() => {
    if (!options.enabled) return
    let current = true
    let timer: number | undefined
    const again = (stop: boolean) => {
      const waiting = (latest.current ?? []).some((p) => p.status === AWAITING)
      if (!stop && (options.poll === 'always' || (options.poll === 'awaiting' && waiting))) {
        timer = window.setTimeout(() => setTick((n) => n + 1), POLL_MS)
      }
    }
    fetchProcedures(api, appointmentId, language).then(
      (found) => {
        if (!current) return
        latest.current = found
        setItems(found)
        setError(null)
        again(false)
      },
      (caught: unknown) => {
        if (!current) return
        const failure = asApiError(caught)
        setError(failure)
        again(failure.status === 403 || failure.status === 404 || failure.status === 401)
      },
    )
    return () => {
      current = false
      window.clearTimeout(timer)
    }
  }, [options.enabled, options.poll, appointmentId, language, tick])
  return {
    items,
    error,
    refresh: () => setTick((n) => n + 1),
    replace: (procedure) => {
      const list = latest.current ?? []
      const next = list.some((p) => p.id === procedure.id)
        ? list.map((p) => (p.id === procedure.id ? procedure : p))
        : [...list, procedure]
      latest.current = next
      setItems(next)
    },
  }
}
