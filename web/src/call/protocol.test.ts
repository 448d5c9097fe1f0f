import { describe, expect, it } from 'vitest'
import {
  agentLate,
  callWindow,
  EMPTY_ROOM,
  eventsUrl,
  healthUrl,
  mainRemote,
  myState,
  newlyWaiting,
  offerUrl,
  parseCallInfo,
  parseJoinGrant,
  parseRoomEvent,
  recordingActive,
  roomReducer,
  waitingParticipants,
  windowPosition,
  type CallStateName,
  type RoomEvent,
  type RoomState,
} from './protocol'

const PAGE = 'https://cita.example.cat/appointments/a/call'

describe('media node addresses', () => {
  it('builds ws:// from http:// and wss:// from https://, token encoded, room escaped', () => {
    expect(eventsUrl('http://127.0.0.1:8443', 'room 1', 'a.b+c/d=', PAGE)).toBe(
      'ws://127.0.0.1:8443/rooms/room%201/events?token=a.b%2Bc%2Fd%3D',
    )
    expect(eventsUrl('https://media.example.cat/', 'r1', 't', PAGE)).toBe(
      'wss://media.example.cat/rooms/r1/events?token=t',
    )
    expect(eventsUrl('https://host/media/node-2/', 'r1', 't', PAGE)).toBe(
      'wss://host/media/node-2/rooms/r1/events?token=t',
    )
  })

  it('resolves a relative media_url against the page (same host, its scheme)', () => {
    expect(eventsUrl('/media', 'r1', 't', PAGE)).toBe('wss://cita.example.cat/media/rooms/r1/events?token=t')
    expect(offerUrl('/media/', 'r1', PAGE)).toBe('https://cita.example.cat/media/rooms/r1/offer')
    expect(healthUrl('http://10.0.0.5:8443', PAGE)).toBe('http://10.0.0.5:8443/health')
  })
})

describe('API shapes', () => {
  it('reads a join grant, keeping valid ICE servers', () => {
    const grant = parseJoinGrant({
      room_id: 'r',
      media_url: 'http://m',
      join_token: 't',
      ice_servers: [{ urls: 'stun:s' }, { urls: ['turn:t'], username: 'u', credential: 'c' }, { nope: 1 }],
      participant_id: 'c-1',
      role: 'citizen',
      expires_in: 120,
    })
    expect(grant?.ice_servers).toHaveLength(2)
    expect(parseJoinGrant({ room_id: 'r' })).toBeNull()
  })

  it('reads the call object defensively', () => {
    expect(
      parseCallInfo({ state: 'waiting', waiting_since: '2026-11-28T10:02:00Z', room_id: 'r', recording: 'recording' }),
    ).toEqual({
      state: 'waiting',
      waiting_since: '2026-11-28T10:02:00Z',
      room_id: 'r',
      recording: 'recording',
    })
    expect(parseCallInfo({ state: 'weird' })).toEqual({
      state: 'idle',
      waiting_since: null,
      room_id: null,
      recording: 'none',
    })
    expect(parseCallInfo(null)).toBeNull()
  })

  it('knows the call window: the API’s, else 15 min before the start to 60 min after the end', () => {
    const a = { start: '2026-11-28T10:00:00Z', end: '2026-11-28T10:15:00Z' }
    const w = callWindow(a)
    expect(w).toEqual({ opens_at: '2026-11-28T09:45:00.000Z', closes_at: '2026-11-28T11:15:00.000Z' })
    expect(windowPosition(w, Date.parse('2026-11-28T09:44:59Z'))).toBe('before')
    expect(windowPosition(w, Date.parse('2026-11-28T09:45:00Z'))).toBe('open')
    expect(windowPosition(w, Date.parse('2026-11-28T11:15:01Z'))).toBe('after')
    const given = { opens_at: '2026-11-28T09:00:00Z', closes_at: '2026-11-28T09:30:00Z' }
    expect(callWindow({ ...a, call_window: given })).toBe(given)
  })

  it('says the agent runs late only more than 5 minutes after the start', () => {
    expect(agentLate('2026-11-28T10:00:00Z', Date.parse('2026-11-28T10:05:00Z'))).toBe(false)
    expect(agentLate('2026-11-28T10:00:00Z', Date.parse('2026-11-28T10:05:01Z'))).toBe(true)
  })
})

describe('the room, from the node’s events', () => {
  const run = (events: unknown[], start: RoomState = EMPTY_ROOM) =>
    events.reduce<RoomState>((room, raw) => {
      const event = parseRoomEvent(typeof raw === 'string' ? raw : JSON.stringify(raw))
      return event ? roomReducer(room, event) : room
    }, start)

  const STATE = {
    type: 'state',
    you: 'a-agent1',
    room_id: 'r',
    participants: [
      {
        participant_id: 'a-agent1',
        role: 'agent',
        name: 'Pere',
        state: 'admitted',
        since: 'x',
        connected: true,
        audio_only: false,
      },
    ],
    recording: true,
  }

  it('shows the call as recorded only once someone else is admitted, not while the agent is alone or a citizen waits', () => {
    let room = run([STATE])
    expect(room.recording).toBe(true)
    expect(recordingActive(room)).toBe(false)
    room = run([{ type: 'waiting', participant_id: 'c-1', role: 'citizen', name: 'Anna', since: 'x' }], room)
    expect(recordingActive(room)).toBe(false)
    room = run([{ type: 'admitted', participant_id: 'c-1' }], room)
    expect(recordingActive(room)).toBe(true)
    room = run([{ type: 'left', participant_id: 'c-1' }], room)
    expect(recordingActive(room)).toBe(false)
    expect(recordingActive(run([{ ...STATE, recording: false }, { type: 'admitted', participant_id: 'c-1' }]))).toBe(false)
  })

  it('follows a citizen from waiting to admitted to joined, and out', () => {
    let room = run([
      STATE,
      { type: 'waiting', participant_id: 'c-1', role: 'citizen', name: 'Anna', since: '2026-11-28T10:02:00Z' },
    ])
    expect(room.recording).toBe(true)
    expect(waitingParticipants(room).map((p) => p.name)).toEqual(['Anna'])
    expect(mainRemote(room)).toBeNull()
    room = run(
      [
        { type: 'admitted', participant_id: 'c-1' },
        { type: 'joined', participant_id: 'c-1', role: 'citizen', name: 'Anna', reconnected: false },
      ],
      room,
    )
    expect(waitingParticipants(room)).toEqual([])
    expect(mainRemote(room)).toMatchObject({ name: 'Anna', connected: true, state: 'admitted' })
    room = run([{ type: 'reconnecting', participant_id: 'c-1' }], room)
    expect(mainRemote(room)).toMatchObject({ reconnecting: true, connected: false })
    room = run(
      [
        { type: 'joined', participant_id: 'c-1', role: 'citizen', name: 'Anna', reconnected: true },
        { type: 'audio_only', participant_id: 'c-1', on: true },
      ],
      room,
    )
    expect(mainRemote(room)).toMatchObject({ reconnecting: false, audio_only: true })
    room = run([{ type: 'left', participant_id: 'c-1' }], room)
    expect(mainRemote(room)).toBeNull()
    expect(run([{ type: 'ended', by: 'a-agent1', reason: 'agent' }], room).ended).toEqual({
      by: 'a-agent1',
      reason: 'agent',
    })
  })

  it('tells the citizen where they stand', () => {
    const citizen = {
      ...STATE,
      you: 'c-1',
      participants: [
        {
          participant_id: 'c-1',
          role: 'citizen',
          name: 'Anna',
          state: 'waiting',
          since: 'x',
          connected: true,
          audio_only: false,
        },
      ],
    }
    expect(myState(EMPTY_ROOM)).toBe('unknown')
    const room = run([citizen])
    expect(myState(room)).toBe('waiting')
    expect(myState(run([{ type: 'admitted', participant_id: 'c-1' }], room))).toBe('admitted')
  })

  it('keeps a chat message once when it comes over both the data channel and the socket, and confirms my own', () => {
    const chat = {
      type: 'chat',
      id: 'm1',
      from: 'c-1',
      role: 'citizen',
      name: 'Anna',
      text: 'Hola',
      at: '2026-11-28T10:03:00Z',
    }
    let room = run([STATE, chat, chat])
    expect(room.chat).toHaveLength(1)
    expect(room.chat[0]).toMatchObject({ mine: false, name: 'Anna' })
    room = roomReducer(room, { type: 'sent_chat', id: 'local-1', text: 'Bon dia', at: '2026-11-28T10:04:00Z' })
    expect(room.chat[1]).toMatchObject({ mine: true, pending: true })
    room = run([{ ...chat, id: 'm2', from: 'a-agent1', name: 'Pere', text: 'Bon dia' }], room)
    expect(room.chat).toHaveLength(2)
    expect(room.chat[1]).toMatchObject({ id: 'm2', mine: true, pending: false })
  })

  it('ignores what it does not understand', () => {
    for (const raw of [
      'not json',
      '{}',
      '{"type":"nope"}',
      '{"type":"waiting"}',
      '{"type":"chat"}',
      '{"type":"state"}',
    ]) {
      expect(parseRoomEvent(raw)).toBeNull()
    }
    const error = parseRoomEvent({ type: 'error', code: 'forbidden', detail: 'x' }) as RoomEvent
    expect(roomReducer(EMPTY_ROOM, error).error).toEqual({ code: 'forbidden', detail: 'x' })
  })
})

describe('the agenda’s waiting alert', () => {
  it('fires for an appointment that starts waiting, once', () => {
    const seen = new Map<string, CallStateName>()
    const item = (id: string, state: CallStateName) => ({
      id,
      call: { state, waiting_since: null, room_id: null, recording: 'none' as const },
    })
    expect(newlyWaiting(seen, [item('a', 'idle'), item('b', 'waiting')])).toEqual(['b'])
    expect(newlyWaiting(seen, [item('a', 'idle'), item('b', 'waiting')])).toEqual([])
    expect(newlyWaiting(seen, [item('a', 'waiting'), item('b', 'in_call')])).toEqual(['a'])
    expect(newlyWaiting(seen, [item('a', 'waiting'), item('b', 'waiting')])).toEqual(['b'])
    expect(newlyWaiting(seen, [{ id: 'c' }])).toEqual([])
  })
})
