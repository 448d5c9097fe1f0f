/**
 * The agenda's "Waiting for anyone" panel (issue 16): citizens who have waited in the waiting room longer than the
 * office's overflow time while their agent is in another call. Asked again every 5 s while the page is visible. A free
 * agent takes one with one click (`POST /appointments/{id}/take`): the appointment moves to them, the agenda is asked
 * again and the page says so; when another agent was quicker, the page says that instead. A supervisor hands a waiting
 * citizen to a named agent (`POST /appointments/{id}/hand-over`).
 */
import { useEffect, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { formatTime } from '../appointments'
import { useAuth } from '../auth'
import { problemMessage } from '../components/forms'
import { useAdminI18n } from '../i18n/admin'
import type { AdminTranslate } from '../i18n/admin'
import { label } from '../offices'
import { useAnnounce, useFocusAfterRender, useOffices } from '../page-context'
import {
  fetchOverflow,
  handOver,
  QUEUE_POLL_MS,
  takeAppointment,
  waitMinutes,
  type OfficeAgent,
  type OverflowItem,
} from '../queue'
import { useResource } from '../resource'
import { callPath, Link } from '../router'
import { useServiceName } from './appointment-common'

/** A take or hand-over the API refused, in words. */
function refusal(t: AdminTranslate, error: ApiError, handingOver: boolean): string {
  if (error.code === 'already_taken') return t('overflow.alreadyTaken')
  if (error.code === 'agent_not_free') return handingOver ? t('overflow.agentNotFree') : t('overflow.notFree')
  if (error.code === 'not_waiting') return t('overflow.notWaiting')
  return problemMessage(t, error)
}

export function OverflowPanel(props: {
  office: string | null
  /** The caller may take people (an agent). */
  agent: boolean
  /** The caller may hand people over (a supervisor). */
  supervisor: boolean
  /** An appointment moved: ask for the agenda again. */
  onMoved: () => void
}) {
  const { t, language } = useAdminI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const { load: offices } = useOffices()
  // `join`: the appointment just taken, whose call the agent can join from the message.
  const [message, setMessage] = useState<{ text: string; ok: boolean; join?: string } | null>(null)
  const [pending, setPending] = useState<string | null>(null)
  // Where the API has no such list for this person (404/403), the panel is not shown and not asked for again.
  const [absent, setAbsent] = useState<string | null>(null)
  const office = props.office !== absent ? props.office : null
  const { load, refresh } = useResource(office ? () => fetchOverflow(api, office) : null, [office], {
    keep: true,
    onError: (error) => {
      if (error.status === 403 || error.status === 404) setAbsent(office)
    },
  })

  useEffect(() => {
    if (!office) return
    const poll = () => {
      if (document.visibilityState !== 'hidden') refresh()
    }
    const timer = window.setInterval(poll, QUEUE_POLL_MS)
    document.addEventListener('visibilitychange', poll)
    return () => {
      window.clearInterval(timer)
      document.removeEventListener('visibilitychange', poll)
    }
  }, [office])

  const overflow = load.value
  const minutes = (offices.value?.find((o) => o.id === office) as { overflow_after_minutes?: unknown } | undefined)
    ?.overflow_after_minutes

  /** Tells the outcome (shown in the panel and read out) and puts focus back on the panel's heading. */
  function tell(text: string, ok: boolean, join?: string) {
    setMessage({ text, ok, join })
    announce(text)
    focus('overflow-title')
  }

  async function act(item: OverflowItem, action: () => Promise<void>, done: string, handingOver: boolean) {
    if (pending) return
    setPending(item.appointment_id)
    try {
      await action()
      tell(done, true, handingOver ? undefined : item.appointment_id)
      props.onMoved()
    } catch (caught) {
      tell(refusal(t, asApiError(caught), handingOver), false)
    } finally {
      setPending(null)
      refresh()
    }
  }

  function take(item: OverflowItem) {
    const time = formatTime(language, item.start)
    if (!overflow?.can_take) return tell(t('overflow.notFree'), false)
    void act(item, () => takeAppointment(api, item.appointment_id), t('overflow.taken', { time }), false)
  }

  function give(item: OverflowItem, agent: OfficeAgent | undefined) {
    const time = formatTime(language, item.start)
    if (!agent) {
      setMessage({ text: t('overflow.chooseAgentFirst'), ok: false })
      announce(t('overflow.chooseAgentFirst'))
      focus(`handover-${item.appointment_id}`)
      return
    }
    void act(
      item,
      () => handOver(api, item.appointment_id, agent.username),
      t('overflow.handedOver', { time, name: agent.name }),
      true,
    )
  }

  if (!office) return null
  return (
    <section class="panel overflow-panel" id="overflow" aria-labelledby="overflow-title">
      <h2 id="overflow-title" tabIndex={-1}>
        {t('overflow.title')}
      </h2>
      <p class="field__hint">
        {typeof minutes !== 'number'
          ? t('overflow.introNoMinutes')
          : minutes === 0
            ? t('overflow.introAtOnce')
            : minutes === 1
              ? t('overflow.introOne')
              : t('overflow.intro', { minutes })}
      </p>
      {message && (
        <p id="overflow-message" class={message.ok ? 'notice' : 'notice notice--warning'}>
          {message.text}
          {message.join && (
            <>
              {' '}
              <Link href={callPath(message.join)} id="overflow-join">
                {t('agenda.joinCall')}
              </Link>
            </>
          )}
        </p>
      )}
      {load.state === 'error' && !overflow && <p id="overflow-error">{t('overflow.error')}</p>}
      {overflow && overflow.items.length === 0 && (
        <p class="empty-state" id="overflow-empty">
          {t('overflow.empty')}
        </p>
      )}
      {overflow && overflow.items.length > 0 && (
        <>
          {props.agent && !overflow.can_take && (
            <p class="field__hint" id="overflow-not-free">
              {t('overflow.notFreeHint')}
            </p>
          )}
          <ul class="overflow-list" id="overflow-list">
            {overflow.items.map((item) => (
              <OverflowRow
                key={item.appointment_id}
                item={item}
                canTake={props.agent ? overflow.can_take : null}
                agents={props.supervisor ? overflow.agents : null}
                pending={pending === item.appointment_id}
                onTake={() => take(item)}
                onHandOver={(agent) => give(item, agent)}
              />
            ))}
          </ul>
        </>
      )}
    </section>
  )
}

function OverflowRow(props: {
  item: OverflowItem
  /** null: the caller does not take people. */
  canTake: boolean | null
  /** null: the caller does not hand people over. */
  agents: OfficeAgent[] | null
  pending: boolean
  onTake: () => void
  onHandOver: (agent: OfficeAgent | undefined) => void
}) {
  const { t, language } = useAdminI18n()
  const serviceName = useServiceName()
  const [chosen, setChosen] = useState('')
  const { item } = props
  const id = item.appointment_id
  const time = formatTime(language, item.start)
  const name = serviceName(item.service_id)
  const others = (props.agents ?? []).filter((a) => a.username !== item.agent)
  return (
    <li class="overflow-item" data-id={id}>
      <p class="overflow-item__facts">
        <strong lang={name.lang}>{name.text}</strong>
        <br />
        {t('overflow.appointment', { time })} · {t('overflow.waited', { count: waitMinutes(item.waited_s) })}
        {item.agent && (
          <>
            <br />
            {t('overflow.queueOf', { name: item.agent_name ?? item.agent })}
          </>
        )}
      </p>
      <div class="overflow-item__actions">
        {props.canTake !== null && (
          <button
            type="button"
            class="button button--small"
            id={`take-${id}`}
            aria-disabled={!props.canTake || props.pending ? 'true' : undefined}
            aria-describedby={props.canTake ? undefined : 'overflow-not-free'}
            onClick={props.onTake}
          >
            {t('overflow.take')}
            <span class="visually-hidden">, {time}</span>
          </button>
        )}
        {props.agents !== null && (
          <>
            <div class="field">
              <label class="field__label" for={`handover-${id}`}>
                {t('overflow.handOverTo')}
              </label>
              <select
                id={`handover-${id}`}
                class="input"
                value={chosen}
                onChange={(event) => setChosen(event.currentTarget.value)}
              >
                <option value="">{t('overflow.chooseAgent')}</option>
                {others.map((a) => (
                  <option key={a.username} value={a.username}>
                    {a.name} ({label(t, `overflow.agentStatus.${a.status}`, a.status)})
                  </option>
                ))}
              </select>
            </div>
            <button
              type="button"
              class="button button--secondary button--small"
              id={`handover-${id}-send`}
              aria-disabled={props.pending ? 'true' : undefined}
              onClick={() => props.onHandOver(others.find((a) => a.username === chosen))}
            >
              {t('overflow.handOver')}
              <span class="visually-hidden">, {time}</span>
            </button>
          </>
        )}
      </div>
    </li>
  )
}
