import { describe, expect, it, vi } from 'vitest'
import { AGENT, appointment, CITIZEN, slots } from '../test/appointments'
import { click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, text, waitFor } from '../test/page'

const NEW_SLOT = '2026-12-03T12:30:00+01:00'

describe('my appointments', () => {
  pageTest({ zone: 'UTC' })

  it('lists upcoming appointments first, then past and cancelled, linked from the header', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments': () =>
        json({
          items: [
            appointment({ id: 'old', start: '2026-10-01T10:00:00+02:00', end: '2026-10-01T10:15:00+02:00', status: 'completed' }),
            appointment({ id: 'later', start: '2026-12-10T13:00:00+01:00', end: '2026-12-10T13:30:00+01:00', service_id: 'instalment-plan', office: 'OGAT' }),
            appointment({ id: 'soon' }),
            appointment({ id: 'gone', status: 'cancelled' }),
          ],
          next: null,
        }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/', session: signedIn('citizen') })
    const link = await find('header a#my-appointments')
    expect(link.textContent).toBe('Les meves cites')
    await click(link)
    expect(text('h1')).toBe('Les meves cites')
    await waitFor(() => expect(document.querySelectorAll('li.appointment[data-id]')).toHaveLength(4))
    const ids = [...document.querySelectorAll('li.appointment')].map((li) => li.getAttribute('data-id'))
    expect(ids).toEqual(['soon', 'later', 'gone', 'old'])
    const soon = document.querySelector('li.appointment[data-id="soon"]')
    expect(soon?.querySelector('a')?.getAttribute('href')).toBe('/appointments/soon')
    expect(soon?.textContent).toContain('Certificat de padró')
    expect(soon?.textContent).toMatch(/dimarts, 1 de desembre del? 2026, de 09:15 a 09:30/)
    expect(soon?.textContent).toContain('Estat: Reservada')
    expect(text('li.appointment[data-id="gone"]')).toContain('Estat: Anul·lada')
    // Each status a tag of its own colour, with its word.
    const tag = (id: string) => document.querySelector(`li.appointment[data-id="${id}"] .status-tag`)
    expect([tag('soon'), tag('gone'), tag('old')].map((t) => [t?.getAttribute('data-status'), t?.textContent])).toEqual([
      ['booked', 'Reservada'],
      ['cancelled', 'Anul·lada'],
      ['completed', 'Atesa'],
    ])
    expect(text('#upcoming-title')).toBe('Properes cites')
    expect(api.callsTo('GET /api/appointments')[0]?.headers.Authorization).toBe('Bearer token-citizen')
  })

  it('has an empty state that leads to the catalogue', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/appointments': () => json({ items: [], next: null }) })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/appointments', session: signedIn('citizen') })
    await waitFor(() => expect(text('#no-appointments')).toContain('No tiene ninguna cita.'))
    expect(document.querySelector('#no-appointments a')?.getAttribute('href')).toBe('/')
    expect(text('h1')).toBe('Mis citas')
  })

  it('adds the appointment to a calendar: the ICS fetched with the token, downloaded as cita-<id>.ics', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments/appt-1': () => json(appointment()),
      'GET /api/appointments/appt-1/calendar.ics': () =>
        new Response('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', { headers: { 'content-type': 'text/calendar' } }),
    })
    const created: Blob[] = []
    URL.createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob)
      return 'blob:calendar'
    })
    URL.revokeObjectURL = vi.fn()
    const clicked: HTMLAnchorElement[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this)
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('citizen') })
    await click(await find('button#add-to-calendar'))

    await waitFor(() => expect(clicked).toHaveLength(1))
    expect(clicked[0]?.download).toBe('cita-appt-1.ics')
    expect(clicked[0]?.getAttribute('href')).toBe('blob:calendar')
    expect(await created[0]?.text()).toContain('BEGIN:VCALENDAR')
    expect(created[0]?.type).toBe('text/calendar')
    const call = api.callsTo('GET /api/appointments/appt-1/calendar.ics')[0]
    expect(call?.headers.Authorization).toBe('Bearer token-citizen')
    await waitFor(() => expect(liveRegion()).toBe('The calendar file has been downloaded.'))
  })

  it('changing the time: a taken slot keeps the original appointment, and says so', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments/appt-1': () => json(appointment()),
      'GET /api/services/padron-certificate/slots': slots(),
      'POST /api/appointments/appt-1/reschedule': [
        () => problem(409, 'slot_unavailable'),
        () => json(appointment({ start: '2026-12-01T09:00:00+01:00', end: '2026-12-01T09:15:00+01:00' })),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('citizen') })
    await waitFor(() => expect(text('#appointment-status')).toBe('Booked'))
    expect(text('#appointment-when')).toMatch(/^Tuesday,? 1 December 2026, 09:15 to 09:30$/)

    await click(document.querySelector('button#reschedule'))
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#step-day')))
    await click(await find('button.day[data-date="2026-12-03"]'))
    await click(await find(`input[name=slot][value="${NEW_SLOT}"]`))
    await click(document.querySelector('#slot-form button[type=submit]'))
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#reschedule-title')))
    expect(text('#reschedule-new')).toMatch(/^Thursday,? 3 December 2026, 12:30 to 12:45$/)

    await click(document.querySelector('button#confirm-reschedule'))
    await waitFor(() =>
      expect(text('.error-summary li')).toMatch(
        /^That time is no longer free\. Your appointment on Tuesday,? 1 December 2026, 09:15 to 09:30 is kept\.$/,
      ),
    )
    expect(api.callsTo('POST /api/appointments/appt-1/reschedule')[0]?.body).toEqual({ start: NEW_SLOT })
    expect(text('#appointment-status')).toBe('Booked')
    expect(text('#appointment-when')).toMatch(/09:15 to 09:30$/)
    // The times are asked again, and the current one is not offered as a "new" time.
    await waitFor(() => expect(api.callsTo('GET /api/services/padron-certificate/slots')).toHaveLength(2))
    await find('input[name=slot][value="2026-12-03T12:30:00+01:00"]')

    await click(document.querySelector('#slot-form button[type=submit]'))
    expect(text('.error-summary li')).toBe('Choose a time.')
    await click(document.querySelector('button#keep-current'))
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('button#reschedule')))
    await click(document.querySelector('button#reschedule'))
    await click(await find('button.day[data-date="2026-12-01"]'))
    await find('input[name=slot][value="2026-12-01T09:00:00+01:00"]')
    expect(document.querySelector('input[name=slot][value="2026-12-01T09:15:00+01:00"]')).toBeNull()
    await click(document.querySelector('input[name=slot][value="2026-12-01T09:00:00+01:00"]'))
    await click(document.querySelector('#slot-form button[type=submit]'))
    await click(await find('button#confirm-reschedule'))
    await waitFor(() => expect(text('#appointment-when')).toMatch(/09:00 to 09:15$/))
    await waitFor(() => expect(liveRegion()).toMatch(/^Appointment changed: Tuesday,? 1 December 2026, 09:00 to 09:15\.$/))
    // The change is confirmed on the page too, with the next steps for the new time.
    await waitFor(() => expect(document.activeElement?.id).toBe('confirmation-title'))
    expect(text('#confirmation-title')).toBe('Appointment changed')
    expect(text('#confirmation-join')).toContain('from 08:45 (15 minutes before)')
  })

  it('cancels after an inline confirmation', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments/appt-1': () => json(appointment()),
      'POST /api/appointments/appt-1/cancel': () => json(appointment({ status: 'cancelled' })),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/appointments/appt-1', session: signedIn('citizen') })
    const cancel = await find('button#cancel-appointment')
    expect(cancel.textContent).toBe('Anul·lar la cita')
    await click(cancel)
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('#cancel-title')))
    expect(text('#cancel-title')).toBe('Voleu anul·lar aquesta cita?')
    expect(api.callsTo('POST /api/appointments/appt-1/cancel')).toHaveLength(0)

    // "No" keeps it, focus back where it was.
    await click(document.querySelector('button#keep-appointment'))
    await waitFor(() => expect(document.activeElement).toBe(document.querySelector('button#cancel-appointment')))

    await click(document.querySelector('button#cancel-appointment'))
    await click(await find('button#confirm-cancel'))
    await waitFor(() => expect(text('#appointment-status')).toBe('Anul·lada'))
    expect(api.callsTo('POST /api/appointments/appt-1/cancel')[0]?.headers.Authorization).toBe('Bearer token-citizen')
    expect(document.querySelector('button#reschedule')).toBeNull()
    expect(document.querySelector('button#cancel-appointment')).toBeNull()
    await waitFor(() => expect(liveRegion()).toBe('Cita anul·lada.'))
    // A visible confirmation, and the way to book again.
    expect(document.activeElement?.id).toBe('confirmation-title')
    expect(text('#confirmation-title')).toBe('Cita anul·lada')
    expect(text('#confirmation')).toContain("L'hora torna a estar lliure per a altres persones.")
    expect(document.querySelector('#confirmation-book-again')?.getAttribute('href')).toBe('/book/padron-certificate')
    expect(document.querySelector('#appointment-status .status-tag--cancelled')).not.toBeNull()
  })

  it('offers no change or cancellation once the call has started, and says why', async () => {
    const started = appointment({ call: { state: 'in_call', waiting_since: null, room_id: 'r-1', citizen_connected: true, recording: 'recording' } })
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments/appt-1': () => json(started),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('citizen') })
    await waitFor(() =>
      expect(text('#appointment-started')).toBe(
        'The appointment has already started: it can no longer be changed or cancelled.',
      ),
    )
    expect(document.querySelector('button#reschedule')).toBeNull()
    expect(document.querySelector('button#cancel-appointment')).toBeNull()
  })

  it('when the API says the appointment has started meanwhile, says so and hides change and cancel', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments/appt-1': () => json(appointment()),
      'POST /api/appointments/appt-1/cancel': () => problem(409, 'already_started'),
    })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/appointments/appt-1', session: signedIn('citizen') })
    await click(await find('button#cancel-appointment'))
    await click(await find('button#confirm-cancel'))
    await waitFor(() =>
      expect(text('.error-summary li')).toBe('La cita ya ha empezado: ya no se puede cambiar ni anular.'),
    )
    expect(document.querySelector('button#cancel-appointment')).toBeNull()
    expect(document.querySelector('button#reschedule')).toBeNull()
  })

  it('an appointment that needs a new time says so, and offers to change or cancel it (no calendar)', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments/appt-1': () => json(appointment({ status: 'needs_rebooking' })),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('citizen') })
    await waitFor(() => expect(text('#appointment-status')).toBe('Choose another time'))
    expect(text('#appointment-rebook')).toBe(
      'This appointment can no longer take place at the booked time. Choose another time or cancel it.',
    )
    expect(document.querySelector('button#reschedule')).not.toBeNull()
    expect(document.querySelector('button#cancel-appointment')).not.toBeNull()
    expect(document.querySelector('button#add-to-calendar')).toBeNull()
    expect(document.querySelector('#appointment-started')).toBeNull()
  })

  it('says when the appointment is not found', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/nope', session: signedIn('citizen') })
    await waitFor(() => expect(text('h1')).toBe('Appointment not found'))
    expect(document.querySelector('main a[href="/appointments"]')).not.toBeNull()
  })

  it('sends someone not signed in to sign in first', async () => {
    await mountApp({ fetch: routeApi({}).fetch, language: 'en', path: '/appointments' })
    await waitFor(() =>
      expect(window.location.pathname + window.location.search).toBe('/sign-in?return_to=%2Fappointments'),
    )
  })

  it('staff see the agenda link instead', async () => {
    const api = routeApi({ 'GET /api/me': () => json(AGENT) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me', session: signedIn('staff') })
    await waitFor(() => expect(document.querySelector('header a#agenda-link')?.getAttribute('href')).toBe('/agenda'))
    expect(document.querySelector('header a#my-appointments')).toBeNull()
    expect(document.querySelector('main a[href="/agenda"]')?.textContent).toBe('Day agenda')
  })

  it.each([
    ['low', 'otp', true],
    ['substantial', 'idcatmobil', false],
  ])('a citizen signed in at the %s level is told to have their ID document at hand: %s', async (assurance, method, told) => {
    const api = routeApi({
      'GET /api/me': () => json({ ...CITIZEN, assurance, auth_method: method }),
      'GET /api/appointments/appt-1': () => json(appointment()),
      'GET /api/appointments/appt-1/procedures': () => json({ items: [], next: null }),
    })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/appointments/appt-1', session: signedIn('citizen') })
    await find('#appointment-title')
    await waitFor(() => expect(document.querySelector('#call-opens, #go-to-call')).not.toBeNull())
    if (told) {
      await waitFor(() => expect(text('#identity-at-hand')).toContain('Tenga a mano su DNI, NIE o pasaporte'))
    } else {
      expect(document.querySelector('#identity-at-hand')).toBeNull()
    }
  })
})
