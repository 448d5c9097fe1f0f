/** The procedures of an appointment, kept fresh: what both the agent's and the citizen's panels show. */
import { useAuth } from '../auth'
import type { Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { label } from '../offices'
import { useResource } from '../resource'
import { fetchProcedures, type Procedure } from './model'

export const POLL_MS = 5_000
export const AWAITING = 'awaiting_consent'

export function statusName(t: Translate, status: string): string {
  return label(t, `procedure.status.${status}`, status)
}

export interface ProceduresState {
  /** null until the first answer (or when the API would not answer). */
  items: Procedure[] | null
  /** Asks again now, keeping what is shown meanwhile. */
  refresh: () => void
  /** Puts the API's latest word on one procedure in the list. */
  replace: (procedure: Procedure) => void
}

/** A refusal that asking again will not change: signed out, not allowed, no such appointment. */
const FINAL = new Set([401, 403, 404])

/**
 * `GET /appointments/{id}/procedures` once `enabled`, and again every 5 s: always (`poll: 'always'`), while one waits
 * for consent (`'awaiting'`), or never. A failed refresh keeps what was shown; a 401/403/404 stops asking.
 */
export function useProcedures(
  appointmentId: string,
  options: { enabled: boolean; poll: 'always' | 'awaiting' | 'never' },
): ProceduresState {
  const { language } = useI18n()
  const { api } = useAuth()
  const { load, reload, set } = useResource(
    options.enabled ? () => fetchProcedures(api, appointmentId, language) : null,
    [options.poll, appointmentId, language],
    {
      keep: true,
      poll: {
        everyMs: POLL_MS,
        again: ({ value, error }) => {
          if (error && FINAL.has(error.status ?? 0)) return false
          const waiting = (value ?? []).some((p) => p.status === AWAITING)
          return options.poll === 'always' || (options.poll === 'awaiting' && waiting)
        },
      },
    },
  )
  const items = load.value ?? null
  return {
    items,
    // At once, and in place of an answer on its way (which may not have the latest change yet).
    refresh: reload,
    replace: (procedure) => {
      const list = items ?? []
      set(
        list.some((p) => p.id === procedure.id)
          ? list.map((p) => (p.id === procedure.id ? procedure : p))
          : [...list, procedure],
      )
    },
  }
}
