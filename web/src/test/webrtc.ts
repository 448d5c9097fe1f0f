/**
 * Stand-ins for the browser's media pieces in tests: tracks and streams, getUserMedia, RTCPeerConnection (which
 * records what the app asks of it and lets the test drive its connection state and stats), WebSocket (the test
 * opens it, pushes server messages and reads what was sent) and WebAudio (records the tones played).
 */
import { vi } from 'vitest'

export class FakeTrack {
  enabled = true
  readyState = 'live'
  readonly id = `track-${Math.random().toString(36).slice(2)}`
  constructor(readonly kind: 'audio' | 'video') {}
  stop() {
    this.readyState = 'ended'
  }
}

export class FakeStream {
  readonly tracks: FakeTrack[]
  constructor(tracks: FakeTrack[] = []) {
    this.tracks = tracks
  }
  getTracks() {
    return this.tracks
  }
  getAudioTracks() {
    return this.tracks.filter((t) => t.kind === 'audio')
  }
  getVideoTracks() {
    return this.tracks.filter((t) => t.kind === 'video')
  }
  addTrack(track: FakeTrack) {
    this.tracks.push(track)
  }
}

export class FakeChannel {
  readyState = 'connecting'
  sent: string[] = []
  onmessage: ((event: { data: string }) => void) | null = null
  constructor(readonly label: string) {}
  send(data: string) {
    this.sent.push(data)
  }
  open() {
    this.readyState = 'open'
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) })
  }
}

export interface FakeTransceiver {
  trackOrKind: FakeTrack | string
  init: RTCRtpTransceiverInit
  sender: { track: FakeTrack | null; replaceTrack: ReturnType<typeof vi.fn> }
}

export class FakePeerConnection {
  static instances: FakePeerConnection[] = []
  connectionState: RTCPeerConnectionState = 'new'
  iceGatheringState: RTCIceGatheringState = 'complete'
  localDescription: { type: string; sdp: string } | null = null
  remoteDescription: { type: string; sdp: string } | null = null
  channels: FakeChannel[] = []
  transceivers: FakeTransceiver[] = []
  /** What was created, in order: "channel:chat", "transceiver:audio", "offer"… */
  steps: string[] = []
  closed = false
  stats: Record<string, unknown>[] = []
  onconnectionstatechange: (() => void) | null = null
  ontrack: ((event: { track: FakeTrack; streams: FakeStream[] }) => void) | null = null

  constructor(readonly config: RTCConfiguration) {
    FakePeerConnection.instances.push(this)
  }
  createDataChannel(label: string) {
    const channel = new FakeChannel(label)
    this.channels.push(channel)
    this.steps.push(`channel:${label}`)
    return channel
  }
  addTransceiver(trackOrKind: FakeTrack | string, init: RTCRtpTransceiverInit) {
    const track = typeof trackOrKind === 'string' ? null : trackOrKind
    const sender = {
      track,
      replaceTrack: vi.fn(async (next: FakeTrack | null) => {
        sender.track = next
      }),
    }
    const transceiver = { trackOrKind, init, sender }
    this.transceivers.push(transceiver)
    this.steps.push(`transceiver:${typeof trackOrKind === 'string' ? trackOrKind : trackOrKind.kind}`)
    return transceiver
  }
  async createOffer() {
    this.steps.push('offer')
    return { type: 'offer', sdp: `v=0 offer ${FakePeerConnection.instances.indexOf(this)}` }
  }
  async setLocalDescription(description: { type: string; sdp: string }) {
    this.localDescription = description
  }
  async setRemoteDescription(description: { type: string; sdp: string }) {
    this.remoteDescription = description
  }
  addEventListener() {}
  removeEventListener() {}
  async getStats() {
    return this.stats.map((s, i) => [String(s.id ?? i), s] as const)
  }
  close() {
    this.closed = true
    this.connectionState = 'closed'
  }
  /** The test moves the connection along. */
  setState(state: RTCPeerConnectionState) {
    this.connectionState = state
    this.onconnectionstatechange?.()
  }
  remoteTrack(kind: 'audio' | 'video') {
    const track = new FakeTrack(kind)
    this.ontrack?.({ track, streams: [] })
    return track
  }
}

export class FakeWebSocket {
  static instances: FakeWebSocket[] = []
  static readonly OPEN = 1
  readyState = 0
  sent: Record<string, unknown>[] = []
  onopen: (() => void) | null = null
  onmessage: ((event: { data: string }) => void) | null = null
  onclose: ((event: { code: number }) => void) | null = null
  onerror: (() => void) | null = null
  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this)
  }
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>)
  }
  close() {
    if (this.readyState === 3) return
    this.readyState = 3
    this.onclose?.({ code: 1000 })
  }
  /** The test: the server accepts the connection. */
  open() {
    this.readyState = 1
    this.onopen?.()
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) })
  }
  /** The server (or the network) drops it. */
  drop() {
    this.readyState = 3
    this.onclose?.({ code: 1006 })
  }
}

/** Records the tones played through WebAudio. */
export class FakeAudioContext {
  static tones: number[] = []
  state = 'running'
  currentTime = 0
  destination = {}
  resume() {
    return Promise.resolve()
  }
  createOscillator() {
    const osc = {
      type: 'sine',
      frequency: { value: 0 },
      connect: () => undefined,
      start: () => FakeAudioContext.tones.push(osc.frequency.value),
      stop: () => undefined,
    }
    return osc
  }
  createGain() {
    return {
      gain: { setValueAtTime: () => undefined, linearRampToValueAtTime: () => undefined },
      connect: () => undefined,
    }
  }
  createMediaStreamSource() {
    return { connect: () => undefined, disconnect: () => undefined }
  }
  createAnalyser() {
    return {
      fftSize: 512,
      getByteTimeDomainData(data: Uint8Array) {
        // A loud, steady signal: the meter shows sound.
        data.forEach((_, i) => (data[i] = i % 2 ? 200 : 56))
      },
    }
  }
}

export interface MediaOptions {
  /** What getUserMedia does: give both, refuse the camera (NotAllowedError), or find none (NotFoundError). */
  camera?: 'ok' | 'denied' | 'missing'
}

/** Installs the fakes on the window; returns the function that takes them away again. */
export function installWebRtc(options: MediaOptions = {}) {
  FakePeerConnection.instances = []
  FakeWebSocket.instances = []
  FakeAudioContext.tones = []
  const w = window as unknown as Record<string, unknown>
  const saved = ['RTCPeerConnection', 'WebSocket', 'MediaStream', 'AudioContext'].map(
    (name) => [name, w[name]] as const,
  )
  w.RTCPeerConnection = FakePeerConnection
  w.WebSocket = FakeWebSocket
  w.AudioContext = FakeAudioContext
  // Built on happy-dom's own MediaStream where there is one: a <video>'s srcObject takes nothing else.
  const Base = saved.find(([name]) => name === 'MediaStream')?.[1] as
    (new (tracks?: unknown[]) => FakeStream) | undefined
  const Stream = Base
    ? class extends Base {
        constructor(tracks: FakeTrack[] = []) {
          super(tracks)
        }
        getTracks() {
          return [...this.getAudioTracks(), ...this.getVideoTracks()]
        }
      }
    : FakeStream
  w.MediaStream = Stream
  const getUserMedia = vi.fn(async (constraints: MediaStreamConstraints) => {
    const camera = options.camera ?? 'ok'
    if (constraints.video && camera !== 'ok') {
      throw Object.assign(new Error('no camera'), { name: camera === 'denied' ? 'NotAllowedError' : 'NotFoundError' })
    }
    const tracks = [] as FakeTrack[]
    if (constraints.audio) tracks.push(new FakeTrack('audio'))
    if (constraints.video) tracks.push(new FakeTrack('video'))
    return new Stream(tracks)
  })
  const hadMediaDevices = Object.getOwnPropertyDescriptor(navigator, 'mediaDevices')
  Object.defineProperty(navigator, 'mediaDevices', { value: { getUserMedia }, configurable: true })
  return {
    getUserMedia,
    restore() {
      for (const [name, value] of saved) w[name] = value
      if (hadMediaDevices) Object.defineProperty(navigator, 'mediaDevices', hadMediaDevices)
      else delete (navigator as unknown as Record<string, unknown>).mediaDevices
    },
  }
}

export const GRANT = {
  room_id: 'room-1',
  media_url: 'http://media.test:8443',
  join_token: 'tok-1',
  ice_servers: [{ urls: 'stun:stun.test:3478' }],
  participant_id: 'c-1',
  role: 'citizen',
  expires_in: 120,
}

/** The media node's HTTP side: answers offers (recording them) and /health. */
export function fakeNode() {
  const offers: { url: string; body: Record<string, unknown> }[] = []
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    if (url.endsWith('/health')) return new Response(JSON.stringify({ status: 'ok', rooms: 0, participants: 0 }))
    if (url.includes('/offer')) {
      const body = JSON.parse(String(init.body)) as Record<string, unknown>
      offers.push({ url, body })
      return new Response(JSON.stringify({ sdp: 'v=0 answer', type: 'answer', participant_id: 'c-1' }), {
        headers: { 'content-type': 'application/json' },
      })
    }
    return new Response('{}', { status: 404 })
  })
  return { fetch, offers }
}
