import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  classifyQuality,
  createLowBitrateDetector,
  createReconnectWatch,
  median,
  networkVerdict,
  readStats,
  retryDelay,
  type Timers,
} from './policy'

const timers: Timers = { setTimeout: (run, ms) => setTimeout(run, ms), clearTimeout: (h) => clearTimeout(h as number) }

describe('reconnection policy', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('rebuilds at once when the connection has failed', () => {
    const lost = vi.fn()
    const watch = createReconnectWatch(lost, timers)
    watch.update('connected')
    watch.update('failed')
    expect(lost).toHaveBeenCalledTimes(1)
    watch.update('failed')
    expect(lost).toHaveBeenCalledTimes(1)
  })

  it('rebuilds after 3 s disconnected, not before', () => {
    const lost = vi.fn()
    const watch = createReconnectWatch(lost, timers)
    watch.update('connected')
    watch.update('disconnected')
    vi.advanceTimersByTime(2_999)
    expect(lost).not.toHaveBeenCalled()
    watch.update('disconnected')
    vi.advanceTimersByTime(1)
    expect(lost).toHaveBeenCalledTimes(1)
  })

  it('forgives a short disconnection that recovers by itself', () => {
    const lost = vi.fn()
    const watch = createReconnectWatch(lost, timers)
    watch.update('disconnected')
    vi.advanceTimersByTime(2_000)
    watch.update('connected')
    vi.advanceTimersByTime(10_000)
    expect(lost).not.toHaveBeenCalled()
    watch.update('disconnected')
    vi.advanceTimersByTime(2_000)
    watch.update('failed')
    expect(lost).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(5_000)
    expect(lost).toHaveBeenCalledTimes(1)
  })

  it('stops watching once disposed', () => {
    const lost = vi.fn()
    const watch = createReconnectWatch(lost, timers)
    watch.update('disconnected')
    watch.dispose()
    vi.advanceTimersByTime(5_000)
    watch.update('failed')
    expect(lost).not.toHaveBeenCalled()
  })

  it('waits longer between failed attempts, up to 5 s', () => {
    expect([0, 1, 2, 3, 4, 10].map(retryDelay)).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000])
  })
})

describe('audio only when the network is poor', () => {
  it('switches after 10 s of samples below 150 kbps', () => {
    const low = createLowBitrateDetector()
    expect(low.push(0, 400)).toBe(false)
    expect(low.push(2_000, 120)).toBe(false)
    expect(low.push(6_000, 90)).toBe(false)
    expect(low.push(11_999, 140)).toBe(false)
    expect(low.push(12_000, 140)).toBe(true)
  })

  it('starts counting again after one good sample; unknown samples change nothing', () => {
    const low = createLowBitrateDetector()
    low.push(0, 100)
    low.push(8_000, 100)
    expect(low.push(9_000, 150)).toBe(false)
    expect(low.push(10_000, 100)).toBe(false)
    expect(low.push(15_000, null)).toBe(false)
    expect(low.push(19_999, 100)).toBe(false)
    expect(low.push(20_000, 100)).toBe(true)
    low.reset()
    expect(low.push(21_000, 100)).toBe(false)
  })
})

describe('getStats', () => {
  const report = (bytesSent: number, received: number, lost: number, extra: Record<string, unknown> = {}) =>
    new Map<string, Record<string, unknown>>([
      ['T', { id: 'T', type: 'transport', selectedCandidatePairId: 'P' }],
      [
        'P',
        { id: 'P', type: 'candidate-pair', currentRoundTripTime: 0.042, availableOutgoingBitrate: 640_000, ...extra },
      ],
      ['Q', { id: 'Q', type: 'candidate-pair', currentRoundTripTime: 9 }],
      ['OV', { id: 'OV', type: 'outbound-rtp', kind: 'video', bytesSent }],
      ['OA', { id: 'OA', type: 'outbound-rtp', kind: 'audio', bytesSent: 99_999 }],
      [
        'IV',
        {
          id: 'IV',
          type: 'inbound-rtp',
          kind: 'video',
          packetsReceived: received,
          packetsLost: lost,
          framesPerSecond: 29,
        },
      ],
      ['IA', { id: 'IA', type: 'inbound-rtp', kind: 'audio', packetsReceived: received, packetsLost: 0 }],
    ])

  it('turns totals into rates between two reports', () => {
    const first = readStats(report(100_000, 1_000, 0), null, 10_000)
    expect(first).toMatchObject({ rttMs: 42, fps: 29, sendKbps: null, lossPct: null, estimateKbps: 640 })
    const second = readStats(report(350_000, 1_950, 50), first.counters, 12_000)
    expect(second.sendKbps).toBe(1_000)
    // 100 packets more on each stream, 50 of them lost on video: 50 / (1900 + 50).
    expect(second.lossPct).toBeCloseTo((50 / 1_950) * 100, 5)
  })

  it('reads plain lists of stats too, and copes with missing ones', () => {
    expect(readStats([], null, 0)).toMatchObject({
      rttMs: null,
      lossPct: null,
      fps: null,
      sendKbps: null,
      estimateKbps: null,
    })
    const sample = readStats([{ type: 'remote-inbound-rtp', roundTripTime: 0.3 }], null, 0)
    expect(sample.rttMs).toBe(300)
  })

  it('classifies the quality', () => {
    expect(classifyQuality({ rttMs: null, lossPct: null, fps: null })).toBe('unknown')
    expect(classifyQuality({ rttMs: 40, lossPct: 0, fps: 30 })).toBe('good')
    expect(classifyQuality({ rttMs: 40, lossPct: 0, fps: null })).toBe('good')
    expect(classifyQuality({ rttMs: 300, lossPct: 1, fps: 30 })).toBe('fair')
    expect(classifyQuality({ rttMs: 40, lossPct: 4, fps: 30 })).toBe('fair')
    expect(classifyQuality({ rttMs: 40, lossPct: 0, fps: 15 })).toBe('fair')
    expect(classifyQuality({ rttMs: 600, lossPct: 0, fps: 30 })).toBe('poor')
    expect(classifyQuality({ rttMs: 40, lossPct: 10, fps: 30 })).toBe('poor')
    expect(classifyQuality({ rttMs: 40, lossPct: 0, fps: 5 })).toBe('poor')
  })

  it('judges the network check', () => {
    expect(networkVerdict(80, 120)).toBe('good')
    expect(networkVerdict(80, 900)).toBe('poor')
    expect(networkVerdict(80, null)).toBe('failed')
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 2, 3])).toBe(2.5)
    expect(median([])).toBeNull()
  })
})
