/**
 * The citizen's side of the call: the waiting room (checks, then "Join", then waiting to be let in), the call screen
 * with what the agent prepares for their confirmation beside it, and the end.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { formatTime, type Appointment } from '../../appointments'
import { useAuth } from '../../auth'
import type { CallConnection } from '../../call/connection'
import { agentLate, callWindow, myState, windowPosition } from '../../call/protocol'
import { useI18n } from '../../i18n/context'
import { useAnnounce, useFocusAfterRender } from '../../page-context'
import { parsePreflightSummary } from '../../preflight-summary'
import { CitizenProcedurePanel } from '../../procedures/citizen-panel'
import { useProcedures } from '../../procedures/use-procedures'
import { CallScreen, useCallSnapshot } from './call-screen'
import { connect, stringOr, useLocalMedia, useNow } from './call-common'
import { CallEnded, CallFailed, issuedDocuments } from './end-of-call'
import { DeviceChecks, JoinPanel, NetworkCheck, RecordingNotice, usePrecheck, WaitingRoom } from './waiting-room'

type View = 'prejoin' | 'waiting' | 'call' | 'ended' | 'failed' | 'left'

/** Each stage's heading, which takes focus when the stage begins. */
const HEADINGS: Record<View, string> = {
  prejoin: 'check-title',
  waiting: 'waiting-title',
  call: 'call-title',
  ended: 'call-ended-title',
  failed: 'call-failed-title',
  left: 'call-ended-title',
}

export function CitizenCall(props: { appointment: Appointment }) {
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
  // Sound only asked for in the pre-flight check (a weak connection): chosen already, still theirs to change.
  const [audioOnly, setAudioOnly] = useState(parsePreflightSummary(a.preflight)?.audio_only ?? false)
  const w = callWindow(a)
  const position = windowPosition(w, now)
  const joined = useRef(false)
  joined.current = connection !== null
  const check = usePrecheck(a.id, position === 'open', (verdict) => {
    // Said only while still getting ready: once in the waiting room, other news matters.
    if (!joined.current) announce(`${t('call.network')}: ${t(`call.network.${verdict}`)}`)
  })
  const precheck = check.precheck
  const notOpen = precheck.state === 'error' && precheck.error.code === 'call_not_open'

  useEffect(() => () => connection?.close(), [connection])

  const me = snapshot ? myState(snapshot.room) : 'unknown'
  const view: View = left
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
    focus(HEADINGS[view])
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
  function leave() {
    connection?.close()
    setLeft(true)
  }
  const rejoin = windowPosition(w) === 'open' ? join : undefined

  if (view === 'failed') return <CallFailed failure={snapshot?.failure} onRejoin={rejoin} />
  if (view === 'left' || view === 'ended') {
    return <CallEnded left={view === 'left'} documents={issuedDocuments(issued.items)} onRejoin={rejoin} />
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
        onHangUp={leave}
        aside={
          procedures.items && procedures.items.length > 0 ? (
            <CitizenProcedurePanel procedures={procedures} as="aside" />
          ) : undefined
        }
      />
    )
  }

  if (connection && snapshot && view === 'waiting') {
    return <WaitingRoom appointmentId={a.id} snapshot={snapshot} known={me !== 'unknown'} late={late} media={media} onLeave={leave} />
  }

  // Before joining.
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
      {position === 'open' && !notOpen && (
        <JoinPanel
          media={media}
          audioOnly={audioOnly}
          onAudioOnly={setAudioOnly}
          problem={precheck.state === 'error' ? precheck.error : null}
          onJoin={join}
        />
      )}
      <section aria-labelledby="check-title">
        <h2 id="check-title" tabIndex={-1}>
          {t('call.checkTitle')}
        </h2>
        <DeviceChecks media={media} onRetry={retry} />
        <NetworkCheck precheck={position === 'open' && !notOpen ? precheck : null} onRetry={check.retry} />
      </section>
      <RecordingNotice serviceId={a.service_id} />
    </>
  )
}
