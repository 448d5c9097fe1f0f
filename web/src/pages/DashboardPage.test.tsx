import { describe, expect, it, vi } from 'vitest'
import { axeViolations } from '../test/axe'
import { ADMIN, choose, SUPERVISOR } from '../test/admin'
import { AGENT } from '../test/appointments'
import { click, find, json, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type, waitFor } from '../test/page'

const figures = (service_id: string, extra: Record<string, unknown> = {}) => ({
  service_id,
  booked: 2,
  completed: 10,
  incomplete: 1,
  no_show: 3,
  cancelled: 4,
  wait_p50_s: 150,
  wait_p90_s: 420,
  call_p50_s: 600,
  documents_issued: 9,
  recordings_failed: 0,
  ...extra,
})
const STATS = {
  from: '2026-11-01',
  to: '2026-11-28',
  offices: [
    { office: 'OMAC', services: [figures('padron-certificate')] },
    { office: 'OGAT', services: [figures('instalment-plan', { completed: 5, wait_p50_s: null, wait_p90_s: null })] },
  ],
}

describe('the supervisor’s dashboard', () => {
  pageTest({ zone: 'UTC' })

  async function open(me: object = SUPERVISOR, routes: Parameters<typeof routeApi>[0] = {}) {
    const api = routeApi({ 'GET /api/me': () => json(me), 'GET /api/stats': () => json(STATS), ...routes })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me', session: signedIn('staff') })
    return api
  }

  it('is linked for supervisors and shows this month’s figures as cards, charts and tables', async () => {
    const api = await open()
    await click(await find('nav a#dashboard-link'))
    await waitFor(() => expect(document.querySelectorAll('.figure-card')).toHaveLength(7))
    expect(document.activeElement?.id).toBe('dashboard-title')
    expect(text('nav a#rebooking-link')).toBe('Appointments to rebook')
    expect(document.querySelector('nav a#admin-link')).toBeNull()
    expect(api.callsTo('GET /api/stats')[0]?.url).toBe('/api/stats?from=2026-11-01&to=2026-11-28')
    expect(api.callsTo('GET /api/stats')[0]?.headers.Authorization).toBe('Bearer token-staff')
    const card = (key: string) => text(`.figure-card[data-figure="${key}"] .figure-card__value`)
    expect([card('completed'), card('no_show'), card('documents_issued')]).toEqual(['15', '6', '18'])
    expect(text('#dash-figures-title')).toMatch(/^All offices, .*1 November 2026 to .*28 November 2026$/)

    // Each chart is an image named by its title and description, with the same data in a table beside it.
    const chart = document.querySelector('svg#chart-outcomes') as SVGElement
    expect(chart.getAttribute('role')).toBe('img')
    expect(chart.getAttribute('aria-labelledby')).toBe('chart-outcomes-title chart-outcomes-desc')
    expect(text('#chart-outcomes-title')).toBe('Appointments by outcome')
    expect(text('#chart-outcomes-desc')).toBe('Still to happen: 4; Completed: 15; Not completed: 2; Citizen did not come: 6; Cancelled: 8')
    expect(chart.querySelectorAll('rect')).toHaveLength(5)
    expect([...document.querySelectorAll('#chart-outcomes-table tbody tr')].map((r) => r.textContent)).toContain('Completed15')
    await waitFor(() => expect(text('#chart-wait-desc')).toBe('Residence certificate: 2.5 min; Instalment plan: No data'))
    expect(text('#chart-wait-table tbody tr:first-child')).toBe('Residence certificate2.5 min7 min')
    expect(document.querySelectorAll('#dash-table tbody tr')).toHaveLength(2)
    expect(await axeViolations()).toEqual([])
  })

  it('asks again for another period and office, checking the dates first', async () => {
    const api = await open(SUPERVISOR)
    await mountDashboard()
    await type('#dash-from', '2026-11-10')
    await type('#dash-to', '2026-11-01')
    await submit('form#dash-form')
    expect(text('#dash-to-error')).toBe('Error: The end date must not be before the start date.')
    await type('#dash-to', '2026-11-20')
    await waitFor(() => expect(document.querySelectorAll('#dash-office option').length).toBeGreaterThan(1))
    await choose('#dash-office', 'OMAC')
    await submit('form#dash-form')
    await waitFor(() => expect(api.callsTo('GET /api/stats').at(-1)?.url).toBe('/api/stats?from=2026-11-10&to=2026-11-20&office=OMAC'))
  })

  it('downloads the figures as CSV with the session’s token', async () => {
    const api = await open(ADMIN, {
      'GET /api/stats.csv': () => new Response('office,service_id\r\n', { headers: { 'content-type': 'text/csv' } }),
    })
    const created: Blob[] = []
    URL.createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob)
      return 'blob:stats'
    })
    URL.revokeObjectURL = vi.fn()
    await mountDashboard()
    const clicked: HTMLAnchorElement[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this)
    })
    await click(document.querySelector('#dash-csv'))
    await waitFor(() => expect(clicked).toHaveLength(1))
    expect(clicked[0]?.download).toBe('stats-2026-11-01-2026-11-28.csv')
    expect(await created[0]?.text()).toBe('office,service_id\r\n')
    await waitFor(() => expect(text('#csv-status')).toBe('The file stats-2026-11-01-2026-11-28.csv has been downloaded.'))
    expect(api.callsTo('GET /api/stats.csv')[0]?.headers.Authorization).toBe('Bearer token-staff')
  })

  it('is not for agents', async () => {
    const api = routeApi({ 'GET /api/me': () => json(AGENT) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/dashboard', session: signedIn('staff') })
    await waitFor(() => expect(text('main')).toContain('This page is for supervisors and administrators.'))
    expect(api.callsTo('GET /api/stats')).toHaveLength(0)
    expect(document.querySelector('nav a#dashboard-link')).toBeNull()
  })

  it('says when the figures cannot be loaded, with Retry', async () => {
    await open(SUPERVISOR, { 'GET /api/stats': [() => problem(503, 'service_unavailable'), () => json(STATS)] })
    await click(await find('nav a#dashboard-link'))
    await waitFor(() => expect(text('.error-title')).toBe('The figures could not be loaded.'))
    await click(document.querySelector('.error-state button'))
    await waitFor(() => expect(document.querySelectorAll('.figure-card')).toHaveLength(7))
  })
})

async function mountDashboard() {
  await click(await find('nav a#dashboard-link'))
  await waitFor(() => expect(document.querySelectorAll('.figure-card')).toHaveLength(7))
}
