import { describe, expect, it } from 'vitest'
import { axeViolations } from '../../test/axe'
import { ADMIN, ADMIN_OFFICES } from '../../test/admin'
import { click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type, waitFor } from '../../test/page'

describe('the admin offices page', () => {
  pageTest({ zone: 'UTC' })

  async function open(routes: Parameters<typeof routeApi>[0] = {}, roles = ['admin']) {
    const api = routeApi({
      'GET /api/me': () => json({ ...ADMIN, roles }),
      'GET /api/admin/offices': () => json({ items: ADMIN_OFFICES }),
      ...routes,
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/admin/offices', session: signedIn('staff') })
    return api
  }

  it('is linked for admins only, and lists the offices', async () => {
    const api = await open()
    await waitFor(() => expect(document.querySelectorAll('table#offices tbody tr')).toHaveLength(1))
    expect(text('nav a#admin-link')).toBe('Administration')
    expect(text('h1')).toBe('Offices')
    expect(document.querySelector('.admin-nav a[aria-current="page"]')?.textContent).toBe('Offices')
    expect(text('table#offices tbody th')).toBe('OMAC')
    expect(text('table#offices tbody td')).toBe('Citizen Service Office')
    expect(api.callsTo('GET /api/admin/offices')[0]?.headers.Authorization).toBe('Bearer token-staff')
    expect(await axeViolations()).toEqual([])
  })

  it('is reached from the staff area, whose home it is for admins', async () => {
    const api = routeApi({ 'GET /api/me': () => json(ADMIN), 'GET /api/admin/offices': () => json({ items: ADMIN_OFFICES }) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me', session: signedIn('staff') })
    expect((await find('main a#staff-dashboard-link')).textContent).toBe('Figures dashboard')
    await click(await find('main a#staff-admin-link'))
    await waitFor(() => expect(document.activeElement?.id).toBe('admin-title'))
    expect(text('h1')).toBe('Administration')
    await waitFor(() => expect(document.querySelectorAll('.admin-home a')).toHaveLength(4))
    expect([...document.querySelectorAll('.admin-home a')].map((a) => a.textContent)).toEqual(['Offices', 'Services', 'Staff', 'Holidays'])
    await click(document.querySelector('#admin-link-offices'))
    await waitFor(() => expect(document.querySelectorAll('table#offices tbody tr')).toHaveLength(1))
    expect(document.activeElement?.id).toBe('admin-title')
    expect(window.location.pathname).toBe('/staff/admin/offices')
    expect(document.querySelector('main a#staff-dashboard-link')).toBeNull()
  })

  it('tells someone who is not an admin that the page is not for them', async () => {
    await open({}, ['agent'])
    await waitFor(() => expect(text('main .notice')).toBe('This page is for administrators.'))
    expect(document.querySelector('nav a#admin-link')).toBeNull()
  })

  it('creates an office with names side by side and its opening hours, keyboard-operable', async () => {
    const api = await open({
      'POST /api/admin/offices': [
        () => problem(422, 'validation_error', { errors: [{ field: 'name.es', code: 'required', message: 'falta' }, { field: 'opening_hours.1.0', code: 'start_before_end', message: 'x' }] }),
        (call) => json({ ...(call.body as object), version: 1 }, 201),
      ],
    })
    await click(await find('#new-office'))
    await waitFor(() => expect(document.activeElement?.id).toBe('office-form-title'))
    expect(text('#office-form-title')).toBe('New office')
    await type('#office-id', 'omn')
    expect((document.querySelector('#office-id') as HTMLInputElement).value).toBe('OMN')
    expect(document.querySelector('#office-name-ca')?.getAttribute('lang')).toBe('ca')
    expect(text('label[for="office-name-es"]')).toBe('Español')
    await type('#office-name-ca', 'Oficina Nord')
    await type('#office-name-en', 'North Office')
    expect((document.querySelector('#office-timezone') as HTMLInputElement).value).toBe('Europe/Madrid')
    // Monday's hours: the "add" button gives a first interval, its times are native inputs.
    await click(document.querySelector('#office-opening_hours-1-add'))
    expect((document.querySelector('#office-opening_hours-1-0') as HTMLInputElement).value).toBe('09:00')
    expect(text('label[for="office-opening_hours-1-0"]')).toBe('From')
    await type('#office-opening_hours-1-0-end', '08:00')
    await submit('form#office-form')
    // The server's field errors show at the fields, with the summary linking to them.
    await waitFor(() => expect(document.activeElement?.id).toBe('office-errors'))
    expect(text('#office-name-es-error')).toBe('Error: Fill this in.')
    expect(text('#office-opening_hours-1-0-error')).toBe('Error: The start must be before the end.')
    expect(document.querySelector('#office-name-es')?.getAttribute('aria-invalid')).toBe('true')

    await type('#office-opening_hours-1-0-end', '14:00')
    await type('#office-name-es', 'Oficina Norte')
    await submit('form#office-form')
    await waitFor(() => expect(text('#office-status')).toContain('Saved.'))
    expect(api.callsTo('POST /api/admin/offices')[1]?.body).toEqual({
      id: 'OMN',
      name: { ca: 'Oficina Nord', en: 'North Office', es: 'Oficina Norte' },
      timezone: 'Europe/Madrid',
      address: '',
      kinds: [],
      opening_hours: { '1': [['09:00', '14:00']], '2': [], '3': [], '4': [], '5': [], '6': [], '7': [] },
      overflow_after_minutes: 5,
    })
    expect(await axeViolations()).toEqual([])
  })

  it('shows the appointments shorter hours would affect before saving, then what happened', async () => {
    const affected = [
      { appointment_id: 'a1', start: '2026-12-01T12:00:00+01:00', service_id: 'padron-certificate', action: 'reassigned', agent: 'agent2' },
      { appointment_id: 'a2', start: '2026-12-01T13:00:00+01:00', service_id: 'padron-certificate', action: 'needs_rebooking' },
    ]
    const api = await open({
      'PUT /api/admin/offices/OMAC': (call) =>
        call.url.includes('preview=true')
          ? json({ affected })
          : json({ office: { ...ADMIN_OFFICES[0], version: 4 }, affected, job: null }),
    })
    await click(await find('#edit-OMAC'))
    await type('#office-opening_hours-1-0-end', '11:00')
    await submit('form#office-form')
    await waitFor(() => expect(document.querySelectorAll('#office-status-preview-list tbody tr')).toHaveLength(2))
    expect(text('#office-status-preview')).toBe('This change affects 2 booked appointments')
    const cells = () => [...document.querySelectorAll('#office-status-preview-list tbody tr:first-child > *')].map((c) => c.textContent)
    await waitFor(() => expect(cells()[1]).toBe('Residence certificate'))
    expect(cells()).toEqual(['01/12/2026, 12:00', 'Residence certificate', 'Moved to another agent (agent2)'])
    expect(text('#office-status-preview-list tbody tr:nth-child(2) td:last-child')).toBe('The citizen must choose another time')
    const calls = api.callsTo('PUT /api/admin/offices/OMAC')
    expect(calls).toHaveLength(1)
    expect(calls[0]?.url).toBe('/api/admin/offices/OMAC?preview=true')
    expect(calls[0]?.body).toMatchObject({ version: 3, opening_hours: { '1': [['09:00', '11:00']] } })
    await waitFor(() => expect(liveRegion()).toContain('This change affects 2 booked appointments'))
    expect(await axeViolations()).toEqual([])

    await click(document.querySelector('#office-status-confirm'))
    await waitFor(() => expect(document.querySelectorAll('#office-status-affected tbody tr')).toHaveLength(2))
    expect(api.callsTo('PUT /api/admin/offices/OMAC')[1]?.url).toBe('/api/admin/offices/OMAC')
    expect(text('#office-status-done')).toContain('Appointments affected: 2.')
  })

  it('offers to reload when someone else saved first (409 version_conflict)', async () => {
    let version = 3
    await open({
      'GET /api/admin/offices': () => json({ items: [{ ...ADMIN_OFFICES[0], version }] }),
      'PUT /api/admin/offices/OMAC': () => {
        version = 5
        return problem(409, 'version_conflict')
      },
    })
    await click(await find('#edit-OMAC'))
    await type('#office-address', 'Carrer Nou, 2')
    await submit('form#office-form')
    await waitFor(() => expect(text('#office-status')).toContain('Someone else has changed this in the meantime'))
    await click(document.querySelector('#office-status-reload'))
    await waitFor(() => expect((document.querySelector('#office-address') as HTMLInputElement).value).toBe('Plaça de la Vila, 1'))
    expect(text('#office-status')).toBe('')
  })

  it('shows a job’s progress when many appointments are affected', async () => {
    await open({
      'PUT /api/admin/offices/OMAC': (call) =>
        call.url.includes('preview=true')
          ? json({ affected: [] })
          : json({ office: { ...ADMIN_OFFICES[0], version: 4 }, affected: [], job: { id: 'job-1', total: 40 } }),
      'GET /api/admin/jobs/job-1': [
        () => json({ id: 'job-1', kind: 'office', status: 'running', total: 40, done: 10, affected: [] }),
        () => json({ id: 'job-1', kind: 'office', status: 'done', total: 40, done: 40, affected: [] }),
      ],
    })
    await click(await find('#edit-OMAC'))
    await submit('form#office-form')
    await waitFor(() => expect(text('#office-status-job-text')).toBe('10 of 40 appointments handled.'))
    const bar = document.querySelector('#office-status-job-bar') as HTMLProgressElement
    expect(bar.getAttribute('max')).toBe('40')
    expect(text('label[for="office-status-job-bar"]')).toBe('Handling 40 appointments')
    await waitFor(() => expect(text('#office-status-job-text')).toBe('All 40 appointments have been handled.'), 4000)
  })
})
