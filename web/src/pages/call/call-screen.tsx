/**
 * The call screen both sides share: the other person's video large (`data-testid="remote-video"`), the self view,
 * the controls (microphone, camera, audio only — toggle buttons with aria-pressed —, hang up), the connection's
 * quality, the reconnecting banner and the chat (a log read out politely, `data-testid="chat-log"`). What happens in
 * the call is told to screen readers through the shell's live region.
 */
import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { formatTime } from '../../appointments'
import { FieldErrorMessage, Form } from '../../components/forms'
import { CallConnection, type CallSnapshot, type Notice } from '../../call/connection'
import { mainRemote, recordingActive, type Participant, type RoomState } from '../../call/protocol'
import type { Translate } from '../../i18n'
import { useI18n } from '../../i18n/context'
import { useAnnounce } from '../../page-context'

/** The connection's latest snapshot, re-rendering on each change; its notices told to screen readers. */
export function useCallSnapshot(connection: CallConnection | null): CallSnapshot | null {
  const { t } = useI18n()
  const announce = useAnnounce()
  // Kept with the connection it came from: just after a new connection, the old one's snapshot is not shown.
  const [state, setState] = useState<{ from: CallConnection; snapshot: CallSnapshot } | null>(null)
  const tRef = useRef(t)
  tRef.current = t
  useEffect(() => {
    if (!connection) return
    setState({ from: connection, snapshot: connection.snapshot })
    const off = connection.subscribe((snapshot) => setState({ from: connection, snapshot }))
    const offNotice = connection.onNotice((notice) => {
      const text = noticeText(tRef.current, notice, connection.snapshot.room)
      if (text) announce(text)
    })
    return () => {
      off()
      offNotice()
    }
  }, [connection, announce])
  if (!connection) return null
  return state?.from === connection ? state.snapshot : connection.snapshot
}

export function participantName(t: Translate, p: Pick<Participant, 'name' | 'role'> | null | undefined): string {
  if (!p) return t('call.someone')
  if (p.name) return p.name
  if (p.role === 'agent' || p.role === 'supervisor') return t('call.theAgent')
  if (p.role === 'citizen') return t('call.theCitizen')
  if (p.role === 'interpreter') return t('call.theInterpreter')
  return t('call.someone')
}

function noticeText(t: Translate, notice: Notice, room: RoomState): string | null {
  switch (notice.type) {
    case 'reconnecting':
      return t('call.reconnecting')
    case 'reconnected':
      return t('call.reconnected')
    case 'auto_audio_only':
      return t('call.autoAudioOnly')
    case 'chat_not_sent':
      return t('call.chatNotSent')
    case 'room':
      break
  }
  const event = notice.event
  // A participant who has just left is only in the room as it was before.
  const who = (id: string) =>
    participantName(
      t,
      room.participants.find((p) => p.participant_id === id) ??
        notice.before.participants.find((p) => p.participant_id === id),
    )
  if (event.type === 'joined' && event.participant_id !== room.you) {
    return event.reconnected
      ? t('call.otherBack', { name: who(event.participant_id) })
      : t('call.joined', { name: who(event.participant_id) })
  }
  if (event.type === 'left' && event.participant_id !== room.you)
    return t('call.left', { name: who(event.participant_id) })
  if (event.type === 'reconnecting' && event.participant_id !== room.you)
    return t('call.otherReconnecting', { name: who(event.participant_id) })
  if (event.type === 'audio_only' && event.participant_id !== room.you) {
    return t(event.on ? 'call.otherAudioOnly' : 'call.otherVideoBack', { name: who(event.participant_id) })
  }
  if (event.type === 'waiting' && event.participant_id !== room.you)
    return t('call.isWaiting', { name: who(event.participant_id) })
  if (event.type === 'admitted' && event.participant_id === room.you) return t('call.admitted')
  if (event.type === 'error') return t('call.refused')
  return null
}

/**
 * A <video> showing a stream; `muted` for the self view (no echo). Where the browser refuses to play sound without a
 * click first (the page was reloaded, say), a button offers to start it.
 */
export function StreamVideo(props: {
  stream: MediaStream | null
  muted?: boolean
  class?: string
  id?: string
  testId?: string
  label: string
}) {
  const { t } = useI18n()
  const ref = useRef<HTMLVideoElement>(null)
  const [blocked, setBlocked] = useState(false)
  const play = () => {
    const video = ref.current
    if (!video) return
    try {
      const playing = video.play() as Promise<void> | undefined
      playing?.then?.(
        () => setBlocked(false),
        (error: unknown) => setBlocked((error as { name?: string } | null)?.name === 'NotAllowedError'),
      )
    } catch {
      // Not playable (yet): nothing to offer.
    }
  }
  useEffect(() => {
    const video = ref.current
    if (!video) return
    if (video.srcObject !== props.stream) video.srcObject = props.stream
    if (props.stream) play()
  }, [props.stream])
  return (
    <>
      <video
        ref={ref}
        id={props.id}
        class={props.class}
        data-testid={props.testId}
        aria-label={props.label}
        autoplay
        playsInline
        muted={props.muted}
      />
      {blocked && !props.muted && (
        <button
          type="button"
          class="button call-stage__play"
          id={props.id ? `${props.id}-play` : undefined}
          onClick={play}
        >
          {t('call.playBlocked')}
        </button>
      )}
    </>
  )
}

export function ToggleButton(props: {
  id: string
  pressed: boolean
  onToggle: () => void
  children: ComponentChildren
  disabled?: boolean
}) {
  return (
    <button
      type="button"
      id={props.id}
      class={`button button--secondary call-toggle${props.pressed ? ' call-toggle--on' : ''}`}
      aria-pressed={props.pressed ? 'true' : 'false'}
      disabled={props.disabled}
      onClick={props.onToggle}
    >
      <span class="call-toggle__mark" aria-hidden="true">
        {props.pressed ? '●' : '○'}
      </span>{' '}
      {props.children}
    </button>
  )
}

export function QualityIndicator(props: { snapshot: CallSnapshot }) {
  const { t } = useI18n()
  const { quality, sample } = props.snapshot
  const details: string[] = []
  if (sample?.rttMs != null) details.push(t('call.rtt', { ms: Math.round(sample.rttMs) }))
  if (sample?.lossPct != null) details.push(t('call.loss', { pct: sample.lossPct.toFixed(1) }))
  if (sample?.fps != null) details.push(t('call.fps', { fps: Math.round(sample.fps) }))
  return (
    <p class={`call-quality call-quality--${quality}`} id="call-quality">
      <span class="call-quality__dot" aria-hidden="true" />
      {t('call.quality', { quality: t(`call.quality.${quality}`) })}
      {details.length > 0 && <span class="call-quality__details"> · {details.join(' · ')}</span>}
    </p>
  )
}

export function ChatPanel(props: { room: RoomState; onSend: (text: string) => boolean; disabled?: boolean }) {
  const { t, language } = useI18n()
  const [text, setText] = useState('')
  const [error, setError] = useState('')
  const log = useRef<HTMLDivElement>(null)
  const count = props.room.chat.length
  useEffect(() => {
    const element = log.current
    if (element) element.scrollTop = element.scrollHeight
  }, [count])
  return (
    <section class="call-chat" aria-labelledby="chat-title">
      <h2 id="chat-title">{t('call.chat')}</h2>
      <div
        ref={log}
        class="call-chat__log"
        data-testid="chat-log"
        id="chat-log"
        role="log"
        aria-live="polite"
        aria-labelledby="chat-title"
        tabIndex={0}
      >
        <ol class="call-chat__list">
          {count === 0 && <li class="call-chat__empty">{t('call.chatEmpty')}</li>}
          {props.room.chat.map((m) => (
            <li key={m.id} class={m.mine ? 'call-chat__message call-chat__message--mine' : 'call-chat__message'}>
              <span class="call-chat__who">
                {m.mine ? t('call.you') : participantName(t, m)}
                {m.at && !Number.isNaN(Date.parse(m.at)) && (
                  <>
                    {' '}
                    <time dateTime={m.at}>{formatTime(language, m.at)}</time>
                  </>
                )}
                <span class="visually-hidden">:</span>
              </span>{' '}
              <span class="call-chat__text">{m.text}</span>
            </li>
          ))}
        </ol>
      </div>
      <Form
        class="call-chat__form"
        onSubmit={() => {
          const message = text.trim()
          if (!message) {
            setError(t('call.chatEmptyError'))
            return
          }
          if (props.onSend(message.slice(0, 1000))) {
            setText('')
            setError('')
          } else setError(t('call.chatNotSent'))
        }}
      >
        <label class="field__label" for="chat-input">
          {t('call.chatLabel')}
        </label>
        {error && <FieldErrorMessage id="chat-error" message={error} />}
        <div class="call-chat__row">
          <input
            id="chat-input"
            class="input"
            type="text"
            autocomplete="off"
            maxLength={1000}
            value={text}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={error ? 'chat-error' : undefined}
            disabled={props.disabled}
            onInput={(event) => setText(event.currentTarget.value)}
          />
          <button type="submit" class="button" id="chat-send" disabled={props.disabled}>
            {t('call.send')}
          </button>
        </div>
      </Form>
    </section>
  )
}

type Corner = 'top-right' | 'top-left' | 'bottom-left' | 'bottom-right'
const CORNERS: Corner[] = ['top-right', 'top-left', 'bottom-left', 'bottom-right']

/**
 * The self view on a phone in a call: small, in a corner of the screen, and movable — dragged (it lands in the nearest
 * corner) or, for whoever cannot drag, tapped or pressed, which moves it to the next corner (WCAG 2.5.7).
 */
function MovableSelfView(props: { stream: MediaStream | null; off: boolean; label: string; moveLabel: string }) {
  const [corner, setCorner] = useState<Corner>('top-right')
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null)
  const [offset, setOffset] = useState<{ x: number; y: number } | null>(null)
  return (
    <button
      type="button"
      id="self-view-move"
      class={`call-stage__self-move call-stage__self-move--${corner}`}
      data-corner={corner}
      aria-label={props.moveLabel}
      style={offset ? { transform: `translate(${offset.x}px, ${offset.y}px)` } : undefined}
      onPointerDown={(event) => {
        drag.current = { x: event.clientX, y: event.clientY, moved: false }
        event.currentTarget.setPointerCapture?.(event.pointerId)
      }}
      onPointerMove={(event) => {
        const start = drag.current
        if (!start) return
        const x = event.clientX - start.x
        const y = event.clientY - start.y
        if (Math.abs(x) + Math.abs(y) > 8) start.moved = true
        if (start.moved) setOffset({ x, y })
      }}
      onPointerUp={(event) => {
        const start = drag.current
        if (!start?.moved) return
        // Land in the corner nearest to where it was let go.
        const left = event.clientX < window.innerWidth / 2
        const top = event.clientY < window.innerHeight / 2
        setCorner(top ? (left ? 'top-left' : 'top-right') : left ? 'bottom-left' : 'bottom-right')
        setOffset(null)
      }}
      onClick={() => {
        const start = drag.current
        drag.current = null
        if (start?.moved) return
        setCorner((now) => CORNERS[(CORNERS.indexOf(now) + 1) % CORNERS.length] ?? 'top-right')
      }}
    >
      <StreamVideo
        stream={props.stream}
        muted
        class={`call-stage__self${props.off ? ' call-stage__self--off' : ''}`}
        id="self-video"
        label={props.label}
      />
    </button>
  )
}

/**
 * The call itself; `extra` is the agent's end-of-call panel, `aside` the space for the procedure panel.
 *
 * `immersive` (the citizen's side): on a phone the call takes the whole screen — the site's header and footer are
 * hidden, the other person's video fills the screen, the controls lie over its bottom edge within thumb's reach, the
 * self view is small and movable, and the chat (and the procedure to confirm, if any) open as a sheet from the
 * bottom. On wider screens it is the same page as the agent's.
 */
export function CallScreen(props: {
  immersive?: boolean
  connection: CallConnection
  snapshot: CallSnapshot
  localStream: MediaStream | null
  titleId: string
  hangUpLabel: string
  onHangUp: () => void
  waiting?: ComponentChildren
  extra?: ComponentChildren
  aside?: ComponentChildren
}) {
  const { t } = useI18n()
  const announce = useAnnounce()
  const { connection, snapshot } = props
  const [sheet, setSheet] = useState<null | 'chat' | 'aside'>(null)
  const [seen, setSeen] = useState(0)
  const chatCount = snapshot.room.chat.length
  const unread = snapshot.room.chat.slice(seen).filter((m) => !m.mine).length
  useEffect(() => {
    if (!props.immersive) return
    document.body.classList.add('in-call')
    return () => document.body.classList.remove('in-call')
  }, [props.immersive])
  useEffect(() => {
    if (sheet === 'chat') setSeen(chatCount)
  }, [sheet, chatCount])
  // With the chat folded away on a phone its log is not on screen to be read out: say that a message came.
  const lastChat = snapshot.room.chat[chatCount - 1]
  useEffect(() => {
    if (!props.immersive || sheet === 'chat' || !lastChat || lastChat.mine) return
    if (!window.matchMedia?.('(max-width: 47.99rem)').matches) return
    announce(t('call.newMessage', { name: participantName(t, lastChat) }))
  }, [chatCount])
  const toggleSheet = (which: 'chat' | 'aside') => setSheet((now) => (now === which ? null : which))
  const remote = mainRemote(snapshot.room)
  const remoteName = participantName(t, remote)
  const hasVideo = (props.localStream?.getVideoTracks().length ?? 0) > 0
  const hasAudio = (props.localStream?.getAudioTracks().length ?? 0) > 0
  const reconnecting = snapshot.status === 'reconnecting'
  return (
    <div
      class={`call${props.aside ? ' call--with-aside' : ''}${props.immersive ? ' call--immersive' : ''}${
        sheet ? ' call--sheet-open' : ''
      }`}
    >
      <div class="call__main">
        <h2 id={props.titleId} tabIndex={-1} class="call__title">
          {remote ? t('call.withName', { name: remoteName }) : t('call.inCall')}
        </h2>
        {reconnecting && (
          <p class="call-banner" id="call-reconnecting">
            {t('call.reconnecting')}
          </p>
        )}
        {snapshot.autoAudioOnly && snapshot.audioOnly && (
          <p class="call-banner call-banner--info" id="call-auto-audio-only">
            {t('call.autoAudioOnly')}
          </p>
        )}
        {props.waiting}
        <div class="call-stage">
          <StreamVideo
            stream={snapshot.remoteStream}
            class="call-stage__remote"
            id="remote-video"
            testId="remote-video"
            label={t('call.remoteVideo', { name: remoteName })}
          />
          {(!remote || remote.audio_only || remote.reconnecting) && (
            <p class="call-stage__note">
              {!remote
                ? t('call.nobodyYet')
                : remote.reconnecting
                  ? t('call.otherReconnecting', { name: remoteName })
                  : t('call.otherAudioOnly', { name: remoteName })}
            </p>
          )}
          {hasVideo &&
            (props.immersive ? (
              <MovableSelfView
                stream={props.localStream}
                off={snapshot.cameraOff || snapshot.audioOnly}
                label={t('call.selfVideo')}
                moveLabel={t('call.moveSelfView')}
              />
            ) : (
              <StreamVideo
                stream={props.localStream}
                muted
                class={`call-stage__self${snapshot.cameraOff || snapshot.audioOnly ? ' call-stage__self--off' : ''}`}
                id="self-video"
                label={t('call.selfVideo')}
              />
            ))}
          {recordingActive(snapshot.room) && (
            <p class="call-stage__recording" id="call-recording">
              <span aria-hidden="true">● </span>
              {t('call.recordingOn')}
            </p>
          )}
        </div>
        <div class="call-controls" role="group" aria-label={t('call.controls')}>
          <ToggleButton
            id="toggle-mute"
            pressed={snapshot.muted}
            disabled={!hasAudio}
            onToggle={() => connection.setMuted(!snapshot.muted)}
          >
            {t('call.mute')}
          </ToggleButton>
          <ToggleButton
            id="toggle-camera"
            pressed={snapshot.cameraOff}
            disabled={!hasVideo || snapshot.audioOnly}
            onToggle={() => connection.setCameraOff(!snapshot.cameraOff)}
          >
            {t('call.cameraOff')}
          </ToggleButton>
          <ToggleButton
            id="toggle-audio-only"
            pressed={snapshot.audioOnly}
            disabled={!hasVideo}
            onToggle={() => connection.setAudioOnly(!snapshot.audioOnly)}
          >
            {t('call.audioOnly')}
          </ToggleButton>
          {props.immersive && (
            <button
              type="button"
              id="chat-toggle"
              class="button button--secondary call-sheet-toggle"
              aria-expanded={sheet === 'chat' ? 'true' : 'false'}
              aria-controls="call-sheet-chat"
              onClick={() => toggleSheet('chat')}
            >
              {unread > 0 ? t('call.chatUnread', { n: unread }) : t('call.chat')}
            </button>
          )}
          {props.immersive && props.aside && (
            <button
              type="button"
              id="aside-toggle"
              class="button button--secondary call-sheet-toggle"
              aria-expanded={sheet === 'aside' ? 'true' : 'false'}
              aria-controls="call-sheet-aside"
              onClick={() => toggleSheet('aside')}
            >
              {t('call.procedureSheet')}
            </button>
          )}
          <button type="button" id="hang-up" class="button button--danger" onClick={props.onHangUp}>
            {props.hangUpLabel}
          </button>
        </div>
        <QualityIndicator snapshot={snapshot} />
        {props.extra}
        <div id="call-sheet-chat" class={`call-sheet${sheet === 'chat' ? ' call-sheet--open' : ''}`}>
          {props.immersive && <SheetClose onClose={() => setSheet(null)} />}
          <ChatPanel room={snapshot.room} onSend={(text) => connection.sendChat(text)} />
        </div>
      </div>
      {props.aside && props.immersive ? (
        <div id="call-sheet-aside" class={`call-sheet${sheet === 'aside' ? ' call-sheet--open' : ''}`}>
          <SheetClose onClose={() => setSheet(null)} />
          {props.aside}
        </div>
      ) : (
        props.aside
      )}
    </div>
  )
}

function SheetClose(props: { onClose: () => void }) {
  const { t } = useI18n()
  return (
    <button type="button" class="button button--secondary button--small call-sheet__close" onClick={props.onClose}>
      {t('call.closeSheet')}
    </button>
  )
}
