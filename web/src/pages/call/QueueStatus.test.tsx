import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { appointment, CITIZEN } from '../../test/appointments'
import { click, find, json, mountApp, pageTest, problem, routeApi, signedIn, text, waitFor } from '../../test/page'
import type { Language } from '../../i18n'
import { parseOverflow, parseQueue, queueWords, type QueueState } from '../../queue'
import { translate } from '../../i18n'
import { FakePeerConnection, FakeWebSocket, fakeNode, GRANT, installWebRtc } from '../../test/webrtc'

/** Starts at 11:05 in Madrid, 5 minutes after "now": the call window is open. */
const SOON = appointment({ start: '2026-11-28T11:05:00+01:00', end: '2026-11-28T11:20:00+01:00' })

const ws = () => FakeWebSocket.instances[FakeWebSocket.instances.length - 1] as FakeWebSocket
const pc = () => FakePeerConnection.instances[FakePeerConnection.instances.length - 1] as FakePeerConnection

const queue = (extra: Partial<QueueState> = {}): QueueState => ({
  position: 2,
  ahead: 1,
  agent_status: 'in_call',
  agent_name: 'Pere Soler',
  estimated_wait_s: 372,
  estimated_at: '2026-11-28T10:06:00Z',
  ...extra,
})

const WAITING = {
  type: 'state',
  you: 'c-1',
  room_id: 'room-1',
  participants: [
    {
      participant_id: 'c-1',
      role: 'citizen',
      name: 'Anna Puig',
      state: 'waiting',
      since: '2026-11-28T10:06:00Z',
      connected: true,
      audio_only: false,
    },
  ],
  recording: false,
}

describe('the waiting room’s place in line', () => {
  describe('in words', () => {
    const words = (language: Language, q: QueueState) => queueWords(language, q)

    it('says the agent is busy, the position, the wait in minutes and who will attend', () => {
      expect(words('en', queue())).toEqual([
        'The agent is with the person before you.',
        'You are number 2 in line.',
        'Estimated wait: about 6 minutes.',
        'Pere Soler will attend you.',
      ])
      expect(words('ca', queue())).toEqual([
        'L’agent està atenent la persona d’abans que vós.',
        'Sou el número 2 de la cua.',
        'Temps d’espera aproximat: uns 6 minuts.',
        'Us atendrà Pere Soler.',
      ])
      expect(words('es', queue({ position: 1, ahead: 0, estimated_wait_s: 50 }))).toEqual([
        'El agente está atendiendo a la persona de antes que usted.',
        'Usted es la siguiente persona.',
        'Tiempo de espera aproximado: 1 minuto.',
        'Le atenderá Pere Soler.',
      ])
    })

    it('never says "at any moment" while the agent is busy or someone is ahead', () => {
      for (const q of [
        queue({ position: 1, ahead: 0, estimated_wait_s: 0 }),
        queue({ position: 2, ahead: 1, agent_status: 'free', estimated_wait_s: 0 }),
        queue({ position: 1, ahead: 0, agent_status: 'away', estimated_wait_s: 10 }),
      ]) {
        const said = words('en', q).join(' ')
        expect(said).not.toContain('any moment')
        expect(said).toContain('Estimated wait: about 1 minute.')
      }
      expect(words('en', queue({ position: 1, ahead: 0, agent_status: 'free', estimated_wait_s: 0, agent_name: null })))
        .toEqual(['You are next.', 'The agent can let you in at any moment.'])
      expect(words('en', queue({ position: 0, ahead: 0, agent_status: 'in_call', agent_name: null }))).toEqual([
        'It is your turn: the agent is letting you in.',
      ])
    })
  })

  describe('as the API gives it', () => {
    it('reads what it can and never makes up a place in line', () => {
      expect(parseQueue(null)).toBeNull()
      expect(parseQueue({ ahead: 1 })).toBeNull()
      expect(parseQueue({ position: 2, ahead: -1, agent_status: 'lunch', estimated_wait_s: 'soon' })).toEqual({
        position: 2,
        ahead: 0,
        agent_status: 'free',
        agent_name: null,
        estimated_wait_s: 0,
        estimated_at: '',
      })
      expect(parseOverflow({ items: [{ appointment_id: 'a' }, { appointment_id: 'b', start: 'x' }], can_take: 1 })).toEqual({
        items: [
          { appointment_id: 'b', service_id: '', start: 'x', waiting_since: null, waited_s: 0, agent: '', agent_name: null },
        ],
        can_take: false,
        agents: [],
      })
    })
  })

  describe('live', () => {
    let webrtc: ReturnType<typeof installWebRtc>
    const realFetch = window.fetch
    beforeEach(() => {
      webrtc = installWebRtc()
      window.fetch = fakeNode().fetch as unknown as typeof window.fetch
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    })
    afterEach(() => {
      vi.useRealTimers()
      webrtc.restore()
      window.fetch = realFetch
    })
    pageTest({ zone: 'UTC' })

    const citizenApi = (answers: (() => Response)[]) =>
      routeApi({
        'GET /api/me': () => json(CITIZEN),
        'GET /api/appointments/appt-1': () => json(SOON),
        'POST /api/appointments/appt-1/call': () => json(GRANT),
        'GET /api/health': () => json({ status: 'ok' }),
        'GET /api/appointments/appt-1/queue': answers,
      })

    async function joinAndWait(fetch: Parameters<typeof mountApp>[0]['fetch'], language: Language = 'en') {
      await mountApp({ fetch, language, path: '/appointments/appt-1/call', session: signedIn('citizen') })
      await click(await find('#join-call'))
      await waitFor(() => expect(FakeWebSocket.instances).toHaveLength(1))
      ws().open()
      pc().setState('connected')
      ws().receive(WAITING)
      await waitFor(() => expect(text('#waiting-status')).toBe(translate(language, 'call.waitingText')))
    }

    it('asks every 5 s while waiting, says news politely and only when the words change, names the new agent', async () => {
      const api = citizenApi([
        () => json(queue()),
        () => json(queue()), // the same: nothing changes on the page
        () => problem(503, 'unavailable'), // a failed poll leaves the last words
        () => json(queue({ position: 1, ahead: 0, estimated_wait_s: 130 })),
        () => json(queue({ position: 1, ahead: 0, agent_status: 'free', agent_name: 'Laura Vidal', estimated_wait_s: 0 })),
      ])
      await joinAndWait(api.fetch)
      // Not asked before joining the waiting room.
      const region = await find('#queue-status')
      expect(region.getAttribute('aria-live')).toBe('polite')
      expect(region.getAttribute('aria-atomic')).toBe('true')
      await waitFor(() =>
        expect(text('#queue-status')).toBe(
          'The agent is with the person before you.You are number 2 in line.Estimated wait: about 6 minutes.' +
            'Pere Soler will attend you.',
        ),
      )
      expect(text('#queue-title')).toBe('Your place in line')
      expect(api.callsTo('GET /api/appointments/appt-1/queue')[0]?.headers.Authorization).toBe('Bearer token-citizen')

      const changes: MutationRecord[] = []
      const observer = new MutationObserver((records) => changes.push(...records))
      observer.observe(region, { subtree: true, childList: true, characterData: true })
      vi.advanceTimersByTime(5_000)
      await waitFor(() => expect(api.callsTo('GET /api/appointments/appt-1/queue')).toHaveLength(2))
      vi.advanceTimersByTime(5_000)
      await waitFor(() => expect(api.callsTo('GET /api/appointments/appt-1/queue')).toHaveLength(3))
      await new Promise((resolve) => setTimeout(resolve, 20))
      changes.push(...observer.takeRecords())
      expect(changes).toEqual([])
      expect(text('#queue-status')).toContain('You are number 2 in line.')

      vi.advanceTimersByTime(5_000)
      await waitFor(() =>
        expect(text('#queue-status')).toBe(
          'The agent is with the person before you.You are next.Estimated wait: about 2 minutes.' +
            'Pere Soler will attend you.',
        ),
      )
      // Overflow: another agent has taken them.
      vi.advanceTimersByTime(5_000)
      await waitFor(() =>
        expect(text('#queue-status')).toBe('You are next.The agent can let you in at any moment.Laura Vidal will attend you.'),
      )
      observer.disconnect()

      // Let in: the waiting room goes, and with it the asking.
      ws().receive({ type: 'admitted', participant_id: 'c-1' })
      await waitFor(() => expect(document.querySelector('#queue-status')).toBeNull())
      const asked = api.callsTo('GET /api/appointments/appt-1/queue').length
      vi.advanceTimersByTime(15_000)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(api.callsTo('GET /api/appointments/appt-1/queue')).toHaveLength(asked)
    })

    it('stops asking when the API refuses, and shows nothing made up', async () => {
      const api = citizenApi([() => problem(404, 'not_found')])
      await joinAndWait(api.fetch, 'ca')
      await waitFor(() => expect(api.callsTo('GET /api/appointments/appt-1/queue')).toHaveLength(1))
      vi.advanceTimersByTime(15_000)
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(api.callsTo('GET /api/appointments/appt-1/queue')).toHaveLength(1)
      expect(text('#queue-status')).toBe('')
      expect(document.querySelector('#queue-status')?.getAttribute('aria-live')).toBe('polite')
    })
  })
})
