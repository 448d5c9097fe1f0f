import { describe, expect, it } from 'vitest'
import { axeViolations } from '../test/axe'
import { choose, SUPERVISOR } from '../test/admin'
import { SLOTS } from '../test/appointments'
import { click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, submit, text, waitFor } from '../test/page'

const ITEMS = [
  {
    appointment_id: 'appt-7',
    service_id: 'padron-certificate',
    office: 'OMAC',
    start: '2026-12-02T10:00:00+01:00',
    end: '2026-12-02T10:15:00+01:00',
    citizen_name: 'Joan Garcia',
    since: '2026-11-27T18:00:00+01:00',
    reason: 'leave',
  },
]

describe('the needs-rebooking list', () => {
  pageTest({ zone: 'UTC' })

  async function open(routes: Parameters<typeof routeApi>[0] = {}) {
    const api = routeApi({
      'GET /api/me': () => json(SUPERVISOR),
      'GET /api/rebooking': () => json({ items: ITEMS }),
      'GET /api/services/padron-certificate/slots': () => json({ items: SLOTS }),
      ...routes,
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/rebooking', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelectorAll('table#rebooking tbody tr')).toHaveLength(1))
    return api
  }

  it('lists the appointments that need a new time, by office', async () => {
    const api = await open()
    const cells = () => [...document.querySelectorAll('table#rebooking tbody tr > *')].map((c) => c.textContent)
    await waitFor(() => expect(cells()[1]).toBe('Residence certificate'))
    expect(cells().slice(0, 5)).toEqual(['02/12/2026, 10:00', 'Residence certificate', 'Citizen Service Office', 'Joan Garcia', 'Agent on leave'])
    expect(api.callsTo('GET /api/rebooking')[0]?.url).toBe('/api/rebooking')
    await waitFor(() => expect(document.querySelectorAll('#rebooking-office option').length).toBeGreaterThan(1))
    await choose('#rebooking-office', 'OMAC')
    await waitFor(() => expect(api.callsTo('GET /api/rebooking').at(-1)?.url).toBe('/api/rebooking?office=OMAC'))
    expect(await axeViolations()).toEqual([])
  })

  it('rebooks on the citizen’s behalf with the slot picker', async () => {
    const api = await open({
      'POST /api/appointments/appt-7/reschedule': [
        () => problem(409, 'slot_taken'),
        (call) => json({ id: 'appt-7', service_id: 'padron-certificate', office: 'OMAC', start: (call.body as { start: string }).start, end: '2026-12-01T09:15:00+01:00', status: 'booked' }),
      ],
    })
    await click(document.querySelector('#rebook-appt-7'))
    await waitFor(() => expect(document.activeElement?.id).toBe('rebook-panel-title'))
    await click(await find('button.day[data-date="2026-12-01"]'))
    await click(await find('#slot-0'))
    await submit('form#slot-form')
    await waitFor(() => expect(text('#rebook-errors')).toContain('That time is no longer free'))
    await submit('form#slot-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('rebook-done'))
    expect(api.callsTo('POST /api/appointments/appt-7/reschedule')[1]?.body).toEqual({ start: SLOTS[0]?.start })
    expect(api.callsTo('POST /api/appointments/appt-7/reschedule')[1]?.headers.Authorization).toBe('Bearer token-staff')
    expect(text('#rebook-done')).toBe('Done: Residence certificate is now at 01/12/2026, 09:00.')
    expect(document.querySelector('table#rebooking')).toBeNull()
    expect(text('#rebooking-empty')).toBe('No appointment needs a new time.')
    await waitFor(() => expect(liveRegion()).toBe('The appointment has been moved to 01/12/2026, 09:00.'))
  })
})
