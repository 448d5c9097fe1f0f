import { describe, expect, it } from 'vitest'
import { axeViolations } from '../../test/axe'
import { click, json, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type, waitFor } from '../../test/page'
import { ADMIN, ADMIN_OFFICES, choose } from '../../test/admin'

const SERVICE = {
  id: 'padron-certificate',
  office: 'OMAC',
  name: { ca: 'Certificat de padró', es: 'Certificado de padrón', en: 'Residence certificate' },
  description: { ca: 'Certificat.', es: 'Certificado.', en: 'Certificate.' },
  duration_minutes: 15,
  min_assurance: 'substantial',
  required_documents: [],
  procedure: null,
  enabled: true,
  buffer_minutes: 0,
  min_notice_minutes: 60,
  horizon_days: 60,
  version: 2,
}
const DISABLED = { ...SERVICE, id: 'old-service', name: { ca: 'Servei antic', es: 'Servicio antiguo', en: 'Old service' }, enabled: false, version: 7 }

describe('the admin services page', () => {
  pageTest({ zone: 'UTC' })

  async function open(routes: Parameters<typeof routeApi>[0] = {}) {
    const api = routeApi({
      'GET /api/me': () => json(ADMIN),
      'GET /api/admin/offices': () => json({ items: ADMIN_OFFICES }),
      'GET /api/admin/procedures': () =>
        json({
          items: [
            { id: 'padron', office_kinds: [], name: { ca: 'Padró', es: 'Padrón', en: 'Register' } },
            { id: 'instalments', office_kinds: ['tax'], name: { ca: 'Fraccionament', es: 'Fraccionamiento', en: 'Instalments' } },
          ],
        }),
      'GET /api/admin/services': () => json({ items: [SERVICE, DISABLED] }),
      ...routes,
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/admin/services', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelectorAll('table#services tbody tr')).toHaveLength(2))
    return api
  }

  it('lists the services of an office, disabled ones too', async () => {
    const api = await open()
    expect([...document.querySelectorAll('table#services tbody tr td:nth-child(4)')].map((c) => c.textContent)).toEqual(['Bookable', 'Disabled'])
    expect(text('table#services tbody tr:nth-child(2) th')).toContain('Old service')
    await waitFor(() => expect(document.querySelectorAll('#services-office option')).toHaveLength(2))
    await choose('#services-office', 'OMAC')
    await waitFor(() => expect(api.callsTo('GET /api/admin/services').at(-1)?.url).toBe('/api/admin/services?office=OMAC'))
    expect(await axeViolations()).toEqual([])
  })

  it('creates a service with its texts side by side and a live preview of the citizen’s card', async () => {
    const api = await open({ 'POST /api/admin/services': (call) => json({ ...(call.body as object), version: 1 }, 201) })
    await click(document.querySelector('#new-service'))
    await waitFor(() => expect(document.activeElement?.id).toBe('service-form-title'))
    await type('#service-id', 'Bike-Licence')
    await type('#service-name-en', 'Bicycle licence')
    await type('#service-name-ca', 'Llicència de bicicleta')
    await type('#service-description-en', 'Register your bicycle.')
    // The preview is the catalogue's own card, in the page's language, as the citizen will see it.
    expect(text('.service-preview .service-name')).toBe('Bicycle licence')
    expect(text('.service-preview .service-description')).toBe('Register your bicycle.')
    expect(text('.service-preview .service-duration')).toBe('Duration: 15 min')
    expect(document.querySelector('.service-preview a')).toBeNull()
    // Only the procedures this office may offer: a tax procedure needs an office of kind "tax".
    await waitFor(() => expect([...document.querySelectorAll('#service-procedure option')].map((o) => o.textContent)).toEqual(['None (conversation only)', 'Register']))
    await click(document.querySelector('#service-add-document'))
    await type('#service-required_documents-0-en', 'Invoice of the bicycle')
    await type('#service-duration_minutes', '20')
    expect(text('.service-preview .service-duration')).toBe('Duration: 20 min')
    await submit('form#service-form')
    await waitFor(() => expect(text('#service-status')).toContain('Saved.'))
    expect(api.callsTo('POST /api/admin/services')[0]?.body).toEqual({
      id: 'bike-licence',
      office: 'OMAC',
      name: { en: 'Bicycle licence', ca: 'Llicència de bicicleta' },
      description: { en: 'Register your bicycle.' },
      duration_minutes: 20,
      min_assurance: 'low',
      required_documents: [{ en: 'Invoice of the bicycle' }],
      procedure: null,
      enabled: true,
    })
    expect(await axeViolations()).toEqual([])
  })

  it('shows the appointments that disabling a service would cancel, before saving', async () => {
    const api = await open({
      'PUT /api/admin/services/padron-certificate': (call) =>
        call.url.includes('preview=true')
          ? json({ affected: [{ appointment_id: 'a1', start: '2026-12-01T09:00:00+01:00', service_id: 'padron-certificate', action: 'cancelled' }] })
          : json({ service: { ...SERVICE, enabled: false, version: 3 }, affected: [{ appointment_id: 'a1', start: '2026-12-01T09:00:00+01:00', service_id: 'padron-certificate', action: 'cancelled' }] }),
    })
    await click(document.querySelector('#edit-padron-certificate'))
    expect(text('#service-form-title')).toBe('Service padron-certificate')
    expect(document.querySelector('#service-id')).toBeNull()
    await click(document.querySelector('#service-enabled'))
    await submit('form#service-form')
    await waitFor(() => expect(text('#service-status-preview-list tbody td:last-child')).toBe('Cancelled'))
    expect(api.callsTo('PUT /api/admin/services/padron-certificate')[0]?.body).toMatchObject({ enabled: false, version: 2, procedure: null })
    await click(document.querySelector('#service-status-confirm'))
    await waitFor(() => expect(text('#service-status-done')).toContain('Appointments affected: 1.'))
  })

  it('says in plain words when the identifier is taken (409 already_exists)', async () => {
    await open({ 'POST /api/admin/services': () => problem(409, 'already_exists') })
    await click(document.querySelector('#new-service'))
    await type('#service-id', 'padron-certificate')
    await submit('form#service-form')
    await waitFor(() => expect(text('#service-status')).toBe('The change has not been saved. There is already one with this identifier.'))
  })
})
