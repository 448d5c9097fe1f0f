/**
 * Calls: the API's shapes (`POST /appointments/{id}/call`, the `call` and `call_window` of an appointment), the media
 * node's addresses, and the room as the events WebSocket tells it — a pure reducer from the node's messages (state,
 * waiting, admitted, joined, left, reconnecting, chat, audio_only, ended, error) to what the screens show.
 */

export type CallStateName = 'idle' | 'waiting' | 'in_call' | 'ended'
export type RecordingState = 'none' | 'recording' | 'complete' | 'failed'

/** The appointment's live call, as `GET /appointments/{id}` and `GET /agenda` give it. */
export interface CallInfo {
  state: CallStateName
  waiting_since: string | null
  room_id: string | null
  recording: RecordingState
}

export interface CallWindow {
  opens_at: string
  closes_at: string
}

/** What `POST /appointments/{id}/call` answers: where the room is and a join token for it (120 s). */
export interface JoinGrant {
  room_id: string
  media_url: string
  join_token: string
  ice_servers: RTCIceServer[]
  participant_id: string
  role: string
  expires_in: number
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const str = (v: unknown): v is string => typeof v === 'string'
const strOr = (v: unknown, fallback: string) => (str(v) ? v : fallback)
const CALL_STATES: CallStateName[] = ['idle', 'waiting', 'in_call', 'ended']
const RECORDING_STATES: RecordingState[] = ['none', 'recording', 'complete', 'failed']

export function parseCallInfo(value: unknown): CallInfo | null {
  if (!isObject(value)) return null
  return {
    state: CALL_STATES.includes(value.state as CallStateName) ? (value.state as CallStateName) : 'idle',
    waiting_since: str(value.waiting_since) ? value.waiting_since : null,
    room_id: str(value.room_id) ? value.room_id : null,
    recording: RECORDING_STATES.includes(value.recording as RecordingState)
      ? (value.recording as RecordingState)
      : 'none',
  }
}

export function parseCallWindow(value: unknown): CallWindow | null {
  if (!isObject(value) || !str(value.opens_at) || !str(value.closes_at)) return null
  return { opens_at: value.opens_at, closes_at: value.closes_at }
}

/** The API's window when given, else its rule: from 15 min before the start to 60 min after the end. */
export function callWindow(a: { start: string; end: string; call_window?: CallWindow | null }): CallWindow {
  if (a.call_window) return a.call_window
  return {
    opens_at: new Date(Date.parse(a.start) - 15 * 60_000).toISOString(),
    closes_at: new Date(Date.parse(a.end) + 60 * 60_000).toISOString(),
  }
}

export type WindowPosition = 'before' | 'open' | 'after'

export function windowPosition(w: CallWindow, now = Date.now()): WindowPosition {
  if (now < Date.parse(w.opens_at)) return 'before'
  if (now > Date.parse(w.closes_at)) return 'after'
  return 'open'
}

function isIceServer(value: unknown): value is RTCIceServer {
  if (!isObject(value)) return false
  const urls = value.urls
  return str(urls) || (Array.isArray(urls) && urls.every(str))
}

export function parseJoinGrant(body: unknown): JoinGrant | null {
  if (!isObject(body) || !str(body.room_id) || !str(body.media_url) || !str(body.join_token)) return null
  return {
    room_id: body.room_id,
    media_url: body.media_url,
    join_token: body.join_token,
    ice_servers: Array.isArray(body.ice_servers) ? body.ice_servers.filter(isIceServer) : [],
    participant_id: strOr(body.participant_id, ''),
    role: strOr(body.role, ''),
    expires_in: typeof body.expires_in === 'number' ? body.expires_in : 120,
  }
}

// ---- The media node's addresses ----

/** `media_url` (made absolute against the page: a relative one is on the same host) with `path` after its own. */
function withPath(mediaUrl: string, page: string, path: string): URL {
  const url = new URL(mediaUrl, page)
  url.pathname = url.pathname.replace(/\/+$/, '') + path
  url.search = ''
  url.hash = ''
  return url
}

/** A media node's own address at `path` (the pre-flight probe: `/probe`, `/probe/download`, `/probe/upload`). */
export function probeUrl(mediaUrl: string, path: string, page = window.location.href): string {
  return withPath(mediaUrl, page, path).toString()
}

const room = (roomId: string) => `/rooms/${encodeURIComponent(roomId)}`

export function offerUrl(mediaUrl: string, roomId: string, page = window.location.href): string {
  return withPath(mediaUrl, page, `${room(roomId)}/offer`).toString()
}

export function healthUrl(mediaUrl: string, page = window.location.href): string {
  return withPath(mediaUrl, page, '/health').toString()
}

/** The events WebSocket: ws:// for an http:// node, wss:// for https:// (what a page on https must use). */
export function eventsUrl(mediaUrl: string, roomId: string, token: string, page = window.location.href): string {
  const url = withPath(mediaUrl, page, `${room(roomId)}/events`)
  url.protocol = url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : url.protocol
  url.search = `?token=${encodeURIComponent(token)}`
  return url.toString()
}

// ---- The room, from the events socket ----

export interface Participant {
  participant_id: string
  role: string
  name: string
  state: 'waiting' | 'admitted'
  /** Since when it waits (or was seen), ISO; null when the node did not say. */
  since: string | null
  /** Its media is connected to the node. */
  connected: boolean
  audio_only: boolean
  /** Its connection dropped; the node gives it a grace period before "left". */
  reconnecting: boolean
}

export interface ChatMessage {
  id: string
  from: string
  role: string
  name: string
  text: string
  at: string
  mine: boolean
  /** Sent by this client and not yet seen back from the node. */
  pending?: boolean
}

export interface RoomState {
  you: string | null
  participants: Participant[]
  recording: boolean
  chat: ChatMessage[]
  ended: { by: string; reason: string } | null
  /** The latest refusal of something this client sent (`{"type":"error"}`). */
  error: { code: string; detail: string } | null
}

export const EMPTY_ROOM: RoomState = {
  you: null,
  participants: [],
  recording: false,
  chat: [],
  ended: null,
  error: null,
}

export type RoomEvent =
  | { type: 'state'; you: string; participants: Participant[]; recording: boolean }
  | { type: 'waiting'; participant_id: string; role: string; name: string; since: string | null }
  | { type: 'admitted'; participant_id: string }
  | { type: 'joined'; participant_id: string; role: string; name: string; reconnected: boolean }
  | { type: 'left'; participant_id: string }
  | { type: 'reconnecting'; participant_id: string }
  | { type: 'chat'; id: string; from: string; role: string; name: string; text: string; at: string }
  | { type: 'audio_only'; participant_id: string; on: boolean }
  | { type: 'ended'; by: string; reason: string }
  | { type: 'error'; code: string; detail: string }
  /** Local: this client sent a chat message. */
  | { type: 'sent_chat'; id: string; text: string; at: string }

function parseParticipant(value: unknown): Participant | null {
  if (!isObject(value) || !str(value.participant_id)) return null
  return {
    participant_id: value.participant_id,
    role: strOr(value.role, ''),
    name: strOr(value.name, ''),
    state: value.state === 'waiting' ? 'waiting' : 'admitted',
    since: str(value.since) ? value.since : null,
    connected: value.connected === true,
    audio_only: value.audio_only === true,
    reconnecting: false,
  }
}

/** A server message (a JSON string or already parsed) as a RoomEvent; null for anything unknown or malformed. */
export function parseRoomEvent(data: unknown): RoomEvent | null {
  let m: unknown = data
  if (str(data)) {
    try {
      m = JSON.parse(data)
    } catch {
      return null
    }
  }
  if (!isObject(m) || !str(m.type)) return null
  const pid = str(m.participant_id) ? m.participant_id : null
  switch (m.type) {
    case 'state':
      if (!str(m.you)) return null
      return {
        type: 'state',
        you: m.you,
        participants: Array.isArray(m.participants)
          ? m.participants.map(parseParticipant).filter((p): p is Participant => p !== null)
          : [],
        recording: m.recording === true,
      }
    case 'waiting':
      return pid
        ? {
            type: 'waiting',
            participant_id: pid,
            role: strOr(m.role, ''),
            name: strOr(m.name, ''),
            since: str(m.since) ? m.since : null,
          }
        : null
    case 'admitted':
    case 'left':
    case 'reconnecting':
      return pid ? { type: m.type, participant_id: pid } : null
    case 'joined':
      return pid
        ? {
            type: 'joined',
            participant_id: pid,
            role: strOr(m.role, ''),
            name: strOr(m.name, ''),
            reconnected: m.reconnected === true,
          }
        : null
    case 'chat':
      if (!str(m.text)) return null
      return {
        type: 'chat',
        id: strOr(m.id, ''),
        from: strOr(m.from, ''),
        role: strOr(m.role, ''),
        name: strOr(m.name, ''),
        text: m.text,
        at: strOr(m.at, ''),
      }
    case 'audio_only':
      return pid ? { type: 'audio_only', participant_id: pid, on: m.on === true } : null
    case 'ended':
      return { type: 'ended', by: strOr(m.by, ''), reason: strOr(m.reason, '') }
    case 'error':
      return { type: 'error', code: strOr(m.code, ''), detail: strOr(m.detail, '') }
    default:
      return null
  }
}

function upsert(list: Participant[], id: string, change: (p: Participant) => Participant, create?: Participant) {
  const found = list.some((p) => p.participant_id === id)
  if (found) return list.map((p) => (p.participant_id === id ? change(p) : p))
  return create ? [...list, change(create)] : list
}

function blank(id: string, role = '', name = ''): Participant {
  return {
    participant_id: id,
    role,
    name,
    state: 'admitted',
    since: null,
    connected: false,
    audio_only: false,
    reconnecting: false,
  }
}

/**
 * `upsert` for an event that names the participant (`waiting`, `joined`): the role and name it gives replace the
 * known ones (an empty one keeps them), a newcomer is added with them, and `change` says what else the event changes.
 */
function upsertNamed(
  room: RoomState,
  event: { participant_id: string; role: string; name: string },
  change: (p: Participant) => Partial<Participant>,
) {
  return upsert(
    room.participants,
    event.participant_id,
    (p) => ({ ...p, role: event.role || p.role, name: event.name || p.name, ...change(p) }),
    blank(event.participant_id, event.role, event.name),
  )
}

export function roomReducer(room: RoomState, event: RoomEvent): RoomState {
  switch (event.type) {
    case 'state':
      // A new socket (after a reconnection) re-states the room; the chat so far is kept.
      return { ...room, you: event.you, participants: event.participants, recording: event.recording, error: null }
    case 'waiting':
      return {
        ...room,
        participants: upsertNamed(room, event, (p) => ({ state: 'waiting', since: event.since ?? p.since })),
      }
    case 'admitted':
      return {
        ...room,
        participants: upsert(
          room.participants,
          event.participant_id,
          (p) => ({ ...p, state: 'admitted' }),
          blank(event.participant_id),
        ),
      }
    case 'joined':
      return { ...room, participants: upsertNamed(room, event, () => ({ connected: true, reconnecting: false })) }
    case 'left':
      return { ...room, participants: room.participants.filter((p) => p.participant_id !== event.participant_id) }
    case 'reconnecting':
      return {
        ...room,
        participants: upsert(room.participants, event.participant_id, (p) => ({
          ...p,
          reconnecting: true,
          connected: false,
        })),
      }
    case 'audio_only':
      return {
        ...room,
        participants: upsert(room.participants, event.participant_id, (p) => ({ ...p, audio_only: event.on })),
      }
    case 'chat': {
      // The same message comes over the data channel and the socket: keep it once.
      if (event.id && room.chat.some((c) => c.id === event.id)) return room
      const mine = room.you !== null && event.from === room.you
      if (mine) {
        const pending = room.chat.findIndex((c) => c.pending && c.text === event.text)
        if (pending >= 0) {
          const chat = room.chat.slice()
          chat[pending] = {
            ...(chat[pending] as ChatMessage),
            id: event.id || (chat[pending] as ChatMessage).id,
            pending: false,
          }
          return { ...room, chat }
        }
      }
      return { ...room, chat: [...room.chat, { ...event, mine }] }
    }
    case 'sent_chat':
      return {
        ...room,
        chat: [
          ...room.chat,
          {
            id: event.id,
            from: room.you ?? '',
            role: '',
            name: '',
            text: event.text,
            at: event.at,
            mine: true,
            pending: true,
          },
        ],
      }
    case 'ended':
      return { ...room, ended: { by: event.by, reason: event.reason } }
    case 'error':
      return { ...room, error: { code: event.code, detail: event.detail } }
  }
}

/** Where this client stands: not yet told, waiting to be let in, or in the call. */
export function myState(room: RoomState): 'unknown' | 'waiting' | 'admitted' {
  if (!room.you) return 'unknown'
  const me = room.participants.find((p) => p.participant_id === room.you)
  return me ? me.state : 'unknown'
}

export function others(room: RoomState): Participant[] {
  return room.participants.filter((p) => p.participant_id !== room.you)
}

export function waitingParticipants(room: RoomState): Participant[] {
  return others(room).filter((p) => p.state === 'waiting')
}

/** The one shown large: the first other admitted participant, a citizen before anyone else. */
export function mainRemote(room: RoomState): Participant | null {
  const admitted = others(room).filter((p) => p.state === 'admitted')
  return admitted.find((p) => p.role === 'citizen') ?? admitted[0] ?? null
}

/**
 * Whether the call is being recorded now, for the indicator both sides see. The node's room state says whether the
 * room records (`recording`: its recorder is configured) but sends no event of its own when recording begins; the
 * conversation's recording begins when someone other than me is admitted — the citizen's media is recorded from
 * the moment they are let in, never while they wait (what the recording notice tells them). So: a recording room
 * with another admitted participant. Inferred from the room's state, not reported by the node.
 */
export function recordingActive(room: RoomState): boolean {
  return room.recording && mainRemote(room) !== null
}

/** The agent runs late: still waiting more than 5 minutes after the appointment's start. */
export function agentLate(start: string, now = Date.now()): boolean {
  return now > Date.parse(start) + 5 * 60_000
}

/**
 * The agenda's alert: which appointments have started waiting since the previous look (`previous`: id → call state
 * then; an id not seen before counts as newly waiting). Updates `previous` in place.
 */
export function newlyWaiting(
  previous: Map<string, CallStateName>,
  items: { id: string; call?: CallInfo | null }[],
): string[] {
  const found: string[] = []
  for (const item of items) {
    const state = item.call?.state ?? 'idle'
    if (state === 'waiting' && previous.get(item.id) !== 'waiting') found.push(item.id)
    previous.set(item.id, state)
  }
  return found
}
