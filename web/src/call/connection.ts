/**
 * One participant's connection to a room on the media node: the events WebSocket and the RTCPeerConnection (one
 * sendrecv audio and one sendrecv video transceiver, plus the "chat" data channel, created before the offer), the
 * offer/answer over HTTP, the room state, chat, mute/camera/audio only, stats and reconnection.
 *
 * Reconnection: aiortc has no ICE restart, so when the peer connection is "failed", or "disconnected" for 3 s, the
 * client asks the API for a fresh join token and builds a NEW peer connection with the same tracks; the node swaps it
 * in for the same participant. A socket that closes by itself is reopened the same way. Every join token is used for
 * one (re)connection only (they last 120 s).
 *
 * What the browser provides (peer connection, WebSocket, fetch, timers) is passed in, so tests can stand in for it.
 */
import { ApiError } from '../api'
import {
  EMPTY_ROOM,
  eventsUrl,
  myState,
  offerUrl,
  parseRoomEvent,
  roomReducer,
  type JoinGrant,
  type RoomEvent,
  type RoomState,
} from './protocol'
import {
  browserTimers,
  classifyQuality,
  createLowBitrateDetector,
  createReconnectWatch,
  readStats,
  retryDelay,
  type Quality,
  type StatsCounters,
  type StatsSample,
  type Timers,
} from './policy'

export type ConnectionStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'ended' | 'failed'

/** Why the call could not go on: an API refusal of a new token, or the node's refusal of the offer. */
export type Failure =
  { kind: 'api'; error: ApiError } | { kind: 'room_full' } | { kind: 'refused'; status: number | null }

export interface CallSnapshot {
  status: ConnectionStatus
  room: RoomState
  remoteStream: MediaStream | null
  quality: Quality
  sample: StatsSample | null
  muted: boolean
  cameraOff: boolean
  audioOnly: boolean
  /** Audio only was switched on automatically (a poor network), not by the person. */
  autoAudioOnly: boolean
  failure: Failure | null
}

export type Notice =
  | { type: 'reconnecting' }
  | { type: 'reconnected' }
  | { type: 'auto_audio_only' }
  | { type: 'chat_not_sent' }
  /** `before`: the room as it was (who has just left is only there). */
  | { type: 'room'; event: RoomEvent; before: RoomState }

export interface CallDeps {
  /** `POST /appointments/{id}/call`: a fresh grant (join token) for each (re)connection. */
  getGrant: () => Promise<JoinGrant>
  fetch: (url: string, init?: RequestInit) => Promise<Response>
  createPeerConnection: (config: RTCConfiguration) => RTCPeerConnection
  createWebSocket: (url: string) => WebSocket
  createStream: () => MediaStream
  timers?: Timers
  now?: () => number
  /** How often to read getStats, ms. */
  statsEveryMs?: number
  /** After (re)connecting, how long before a low send rate may switch to audio only, ms. */
  warmupMs?: number
  /** A new peer connection that is not connected after this long is given up and rebuilt, ms. */
  connectTimeoutMs?: number
  /** How long to wait for ICE gathering before sending the offer anyway, ms. */
  gatherTimeoutMs?: number
}

/** What end-to-end tests reach: `window.__videoatencionCall.pc` is the current RTCPeerConnection (or null). */
let active: CallConnection | null = null
if (typeof window !== 'undefined') {
  ;(window as unknown as { __videoatencionCall: unknown }).__videoatencionCall = {
    get pc() {
      return active?.peerConnection ?? null
    },
    get status() {
      return active?.snapshot.status ?? null
    },
    get room() {
      return active?.snapshot.room ?? null
    },
  }
}

/** About three minutes of trying (the node drops a participant after 60 s away anyway). */
const MAX_ATTEMPTS = 40

/** API answers after which asking again is pointless (the window closed, the appointment is gone or not ours). */
function terminal(error: unknown): boolean {
  return error instanceof ApiError && error.status !== null && [401, 403, 404, 409, 410, 422].includes(error.status)
}

export class CallConnection {
  snapshot: CallSnapshot
  peerConnection: RTCPeerConnection | null = null
  private readonly deps: Required<CallDeps>
  private readonly stream: MediaStream | null
  private socket: WebSocket | null = null
  private channel: RTCDataChannel | null = null
  private videoTransceiver: RTCRtpTransceiver | null = null
  private watch: ReturnType<typeof createReconnectWatch> | null = null
  private readonly lowRate = createLowBitrateDetector()
  private counters: StatsCounters | null = null
  private connectedAt = 0
  private closed = false
  private everConnected = false
  private pcBusy = false
  private socketBusy = false
  private attempts = 0
  private timers = new Set<unknown>()
  private connectTimer: unknown = null
  private chatCount = 0
  private readonly listeners = new Set<(snapshot: CallSnapshot) => void>()
  private readonly noticeListeners = new Set<(notice: Notice) => void>()

  constructor(deps: CallDeps, stream: MediaStream | null, options: { audioOnly?: boolean } = {}) {
    this.deps = {
      timers: browserTimers,
      now: () => Date.now(),
      statsEveryMs: 2_000,
      warmupMs: 10_000,
      connectTimeoutMs: 15_000,
      gatherTimeoutMs: 2_500,
      ...deps,
    }
    this.stream = stream
    const audioOnly = options.audioOnly === true || !stream?.getVideoTracks().length
    this.snapshot = {
      status: 'idle',
      room: EMPTY_ROOM,
      remoteStream: null,
      quality: 'unknown',
      sample: null,
      muted: false,
      cameraOff: false,
      audioOnly,
      autoAudioOnly: false,
      failure: null,
    }
  }

  subscribe(listener: (snapshot: CallSnapshot) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  onNotice(listener: (notice: Notice) => void): () => void {
    this.noticeListeners.add(listener)
    return () => this.noticeListeners.delete(listener)
  }

  start(): void {
    if (this.snapshot.status !== 'idle') return
    active = this
    this.update({ status: 'connecting' })
    this.scheduleStats()
    void this.reconnectPeer()
  }

  // ---- What the person does ----

  setMuted(muted: boolean): void {
    this.stream?.getAudioTracks().forEach((track) => (track.enabled = !muted))
    this.update({ muted })
  }

  setCameraOff(off: boolean): void {
    this.stream?.getVideoTracks().forEach((track) => (track.enabled = !off))
    this.update({ cameraOff: off })
  }

  /** Stop (or resume) sending video; the node and the other side are told. */
  setAudioOnly(on: boolean, auto = false): void {
    const track = this.stream?.getVideoTracks()[0] ?? null
    if (!on && !track) return
    void this.videoTransceiver?.sender.replaceTrack(on ? null : track).catch(() => undefined)
    this.lowRate.reset()
    this.connectedAt = this.deps.now()
    this.update({ audioOnly: on, autoAudioOnly: on && auto })
    this.send({ type: 'audio_only', on })
    if (on && auto) this.notice({ type: 'auto_audio_only' })
  }

  /** Over the data channel when it is open, else the socket; false when neither can take it. */
  sendChat(text: string): boolean {
    const message = JSON.stringify({ type: 'chat', text })
    let sent = false
    if (this.channel?.readyState === 'open') {
      try {
        this.channel.send(message)
        sent = true
      } catch {
        sent = false
      }
    }
    if (!sent) sent = this.send({ type: 'chat', text })
    if (!sent) {
      this.notice({ type: 'chat_not_sent' })
      return false
    }
    this.dispatch({
      type: 'sent_chat',
      id: `local-${++this.chatCount}`,
      text,
      at: new Date(this.deps.now()).toISOString(),
    })
    return true
  }

  admit(participantId: string): boolean {
    return this.send({ type: 'admit', participant_id: participantId })
  }

  /** The agent ends the call for everyone. */
  end(): void {
    this.send({ type: 'end' })
    this.finish()
  }

  /** Leave (hang up): this participant only. */
  close(): void {
    this.finish()
    this.listeners.clear()
    this.noticeListeners.clear()
  }

  // ---- Inside ----

  private finish(): void {
    if (this.closed) return
    this.closed = true
    for (const timer of this.timers) this.deps.timers.clearTimeout(timer)
    this.timers.clear()
    this.clearConnectTimer()
    this.watch?.dispose()
    const socket = this.socket
    this.socket = null
    try {
      socket?.close(1000)
    } catch {
      // Already closed.
    }
    this.closePeer()
    if (this.snapshot.status !== 'failed') this.update({ status: 'ended' })
    if (active === this) active = null
  }

  private update(change: Partial<CallSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change }
    for (const listener of [...this.listeners]) listener(this.snapshot)
  }

  private notice(notice: Notice): void {
    for (const listener of [...this.noticeListeners]) listener(notice)
  }

  private later(run: () => void, ms: number): void {
    const handle = this.deps.timers.setTimeout(() => {
      this.timers.delete(handle)
      run()
    }, ms)
    this.timers.add(handle)
  }

  private send(message: Record<string, unknown>): boolean {
    const socket = this.socket
    if (!socket || socket.readyState !== 1) return false
    try {
      socket.send(JSON.stringify(message))
      return true
    } catch {
      return false
    }
  }

  private dispatch(event: RoomEvent): void {
    const previous = this.snapshot.room
    const before = myState(previous)
    const room = roomReducer(previous, event)
    this.update({ room })
    if (event.type !== 'sent_chat') this.notice({ type: 'room', event, before: previous })
    if (event.type === 'ended') {
      this.finish()
      return
    }
    // Let in: the send-rate watch starts afresh from here.
    if (before !== 'admitted' && myState(room) === 'admitted') {
      this.connectedAt = this.deps.now()
      this.lowRate.reset()
    }
  }

  private onServerMessage(data: unknown): void {
    const event = parseRoomEvent(data)
    if (event) this.dispatch(event)
  }

  private fail(failure: Failure): void {
    this.update({ status: 'failed', failure })
    this.finish()
  }

  /** After a failed attempt: try again later, or stop when the API says no for good. */
  private retry(error: unknown, run: () => void): void {
    if (this.closed) return
    if (terminal(error)) {
      this.fail({ kind: 'api', error: error as ApiError })
      return
    }
    if (this.attempts >= MAX_ATTEMPTS) {
      this.fail({ kind: 'api', error: error instanceof ApiError ? error : new ApiError(null) })
      return
    }
    const wait =
      error instanceof ApiError && error.retryAfter !== null ? error.retryAfter * 1000 : retryDelay(this.attempts)
    this.attempts++
    this.later(run, wait)
  }

  /** Gets a grant and opens the socket with it (when it is not open) and a new peer connection. */
  private async reconnectPeer(): Promise<void> {
    if (this.closed || this.pcBusy) return
    this.pcBusy = true
    try {
      const grant = await this.deps.getGrant()
      if (this.closed) return
      if (!this.socket) this.openSocket(grant)
      await this.negotiate(grant)
    } catch (error) {
      if (this.closed) return
      if (error instanceof OfferRefused) {
        if (error.status === 409) return this.fail({ kind: 'room_full' })
        if (error.status === 400) return this.fail({ kind: 'refused', status: error.status })
      }
      this.retry(
        error instanceof OfferRefused ? new ApiError(null, { retryAfter: error.retryAfter }) : error,
        () => void this.reconnectPeer(),
      )
    } finally {
      this.pcBusy = false
    }
  }

  private async reconnectSocket(): Promise<void> {
    if (this.closed || this.socket || this.socketBusy) return
    if (this.pcBusy) {
      // The peer connection's attempt opens the socket too.
      this.later(() => void this.reconnectSocket(), 500)
      return
    }
    this.socketBusy = true
    try {
      const grant = await this.deps.getGrant()
      if (!this.closed && !this.socket) this.openSocket(grant)
    } catch (error) {
      this.retry(error, () => void this.reconnectSocket())
    } finally {
      this.socketBusy = false
    }
  }

  private openSocket(grant: JoinGrant): void {
    let socket: WebSocket
    try {
      socket = this.deps.createWebSocket(eventsUrl(grant.media_url, grant.room_id, grant.join_token))
    } catch {
      this.later(() => void this.reconnectSocket(), retryDelay(this.attempts++))
      return
    }
    this.socket = socket
    socket.onopen = () => {
      // What the node must know about this participant again after a reconnection.
      if (this.snapshot.audioOnly) this.send({ type: 'audio_only', on: true })
    }
    socket.onmessage = (event: MessageEvent) => this.onServerMessage(event.data)
    socket.onclose = () => {
      if (this.socket !== socket) return
      this.socket = null
      if (!this.closed) this.later(() => void this.reconnectSocket(), retryDelay(this.attempts++))
    }
    socket.onerror = () => undefined
  }

  private closePeer(): void {
    const pc = this.peerConnection
    this.peerConnection = null
    this.channel = null
    this.videoTransceiver = null
    if (!pc) return
    pc.onconnectionstatechange = null
    pc.ontrack = null
    try {
      pc.close()
    } catch {
      // Already closed.
    }
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) this.deps.timers.clearTimeout(this.connectTimer)
    this.connectTimer = null
  }

  private lost(pc: RTCPeerConnection): void {
    if (this.closed || pc !== this.peerConnection) return
    this.clearConnectTimer()
    this.update({ status: 'reconnecting' })
    this.notice({ type: 'reconnecting' })
    void this.reconnectPeer()
  }

  private async negotiate(grant: JoinGrant): Promise<void> {
    this.watch?.dispose()
    this.clearConnectTimer()
    this.closePeer()
    const pc = this.deps.createPeerConnection({ iceServers: grant.ice_servers, bundlePolicy: 'max-bundle' })
    this.peerConnection = pc
    const watch = createReconnectWatch(() => this.lost(pc), this.deps.timers)
    this.watch = watch

    const channel = pc.createDataChannel('chat')
    channel.onmessage = (event: MessageEvent) => this.onServerMessage(event.data)
    this.channel = channel

    const streams = this.stream ? [this.stream] : []
    const audio = this.stream?.getAudioTracks()[0]
    const video = this.stream?.getVideoTracks()[0]
    pc.addTransceiver(audio ?? 'audio', { direction: 'sendrecv', streams })
    this.videoTransceiver = pc.addTransceiver(video && !this.snapshot.audioOnly ? video : 'video', {
      direction: 'sendrecv',
      streams,
    })

    const remote = this.deps.createStream()
    this.update({ remoteStream: remote })
    pc.ontrack = (event: RTCTrackEvent) => {
      if (pc !== this.peerConnection) return
      remote.addTrack(event.track)
      this.update({ remoteStream: remote })
    }
    pc.onconnectionstatechange = () => {
      if (pc !== this.peerConnection) return
      const state = pc.connectionState
      watch.update(state)
      if (state === 'connected') this.connected()
    }

    await pc.setLocalDescription(await pc.createOffer())
    await gathered(pc, this.deps.gatherTimeoutMs, this.deps.timers)
    if (pc !== this.peerConnection || this.closed) return
    const response = await this.postOffer(grant, pc.localDescription?.sdp ?? '')
    if (pc !== this.peerConnection || this.closed) return
    await pc.setRemoteDescription({ type: 'answer', sdp: response.sdp })
    this.connectTimer = this.deps.timers.setTimeout(() => {
      this.connectTimer = null
      if (pc.connectionState !== 'connected') this.lost(pc)
    }, this.deps.connectTimeoutMs)
    if (pc.connectionState === 'connected') this.connected()
  }

  private connected(): void {
    this.clearConnectTimer()
    const wasReconnecting =
      this.snapshot.status === 'reconnecting' || (this.everConnected && this.snapshot.status !== 'connected')
    this.everConnected = true
    this.attempts = 0
    this.connectedAt = this.deps.now()
    this.counters = null
    this.lowRate.reset()
    if (this.snapshot.status !== 'connected') this.update({ status: 'connected', failure: null })
    if (wasReconnecting) this.notice({ type: 'reconnected' })
  }

  private async postOffer(grant: JoinGrant, sdp: string): Promise<{ sdp: string }> {
    let response: Response
    try {
      response = await this.deps.fetch(offerUrl(grant.media_url, grant.room_id), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ sdp, type: 'offer', token: grant.join_token }),
      })
    } catch {
      throw new OfferRefused(null, null)
    }
    if (!response.ok) {
      const after = Number(response.headers.get('Retry-After'))
      throw new OfferRefused(response.status, Number.isFinite(after) && after > 0 ? after : null)
    }
    const body = (await response.json().catch(() => null)) as { sdp?: unknown } | null
    if (!body || typeof body.sdp !== 'string') throw new OfferRefused(response.status, null)
    return { sdp: body.sdp }
  }

  private scheduleStats(): void {
    this.later(() => {
      void this.readStats().finally(() => {
        if (!this.closed) this.scheduleStats()
      })
    }, this.deps.statsEveryMs)
  }

  private async readStats(): Promise<void> {
    const pc = this.peerConnection
    // Closed by someone else (a script, a test cutting the connection): no event says so, so look.
    if (pc && pc.connectionState === 'closed' && !this.pcBusy) return this.lost(pc)
    if (!pc || this.snapshot.status !== 'connected') return
    let report: RTCStatsReport
    try {
      report = await pc.getStats()
    } catch {
      return
    }
    if (pc !== this.peerConnection) return
    const now = this.deps.now()
    const sample = readStats(report as unknown as Iterable<unknown>, this.counters, now)
    this.counters = sample.counters
    this.update({ sample, quality: classifyQuality(sample) })
    const sendingVideo =
      !this.snapshot.audioOnly && !this.snapshot.cameraOff && myState(this.snapshot.room) === 'admitted'
    if (!sendingVideo || now - this.connectedAt < this.deps.warmupMs) {
      this.lowRate.reset()
      return
    }
    if (this.lowRate.push(now, sample.estimateKbps ?? sample.sendKbps)) this.setAudioOnly(true, true)
  }
}

class OfferRefused extends Error {
  constructor(
    readonly status: number | null,
    readonly retryAfter: number | null,
  ) {
    super(`offer refused: ${status ?? 'network'}`)
  }
}

/** Waits for ICE gathering to complete (the node takes no trickled candidates), at most `timeoutMs`. */
function gathered(pc: RTCPeerConnection, timeoutMs: number, timers: Timers): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      timers.clearTimeout(timer)
      pc.removeEventListener('icegatheringstatechange', check)
      resolve()
    }
    const check = () => {
      if (pc.iceGatheringState === 'complete') done()
    }
    const timer = timers.setTimeout(done, timeoutMs)
    pc.addEventListener('icegatheringstatechange', check)
  })
}

/** The browser's own pieces. */
export function browserDeps(getGrant: () => Promise<JoinGrant>): CallDeps {
  return {
    getGrant,
    fetch: (url, init) => window.fetch(url, init),
    createPeerConnection: (config) => new RTCPeerConnection(config),
    createWebSocket: (url) => new WebSocket(url),
    createStream: () => new MediaStream(),
  }
}
