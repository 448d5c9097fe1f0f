/**
 * `/agenda` (staff): one day's appointments of an office — an agent's own office, or the one a supervisor picks — in a
 * table, on the council's clock. Agents record each appointment's outcome from its row. "Book for a citizen" opens
 * the booking flow in staff mode for one of the office's services.
 *
 * Live: while the page is visible it asks again every 5 s (quietly) and shows each appointment's call — waiting since
 * hh:mm, in call, ended — with "Join call" while the call window is open. When someone starts waiting, the agent
 * hears a chime (which can be muted; remembered on this device) and sees it: the row is highlighted and an assertive
 * message says who is waiting. Above the table, "Waiting for anyone" (overflow-panel.tsx): citizens of the office
 * waiting too long for a busy agent, for a free agent to take or a supervisor to hand over. Each waiting row also shows
 * the citizen's place in line and estimated wait, as the citizen sees them (agenda-queue.tsx).
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { asApiError } from '../api'
import {
  changeAppointment,
  formatDay,
  formatTime,
  OUTCOMES,
  parseAppointment,
  parseItems,
  today,
  type Agenda,
  type Appointment,
} from '../appointments'
import { useAuth } from '../auth'
import { chimeEnabled, playChime, rememberChime } from '../call/devices'
import { callWindow, newlyWaiting, windowPosition, type CallStateName } from '../call/protocol'
import { LoadStatus } from '../components/error-state'
import { DayField, FieldErrorMessage, Form, problemMessage } from '../components/forms'
import { isAdminKey, useAdminI18n, type AdminTranslate } from '../i18n/admin'
import { parsePreflightSummary, type PreflightSummary } from '../preflight-summary'
import { label, officeName } from '../offices'
import { useAnnounce, useDocumentTitle, useOffices, useServices } from '../page-context'
import { useResource } from '../resource'
import { APPOINTMENTS_PATH, appointmentPath, bookPath, callPath, Link } from '../router'
import { isStaff, staffRoles, statusName, useServiceName, useSignInFirst } from './appointment-common'
import { Localized } from '../components/localized'
import { OverflowPanel } from './overflow-panel'
import { QueueFacts, useWaitingQueues } from './agenda-queue'
import type { QueueState } from '../queue'

export const AGENDA_POLL_MS = 5_000

/** Who an appointment is with, for the alert: the citizen's name, else the masked ID number. */
function citizenLabel(a: Appointment, fallback: string): string {
  return a.citizen?.name || a.citizen?.id_number_masked || fallback
}

export function AgendaPage() {
  const { t, language } = useAdminI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const signedIn = useSignInFirst('staff')
  const { load: services } = useServices()
  const [date, setDate] = useState(today)
  const { load: offices, reload: reloadOffices } = useOffices()
  const [chosenOffice, setChosenOffice] = useState<string | null>(null)
  const [alert, setAlert] = useState<{ text: string; id: string } | null>(null)
  const [chime, setChime] = useState(chimeEnabled)
  const seen = useRef(new Map<string, CallStateName>())
  const chimeRef = useRef(chime)
  chimeRef.current = chime
  const profile = auth.profile.state === 'ready' ? auth.profile.profile : null
  const roles = staffRoles(auth)
  const supervisor = roles.includes('supervisor')
  const agent = roles.includes('agent')
  const ownOffice = profile?.kind === 'staff' ? profile.office : null
  // A supervisor sees the office they pick: at first their own, else the first the API lists.
  const office = supervisor ? (chosenOffice ?? ownOffice ?? offices.value?.[0]?.id ?? null) : ownOffice
  useDocumentTitle(t('agenda.title'))

  const query = `?date=${date}${supervisor && office ? `&office=${encodeURIComponent(office)}` : ''}`

  /** Someone has started waiting: chime (unless muted) and say who, in the assertive region. */
  function alertWaiting(items: Appointment[]) {
    const fresh = newlyWaiting(seen.current, items)
    const first = items.find((a) => a.id === fresh[0])
    if (!first) return
    const names = fresh.map((id) => items.find((a) => a.id === id)).filter((a): a is Appointment => Boolean(a))
    const text = names
      .map((a) =>
        t('agenda.waitingAlert', { name: citizenLabel(a, t('call.theCitizen')), time: formatTime(language, a.start) }),
      )
      .join(' ')
    setAlert({ text, id: first.id })
    if (chimeRef.current) playChime()
  }

  function fetchAgenda(): Promise<Agenda> {
    return auth.api.request<Record<string, unknown>>(`/agenda${query}`, { auth: true }).then((body) => {
      const shownOffice = typeof body?.office === 'string' ? body.office : (office ?? '')
      const items = parseItems(body, (item) => parseAppointment(item, shownOffice))
      items.sort((x, y) => Date.parse(x.start) - Date.parse(y.start))
      return { date, office: shownOffice, items }
    })
  }

  const staffReady = signedIn && profile?.kind === 'staff' && (!supervisor || office !== null)
  const { load, reload, refresh, set } = useResource(staffReady ? fetchAgenda : null, [profile, date, office], {
    onLoading: () => {
      setAlert(null)
      seen.current = new Map()
      announce(t('agenda.loading'))
    },
    onReady: (agenda, quiet) => {
      if (quiet) {
        // The alert goes once that person is no longer waiting (let in, or gone).
        setAlert((now) =>
          now && agenda.items.some((a) => a.id === now.id && a.call?.state === 'waiting') ? now : null,
        )
      } else announce(t('agenda.loaded', { count: agenda.items.length }))
      alertWaiting(agenda.items)
    },
    onError: (_error, quiet) => {
      if (!quiet) announce(`${t('agenda.error')} ${t('error.hint')}`)
    },
  })

  // Live: quietly again every 5 s while the page is visible, and at once when it becomes visible again.
  useEffect(() => {
    if (!staffReady) return
    const poll = () => {
      if (document.visibilityState !== 'hidden') refresh()
    }
    const timer = window.setInterval(poll, AGENDA_POLL_MS)
    const onVisible = () => {
      if (document.visibilityState === 'visible') refresh()
    }
    document.addEventListener('visibilitychange', onVisible)
    return () => {
      window.clearInterval(timer)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [staffReady, profile, date, office])

  const waitingIds =
    load.state === 'ready' ? load.value.items.filter((a) => a.call?.state === 'waiting').map((a) => a.id) : []
  const queues = useWaitingQueues(auth.api, waitingIds)

  const update = (changed: Appointment) => {
    if (load.state !== 'ready') return
    const items = load.value.items.map((a) => (a.id === changed.id ? { ...a, ...changed, citizen: a.citizen } : a))
    set({ ...load.value, items })
  }

  if (auth.session && !isStaff(auth)) {
    return (
      <>
        <h1 tabIndex={-1} id="agenda-title">
          {t('agenda.title')}
        </h1>
        <p>{t('agenda.staffOnly')}</p>
        <p>
          <Link href={APPOINTMENTS_PATH}>{t('appointments.title')}</Link>
        </p>
      </>
    )
  }

  const bookable =
    services.state === 'ready' ? services.value.filter((s) => supervisor || s.office === office) : []
  const agenda = load.state === 'ready' ? load.value : null
  return (
    <>
      <h1 tabIndex={-1} id="agenda-title">
          {t('agenda.title')}
        </h1>
      <div class="agenda-controls">
        <DayField id="agenda-date" label={t('agenda.date')} value={date} onDay={setDate} />
        {supervisor && (
          <div class="field">
            <label class="field__label" for="agenda-office">
              {t('detail.office')}
            </label>
            <select
              id="agenda-office"
              class="input"
              value={office ?? ''}
              onChange={(event) => setChosenOffice(event.currentTarget.value)}
            >
              {(offices.value ?? []).map((o) => (
                <option key={o.id} value={o.id}>
                  {officeName(offices.value, language, o.id)}
                </option>
              ))}
            </select>
          </div>
        )}
        <button type="button" class="button button--secondary" onClick={reload}>
          {t('agenda.refresh')}
        </button>
        <button
          type="button"
          id="chime-toggle"
          class="button button--secondary"
          aria-pressed={chime ? 'true' : 'false'}
          onClick={() => {
            rememberChime(!chime)
            setChime(!chime)
          }}
        >
          {t('agenda.chime')}
        </button>
      </div>
      <div
        class={alert ? 'waiting-alert waiting-alert--on' : 'waiting-alert'}
        id="waiting-alert"
        aria-live="assertive"
        aria-atomic="true"
      >
        {alert && (
          <p>
            {alert.text}{' '}
            {agent && (
              <Link href={callPath(alert.id)} id="waiting-alert-join">
                {t('agenda.joinCall')}
              </Link>
            )}
          </p>
        )}
      </div>
      {staffReady && <OverflowPanel office={office} agent={agent} supervisor={supervisor} onMoved={refresh} />}
      <p class="field__hint">{t('slots.zone')}</p>
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        {supervisor && offices.state === 'error' && !office ? (
          // Without the list of offices a supervisor has no office to ask for: its failure, and Retry.
          <LoadStatus load={offices} loading={t('agenda.loading')} error={t('agenda.error')} onRetry={reloadOffices} />
        ) : (
          <LoadStatus load={load} loading={t('agenda.loading')} error={t('agenda.error')} onRetry={reload} />
        )}
        {agenda && !agenda.items.length && (
          <p class="empty-state" id="agenda-empty">
            {t('agenda.empty', { date: formatDay(language, agenda.date, true) })}
          </p>
        )}
        {agenda && agenda.items.length > 0 && (
          <div class="table-wrap" role="region" aria-labelledby="agenda-caption" tabIndex={0}>
            <table id="agenda">
              <caption id="agenda-caption">
                {t('agenda.caption', {
                  date: formatDay(language, agenda.date, true),
                  office: officeName(offices.value, language, agenda.office),
                })}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{t('appt.time')}</th>
                  <th scope="col">{t('appt.service')}</th>
                  <th scope="col">{t('agenda.citizen')}</th>
                  <th scope="col">{t('agenda.call')}</th>
                  <th scope="col">{t('appt.status')}</th>
                  <th scope="col">{t('agenda.outcome')}</th>
                </tr>
              </thead>
              <tbody>
                {agenda.items.map((a) => (
                  <Row key={a.id} appointment={a} canRecord={agent} onSaved={update} queue={queues[a.id]} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {bookable.length > 0 && (
        <section aria-labelledby="book-for-title">
          <h2 id="book-for-title">{t('agenda.bookFor')}</h2>
          <p>{t('agenda.bookForText')}</p>
          <ul class="book-for">
            {bookable.map((s) => (
              <li key={s.id}>
                <Link href={bookPath(s.id, true)}>
                  <Localized as="span" text={s.name} />
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  )
}

function Row(props: {
  appointment: Appointment
  canRecord: boolean
  onSaved: (a: Appointment) => void
  queue?: QueueState
}) {
  const { t, language } = useAdminI18n()
  const a = props.appointment
  const name = useServiceName()(a.service_id)
  const time = t('appt.timeRange', { start: formatTime(language, a.start), end: formatTime(language, a.end) })
  const outcome = a.outcome ?? (OUTCOMES.includes(a.status as never) ? a.status : null)
  const callState = a.call?.state ?? 'idle'
  const open = a.status === 'booked' && windowPosition(callWindow(a)) === 'open'
  return (
    <tr data-id={a.id} data-call={callState} class={callState === 'waiting' ? 'agenda-row--waiting' : undefined}>
      <th scope="row">
        <Link href={appointmentPath(a.id)}>{time}</Link>
      </th>
      <td lang={name.lang}>{name.text}</td>
      <td>
        {a.citizen?.id_number_masked}
        {a.citizen?.name && (
          <>
            <br />
            {a.citizen.name}
          </>
        )}
      </td>
      <td class="agenda-call">
        <span class={`call-state call-state--${callState}`}>
          {callState === 'waiting' && a.call?.waiting_since
            ? t('agenda.callWaitingSince', { time: formatTime(language, a.call.waiting_since) })
            : label(t, `agenda.callState.${callState}`, callState)}
        </span>
        {callState === 'waiting' && <QueueFacts t={t} queue={props.queue} />}
        {a.call && a.call.recording !== 'none' && (
          <>
            <br />
            <span class={`recording-state recording-state--${a.call.recording}`} data-recording={a.call.recording}>
              {label(t, `agenda.recording.${a.call.recording}`, a.call.recording)}
            </span>
          </>
        )}
        {a.status === 'booked' && <PreflightTags preflight={parsePreflightSummary(a.preflight)} />}
        {props.canRecord && open && (callState === 'waiting' || callState === 'in_call' || callState === 'idle') && (
          <>
            <br />
            <Link
              href={callPath(a.id)}
              class={callState === 'waiting' ? 'button button--small' : 'button button--secondary button--small'}
              id={`join-${a.id}`}
            >
              {t('agenda.joinCall')}
              <span class="visually-hidden">, {time}</span>
            </Link>
          </>
        )}
      </td>
      <td class="agenda-status">{statusName(t, a.status)}</td>
      <td>
        {outcome ? (
          label(t, `outcome.${outcome}`, outcome)
        ) : props.canRecord && a.status === 'booked' ? (
          <OutcomeForm appointment={a} time={time} onSaved={props.onSaved} />
        ) : (
          t('agenda.noOutcome')
        )}
      </td>
    </tr>
  )
}

function OutcomeForm(props: { appointment: Appointment; time: string; onSaved: (a: Appointment) => void }) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const [outcome, setOutcome] = useState('')
  const [notes, setNotes] = useState('')
  const [error, setError] = useState('')
  const [pending, setPending] = useState(false)
  const id = props.appointment.id
  const errorId = `outcome-${id}-error`
  return (
    <Form
      class="outcome-form"
      onSubmit={async () => {
        if (pending) return
        if (!outcome) {
          setError(t('agenda.outcomeMissing'))
          document.getElementById(`outcome-${id}`)?.focus()
          return
        }
        setPending(true)
        setError('')
        try {
          const saved = await changeAppointment(api, id, 'outcome', { outcome, notes: notes.trim() })
          const words = label(t, `outcome.${outcome}`, outcome)
          props.onSaved({ ...saved, outcome: saved.outcome ?? outcome })
          announce(t('agenda.saved', { time: props.time, outcome: words }))
        } catch (caught) {
          setError(problemMessage(t, asApiError(caught)))
          setPending(false)
        }
      }}
    >
      {error && <FieldErrorMessage id={errorId} message={error} />}
      <label class="field__label" for={`outcome-${id}`}>
        {t('agenda.outcome')}
      </label>
      <select
        id={`outcome-${id}`}
        name="outcome"
        class="input"
        value={outcome}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(event) => setOutcome(event.currentTarget.value)}
      >
        <option value="">{t('agenda.choose')}</option>
        {OUTCOMES.map((o) => (
          <option key={o} value={o}>
            {label(t, `outcome.${o}`, o)}
          </option>
        ))}
      </select>
      <label class="field__label" for={`notes-${id}`}>
        {t('agenda.notes')}
      </label>
      <textarea
        id={`notes-${id}`}
        name="notes"
        class="input"
        rows={2}
        value={notes}
        onInput={(event) => setNotes(event.currentTarget.value)}
      />
      <button type="submit" class="button" aria-disabled={pending ? 'true' : undefined}>
        {t('agenda.save')}
        <span class="visually-hidden">, {props.time}</span>
      </button>
    </Form>
  )
}

/** The citizen's pre-flight check, as a tag, and what they asked for: sound only, or a phone call instead. */
function PreflightTags(props: { preflight: PreflightSummary | null }) {
  const { t } = useAdminI18n()
  const p = props.preflight
  if (!p) return null
  return (
    <>
      <br />
      <span class={`preflight-tag preflight-tag--${p.result}`} data-preflight={p.result}>
        {t('agenda.preflight')}: {preflightLabel(t, p.result)}
      </span>
      {p.audio_only && (
        <>
          <br />
          <span class="preflight-ask" data-ask="audio_only">
            {t('agenda.preflight.audioOnly')}
          </span>
        </>
      )}
      {p.callback_phone && (
        <>
          <br />
          <span class="preflight-ask" data-ask="callback">
            {t('agenda.preflight.callback', { phone: p.callback_phone })}
          </span>
        </>
      )}
    </>
  )
}

/** The pre-flight result in the back office's words (the code itself if a newer API names one we do not know). */
function preflightLabel(t: AdminTranslate, result: string): string {
  const key = `agenda.preflight.${result}`
  return isAdminKey(key) ? t(key) : result
}

