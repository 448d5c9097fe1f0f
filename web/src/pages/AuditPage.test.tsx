import { describe, expect, it, vi } from 'vitest'
import { axeViolations } from '../test/axe'
import {
  byText, click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, submit, text, type,
  waitFor,
} from '../test/page'

const AUDITOR = { kind: 'staff', username: 'auditor1', name: 'Marta Vidal', roles: ['auditor'], office: null }
const AGENT = { kind: 'staff', username: 'agent1', name: 'Pere Soler', roles: ['agent'], office: 'OMAC' }

function event(n: number, extra: Record<string, unknown> = {}) {
  return {
    id: `ev-${n}`,
    at: '2026-11-28T09:00:05Z',
    actor: 'staff:anna.puig',
    role: 'agent',
    action: 'register.read',
    subject: 'citizen:p-0123456789abcdef0123456789abcdef',
    outcome: 'success',
    purpose: 'residence certificate',
    request_id: `req-${n}`,
    source_ip: '10.0.0.1',
    details: {},
    data_subject: 'p-0123456789abcdef0123456789abcdef',
    ...extra,
  }
}

const REPORT = {
  ok: true,
  from: '2026-11-28',
  to: '2026-11-28',
  digests: 24,
  log_files: 37,
  events: 412,
  problems: [],
  verified_at: '2026-11-28T10:00:00Z',
}

describe('the audit trail page', () => {
  pageTest({ zone: 'UTC' })

  it('is linked from the staff area for auditors, and from the navigation', async () => {
    const api = routeApi({ 'GET /api/me': () => json(AUDITOR) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me', session: signedIn('staff') })
    const link = await find<HTMLAnchorElement>('main a#staff-audit-link')
    expect(link.getAttribute('href')).toBe('/staff/audit')
    expect(text('nav a#audit-link')).toBe('Audit trail')
    expect(document.querySelector('main a#staff-recordings-link')).toBeNull()
    await click(link)
    await waitFor(() => expect(text('h1#audit-title')).toBe('Audit trail'))
    await waitFor(() => expect(document.querySelector('form#audit-search')).not.toBeNull())
    await waitFor(() => expect(document.activeElement?.id).toBe('audit-title'))
  })

  it('searches a period, shows the events on the council’s clock in a table, and loads more with the cursor', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AUDITOR),
      'GET /api/audit/events': [
        () => json({ items: [event(1), event(2, { role: 'supervisor', action: 'recording.playback', outcome: 'denied', purpose: null })], next: 'cursor-2' }),
        () => json({ items: [event(3, { at: '2026-11-27T23:30:00Z', actor: 'system:retention', role: 'system', purpose: '' })], next: null }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/audit', session: signedIn('staff') })
    expect((await find<HTMLInputElement>('#audit-from')).value).toBe('2026-11-28')
    expect((document.querySelector('#audit-to') as HTMLInputElement).value).toBe('2026-11-28')
    expect(text('label[for="audit-subject"]')).toBe('Subject (optional)')
    expect(text('#audit-subject-hint')).toContain('DNI or NIE')
    expect(document.querySelector('#audit-subject')?.getAttribute('aria-describedby')).toBe('audit-subject-hint')

    await type('#audit-subject', ' 12345678Z ')
    await submit('form#audit-search')
    const table = await find('[data-testid="audit-results"]')
    await waitFor(() => expect(table.querySelectorAll('tbody tr')).toHaveLength(2))
    const call = api.callsTo('GET /api/audit/events')[0]
    expect(call?.url).toBe('/api/audit/events?from=2026-11-28&to=2026-11-28&subject=12345678Z')
    expect(call?.headers.Authorization).toBe('Bearer token-staff')
    expect(text('[data-testid="audit-results"] caption')).toMatch(
      /^Events from Saturday,? 28 November 2026 to Saturday,? 28 November 2026, newest first$/,
    )
    expect([...table.querySelectorAll('thead th')].map((th) => [th.textContent, th.getAttribute('scope')])).toEqual([
      ['Time (Madrid)', 'col'],
      ['Actor', 'col'],
      ['Role', 'col'],
      ['Action', 'col'],
      ['Subject', 'col'],
      ['Outcome', 'col'],
      ['Purpose', 'col'],
    ])
    const first = [...table.querySelectorAll('tbody tr')][0]
    // 09:00:05 UTC is 10:00:05 in Madrid, though the device is set to UTC.
    expect([...(first?.children ?? [])].map((cell) => cell.textContent)).toEqual([
      '28/11/2026, 10:00:05',
      'staff:anna.puig',
      'Service agent',
      // In words first; the code after it is what the action field searches for.
      'Municipal or tax register looked upregister.read',
      'citizen:p-0123456789abcdef0123456789abcdef',
      'Success',
      'Residence certificate',
    ])
    expect(first?.querySelector('th')?.getAttribute('scope')).toBe('row')
    const second = [...table.querySelectorAll('tbody tr')][1]
    expect([...(second?.children ?? [])].map((cell) => cell.textContent).slice(2)).toEqual([
      'Supervisor',
      'Recording playedrecording.playback',
      'citizen:p-0123456789abcdef0123456789abcdef',
      'Denied',
      '—',
    ])
    await waitFor(() => expect(liveRegion()).toBe('Events found: 2.'))
    expect(text('#audit-shown')).toBe('Showing 2 events.')

    await click(byText(document, 'button', 'Load more'))
    await waitFor(() => expect(table.querySelectorAll('tbody tr')).toHaveLength(3))
    expect(api.callsTo('GET /api/audit/events')[1]?.url).toBe(
      '/api/audit/events?from=2026-11-28&to=2026-11-28&subject=12345678Z&cursor=cursor-2',
    )
    expect(text('#audit-event-2')).toBe('28/11/2026, 00:30:00')
    expect(document.activeElement?.id).toBe('audit-event-2')
    expect(document.querySelector('#audit-more')).toBeNull()
    await waitFor(() => expect(liveRegion()).toBe('More events loaded: 1.'))
  })

  it('says when nothing matches, and when the search failed (with Retry)', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AUDITOR),
      'GET /api/audit/events': [() => json({ items: [], next: null }), () => problem(500, 'internal'), () => json({ items: [event(1)], next: null })],
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/staff/audit', session: signedIn('staff') })
    await find('form#audit-search')
    await submit('form#audit-search')
    await waitFor(() => expect(text('#audit-empty')).toBe('Cap esdeveniment no coincideix amb la cerca.'))
    await submit('form#audit-search')
    await waitFor(() => expect(text('.error-state h2')).toBe("No s'han pogut carregar els esdeveniments."))
    await click(byText(document, 'button', 'Torneu-ho a provar'))
    await waitFor(() => expect(document.querySelectorAll('[data-testid="audit-results"] tbody tr')).toHaveLength(1))
  })

  it('checks the period before asking: the end not before the start, at most 31 days', async () => {
    const api = routeApi({ 'GET /api/me': () => json(AUDITOR), 'GET /api/audit/events': () => json({ items: [], next: null }) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/audit', session: signedIn('staff') })
    await find('form#audit-search')
    await type('#audit-from', '2026-11-28')
    await type('#audit-to', '2026-11-20')
    await submit('form#audit-search')
    await waitFor(() => expect(text('#audit-to-error')).toBe('Error: The end date cannot be before the start date.'))
    expect(document.activeElement?.id).toBe('audit-errors')
    expect(document.querySelector('#audit-to')?.getAttribute('aria-invalid')).toBe('true')

    await type('#audit-from', '2026-10-01')
    await type('#audit-to', '2026-11-01')
    await click(document.querySelector('#verify-trail'))
    await waitFor(() => expect(text('#audit-to-error')).toBe('Error: The period can be at most 31 days.'))
    expect(api.calls.filter((c) => c.url.startsWith('/api/audit/'))).toHaveLength(0)

    await type('#audit-to', '2026-10-31')
    await submit('form#audit-search')
    await waitFor(() => expect(api.callsTo('GET /api/audit/events')).toHaveLength(1))
    expect(document.querySelector('#audit-to-error')).toBeNull()
  })

  it('verifies the trail of the period: progress while it runs, then “no problems”', async () => {
    let finish: (response: Response) => void = () => undefined
    const api = routeApi({
      'GET /api/me': () => json(AUDITOR),
      'POST /api/audit/verify': () => new Promise<Response>((resolve) => (finish = resolve)),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/audit', session: signedIn('staff') })
    const region = await find('[data-testid="verify-result"]')
    expect(region.getAttribute('aria-live')).toBe('polite')
    await click(byText(document, 'button', 'Verify the trail'))
    await waitFor(() => expect(region.querySelector('progress')).not.toBeNull())
    expect(region.textContent).toMatch(
      /^Verifying the trail from Saturday,? 28 November 2026 to Saturday,? 28 November 2026… This may take a while\.$/,
    )
    expect(document.querySelector('#verify-trail')?.getAttribute('aria-disabled')).toBe('true')
    expect(api.callsTo('POST /api/audit/verify')[0]?.body).toEqual({ from: '2026-11-28', to: '2026-11-28' })

    finish(json(REPORT))
    await waitFor(() => expect(region.querySelector('progress')).toBeNull())
    expect(text('#verify-summary')).toBe('Verified: 24 digests, 37 log files, 412 events — no problems.')
    expect(region.querySelector('ul')).toBeNull()
    expect(document.querySelector('#verify-trail')?.getAttribute('aria-disabled')).toBeNull()
  })

  it('lists each problem the verification found, in words, with the object key', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AUDITOR),
      'POST /api/audit/verify': () =>
        json({
          ...REPORT,
          ok: false,
          problems: [
            {
              category: 'log_file_hash_mismatch',
              bucket: 'va-trail',
              key: 'AWSLogs/trail/2026/11/28/log-0007.json.gz',
              detail: 'sha256 differs',
              found_at: '2026-11-28T10:00:00Z',
            },
            { category: 'chain_gap', bucket: 'va-trail', key: 'digests/2026/11/28/digest-0004.json.gz', detail: '' },
            { category: 'something_new', bucket: '', key: 'x/y', detail: '' },
          ],
        }),
    })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/staff/audit', session: signedIn('staff') })
    await click(await find('#verify-trail'))
    const region = await find('[data-testid="verify-result"]')
    await waitFor(() => expect(region.querySelectorAll('li')).toHaveLength(3))
    expect(text('#verify-summary')).toBe(
      'La verificación ha encontrado 3 problemas (revisados 24 resúmenes, 37 ficheros de registro, 412 eventos).',
    )
    const items = [...region.querySelectorAll('li')].map((li) => li.textContent)
    expect(items[0]).toBe(
      'Un fichero del registro se ha modificadoObjeto: va-trail/AWSLogs/trail/2026/11/28/log-0007.json.gzDetalle: sha256 differs',
    )
    expect(items[1]).toBe(
      'Falta un eslabón en la cadena de resúmenes (hay un hueco)Objeto: va-trail/digests/2026/11/28/digest-0004.json.gz',
    )
    expect(items[2]).toBe('something_newObjeto: x/y')
  })

  it('says when the verification could not run', async () => {
    const api = routeApi({ 'GET /api/me': () => json(AUDITOR), 'POST /api/audit/verify': () => problem(503, 'unavailable') })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/audit', session: signedIn('staff') })
    await click(await find('#verify-trail'))
    await waitFor(() =>
      expect(text('[data-testid="verify-result"]')).toBe(
        'The trail could not be verified.The service is briefly unavailable. What you typed is kept: try again in a minute.',
      ),
    )
  })

  it('exports the period as a file fetched with the token', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AUDITOR),
      'GET /api/audit/export': () =>
        new Response('{"id":"ev-1"}\n', {
          headers: {
            'content-type': 'application/x-ndjson',
            'content-disposition': 'attachment; filename="audit-2026-11-28-2026-11-28.ndjson"',
          },
        }),
    })
    const created: Blob[] = []
    URL.createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob)
      return 'blob:audit'
    })
    URL.revokeObjectURL = vi.fn()
    const clicked: HTMLAnchorElement[] = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this)
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/audit', session: signedIn('staff') })
    await find('#audit-from')
    await type('#audit-from', '2026-11-20')
    await click(await find('#export-trail'))
    await waitFor(() => expect(clicked).toHaveLength(1))
    const call = api.callsTo('GET /api/audit/export')[0]
    expect(call?.url).toBe('/api/audit/export?from=2026-11-20&to=2026-11-28')
    expect(call?.headers.Authorization).toBe('Bearer token-staff')
    expect(clicked[0]?.download).toBe('audit-2026-11-20-2026-11-28.ndjson')
    expect(clicked[0]?.getAttribute('href')).toBe('blob:audit')
    expect(await created[0]?.text()).toBe('{"id":"ev-1"}\n')
    await waitFor(() => expect(text('#export-status')).toBe('The file audit-2026-11-20-2026-11-28.ndjson has been downloaded.'))
  })

  it('is for auditors only', async () => {
    const api = routeApi({ 'GET /api/me': () => json(AGENT) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/staff/audit', session: signedIn('staff') })
    await waitFor(() => expect(text('main .notice')).toBe('This page is for auditors.'))
    expect(document.querySelector('nav a#audit-link')).toBeNull()
    expect(document.querySelector('form#audit-search')).toBeNull()
  })

  it('sends someone not signed in to the staff sign-in', async () => {
    await mountApp({ fetch: routeApi({}).fetch, language: 'en', path: '/staff/audit' })
    await waitFor(() => expect(window.location.pathname + window.location.search).toBe('/staff/sign-in?return_to=%2Fstaff%2Faudit'))
  })

  it('has no accessibility violations, with results and a verification report', async () => {
    const api = routeApi({
      'GET /api/me': () => json(AUDITOR),
      'GET /api/audit/events': () => json({ items: [event(1), event(2)], next: 'more' }),
      'POST /api/audit/verify': () =>
        json({ ...REPORT, ok: false, problems: [{ category: 'digest_signature_invalid', bucket: 'b', key: 'k', detail: '' }] }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/staff/audit', session: signedIn('staff') })
    await find('form#audit-search')
    await submit('form#audit-search')
    await find('[data-testid="audit-results"]')
    await click(document.querySelector('#verify-trail'))
    await waitFor(() => expect(document.querySelectorAll('[data-testid="verify-result"] li')).toHaveLength(1))
    expect(await axeViolations()).toEqual([])
  })
})
