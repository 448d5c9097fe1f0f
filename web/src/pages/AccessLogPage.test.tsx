import { describe, expect, it } from 'vitest'
import { axeViolations } from '../test/axe'
import { CITIZEN } from '../test/appointments'
import {
  byText, click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, text, waitFor,
} from '../test/page'

/** Accesses as the API gives them: purposes are the service's fixed words, or a supervisor's own reason. */
const ENTRIES = [
  { at: '2026-11-28T09:00:00Z', role: 'agent', action: 'register.read', purpose: 'residence certificate', office: 'OMAC' },
  { at: '2026-11-28T08:59:00Z', role: 'supervisor', action: 'recording.playback', purpose: 'Complaint 2026/114', office: 'OMAC' },
  { at: '2026-11-27T23:00:00Z', role: 'system', action: 'appointment.reminder.24h', purpose: null, office: null },
  { at: '2026-11-27T12:00:00Z', role: 'public', action: 'document.verify', purpose: 'document verification', office: null },
  { at: '2026-11-27T11:00:00Z', role: 'agent', action: 'appointment.outcome.completed', purpose: 'video attention', office: 'OMAC' },
  { at: '2026-11-27T10:00:00Z', role: 'agent', action: 'data.export', purpose: 'procedure', office: 'OGAT' },
]

/** Every action the API records (chalicelib/domain/audit.py AUDIT_ACTIONS, whose labels a Python test checks). */
const ACTIONS = [
  'auth.otp.request',
  'auth.otp.verify',
  'auth.otp.lockout',
  'auth.eid.signin',
  'auth.staff.login',
  'auth.staff.otp_sent',
  'auth.staff.lockout',
  'auth.logout',
  'appointment.book',
  'appointment.cancel',
  'appointment.reschedule',
  'appointment.outcome.completed',
  'appointment.outcome.incomplete',
  'appointment.outcome.no_show',
  'appointment.reminder.1h',
  'appointment.reminder.24h',
  'call.join',
  'call.waiting',
  'call.admitted',
  'call.ended',
  'recording.complete',
  'recording.failed',
  'recording.playback',
  'register.read',
  'procedure.residence_certificate',
  'procedure.payment_letter',
  'procedure.direct_debit',
  'procedure.instalment_plan',
  'procedure.consent',
  'document.issue',
  'document.download',
  'document.verify',
  'attachment.add',
  'record.hold',
  'record.release',
  'record.release.request',
  'record.delete',
  'audit.search',
  'audit.export',
  'audit.verify',
  'stats.read',
]

describe('who accessed my data', () => {
  pageTest({ zone: 'UTC' })

  it('is linked from the citizen’s area', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/me/access-log': () => json({ items: [], next: null }) })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/me', session: signedIn('citizen') })
    const link = await find<HTMLAnchorElement>('main a#access-log-link')
    expect(link.textContent).toBe('Qui ha accedit a les meves dades')
    expect(link.getAttribute('href')).toBe('/me/access-log')
    await click(link)
    await waitFor(() => expect(text('#access-log-empty')).not.toBe(''))
    expect(document.activeElement?.id).toBe('access-log-title')
    expect(text('#access-log-empty')).toBe(
      'Encara no consta que ningú altre hagi fet servir les vostres dades en aquest servei.',
    )
  })

  it('lists each access in plain words (English): who by role, what, why and when, on the council’s clock', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/me/access-log': () => json({ items: ENTRIES, next: null }) })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me/access-log', session: signedIn('citizen') })
    const list = await find('[data-testid="access-log"]')
    expect(text('h1')).toBe('Who accessed my data')
    expect(text('main .lead')).toContain('Staff members’ names are not shown.')
    expect(api.callsTo('GET /api/me/access-log')[0]?.headers.Authorization).toBe('Bearer token-citizen')
    const entries = [...list.querySelectorAll('li')]
    expect(entries).toHaveLength(6)
    const read = (li: Element | undefined, part: string) => li?.querySelector(`.access-entry__${part}`)?.textContent
    expect(read(entries[0], 'when')).toBe('28/11/2026, 10:00')
    expect(read(entries[0], 'who')).toBe('An agent of the office (Citizen Service Office)')
    expect(read(entries[0], 'what')).toBe('Looked up your details in the municipal or tax register')
    expect(read(entries[0], 'why')).toBe('Residence certificate')
    expect(document.body.textContent).not.toContain('residence certificate')
    expect(read(entries[1], 'who')).toBe('A supervisor of the office (Citizen Service Office)')
    expect(read(entries[1], 'what')).toBe('Played the recording of your video call')
    // A supervisor's own words are shown as they wrote them, marked as such.
    expect(read(entries[1], 'why')).toBe('Reason given: “Complaint 2026/114”')
    expect(read(entries[2], 'when')).toBe('28/11/2026, 00:00')
    expect(read(entries[2], 'who')).toBe('The service itself (an automatic process)')
    expect(read(entries[2], 'what')).toBe('Sent you the reminder of your appointment a day before')
    expect(read(entries[2], 'why')).toBe('No reason recorded.')
    expect(read(entries[3], 'who')).toBe('Someone who checked a document of yours with its code')
    expect(read(entries[3], 'why')).toBe('Checking the document')
    expect(read(entries[4], 'what')).toBe('Recorded that your appointment took place')
    expect(read(entries[4], 'why')).toBe('Video call service')
    // An action the app does not know yet gets a general phrase, never its code.
    expect(read(entries[5], 'what')).toBe('Another action with your data')
    expect(read(entries[5], 'why')).toBe('Carrying out the procedure')
    expect(document.body.textContent).not.toContain('data.export')
    expect(document.body.textContent).not.toContain('appointment.outcome')
    expect(read(entries[5], 'who')).toBe('An agent of the office (Tax Office)')
    expect(document.body.textContent).not.toContain('staff:')
    await waitFor(() => expect(liveRegion()).toBe('Accesses: 6.'))
  })

  it('names every action of the contract in each language, and the roles in Spanish', async () => {
    const items = ACTIONS.map((action, n) => ({
      at: `2026-11-2${n % 8}T10:00:00Z`,
      role: n % 2 ? 'system' : 'agent',
      action,
      purpose: 'x',
      office: null,
    }))
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/me/access-log': () => json({ items, next: null }) })
    await mountApp({ fetch: api.fetch, language: 'es', path: '/me/access-log', session: signedIn('citizen') })
    const list = await find('[data-testid="access-log"]')
    const whats = () => [...list.querySelectorAll('.access-entry__what')].map((dd) => dd.textContent ?? '')
    expect(whats()).toHaveLength(ACTIONS.length)
    // Each one in words, none left as the raw code.
    whats().forEach((what, n) => expect(what, ACTIONS[n]).not.toBe(ACTIONS[n]))
    expect(new Set(whats()).size).toBe(ACTIONS.length)
    const at = (code: string) => whats()[ACTIONS.indexOf(code)]
    expect(at('register.read')).toBe('Ha consultado sus datos en el padrón o en el registro tributario')
    expect(at('recording.playback')).toBe('Ha reproducido la grabación de su videollamada')
    expect(at('appointment.outcome.no_show')).toBe('Ha anotado que usted no acudió a la cita')
    expect(text('.access-entry__who')).toBe('Un agente de la oficina')
    expect(list.querySelectorAll('.access-entry__who')[1]?.textContent).toBe('El propio servicio (proceso automático)')
    expect(text('h1')).toBe('Quién ha accedido a mis datos')

    await click(byText(document, '.language-switch button', 'English'))
    await waitFor(() => expect(at('register.read')).toBe('Looked up your details in the municipal or tax register'))
    whats().forEach((what, n) => expect(what, ACTIONS[n]).not.toBe(ACTIONS[n]))
    expect(new Set(whats()).size).toBe(ACTIONS.length)
    await click(byText(document, '.language-switch button', 'Català'))
    await waitFor(() => expect(at('register.read')).toBe('Ha consultat les vostres dades al padró o al registre tributari'))
    whats().forEach((what, n) => expect(what, ACTIONS[n]).not.toBe(ACTIONS[n]))
    expect(new Set(whats()).size).toBe(ACTIONS.length)
  })

  it('shows earlier accesses with the cursor, moving focus to the first new one', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/me/access-log': [
        () => json({ items: ENTRIES.slice(0, 2), next: 'c2' }),
        () => json({ items: ENTRIES.slice(2, 3), next: null }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me/access-log', session: signedIn('citizen') })
    const list = await find('[data-testid="access-log"]')
    await click(byText(document, 'button', 'Show earlier accesses'))
    await waitFor(() => expect(list.querySelectorAll('li')).toHaveLength(3))
    expect(api.callsTo('GET /api/me/access-log')[1]?.url).toBe('/api/me/access-log?cursor=c2')
    expect(document.activeElement?.id).toBe('access-2')
    expect(document.querySelector('#access-log-more')).toBeNull()
    await waitFor(() => expect(liveRegion()).toBe('Earlier accesses loaded: 1.'))
  })

  it('says when the list could not be loaded, and tries again', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/me/access-log': [() => problem(500, 'internal'), () => json({ items: ENTRIES.slice(0, 1), next: null })],
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me/access-log', session: signedIn('citizen') })
    await waitFor(() => expect(text('.error-state h2')).toBe('The accesses to your data could not be loaded.'))
    await click(byText(document, 'button', 'Retry'))
    await waitFor(() => expect(document.querySelectorAll('[data-testid="access-log"] li')).toHaveLength(1))
  })

  it('after a code sign-in, says in plain words that a digital identity is needed and links to it', async () => {
    const api = routeApi({
      'GET /api/me': () => json(CITIZEN),
      'GET /api/me/access-log': () => problem(403, 'insufficient_assurance', { required_assurance: 'substantial' }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/me/access-log', session: signedIn('citizen') })
    const note = await find('#access-log-needs-eid')
    expect(note.textContent).toContain('idCAT Mòbil, Cl@ve or a digital certificate')
    expect(note.textContent).not.toMatch(/substantial/i)
    const link = await find<HTMLAnchorElement>('#access-log-needs-eid a#eid-start')
    expect(link.getAttribute('href')).toMatch(/^\/api\/auth\/eid\/start\?return_to=%2Fme%2Faccess-log&attempt=[A-Za-z0-9_-]{16,64}$/)
    expect(document.querySelector('.error-state')).toBeNull()
    await waitFor(() => expect(liveRegion()).toContain('sign in with your digital identity'))
    expect(await axeViolations()).toEqual([])
  })

  it('has no accessibility violations', async () => {
    const api = routeApi({ 'GET /api/me': () => json(CITIZEN), 'GET /api/me/access-log': () => json({ items: ENTRIES, next: 'c2' }) })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/me/access-log', session: signedIn('citizen') })
    await find('[data-testid="access-log"]')
    expect(await axeViolations()).toEqual([])
  })
})
