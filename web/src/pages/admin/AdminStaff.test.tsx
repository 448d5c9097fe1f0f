import { describe, expect, it } from 'vitest'
import { axeViolations } from '../../test/axe'
import { ADMIN, ADMIN_OFFICES, choose } from '../../test/admin'
import { click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type, waitFor } from '../../test/page'

const WEEK = { '1': [['09:00', '14:00']], '2': [['09:00', '14:00']], '3': [['09:00', '14:00']], '4': [], '5': [], '6': [], '7': [] }
const PERE = {
  username: 'pere.soler',
  name: 'Pere Soler',
  email: 'pere@example.org',
  roles: ['agent'],
  office: 'OMAC',
  enabled: true,
  activated: true,
  version: 4,
  schedule: { office: 'OMAC', weekly: WEEK, version: 2 },
  exceptions: [{ date: '2026-12-08', kind: 'leave', intervals: [] }],
}
const NEW = { ...PERE, username: 'nou.agent', name: 'Nou Agent', email: 'nou@example.org', activated: false, version: 1 }

const AFFECTED = [
  { appointment_id: 'a1', start: '2026-12-02T09:00:00+01:00', service_id: 'padron-certificate', action: 'needs_rebooking' },
]

describe('the admin staff pages', () => {
  pageTest({ zone: 'UTC' })

  async function open(path: string, routes: Parameters<typeof routeApi>[0] = {}) {
    const api = routeApi({
      'GET /api/me': () => json(ADMIN),
      'GET /api/admin/offices': () => json({ items: ADMIN_OFFICES }),
      'GET /api/admin/staff': () => json({ items: [PERE, NEW] }),
      'GET /api/admin/staff/pere.soler': () => json(PERE),
      'GET /api/admin/staff/nou.agent': () => json(NEW),
      ...routes,
    })
    await mountApp({ fetch: api.fetch, language: 'en', path, session: signedIn('staff') })
    return api
  }

  it('lists the staff with their roles and state, and invites a new person', async () => {
    const api = await open('/staff/admin/staff', { 'POST /api/admin/staff': () => json({ ...NEW, username: 'anna.puig' }, 201) })
    await waitFor(() => expect(document.querySelectorAll('table#staff tbody tr')).toHaveLength(2))
    const cells = [...document.querySelectorAll('table#staff tbody tr:first-child > *')].map((c) => c.textContent)
    expect(cells).toEqual(['Pere Soler', 'pere.soler', 'Service agent', 'Citizen Service Office', 'Active'])
    expect(text('table#staff tbody tr:nth-child(2) td:last-child')).toBe('Invited, not activated yet')
    expect(await axeViolations()).toEqual([])

    // An agent needs an office: said at the field before asking the server.
    await type('#invite-username', 'anna.puig')
    await type('#invite-name', 'Anna Puig')
    await type('#invite-email', 'anna@example.org')
    await submit('form#invite-form')
    await waitFor(() => expect(text('#invite-office-error')).toBe('Error: Choose the office: agents need one.'))
    expect(document.activeElement?.id).toBe('invite-errors')
    expect(api.callsTo('POST /api/admin/staff')).toHaveLength(0)

    await choose('#invite-office', 'OMAC')
    await click(document.querySelector('#invite-roles-supervisor'))
    await submit('form#invite-form')
    await waitFor(() => expect(text('#invite-done')).toBe('The invitation has been sent to anna@example.org.'))
    expect(api.callsTo('POST /api/admin/staff')[0]?.body).toEqual({
      username: 'anna.puig',
      name: 'Anna Puig',
      email: 'anna@example.org',
      roles: ['agent', 'supervisor'],
      office: 'OMAC',
    })
    expect((document.querySelector('#invite-username') as HTMLInputElement).value).toBe('')
  })

  it('opens a person from the list', async () => {
    await open('/staff/admin/staff')
    await click(await find('#person-pere\\.soler'))
    await waitFor(() => expect(text('h1')).toBe('Staff member pere.soler'))
    await waitFor(() => expect(text('#person-state')).toBe('Pere Soler · Active'))
  })

  it('edits a weekly schedule as a week grid, showing the appointments it would affect before saving', async () => {
    const api = await open('/staff/admin/staff/pere.soler', {
      'PUT /api/admin/staff/pere.soler/schedule': (call) =>
        call.url.includes('preview=true')
          ? json({ affected: AFFECTED })
          : json({ schedule: { office: 'OMAC', weekly: {}, version: 3 }, affected: AFFECTED }),
    })
    await find('#schedule-weekly-3-0')
    // Seven days, Monday first, each a group named by its legend; every control a native input or button.
    expect([...document.querySelectorAll('#schedule-weekly .week__day > legend')].map((l) => l.textContent)).toEqual([
      'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday',
    ])
    expect(text('#schedule-weekly-4 .intervals__none')).toBe('No hours.')
    expect(text('#schedule-weekly-4-add')).toBe('Add hours on Thursday')
    // Wednesday off: remove its hours.
    const remove = document.querySelector('#schedule-weekly-3 .interval button') as HTMLButtonElement
    expect(remove.textContent).toBe('Remove Wednesday, hours 1')
    await click(remove)
    await submit('form#schedule-form')
    await waitFor(() => expect(document.querySelectorAll('#schedule-status-preview-list tbody tr')).toHaveLength(1))
    expect(api.callsTo('PUT /api/admin/staff/pere.soler/schedule')[0]?.body).toEqual({
      office: 'OMAC',
      weekly: { ...WEEK, '3': [] },
      version: 2,
    })
    expect(text('#schedule-status-preview-list tbody td:last-child')).toBe('The citizen must choose another time')
    expect(await axeViolations()).toEqual([])
    await click(document.querySelector('#schedule-status-confirm'))
    await waitFor(() => expect(text('#schedule-status-done')).toContain('Saved.'))
    expect(api.callsTo('PUT /api/admin/staff/pere.soler/schedule')[1]?.url).toBe('/api/admin/staff/pere.soler/schedule')
  })

  it('records leave for a day (previewed) and removes it again', async () => {
    const api = await open('/staff/admin/staff/pere.soler', {
      'POST /api/admin/staff/pere.soler/exceptions': (call) =>
        call.url.includes('preview=true') ? json({ affected: AFFECTED }) : json({ exception: call.body, affected: AFFECTED }, 201),
      'DELETE /api/admin/staff/pere.soler/exceptions/2026-12-08': () => json({ affected: [] }),
    })
    await waitFor(() => expect(document.querySelectorAll('table#exceptions tbody tr')).toHaveLength(1))
    const cells = [...document.querySelectorAll('table#exceptions tbody tr > *')].map((c) => c.textContent)
    expect(cells[0]).toMatch(/^Tuesday,? 8 December 2026$/)
    expect(cells.slice(1, 3)).toEqual(['Leave', 'Whole day'])
    await submit('form#exception-form')
    await waitFor(() => expect(text('#exception-date-error')).toBe('Error: Enter the date.'))
    await type('#exception-date', '2026-12-02')
    await submit('form#exception-form')
    await waitFor(() => expect(document.querySelectorAll('#exception-status-preview-list tbody tr')).toHaveLength(1))
    expect(api.callsTo('POST /api/admin/staff/pere.soler/exceptions')[0]?.body).toEqual({ date: '2026-12-02', kind: 'leave' })
    await click(document.querySelector('#exception-status-confirm'))
    await waitFor(() => expect(text('#exception-status-done')).toContain('Appointments affected: 1.'))

    // Part of a day: the hours are asked for.
    await click(document.querySelector('#exception-whole-day'))
    expect(document.querySelector('#exception-intervals-0')).not.toBeNull()

    await click(document.querySelector('#remove-2026-12-08'))
    await waitFor(() => expect(liveRegion()).toMatch(/^The entry for Tuesday,? 8 December 2026 has been removed\.$/))
    expect(api.callsTo('DELETE /api/admin/staff/pere.soler/exceptions/2026-12-08')).toHaveLength(1)
  })

  it('disables an account, refused for the last admin (409 last_admin), and sends a password reset link', async () => {
    const api = await open('/staff/admin/staff/pere.soler', {
      'PUT /api/admin/staff/pere.soler': [() => json({ affected: [] }), () => problem(409, 'last_admin')],
      'POST /api/admin/staff/pere.soler/password-reset': () => new Response(null, { status: 202 }),
    })
    await find('#account-enabled')
    await click(document.querySelector('#account-enabled'))
    await submit('form#account-form')
    await waitFor(() => expect(text('#account-status')).toBe('The change has not been saved. This is the last enabled administrator: enable another one first.'))
    expect(api.callsTo('PUT /api/admin/staff/pere.soler')[0]?.body).toEqual({
      name: 'Pere Soler',
      email: 'pere@example.org',
      roles: ['agent'],
      office: 'OMAC',
      enabled: false,
      version: 4,
    })
    expect(text('#send-password-reset')).toBe('Send a password reset link')
    await click(document.querySelector('#send-password-reset'))
    await waitFor(() => expect(text('#links-status')).toBe('A link to set a new password has been sent to pere@example.org.'))
  })

  it('after a version conflict, reloads the person and starts the form from what is saved now', async () => {
    let saved = PERE
    await open('/staff/admin/staff/pere.soler', {
      'GET /api/admin/staff/pere.soler': () => json(saved),
      'PUT /api/admin/staff/pere.soler': () => {
        saved = { ...PERE, name: 'Pere Soler i Puig', version: 5 }
        return problem(409, 'version_conflict')
      },
    })
    await find('#account-name')
    await type('#account-name', 'Pere S.')
    await submit('form#account-form')
    await waitFor(() => expect(text('#account-status')).toContain('Someone else has changed this in the meantime'))
    await click(document.querySelector('#account-status-reload'))
    await waitFor(() => expect((document.querySelector('#account-name') as HTMLInputElement).value).toBe('Pere Soler i Puig'))
    expect(text('#account-status')).toBe('')
  })

  it('resends the invitation of someone who has not activated their account', async () => {
    const api = await open('/staff/admin/staff/nou.agent', {
      'POST /api/admin/staff/nou.agent/invitation': () => new Response(null, { status: 202 }),
    })
    await click(await find('#send-invitation'))
    await waitFor(() => expect(text('#links-status')).toBe('A new invitation has been sent to nou@example.org.'))
    expect(api.callsTo('POST /api/admin/staff/nou.agent/invitation')).toHaveLength(1)
  })
})
