/**
 * The devices around a call: camera and microphone (with the reasons they may be missing), the microphone level, a
 * test tone for the speakers, the agent's chime, and the network check before joining. Everything degrades quietly
 * where the browser lacks the API (no WebAudio: no meter, no tone).
 */
import { median } from './policy'

export type DeviceStatus = 'ok' | 'denied' | 'missing' | 'error' | 'off'

export interface LocalMedia {
  stream: MediaStream | null
  audio: DeviceStatus
  video: DeviceStatus
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } }
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true }

function reason(error: unknown): DeviceStatus {
  const name =
    error instanceof Error || (typeof error === 'object' && error !== null) ? (error as { name?: string }).name : ''
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'denied'
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'missing'
  return 'error'
}

/**
 * Camera and microphone; failing both together, each alone — so a person without a camera, or who refuses it, can
 * still join with sound. `withVideo` false: the microphone only (audio-only chosen before joining).
 */
export async function openMedia(withVideo = true): Promise<LocalMedia> {
  const devices = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined
  if (!devices?.getUserMedia) return { stream: null, audio: 'missing', video: 'missing' }
  if (withVideo) {
    try {
      const stream = await devices.getUserMedia({ audio: AUDIO, video: VIDEO })
      return { stream, audio: 'ok', video: 'ok' }
    } catch (error) {
      const video = reason(error)
      const audioOnly = await openMedia(false)
      if (audioOnly.stream) return { ...audioOnly, video }
      // Neither together nor sound alone: perhaps a camera without a microphone.
      try {
        const stream = await devices.getUserMedia({ video: VIDEO })
        return { stream, audio: audioOnly.audio, video: 'ok' }
      } catch (videoError) {
        return { stream: null, audio: audioOnly.audio, video: reason(videoError) }
      }
    }
  }
  try {
    const stream = await devices.getUserMedia({ audio: AUDIO })
    return { stream, audio: 'ok', video: 'off' }
  } catch (error) {
    return { stream: null, audio: reason(error), video: 'off' }
  }
}

export function stopMedia(stream: MediaStream | null | undefined): void {
  stream?.getTracks().forEach((track) => track.stop())
}

type AudioContextClass = typeof AudioContext

function audioContextClass(): AudioContextClass | null {
  const w = window as unknown as { AudioContext?: AudioContextClass; webkitAudioContext?: AudioContextClass }
  return w.AudioContext ?? w.webkitAudioContext ?? null
}

/** One AudioContext for the page (browsers limit how many), created on first use. */
let shared: AudioContext | null = null
function context(): AudioContext | null {
  if (shared && shared.state !== 'closed') return shared
  const Ctx = audioContextClass()
  if (!Ctx) return null
  try {
    shared = new Ctx()
  } catch {
    return null
  }
  return shared
}

/** The microphone's level, 0…1 (RMS of the waveform, scaled): `read()` as often as wanted, `stop()` at the end. */
export function micMeter(stream: MediaStream): { read: () => number; stop: () => void } | null {
  const ctx = context()
  if (!ctx || !stream.getAudioTracks().length) return null
  try {
    void ctx.resume?.()
    const source = ctx.createMediaStreamSource(stream)
    const analyser = ctx.createAnalyser()
    analyser.fftSize = 512
    source.connect(analyser)
    const data = new Uint8Array(analyser.fftSize)
    return {
      read() {
        analyser.getByteTimeDomainData(data)
        let sum = 0
        for (const v of data) sum += ((v - 128) / 128) ** 2
        return Math.min(1, Math.sqrt(sum / data.length) * 4)
      },
      stop() {
        source.disconnect()
      },
    }
  } catch {
    return null
  }
}

/** Plays tones one after another (Hz, seconds), softly faded in and out. False where there is no WebAudio. */
export function playTones(tones: { hz: number; seconds: number }[], volume = 0.2): boolean {
  const ctx = context()
  if (!ctx) return false
  try {
    void ctx.resume?.()
    let at = ctx.currentTime + 0.02
    for (const tone of tones) {
      const osc = ctx.createOscillator()
      const gain = ctx.createGain()
      osc.type = 'sine'
      osc.frequency.value = tone.hz
      gain.gain.setValueAtTime(0, at)
      gain.gain.linearRampToValueAtTime(volume, at + 0.03)
      gain.gain.linearRampToValueAtTime(0, at + tone.seconds)
      osc.connect(gain)
      gain.connect(ctx.destination)
      osc.start(at)
      osc.stop(at + tone.seconds + 0.02)
      at += tone.seconds
    }
    return true
  } catch {
    return false
  }
}

/** The speaker test: a short rising three-note tone. */
export const playTestSound = () =>
  playTones([
    { hz: 523, seconds: 0.35 },
    { hz: 659, seconds: 0.35 },
    { hz: 784, seconds: 0.5 },
  ])

/** The agent's "someone is waiting" chime: two notes, short. */
export const playChime = () =>
  playTones(
    [
      { hz: 880, seconds: 0.18 },
      { hz: 1175, seconds: 0.3 },
    ],
    0.25,
  )

const CHIME_KEY = 'va.chime'

export function chimeEnabled(): boolean {
  try {
    return window.localStorage.getItem(CHIME_KEY) !== 'off'
  } catch {
    return true
  }
}

export function rememberChime(on: boolean): void {
  try {
    window.localStorage.setItem(CHIME_KEY, on ? 'on' : 'off')
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
}

/**
 * Times `tries` runs of `probe` (a request: any answer counts, the point is reaching the server), each given up after
 * `timeoutMs`; the median in ms, or null when none answered.
 */
export async function roundTrip(
  probe: (signal: AbortSignal) => Promise<unknown>,
  tries = 3,
  timeoutMs = 5_000,
): Promise<number | null> {
  const times: number[] = []
  for (let i = 0; i < tries; i++) {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), timeoutMs)
    const started = performance.now()
    try {
      await probe(controller.signal)
      times.push(performance.now() - started)
    } catch {
      // Unreachable this time.
    } finally {
      clearTimeout(timer)
    }
  }
  return median(times)
}
