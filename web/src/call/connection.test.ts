import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../api'
import { FakePeerConnection, FakeStream, FakeTrack, FakeWebSocket, fakeNode, GRANT } from '../test/webrtc'
import { CallConnection, type Notice } from './connection'
import { parseJoinGrant, type JoinGrant } from './protocol'
import type { Timers } from './policy'

const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (h) => clearTimeout(h as number) }
const flush = () => vi.advanceTimersByTimeAsync(0)

interface Options {
  audioOnly?: boolean
  grants?: (() => Promise<JoinGrant>)[]
}

function setup(options: Options = {}) {
  FakePeerConnection.instances = []
  FakeWebSocket.instances = []
  const node = fakeNode()
  const audio = new FakeTrack('audio')
  const video = new FakeTrack('video')
  const stream = new FakeStream([audio, video])
  let n = 0
  const getGrant = vi.fn(async () => {
    n++
    const custom = options.grants?.[n - 1]
    if (custom) return custom()
    return parseJoinGrant({ ...GRANT, join_token: `tok-${n}` }) as JoinGrant
  })
  const connection = new CallConnection(
    {
      getGrant,
      fetch: node.fetch,
      createPeerConnection: (config) => new FakePeerConnection(config) as unknown as RTCPeerConnection,
      createWebSocket: (url) => new FakeWebSocket(url) as unknown as WebSocket,
      createStream: () => new FakeStream() as unknown as MediaStream,
      timers,
      now: () => Date.now(),
    },
    stream as unknown as MediaStream,
    { audioOnly: options.audioOnly },
  )
  const notices: Notice['type'][] = []
  connection.onNotice((notice) =>
    notices.push(notice.type === 'room' ? (`room:${notice.event.type}` as never) : notice.type),
  )
  const pc = (i = -1) =>
    FakePeerConnection.instances[i < 0 ? FakePeerConnection.instances.length + i : i] as FakePeerConnection
  const ws = (i = -1) => FakeWebSocket.instances[i < 0 ? FakeWebSocket.instances.length + i : i] as FakeWebSocket
  return { connection, node, getGrant, audio, video, stream, notices, pc, ws }
}

/** `setup()`, started and past its first offer; with `socket: 'open'` its events socket has opened too. */
async function started(options: Options & { socket?: 'open' } = {}) {
  const call = setup(options)
  call.connection.start()
  await flush()
  if (options.socket === 'open') call.ws().open()
  return call
}

const STATE = (state: 'waiting' | 'admitted') => ({
  type: 'state',
  you: 'c-1',
  room_id: 'room-1',
  participants: [
    {
      participant_id: 'c-1',
      role: 'citizen',
      name: 'Anna',
      state,
      since: '2026-11-28T10:00:00Z',
      connected: true,
      audio_only: false,
    },
    {
      participant_id: 'a-agent1',
      role: 'agent',
      name: 'Pere',
      state: 'admitted',
      since: '2026-11-28T09:58:00Z',
      connected: true,
      audio_only: false,
    },
  ],
  recording: true,
})

describe('a call connection', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('opens the events socket and offers audio, video and the chat channel to the node with the join token', async () => {
    const { connection, node, pc, ws, audio, video } = await started()
    expect(ws().url).toBe('ws://media.test:8443/rooms/room-1/events?token=tok-1')
    expect(pc().config.iceServers).toEqual([{ urls: 'stun:stun.test:3478' }])
    expect(pc().steps).toEqual(['channel:chat', 'transceiver:audio', 'transceiver:video', 'offer'])
    expect(pc().transceivers.map((t) => [t.trackOrKind, t.init.direction])).toEqual([
      [audio, 'sendrecv'],
      [video, 'sendrecv'],
    ])
    expect(node.offers).toEqual([
      { url: 'http://media.test:8443/rooms/room-1/offer', body: { sdp: 'v=0 offer 0', type: 'offer', token: 'tok-1' } },
    ])
    expect(pc().remoteDescription).toEqual({ type: 'answer', sdp: 'v=0 answer' })
    expect(connection.snapshot.status).toBe('connecting')
    pc().setState('connected')
    expect(connection.snapshot.status).toBe('connected')
    ws().open()
    ws().receive(STATE('waiting'))
    expect(connection.snapshot.room.you).toBe('c-1')
    const remote = pc().remoteTrack('video')
    expect((connection.snapshot.remoteStream as unknown as FakeStream).getTracks()).toEqual([remote])
    connection.close()
    expect(pc(0).closed).toBe(true)
    expect(ws(0).readyState).toBe(3)
  })

  it('rebuilds the peer connection with a fresh token after 3 s disconnected, keeping the tracks and the socket', async () => {
    const { connection, node, pc, getGrant, audio, video, notices } = await started({ socket: 'open' })
    pc().setState('connected')
    pc().setState('disconnected')
    await vi.advanceTimersByTimeAsync(2_900)
    expect(getGrant).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(100)
    expect(connection.snapshot.status).toBe('reconnecting')
    expect(notices).toContain('reconnecting')
    expect(getGrant).toHaveBeenCalledTimes(2)
    expect(FakePeerConnection.instances).toHaveLength(2)
    expect(pc(0).closed).toBe(true)
    expect(pc(1).transceivers.map((t) => t.trackOrKind)).toEqual([audio, video])
    expect(node.offers[1]?.body.token).toBe('tok-2')
    // The socket was fine: not reopened.
    expect(FakeWebSocket.instances).toHaveLength(1)
    // The old connection's late news changes nothing.
    pc(0).setState('failed')
    expect(FakePeerConnection.instances).toHaveLength(2)
    pc(1).setState('connected')
    expect(connection.snapshot.status).toBe('connected')
    expect(notices).toContain('reconnected')
    connection.close()
  })

  it('rebuilds at once when the connection fails, retrying while the API cannot be reached', async () => {
    const offline = async () => {
      throw new ApiError(null)
    }
    const { connection, pc, getGrant } = await started({ grants: [undefined as never, offline, offline] })
    pc().setState('connected')
    pc().setState('failed')
    await flush()
    expect(getGrant).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(500)
    expect(getGrant).toHaveBeenCalledTimes(3)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(getGrant).toHaveBeenCalledTimes(4)
    expect(FakePeerConnection.instances).toHaveLength(2)
    pc().setState('connected')
    expect(connection.snapshot.status).toBe('connected')
    connection.close()
  })

  it('notices a peer connection closed under it (no event says so) and rebuilds it', async () => {
    const { connection, pc, getGrant } = await started()
    pc().setState('connected')
    pc().close()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(getGrant).toHaveBeenCalledTimes(2)
    expect(FakePeerConnection.instances).toHaveLength(2)
    expect(connection.snapshot.status).toBe('reconnecting')
    connection.close()
  })

  it('gives up when the API says the call is over', async () => {
    const closed = async () => {
      throw new ApiError(409, { code: 'appointment_closed' })
    }
    const { connection, pc } = await started({ grants: [undefined as never, closed] })
    pc().setState('connected')
    pc().setState('failed')
    await flush()
    expect(connection.snapshot.status).toBe('failed')
    expect(connection.snapshot.failure).toMatchObject({ kind: 'api' })
  })

  it('reopens a dropped socket with a fresh token', async () => {
    const { connection, ws, getGrant, pc } = await started()
    pc().setState('connected')
    ws().open()
    ws().drop()
    await vi.advanceTimersByTimeAsync(500)
    expect(getGrant).toHaveBeenCalledTimes(2)
    expect(ws().url).toBe('ws://media.test:8443/rooms/room-1/events?token=tok-2')
    expect(FakePeerConnection.instances).toHaveLength(1)
    connection.close()
  })

  it('chats over the data channel when open, else the socket; admits and ends over the socket', async () => {
    const { connection, ws, pc } = await started({ socket: 'open' })
    ws().receive(STATE('admitted'))
    expect(connection.sendChat('Hola')).toBe(true)
    expect(ws().sent).toEqual([{ type: 'chat', text: 'Hola' }])
    pc().channels[0]?.open()
    connection.sendChat('Adéu')
    expect(pc().channels[0]?.sent).toEqual([JSON.stringify({ type: 'chat', text: 'Adéu' })])
    // The same message over both: shown once.
    const bonDia = {
      type: 'chat',
      id: 'm9',
      from: 'a-agent1',
      role: 'agent',
      name: 'Pere',
      text: 'Bon dia',
      at: '2026-11-28T10:01:00Z',
    }
    pc().channels[0]?.receive(bonDia)
    ws().receive(bonDia)
    expect(connection.snapshot.room.chat.map((m) => m.text)).toEqual(['Hola', 'Adéu', 'Bon dia'])
    connection.admit('c-2')
    connection.end()
    expect(ws(0).sent.slice(-2)).toEqual([{ type: 'admit', participant_id: 'c-2' }, { type: 'end' }])
    expect(connection.snapshot.status).toBe('ended')
  })

  it('ends when the node says so', async () => {
    const { connection, ws, pc } = await started({ socket: 'open' })
    ws().receive({ type: 'ended', by: 'a-agent1', reason: 'agent' })
    expect(connection.snapshot.status).toBe('ended')
    expect(connection.snapshot.room.ended).toEqual({ by: 'a-agent1', reason: 'agent' })
    expect(pc().closed).toBe(true)
    // The socket's closing afterwards starts nothing.
    await vi.advanceTimersByTimeAsync(10_000)
    expect(FakeWebSocket.instances).toHaveLength(1)
  })

  it('mutes, turns the camera off and goes audio only (telling the node)', async () => {
    const { connection, ws, pc, audio, video } = await started({ socket: 'open' })
    connection.setMuted(true)
    expect(audio.enabled).toBe(false)
    connection.setCameraOff(true)
    expect(video.enabled).toBe(false)
    connection.setAudioOnly(true)
    expect(pc().transceivers[1]?.sender.replaceTrack).toHaveBeenLastCalledWith(null)
    connection.setAudioOnly(false)
    expect(pc().transceivers[1]?.sender.replaceTrack).toHaveBeenLastCalledWith(video)
    expect(ws().sent).toEqual([
      { type: 'audio_only', on: true },
      { type: 'audio_only', on: false },
    ])
    connection.close()
  })

  it('starts audio only without sending video, and tells the node once the socket opens', async () => {
    const { connection, ws, pc } = await started({ audioOnly: true })
    expect(pc().transceivers[1]?.trackOrKind).toBe('video')
    ws().open()
    expect(ws().sent).toEqual([{ type: 'audio_only', on: true }])
    connection.close()
  })

  it('switches to audio only by itself when the send rate stays under 150 kbps for 10 s in the call', async () => {
    const { connection, ws, pc, notices } = await started({ socket: 'open' })
    ws().receive(STATE('admitted'))
    pc().setState('connected')
    pc().stats = [
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
      { id: 'P', type: 'candidate-pair', currentRoundTripTime: 0.05, availableOutgoingBitrate: 100_000 },
    ]
    // 10 s of warm-up after connecting, then 10 s of low samples.
    await vi.advanceTimersByTimeAsync(19_000)
    expect(connection.snapshot.audioOnly).toBe(false)
    expect(connection.snapshot.quality).toBe('good')
    await vi.advanceTimersByTimeAsync(4_000)
    expect(connection.snapshot.audioOnly).toBe(true)
    expect(connection.snapshot.autoAudioOnly).toBe(true)
    expect(notices).toContain('auto_audio_only')
    expect(pc().transceivers[1]?.sender.replaceTrack).toHaveBeenLastCalledWith(null)
    expect(ws().sent).toContainEqual({ type: 'audio_only', on: true })
    connection.close()
  })

  it('does not switch while waiting to be let in, or with a good rate', async () => {
    const { connection, ws, pc } = await started({ socket: 'open' })
    ws().receive(STATE('waiting'))
    pc().setState('connected')
    pc().stats = [{ id: 'P', type: 'candidate-pair', selected: true, availableOutgoingBitrate: 50_000 }]
    await vi.advanceTimersByTimeAsync(30_000)
    expect(connection.snapshot.audioOnly).toBe(false)
    ws().receive({ type: 'admitted', participant_id: 'c-1' })
    pc().stats = [{ id: 'P', type: 'candidate-pair', selected: true, availableOutgoingBitrate: 900_000 }]
    await vi.advanceTimersByTimeAsync(30_000)
    expect(connection.snapshot.audioOnly).toBe(false)
    connection.close()
  })

  it('fails for good on a full room', async () => {
    const { connection, node } = setup()
    node.fetch.mockImplementation(async () => new Response('{}', { status: 409 }))
    connection.start()
    await flush()
    expect(connection.snapshot.status).toBe('failed')
    expect(connection.snapshot.failure).toEqual({ kind: 'room_full' })
  })

  it('exposes the current peer connection for end-to-end tests', async () => {
    const { connection, pc } = await started()
    const hook = (window as unknown as { __videoatencionCall: { pc: unknown; status: string } }).__videoatencionCall
    expect(hook.pc).toBe(pc())
    expect(hook.status).toBe('connecting')
    connection.close()
    expect(hook.pc).toBeNull()
  })
})
