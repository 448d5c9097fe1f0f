import { describe, expect, it } from 'vitest'
import { axeViolations } from '../../test/axe'
import { ADMIN, ADMIN_OFFICES, choose } from '../../test/admin'
import { click, find, json, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type, waitFor } from '../../test/page'

const OFFICIAL_2027 = {
  year: 2027,
  items: [
    { date: '2027-01-01', name: { ca: "Cap d'Any", es: 'Año Nuevo', en: "New Year's Day" }, scope: 'national' },
    { date: '2027-09-11', name: { ca: 'Diada', es: 'Diada', en: 'National Day of Catalonia' }, scope: 'regional' },
  ],
  version: 0,
}
const SAVED_2026 = { year: 2026, items: [OFFICIAL_2027.items[0]], version: 2 }

describe('the admin holidays page', () => {
  pageTest({ zone: 'UTC' })

  async function open(routes: Parameters<typeof routeApi>[0] = {}, language: 'ca' | 'es' | 'en' = 'en') {
    const api = routeApi({
      'GET /api/me': () => json(ADMIN),
      'GET /api/admin/offices': () => json({ items: ADMIN_OFFICES }),
      'GET /api/admin/holidays': (call) => json(call.url.endsWith('year=2027') ? OFFICIAL_2027 : SAVED_2026),
      ...routes,
    })
    await mountApp({ fetch: api.fetch, language, path: '/staff/admin/holidays', session: signedIn('staff') })
    await find('#holidays-form')
    return api
  }

  it('shows this year’s holidays; a year never saved starts from the official list', async () => {
    const api = await open()
    expect(api.callsTo('GET /api/admin/holidays')[0]?.url).toBe('/api/admin/holidays?year=2026')
    expect(text('#holidays-title')).toBe('Holidays of 2026')
    expect(document.querySelector('#holidays-official')).toBeNull()
    const select = document.querySelector('#holidays-year') as HTMLSelectElement
    expect([...select.options].map((o) => o.value)).toEqual(['2025', '2026', '2027', '2028'])
    await choose('#holidays-year', '2027')
    await waitFor(() => expect(text('#holidays-title')).toBe('Holidays of 2027'))
    expect(text('#holidays-official')).toContain('This year has not been saved yet: the list below is the official one.')
    expect(document.querySelectorAll('.holiday-list > li')).toHaveLength(2)
    expect((document.querySelector('#holidays-items-1-name-en') as HTMLInputElement).value).toBe('National Day of Catalonia')
    expect((document.querySelector('#holidays-items-1-scope') as HTMLSelectElement).value).toBe('regional')
    expect(await axeViolations()).toEqual([])
  })

  it('speaks the page’s language (Spanish here)', async () => {
    await open({}, 'es')
    expect(text('h1')).toBe('Festivos')
    expect(text('#holidays-title')).toBe('Festivos de 2026')
    expect(text('#holidays-save')).toBe('Guardar los festivos de 2026')
    expect(text('label[for="holidays-items-0-scope"]')).toBe('Se aplica a')
    expect(await axeViolations()).toEqual([])
  })

  it('adds a local holiday and saves the year, showing first the appointments on it', async () => {
    const affected = [{ appointment_id: 'a1', start: '2026-06-24T10:00:00+02:00', service_id: 'padron-certificate', action: 'needs_rebooking' }]
    const api = await open({
      'PUT /api/admin/holidays/2026': (call) =>
        call.url.includes('preview=true') ? json({ affected }) : json({ ...SAVED_2026, version: 3, affected, job: null }),
    })
    await click(document.querySelector('#holidays-add'))
    await type('#holidays-items-1-date', '2026-06-24')
    await type('#holidays-items-1-name-ca', 'Sant Joan')
    const office = document.querySelector('#holidays-items-1-office') as HTMLSelectElement
    expect(text('label[for="holidays-items-1-office"]')).toBe('Office')
    await waitFor(() => expect(office.options).toHaveLength(2))
    await choose('#holidays-items-1-office', 'OMAC')
    await submit('form#holidays-form')
    await waitFor(() => expect(document.querySelectorAll('#holidays-status-preview-list tbody tr')).toHaveLength(1))
    expect(api.callsTo('PUT /api/admin/holidays/2026')[0]?.body).toEqual({
      items: [SAVED_2026.items[0], { date: '2026-06-24', name: { ca: 'Sant Joan' }, scope: 'local', office: 'OMAC' }],
      version: 2,
    })
    await click(document.querySelector('#holidays-status-confirm'))
    await waitFor(() => expect(text('#holidays-status-done')).toContain('Saved.'))
  })

  it('keeps nothing unsaved silently: a version conflict offers to reload', async () => {
    await open({ 'PUT /api/admin/holidays/2026': () => problem(409, 'version_conflict') })
    await submit('form#holidays-form')
    await waitFor(() => expect(document.querySelector('#holidays-status-reload')).not.toBeNull())
    await click(document.querySelector('#holidays-status-reload'))
    await waitFor(() => expect(document.querySelector('#holidays-status-reload')).toBeNull())
  })
})
