/**
 * The agenda's view of the waiting room's queue (issue 16): for each appointment whose citizen is waiting, the same
 * facts the citizen sees (`GET /appointments/{id}/queue`: their place in line and the estimated wait), in the agent's
 * words — "Position 2 in line · about 6 min". Asked every 5 s, only for the waiting rows and only while the page is
 * visible; nothing is asked when nobody waits. Errors are quiet: the last known facts stay (the row's "Waiting since"
 * still says the essential). Not a live region: the agenda already announces who starts waiting.
 */
import { useEffect, useState } from 'preact/hooks'
import type { ApiClient } from '../api'
import type { AdminTranslate } from '../i18n/admin'
import { fetchQueue, QUEUE_POLL_MS, waitMinutes, type QueueState } from '../queue'

/** The queue facts of the given waiting appointments, by ID, kept fresh every 5 s while there are any. */
export function useWaitingQueues(api: ApiClient, waitingIds: string[]): Record<string, QueueState> {
  const [queues, setQueues] = useState<Record<string, QueueState>>({})
  const key = [...waitingIds].sort().join(' ')
  useEffect(() => {
    const ids = key ? key.split(' ') : []
    // Forget the ones no longer waiting.
    setQueues((now) => {
      const kept = Object.fromEntries(Object.entries(now).filter(([id]) => ids.includes(id)))
      return Object.keys(kept).length === Object.keys(now).length ? now : kept
    })
    if (!ids.length) return
    let live = true
    const ask = () => {
      if (document.visibilityState === 'hidden') return
      for (const id of ids) {
        fetchQueue(api, id).then(
          (q) => {
            if (live) setQueues((now) => ({ ...now, [id]: q }))
          },
          () => undefined, // quietly: the next ask may answer
        )
      }
    }
    ask()
    const timer = window.setInterval(ask, QUEUE_POLL_MS)
    return () => {
      live = false
      window.clearInterval(timer)
    }
  }, [api, key])
  return queues
}

/** "Position 2 in line · about 6 min", or "Next in line · can come in now"; nothing once they are being attended. */
export function agendaQueueWords(t: AdminTranslate, q: QueueState): string {
  if (q.position <= 0) return ''
  const place = q.position === 1 ? t('agenda.queue.next') : t('agenda.queue.position', { position: q.position })
  const busy = q.agent_status !== 'free' || q.ahead > 0
  const wait =
    !busy && q.estimated_wait_s < 60
      ? t('agenda.queue.anyMoment')
      : t('agenda.queue.wait', { count: waitMinutes(q.estimated_wait_s) })
  return `${place} · ${wait}`
}

export function QueueFacts(props: { t: AdminTranslate; queue: QueueState | undefined }) {
  const words = props.queue ? agendaQueueWords(props.t, props.queue) : ''
  if (!words || !props.queue) return null
  return (
    <>
      <br />
      <span class="agenda-queue" data-position={props.queue.position}>
        {words}
      </span>
    </>
  )
}
