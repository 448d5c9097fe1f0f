/**
 * The call's decisions, kept pure so they can be tested with fake timers and made-up stats:
 * - when to rebuild the peer connection (aiortc has no ICE restart: "failed" at once, "disconnected" for 3 s);
 * - how long to wait between attempts when getting back fails;
 * - when to fall back to audio only (the send rate estimate below ~150 kbps for 10 s);
 * - what `getStats()` says about the connection (RTT, packet loss, frames per second) and how good that is.
 */

export const DISCONNECTED_GRACE_MS = 3_000
export const LOW_BITRATE_KBPS = 150
export const LOW_BITRATE_MS = 10_000

export interface Timers {
  setTimeout: (run: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

export const browserTimers: Timers = {
  setTimeout: (run, ms) => window.setTimeout(run, ms),
  clearTimeout: (handle) => window.clearTimeout(handle as number),
}

/**
 * Follows a peer connection's `connectionState`; calls `onLost` once when it is "failed", or has stayed
 * "disconnected" for `graceMs`. A return to "connected" (or "connecting") within the grace cancels it.
 */
export function createReconnectWatch(
  onLost: () => void,
  timers: Timers = browserTimers,
  graceMs = DISCONNECTED_GRACE_MS,
) {
  let timer: unknown = null
  let fired = false
  const cancel = () => {
    if (timer !== null) timers.clearTimeout(timer)
    timer = null
  }
  const fire = () => {
    cancel()
    if (fired) return
    fired = true
    onLost()
  }
  return {
    update(state: RTCPeerConnectionState) {
      if (fired) return
      if (state === 'failed') fire()
      else if (state === 'disconnected') {
        if (timer === null) timer = timers.setTimeout(fire, graceMs)
      } else cancel()
    },
    dispose: () => {
      cancel()
      fired = true
    },
  }
}

/** Wait before the n-th retry (0-based) of getting back into the call: 0.5 s, 1 s, 2 s, 4 s, then every 5 s. */
export function retryDelay(attempt: number): number {
  return Math.min(500 * 2 ** Math.max(0, attempt), 5_000)
}

/**
 * Feeds on send-rate samples (kbps, at a time in ms) and says when video should stop: every sample for
 * `windowMs` below `thresholdKbps`. Unknown rates (null) neither trigger nor reset it.
 */
export function createLowBitrateDetector(thresholdKbps = LOW_BITRATE_KBPS, windowMs = LOW_BITRATE_MS) {
  let lowSince: number | null = null
  return {
    push(at: number, kbps: number | null): boolean {
      if (kbps === null) return false
      if (kbps >= thresholdKbps) {
        lowSince = null
        return false
      }
      if (lowSince === null) lowSince = at
      return at - lowSince >= windowMs
    },
    reset() {
      lowSince = null
    },
  }
}

// ---- getStats ----

/** The counters kept between two `getStats()` reports, to turn totals into rates. */
export interface StatsCounters {
  at: number
  videoBytesSent: number | null
  packetsReceived: number
  packetsLost: number
}

export interface StatsSample {
  /** Round-trip time to the media node, ms. */
  rttMs: number | null
  /** Inbound packets lost since the previous report, %. */
  lossPct: number | null
  /** Frames per second of the video received. */
  fps: number | null
  /** Video actually sent since the previous report, kbps. */
  sendKbps: number | null
  /** The browser's estimate of what it can send (the selected candidate pair's availableOutgoingBitrate), kbps. */
  estimateKbps: number | null
  counters: StatsCounters
}

type Stat = Record<string, unknown> & { type?: string }
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/** Reads a stats report (an RTCStatsReport, or any iterable of stats or [id, stats] pairs). */
export function readStats(report: Iterable<unknown>, previous: StatsCounters | null, at: number): StatsSample {
  const stats: Stat[] = []
  for (const entry of report) {
    const stat = Array.isArray(entry) ? entry[1] : entry
    if (typeof stat === 'object' && stat !== null) stats.push(stat as Stat)
  }
  const transport = stats.find((s) => s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
  const pairs = stats.filter((s) => s.type === 'candidate-pair')
  const pair =
    pairs.find((p) => transport && p.id === transport.selectedCandidatePairId) ??
    pairs.find((p) => p.selected === true) ??
    pairs.find((p) => p.nominated === true && p.state === 'succeeded')
  let rtt = num(pair?.currentRoundTripTime)
  if (rtt === null) rtt = num(stats.find((s) => s.type === 'remote-inbound-rtp')?.roundTripTime)

  const kind = (s: Stat) => s.kind ?? s.mediaType
  const outVideo = stats.filter((s) => s.type === 'outbound-rtp' && kind(s) === 'video')
  const videoBytesSent = outVideo.length ? outVideo.reduce((sum, s) => sum + (num(s.bytesSent) ?? 0), 0) : null
  const inbound = stats.filter((s) => s.type === 'inbound-rtp')
  const packetsReceived = inbound.reduce((sum, s) => sum + (num(s.packetsReceived) ?? 0), 0)
  const packetsLost = inbound.reduce((sum, s) => sum + Math.max(0, num(s.packetsLost) ?? 0), 0)
  const inVideo = inbound.find((s) => kind(s) === 'video' && num(s.framesPerSecond) !== null)

  const seconds = previous ? (at - previous.at) / 1000 : 0
  let sendKbps: number | null = null
  if (previous && seconds > 0 && videoBytesSent !== null && previous.videoBytesSent !== null) {
    sendKbps = Math.max(0, ((videoBytesSent - previous.videoBytesSent) * 8) / 1000 / seconds)
  }
  let lossPct: number | null = null
  if (previous) {
    const received = packetsReceived - previous.packetsReceived
    const lost = packetsLost - previous.packetsLost
    if (received + lost > 0) lossPct = (Math.max(0, lost) / (received + Math.max(0, lost))) * 100
  }
  const estimate = num(pair?.availableOutgoingBitrate)
  return {
    rttMs: rtt === null ? null : rtt * 1000,
    lossPct,
    fps: inVideo ? num(inVideo.framesPerSecond) : null,
    sendKbps,
    estimateKbps: estimate === null ? null : estimate / 1000,
    counters: { at, videoBytesSent, packetsReceived, packetsLost },
  }
}

export type Quality = 'unknown' | 'good' | 'fair' | 'poor'

/**
 * Good: RTT < 250 ms, loss < 2 %, ≥ 20 fps (when video comes). Poor: RTT > 500 ms, loss > 8 % or < 10 fps.
 * Anything between is fair; with nothing measured yet, unknown.
 */
export function classifyQuality(sample: Pick<StatsSample, 'rttMs' | 'lossPct' | 'fps'>): Quality {
  const { rttMs, lossPct, fps } = sample
  if (rttMs === null && lossPct === null && fps === null) return 'unknown'
  if ((rttMs ?? 0) > 500 || (lossPct ?? 0) > 8 || (fps !== null && fps < 10)) return 'poor'
  if ((rttMs ?? 0) < 250 && (lossPct ?? 0) < 2 && (fps === null || fps >= 20)) return 'good'
  return 'fair'
}

/** The network check before joining: median round trips to the API and to the media node, in ms. */
export function networkVerdict(apiMs: number | null, nodeMs: number | null): 'good' | 'poor' | 'failed' {
  if (apiMs === null || nodeMs === null) return 'failed'
  return Math.max(apiMs, nodeMs) <= 400 ? 'good' : 'poor'
}

export function median(values: number[]): number | null {
  if (!values.length) return null
  const sorted = values.slice().sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
