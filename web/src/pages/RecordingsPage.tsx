/**
 * `/staff/recordings` (supervisors): the recordings of one council day's video calls. "Play" asks for the reason
 * first (10–500 characters; the citizen sees that a supervisor played it, and why), then shows each participant's
 * segment as a WebM video from a link that expires in 5 minutes. "Place on hold" puts it on legal hold (a held recording
 * outlives its keeping period), also with a reason. Lifting a hold takes two people: "Ask to release" leaves it held
 * until another supervisor or an administrator presses "Approve release" (the one who asked is told to wait).
 */
import { useRef, useState } from 'preact/hooks'
import { asApiError } from '../api'
import { formatDate, formatDay, formatTime, today } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { DayField, FieldErrorMessage, Form, problemMessage } from '../components/forms'
import { recordsLabel, useRecordsI18n } from '../i18n/records'
import { useAnnounce, useAnnounced, useDocumentTitle, useFocusAfterRender, useOfficeName } from '../page-context'
import {
  changeLegalHold,
  fetchRecordings,
  formatClock,
  reasonProblem,
  REASON_MAX,
  startPlayback,
  type HoldState,
  type HoldStep,
  type Playback,
  type Recording,
} from '../records'
import { useResource } from '../resource'
import { isStaff, OnlyFor, staffRoles, useServiceName, useSignInFirst } from './appointment-common'

/** One day's recordings. */
type Day = { date: string; items: Recording[] }

/** The panel under the table: asking for a reason to play one recording or take a step of its legal hold, or showing
 * what was played. */
type Active =
  | { kind: 'play'; recording: Recording }
  | { kind: 'hold'; recording: Recording; step: HoldStep }
  | { kind: 'playing'; recording: Recording; playback: Playback }

const HOLD_DONE = { place: 'recs.holdPlaced', release: 'recs.holdReleased', approve: 'recs.releaseApproved' } as const

export function RecordingsPage() {
  const { t, language } = useRecordsI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const signedIn = useSignInFirst('staff')
  const [date, setDate] = useState(today)
  const [active, setActive] = useState<Active | null>(null)
  const supervisor = staffRoles(auth).includes('supervisor')
  const profileReady = auth.profile.state === 'ready'
  const allowed = !profileReady || (isStaff(auth) && supervisor)
  useDocumentTitle(t('recs.title'))

  const focus = useFocusAfterRender()

  const announced = useAnnounced<Day>({
    loading: t('recs.loading'),
    error: t('recs.error'),
    ready: ({ items }) =>
      items.length ? t('recs.loaded', { count: items.length }) : t('recs.empty', { date: formatDay(language, date, true) }),
  })
  const { load, reload, set } = useResource(
    signedIn && allowed ? () => fetchRecordings(auth.api, date).then((items) => ({ date, items })) : null,
    [date],
    {
      ...announced,
      onLoading: () => {
        setActive(null)
        announced.onLoading?.()
      },
    },
  )

  if (auth.session && !allowed) return <OnlyFor id="recordings-title" title={t('recs.title')} notice={t('recs.supervisorOnly')} />

  const open = (next: Active) => {
    setActive(next)
    focus('recording-panel-title')
  }
  const close = (returnTo?: string) => {
    setActive(null)
    if (returnTo) focus(returnTo)
  }
  const holdChanged = (recording: Recording, step: HoldStep, state: HoldState) => {
    if (load.state === 'ready') {
      const items = load.value.items.map((r) => (r.record_id === recording.record_id ? { ...r, ...state } : r))
      set({ ...load.value, items })
    }
    announce(t(HOLD_DONE[step], { time: formatTime(language, recording.start) }))
    // After asking, the row has no hold button until someone else approves: focus goes back to the row's time.
    close(step === 'release' ? `time-${recording.record_id}` : `hold-${recording.record_id}`)
  }

  return (
    <>
      <h1 tabIndex={-1} id="recordings-title">
        {t('recs.title')}
      </h1>
      <p class="lead">{t('recs.intro')}</p>
      <div class="records-controls">
        <DayField id="recordings-date" label={t('recs.date')} value={date} onDay={setDate} />
      </div>
      <p class="field__hint">{t('slots.zone')}</p>
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        <LoadStatus load={load} loading={t('recs.loading')} error={t('recs.error')} onRetry={reload} />
        {load.state === 'ready' && load.value.items.length === 0 && (
          <p class="empty-state" id="recordings-empty">
            {t('recs.empty', { date: formatDay(language, load.value.date, true) })}
          </p>
        )}
        {load.state === 'ready' && load.value.items.length > 0 && (
          <div class="table-wrap" role="region" aria-labelledby="recordings-caption" tabIndex={0}>
            <table id="recordings" data-testid="recordings" class="records-table">
              <caption id="recordings-caption">
                {t('recs.caption', { date: formatDay(language, load.value.date, true) })}
              </caption>
              <thead>
                <tr>
                  <th scope="col">{t('recs.col.time')}</th>
                  <th scope="col">{t('recs.col.service')}</th>
                  <th scope="col">{t('recs.col.office')}</th>
                  <th scope="col">{t('recs.col.status')}</th>
                  <th scope="col">{t('recs.col.retention')}</th>
                  <th scope="col">{t('recs.col.hold')}</th>
                  <th scope="col">{t('recs.col.actions')}</th>
                </tr>
              </thead>
              <tbody>
                {load.value.items.map((r) => (
                  <Row
                    key={r.record_id}
                    recording={r}
                    onPlay={() => open({ kind: 'play', recording: r })}
                    onHold={(step) => open({ kind: 'hold', recording: r, step })}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {active && (
        <section class="panel recording-panel" id="recording-panel" aria-labelledby="recording-panel-title">
          {active.kind === 'playing' ? (
            <Played
              playback={active.playback}
              recording={active.recording}
              onClose={() => close(`play-${active.recording.record_id}`)}
            />
          ) : (
            <ReasonForm
              key={`${active.kind}-${active.recording.record_id}`}
              active={active}
              onCancel={() => close(`${active.kind}-${active.recording.record_id}`)}
              onPlayed={(playback) => {
                setActive({ kind: 'playing', recording: active.recording, playback })
                announce(t('recs.ready', { time: formatTime(language, active.recording.start) }))
                focus('recording-panel-title')
              }}
              onHeld={holdChanged}
            />
          )}
        </section>
      )}
    </>
  )
}

/** The hold step this row offers: place it, ask to lift it, approve someone else's request — or none (the caller's
 * own request waits for another person). */
function holdStep(r: Recording): HoldStep | null {
  if (!r.legal_hold) return r.deleted ? null : 'place'
  if (!r.release_requested) return 'release'
  return r.release_requested.by_you ? null : 'approve'
}

const HOLD_BUTTON = { place: 'recs.holdPlace', release: 'recs.holdRelease', approve: 'recs.releaseApprove' } as const

function Row(props: { recording: Recording; onPlay: () => void; onHold: (step: HoldStep) => void }) {
  const officeName = useOfficeName()
  const { t, language } = useRecordsI18n()
  const r = props.recording
  const name = useServiceName()(r.service_id)
  const time = r.start ? formatTime(language, r.start) : '—'
  const step = holdStep(r)
  const hold = !r.legal_hold
    ? t('recs.holdOff')
    : !r.release_requested
      ? t('recs.holdOn')
      : r.release_requested.by_you
        ? t('recs.releaseRequestedByYou')
        : t('recs.releaseRequestedByOther')
  return (
    <tr
      data-id={r.record_id}
      data-hold={r.legal_hold ? 'true' : 'false'}
      data-release={r.release_requested ? (r.release_requested.by_you ? 'mine' : 'other') : undefined}
    >
      <th scope="row" id={`time-${r.record_id}`} tabIndex={-1}>
        <time dateTime={r.start}>{time}</time>
      </th>
      <td lang={name.lang}>{name.text}</td>
      <td>{r.office ? officeName(r.office) : '—'}</td>
      <td>{r.deleted ? t('recs.deleted') : recordsLabel(t, `recs.status.${r.status}`, r.status)}</td>
      <td>{r.retain_until ? formatDate(language, r.retain_until) : '—'}</td>
      <td class="recording-hold">{hold}</td>
      <td>
        <div class="row-actions">
          {!r.deleted && (
            <button type="button" id={`play-${r.record_id}`} class="button button--small" onClick={props.onPlay}>
              {t('recs.play')}
              <span class="visually-hidden">, {t('recs.ofTime', { time })}</span>
            </button>
          )}
          {step && (
            <button
              type="button"
              id={`hold-${r.record_id}`}
              class="button button--secondary button--small"
              onClick={() => props.onHold(step)}
            >
              {t(HOLD_BUTTON[step])}
              <span class="visually-hidden">, {t('recs.ofTime', { time })}</span>
            </button>
          )}
        </div>
      </td>
    </tr>
  )
}

/** The reason, checked here as the API does (10–500 characters), then the playback or the hold change. */
function ReasonForm(props: {
  active: Exclude<Active, { kind: 'playing' }>
  onCancel: () => void
  onPlayed: (playback: Playback) => void
  onHeld: (recording: Recording, step: HoldStep, state: HoldState) => void
}) {
  const { t, language } = useRecordsI18n()
  const { api } = useAuth()
  const { active } = props
  const [reason, setReason] = useState('')
  const [error, setError] = useState('')
  const [failure, setFailure] = useState('')
  const [pending, setPending] = useState(false)
  const input = useRef<HTMLTextAreaElement>(null)
  const time = formatTime(language, active.recording.start)
  const play = active.kind === 'play'
  const words = play ? PLAY_WORDS : HOLD_WORDS[active.step]
  const title = t(words.title, { time })
  const hint = t(words.hint)
  const length = [...reason.trim()].length
  const describedBy = ['reason-hint', 'reason-count', error && 'reason-error'].filter(Boolean).join(' ')

  async function submit() {
    if (pending) return
    const problem = reasonProblem(t, reason)
    setFailure('')
    if (problem) {
      setError(problem)
      input.current?.focus()
      return
    }
    setError('')
    setPending(true)
    try {
      const id = active.recording.record_id
      if (active.kind === 'play') props.onPlayed(await startPlayback(api, id, reason.trim()))
      else props.onHeld(active.recording, active.step, await changeLegalHold(api, id, active.step, reason.trim()))
    } catch (caught) {
      const apiError = asApiError(caught)
      setPending(false)
      if (apiError.status === 422 && apiError.errors.some((e) => e.field === 'reason')) {
        setError(reasonProblem(t, reason) ?? t('problem.validation'))
        input.current?.focus()
      } else if (apiError.status === 404) setFailure(t('recs.notFound'))
      else if (apiError.code === 'four_eyes_required') setFailure(t('recs.releaseNotYours'))
      else if (apiError.status === 409) setFailure(t('recs.holdChangedMeanwhile'))
      else setFailure(`${play ? t('recs.playError') : t('recs.holdError')} ${problemMessage(t, apiError)}`)
    }
  }

  return (
    <>
      <h2 id="recording-panel-title" tabIndex={-1}>
        {title}
      </h2>
      <Form id="reason-form" onSubmit={() => void submit()}>
        <div class={error ? 'field field--error' : 'field'}>
          <label class="field__label" for="reason">
            {t('recs.reason')}
          </label>
          <p class="field__hint" id="reason-hint">
            {hint}
          </p>
          {error && <FieldErrorMessage id="reason-error" message={error} />}
          <textarea
            ref={input}
            id="reason"
            name="reason"
            class="input input--reason"
            rows={3}
            value={reason}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={describedBy}
            aria-required="true"
            onInput={(event) => setReason(event.currentTarget.value)}
          />
          <p class={length > REASON_MAX ? 'field__hint field__hint--over' : 'field__hint'} id="reason-count">
            {t('recs.reasonCount', { count: length, max: REASON_MAX })}
          </p>
        </div>
        <div class="actions">
          <button type="submit" class="button" id="reason-submit" aria-disabled={pending ? 'true' : undefined}>
            {pending ? (play ? t('recs.starting') : t('recs.holdSaving')) : t(words.submit)}
          </button>
          <button type="button" class="button button--secondary" onClick={props.onCancel}>
            {t('recs.cancel')}
          </button>
        </div>
        <div aria-live="polite" id="reason-status">
          {failure && <p class="field__error">{failure}</p>}
        </div>
      </Form>
    </>
  )
}

const PLAY_WORDS = { title: 'recs.playTitle', hint: 'recs.playHint', submit: 'recs.playSubmit' } as const
const HOLD_WORDS = {
  place: { title: 'recs.holdTitlePlace', hint: 'recs.holdHintPlace', submit: 'recs.holdSubmitPlace' },
  release: { title: 'recs.holdTitleRelease', hint: 'recs.holdHintRelease', submit: 'recs.holdSubmitRelease' },
  approve: { title: 'recs.releaseApproveTitle', hint: 'recs.releaseApproveHint', submit: 'recs.releaseApproveSubmit' },
} as const

/** The segments as videos, each named by the participant's role and its time; the links last a few minutes. */
function Played(props: { playback: Playback; recording: Recording; onClose: () => void }) {
  const { t, language } = useRecordsI18n()
  const { playback } = props
  const time = formatTime(language, props.recording.start)
  const minutes = Math.max(1, Math.round(playback.expires_in / 60))
  return (
    <>
      <h2 id="recording-panel-title" tabIndex={-1}>
        {t('recs.segmentsTitle', { time })}
      </h2>
      <p class="note" id="recording-expiry">
        {t('recs.expires', { minutes })}
      </p>
      {playback.segments.length === 0 ? (
        <p class="empty-state">{t('recs.noSegments')}</p>
      ) : (
        <ul class="segments" data-testid="segments">
          {playback.segments.map((s, index) => {
            const captionId = `segment-${index}-label`
            const role = recordsLabel(t, `recs.participant.${s.role}`, s.role || s.participant)
            const range = (instant: string) => (instant ? formatClock(language, instant) : '—')
            return (
              <li key={index} class="segment">
                <figure>
                  <figcaption id={captionId}>
                    {t('recs.segment', { role, start: range(s.start), end: range(s.end) })}
                  </figcaption>
                  <video controls preload="metadata" aria-labelledby={captionId} class="segment__video">
                    <source src={s.url} type="video/webm" />
                    {t('recs.noVideo')}
                  </video>
                </figure>
              </li>
            )
          })}
        </ul>
      )}
      <div class="actions">
        <button type="button" class="button button--secondary" id="recording-close" onClick={props.onClose}>
          {t('recs.close')}
        </button>
      </div>
    </>
  )
}
