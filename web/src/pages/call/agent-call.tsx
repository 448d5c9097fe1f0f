/**
 * The agent's side of the call: joins on arrival; sees who waits (and since when) with "Admit", the call screen with
 * the procedure panel beside it, and "End call", which asks for the appointment's outcome, ends the call for everyone
 * and saves it.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { formatTime, type Appointment } from '../../appointments'
import { useAuth } from '../../auth'
import type { CallConnection } from '../../call/connection'
import { chimeEnabled, playChime } from '../../call/devices'
import { waitingParticipants } from '../../call/protocol'
import { useI18n } from '../../i18n/context'
import { label } from '../../offices'
import { useAnnounce, useFocusAfterRender } from '../../page-context'
import { AgentProcedurePanel } from '../../procedures/agent-panel'
import { useProcedures } from '../../procedures/use-procedures'
import { CallScreen, participantName, useCallSnapshot } from './call-screen'
import { connect, useLocalMedia } from './call-common'
import { CallFailed, EndCallPanel, issuedDocuments, NEW_OUTCOME, OutcomeSaved, type OutcomeForm } from './end-of-call'

export function AgentCall(props: { appointment: Appointment }) {
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

  if (saved) return <OutcomeSaved outcome={saved} documents={issuedDocuments(issued.items)} />

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
          <CallFailed failure={snapshot.failure} onRejoin={() => setAttempt((n) => n + 1)} secondary />
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
