import { describe, expect, it } from 'vitest'
import { axeViolations } from '../test/axe'
import { AGENT } from '../test/appointments'
import {
  byText, click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type,
  waitFor,
} from '../test/page'

const SUPERVISOR = { kind: 'staff', username: 'sup1', name: 'Laia Roca', roles: ['supervisor'], office: 'OMAC' }

const RECORDINGS = {
  items: [
    {
      record_id: 'rec-room-b',
      appointment_id: 'b',
      office: 'OMAC',
      service_id: 'padron-certificate',
      start: '2026-11-28T11:00:00+01:00',
      room_id: 'room-b',
      status: 'partial',
      legal_hold: true,
      release_requested: null,
      retain_until: '2027-11-28T11:00:00+01:00',
      deleted: false,
    },
    {
      record_id: 'rec-room-a',
      appointment_id: 'a',
      office: 'OMAC',
      service_id: 'padron-certificate',
      start: '2026-11-28T09:15:00+01:00',
      room_id: 'room-a',
      status: 'complete',
      legal_hold: false,
      release_requested: null,
      retain_until: '2027-11-28T09:15:00+01:00',
      deleted: false,
    },
  ],
  next: null,
}

const PLAYBACK = {
  record_id: 'rec-room-a',
  appointment_id: 'a',
  expires_in: 300,
  segments: [
    {
      participant: 'p-1',
      role: 'citizen',
      url: 'https://media.example/a-citizen.webm?X-Amz-Signature=1',
      start: '2026-11-28T08:15:03Z',
      end: '2026-11-28T08:29:40Z',
      bytes: 1000,
      sha256: 'aa',
    },
    {
      participant: 'staff:agent1',
      role: 'agent',
      url: 'https://media.example/a-agent.webm?X-Amz-Signature=2',
      start: '2026-11-28T08:15:00Z',
      end: '2026-11-28T08:29:41Z',
      bytes: 1000,
      sha256: 'bb',
    },
  ],
}

describe('the recordings page', () => {
  pageTest({ zone: 'UTC' })

  async function open(language: 'ca' | 'es' | 'en', routes: Parameters<typeof routeApi>[0] = {}) {
    const api = routeApi({
      'GET /api/me': () => json(SUPERVISOR),
      'GET /api/recordings': () => json(RECORDINGS),
      ...routes,
    })
    await mountApp({ fetch: api.fetch, language, path: '/staff/recordings', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelectorAll('table#recordings tbody tr')).toHaveLength(2))
    return api
  }

  it('is linked for supervisors, and lists the day’s recordings in time order', async () => {
    const api = routeApi({ 'GET /api/me': () => json(SUPERVISOR), 'GET /api/recordings': () => json(RECORDINGS) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me', session: signedIn('staff') })
    await click(await find('main a#staff-recordings-link'))
    expect(text('nav a#recordings-link')).toBe('Call recordings')
    await waitFor(() => expect(document.querySelectorAll('table#recordings tbody tr')).toHaveLength(2))
    expect(document.activeElement?.id).toBe('recordings-title')
    expect((document.querySelector('#recordings-date') as HTMLInputElement).value).toBe('2026-11-28')
    expect(api.callsTo('GET /api/recordings')[0]?.url).toBe('/api/recordings?date=2026-11-28')
    expect(api.callsTo('GET /api/recordings')[0]?.headers.Authorization).toBe('Bearer token-staff')
    expect(text('table#recordings caption')).toMatch(/^Recordings on Saturday,? 28 November 2026$/)
    await waitFor(() => expect(text('table#recordings tbody td')).toBe('Residence certificate'))
    const rows = [...document.querySelectorAll('table#recordings tbody tr')]
    expect(rows.map((r) => r.getAttribute('data-id'))).toEqual(['rec-room-a', 'rec-room-b'])
    const cells = [...(rows[0]?.children ?? [])].map((c) => c.textContent ?? '')
    expect(cells.slice(0, 4)).toEqual(['09:15', 'Residence certificate', 'Citizen Service Office', 'Saved'])
    expect(cells[4]).toMatch(/^Sunday,? 28 November 2027$/)
    expect(cells[5]).toBe('No')
    expect(rows[1]?.querySelector('.recording-hold')?.textContent).toBe('On hold')
    // A recording the node could store only in part says so in words (the API's status "partial").
    expect(rows[1]?.textContent).toContain('Saved in part (some pieces are missing)')
    expect(rows[0]?.querySelector('th')?.getAttribute('scope')).toBe('row')
    expect(text('#play-rec-room-a')).toBe('Play, recording of 09:15')
  })

  it('asks for the reason before playing, checked for length, and says who will see it', async () => {
    const api = await open('en', { 'POST /api/recordings/rec-room-a/playback': () => json(PLAYBACK) })
    await click(document.querySelector('#play-rec-room-a'))
    await waitFor(() => expect(document.activeElement?.id).toBe('recording-panel-title'))
    expect(text('#recording-panel-title')).toBe('Play the recording of 09:15')
    expect(text('#reason-hint')).toBe(
      'The citizen will see that a supervisor played this recording, and why. Between 10 and 500 characters.',
    )
    expect(text('label[for="reason"]')).toBe('Reason')

    await submit('form#reason-form')
    expect(text('#reason-error')).toBe('Error: Write the reason.')
    expect(document.activeElement?.id).toBe('reason')
    expect(document.querySelector('#reason')?.getAttribute('aria-invalid')).toBe('true')
    expect(document.querySelector('#reason')?.getAttribute('aria-describedby')).toBe('reason-hint reason-count reason-error')

    await type('#reason', '  too short ')
    await submit('form#reason-form')
    expect(text('#reason-error')).toBe('Error: The reason must have at least 10 characters.')
    await type('#reason', 'x'.repeat(501))
    expect(text('#reason-count')).toBe('501 of 500 characters')
    await submit('form#reason-form')
    expect(text('#reason-error')).toBe('Error: The reason can have at most 500 characters.')
    expect(api.callsTo('POST /api/recordings/rec-room-a/playback')).toHaveLength(0)

    await type('#reason', ' Complaint 2026/114 from the citizen ')
    await submit('form#reason-form')
    await waitFor(() => expect(document.querySelectorAll('[data-testid="segments"] video')).toHaveLength(2))
    expect(api.callsTo('POST /api/recordings/rec-room-a/playback')[0]?.body).toEqual({
      reason: 'Complaint 2026/114 from the citizen',
    })
    expect(text('#recording-panel-title')).toBe('Recording of 09:15')
    expect(document.activeElement?.id).toBe('recording-panel-title')
    const videos = [...document.querySelectorAll<HTMLVideoElement>('[data-testid="segments"] video')]
    expect(videos[0]?.hasAttribute('controls')).toBe(true)
    expect(videos[0]?.querySelector('source')?.getAttribute('src')).toBe(PLAYBACK.segments[0]?.url)
    expect(videos[0]?.querySelector('source')?.getAttribute('type')).toBe('video/webm')
    const name = (video: HTMLVideoElement | undefined) =>
      document.getElementById(video?.getAttribute('aria-labelledby') ?? '')?.textContent
    expect(name(videos[0])).toBe('Citizen, 09:15:03 to 09:29:40')
    expect(name(videos[1])).toBe('Agent, 09:15:00 to 09:29:41')
    expect(text('#recording-expiry')).toBe(
      'The links to the videos expire in 5 minutes: to watch them later, play the recording again (with a reason).',
    )
    await waitFor(() => expect(liveRegion()).toBe('The recording of 09:15 is ready to play.'))
    await click(document.querySelector('#recording-close'))
    expect(document.querySelector('#recording-panel')).toBeNull()
    expect(document.activeElement?.id).toBe('play-rec-room-a')
  })

  it('shows the API’s refusal of the reason at the field, and a deleted recording in words (Catalan)', async () => {
    await open('ca', {
      'POST /api/recordings/rec-room-a/playback': [
        () => problem(422, 'validation_error', { errors: [{ field: 'reason', message: 'too short' }] }),
        () => problem(404, 'not_found'),
      ],
    })
    await click(document.querySelector('#play-rec-room-a'))
    await type('#reason', 'Una queixa de la persona atesa')
    await submit('form#reason-form')
    await waitFor(() => expect(text('#reason-error')).toBe('Error: Reviseu les dades que heu escrit.'))
    expect(text('#reason-hint')).toBe(
      'La persona atesa veurà que un supervisor ha reproduït aquesta gravació, i per què. Entre 10 i 500 caràcters.',
    )
    await submit('form#reason-form')
    await waitFor(() => expect(text('#reason-status')).toBe('Aquesta gravació ja no existeix (pot ser que s’hagi esborrat).'))
  })

  it('places the legal hold, and asks for its release, which stays held until someone else approves', async () => {
    const api = await open('en', {
      'POST /api/records/rec-room-a/legal-hold': () =>
        json({ record_id: 'rec-room-a', legal_hold: true, release_requested: null }),
      'POST /api/records/rec-room-b/legal-hold/release': () =>
        json({ record_id: 'rec-room-b', legal_hold: true, release_requested: { at: '2026-11-28T12:00:00Z', by_you: true } }, 202),
    })
    await click(document.querySelector('#hold-rec-room-a'))
    expect(text('#recording-panel-title')).toBe('Place the recording of 09:15 on legal hold')
    await submit('form#reason-form')
    expect(text('#reason-error')).toBe('Error: Write the reason.')
    await type('#reason', 'Court order 55/2026')
    await submit('form#reason-form')
    await waitFor(() => expect(document.querySelector('#recording-panel')).toBeNull())
    expect(api.callsTo('POST /api/records/rec-room-a/legal-hold')[0]?.body).toEqual({
      hold: true,
      reason: 'Court order 55/2026',
    })
    expect(text('tr[data-id="rec-room-a"] .recording-hold')).toBe('On hold')
    expect(text('#hold-rec-room-a')).toBe('Ask to release, recording of 09:15')
    expect(document.activeElement?.id).toBe('hold-rec-room-a')
    await waitFor(() => expect(liveRegion()).toBe('The recording of 09:15 is now on legal hold.'))

    await click(document.querySelector('#hold-rec-room-b'))
    expect(text('#recording-panel-title')).toBe('Ask to release the legal hold on the recording of 11:00')
    expect(text('#reason-hint')).toMatch(/^Another supervisor or an administrator must approve the release/)
    await type('#reason', 'Court case closed')
    await submit('form#reason-form')
    await waitFor(() =>
      expect(text('tr[data-id="rec-room-b"] .recording-hold')).toBe(
        'On hold — you asked to release it; another supervisor or an administrator must approve',
      ),
    )
    expect(api.callsTo('POST /api/records/rec-room-b/legal-hold/release')[0]?.body).toEqual({ reason: 'Court case closed' })
    // Nothing more to press for the one who asked.
    expect(document.querySelector('#hold-rec-room-b')).toBeNull()
    expect(document.activeElement?.id).toBe('time-rec-room-b')
    await waitFor(() => expect(liveRegion()).toMatch(/^You asked to release the legal hold on the recording of 11:00\./))
  })

  it('shows a release asked by another supervisor, to approve with a reason', async () => {
    const requested = { ...RECORDINGS.items[0], release_requested: { at: '2026-11-28T12:00:00Z', by_you: false } }
    const api = await open('ca', {
      'GET /api/recordings': () => json({ items: [requested, RECORDINGS.items[1]], next: null }),
      'POST /api/records/rec-room-b/legal-hold/release/approve': () =>
        json({ record_id: 'rec-room-b', legal_hold: false, release_requested: null }),
    })
    expect(text('tr[data-id="rec-room-b"] .recording-hold')).toBe(
      "Bloquejada: un altre supervisor n'ha demanat el desbloqueig; el podeu aprovar",
    )
    expect(text('#hold-rec-room-b')).toBe('Aprovar el desbloqueig, gravació de les 11:00')
    await click(document.querySelector('#hold-rec-room-b'))
    expect(text('#recording-panel-title')).toBe('Aprovar el desbloqueig de la gravació de les 11:00')
    await type('#reason', 'Revisat amb el servei jurídic')
    await submit('form#reason-form')
    await waitFor(() => expect(text('tr[data-id="rec-room-b"] .recording-hold')).toBe('No'))
    expect(api.callsTo('POST /api/records/rec-room-b/legal-hold/release/approve')[0]?.body).toEqual({
      reason: 'Revisat amb el servei jurídic',
    })
    expect(text('#hold-rec-room-b')).toBe('Bloquejar, gravació de les 11:00')
    await waitFor(() => expect(liveRegion()).toBe("S'ha aixecat el bloqueig de la gravació de les 11:00."))
  })

  it('says so when the one who asked tries to approve their own release', async () => {
    const requested = { ...RECORDINGS.items[0], release_requested: { at: '2026-11-28T12:00:00Z', by_you: false } }
    await open('es', {
      'GET /api/recordings': () => json({ items: [requested, RECORDINGS.items[1]], next: null }),
      'POST /api/records/rec-room-b/legal-hold/release/approve': () => problem(403, 'four_eyes_required'),
    })
    await click(document.querySelector('#hold-rec-room-b'))
    await type('#reason', 'Caso cerrado en el juzgado')
    await submit('form#reason-form')
    await waitFor(() =>
      expect(text('#reason-status')).toBe(
        'Usted mismo ha pedido este desbloqueo: debe aprobarlo otro supervisor o un administrador.',
      ),
    )
    expect(text('tr[data-id="rec-room-b"] .recording-hold')).toBe(
      'Bloqueada: otro supervisor ha pedido el desbloqueo; usted puede aprobarlo',
    )
  })

  it('asks again for another day, and says when there are none', async () => {
    const api = await open('es', {
      'GET /api/recordings': (call) => json(call.url.includes('2026-11-27') ? { items: [], next: null } : RECORDINGS),
    })
    const input = document.querySelector<HTMLInputElement>('#recordings-date')
    if (!input) throw new Error('no date')
    input.value = '2026-11-27'
    await click(document.body)
    input.dispatchEvent(new Event('change', { bubbles: true }))
    await waitFor(() => expect(text('#recordings-empty')).toMatch(/^No hay grabaciones el viernes,? 27 de noviembre de 2026\.$/))
    expect(api.callsTo('GET /api/recordings')[1]?.url).toBe('/api/recordings?date=2026-11-27')
  })

  it('is for supervisors only', async () => {
    await mountApp({
      fetch: routeApi({ 'GET /api/me': () => json(AGENT) }).fetch,
      language: 'en',
      path: '/staff/recordings',
      session: signedIn('staff'),
    })
    await waitFor(() => expect(text('main .notice')).toBe('This page is for supervisors.'))
    expect(document.querySelector('nav a#recordings-link')).toBeNull()
  })

  it('has no accessibility violations, listing and playing', async () => {
    await open('en', { 'POST /api/recordings/rec-room-a/playback': () => json(PLAYBACK) })
    expect(await axeViolations()).toEqual([])
    await click(byText(document, 'button', 'Play, recording of 09:15'))
    await submit('form#reason-form')
    await waitFor(() => expect(text('#reason-error')).not.toBe(''))
    expect(await axeViolations()).toEqual([])
    await type('#reason', 'Quality review of the call')
    await submit('form#reason-form')
    await find('[data-testid="segments"] video')
    expect(await axeViolations()).toEqual([])
  })
})
