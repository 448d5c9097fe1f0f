/**
 * The pre-flight check a day or two before a video call: the API's shapes (`GET`/`PUT /appointments/{id}/preflight`,
 * and the same check through a one-tap link) and the connection measurements against the media node.
 *
 * The browser only measures and reports; the server decides the result (ok, weak network, no camera, no microphone).
 * What could not be measured is sent as null, never guessed: the server counts it as weak.
 */
import type { ApiClient } from './api'
import { probeUrl } from './call/protocol'
import type { LocalizedText } from './i18n'

export type PreflightResult = 'ok' | 'weak_network' | 'no_camera' | 'no_microphone' | 'not_done'
export type TurnStatus = 'reachable' | 'unreachable' | 'not_configured'

export interface IceServer {
  urls: string[]
  username?: string
  credential?: string
}

/** Where to measure: the media node a call would use now (null: none is healthy) and the ICE servers to try. */
export interface Probe {
  media_url: string | null
  ice_servers: IceServer[]
}

export interface NetworkReport {
  down_kbps: number | null
  up_kbps: number | null
  rtt_ms: number | null
  media_node: boolean
  turn: TurnStatus
}

/** What the browser sends. */
export interface PreflightReport {
  camera: boolean
  microphone: boolean
  speaker: boolean
  network: NetworkReport
  checklist: number[]
  audio_only: boolean
  callback?: { phone: string }
}

/** What the check's page is given (and given back after sending). */
export interface PreflightInfo {
  result: PreflightResult
  documents: LocalizedText[]
  probe: Probe | null
  checklist: number[]
  audio_only: boolean
  callback_phone: string | null
}

const RESULTS: PreflightResult[] = ['ok', 'weak_network', 'no_camera', 'no_microphone', 'not_done']
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

export function parseProbe(value: unknown): Probe | null {
  if (!isObject(value)) return null
  const servers = Array.isArray(value.ice_servers) ? value.ice_servers : []
  return {
    media_url: typeof value.media_url === 'string' ? value.media_url : null,
    ice_servers: servers.filter(isObject).map((s) => ({
      urls: Array.isArray(s.urls) ? s.urls.filter((u): u is string => typeof u === 'string') : [],
      ...(typeof s.username === 'string' ? { username: s.username } : {}),
      ...(typeof s.credential === 'string' ? { credential: s.credential } : {}),
    })),
  }
}

/** The API's answer (the appointment's check, or a link's `check` with the result left out) as the page uses it. */
export function parsePreflight(value: unknown): PreflightInfo {
  const body = isObject(value) ? value : {}
  const result = RESULTS.find((r) => r === body.result) ?? 'not_done'
  return {
    result,
    documents: Array.isArray(body.documents) ? (body.documents.filter(isObject) as LocalizedText[]) : [],
    probe: parseProbe(body.probe),
    checklist: Array.isArray(body.checklist) ? body.checklist.filter((i): i is number => typeof i === 'number') : [],
    audio_only: body.audio_only === true,
    callback_phone: typeof body.callback_phone === 'string' ? body.callback_phone : null,
  }
}

const path = (id: string) => `/appointments/${encodeURIComponent(id)}/preflight`

export async function fetchPreflight(api: ApiClient, appointmentId: string): Promise<PreflightInfo> {
  return parsePreflight(await api.request(path(appointmentId), { auth: true }))
}

export async function putPreflight(api: ApiClient, appointmentId: string, report: PreflightReport): Promise<PreflightInfo> {
  return parsePreflight(await api.request(path(appointmentId), { method: 'PUT', body: report, auth: true }))
}

// ---- Measuring the connection ----

/** Bytes each way: about 2 megabits, a few seconds at 300 kbps, nothing on a good line. */
export const TRANSFER_BYTES = 250_000
const TRANSFER_TIMEOUT_MS = 12_000
const REQUEST_TIMEOUT_MS = 5_000
const ICE_TIMEOUT_MS = 6_000

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

function median(values: number[]): number | null {
  if (!values.length) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function timed<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number): Promise<{ value: T; ms: number }> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  const started = performance.now()
  try {
    const value = await work(controller.signal)
    return { value, ms: performance.now() - started }
  } finally {
    clearTimeout(timer)
  }
}

/** kbps from bytes over milliseconds (bits per millisecond are kilobits per second). */
const kbps = (bytes: number, ms: number) => Math.round((bytes * 8) / Math.max(ms, 1))

/** The node's round trip (median of three after a first request that opens the connection); null: unreachable. */
async function nodeRoundTrip(url: string, fetchFn: FetchLike): Promise<{ reached: boolean; rtt: number | null; maxBytes: number }> {
  let maxBytes = TRANSFER_BYTES
  try {
    const first = await timed((signal) => fetchFn(url, { cache: 'no-store', signal }), REQUEST_TIMEOUT_MS)
    if (!first.value.ok) return { reached: false, rtt: null, maxBytes }
    const body = (await first.value.json().catch(() => ({}))) as { max_bytes?: unknown }
    if (typeof body.max_bytes === 'number' && body.max_bytes > 0) maxBytes = Math.min(maxBytes, body.max_bytes)
  } catch {
    return { reached: false, rtt: null, maxBytes }
  }
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    try {
      const { value, ms } = await timed((signal) => fetchFn(url, { cache: 'no-store', signal }), REQUEST_TIMEOUT_MS)
      if (value.ok) times.push(ms)
    } catch {
      // Lost this time.
    }
  }
  const rtt = median(times)
  return { reached: true, rtt: rtt === null ? null : Math.round(rtt), maxBytes }
}

/** Download: what arrived in the time given counts (a slow line still gets its figure). */
async function download(url: string, bytes: number, fetchFn: FetchLike): Promise<number | null> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), TRANSFER_TIMEOUT_MS)
  const started = performance.now()
  let received = 0
  try {
    const response = await fetchFn(`${url}?bytes=${bytes}`, { cache: 'no-store', signal: controller.signal })
    if (!response.ok) return null
    const reader = response.body?.getReader()
    if (!reader) {
      received = (await response.arrayBuffer()).byteLength
    } else {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        received += value?.byteLength ?? 0
      }
    }
  } catch {
    // Timed out or cut: what arrived until then is the measure.
  } finally {
    clearTimeout(timer)
  }
  const ms = performance.now() - started
  return received > 0 ? kbps(received, ms) : null
}

/** Upload: only a finished upload is a measure (a browser cannot tell how much of an unfinished one left). */
async function upload(url: string, bytes: number, fetchFn: FetchLike): Promise<number | null> {
  const data = new Uint8Array(bytes)
  // Not compressible on the way: random-looking bytes (crypto where there is one).
  if (globalThis.crypto?.getRandomValues) {
    for (let at = 0; at < bytes; at += 65_536) globalThis.crypto.getRandomValues(data.subarray(at, at + 65_536))
  }
  try {
    const { value, ms } = await timed(
      (signal) =>
        fetchFn(url, {
          method: 'POST',
          body: new Blob([data], { type: 'text/plain' }),
          cache: 'no-store',
          signal,
        }),
      TRANSFER_TIMEOUT_MS,
    )
    return value.ok ? kbps(bytes, ms) : null
  } catch {
    return null
  }
}

/** The kinds of ICE candidate gathered with `servers` ("host", "srflx", "relay"), within a few seconds. */
export async function gatherCandidates(servers: IceServer[], timeoutMs = ICE_TIMEOUT_MS): Promise<Set<string>> {
  const found = new Set<string>()
  const Peer = (globalThis as { RTCPeerConnection?: typeof RTCPeerConnection }).RTCPeerConnection
  if (!Peer) return found
  let pc: RTCPeerConnection | null = null
  const note = (candidate: string | undefined | null) => {
    const kind = candidate ? /\btyp (\w+)/.exec(candidate)?.[1] : undefined
    if (kind) found.add(kind)
  }
  try {
    pc = new Peer({ iceServers: servers })
    pc.onicecandidate = (event) => note(event.candidate?.candidate)
    pc.createDataChannel('preflight')
    const offer = await pc.createOffer()
    await pc.setLocalDescription(offer)
    const deadline = Date.now() + timeoutMs
    while (pc.iceGatheringState !== 'complete' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    for (const line of (pc.localDescription?.sdp ?? '').split(/\r?\n/)) if (line.startsWith('a=candidate:')) note(line)
  } catch {
    // No WebRTC here, or refused: nothing gathered.
  } finally {
    pc?.close()
  }
  return found
}

/**
 * The connection to the media node: round trip and bitrate each way through its probe, and whether the STUN (and,
 * where configured, TURN) servers answer. `mediaNode`: the node answered, and where STUN servers are given, a
 * server-reflexive candidate came back.
 */
export async function measureNetwork(
  probe: Probe | null,
  fetchFn: FetchLike = (input, init) => window.fetch(input, init),
  page = window.location.href,
): Promise<NetworkReport> {
  const servers = probe?.ice_servers ?? []
  const stunGiven = servers.some((s) => !s.username && s.urls.length > 0)
  const turnGiven = servers.some((s) => s.username && s.urls.length > 0)
  const candidates = servers.length ? gatherCandidates(servers) : Promise.resolve(new Set<string>())
  let down: number | null = null
  let up: number | null = null
  let rtt: number | null = null
  let reached = false
  if (probe?.media_url) {
    const node = await nodeRoundTrip(probeUrl(probe.media_url, '/probe', page), fetchFn)
    reached = node.reached
    rtt = node.rtt
    if (reached) {
      down = await download(probeUrl(probe.media_url, '/probe/download', page), node.maxBytes, fetchFn)
      up = await upload(probeUrl(probe.media_url, '/probe/upload', page), node.maxBytes, fetchFn)
    }
  }
  const kinds = await candidates
  const turn: TurnStatus = !turnGiven ? 'not_configured' : kinds.has('relay') ? 'reachable' : 'unreachable'
  return {
    down_kbps: down,
    up_kbps: up,
    rtt_ms: rtt,
    media_node: reached && (!stunGiven || kinds.has('srflx') || kinds.has('relay')),
    turn,
  }
}
