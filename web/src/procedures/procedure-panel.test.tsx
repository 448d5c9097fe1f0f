import { act } from 'preact/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { AGENT, appointment, CITIZEN } from '../test/appointments'
import { click, find, json, liveRegion, mountApp, problem, routeApi, signedIn, submit, type, waitFor } from '../test/render'
import { pageTest } from '../test/page'

const text = (selector: string) => document.querySelector(selector)?.textContent ?? ''
const last = <T,>(list: T[]) => list[list.length - 1]

async function choose(selector: string, value: string) {
  const select = document.querySelector<HTMLSelectElement>(selector)
  if (!select) throw new Error(`no select ${selector}`)
  await act(() => {
    select.value = value
    select.dispatchEvent(new Event('change', { bubbles: true }))
  })
}

/** Catches the downloads handed to the browser (an <a> clicked), instead of navigating. */
function catchDownloads() {
  const clicked: { href: string; target: string }[] = []
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push({ href: this.href, target: this.target })
  })
  return clicked
}

const PLAN_APPOINTMENT = appointment({
  service_id: 'instalment-plan',
  office: 'OGAT',
  citizen: { id_number_masked: '****678Z', name: 'Anna Puig' },
})

const PLAN_FORM = {
  type: 'instalment_plan',
  title: 'Instalment plan',
  needs_consent: true,
  fields: [
    {
      name: 'debts',
      kind: 'multichoice',
      label: 'Debts',
      help: 'Pending debts of the citizen.',
      required: true,
      options: [
        { value: 'D-1', label: 'IBI 2025 — €700.00', amount_cents: 70000, voluntary_period_end: '2025-07-21' },
        { value: 'D-2', label: 'Waste 2025 — €500.00', amount_cents: 50000, voluntary_period_end: '2025-07-21' },
      ],
    },
    { name: 'fractions', kind: 'integer', label: 'Number of fractions', required: true, min: 2 },
    { name: 'first_due', kind: 'date', label: 'First due date', required: true },
    {
      name: 'day_of_month',
      kind: 'choice',
      label: 'Day of the month',
      required: true,
      options: [
        { value: 5, label: 'The 5th' },
        { value: 20, label: 'The 20th' },
      ],
    },
    { name: 'iban', kind: 'iban', label: 'Account (IBAN)', required: true },
    { name: 'informed', kind: 'boolean', label: 'The citizen has been informed of the conditions', required: true },
  ],
}

const PLAN = {
  items: [
    ['2025-09-05', 102],
    ['2025-10-06', 171],
    ['2025-11-05', 238],
    ['2025-12-05', 305],
    ['2026-01-05', 374],
    ['2026-02-05', 443],
  ].map(([due, interest]) => ({
    due,
    principal_cents: 20000,
    interest_cents: interest,
    total_cents: 20000 + (interest as number),
  })),
  interest_cents: 1633,
  total_cents: 121633,
  guarantee_required: false,
  guarantee_cents: 0,
}

const DOC = { id: 'doc-1', csv: 'A1B2-C3D4-E5F6-G7H8-J9', title: 'Instalment plan resolution' }

const AWAITING = {
  id: 'proc-1',
  type: 'instalment_plan',
  status: 'awaiting_consent',
  summary: {
    title: 'Instalment plan',
    lines: [
      { label: 'Amount', value: '€1,200.00' },
      { label: 'Fractions', value: '6' },
    ],
  },
  documents: [],
}
const ISSUED = { ...AWAITING, status: 'issued', documents: [DOC] }

const DOCUMENT = {
  ...DOC,
  type: 'instalment_plan',
  issued_at: '2026-11-28T10:20:00Z',
  available_until: '2031-11-28',
  sha256: 'a'.repeat(64),
  size: 48213,
  appointment_id: 'appt-1',
}

describe('procedures and documents', () => {
  pageTest({ zone: 'UTC' })

  it('agent: fills in the form from its schema, previews the schedule, sees the API’s field errors, issues', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
      'GET /api/appointments/appt-1/procedure-form': () => json(PLAN_FORM),
      'GET /api/appointments/appt-1/procedures': () => json({ items: [AWAITING], next: null }),
      'POST /api/instalment-plans/preview': () => json(PLAN),
      'POST /api/appointments/appt-1/procedures': [
        () =>
          problem(422, 'validation_error', {
            errors: [{ field: 'data.fractions', message: 'At most 4 fractions for this amount.' }],
          }),
        () => Promise.reject(new TypeError('network down')),
        () => json(AWAITING, 201),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('staff') })
    await find('form#procedure-form')
    expect(text('#procedure-panel > h2')).toBe('Procedure')
    expect(text('#procedure-form-title')).toBe('Instalment plan')
    expect(text('#procedure-consent-note')).toContain('express confirmation')
    expect(text('label[for=pf-fractions]')).toBe('Number of fractions')
    expect(text('#pf-debts-hint')).toBe('Pending debts of the citizen.')
    expect(text('label[for=pf-debts-1]')).toBe('Waste 2025 — €500.00')
    expect(document.querySelector('#pf-first_due')?.getAttribute('type')).toBe('date')
    expect(text('#pf-iban-hint')).toContain('ES91 2100')
    expect(api.callsTo('GET /api/appointments/appt-1/procedure-form')[0]?.headers['Accept-Language']).toBe('en')

    // Nothing filled in: what is missing, in the summary (focused) and at each field.
    await submit('#procedure-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('procedure-errors'))
    expect([...document.querySelectorAll('#procedure-errors li')].map((li) => li.textContent)).toEqual([
      'Choose “Debts”.',
      'Fill in “Number of fractions”.',
      'Fill in “First due date”.',
      'Choose “Day of the month”.',
      'Fill in “Account (IBAN)”.',
      'Tick “The citizen has been informed of the conditions” to continue.',
    ])
    expect(document.querySelector('#procedure-errors a')?.getAttribute('href')).toBe('#pf-debts-0')
    expect(document.querySelector('#pf-fractions')?.getAttribute('aria-invalid')).toBe('true')
    expect(document.querySelector('#pf-fractions')?.getAttribute('aria-describedby')).toBe('pf-fractions-error')
    expect(api.callsTo('POST /api/appointments/appt-1/procedures')).toHaveLength(0)

    // The preview needs only what it reads.
    await click(document.querySelector('#pf-debts-0'))
    await click(document.querySelector('#pf-debts-1'))
    await type('#pf-fractions', '6')
    await type('#pf-first_due', '2025-09-05')
    await choose('#pf-day_of_month', '5')
    await click(document.querySelector('#procedure-preview'))
    await find('#plan-table')
    expect(api.callsTo('POST /api/instalment-plans/preview')[0]?.body).toEqual({
      amount_cents: 120000,
      voluntary_period_end: '2025-07-21',
      fractions: 6,
      first_due: '2025-09-05',
      day_of_month: 5,
      guarantee: 'none',
    })
    expect(document.querySelectorAll('#plan-table tbody tr')).toHaveLength(6)
    const second = [...document.querySelectorAll('#plan-table tbody tr:nth-child(2) > *')].map((c) => c.textContent)
    expect(second).toEqual(['2', '06/10/2025', '€200.00', '€1.71', '€201.71'])
    expect(text('#plan-interest')).toBe('€16.33')
    expect(text('#plan-total')).toBe('€1,216.33')
    expect(text('#plan-totals')).toContain('€1,200.00')
    await waitFor(() => expect(liveRegion()).toBe('Schedule calculated: 6 payments, €1,216.33 in total.'))

    // The IBAN is checked here; the API's own rule comes back at the field.
    await type('#pf-iban', 'ES91 2100 0418 4502 0005 1333')
    await click(document.querySelector('#pf-informed'))
    await submit('#procedure-form')
    await waitFor(() => expect(text('#pf-iban-error')).toBe('Error: “Account (IBAN)”: the IBAN is not valid; check its digits.'))
    await type('#pf-iban', 'es91 2100 0418 4502 0005 1332')
    await submit('#procedure-form')
    await waitFor(() =>
      expect(text('#pf-fractions-error')).toBe('Error: Number of fractions: At most 4 fractions for this amount.'),
    )
    expect(text('#procedure-errors li')).toBe('Number of fractions: At most 4 fractions for this amount.')
    const first = api.callsTo('POST /api/appointments/appt-1/procedures')[0]
    expect(first?.body).toEqual({
      type: 'instalment_plan',
      data: {
        debts: ['D-1', 'D-2'],
        fractions: 6,
        first_due: '2025-09-05',
        day_of_month: 5,
        iban: 'ES9121000418450200051332',
        informed: true,
      },
    })
    expect(first?.headers.Authorization).toBe('Bearer token-staff')

    // Changed: a new request (new key); lost on the way: the retry keeps its key.
    await type('#pf-fractions', '4')
    await submit('#procedure-form')
    await waitFor(() => expect(text('#procedure-errors li')).toContain('Could not connect'))
    await submit('#procedure-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('procedure-result-title'))
    const keys = api.callsTo('POST /api/appointments/appt-1/procedures').map((c) => c.headers['Idempotency-Key'])
    expect(keys).toHaveLength(3)
    expect(keys[1]).not.toBe(keys[0])
    expect(keys[2]).toBe(keys[1])
    expect(text('#procedure-result-title')).toBe('Awaiting the citizen’s confirmation')
    expect(text('#procedure-status')).toContain('confirm it with the code')
    expect(text('#procedure-result dl')).toContain('Fractions6')
    expect(document.querySelector('#procedure-form')).toBeNull()
    await waitFor(() =>
      expect(text('#procedure-list li.procedure[data-id="proc-1"]')).toBe(
        'Instalment plan · Awaiting the citizen’s confirmation',
      ),
    )
  })

  it('agent: while the citizen has to confirm, the list is asked again every 5 s, then shows the documents', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
      'GET /api/appointments/appt-1/procedure-form': () => json(PLAN_FORM),
      'GET /api/appointments/appt-1/procedures': [
        () => json({ items: [AWAITING], next: null }),
        () => json({ items: [ISSUED], next: null }),
      ],
      'GET /api/documents/doc-1': () => json({ ...DOCUMENT, download_url: 'https://files.test/doc-1.pdf?sig=x' }),
    })
    const downloads = catchDownloads()
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('staff') })
    await waitFor(() => expect(text('#procedure-list li.procedure')).toContain('Awaiting'))
    await waitFor(() => expect(text('#procedure-list li.procedure')).toContain('Issued'), 7000)
    expect(api.callsTo('GET /api/appointments/appt-1/procedures')).toHaveLength(2)
    const item = document.querySelector('#procedure-list li.procedure[data-status=issued]')
    expect(item?.querySelector('.procedure-document')?.getAttribute('data-csv')).toBe(DOC.csv)
    const download = await find('#list-download-doc-1')
    expect(download.textContent).toBe('Download Instalment plan resolution')
    await click(download)
    await waitFor(() => expect(downloads).toEqual([{ href: 'https://files.test/doc-1.pdf?sig=x', target: '_blank' }]))
    // Nothing waits any more: no more asking.
    await act(() => new Promise((resolve) => setTimeout(resolve, 100)))
    expect(api.callsTo('GET /api/appointments/appt-1/procedures')).toHaveLength(2)
  }, 15_000)

  it('agent: a signed authorisation is attached from a file and its id goes with the procedure', async () => {
    const CERT_FORM = {
      type: 'residence_certificate',
      title: 'Certificate of registered residence',
      needs_consent: false,
      fields: [
        { name: 'representative_name', kind: 'text', label: 'Representative', required: true },
        { name: 'authorisation_document', kind: 'file', label: 'Signed authorisation', required: true },
      ],
    }
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
      'GET /api/appointments/appt-1/procedure-form': () => json(CERT_FORM),
      'GET /api/appointments/appt-1/procedures': () => json({ items: [], next: null }),
      'POST /api/appointments/appt-1/attachments': () => json({ id: 'att-1', filename: 'auth.pdf' }, 201),
      'POST /api/appointments/appt-1/procedures': () => json({ ...ISSUED, type: 'residence_certificate' }, 201),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('staff') })
    await find('form#procedure-form')
    const input = document.querySelector('#pf-authorisation_document') as HTMLInputElement
    expect(input.getAttribute('type')).toBe('file')
    expect(input.getAttribute('accept')).toBe('application/pdf,image/jpeg,image/png')

    // Not a PDF or image: refused here, nothing sent.
    Object.defineProperty(input, 'files', { value: [new File(['x'], 'notes.txt', { type: 'text/plain' })], configurable: true })
    input.dispatchEvent(new Event('change', { bubbles: true }))
    await waitFor(() => expect(text('#pf-authorisation_document-status')).toContain('could not be attached'))
    expect(api.callsTo('POST /api/appointments/appt-1/attachments')).toHaveLength(0)

    Object.defineProperty(input, 'files', {
      value: [new File(['%PDF-1.4 signed'], 'auth.pdf', { type: 'application/pdf' })],
      configurable: true,
    })
    input.dispatchEvent(new Event('change', { bubbles: true }))
    await waitFor(() => expect(text('#pf-authorisation_document-status')).toBe('auth.pdf attached.'))
    const sent = api.callsTo('POST /api/appointments/appt-1/attachments')[0]?.body
    expect(sent?.filename).toBe('auth.pdf')
    expect(sent?.content_type).toBe('application/pdf')
    expect(atob(String(sent?.data_base64))).toBe('%PDF-1.4 signed')

    await type('#pf-representative_name', 'Jordi Sala')
    await submit('#procedure-form')
    await waitFor(() => expect(api.callsTo('POST /api/appointments/appt-1/procedures')).toHaveLength(1))
    const issued = api.callsTo('POST /api/appointments/appt-1/procedures')[0]?.body
    expect(issued?.data).toEqual({ representative_name: 'Jordi Sala', authorisation_document: 'att-1' })
  })

  it('agent: a document with personal data waits for the identity check before “Issue” is enabled', async () => {
    const CERT_FORM = {
      type: 'residence_certificate',
      title: 'Certificate of registered residence',
      needs_consent: false,
      needs_identity_check: true,
      identity: null,
      fields: [{ name: 'representative_name', kind: 'text', label: 'Representative', required: false }],
    }
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
      'GET /api/appointments/appt-1/procedure-form': () => json(CERT_FORM),
      'GET /api/appointments/appt-1/procedures': () => json({ items: [], next: null }),
      'POST /api/appointments/appt-1/identity-check': () =>
        json({ appointment_id: 'appt-1', method: 'nie_shown', checked_by: 'staff:agent1', checked_at: '2026-12-05T10:00:00Z' }, 201),
      'POST /api/appointments/appt-1/procedures': () => json({ ...ISSUED, type: 'residence_certificate' }, 201),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('staff') })
    await find('#identity-check')
    expect(text('#idc-ask')).toBe('Ask the person to show their DNI, NIE or passport to the camera; compare the photo and the number.')
    const issue = document.querySelector('#procedure-issue') as HTMLButtonElement
    expect(issue.disabled).toBe(true)

    // Nothing chosen: said at each field, nothing sent.
    await click(document.querySelector('#idc-record'))
    await waitFor(() => expect(text('#idc-method-error')).toContain('Choose the document the person showed.'))
    expect(text('#idc-matches-error')).toContain('Tick this only if the photo and the number match.')
    expect(api.callsTo('POST /api/appointments/appt-1/identity-check')).toHaveLength(0)

    await click(document.querySelector('#idc-nie_shown'))
    await click(document.querySelector('#idc-matches'))
    await click(document.querySelector('#idc-record'))
    await waitFor(() => expect(text('#identity-proven')).toBe('Identity checked: they showed their NIE in the video call.'))
    expect(api.callsTo('POST /api/appointments/appt-1/identity-check')[0]?.body).toEqual({ method: 'nie_shown', matches: true })
    expect((document.querySelector('#procedure-issue') as HTMLButtonElement).disabled).toBe(false)

    await submit('#procedure-form')
    await waitFor(() => expect(api.callsTo('POST /api/appointments/appt-1/procedures')).toHaveLength(1))
    const sent = api.callsTo('POST /api/appointments/appt-1/procedures')[0]
    expect(sent?.headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('agent: a second issue of the same procedure is said plainly, not as a closed appointment', async () => {
    const CERT_FORM = {
      type: 'residence_certificate',
      title: 'Certificate of registered residence',
      needs_consent: false,
      needs_identity_check: false,
      identity: { basis: 'eid', level: 'substantial' },
      fields: [],
    }
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
      'GET /api/appointments/appt-1/procedure-form': () => json(CERT_FORM),
      'GET /api/appointments/appt-1/procedures': () => json({ items: [], next: null }),
      'POST /api/appointments/appt-1/procedures': () =>
        problem(409, 'already_issued', { procedure_id: 'proc-1', documents: [DOC] }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/appointments/appt-1', session: signedIn('staff') })
    await find('#identity-proven')
    expect(text('#identity-proven')).toBe('Identity proven with the person’s digital identity.')
    expect(document.querySelector('#identity-check')).toBeNull()
    await submit('#procedure-form')
    await waitFor(() =>
      expect(text('#procedure-errors')).toContain('This procedure was already issued in this appointment'),
    )
  })

  it('agent: a file the API refuses for its content is explained in plain words, in the page language', async () => {
    const CERT_FORM = {
      type: 'residence_certificate',
      title: 'Certificat d’empadronament',
      needs_consent: false,
      needs_identity_check: false,
      identity: { basis: 'eid', level: 'substantial' },
      fields: [{ name: 'authorisation_document', kind: 'file', label: 'Autorització signada', required: true }],
    }
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
      'GET /api/appointments/appt-1/procedure-form': () => json(CERT_FORM),
      'GET /api/appointments/appt-1/procedures': () => json({ items: [], next: null }),
      'POST /api/appointments/appt-1/attachments': () =>
        problem(422, 'validation_error', {
          errors: [{ field: 'data_base64', message: 'the PDF contains JavaScript: print it to PDF again' }],
        }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/appointments/appt-1', session: signedIn('staff') })
    await find('form#procedure-form')
    const input = document.querySelector('#pf-authorisation_document') as HTMLInputElement
    Object.defineProperty(input, 'files', {
      value: [new File(['%PDF-1.7 with a script'], 'autoritzacio.pdf', { type: 'application/pdf' })],
      configurable: true,
    })
    input.dispatchEvent(new Event('change', { bubbles: true }))
    await waitFor(() => expect(text('#pf-authorisation_document-status')).toContain("No s'ha acceptat autoritzacio.pdf"))
    expect(text('#pf-authorisation_document-status')).toContain('JavaScript')
    expect(text('#pf-authorisation_document-status')).not.toContain('print it')
  })


  it('agent: a service without a procedure says so', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AGENT),
      'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
      'GET /api/appointments/appt-1/procedures': () => json({ items: [], next: null }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/appointments/appt-1', session: signedIn('staff') })
    await waitFor(() => expect(text('#procedure-none')).toBe('El servei d’aquesta cita no té cap tràmit per emetre des d’aquí.'))
    expect(text('#no-procedures')).toBe('Encara no se n’ha emès cap.')
  })

  it('citizen: confirms what the agent prepared with a one-time code, then downloads the document', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
      'GET /api/appointments/appt-1/procedures': () => json({ items: [AWAITING], next: null }),
      'POST /api/procedures/proc-1/confirm': [
        () => json({ challenge_id: 'ch-1', channel: 'email', expires_in: 600 }, 202),
        () => problem(401, 'invalid_code', { attempts_left: 2 }),
        () => problem(429, 'rate_limited', {}, { 'Retry-After': '120' }),
        () => json(ISSUED),
      ],
      'GET /api/documents/doc-1': () => json({ ...DOCUMENT, download_url: 'https://files.test/doc-1.pdf?sig=y' }),
    })
    const downloads = catchDownloads()
    await mountApp({ fetch: api.fetch, language: 'es', path: '/appointments/appt-1', session: signedIn('citizen') })
    await find('#consent-proc-1')
    expect(text('#procedure-title')).toBe('Sus trámites')
    expect(text('#consent-proc-1-title')).toBe('Instalment plan')
    expect(text('#consent-proc-1 dl')).toContain('Amount€1,200.00')
    expect(text('#consent-proc-1')).toContain('Se necesita su confirmación.')

    await click(document.querySelector('#consent-proc-1-send'))
    await waitFor(() => expect(document.activeElement?.id).toBe('consent-proc-1-form-title'))
    expect(api.callsTo('POST /api/procedures/proc-1/confirm')[0]?.body).toBeUndefined()
    expect(text('#consent-proc-1 .otp-sent')).toBe('Le hemos enviado un código por correo electrónico.')

    await submit('#consent-proc-1-form')
    expect(text('#consent-proc-1-code-error')).toBe('Error: Escriba el código que ha recibido.')
    await type('#consent-proc-1-code', '123456')
    await submit('#consent-proc-1-form')
    await waitFor(() => expect(text('#consent-proc-1-code-error')).toBe('Error: El código no es correcto. Intentos restantes: 2.'))
    // A wrong code is not the end of the session.
    expect(sessionStorage.length).toBeGreaterThan(0)
    expect(window.location.pathname).toBe('/appointments/appt-1')
    await submit('#consent-proc-1-form')
    await waitFor(() => expect(text('#consent-proc-1-code-error')).toBe('Error: Demasiados intentos. Vuelva a intentarlo dentro de 2 min.'))
    await type('#consent-proc-1-code', ' 654 321 ')
    await submit('#consent-proc-1-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('procedure-proc-1-title'))
    expect(api.callsTo('POST /api/procedures/proc-1/confirm')[3]?.body).toEqual({ challenge_id: 'ch-1', code: '654321' })
    expect(document.querySelector('li.procedure[data-id="proc-1"]')?.getAttribute('data-status')).toBe('issued')
    expect(text('li.procedure[data-id="proc-1"] .procedure__status')).toBe('Emitido')
    await waitFor(() => expect(liveRegion()).toBe('Trámite confirmado. Ya puede descargar los documentos.'))
    await click(await find('#download-doc-1'))
    await waitFor(() => expect(downloads).toHaveLength(1))
    expect(downloads[0]?.href).toBe('https://files.test/doc-1.pdf?sig=y')
    expect(api.callsTo('GET /api/documents/doc-1')[0]?.headers.Authorization).toBe('Bearer token-citizen')
  })

  it('my documents: linked from the citizen’s header, each with its issue date, CSV and download', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/documents': () => json({ items: [DOCUMENT], next: null }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/', session: signedIn('citizen') })
    const link = await find('header a#my-documents')
    expect(link.textContent).toBe('Els meus documents')
    await click(link)
    expect(text('h1')).toBe('Els meus documents')
    const card = await find('li.document-card[data-id="doc-1"]')
    expect(card.querySelector('h2')?.textContent).toBe('Instalment plan resolution')
    expect(card.textContent).toContain('A1B2-C3D4-E5F6-G7H8-J9')
    expect(card.textContent).toMatch(/dissabte, 28 de novembre del? 2026, 11:20/)
    expect(card.querySelector('#download-doc-1')).not.toBeNull()
    expect(document.querySelector('main a[href="/verify"]')?.textContent).toBe('Verificació de documents')
    await waitFor(() => expect(liveRegion()).toBe('Documents: 1.'))
  })

  it('my documents: an empty state', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/documents': () => json({ items: [], next: null }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/documents', session: signedIn('citizen') })
    await waitFor(() => expect(text('#no-documents')).toBe('You have no documents yet.'))
  })

  it('verify: anyone checks a CSV as typed, with the holder’s ID number, and gets the original', async () => {
    const api = routeApi({
      'GET /api/verify/SP7HD-BFS3D-TR98H-6BCFN-M1': [
        () => problem(404, 'not_found'),
        () => json({ ...DOCUMENT, office: 'OGAT', download_url: 'https://files.test/doc-1.pdf?sig=z' }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/' })
    await click(await find('footer a#verify-link'))
    expect(text('h1')).toBe('Verify a document')
    expect(text('#verify-id-number-hint')).toContain('Only for residence certificates')

    await submit('#verify-form')
    expect(text('#verify-csv-error')).toBe('Error: Enter the secure verification code.')
    // One character copied wrong: its check characters tell, at the field, before any lookup.
    await type('#verify-csv', ' sp7hd-bfs3d-tr98h-6bcfn-m2 ')
    await submit('#verify-form')
    expect(text('#verify-csv-error')).toContain('A character of this code is not right')
    expect(document.querySelector('#verify-csv')?.getAttribute('aria-invalid')).toBe('true')
    expect(api.calls.filter((c) => c.url.startsWith('/api/verify'))).toHaveLength(0)

    await type('#verify-csv', ' sp7hd-bfs3d-tr98h-6bcfn-m1 ')
    await submit('#verify-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('verify-result-title'))
    expect(text('#verify-result-title')).toBe('No document found')
    expect(text('#verify-not-found')).toContain('There is no document with that code (or the ID number does not match')
    expect(text('#verify-not-found')).toContain('enter the holder’s ID number too')
    expect(last(api.calls)?.url).toBe('/api/verify/SP7HD-BFS3D-TR98H-6BCFN-M1')
    expect(last(api.calls)?.headers.Authorization).toBeUndefined()

    await type('#verify-id-number', '12345678-z')
    await submit('#verify-form')
    await waitFor(() => expect(text('#verify-result-title')).toBe('Authentic document'))
    expect(last(api.calls)?.url).toBe('/api/verify/SP7HD-BFS3D-TR98H-6BCFN-M1?id_number=12345678Z')
    expect(text('#verify-doc-title')).toBe('Instalment plan resolution')
    expect(text('#verify-office')).toBe('Tax Office')
    expect(text('#verify-checked')).toContain('its holder is the person with the DNI or NIE given')
    expect(text('#verify-sha256')).toBe('a'.repeat(64))
    expect(text('#verify-issued')).toMatch(/28 November 2026, 11:20/)
    expect(text('#verify-available')).toMatch(/28 November 2031/)
    expect(document.querySelector('#verify-download')?.getAttribute('href')).toBe('https://files.test/doc-1.pdf?sig=z')
  })

  it('verify: the QR of a residence certificate asks for the holder’s ID number first, at its field', async () => {
    const api = routeApi({
      'GET /api/verify/SP7HD-BFS3D-TR98H-6BCFN-M1': [
        () =>
          problem(422, 'validation_error', {
            errors: [{ field: 'id_number', message: "this document has personal data: give its holder's DNI or NIE too" }],
          }),
        () => json({ ...DOCUMENT, office: 'OMAC', download_url: 'https://files.test/doc-1.pdf' }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/verify/SP7HD-BFS3D-TR98H-6BCFN-M1' })
    await waitFor(() =>
      expect(text('#verify-id-number-error')).toBe(
        'Error: Aquest document conté dades personals: escriviu també el DNI o NIE de la persona titular per veure’l.',
      ),
    )
    expect(document.querySelector('#verify-id-number')?.getAttribute('aria-invalid')).toBe('true')
    expect(document.querySelector('#verify-not-found')).toBeNull()
    expect(document.querySelector('.error-summary a')?.getAttribute('href')).toBe('#verify-id-number')

    await type('#verify-id-number', '12345678Z')
    await submit('#verify-form')
    await waitFor(() => expect(text('#verify-result-title')).toBe('Document autèntic'))
    expect(text('#verify-office')).toBe("Oficina Municipal d'Atenció Ciutadana")
  })

  it('verify: the address with the code checks it at once; too many lookups are said plainly', async () => {
    const api = routeApi({
      'GET /api/verify/2GAC6GY109Y4T71RDEY4X1': [
        () => json({ ...DOCUMENT, download_url: 'https://files.test/doc-1.pdf' }),
        () => problem(429, 'rate_limited', {}, { 'Retry-After': '60' }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/verify/2GAC6GY109Y4T71RDEY4X1' })
    await waitFor(() => expect(text('#verify-result-title')).toBe('Document autèntic'))
    expect((document.querySelector('#verify-csv') as HTMLInputElement).value).toBe('2GAC6GY109Y4T71RDEY4X1')
    await submit('#verify-form')
    await waitFor(() => expect(text('#verify-errors li')).toBe("Massa intents. Torneu-ho a provar d'aquí a 1 min."))

    await type('#verify-csv', 'hello')
    await type('#verify-id-number', '12.345.678')
    await submit('#verify-form')
    expect(text('#verify-csv-error')).toBe('Error: Aquest codi no té el format d’un CSV: reviseu-lo.')
    expect(text('#verify-id-number-error')).toBe(
      'Error: Escriviu el número tal com surt al document d’identitat (lletres i xifres).',
    )
    expect(api.callsTo('GET /api/verify/2GAC6GY109Y4T71RDEY4X1')).toHaveLength(2)
  })
})
