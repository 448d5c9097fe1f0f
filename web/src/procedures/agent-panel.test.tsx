import { describe, expect, it } from 'vitest'
import { act } from 'preact/test-utils'
import { click, find, json, liveRegion, pageTest, problem, submit, text, type, waitFor } from '../test/page'
import {
  AWAITING,
  catchDownloads,
  certificateForm,
  choose,
  DOC,
  DOCUMENT,
  ISSUED,
  openPanel,
  PLAN,
  PLAN_FORM,
  PROVEN_BY_EID,
} from '../test/procedures'

describe('the agent’s procedure panel', () => {
  pageTest({ zone: 'UTC' })

  it('agent: fills in the form from its schema, previews the schedule, sees the API’s field errors, issues', async () => {
    const api = await openPanel('staff', 'en', PLAN_FORM, {
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
    const downloads = catchDownloads()
    const api = await openPanel('staff', 'en', PLAN_FORM, {
      'GET /api/appointments/appt-1/procedures': [
        () => json({ items: [AWAITING], next: null }),
        () => json({ items: [ISSUED], next: null }),
      ],
      'GET /api/documents/doc-1': () => json({ ...DOCUMENT, download_url: 'https://files.test/doc-1.pdf?sig=x' }),
    })
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
    const CERT_FORM = certificateForm([
      { name: 'representative_name', kind: 'text', label: 'Representative', required: true },
      { name: 'authorisation_document', kind: 'file', label: 'Signed authorisation', required: true },
    ])
    const api = await openPanel('staff', 'en', CERT_FORM, {
      'POST /api/appointments/appt-1/attachments': () => json({ id: 'att-1', filename: 'auth.pdf' }, 201),
      'POST /api/appointments/appt-1/procedures': () => json({ ...ISSUED, type: 'residence_certificate' }, 201),
    })
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
    const CERT_FORM = certificateForm(
      [{ name: 'representative_name', kind: 'text', label: 'Representative', required: false }],
      { needs_identity_check: true, identity: null },
    )
    const api = await openPanel('staff', 'en', CERT_FORM, {
      'POST /api/appointments/appt-1/identity-check': () =>
        json({ appointment_id: 'appt-1', method: 'nie_shown', checked_by: 'staff:agent1', checked_at: '2026-12-05T10:00:00Z' }, 201),
      'POST /api/appointments/appt-1/procedures': () => json({ ...ISSUED, type: 'residence_certificate' }, 201),
    })
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
    const CERT_FORM = certificateForm([], PROVEN_BY_EID)
    await openPanel('staff', 'en', CERT_FORM, {
      'POST /api/appointments/appt-1/procedures': () =>
        problem(409, 'already_issued', { procedure_id: 'proc-1', documents: [DOC] }),
    })
    await find('#identity-proven')
    expect(text('#identity-proven')).toBe('Identity proven with the person’s digital identity.')
    expect(document.querySelector('#identity-check')).toBeNull()
    await submit('#procedure-form')
    await waitFor(() =>
      expect(text('#procedure-errors')).toContain('This procedure was already issued in this appointment'),
    )
  })

  it('agent: a file the API refuses for its content is explained in plain words, in the page language', async () => {
    const CERT_FORM = certificateForm(
      [{ name: 'authorisation_document', kind: 'file', label: 'Autorització signada', required: true }],
      { ...PROVEN_BY_EID, title: 'Certificat d’empadronament' },
    )
    await openPanel('staff', 'ca', CERT_FORM, {
      'POST /api/appointments/appt-1/attachments': () =>
        problem(422, 'validation_error', {
          errors: [{ field: 'data_base64', message: 'the PDF contains JavaScript: print it to PDF again' }],
        }),
    })
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
    await openPanel('staff', 'ca')
    await waitFor(() => expect(text('#procedure-none')).toBe('El servei d’aquesta cita no té cap tràmit per emetre des d’aquí.'))
    expect(text('#no-procedures')).toBe('Encara no se n’ha emès cap.')
  })
})
