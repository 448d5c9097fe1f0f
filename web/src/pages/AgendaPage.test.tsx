import { describe, expect, it, vi } from 'vitest'
import { AGENT, appointment, CITIZEN } from '../test/appointments'
import {
  byText, click, find, json, liveRegion, mountApp, OFFICES, pageTest, problem, routeApi, signedIn, text, type, unmountApps, waitFor,
} from '../test/page'
import { FakeAudioContext, installWebRtc } from '../test/webrtc'

const AGENDA = {
  date: '2026-11-28',
  office: 'OMAC',
  items: [
    {
      id: 'b',
      service_id: 'padron-certificate',
      start: '2026-11-28T12:00:00+01:00',
      end: '2026-11-28T12:15:00+01:00',
      status: 'completed',
      citizen: { id_number_masked: '****567L', name: null },
      outcome: 'completed',
    },
    {
      id: 'a',
      service_id: 'padron-certificate',
      start: '2026-11-28T09:15:00+01:00',
      end: '2026-11-28T09:30:00+01:00',
      status: 'booked',
      citizen: { id_number_masked: '****678Z', name: 'Anna Puig' },
      outcome: null,
    },
  ],
}

async function choose(selector: string, value: string) {
  const select = document.querySelector<HTMLSelectElement>(selector)
  if (!select) throw new Error(`no ${selector}`)
  select.value = value
  await click(document.body)
  select.dispatchEvent(new Event('change', { bubbles: true }))
}

describe('the day agenda', () => {
  pageTest({ zone: 'UTC' })

  it('shows today’s appointments of the agent’s office on the council’s clock, and records an outcome', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/agenda': (call) =>
        json(call.url.includes('2026-11-29') ? { date: '2026-11-29', office: 'OMAC', items: [] } : AGENDA),
      'POST /api/appointments/a/outcome': () =>
        json(appointment({ id: 'a', status: 'no_show', start: AGENDA.items[1]?.start, end: AGENDA.items[1]?.end })),
    })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/agenda', session: signedIn('staff') })
    expect(text('h1')).toBe('Agenda del día')
    expect((document.querySelector('#agenda-date') as HTMLInputElement).value).toBe('2026-11-28')
    await waitFor(() => expect(document.querySelectorAll('table#agenda tr[data-id]')).toHaveLength(2))
    expect(api.callsTo('GET /api/agenda')[0]?.url).toBe('/api/agenda?date=2026-11-28')
    expect(api.callsTo('GET /api/agenda')[0]?.headers.Authorization).toBe('Bearer token-staff')
    expect(document.querySelector('#agenda-office')).toBeNull()
    expect(text('table#agenda caption')).toMatch(/^Citas del sábado,? 28 de noviembre de 2026 · Oficina Municipal/)
    expect([...document.querySelectorAll('table#agenda thead th')].map((th) => th.getAttribute('scope'))).toEqual([
      'col',
      'col',
      'col',
      'col',
      'col',
      'col',
    ])

    const rows = [...document.querySelectorAll('table#agenda tr[data-id]')]
    expect(rows.map((row) => row.getAttribute('data-id'))).toEqual(['a', 'b'])
    const first = rows[0] as HTMLTableRowElement
    expect(first.querySelector('th[scope=row]')?.textContent).toBe('de 09:15 a 09:30')
    expect(first.textContent).toContain('Certificado de padrón')
    expect(first.textContent).toContain('****678Z')
    expect(first.textContent).toContain('Anna Puig')
    expect(first.textContent).toContain('Reservada')
    expect(rows[1]?.textContent).toContain('Atendida')
    expect(rows[1]?.querySelector('form')).toBeNull()

    // Saving without choosing says so at the field.
    await click(first.querySelector('button[type=submit]'))
    expect(text('#outcome-a-error')).toBe('Error: Elija el resultado.')
    expect(api.callsTo('POST /api/appointments/a/outcome')).toHaveLength(0)

    await choose('#outcome-a', 'no_show')
    await type('#notes-a', ' No contesta ')
    await click(first.querySelector('button[type=submit]'))
    await waitFor(() => expect(first.querySelector('form')).toBeNull())
    expect(api.callsTo('POST /api/appointments/a/outcome')[0]?.body).toEqual({ outcome: 'no_show', notes: 'No contesta' })
    expect([...first.querySelectorAll('td')].map((td) => td.textContent).slice(-2)).toEqual([
      'No se ha presentado',
      'No se ha presentado',
    ])
    await waitFor(() => expect(liveRegion()).toBe('Resultado guardado (de 09:15 a 09:30): No se ha presentado.'))

    // Another day.
    const date = document.querySelector<HTMLInputElement>('#agenda-date')
    if (!date) throw new Error('no date')
    date.value = '2026-11-29'
    await click(document.body)
    date.dispatchEvent(new Event('change', { bubbles: true }))
    await waitFor(() => expect(text('#agenda-empty')).toMatch(/^No hay ninguna cita el domingo,? 29 de noviembre de 2026\.$/))
    expect(api.callsTo('GET /api/agenda')[1]?.url).toBe('/api/agenda?date=2026-11-29')

    // Booking for someone who phones in: the office's services, in staff mode.
    expect(document.querySelector('a[href="/book/padron-certificate?for=citizen"]')).not.toBeNull()
    expect(document.querySelector('a[href="/book/instalment-plan?for=citizen"]')).toBeNull()
  })

  it('lets a supervisor pick the office: their own at first, else the first the API lists', async () => {
    const api = routeApi({
      'GET /api/me': () => json({ ...AGENT, roles: ['supervisor'], office: null }),
      'GET /api/agenda': () => json(AGENDA),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelectorAll('table#agenda tr[data-id]')).toHaveLength(2))
    expect(api.callsTo('GET /api/agenda')[0]?.url).toBe('/api/agenda?date=2026-11-28&office=OGAT')
    expect([...document.querySelectorAll('#agenda-office option')].map((o) => o.textContent)).toEqual([
      'Tax Office',
      'Citizen Service Office',
    ])
    // Supervisors see the outcomes, they do not record them.
    expect(document.querySelector('table#agenda form')).toBeNull()
    await choose('#agenda-office', 'OMAC')
    await waitFor(() => expect(api.callsTo('GET /api/agenda')).toHaveLength(2))
    expect(api.callsTo('GET /api/agenda')[1]?.url).toBe('/api/agenda?date=2026-11-28&office=OMAC')
  })

  it('asks a supervisor’s own office first', async () => {
    const api = routeApi({
      'GET /api/me': () => json({ ...AGENT, roles: ['supervisor'], office: 'OMAC' }),
      'GET /api/agenda': () => json(AGENDA),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelectorAll('table#agenda tr[data-id]')).toHaveLength(2))
    expect(api.callsTo('GET /api/agenda')[0]?.url).toBe('/api/agenda?date=2026-11-28&office=OMAC')
    expect((document.querySelector('#agenda-office') as HTMLSelectElement).value).toBe('OMAC')
  })

  it('tells a supervisor when the offices cannot be loaded, and retries', async () => {
    const api = routeApi({
      'GET /api/me': () => json({ ...AGENT, roles: ['supervisor'], office: null }),
      'GET /api/offices': [() => problem(503, 'unavailable'), () => json(OFFICES)],
      'GET /api/agenda': () => json(AGENDA),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
    const error = await waitFor(() => {
      const found = document.querySelector('.error-state')
      if (!found) throw new Error('no error state yet')
      return found
    })
    expect(api.callsTo('GET /api/agenda')).toHaveLength(0)
    await click(byText(error, 'button', 'Retry'))
    await waitFor(() => expect(document.querySelectorAll('table#agenda tr[data-id]')).toHaveLength(2))
    expect(api.callsTo('GET /api/agenda')[0]?.url).toBe('/api/agenda?date=2026-11-28&office=OGAT')
  })

  it('is for staff: sign in as staff first; a citizen is told so', async () => {
    await mountApp({ fetch: routeApi({}).fetch, language: 'en', path: '/agenda' })
    await waitFor(() =>
      expect(window.location.pathname + window.location.search).toBe('/staff/sign-in?return_to=%2Fagenda'),
    )
    unmountApps()
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('citizen') })
    await find('main p')
    expect(text('main')).toContain('This page is for council staff.')
    expect(api.callsTo('GET /api/agenda')).toHaveLength(0)
  })

  it('shows each call live, polling every 5 s, and alerts (sound and words) when someone starts waiting', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const webrtc = installWebRtc()
    try {
      const call = (state: string, since: string | null = null) => ({ state, waiting_since: since, room_id: 'r', recording: 'none' })
      // Now is 11:00 in Madrid: the 11:05 appointment's call window is open, the 12:00 one's too (from 11:45)… not yet.
      const now = {
        ...AGENDA,
        items: [
          { ...AGENDA.items[1], id: 'a', start: '2026-11-28T11:05:00+01:00', end: '2026-11-28T11:20:00+01:00', call: call('idle') },
          { ...AGENDA.items[0], id: 'c', status: 'booked', outcome: null, start: '2026-11-28T12:00:00+01:00', end: '2026-11-28T12:15:00+01:00', call: call('idle') },
        ],
      }
      const waiting = {
        ...now,
        items: [{ ...now.items[0], call: call('waiting', '2026-11-28T10:01:00Z') }, now.items[1]],
      }
      // A recording whose upload keeps failing must not go unnoticed.
      const inCall = { ...now, items: [{ ...now.items[0], call: { ...call('in_call'), recording: 'failed' } }, now.items[1]] }
      const api = routeApi({
        'GET /api/me': () => json(AGENT),
        'GET /api/agenda': [() => json(now), () => json(waiting), () => json(waiting), () => json(inCall)],
      })
      await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
      await waitFor(() => expect(document.querySelectorAll('table#agenda tr[data-id]')).toHaveLength(2))
      const row = () => document.querySelector('tr[data-id="a"]') as HTMLTableRowElement
      expect(row().querySelector('.agenda-call')?.textContent).toContain('Nobody has joined yet')
      expect(document.querySelector('#join-a')?.getAttribute('href')).toBe('/appointments/a/call')
      expect(document.querySelector('#join-c')).toBeNull()
      expect(text('#waiting-alert')).toBe('')
      expect(document.querySelector('#waiting-alert')?.getAttribute('aria-live')).toBe('assertive')

      // Someone starts waiting: highlighted row, assertive words, a chime.
      vi.advanceTimersByTime(5_000)
      await waitFor(() => expect(row().getAttribute('data-call')).toBe('waiting'))
      expect(row().classList.contains('agenda-row--waiting')).toBe(true)
      expect(row().querySelector('.agenda-call')?.textContent).toContain('Waiting since 11:01')
      expect(text('#waiting-alert')).toBe('Anna Puig is waiting (appointment at 11:05). Join call')
      expect(document.querySelector('#waiting-alert-join')?.getAttribute('href')).toBe('/appointments/a/call')
      expect(FakeAudioContext.tones).toEqual([880, 1175])
      expect(liveRegion()).not.toContain('Loading')

      // Still waiting: no second alert.
      vi.advanceTimersByTime(5_000)
      await waitFor(() => expect(api.callsTo('GET /api/agenda')).toHaveLength(3))
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(FakeAudioContext.tones).toHaveLength(2)

      // The sound can be muted; the choice is remembered on this device.
      const toggle = document.querySelector('#chime-toggle') as HTMLButtonElement
      expect(toggle.getAttribute('aria-pressed')).toBe('true')
      await click(toggle)
      expect(toggle.getAttribute('aria-pressed')).toBe('false')
      expect(localStorage.getItem('va.chime')).toBe('off')

      // Let in: the alert goes.
      vi.advanceTimersByTime(5_000)
      await waitFor(() => expect(row().querySelector('.agenda-call')?.textContent).toContain('In call'))
      expect(text('#waiting-alert')).toBe('')
      expect(row().querySelector('[data-recording="failed"]')?.textContent).toBe('Recording not saved yet: retrying')
      expect(document.querySelector('tr[data-id="c"] [data-recording]')).toBeNull()

      // Hidden page: no polling.
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
      vi.advanceTimersByTime(15_000)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(api.callsTo('GET /api/agenda')).toHaveLength(4)
    } finally {
      delete (document as unknown as Record<string, unknown>).visibilityState
      localStorage.clear()
      webrtc.restore()
      vi.useRealTimers()
    }
  })
})

describe('the agenda’s pre-flight tags', () => {
  pageTest({ zone: 'UTC' })

  it('shows each booked appointment’s check, and sound only or the phone to call where the citizen asked', async () => {
    const booked = (id: string, preflight: unknown) => ({ ...AGENDA.items[1], id, preflight })
    const agenda = {
      ...AGENDA,
      items: [
        booked('a', { result: 'weak_network', audio_only: true, callback_phone: '+34612345678' }),
        { ...booked('c', { result: 'ok', audio_only: false, callback_phone: null }), start: '2026-11-28T09:30:00+01:00', end: '2026-11-28T09:45:00+01:00' },
        { ...booked('d', { result: 'not_done', audio_only: false, callback_phone: null }), start: '2026-11-28T09:45:00+01:00', end: '2026-11-28T10:00:00+01:00' },
        { ...booked('e', { result: 'no_microphone', audio_only: false, callback_phone: null }), start: '2026-11-28T10:00:00+01:00', end: '2026-11-28T10:15:00+01:00' },
      ],
    }
    const api = routeApi({ 'GET /api/me': () => json(AGENT), 'GET /api/agenda': () => json(agenda) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelectorAll('table#agenda tr[data-id]')).toHaveLength(4))
    const tag = (id: string) => document.querySelector(`tr[data-id="${id}"] .preflight-tag`)?.textContent
    expect(tag('a')).toBe('Pre-flight check: weak network')
    expect(tag('c')).toBe('Pre-flight check: ok')
    expect(tag('d')).toBe('Pre-flight check: not done')
    expect(tag('e')).toBe('Pre-flight check: no microphone')
    const asks = [...document.querySelectorAll('tr[data-id="a"] .preflight-ask')].map((e) => e.textContent)
    expect(asks).toEqual(['sound only', 'asks for a phone call: +34612345678'])
    expect(document.querySelectorAll('tr[data-id="c"] .preflight-ask')).toHaveLength(0)
  })
})

describe('the agenda’s queue facts', () => {
  pageTest({ zone: 'UTC' })

  it('shows each waiting citizen’s place in line and wait, polled every 5 s only while someone waits', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const call = (state: string, since: string | null = null) => ({ state, waiting_since: since, room_id: 'r', recording: 'none' })
      const item = (id: string, start: string, state: string, since: string | null = null) => ({
        ...AGENDA.items[1],
        id,
        start,
        end: new Date(Date.parse(start) + 15 * 60_000).toISOString(),
        call: call(state, since),
      })
      const waiting = {
        ...AGENDA,
        items: [
          item('a', '2026-11-28T11:00:00+01:00', 'waiting', '2026-11-28T09:58:00Z'),
          item('c', '2026-11-28T11:15:00+01:00', 'waiting', '2026-11-28T10:01:00Z'),
          item('d', '2026-11-28T12:00:00+01:00', 'idle'),
        ],
      }
      const nobody = {
        ...waiting,
        items: [item('a', '2026-11-28T11:00:00+01:00', 'in_call'), item('c', '2026-11-28T11:15:00+01:00', 'ended'), waiting.items[2]],
      }
      const queue = (position: number, ahead: number, status: string, seconds: number) =>
        json({ position, ahead, agent_status: status, agent_name: 'Marta Vidal', estimated_wait_s: seconds, estimated_at: '2026-11-28T10:02:00Z' })
      const api = routeApi({
        'GET /api/me': () => json(AGENT),
        'GET /api/agenda': [() => json(waiting), () => json(waiting), () => json(nobody)],
        'GET /api/appointments/a/queue': [() => queue(1, 0, 'free', 30), () => queue(1, 0, 'in_call', 100)],
        'GET /api/appointments/c/queue': [() => queue(2, 1, 'free', 360), () => problem(503, 'unavailable')],
      })
      await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
      const facts = (id: string) => document.querySelector(`tr[data-id="${id}"] .agenda-queue`)?.textContent ?? null
      await waitFor(() => expect(facts('c')).toBe('Position 2 in line · about 6 min'))
      await waitFor(() => expect(facts('a')).toBe('Next in line · can come in now'))
      expect(document.querySelector('tr[data-id="a"] .agenda-call')?.textContent).toContain('Waiting since 10:58')
      // Only the waiting rows are asked about, with the staff's token; the facts are not announced.
      expect(api.callsTo('GET /api/appointments/d/queue')).toHaveLength(0)
      expect(api.callsTo('GET /api/appointments/a/queue')[0]?.headers.Authorization).toBe('Bearer token-staff')
      expect(facts('d')).toBeNull()
      expect(liveRegion()).not.toContain('in line')
      expect(document.querySelector('.agenda-queue')?.closest('[aria-live]')).toBeNull()

      // 5 s later: fresh facts; a failed answer is quiet and the last known facts stay.
      vi.advanceTimersByTime(5_000)
      await waitFor(() => expect(facts('a')).toBe('Next in line · about 2 min'))
      await waitFor(() => expect(api.callsTo('GET /api/appointments/c/queue')).toHaveLength(2))
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(facts('c')).toBe('Position 2 in line · about 6 min')
      expect(document.querySelector('.error-state')).toBeNull()

      // Nobody waits any more: the facts go and no more questions are asked.
      vi.advanceTimersByTime(5_000)
      await waitFor(() => expect(document.querySelector('tr[data-id="a"]')?.getAttribute('data-call')).toBe('in_call'))
      expect(document.querySelectorAll('.agenda-queue')).toHaveLength(0)
      const asked = api.callsTo('GET /api/appointments/a/queue').length + api.callsTo('GET /api/appointments/c/queue').length
      vi.advanceTimersByTime(15_000)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(api.callsTo('GET /api/appointments/a/queue').length + api.callsTo('GET /api/appointments/c/queue').length).toBe(asked)
    } finally {
      vi.useRealTimers()
    }
  })

  it('says it in Catalan and Spanish too', async () => {
    const { agendaQueueWords } = await import('./agenda-queue')
    const { translateAdmin } = await import('../i18n/admin')
    const q = { position: 3, ahead: 2, agent_status: 'in_call' as const, agent_name: null, estimated_wait_s: 610, estimated_at: '' }
    expect(agendaQueueWords((k, p) => translateAdmin('ca', k, p), q)).toBe('Posició 3 de la cua · aprox. 10 min')
    expect(agendaQueueWords((k, p) => translateAdmin('es', k, p), { ...q, position: 1, ahead: 0, agent_status: 'free', estimated_wait_s: 5 })).toBe(
      'Primera posición de la cola · puede entrar ya',
    )
    expect(agendaQueueWords((k, p) => translateAdmin('en', k, p), { ...q, position: 0 })).toBe('')
  })
})
