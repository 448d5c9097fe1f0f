import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { axeViolations } from '../test/axe'
import { click, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type, waitFor } from '../test/page'
import { FakeAudioContext, FakePeerConnection, installWebRtc } from '../test/webrtc'
import { gatherCandidates, measureNetwork } from '../preflight'

const CHECK = {
  appointment_id: 'appt-1',
  result: 'not_done',
  documents: [
    { ca: 'DNI o NIE', es: 'DNI o NIE', en: 'ID card or NIE' },
    { ca: 'Contracte de lloguer', es: 'Contrato de alquiler', en: 'Rental contract' },
  ],
  probe: { media_url: 'http://media.test:8443', ice_servers: [] },
}

/** The media node's probe: a fast line unless told otherwise (`slowUpload`: the upload never finishes in time). */
function fakeProbe(options: { down?: boolean; reach?: boolean } = {}) {
  const asked: string[] = []
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    asked.push(`${init.method ?? 'GET'} ${url}`)
    if (options.reach === false) throw new TypeError('Failed to fetch')
    if (url.endsWith('/probe')) return new Response(JSON.stringify({ node_id: 'n1', stun_urls: [], max_bytes: 1_000_000 }))
    if (url.includes('/probe/download')) {
      const bytes = Number(new URL(url).searchParams.get('bytes'))
      return new Response(new Uint8Array(bytes))
    }
    if (url.endsWith('/probe/upload')) return new Response(JSON.stringify({ bytes: 1 }))
    return new Response('{}', { status: 404 })
  })
  return { fetch, asked }
}

describe('the pre-flight check page', () => {
  let webrtc: ReturnType<typeof installWebRtc>
  const realFetch = window.fetch
  beforeEach(() => {
    webrtc = installWebRtc()
  })
  afterEach(() => {
    webrtc.restore()
    window.fetch = realFetch
  })
  pageTest()

  async function open(routes: Parameters<typeof routeApi>[0] = {}, probe = fakeProbe()) {
    window.fetch = probe.fetch as unknown as typeof window.fetch
    const api = routeApi({ 'GET /api/appointments/appt-1/preflight': () => json(CHECK), ...routes })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1/check', session: signedIn('citizen') })
    return { api, probe }
  }

  it('checks the devices, the speaker and the connection, ticks documents and sends what it measured', async () => {
    const { api, probe } = await open({
      'PUT /api/appointments/appt-1/preflight': (call) => json({ ...CHECK, ...(call.body as object), result: 'ok' }),
    })
    expect(text('h1')).toBe('Check before your video call')
    await waitFor(() => expect(text('#camera-check')).toContain('Camera: working'))
    expect(document.querySelector('#preview-video')).not.toBeNull()
    expect(document.querySelector('#mic-level')).not.toBeNull()
    await waitFor(() => expect(text('#pre-network')).toBe('The video call server was reached.'), 5000)
    expect(probe.asked.some((a) => a.startsWith('GET http://media.test:8443/probe/download?bytes='))).toBe(true)
    expect(probe.asked.some((a) => a === 'POST http://media.test:8443/probe/upload')).toBe(true)
    expect(text('#pre-network-figures')).toMatch(/Download: \d+ kbps/)

    await click(document.querySelector('#test-speakers'))
    expect(FakeAudioContext.tones.length).toBeGreaterThan(0)
    await click(document.querySelector('#pre-heard-yes'))
    await click(document.querySelector('#pre-doc-1'))
    expect(await axeViolations()).toEqual([])
    await submit('form#pre-form')

    await waitFor(() => expect(text('#pre-result-text')).toBe('All set: the video call should work well for you.'))
    const sent = api.callsTo('PUT /api/appointments/appt-1/preflight')[0]?.body as Record<string, unknown>
    expect(sent).toMatchObject({ camera: true, microphone: true, speaker: true, checklist: [1], audio_only: false })
    const network = sent.network as Record<string, unknown>
    expect(network.media_node).toBe(true)
    expect(network.turn).toBe('not_configured')
    expect(typeof network.down_kbps).toBe('number')
    expect(typeof network.up_kbps).toBe('number')
    expect(typeof network.rtt_ms).toBe('number')
    expect(document.activeElement?.id).toBe('pre-result-title')
    await waitFor(() => expect(liveRegion()).toBe('The result of the check has been sent.'))
  })

  it('on a weak connection offers sound only and a phone call, and sends both in the report', async () => {
    const { api } = await open(
      {
        'PUT /api/appointments/appt-1/preflight': [
          () => json({ ...CHECK, result: 'weak_network', audio_only: false, callback_phone: null }),
          () => problem(422, 'validation_error', { errors: [{ field: 'callback.phone', code: 'mobile' }] }),
          (call) => {
            const body = call.body as { audio_only: boolean; callback: { phone: string } }
            return json({ ...CHECK, result: 'weak_network', audio_only: body.audio_only, callback_phone: '+34612345678' })
          },
        ],
      },
      fakeProbe({ reach: false }),
    )
    await waitFor(() => expect(text('#pre-network')).toBe('The video call server could not be reached.'), 5000)
    expect(text('#pre-network-figures')).toContain('Download: could not be measured')
    await submit('form#pre-form')
    await waitFor(() => expect(text('#pre-result-text')).toContain('Your connection seems too weak for video.'))
    const first = api.callsTo('PUT /api/appointments/appt-1/preflight')[0]?.body as { network: Record<string, unknown> }
    expect(first.network).toEqual({ down_kbps: null, up_kbps: null, rtt_ms: null, media_node: false, turn: 'not_configured' })

    await click(document.querySelector('#pre-audio-only'))
    await click(document.querySelector('#pre-call-me'))
    await submit('form#pre-options')
    expect(text('#pre-phone-error')).toContain('Enter the phone number we should call.')
    await type('#pre-phone', 'call me')
    await submit('form#pre-options')
    await waitFor(() => expect(text('#pre-phone-error')).toContain('Enter a valid mobile number'))
    await type('#pre-phone', '612 345 678')
    await submit('form#pre-options')
    await waitFor(() => expect(text('#pre-choice-sent')).toBe('You will join with sound only. The agent will call you on +34612345678.'))
    const last = api.callsTo('PUT /api/appointments/appt-1/preflight')[2]?.body
    expect(last).toMatchObject({ audio_only: true, callback: { phone: '612 345 678' } })
    expect(await axeViolations()).toEqual([])
  })

  it('says so when the appointment was cancelled or closed meanwhile', async () => {
    await open({ 'PUT /api/appointments/appt-1/preflight': () => problem(409, 'appointment_closed') })
    await waitFor(() => expect(text('#pre-network')).toBe('The video call server was reached.'), 5000)
    await submit('form#pre-form')
    await waitFor(() => expect(text('#pre-errors')).toContain('This appointment'))
    expect(document.querySelector('#pre-result')).toBeNull()
  })

  it('reports a camera it could not open', async () => {
    webrtc.restore()
    webrtc = installWebRtc({ camera: 'denied' })
    const { api } = await open({ 'PUT /api/appointments/appt-1/preflight': () => json({ ...CHECK, result: 'no_camera' }) })
    await waitFor(() => expect(text('#pre-network')).toBe('The video call server was reached.'), 5000)
    await submit('form#pre-form')
    await waitFor(() => expect(text('#pre-result-text')).toContain('Your camera could not be used'))
    expect(api.callsTo('PUT /api/appointments/appt-1/preflight')[0]?.body).toMatchObject({ camera: false, microphone: true, speaker: false })
  })
})

describe('the pre-flight check page, for staff', () => {
  pageTest()

  it('says the check is the citizen’s to do, and asks nothing of the devices', async () => {
    const webrtc = installWebRtc()
    try {
      const api = routeApi({ 'GET /api/appointments/appt-1/preflight': () => json(CHECK) })
      await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1/check', session: signedIn('staff') })
      await waitFor(() => expect(text('#pre-citizen-only')).toBe("This check is of the citizen's own devices: only they can do it."))
      expect(webrtc.getUserMedia).not.toHaveBeenCalled()
    } finally {
      webrtc.restore()
    }
  })
})

describe('measuring the connection', () => {
  let webrtc: ReturnType<typeof installWebRtc>
  beforeEach(() => {
    webrtc = installWebRtc()
  })
  afterEach(() => webrtc.restore())

  it('finds STUN and TURN through the candidates gathered', async () => {
    const relay = 'a=candidate:1 1 udp 1 10.0.0.1 3478 typ relay raddr 0.0.0.0 rport 0'
    const srflx = 'a=candidate:2 1 udp 1 84.1.2.3 5000 typ srflx raddr 0.0.0.0 rport 0'
    const original = FakePeerConnection.prototype.setLocalDescription
    FakePeerConnection.prototype.setLocalDescription = async function (this: FakePeerConnection, d) {
      this.localDescription = { type: d.type, sdp: `v=0\r\n${srflx}\r\n${relay}\r\n` }
    }
    try {
      const kinds = await gatherCandidates([{ urls: ['stun:s.test'] }, { urls: ['turn:t.test'], username: 'u', credential: 'c' }])
      expect([...kinds].sort()).toEqual(['relay', 'srflx'])
      const fast = fakeProbe()
      const found = await measureNetwork(
        { media_url: 'http://media.test:8443', ice_servers: [{ urls: ['stun:s.test'] }, { urls: ['turn:t.test'], username: 'u', credential: 'c' }] },
        fast.fetch,
        'http://app.test/',
      )
      expect(found).toMatchObject({ media_node: true, turn: 'reachable' })
    } finally {
      FakePeerConnection.prototype.setLocalDescription = original
    }
  })

  it('says TURN is unreachable and the node not reached when no candidate comes back', async () => {
    const found = await measureNetwork(
      { media_url: 'http://media.test:8443', ice_servers: [{ urls: ['stun:s.test'] }, { urls: ['turn:t.test'], username: 'u', credential: 'c' }] },
      fakeProbe().fetch,
      'http://app.test/',
    )
    expect(found).toMatchObject({ media_node: false, turn: 'unreachable' })
    expect(found.down_kbps).toBeGreaterThan(0)
  })

  it('reports nothing measured when there is no node to measure against', async () => {
    expect(await measureNetwork({ media_url: null, ice_servers: [] }, fakeProbe().fetch, 'http://app.test/')).toEqual({
      down_kbps: null, up_kbps: null, rtt_ms: null, media_node: false, turn: 'not_configured',
    })
  })
})
