import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AGENT, appointment, CITIZEN, NOW, setClock } from '../../test/appointments'
import {
  click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type, waitFor,
} from '../../test/page'
import type { Language } from '../../i18n'
import type { Fetch } from '../../services'
import {
  FakeAudioContext,
  FakePeerConnection,
  FakeStream,
  FakeWebSocket,
  fakeNode,
  GRANT,
  installWebRtc,
} from '../../test/webrtc'

const pressed = (selector: string) => document.querySelector(selector)?.getAttribute('aria-pressed')

/** Starts at 11:05 in Madrid, 5 minutes after "now": the call window (from 10:50) is open. */
const SOON = appointment({ start: '2026-11-28T11:05:00+01:00', end: '2026-11-28T11:20:00+01:00' })

const ws = (i = -1) => FakeWebSocket.instances[i < 0 ? FakeWebSocket.instances.length + i : i] as FakeWebSocket
const pc = (i = -1) =>
  FakePeerConnection.instances[i < 0 ? FakePeerConnection.instances.length + i : i] as FakePeerConnection

function participants(citizen: 'waiting' | 'admitted', withAgent = true) {
  return [
    {
      participant_id: 'c-1',
      role: 'citizen',
      name: 'Anna Puig',
      state: citizen,
      since: '2026-11-28T10:06:00Z',
      connected: true,
      audio_only: false,
    },
    ...(withAgent
      ? [
          {
            participant_id: 'a-agent1',
            role: 'agent',
            name: 'Pere Soler',
            state: 'admitted',
            since: '2026-11-28T10:00:00Z',
            connected: true,
            audio_only: false,
          },
        ]
      : []),
  ]
}

/** The room as the citizen first sees it: alone in the waiting room, no agent yet, nothing recorded. */
const ALONE_WAITING = {
  type: 'state',
  you: 'c-1',
  room_id: 'room-1',
  participants: participants('waiting', false),
  recording: false,
}

/** What the agent is told when the citizen arrives in the waiting room. */
const CITIZEN_WAITS = {
  type: 'waiting',
  participant_id: 'c-1',
  role: 'citizen',
  name: 'Anna Puig',
  since: '2026-11-28T10:06:00Z',
}

describe('the video call', () => {
  let webrtc: ReturnType<typeof installWebRtc>
  let node: ReturnType<typeof fakeNode>
  const realFetch = window.fetch
  beforeEach(() => {
    webrtc = installWebRtc()
    node = fakeNode()
    window.fetch = node.fetch as unknown as typeof window.fetch
  })
  afterEach(() => {
    webrtc.restore()
    window.fetch = realFetch
  })
  // Registered last, so that its clean-up (the app taken down first) runs before the fakes are removed.
  pageTest({ zone: 'UTC' })

  /** Opens the call page of appt-1 as the citizen or the agent. */
  const openCall = (fetch: Fetch, language: Language, role: 'citizen' | 'staff' = 'citizen') =>
    mountApp({ fetch, language, path: '/appointments/appt-1/call', session: signedIn(role) })

  /** The citizen joins, connects and is let in at once: the call screen has the focus. */
  async function joinAdmitted() {
    await click(await find('#join-call'))
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
    ws().open()
    pc().setState('connected')
    ws().receive({ type: 'state', you: 'c-1', room_id: 'room-1', participants: participants('admitted'), recording: true })
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#call-title')))
  }

  const citizenApi = (extra: Parameters<typeof routeApi>[0] = {}) =>
    routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments/appt-1': () => json(SOON),
      'POST /api/appointments/appt-1/call': () => json(GRANT),
      'GET /api/health': () => json({ status: 'ok' }),
      ...extra,
    })

  it('citizen: checks devices and network, shows the recording notice, waits to be let in, then talks and chats', async () => {
    const api = citizenApi()
    await openCall(api.fetch, 'en')
    expect(text('h1')).toBe('Video call')
    await waitFor(() => expect(text('#camera-check')).toBe('Camera: working: you should see yourself in the picture.'))
    expect(document.querySelector('video#preview-video')).not.toBeNull()
    await waitFor(() => expect(text('#mic-check')).toContain('working: we can hear you.'))
    expect(document.querySelector('label[for=mic-level]')?.textContent).toBe('Microphone level')
    await waitFor(() => expect(text('#network-check')).toMatch(/^Connection: good\./))
    expect(api.callsTo('GET /api/health')).toHaveLength(3)
    expect(node.fetch.mock.calls.filter(([url]) => url === 'http://media.test:8443/health')).toHaveLength(3)

    // The recording notice, before joining: what, why, how long (the service's rules, from the API), rights, and the
    // detail behind "more".
    const notice = document.querySelector('#recording-notice') as HTMLElement
    expect(text('#recording-title')).toBe('This video call is recorded')
    expect(notice.textContent).toContain('The audio, the video and the chat of the call')
    expect(notice.textContent).toContain('article 6.1.e')
    expect(text('#recording-retention')).toBe(
      '2 years if the procedure is carried out in the call, because the recording becomes part of its case file; ' +
        '30 days if it is not. Then it is deleted.',
    )
    expect(notice.textContent).toContain('access the recording and get a copy, ask for it to be rectified and object')
    expect(notice.querySelector('details summary')?.textContent).toBe('More about the recording and your rights')
    expect(notice.querySelector('details')?.textContent).toContain('Catalan Data Protection Authority (APDCAT')
    expect(notice.querySelector('details')?.textContent).toContain('Data Protection Officer')

    await click(document.querySelector('#test-speakers'))
    expect(FakeAudioContext.tones).toEqual([523, 659, 784])
    await waitFor(() => expect(liveRegion()).toBe('Playing the test sound. If you cannot hear it, turn the volume up.'))

    // Join: a fresh grant, the events socket and the offer with its token.
    await click(document.querySelector('#join-call'))
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
    expect(api.callsTo('POST /api/appointments/appt-1/call')).toHaveLength(2)
    expect(api.callsTo('POST /api/appointments/appt-1/call')[1]?.headers.Authorization).toBe('Bearer token-citizen')
    expect(ws().url).toBe('ws://media.test:8443/rooms/room-1/events?token=tok-1')
    await waitFor(() => expect(node.offers).toHaveLength(1))
    expect(node.offers[0]?.body).toMatchObject({ type: 'offer', token: 'tok-1' })
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#waiting-title')))
    expect(text('#waiting-title')).toBe('The agent will let you in')
    ws().open()
    pc().setState('connected')
    ws().receive(ALONE_WAITING)
    await waitFor(() => expect(text('#waiting-status')).toMatch(/^You are in the waiting room\./))
    expect(document.querySelector('#agent-late')).toBeNull()

    // Let in: the call screen, focus on its heading, the news read out.
    ws().receive({ type: 'joined', participant_id: 'a-agent1', role: 'agent', name: 'Pere Soler', reconnected: false })
    ws().receive({ type: 'admitted', participant_id: 'c-1' })
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#call-title')))
    expect(text('#call-title')).toBe('Call with Pere Soler')
    await waitFor(() => expect(liveRegion()).toBe('The agent has let you in. You are in the call.'))
    const remote = document.querySelector('[data-testid="remote-video"]') as HTMLVideoElement & { srcObject: unknown }
    expect(remote.tagName).toBe('VIDEO')
    expect(remote.getAttribute('aria-label')).toBe('Video of Pere Soler')
    const track = pc().remoteTrack('video')
    await waitFor(() => expect((remote.srcObject as unknown as FakeStream).getTracks()).toContain(track))
    expect(document.querySelector('video#self-video')).not.toBeNull()

    // Controls: toggle buttons with their pressed state.
    expect(pressed('#toggle-mute')).toBe('false')
    await click(document.querySelector('#toggle-mute'))
    expect(pressed('#toggle-mute')).toBe('true')
    const stream = (await webrtc.getUserMedia.mock.results[0]?.value) as FakeStream
    expect(stream.getAudioTracks()[0]?.enabled).toBe(false)
    await click(document.querySelector('#toggle-audio-only'))
    expect(pressed('#toggle-audio-only')).toBe('true')
    expect(ws().sent).toContainEqual({ type: 'audio_only', on: true })

    // Chat: a labelled input; the log is a polite live region.
    const log = document.querySelector('[data-testid="chat-log"]') as HTMLElement
    expect(log.getAttribute('role')).toBe('log')
    expect(log.getAttribute('aria-live')).toBe('polite')
    expect(document.querySelector('label[for=chat-input]')?.textContent).toBe('Message')
    await type('#chat-input', 'Bon dia')
    await submit('.call-chat__form')
    expect(ws().sent).toContainEqual({ type: 'chat', text: 'Bon dia' })
    expect((document.querySelector('#chat-input') as HTMLInputElement).value).toBe('')
    ws().receive({
      type: 'chat',
      id: 'm1',
      from: 'a-agent1',
      role: 'agent',
      name: 'Pere Soler',
      text: 'Hola, Anna',
      at: '2026-11-28T10:07:00Z',
    })
    await waitFor(() => expect(log.textContent).toContain('Pere Soler 11:07: Hola, Anna'))
    expect(log.textContent).toContain('You 11:00: Bon dia')

    // The connection drops: "reconnecting…", a fresh token and a new peer connection, then back.
    pc().setState('failed')
    await waitFor(() => expect(text('#call-reconnecting')).toBe('Connection lost. Reconnecting…'))
    await waitFor(() => expect(liveRegion()).toBe('Connection lost. Reconnecting…'))
    await waitFor(() => expect(FakePeerConnection.instances).toHaveLength(2))
    expect(api.callsTo('POST /api/appointments/appt-1/call')).toHaveLength(3)
    await waitFor(() => expect(node.offers[1]?.body.token).toBe('tok-1'))
    pc().setState('connected')
    await waitFor(() => expect(document.querySelector('#call-reconnecting')).toBeNull())
    await waitFor(() => expect(liveRegion()).toBe('Reconnected.'))
    expect((window as unknown as { __videoatencionCall: { pc: unknown } }).__videoatencionCall.pc).toBe(pc(1))

    // The agent ends the call.
    ws().receive({ type: 'ended', by: 'a-agent1', reason: 'agent' })
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#call-ended-title')))
    expect(text('#call-ended-title')).toBe('The call has ended')
    expect(pc().closed).toBe(true)
  })

  it('citizen: in the call, what the agent prepares for their confirmation shows up beside it (asked every 5 s)', async () => {
    const awaiting = {
      id: 'proc-1',
      type: 'direct_debit',
      status: 'awaiting_consent',
      summary: { title: 'Direct debit', lines: [{ label: 'IBAN', value: 'ES91 **** 1332' }] },
      documents: [],
    }
    const api = citizenApi({
      'GET /api/appointments/appt-1/procedures': [
        () => json({ items: [], next: null }),
        () => json({ items: [awaiting], next: null }),
      ],
    })
    await openCall(api.fetch, 'en')
    await joinAdmitted()
    // Not asked before being let in; nothing to show at first.
    await waitFor(() => expect(api.callsTo('GET /api/appointments/appt-1/procedures')).toHaveLength(1))
    expect(document.querySelector('#procedure-panel')).toBeNull()
    await waitFor(() => expect(document.querySelector('aside#procedure-panel')).not.toBeNull(), 7000)
    expect(text('#procedure-title')).toBe('Your procedures')
    expect(text('#consent-proc-1-title')).toBe('Direct debit')
    expect(text('#consent-proc-1-send')).toBe('Send me a code')
  }, 15_000)

  it('citizen: the end of the call says so once and offers the document just issued', async () => {
    const issued = {
      id: 'proc-2',
      type: 'padron_certificate',
      status: 'issued',
      summary: { title: 'Residence certificate', lines: [] },
      documents: [{ id: 'doc-9', csv: 'ABCDEFGHJKLMNPQRSTUV', title: 'Residence certificate' }],
    }
    const api = citizenApi({ 'GET /api/appointments/appt-1/procedures': () => json({ items: [issued], next: null }) })
    await openCall(api.fetch, 'en')
    await joinAdmitted()
    // On a phone the chat folds into a sheet opened from the controls; the body is marked so the header gives way.
    expect(document.body.classList.contains('in-call')).toBe(true)
    const toggle = document.querySelector('#chat-toggle')
    expect(toggle?.getAttribute('aria-controls')).toBe('call-sheet-chat')
    expect(toggle?.getAttribute('aria-expanded')).toBe('false')
    await click(toggle)
    expect(toggle?.getAttribute('aria-expanded')).toBe('true')
    expect(document.querySelector('#call-sheet-chat')?.className).toContain('call-sheet--open')
    // The self view moves to another corner when pressed (the alternative to dragging it).
    const self = document.querySelector('#self-view-move')
    expect(self?.getAttribute('data-corner')).toBe('top-right')
    await click(self)
    expect(self?.getAttribute('data-corner')).toBe('top-left')

    ws().receive({ type: 'ended', by: 'a-agent1', reason: 'agent' })
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#call-ended-title')))
    expect(document.body.classList.contains('in-call')).toBe(false)
    expect(text('#call-ended-title')).toBe('The call has ended')
    expect(text('#call-ended-text')).not.toContain('ended')
    await waitFor(() => expect(text('#call-documents li')).toContain('Residence certificate'))
    expect(document.querySelector('#ended-download-doc-9')?.textContent).toBeTruthy()
    expect(document.querySelector('#call-documents a')?.getAttribute('href')).toBe('/documents')
  })

  it('citizen without camera permission: says so and joins with sound only', async () => {
    webrtc.restore()
    webrtc = installWebRtc({ camera: 'denied' })
    await openCall(citizenApi().fetch, 'ca')
    await waitFor(() => expect(text('#camera-check')).toBe('Càmera: no heu donat permís per fer-la servir.'))
    expect(text('#media-problem')).toContain('Podeu entrar només amb so.')
    expect(document.querySelector('#preview-video')).toBeNull()
    const audioOnly = await find<HTMLInputElement>('#join-audio-only')
    expect(audioOnly.checked).toBe(true)
    expect(audioOnly.disabled).toBe(true)
    await click(document.querySelector('#join-call'))
    await waitFor(() => expect(FakePeerConnection.instances).toHaveLength(1))
    await waitFor(() => expect(pc().transceivers).toHaveLength(2))
    expect(
      pc().transceivers.map((t) => (typeof t.trackOrKind === 'string' ? t.trackOrKind : t.trackOrKind.kind)),
    ).toEqual(['audio', 'video'])
    expect(typeof pc().transceivers[0]?.trackOrKind).toBe('object')
    expect(pc().transceivers[1]?.trackOrKind).toBe('video')
    ws().open()
    expect(ws().sent).toEqual([{ type: 'audio_only', on: true }])
  })

  it('citizen who asked for sound only in the pre-flight check: joins with sound only, already chosen', async () => {
    const asked = { ...SOON, preflight: { result: 'weak_network', audio_only: true, callback_phone: null } }
    await openCall(citizenApi({ 'GET /api/appointments/appt-1': () => json(asked) }).fetch, 'en')
    const audioOnly = await find<HTMLInputElement>('#join-audio-only')
    expect(audioOnly.checked).toBe(true)
    expect(audioOnly.disabled).toBe(false)
    await waitFor(() => expect(text('#camera-check')).toContain('working'))
    await click(document.querySelector('#join-call'))
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
    ws().open()
    expect(ws().sent).toEqual([{ type: 'audio_only', on: true }])
  })

  it('citizen: tells when the agent runs late', async () => {
    vi.restoreAllMocks()
    setClock(NOW + 11 * 60_000)
    await openCall(citizenApi().fetch, 'es')
    await click(await find('#join-call'))
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
    ws().open()
    ws().receive(ALONE_WAITING)
    await waitFor(() =>
      expect(text('#agent-late')).toBe(
        'El agente se está retrasando unos minutos. Espere, por favor: le hará pasar en cuanto pueda.',
      ),
    )
    await waitFor(() => expect(liveRegion()).toBe(text('#agent-late')))
  })

  it('citizen: before the window opens, says when, and asks nothing of the API', async () => {
    const api = citizenApi({
      'GET /api/appointments/appt-1': () =>
        json(appointment({ start: '2026-11-28T13:00:00+01:00', end: '2026-11-28T13:15:00+01:00' })),
    })
    await openCall(api.fetch, 'en')
    await waitFor(() =>
      expect(text('#call-not-open')).toBe(
        'The waiting room opens at 12:45. Meanwhile you can check your camera and microphone.',
      ),
    )
    expect(document.querySelector('#join-call')).toBeNull()
    expect(api.callsTo('POST /api/appointments/appt-1/call')).toHaveLength(0)
    // How long the recording is kept is known before the window opens: it comes from the rules, not from the call.
    await waitFor(() => expect(text('#recording-retention')).toMatch(/^2 years if the procedure is carried out/))
  })

  it('citizen: the recording notice follows the retention rules the API has, in the reader’s language', async () => {
    const api = citizenApi({
      'GET /api/retention': () =>
        json({
          recording_default: { years: 0, months: 1, days: 0 },
          services: [
            {
              service_id: 'padron-certificate',
              recording: { years: 4, months: 1, days: 0 },
              documents: { years: 4, months: 1, days: 0 },
            },
          ],
        }),
    })
    await openCall(api.fetch, 'ca')

    await waitFor(() =>
      expect(text('#recording-retention')).toBe(
        '4 anys i 1 mes si en la trucada es fa el tràmit, perquè la gravació passa a formar part de l’expedient; ' +
          '1 mes si no es fa. Després s’esborra.',
      ),
    )
  })

  it('citizen: without the rules, the notice says so in general words and never a made-up figure', async () => {
    const api = citizenApi({ 'GET /api/retention': () => problem(503, 'service_unavailable') })
    await openCall(api.fetch, 'en')

    await waitFor(() => expect(api.callsTo('GET /api/retention')).toHaveLength(1))
    expect(text('#recording-retention')).toBe('The time set by the City Council’s retention rules; then it is deleted.')
  })

  it('citizen: the API’s "not open" answer wins over the local clock', async () => {
    const api = citizenApi({
      'POST /api/appointments/appt-1/call': () =>
        problem(409, 'call_not_open', { opens_at: '2026-11-28T10:50:00Z', closes_at: '2026-11-28T12:20:00Z' }),
    })
    await openCall(api.fetch, 'en')
    await waitFor(() => expect(text('#call-not-open')).toContain('The waiting room opens at 11:50.'))
    expect(document.querySelector('#join-call')).toBeNull()
  })

  it('agent: joins on arrival, admits the waiting citizen, keeps room for the procedure, ends with the outcome', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(SOON),
      'POST /api/appointments/appt-1/call': () => json({ ...GRANT, participant_id: 'a-agent1', role: 'agent' }),
      'POST /api/appointments/appt-1/outcome': () => json({ ...SOON, status: 'completed', outcome: 'completed' }),
    })
    await openCall(api.fetch, 'en', 'staff')
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
    ws().open()
    await waitFor(() => expect(FakePeerConnection.instances).toHaveLength(1))
    pc().setState('connected')
    ws().receive({
      type: 'state',
      you: 'a-agent1',
      room_id: 'room-1',
      participants: participants('admitted').filter((p) => p.participant_id === 'a-agent1'),
      recording: true,
    })
    await waitFor(() => expect(text('#nobody-waiting')).toBe('Nobody is waiting.'))
    expect(text('#procedure-panel h2')).toBe('Procedure')
    expect(document.querySelector('aside#procedure-panel')?.getAttribute('aria-labelledby')).toBe('procedure-title')
    // Alone in the room, nothing of the conversation is being recorded yet: no "Recording" indicator.
    expect(document.querySelector('#call-recording')).toBeNull()

    ws().receive(CITIZEN_WAITS)
    const admit = await find('#admit-c-1')
    expect(text('.call-waiting__item')).toContain('Anna Puig, waiting since 11:06')
    expect(admit.textContent).toBe('Admit Anna Puig')
    await waitFor(() => expect(liveRegion()).toBe('Anna Puig is waiting to be let in.'))
    expect(FakeAudioContext.tones).toEqual([880, 1175])
    await click(admit)
    expect(ws().sent).toContainEqual({ type: 'admit', participant_id: 'c-1' })
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#call-title')))
    ws().receive({ type: 'admitted', participant_id: 'c-1' })
    ws().receive({ type: 'joined', participant_id: 'c-1', role: 'citizen', name: 'Anna Puig', reconnected: false })
    await waitFor(() => expect(text('#call-title')).toBe('Call with Anna Puig'))
    expect(document.querySelector('#admit-c-1')).toBeNull()
    // The citizen is in: from now on the call is recorded, and the indicator says so.
    expect(text('#call-recording')).toContain('Recording')

    // End call: the outcome first (required), then end for everyone and save it.
    await click(document.querySelector('#hang-up'))
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#end-call-title')))
    await click(document.querySelector('#keep-call'))
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#hang-up')))
    await click(document.querySelector('#hang-up'))
    await click(await find('#confirm-end-call'))
    expect(text('#call-outcome-error')).toBe('Error: Choose the outcome.')
    expect(ws().sent).not.toContainEqual({ type: 'end' })
    await click(document.querySelector('#call-outcome-completed'))
    await type('#call-notes', ' Certificate sent ')
    await click(document.querySelector('#confirm-end-call'))
    await waitFor(() => expect(text('#outcome-saved')).toBe('Outcome saved: Completed.'))
    // The end says it once: the heading says the call ended, the line what was saved.
    expect(text('#call-ended-title')).toBe('The call has ended')
    expect(ws(0).sent).toContainEqual({ type: 'end' })
    expect(api.callsTo('POST /api/appointments/appt-1/outcome')[0]?.body).toEqual({
      outcome: 'completed',
      notes: 'Certificate sent',
    })
    expect(pc().closed).toBe(true)
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#call-ended-title')))
  })

  it('agent: "Admit" waits for the agent\'s own connection (the node refuses it before the offer)', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(SOON),
      'POST /api/appointments/appt-1/call': () => json({ ...GRANT, participant_id: 'a-agent1', role: 'agent' }),
    })
    await openCall(api.fetch, 'en', 'staff')
    await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
    ws().open()
    ws().receive({ type: 'state', you: 'a-agent1', room_id: 'room-1', participants: [], recording: true })
    ws().receive(CITIZEN_WAITS)
    const admit = (await find('#admit-c-1')) as HTMLButtonElement
    expect(admit.disabled).toBe(true)

    await waitFor(() => expect(FakePeerConnection.instances).toHaveLength(1))
    pc().setState('connected')
    await waitFor(() => expect(admit.disabled).toBe(false))
    await click(admit)
    expect(ws().sent).toContainEqual({ type: 'admit', participant_id: 'c-1' })
  })

  it('is reached from the appointment page while the window is open', async () => {
    const api = citizenApi()
    await mountApp({
      fetch: api.fetch,
      language: 'en',
      path: '/appointments/appt-1',
      session: signedIn('citizen'),
    })
    const link = await find('a#go-to-call')
    expect(link.getAttribute('href')).toBe('/appointments/appt-1/call')
    expect(link.textContent).toBe('Go to the waiting room')
    await click(link)
    await waitFor(() => expect(text('h1')).toBe('Video call'))
    // The page's code comes after the navigation: focus is on its heading all the same.
    await waitFor(() => expect(document.querySelector('#camera-check')).not.toBeNull())
    expect(document.activeElement).toBe(document.querySelector('h1#call-page-title'))
  })
})
