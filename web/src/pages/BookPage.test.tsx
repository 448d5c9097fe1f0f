import { describe, expect, it } from 'vitest'
import { AGENT, appointment, CITIZEN, slots, SLOTS } from '../test/appointments'
import {
  byText, click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, text, type, unmountApps,
  waitFor,
} from '../test/page'
import { LANGUAGES } from '../i18n'

const SLOT = '2026-12-01T09:15:00+01:00'

async function chooseDayAndTime(start = SLOT) {
  await click(await find(`button.day[data-date="${start.slice(0, 10)}"]`))
  await click(await find(`input[name=slot][value="${start}"]`))
  await click(document.querySelector('#slot-form button[type=submit]'))
  await find('#step-confirm')
}

describe('booking an appointment', () => {
  // A device far from Madrid: what it shows must still be the council's times.
  pageTest({ zone: 'America/New_York' })

  it('goes day → time → confirmation → the appointment, retrying with the same Idempotency-Key', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/services/padron-certificate/slots': slots(),
      'POST /api/appointments': [
        () => Promise.reject(new TypeError('Failed to fetch')),
        () => json(appointment(), 201),
      ],
      'GET /api/appointments/appt-1': () => json(appointment()),
    })
    await mountApp({
      fetch: api.fetch,
      language: 'en',
      path: '/services/padron-certificate',
      session: signedIn('citizen'),
    })
    const book = await find('a#book-appointment')
    expect(book.textContent).toBe('Book an appointment')
    await click(book)
    expect(window.location.pathname).toBe('/book/padron-certificate')
    expect(text('h1')).toBe('Book an appointment')

    // Step 1: the days with free times, as buttons that say how many.
    const day = await find('button.day[data-date="2026-12-01"]')
    expect(day.textContent).toMatch(/^Tuesday,? 1 December, 2 times available$/)
    expect(text('button.day[data-date="2026-12-03"]')).toContain('1 time available')
    expect(api.callsTo('GET /api/services/padron-certificate/slots')[0]?.url).toBe(
      '/api/services/padron-certificate/slots?from=2026-11-28&to=2026-12-11',
    )
    expect(text('#step-day')).toBe('Step 1 of 3: Choose a day')
    await waitFor(() => expect(liveRegion()).toMatch(/^From Saturday,? 28 November to Friday,? 11 December 2026. Days with available times: 2.$/))

    // Step 2: that day's times, on the council's clock, with the places left.
    await click(day)
    const heading = await find('#step-time')
    expect(document.activeElement).toBe(heading)
    const labels = [...document.querySelectorAll('input[name=slot]')].map((input) =>
      document.querySelector(`label[for="${input.id}"]`)?.textContent,
    )
    expect(labels).toEqual(['09:00, 2 places left', '09:15, 1 place left'])
    await click(byText(document, 'button', 'Continue'))
    expect(text('.error-summary li')).toBe('Choose a time.')
    await click(document.querySelector(`input[name=slot][value="${SLOT}"]`))
    await click(byText(document, 'button', 'Continue'))

    // Step 3: the summary and the contact.
    const confirmHeading = await find('#step-confirm')
    expect(document.activeElement).toBe(confirmHeading)
    expect(text('#booking-summary')).toMatch(/Tuesday,? 1 December 2026/)
    expect(text('#booking-summary')).toContain('09:15 to 09:30')
    expect(text('#booking-summary')).toContain('Citizen Service Office')
    expect(text('#booking-summary')).toContain('15 min')
    expect(text('main')).toContain('Spanish ID card or foreigner ID number')
    expect((document.querySelector('#contact-email') as HTMLInputElement).value).toBe('')
    expect((document.querySelector('#contact-phone') as HTMLInputElement).value).toBe('')

    await type('#contact-email', 'ana@example')
    await click(document.querySelector('button#confirm-booking'))
    expect(text('#contact-email-error')).toBe('Error: Enter an email address like name@example.com.')
    expect(api.callsTo('POST /api/appointments')).toHaveLength(0)

    await type('#contact-email', ' ana@example.com ')
    await click(document.querySelector('button#confirm-booking'))
    await waitFor(() =>
      expect(text('.error-summary li')).toBe('Could not connect to the service. Check your connection and try again.'),
    )
    await click(document.querySelector('button#confirm-booking'))

    await waitFor(() => expect(window.location.pathname).toBe('/appointments/appt-1'))
    const posts = api.callsTo('POST /api/appointments')
    expect(posts).toHaveLength(2)
    expect(posts[0]?.body).toEqual({
      service_id: 'padron-certificate',
      start: SLOT,
      language: 'en',
      contact: { email: 'ana@example.com' },
    })
    expect(posts[0]?.headers.Authorization).toBe('Bearer token-citizen')
    const key = posts[0]?.headers['Idempotency-Key']
    expect(key).toMatch(/^[0-9a-f-]{36}$/)
    expect(posts[1]?.headers['Idempotency-Key']).toBe(key)
    expect(posts[1]?.body).toEqual(posts[0]?.body)

    await waitFor(() => expect(liveRegion()).toBe('Appointment booked.'))
    await waitFor(() => expect(text('#appointment-status')).toBe('Booked'))
    expect(text('h1')).toBe('Residence certificate')
    expect(text('#appointment-when')).toMatch(/^Tuesday,? 1 December 2026, 09:15 to 09:30$/)
    expect(sessionStorage.getItem('va.booking')).toBeNull()
    // Seen, not only heard: the confirmation with what happens next, where focus lands.
    await waitFor(() => expect(document.activeElement?.id).toBe('confirmation-title'))
    expect(text('#confirmation-title')).toBe('Appointment booked')
    expect(text('#confirmation-sent')).toBe('We have sent the details to ana@example.com.')
    expect(text('#confirmation')).toContain('We will remind you a day before and an hour before.')
    expect(text('#confirmation-join')).toBe(
      'On the day, open this page from 09:00 (15 minutes before) and go to the waiting room. ' +
        'Have your camera and microphone ready.',
    )
    expect(document.querySelector('button#confirmation-calendar')?.textContent).toBe('Add to my calendar')
    expect(document.querySelector('#appointment-status .status-tag--booked')).not.toBeNull()
  })

  it('shows the booking confirmation once: a reload of the appointment does not repeat it', async () => {
    sessionStorage.setItem('va.confirmation', JSON.stringify({ id: 'appt-1', kind: 'booked' }))
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/appointments/appt-1': () => json(appointment()) })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/appointments/appt-1', session: signedIn('citizen') })
    await waitFor(() => expect(text('#confirmation-title')).toBe('Cita reservada'))
    expect(text('#confirmation')).toContain('Se lo recordaremos un día antes y una hora antes.')
    unmountApps()

    await mountApp({ fetch: api.fetch, language: 'es', path: '/appointments/appt-1', session: signedIn('citizen') })
    await waitFor(() => expect(text('#appointment-status')).toBe('Reservada'))
    expect(document.querySelector('#confirmation')).toBeNull()
  })

  it('a new booking after an answer gets a new key', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/services/padron-certificate/slots': slots(),
      'POST /api/appointments': [() => problem(409, 'too_many_appointments'), () => json(appointment(), 201)],
      'GET /api/appointments/appt-1': () => json(appointment()),
    })
    const session = { ...signedIn('citizen'), contact: { channel: 'sms' as const, destination: '+34612345678' } }
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/book/padron-certificate', session })
    await chooseDayAndTime()
    // The phone the code reached is offered for the confirmation.
    expect((document.querySelector('#contact-phone') as HTMLInputElement).value).toBe('+34612345678')
    expect(text('#contact-hint')).toContain("amb què us heu identificat")
    await click(document.querySelector('button#confirm-booking'))
    await waitFor(() =>
      expect(text('.error-summary li')).toBe(
        "Heu arribat al màxim de cites pendents. Anul·leu-ne una per demanar-ne una altra. Les meves cites",
      ),
    )
    expect(document.querySelector('.error-summary li a')?.getAttribute('href')).toBe('/appointments')
    await click(document.querySelector('button#confirm-booking'))
    await waitFor(() => expect(window.location.pathname).toBe('/appointments/appt-1'))
    const [first, second] = api.callsTo('POST /api/appointments')
    expect(first?.body?.language).toBe('ca')
    expect(second?.headers['Idempotency-Key']).not.toBe(first?.headers['Idempotency-Key'])
  })

  it('a refusal for too many contacts under one ID number offers phone, office or digital identity', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/services/padron-certificate/slots': slots(),
      'POST /api/appointments': () => problem(409, 'online_limit_reached'),
    })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/book/padron-certificate', session: signedIn('citizen') })
    await chooseDayAndTime()
    await type('#contact-email', 'ana@example.com')
    await click(document.querySelector('button#confirm-booking'))

    await waitFor(() =>
      expect(text('.error-summary li')).toContain(
        'No puede pedir esta cita en línea con este correo o este teléfono. Pídala por teléfono o en persona en la oficina',
      ),
    )
    const link = document.querySelector('.error-summary li a')
    expect(link?.textContent).toBe('Identificarse con la identidad digital (idCAT Mòbil, Cl@ve, certificado)')
    expect(link?.getAttribute('href')).toContain('/auth/eid/start')
  })

  it('says at the field that one contact is needed, before and after asking the API', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/services/padron-certificate/slots': slots(),
      'POST /api/appointments': () =>
        problem(422, 'validation_error', {
          errors: [{ field: 'contact', message: 'give an email address or a phone number for the confirmation' }],
        }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/book/padron-certificate', session: signedIn('citizen') })
    await chooseDayAndTime()
    expect(text('#contact-hint')).toBe('At least one of the two is needed: we will send the confirmation and a reminder there.')

    await click(document.querySelector('button#confirm-booking'))
    const email = document.querySelector('#contact-email')
    await waitFor(() => expect(text('#contact-email-error')).toContain('at least one is needed'))
    expect(email?.getAttribute('aria-invalid')).toBe('true')
    expect(email?.getAttribute('aria-describedby')).toBe('contact-email-error')
    expect(document.activeElement).toBe(document.querySelector('.error-summary'))
    expect(document.querySelector('.error-summary a')?.getAttribute('href')).toBe('#contact-email')
    expect(api.callsTo('POST /api/appointments')).toHaveLength(0)

    // Should the API still say so, it lands at the same field, not as a bare "check the details".
    await type('#contact-email', 'ana@example.com')
    await click(document.querySelector('button#confirm-booking'))
    await waitFor(() => expect(api.callsTo('POST /api/appointments')).toHaveLength(1))
    await waitFor(() => expect(text('#contact-email-error')).toContain('at least one is needed'))
    expect(text('.error-summary')).not.toContain('Check the details')
  })

  it('when someone else takes the time: back to the times, refreshed, and says so', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/services/padron-certificate/slots': [slots(), slots(SLOTS.filter((s) => s.start !== SLOT))],
      'POST /api/appointments': () => problem(409, 'slot_unavailable'),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/book/padron-certificate', session: signedIn('citizen') })
    await chooseDayAndTime()
    await type('#contact-phone', '612 345 678')
    await click(document.querySelector('button#confirm-booking'))

    await waitFor(() =>
      expect(text('.error-summary li')).toBe(
        'That time is no longer free: someone has just booked it. Choose another time.',
      ),
    )
    expect(document.activeElement).toBe(document.querySelector('.error-summary'))
    expect(api.callsTo('POST /api/appointments')[0]?.body?.contact).toEqual({ phone: '+34612345678' })
    await waitFor(() => expect(api.callsTo('GET /api/services/padron-certificate/slots')).toHaveLength(2))
    await find('input[name=slot][value="2026-12-01T09:00:00+01:00"]')
    expect(text('#step-time')).toBe('Step 2 of 3: Choose a time')
    expect(document.querySelector(`input[name=slot][value="${SLOT}"]`)).toBeNull()
    expect(document.querySelector('#confirm-booking')).toBeNull()
  })

  it('says when the citizen already has an appointment for the service, with a link to them', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/services/padron-certificate/slots': slots(),
      'POST /api/appointments': () => problem(409, 'already_booked'),
    })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/book/padron-certificate', session: signedIn('citizen') })
    await chooseDayAndTime()
    await type('#contact-email', 'ana@example.com')
    await click(document.querySelector('button#confirm-booking'))
    await waitFor(() => expect(text('.error-summary li')).toBe('Ya tiene una cita para este trámite. Mis citas'))
    expect(document.querySelector('.error-summary li a')?.getAttribute('href')).toBe('/appointments')
  })

  it('offers the digital identity when the identification level is not enough, and resumes afterwards', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/services/padron-certificate/slots': slots(),
      'POST /api/appointments': () => problem(403, 'insufficient_assurance', { required_assurance: 'high' }),
    })
    const session = { ...signedIn('citizen'), contact: { channel: 'email' as const, destination: 'ana@example.com' } }
    await mountApp({ fetch: api.fetch, language: 'en', path: '/book/padron-certificate', session })
    await chooseDayAndTime()
    expect(document.querySelector('#eid-start')).toBeNull()
    await click(document.querySelector('button#confirm-booking'))

    await waitFor(() =>
      expect(text('.error-summary li')).toBe(
        'To book this appointment you need to sign in with your digital identity: you need a digital certificate ' +
          '(or the electronic DNI).',
      ),
    )
    // No "Confirm" left that cannot work: the digital identity is the way on.
    expect(document.querySelector('button#confirm-booking')).toBeNull()
    expect(text('main').toLowerCase()).not.toMatch(/substantial|high identification/)
    const eid = document.querySelector('a#eid-start')
    expect(eid?.getAttribute('href')).toMatch(/^\/api\/auth\/eid\/start\?return_to=%2Fbook%2Fpadron-certificate&attempt=[\w-]{16,}$/)
    expect(document.querySelector('.error-summary a')?.getAttribute('href')).toBe('#eid-start')
    expect(window.location.pathname).toBe('/book/padron-certificate')
    unmountApps()

    // Back from the identity provider, with a stronger session: the chosen time is still there.
    await mountApp({ fetch: api.fetch, language: 'en', path: '/book/padron-certificate', session: signedIn('citizen') })
    await find('#step-confirm')
    expect(text('#booking-summary')).toContain('09:15 to 09:30')
    await waitFor(() => expect(liveRegion()).toBe('We have kept the day and time you chose.'))
  })

  it('sends someone not signed in straight to the digital identity a service needs, keeping the chosen time', async () => {
    const api = routeApi({ 'GET /api/services/padron-certificate/slots': slots() })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/book/padron-certificate' })
    await chooseDayAndTime()
    expect(document.querySelector('#contact-email')).toBeNull()
    // A code sign-in could not book it: no link to one, plain words on what is needed instead.
    expect(document.querySelector('a#book-sign-in')).toBeNull()
    expect(text('#book-sign-in-notice')).toContain('you need idCAT Mòbil, Cl@ve or a digital certificate')
    expect(document.querySelector('a#eid-start')?.getAttribute('href')).toMatch(
      /^\/api\/auth\/eid\/start\?return_to=%2Fbook%2Fpadron-certificate&attempt=/,
    )
    expect(JSON.parse(sessionStorage.getItem('va.booking') ?? '{}')).toEqual({
      service: 'padron-certificate',
      start: SLOT,
    })
  })

  it('lets staff book for a citizen, checking the DNI/NIE first', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/services/padron-certificate/slots': slots(),
      'POST /api/appointments': () =>
        json(appointment({ citizen: { id_number_masked: '****567L', name: 'Joan Vila' } }), 201),
      'GET /api/appointments/appt-1': () =>
        json(appointment({ citizen: { id_number_masked: '****567L', name: 'Joan Vila' } })),
    })
    await mountApp({
      fetch: api.fetch,
      language: 'ca',
      path: '/book/padron-certificate?for=citizen',
      session: signedIn('staff'),
    })
    expect(text('h1')).toBe('Cita per a una persona')
    await chooseDayAndTime()
    // The citizen's language, each named in itself (and marked so a screen reader says it in that language).
    const options = [...document.querySelectorAll<HTMLOptionElement>('#booking-language option')]
    expect(options.map((o) => [o.value, o.lang, o.textContent]).slice(0, 3)).toEqual([
      ['ca', 'ca', 'Català'],
      ['es', 'es', 'Español'],
      ['en', 'en', 'English'],
    ])
    expect(options.length).toBe(LANGUAGES.length)
    await type('#citizen-id-number', 'X1234567A')
    await click(document.querySelector('button#confirm-booking'))
    expect(text('#citizen-id-number-error')).toBe(
      'Error: La lletra no correspon al número: reviseu el DNI o NIE.',
    )
    expect(text('#contact-email-error')).toBe(
      'Error: Escriviu una adreça de correu electrònic o un número de mòbil: cal almenys un dels dos per enviar-vos ' +
        'la confirmació.',
    )

    await type('#citizen-id-number', 'x1234567-l')
    await type('#citizen-name', 'Joan Vila')
    await type('#contact-email', 'joan@example.com')
    await click(document.querySelector('button#confirm-booking'))
    await waitFor(() => expect(window.location.pathname).toBe('/appointments/appt-1'))
    expect(api.callsTo('POST /api/appointments')[0]?.body).toEqual({
      service_id: 'padron-certificate',
      start: SLOT,
      language: 'ca',
      contact: { email: 'joan@example.com' },
      citizen: { id_number: 'X1234567L', name: 'Joan Vila' },
    })
    expect(api.callsTo('POST /api/appointments')[0]?.headers.Authorization).toBe('Bearer token-staff')
    await waitFor(() => expect(text('main dl')).toContain('****567L · Joan Vila'))
    expect(document.querySelector('#add-to-calendar')).toBeNull()
  })

  it('moves between two-week ranges and by arrow keys between days', async () => {
    const api = routeApi({ 'GET /api/services/padron-certificate/slots': [slots(), slots([])] })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/book/padron-certificate' })
    const first = await find<HTMLButtonElement>('button.day[data-date="2026-12-01"]')
    const previous = byText<HTMLButtonElement>(document, 'button', 'Previous 2 weeks')
    expect(previous.disabled).toBe(true)
    first.focus()
    first.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }))
    expect(document.activeElement).toBe(document.querySelector('button.day[data-date="2026-12-03"]'))

    await click(byText(document, 'button', 'Next 2 weeks'))
    await waitFor(() =>
      expect(text('.empty-state')).toBe('There are no free times in these two weeks. Try the next 2 weeks.'),
    )
    expect(api.callsTo('GET /api/services/padron-certificate/slots')[1]?.url).toContain('from=2026-12-12&to=2026-12-25')
    expect(previous.disabled).toBe(false)
  })
})
