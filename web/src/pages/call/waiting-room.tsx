/**
 * The citizen's waiting room. Before joining: camera preview, microphone level, a test sound for the speakers, a
 * network check (the API and the media node), the recording notice (what, why, how long, their rights; the detail
 * behind "more") and "Join"; without camera (refused or missing) they can still join with sound only. Once joined:
 * "the agent will let you in", live from the room's events, with a word if the agent runs late.
 */
import { useEffect, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../../api'
import { useAuth } from '../../auth'
import type { CallSnapshot } from '../../call/connection'
import { micMeter, playTestSound, roundTrip, type LocalMedia } from '../../call/devices'
import { networkVerdict } from '../../call/policy'
import { healthUrl, type JoinGrant } from '../../call/protocol'
import { IdentityAtHand } from '../../components/identity-at-hand'
import { useI18n } from '../../i18n/context'
import { useAnnounce } from '../../page-context'
import { fetchQueue, QUEUE_POLL_MS, queueText, queueWords } from '../../queue'
import { useResource, type Resource } from '../../resource'
import { recordingRetentionText, useRetention } from '../../retention'
import { StreamVideo } from './call-screen'
import { callProblem, requestGrant } from './call-common'

/** The network check's result: the grant it asked for, the verdict and the round trips. */
export interface NetworkResult {
  grant: JoinGrant
  verdict: 'good' | 'poor' | 'failed'
  apiMs: number | null
  nodeMs: number | null
}

/**
 * While the window is `open`: a grant (which says where the media node is and how long recordings are kept), then three
 * round trips each to the API and the node; `retry` checks again. `onVerdict` hears the verdict.
 */
export function usePrecheck(
  appointmentId: string,
  open: boolean,
  onVerdict: (verdict: NetworkResult['verdict']) => void,
): { precheck: Resource<NetworkResult>; retry: () => void } {
  const { api } = useAuth()
  const check = async (): Promise<NetworkResult> => {
    const grant = await requestGrant(api, appointmentId)
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
    return { grant, verdict: networkVerdict(apiMs, nodeMs), apiMs, nodeMs }
  }
  const { load, reload } = useResource(open ? check : null, [], { onReady: (found) => onVerdict(found.verdict) })
  return { precheck: load, retry: reload }
}

/** "Join" first: on a phone it shows without scrolling; the checks below it keep running meanwhile. */
export function JoinPanel(props: {
  media: LocalMedia | null
  audioOnly: boolean
  onAudioOnly: (on: boolean) => void
  problem: ApiError | null
  onJoin: () => void
}) {
  const { t, language } = useI18n()
  const noCamera = props.media !== null && props.media.video !== 'ok'
  return (
    <section class="panel join-panel" aria-labelledby="join-title">
      <h2 id="join-title">{t('call.joinTitle')}</h2>
      <div class="checkbox">
        <input
          type="checkbox"
          id="join-audio-only"
          checked={props.audioOnly || noCamera}
          disabled={noCamera}
          aria-describedby="join-audio-only-hint"
          onChange={(event) => props.onAudioOnly(event.currentTarget.checked)}
        />
        <label for="join-audio-only">{t('call.joinAudioOnly')}</label>
      </div>
      <p class="field__hint" id="join-audio-only-hint">
        {noCamera ? t('call.joinAudioOnlyForced') : t('call.joinAudioOnlyHint')}
      </p>
      {props.problem && (
        <p class="notice" id="precheck-error">
          {callProblem(t, props.problem, language)}
        </p>
      )}
      <button
        type="button"
        id="join-call"
        class="button"
        aria-disabled={props.media === null ? 'true' : undefined}
        onClick={props.onJoin}
      >
        {t('call.join')}
      </button>
      <p class="join-panel__recorded" id="join-recorded">
        {t('call.recordedSummary')} <a href="#recording-notice">{t('call.recordedMore')}</a>
      </p>
    </section>
  )
}

/** Joined, waiting to be let in: what the connection is doing, the identity document at hand, the self view. */
export function WaitingRoom(props: {
  appointmentId: string
  snapshot: CallSnapshot
  known: boolean
  late: boolean
  media: LocalMedia | null
  onLeave: () => void
}) {
  const { t } = useI18n()
  const { snapshot, media } = props
  return (
    <section class="panel waiting-room" aria-labelledby="waiting-title">
      <h2 id="waiting-title" tabIndex={-1}>
        {t('call.waitingTitle')}
      </h2>
      <p id="waiting-status" class="status-message">
        {snapshot.status === 'reconnecting'
          ? t('call.reconnecting')
          : snapshot.status === 'connecting' || !props.known
            ? t('call.connecting')
            : t('call.waitingText')}
      </p>
      <QueueStatus appointmentId={props.appointmentId} />
      <IdentityAtHand id="waiting-identity" />
      {props.late && (
        <p class="notice" id="agent-late">
          {t('call.agentLate')}
        </p>
      )}
      {media?.stream && media.video === 'ok' && (
        <StreamVideo stream={media.stream} muted class="prejoin__video" label={t('call.selfVideo')} />
      )}
      <button type="button" class="button button--secondary" id="leave-waiting" onClick={props.onLeave}>
        {t('call.leaveWaiting')}
      </button>
    </section>
  )
}

/**
 * The citizen's place in line, live: `GET /appointments/{id}/queue` every 5 s while the waiting room is shown (it goes
 * when they are let in or leave), in plain words. A polite live region, always present, whose text changes only when
 * the words do (a poll giving the same words touches nothing), so a screen reader hears news, not every tick. A
 * failed poll leaves the last words; a refusal (the appointment is not theirs to ask about any more) stops asking.
 */
export function QueueStatus(props: { appointmentId: string }) {
  const { language } = useI18n()
  const { api } = useAuth()
  const [stopped, setStopped] = useState(false)
  const { load, refresh } = useResource(
    stopped ? null : () => fetchQueue(api, props.appointmentId),
    [props.appointmentId],
    {
      keep: true,
      onError: (error) => {
        if (error.status === 401 || error.status === 403 || error.status === 404) setStopped(true)
      },
    },
  )
  useEffect(() => {
    if (stopped) return
    const timer = window.setInterval(refresh, QUEUE_POLL_MS)
    return () => window.clearInterval(timer)
  }, [props.appointmentId, stopped])
  const lines = load.value ? queueWords(language, load.value) : []
  return (
    <div class={lines.length ? 'queue-status queue-status--shown' : 'queue-status'}>
      {lines.length > 0 && (
        <h3 id="queue-title" class="queue-status__title">
          {queueText(language, 'queue.title')}
        </h3>
      )}
      <div id="queue-status" aria-live="polite" aria-atomic="true">
        {lines.map((line, i) => (
          <p key={i} class={i === 0 ? 'queue-status__lead' : undefined}>
            {line}
          </p>
        ))}
      </div>
    </div>
  )
}

export function DeviceChecks(props: { media: LocalMedia | null; onRetry: () => void }) {
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

export function NetworkCheck(props: { precheck: Resource<NetworkResult> | null; onRetry: () => void }) {
  const { t } = useI18n()
  if (!props.precheck || props.precheck.state === 'error') return null
  const done = props.precheck.state === 'ready' ? props.precheck.value : null
  return (
    <p id="network-check" class={`network-check network-check--${done ? done.verdict : 'checking'}`}>
      <strong>{t('call.network')}:</strong>{' '}
      {done ? t(`call.network.${done.verdict}`) : t('call.network.checking')}
      {done && done.apiMs !== null && done.nodeMs !== null && (
        <span class="network-check__details">
          {' '}
          ({t('call.network.times', { api: Math.round(done.apiMs), node: Math.round(done.nodeMs) })})
        </span>
      )}{' '}
      {done && (
        <button type="button" class="button button--link" id="network-retry" onClick={props.onRetry}>
          {t('call.network.retry')}
        </button>
      )}
    </p>
  )
}

/** Layered: the essentials always shown; the detail (controller, DPO, the authority) behind "more". */
export function RecordingNotice(props: { serviceId: string }) {
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
