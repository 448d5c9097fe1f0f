import { describe, expect, it, vi } from 'vitest'
import { AGENT } from '../test/appointments'
import { SUPERVISOR } from '../test/admin'
import { axeViolations } from '../test/axe'
import { click, find, json, liveRegion, mountApp, OFFICES, pageTest, problem, routeApi, signedIn, text, waitFor } from '../test/page'

const AGENDA = { date: '2026-11-28', office: 'OMAC', items: [] }

const item = (id: string, extra: Record<string, unknown> = {}) => ({
  appointment_id: id,
  service_id: 'padron-certificate',
  start: '2026-11-28T10:45:00+01:00',
  waiting_since: '2026-11-28T09:44:00Z',
  waited_s: 7 * 60 + 10,
  agent: 'agent2',
  agent_name: 'Jordi Mas',
  ...extra,
})

const AGENTS = [
  { username: 'agent1', name: 'Pere Soler', status: 'free' },
  { username: 'agent2', name: 'Jordi Mas', status: 'in_call' },
  { username: 'agent3', name: 'Laura Vidal', status: 'free' },
]

const overflow = (items: unknown[], canTake = true, agents: unknown[] = []) => () =>
  json({ items, can_take: canTake, agents, next: null })

async function choose(selector: string, value: string) {
  const select = document.querySelector<HTMLSelectElement>(selector)
  if (!select) throw new Error(`no ${selector}`)
  select.value = value
  select.dispatchEvent(new Event('change', { bubbles: true }))
  await click(document.body)
}

describe('the agenda’s "waiting for anyone" panel', () => {
  pageTest({ zone: 'UTC' })

  it('lists who waits for a busy agent, asks every 5 s, and a free agent takes one: the agenda is asked again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const offices = OFFICES.map((o) => (o.id === 'OMAC' ? { ...o, overflow_after_minutes: 5 } : o))
      const api = routeApi({
        'GET /api/offices': () => json(offices),
        'GET /api/me': () => json(AGENT),
        'GET /api/agenda': () => json(AGENDA),
        'GET /api/queue/overflow': [overflow([]), overflow([item('w1'), item('w2')]), overflow([item('w2')])],
        'POST /api/appointments/w1/take': () => json({ id: 'w1', status: 'booked' }),
      })
      await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
      await waitFor(() => expect(text('#overflow-empty')).toBe('Nobody is waiting for another agent right now.'))
      expect(text('#overflow-title')).toBe('Waiting for anyone')
      expect(text('#overflow')).toContain('waited more than 5 minutes')
      expect(api.callsTo('GET /api/queue/overflow')[0]?.url).toBe('/api/queue/overflow?office=OMAC')
      expect(api.callsTo('GET /api/queue/overflow')[0]?.headers.Authorization).toBe('Bearer token-staff')

      vi.advanceTimersByTime(5_000)
      await waitFor(() => expect(document.querySelectorAll('#overflow-list li')).toHaveLength(2))
      const row = document.querySelector('#overflow-list li[data-id="w1"]') as HTMLElement
      expect(row.textContent).toContain('Residence certificate')
      expect(row.textContent).toContain('Appointment at 10:45 · Waiting for 7 min')
      expect(row.textContent).toContain('In Jordi Mas’s queue')
      const take = document.querySelector('#take-w1') as HTMLButtonElement
      expect(take.textContent).toBe('Take, 10:45')
      expect(take.getAttribute('aria-disabled')).toBeNull()
      // An agent hands nobody over.
      expect(document.querySelector('#handover-w1')).toBeNull()
      expect(await axeViolations(document.querySelector('#overflow') as Element)).toEqual([])

      const agendaAsked = api.callsTo('GET /api/agenda').length
      await click(take)
      await waitFor(() =>
        expect(text('#overflow-message')).toBe(
          'You have taken the appointment at 10:45: it is now in your agenda. Join call',
        ),
      )
      expect(document.querySelector('#overflow-join')?.getAttribute('href')).toBe('/appointments/w1/call')
      expect(api.callsTo('POST /api/appointments/w1/take')).toHaveLength(1)
      expect(api.callsTo('POST /api/appointments/w1/take')[0]?.headers.Authorization).toBe('Bearer token-staff')
      await waitFor(() => expect(api.callsTo('GET /api/agenda').length).toBeGreaterThan(agendaAsked))
      await waitFor(() => expect(document.querySelectorAll('#overflow-list li')).toHaveLength(1))
      await waitFor(() =>
        expect(liveRegion()).toBe('You have taken the appointment at 10:45: it is now in your agenda.'),
      )
      expect(document.activeElement).toBe(document.querySelector('#overflow-title'))
    } finally {
      vi.useRealTimers()
    }
  })

  it('says so clearly when another agent was quicker, or when the agent is not free', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/agenda': () => json(AGENDA),
      'GET /api/queue/overflow': [overflow([item('w1')]), overflow([])],
      'POST /api/appointments/w1/take': () => problem(409, 'already_taken', { error: 'already_taken' }),
    })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/agenda', session: signedIn('staff') })
    await click(await find('#take-w1'))
    await waitFor(() => expect(text('#overflow-message')).toBe('Otro agente ya ha tomado a esta persona.'))
    await waitFor(() => expect(liveRegion()).toBe('Otro agente ya ha tomado a esta persona.'))
    await waitFor(() => expect(text('#overflow-empty')).toBe('Ahora no hay nadie esperando a otro agente.'))
  })

  it('an agent who is not free sees why, and "Take" asks nothing of the API', async () => {
    const api = routeApi({
      'GET /api/offices': () => json(OFFICES.map((o) => ({ ...o, overflow_after_minutes: 0 }))),
      'GET /api/me': () => json(AGENT),
      'GET /api/agenda': () => json(AGENDA),
      'GET /api/queue/overflow': overflow([item('w1')], false),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/agenda', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelector('#take-w1')).not.toBeNull())
    // An overflow time of 0: nobody waits "more than 0 minutes", they simply wait.
    expect(text('#overflow .field__hint')).toBe(
      'Persones que esperen mentre el seu agent és en una altra trucada. Si esteu lliure, les podeu atendre vós.',
    )
    const take = document.querySelector('#take-w1') as HTMLButtonElement
    expect(take.getAttribute('aria-disabled')).toBe('true')
    expect(take.getAttribute('aria-describedby')).toBe('overflow-not-free')
    expect(text('#overflow-not-free')).toContain('Podreu atendre algú quan estigueu lliure')
    await click(take)
    expect(text('#overflow-message')).toBe(
      'Ara no la podeu agafar: sou en una trucada o teniu una cita que comença aviat.',
    )
    expect(api.callsTo('POST /api/appointments/w1/take')).toHaveLength(0)
  })

  it('a supervisor hands a waiting citizen over to a named agent', async () => {
    const api = routeApi({
      'GET /api/me': () => json(SUPERVISOR),
      'GET /api/agenda': () => json(AGENDA),
      'GET /api/queue/overflow': [overflow([item('w1')], false, AGENTS), overflow([], false, AGENTS)],
      'POST /api/appointments/w1/hand-over': () => json({ id: 'w1', status: 'booked' }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelector('#handover-w1')).not.toBeNull())
    expect(api.callsTo('GET /api/queue/overflow')[0]?.url).toBe('/api/queue/overflow?office=OMAC')
    // A supervisor (not an agent) takes nobody.
    expect(document.querySelector('#take-w1')).toBeNull()
    expect(document.querySelector('label[for="handover-w1"]')?.textContent).toBe('Hand over to')
    // The busy agent whose queue it is is not offered.
    expect([...document.querySelectorAll('#handover-w1 option')].map((o) => o.textContent)).toEqual([
      'Choose an agent',
      'Pere Soler (free)',
      'Laura Vidal (free)',
    ])
    expect(await axeViolations(document.querySelector('#overflow') as Element)).toEqual([])

    // Nobody chosen yet: said, and the select has the focus.
    await click(document.querySelector('#handover-w1-send'))
    expect(text('#overflow-message')).toBe('Choose the agent to hand them over to.')
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#handover-w1')))
    expect(api.callsTo('POST /api/appointments/w1/hand-over')).toHaveLength(0)

    await choose('#handover-w1', 'agent3')
    await click(document.querySelector('#handover-w1-send'))
    await waitFor(() => expect(text('#overflow-message')).toBe('Appointment at 10:45 handed over to Laura Vidal.'))
    expect(api.callsTo('POST /api/appointments/w1/hand-over')[0]?.body).toEqual({ agent: 'agent3' })
    await waitFor(() => expect(document.querySelector('#overflow-empty')).not.toBeNull())
  })

  it('is not shown where the API has no such list', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/agenda': () => json(AGENDA),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/agenda', session: signedIn('staff') })
    await waitFor(() => expect(api.callsTo('GET /api/queue/overflow')).toHaveLength(1))
    await waitFor(() => expect(document.querySelector('#agenda-empty')).not.toBeNull())
    expect(document.querySelector('#overflow')).toBeNull()
  })
})
