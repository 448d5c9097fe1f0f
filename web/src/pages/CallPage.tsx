/**
 * `/appointments/:id/call`: the appointment's video call.
 *
 * Citizen: the waiting room first — camera preview, microphone level, a test sound for the speakers, a network check
 * (the API and the media node), and the recording notice (what, why, how long, their rights; the detail behind
 * "more") — then "Join": "the agent will let you in", live from the room's events, with a word if the agent runs
 * late; once let in, the call screen. Without camera (refused or missing) they can still join with sound only.
 *
 * Agent: joins on arrival; sees who waits (and since when) with "Admit", the call screen with the procedure panel
 * beside it (procedure-panel.tsx), and "End call", which asks for the appointment's outcome, ends the call for
 * everyone and saves it.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { ApiError, asApiError, type ApiClient } from '../api'
import { changeAppointment, formatTime, OUTCOMES, type Appointment } from '../appointments'
import { useAuth } from '../auth'
import { browserDeps, CallConnection } from '../call/connection'
import {
  chimeEnabled,
  micMeter,
  openMedia,
  playChime,
  playTestSound,
  roundTrip,
  stopMedia,
  type LocalMedia,
} from '../call/devices'
import { networkVerdict } from '../call/policy'
import {
  agentLate,
  callWindow,
  healthUrl,
  myState,
  parseJoinGrant,
  waitingParticipants,
  windowPosition,
  type JoinGrant,
} from '../call/protocol'
import { ErrorState } from '../components/ErrorState'
import { IdentityAtHand } from '../components/IdentityAtHand'
import { FieldErrorMessage, problemMessage } from '../components/forms'
import { useI18n } from '../i18n/context'
import { label } from '../offices'
import { useAnnounce, useDocumentTitle, useFocusAfterRender } from '../page-context'
import { AGENDA_PATH, appointmentPath, DOCUMENTS_PATH, Link } from '../router'
import { recordingRetentionText, useRetention } from '../retention'
import { isStaff, useAppointment, useServiceName, useSignInFirst, when } from './appointment-common'
import { CallScreen, participantName, StreamVideo, useCallSnapshot } from './call-screen'
import { AgentProcedurePanel } from '../procedures/agent-panel'
import { CitizenProcedurePanel } from '../procedures/citizen-panel'
import type { ProcedureDocument } from '../procedures/model'
import { DownloadButton } from '../procedures/procedure-parts'
import { useProcedures } from '../procedures/use-procedures'


/** `POST /appointments/{id}/call`: a fresh join grant. */
export async function requestGrant(api: ApiClient, id: string): Promise<JoinGrant> {
  const body = await api.request(`/appointments/${encodeURIComponent(id)}/call`, {
    method: 'POST',
    auth: true,
    body: {},
  })
  const grant = parseJoinGrant(body)
  if (!grant) throw new ApiError(null, { title: 'Unexpected response' })
  return grant
}

function connect(api: ApiClient, id: string, media: LocalMedia, audioOnly: boolean): CallConnection {
  const connection = new CallConnection(
    browserDeps(() => requestGrant(api, id)),
    media.stream,
    {
      audioOnly: audioOnly || media.video !== 'ok',
    },
  )
  connection.start()
  return connection
}

/** Re-renders every `everyMs` with the time, for what depends on the clock (the window opening, the agent late). */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs)
    return () => window.clearInterval(timer)
  }, [everyMs])
  return now
}

/** Camera and microphone while the page is open (stopped when it closes); `retry` asks again. */
function useLocalMedia(): { media: LocalMedia | null; retry: () => void } {
  const [media, setMedia] = useState<LocalMedia | null>(null)
  const [attempt, setAttempt] = useState(0)
  useEffect(() => {
    let current = true
    let opened: MediaStream | null = null
    setMedia(null)
    openMedia().then((found) => {
      if (!current) return stopMedia(found.stream)
      opened = found.stream
      setMedia(found)
    })
    return () => {
      current = false
      stopMedia(opened)
    }
  }, [attempt])
  return { media, retry: () => setAttempt((n) => n + 1) }
}

export function CallPage(props: { id: string }) {
  const { t, language } = useI18n()
  const auth = useAuth()
  const signedIn = useSignInFirst()
  const serviceName = useServiceName()
  const { load, retry } = useAppointment(props.id, signedIn)
  const appointment = load.state === 'ready' ? load.appointment : null
  const name = appointment ? serviceName(appointment.service_id) : null
  const notFound = load.state === 'error' && load.error.status === 404
  useDocumentTitle(notFound ? t('appt.notFound') : t('call.title'))

  const staff = isStaff(auth)
  const a = appointment
  return (
    <>
      <h1 tabIndex={-1} id="call-page-title">
        {notFound ? t('appt.notFound') : t('call.title')}
      </h1>
      {a && (
        <p class="lead" id="call-appointment">
          <span lang={name?.lang}>{name?.text}</span> · {when(t, language, a)}
        </p>
      )}
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        {load.state === 'loading' && <p class="status-message">{t('appt.loading')}</p>}
        {load.state === 'error' && notFound && <p>{t('appt.notFoundText')}</p>}
        {load.state === 'error' && !notFound && (
          <ErrorState message={t('appt.error')} error={load.error} onRetry={retry} />
        )}
        {a && a.status !== 'booked' && (
          <p class="notice" id="call-closed">
            {t('call.appointmentClosed')}
          </p>
        )}
        {a && a.status === 'booked' && (staff ? <AgentCall appointment={a} /> : <CitizenCall appointment={a} />)}
      </div>
      <p class="back">
        {staff ? (
          <Link href={AGENDA_PATH}>{t('agenda.title')}</Link>
        ) : (
          <Link href={appointmentPath(props.id)}>{t('call.backToAppointment')}</Link>
        )}
      </p>
    </>
  )
}

// ---- Citizen ----

type Precheck =
  | { state: 'checking' }
  | {
      state: 'done'
      grant: JoinGrant
      verdict: 'good' | 'poor' | 'failed'
      apiMs: number | null
      nodeMs: number | null
    }
  | { state: 'error'; error: ApiError }

function CitizenCall(props: { appointment: Appointment }) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const a = props.appointment
  const { media, retry } = useLocalMedia()
  const now = useNow(15_000)
  const [connection, setConnection] = useState<CallConnection | null>(null)
  const snapshot = useCallSnapshot(connection)
  const [left, setLeft] = useState(false)
  const [audioOnly, setAudioOnly] = useState(false)
  const [precheck, setPrecheck] = useState<Precheck>({ state: 'checking' })
  const [checkAttempt, setCheckAttempt] = useState(0)
  const w = callWindow(a)
  const position = windowPosition(w, now)
  const notOpen = precheck.state === 'error' && precheck.error.code === 'call_not_open'
  const joined = useRef(false)
  joined.current = connection !== null

  useEffect(() => () => connection?.close(), [connection])

  // The check asks for a grant, which says where the media node is and how long recordings are kept.
  useEffect(() => {
    if (position !== 'open') return
    let current = true
    setPrecheck({ state: 'checking' })
    ;(async () => {
      try {
        const grant = await requestGrant(api, a.id)
        const [apiMs, nodeMs] = await Promise.all([
          roundTrip(async () => {
            try {
              await api.request('/health')
            } catch (error) {
              if (asApiError(error).status === null) throw error
            }
          }),
          roundTrip((signal) => window.fetch(healthUrl(grant.media_url), { cache: 'no-store', signal })),
        ])
        if (!current) return
        const verdict = networkVerdict(apiMs, nodeMs)
        setPrecheck({ state: 'done', grant, verdict, apiMs, nodeMs })
        // Said only while still getting ready: once in the waiting room, other news matters.
        if (!joined.current) announce(`${t('call.network')}: ${t(`call.network.${verdict}`)}`)
      } catch (error) {
        if (current) setPrecheck({ state: 'error', error: asApiError(error) })
      }
    })()
    return () => {
      current = false
    }
  }, [position, checkAttempt])

  const me = snapshot ? myState(snapshot.room) : 'unknown'
  const view: 'prejoin' | 'waiting' | 'call' | 'ended' | 'failed' | 'left' = left
    ? 'left'
    : !snapshot
      ? 'prejoin'
      : snapshot.status === 'failed'
        ? 'failed'
        : snapshot.status === 'ended'
          ? 'ended'
          : me === 'admitted'
            ? 'call'
            : 'waiting'

  // Each new stage of the visit: focus its heading, so a screen reader starts there.
  const previousView = useRef(view)
  useEffect(() => {
    if (previousView.current === view) return
    previousView.current = view
    const target = {
      prejoin: 'check-title',
      waiting: 'waiting-title',
      call: 'call-title',
      ended: 'call-ended-title',
      failed: 'call-failed-title',
      left: 'call-ended-title',
    }[view]
    focus(target)
    if (view === 'ended') announce(t('call.endedTitle'))
  }, [view])

  const late = view === 'waiting' && agentLate(a.start, now)
  useEffect(() => {
    if (late) announce(t('call.agentLate'))
  }, [late])

  // While in the call, what the agent prepares for the citizen's confirmation shows up within 5 s.
  const procedures = useProcedures(a.id, { enabled: view === 'call', poll: 'always' })
  // Once it has ended: what was issued in it, to download from here.
  const issued = useProcedures(a.id, { enabled: view === 'ended', poll: 'never' })

  function join() {
    if (!media) return
    setLeft(false)
    setConnection(connect(api, a.id, media, audioOnly))
  }

  if (view === 'left' || view === 'ended' || view === 'failed') {
    const failure = snapshot?.failure
    const reason =
      failure?.kind === 'room_full'
        ? t('call.roomFull')
        : failure?.kind === 'api'
          ? callProblem(t, failure.error, language)
          : t('call.failedText')
    return (
      <section class="panel" aria-labelledby={view === 'failed' ? 'call-failed-title' : 'call-ended-title'}>
        {view === 'failed' ? (
          <>
            <h2 id="call-failed-title" tabIndex={-1}>
              {t('call.failedTitle')}
            </h2>
            <p>{reason}</p>
          </>
        ) : (
          <>
            <h2 id="call-ended-title" tabIndex={-1}>
              {view === 'left' ? t('call.leftTitle') : t('call.endedTitle')}
            </h2>
            <p id="call-ended-text">{view === 'left' ? t('call.leftText') : t('call.endedText')}</p>
            {view === 'ended' && <IssuedDocuments documents={issuedDocuments(issued.items)} citizen />}
          </>
        )}
        {view !== 'ended' && windowPosition(w) === 'open' && (
          <button type="button" class="button" id="rejoin" onClick={join}>
            {t('call.rejoin')}
          </button>
        )}
      </section>
    )
  }

  if (connection && snapshot && view === 'call') {
    return (
      <CallScreen
        immersive
        connection={connection}
        snapshot={snapshot}
        localStream={media?.stream ?? null}
        titleId="call-title"
        hangUpLabel={t('call.leave')}
        onHangUp={() => {
          connection.close()
          setLeft(true)
        }}
        aside={
          procedures.items && procedures.items.length > 0 ? (
            <CitizenProcedurePanel procedures={procedures} as="aside" />
          ) : undefined
        }
      />
    )
  }

  if (connection && snapshot && view === 'waiting') {
    return (
      <section class="panel waiting-room" aria-labelledby="waiting-title">
        <h2 id="waiting-title" tabIndex={-1}>
          {t('call.waitingTitle')}
        </h2>
        <p id="waiting-status" class="status-message">
          {snapshot.status === 'reconnecting'
            ? t('call.reconnecting')
            : snapshot.status === 'connecting' || me === 'unknown'
              ? t('call.connecting')
              : t('call.waitingText')}
        </p>
        <IdentityAtHand id="waiting-identity" />
        {late && (
          <p class="notice" id="agent-late">
            {t('call.agentLate')}
          </p>
        )}
        {media?.stream && media.video === 'ok' && (
          <StreamVideo stream={media.stream} muted class="prejoin__video" label={t('call.selfVideo')} />
        )}
        <button
          type="button"
          class="button button--secondary"
          id="leave-waiting"
          onClick={() => {
            connection.close()
            setLeft(true)
          }}
        >
          {t('call.leaveWaiting')}
        </button>
      </section>
    )
  }

  // Before joining.
  const noCamera = media !== null && media.video !== 'ok'
  return (
    <>
      {position === 'before' || notOpen ? (
        <p class="notice" id="call-not-open">
          {t('call.opensAt', {
            time: formatTime(language, notOpen ? stringOr(precheck.error.body.opens_at, w.opens_at) : w.opens_at),
          })}
        </p>
      ) : position === 'after' ? (
        <p class="notice" id="call-not-open">
          {t('call.closedWindow')}
        </p>
      ) : null}
      {/* Join first: on a phone it shows without scrolling; the checks below keep running meanwhile. */}
      {position === 'open' && !notOpen && (
        <section class="panel join-panel" aria-labelledby="join-title">
          <h2 id="join-title">{t('call.joinTitle')}</h2>
          <div class="checkbox">
            <input
              type="checkbox"
              id="join-audio-only"
              checked={audioOnly || noCamera}
              disabled={noCamera}
              aria-describedby="join-audio-only-hint"
              onChange={(event) => setAudioOnly(event.currentTarget.checked)}
            />
            <label for="join-audio-only">{t('call.joinAudioOnly')}</label>
          </div>
          <p class="field__hint" id="join-audio-only-hint">
            {noCamera ? t('call.joinAudioOnlyForced') : t('call.joinAudioOnlyHint')}
          </p>
          {precheck.state === 'error' && (
            <p class="notice" id="precheck-error">
              {callProblem(t, precheck.error, language)}
            </p>
          )}
          <button
            type="button"
            id="join-call"
            class="button"
            aria-disabled={media === null ? 'true' : undefined}
            onClick={join}
          >
            {t('call.join')}
          </button>
          <p class="join-panel__recorded" id="join-recorded">
            {t('call.recordedSummary')} <a href="#recording-notice">{t('call.recordedMore')}</a>
          </p>
        </section>
      )}
      <section aria-labelledby="check-title">
        <h2 id="check-title" tabIndex={-1}>
          {t('call.checkTitle')}
        </h2>
        <DeviceChecks media={media} onRetry={retry} />
        <NetworkCheck
          precheck={position === 'open' && !notOpen ? precheck : null}
          onRetry={() => setCheckAttempt((n) => n + 1)}
        />
      </section>
      <RecordingNotice serviceId={a.service_id} />
    </>
  )
}

function issuedDocuments(items: { documents: ProcedureDocument[] }[] | null): ProcedureDocument[] {
  return (items ?? []).flatMap((p) => p.documents)
}

/** The end of a call: the documents just issued in it, each to download, and where to find them later. */
function IssuedDocuments(props: { documents: ProcedureDocument[]; citizen?: boolean }) {
  const { t } = useI18n()
  if (props.documents.length === 0) return null
  return (
    <section class="call-documents" aria-labelledby="call-documents-title" id="call-documents">
      <h3 id="call-documents-title">{t('call.endedDocuments')}</h3>
      <ul class="procedure-documents">
        {props.documents.map((d) => (
          <li key={d.id} class="procedure-document" data-document={d.id}>
            <span class="procedure-document__title">{d.title}</span>
            <DownloadButton document={d} idPrefix="ended-download" />
          </li>
        ))}
      </ul>
      {props.citizen && (
        <p>
          {t('call.endedDocumentsMore')} <Link href={DOCUMENTS_PATH}>{t('docs.title')}</Link>
        </p>
      )}
    </section>
  )
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : fallback
}

/** Why the API would not give a place in the call, in words. */
function callProblem(
  t: ReturnType<typeof useI18n>['t'],
  error: ApiError,
  language: ReturnType<typeof useI18n>['language'],
): string {
  if (error.code === 'call_not_open') {
    const opens = stringOr(error.body.opens_at, '')
    return opens && Date.parse(opens) > Date.now()
      ? t('call.opensAt', { time: formatTime(language, opens) })
      : t('call.closedWindow')
  }
  if (error.code === 'appointment_closed') return t('call.appointmentClosed')
  if (error.code === 'no_media_node' || error.status === 503) return t('call.noMediaNode')
  return problemMessage(t, error)
}

function DeviceChecks(props: { media: LocalMedia | null; onRetry: () => void }) {
  const { t } = useI18n()
  const announce = useAnnounce()
  const { media } = props
  const stream = media?.stream ?? null
  const level = useMicLevel(media?.audio === 'ok' ? stream : null)
  const [heard, setHeard] = useState(false)
  useEffect(() => {
    if (level > 0.08 && !heard) setHeard(true)
  }, [level, heard])
  const problem = media && (media.video !== 'ok' || media.audio !== 'ok')
  return (
    <div class="prejoin">
      <div class="prejoin__preview">
        {stream && media?.video === 'ok' ? (
          <StreamVideo stream={stream} muted class="prejoin__video" id="preview-video" label={t('call.preview')} />
        ) : (
          <p class="prejoin__no-video">{media ? t('call.noPreview') : t('call.askingDevices')}</p>
        )}
      </div>
      <ul class="checks">
        <li id="camera-check">
          <strong>{t('call.camera')}:</strong> {media ? t(`call.device.video.${media.video}`) : t('call.askingDevices')}
        </li>
        <li id="mic-check">
          <strong>{t('call.microphone')}:</strong>{' '}
          {media
            ? media.audio === 'ok'
              ? heard
                ? t('call.micHeard')
                : t('call.micSpeak')
              : t(`call.device.audio.${media.audio}`)
            : t('call.askingDevices')}
          {media?.audio === 'ok' && (
            <span class="mic-meter">
              <label for="mic-level" class="visually-hidden">
                {t('call.micLevel')}
              </label>
              <meter id="mic-level" min={0} max={1} low={0.08} high={0.7} optimum={0.4} value={level} />
            </span>
          )}
        </li>
        <li id="speaker-check">
          <strong>{t('call.speakers')}:</strong> {t('call.speakersText')}{' '}
          <button
            type="button"
            class="button button--secondary button--small"
            id="test-speakers"
            onClick={() => announce(playTestSound() ? t('call.speakersPlaying') : t('call.speakersUnavailable'))}
          >
            {t('call.speakersTest')}
          </button>
        </li>
      </ul>
      {problem && (
        <div class="notice" id="media-problem">
          <p>{media.audio === 'ok' ? t('call.mediaProblemVideo') : t('call.mediaProblemAudio')}</p>
          <button type="button" class="button button--secondary" id="retry-devices" onClick={props.onRetry}>
            {t('call.retryDevices')}
          </button>
        </div>
      )}
    </div>
  )
}

/** The microphone's level, 0…1, ten times a second. */
function useMicLevel(stream: MediaStream | null): number {
  const [level, setLevel] = useState(0)
  useEffect(() => {
    if (!stream) return
    const meter = micMeter(stream)
    if (!meter) return
    const timer = window.setInterval(() => setLevel(Math.round(meter.read() * 20) / 20), 100)
    return () => {
      window.clearInterval(timer)
      meter.stop()
    }
  }, [stream])
  return level
}

function NetworkCheck(props: { precheck: Precheck | null; onRetry: () => void }) {
  const { t } = useI18n()
  const p = props.precheck
  if (!p || p.state === 'error') return null
  return (
    <p id="network-check" class={`network-check network-check--${p.state === 'done' ? p.verdict : 'checking'}`}>
      <strong>{t('call.network')}:</strong>{' '}
      {p.state === 'checking' ? t('call.network.checking') : t(`call.network.${p.verdict}`)}
      {p.state === 'done' && p.apiMs !== null && p.nodeMs !== null && (
        <span class="network-check__details">
          {' '}
          ({t('call.network.times', { api: Math.round(p.apiMs), node: Math.round(p.nodeMs) })})
        </span>
      )}{' '}
      {p.state === 'done' && (
        <button type="button" class="button button--link" id="network-retry" onClick={props.onRetry}>
          {t('call.network.retry')}
        </button>
      )}
    </p>
  )
}

/** Layered: the essentials always shown; the detail (controller, DPO, the authority) behind "more". */
function RecordingNotice(props: { serviceId: string }) {
  const { t, language } = useI18n()
  const kept = recordingRetentionText(useRetention(), props.serviceId, t, language)
  return (
    <section class="panel recording-notice" id="recording-notice" aria-labelledby="recording-title">
      <h2 id="recording-title">{t('rec.title')}</h2>
      <dl class="recording-notice__facts">
        <div>
          <dt>{t('rec.whatLabel')}</dt>
          <dd>{t('rec.what')}</dd>
        </div>
        <div>
          <dt>{t('rec.whyLabel')}</dt>
          <dd>{t('rec.why')}</dd>
        </div>
        <div>
          <dt>{t('rec.howLongLabel')}</dt>
          <dd id="recording-retention">
            {kept ?? t('rec.howLongUnknown')}
          </dd>
        </div>
        <div>
          <dt>{t('rec.rightsLabel')}</dt>
          <dd>{t('rec.rights')}</dd>
        </div>
      </dl>
      <details class="recording-notice__more" id="recording-more">
        <summary>{t('rec.more')}</summary>
        <p>{t('rec.controller')}</p>
        <p>{t('rec.purpose')}</p>
        <p>{t('rec.access')}</p>
        <p>{t('rec.rightsDetail')}</p>
        <p>{t('rec.dpo')}</p>
        <p>{t('rec.authority')}</p>
      </details>
    </section>
  )
}

// ---- Agent ----

function AgentCall(props: { appointment: Appointment }) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const a = props.appointment
  const { media } = useLocalMedia()
  const [connection, setConnection] = useState<CallConnection | null>(null)
  const snapshot = useCallSnapshot(connection)
  const [ending, setEnding] = useState(false)
  const [saved, setSaved] = useState<string | null>(null)
  const [attempt, setAttempt] = useState(0)
  const [form, setForm] = useState<OutcomeForm>(NEW_OUTCOME)
  const issued = useProcedures(a.id, { enabled: saved !== null, poll: 'never' })

  // The agent came here by "Join call": join as soon as the devices have answered.
  useEffect(() => {
    if (!media) return
    const started = connect(api, a.id, media, false)
    setConnection(started)
    return () => started.close()
  }, [media, attempt])

  // Someone starts waiting while the agent is here: the chime (unless muted on the agenda).
  const waitingCount = snapshot ? waitingParticipants(snapshot.room).length : 0
  const previousWaiting = useRef(0)
  useEffect(() => {
    if (waitingCount > previousWaiting.current && chimeEnabled()) playChime()
    previousWaiting.current = waitingCount
  }, [waitingCount])

  if (saved) {
    return (
      <section class="panel" aria-labelledby="call-ended-title">
        <h2 id="call-ended-title" tabIndex={-1}>
          {t('call.endedTitle')}
        </h2>
        <p id="outcome-saved">{t('call.outcomeSaved', { outcome: label(t, `outcome.${saved}`, saved) })}</p>
        <IssuedDocuments documents={issuedDocuments(issued.items)} />
        <p>
          <Link href={AGENDA_PATH} class="button">
            {t('call.backToAgenda')}
          </Link>
        </p>
      </section>
    )
  }

  const live = connection && snapshot && snapshot.status !== 'ended' && snapshot.status !== 'failed'
  const endPanel = (
    <EndCallPanel
      appointment={a}
      live={Boolean(live)}
      form={form}
      onForm={(change) => setForm((now) => ({ ...now, ...change }))}
      onCancel={() => {
        setEnding(false)
        focus('hang-up')
      }}
      onEnd={() => connection?.end()}
      onSaved={(outcome) => {
        setSaved(outcome)
        announce(t('call.outcomeSaved', { outcome: label(t, `outcome.${outcome}`, outcome) }))
        focus('call-ended-title')
      }}
    />
  )
  if (!connection || !snapshot) return <p class="status-message">{t('call.askingDevices')}</p>
  if (!live) {
    return (
      <>
        {snapshot.status === 'failed' && (
          <section class="panel" aria-labelledby="call-failed-title">
            <h2 id="call-failed-title" tabIndex={-1}>
              {t('call.failedTitle')}
            </h2>
            <p>
              {snapshot.failure?.kind === 'api'
                ? callProblem(t, snapshot.failure.error, language)
                : snapshot.failure?.kind === 'room_full'
                  ? t('call.roomFull')
                  : t('call.failedText')}
            </p>
            <button type="button" class="button button--secondary" id="rejoin" onClick={() => setAttempt((n) => n + 1)}>
              {t('call.rejoin')}
            </button>
          </section>
        )}
        {endPanel}
      </>
    )
  }

  const waiting = waitingParticipants(snapshot.room)
  return (
    <>
      {media && (media.video !== 'ok' || media.audio !== 'ok') && (
        <p class="notice" id="media-problem">
          {t('call.camera')}: {t(`call.device.video.${media.video}`)} {t('call.microphone')}:{' '}
          {t(`call.device.audio.${media.audio}`)}
        </p>
      )}
      <CallScreen
        connection={connection}
        snapshot={snapshot}
        localStream={media?.stream ?? null}
        titleId="call-title"
        hangUpLabel={t('call.end')}
        onHangUp={() => {
          setEnding(true)
          focus('end-call-title')
        }}
        waiting={
          <section class="call-waiting" aria-labelledby="waiting-list-title">
            <h2 id="waiting-list-title">{t('call.waitingList')}</h2>
            {waiting.length === 0 ? (
              <p id="nobody-waiting">{t('call.nobodyWaiting')}</p>
            ) : (
              <ul class="call-waiting__list">
                {waiting.map((p) => (
                  <li key={p.participant_id} class="call-waiting__item" data-participant={p.participant_id}>
                    <span>
                      {p.since
                        ? t('call.waitingSince', { name: participantName(t, p), time: formatTime(language, p.since) })
                        : participantName(t, p)}
                    </span>
                    <button
                      type="button"
                      class="button"
                      id={`admit-${p.participant_id}`}
                      // The node takes "admit" only from a participant whose own offer it has (not just the socket).
                      disabled={snapshot.status !== 'connected'}
                      onClick={() => {
                        if (connection.admit(p.participant_id)) {
                          announce(t('call.admitting', { name: participantName(t, p) }))
                          focus('call-title')
                        } else announce(t('call.admitFailed'))
                      }}
                    >
                      {t('call.admit')}
                      <span class="visually-hidden"> {participantName(t, p)}</span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        }
        extra={ending ? endPanel : null}
        aside={<AgentProcedurePanel appointmentId={a.id} canIssue as="aside" />}
      />
    </>
  )
}

interface OutcomeForm {
  outcome: string
  notes: string
  error: string
  pending: boolean
}

const NEW_OUTCOME: OutcomeForm = { outcome: '', notes: '', error: '', pending: false }

/**
 * The outcome asked at the end of the call. Its state lives with the agent's page, so that the form stays as filled
 * in when the call ends under it (the end is sent first, then the outcome saved).
 */
function EndCallPanel(props: {
  appointment: Appointment
  live: boolean
  form: OutcomeForm
  onForm: (change: Partial<OutcomeForm>) => void
  onCancel: () => void
  onEnd: () => void
  onSaved: (outcome: string) => void
}) {
  const { t } = useI18n()
  const { api } = useAuth()
  const { outcome, notes, error, pending } = props.form
  const id = props.appointment.id
  return (
    <section class="panel confirm-panel" aria-labelledby="end-call-title" id="end-call">
      <h2 id="end-call-title" tabIndex={-1}>
        {props.live ? t('call.endTitle') : t('call.outcomeTitle')}
      </h2>
      <form
        noValidate
        onSubmit={async (event) => {
          event.preventDefault()
          if (pending) return
          if (!outcome) {
            props.onForm({ error: t('agenda.outcomeMissing') })
            document.querySelector<HTMLInputElement>('input[name=call-outcome]')?.focus()
            return
          }
          props.onForm({ pending: true, error: '' })
          if (props.live) props.onEnd()
          try {
            await changeAppointment(api, id, 'outcome', { outcome, notes: notes.trim() })
            props.onSaved(outcome)
          } catch (caught) {
            props.onForm({ error: problemMessage(t, asApiError(caught)), pending: false })
          }
        }}
      >
        <fieldset class="fieldset" aria-describedby={error ? 'call-outcome-error' : undefined}>
          <legend class="field__label">{t('agenda.outcome')}</legend>
          {error && <FieldErrorMessage id="call-outcome-error" message={error} />}
          {OUTCOMES.map((o) => (
            <div class="radio" key={o}>
              <input
                type="radio"
                name="call-outcome"
                id={`call-outcome-${o}`}
                value={o}
                checked={outcome === o}
                onChange={() => props.onForm({ outcome: o })}
              />
              <label for={`call-outcome-${o}`}>{label(t, `outcome.${o}`, o)}</label>
            </div>
          ))}
        </fieldset>
        <div class="field">
          <label class="field__label" for="call-notes">
            {t('agenda.notes')}
          </label>
          <textarea
            id="call-notes"
            class="input"
            rows={3}
            value={notes}
            onInput={(event) => props.onForm({ notes: event.currentTarget.value })}
          />
        </div>
        <div class="actions">
          <button
            type="submit"
            class="button button--danger"
            id="confirm-end-call"
            aria-disabled={pending ? 'true' : undefined}
          >
            {props.live ? t('call.endAndSave') : t('agenda.save')}
          </button>
          {props.live && (
            <button type="button" class="button button--secondary" id="keep-call" onClick={props.onCancel}>
              {t('call.keepCall')}
            </button>
          )}
        </div>
      </form>
    </section>
  )
}
