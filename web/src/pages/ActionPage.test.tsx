import { describe, expect, it } from 'vitest'
import { axeViolations } from '../test/axe'
import { SLOTS } from '../test/appointments'
import { click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, submit, text, waitFor } from '../test/page'

const LINK = {
  action: 'rebook',
  appointment_id: 'appt-1',
  service_id: 'padron-certificate',
  office: 'OMAC',
  start: '2026-11-30T10:00:00+01:00',
  expires_at: '2026-12-14T23:59:59+01:00',
}

describe('the citizen’s action-link page', () => {
  pageTest({ zone: 'UTC' })

  async function open(routes: Parameters<typeof routeApi>[0] = {}, hash = '#token=act-1') {
    const api = routeApi({
      'GET /api/actions/act-1': () => json(LINK),
      'GET /api/services/padron-certificate/slots': () => json({ items: SLOTS }),
      ...routes,
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: `/act${hash}` })
    return api
  }

  it('shows the appointment, without the token in the address, and moves it to another time', async () => {
    const api = await open({
      'POST /api/actions/act-1/reschedule': (call) => json({ id: 'appt-1', start: (call.body as { start: string }).start }),
    })
    await waitFor(() => expect(text('#act-original')).toMatch(/Monday,? 30 November 2026, 10:00/))
    expect(window.location.hash).toBe('')
    expect(text('dl.facts')).toContain('Residence certificate')
    expect(text('dl.facts')).toContain('Citizen Service Office')
    expect(api.callsTo('GET /api/actions/act-1')[0]?.headers.Authorization).toBeUndefined()
    expect(await axeViolations()).toEqual([])

    await click(document.querySelector('#act-choose'))
    await click(await find('button.day[data-date="2026-12-01"]'))
    await click(await find('#slot-0'))
    await submit('form#slot-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('act-done'))
    expect(api.callsTo('POST /api/actions/act-1/reschedule')[0]?.body).toEqual({ start: SLOTS[0]?.start })
    expect(text('#act-done')).toMatch(/your appointment is now on Tuesday,? 1 December 2026 at 09:00/)
    await waitFor(() => expect(liveRegion()).toBe('Your appointment has been moved.'))
  })

  it('cancels after one confirmation', async () => {
    const api = await open({ 'POST /api/actions/act-1/cancel': () => json({ id: 'appt-1', status: 'cancelled' }) })
    await click(await find('#act-cancel'))
    await waitFor(() => expect(document.activeElement?.id).toBe('act-cancel-title'))
    expect(text('#act-cancel-title')).toBe('Cancel the appointment?')
    expect(api.callsTo('POST /api/actions/act-1/cancel')).toHaveLength(0)
    expect(await axeViolations()).toEqual([])
    await click(document.querySelector('#act-cancel-confirm'))
    await waitFor(() => expect(text('#act-done')).toContain('Your appointment has been cancelled.'))
    expect(api.callsTo('POST /api/actions/act-1/cancel')).toHaveLength(1)
  })

  it('explains a used or expired link in plain words (410 link_expired)', async () => {
    await open({ 'GET /api/actions/act-1': () => problem(410, 'link_expired') })
    await waitFor(() => expect(text('#act-expired')).toContain('This link is no longer valid: it has already been used or it has expired.'))
    expect(document.querySelector('.error-state')).toBeNull()
    expect(await axeViolations()).toEqual([])
  })

  it('explains a link that expired while the page was open', async () => {
    await open({ 'POST /api/actions/act-1/cancel': () => problem(410, 'link_expired') })
    await click(await find('#act-cancel'))
    await click(document.querySelector('#act-cancel-confirm'))
    await waitFor(() => expect(text('#act-expired')).toContain('This link is no longer valid'))
  })
})
