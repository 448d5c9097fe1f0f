/** Test fixtures for the procedures and documents: a plan's form and schedule, procedures, documents, downloads. */
import { act } from 'preact/test-utils'
import { vi } from 'vitest'
import type { Language } from '../i18n'
import { AGENT, appointment, CITIZEN } from './appointments'
import { json, mountApp, routeApi, signedIn } from './render'

export const last = <T,>(list: T[]) => list[list.length - 1]

export async function choose(selector: string, value: string) {
  const select = document.querySelector<HTMLSelectElement>(selector)
  if (!select) throw new Error(`no select ${selector}`)
  await act(() => {
    select.value = value
    select.dispatchEvent(new Event('change', { bubbles: true }))
  })
}

/** Catches the downloads handed to the browser (an <a> clicked), instead of navigating. */
export function catchDownloads() {
  const clicked: { href: string; target: string }[] = []
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push({ href: this.href, target: this.target })
  })
  return clicked
}

export const PLAN_APPOINTMENT = appointment({
  service_id: 'instalment-plan',
  office: 'OGAT',
  citizen: { id_number_masked: '****678Z', name: 'Anna Puig' },
})

export const PLAN_FORM = {
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

export const PLAN = {
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

export const DOC = { id: 'doc-1', csv: 'A1B2-C3D4-E5F6-G7H8-J9', title: 'Instalment plan resolution' }

export const AWAITING = {
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
export const ISSUED = { ...AWAITING, status: 'issued', documents: [DOC] }

export const DOCUMENT = {
  ...DOC,
  type: 'instalment_plan',
  issued_at: '2026-11-28T10:20:00Z',
  available_until: '2031-11-28',
  sha256: 'a'.repeat(64),
  size: 48213,
  appointment_id: 'appt-1',
}

/** A residence certificate's form: no consent, the fields and the identity settings each test needs. */
export const certificateForm = (fields: Record<string, unknown>[], more: Record<string, unknown> = {}) => ({
  type: 'residence_certificate',
  title: 'Certificate of registered residence',
  needs_consent: false,
  ...more,
  fields,
})

/** The identity settings of a form whose citizen signed in with their digital identity: no check to do. */
export const PROVEN_BY_EID = { needs_identity_check: false, identity: { basis: 'eid', level: 'substantial' } }

/**
 * Opens the plan appointment appt-1, where the procedure panel is, as the agent ("staff") or the citizen. The API
 * answers who is signed in, the appointment, the procedure form when given and no procedures yet; `routes` adds
 * or replaces answers. Returns the fake API, to look at its calls.
 */
export async function openPanel(
  role: 'staff' | 'citizen',
  language: Language,
  form: Record<string, unknown> | null = null,
  routes: Parameters<typeof routeApi>[0] = {},
) {
  const api = routeApi({
    'GET /api/me': () => json(role === 'staff' ? AGENT : CITIZEN),
    'GET /api/appointments/appt-1': () => json(PLAN_APPOINTMENT),
    ...(form ? { 'GET /api/appointments/appt-1/procedure-form': () => json(form) } : {}),
    'GET /api/appointments/appt-1/procedures': () => json({ items: [], next: null }),
    ...routes,
  })
  await mountApp({ fetch: api.fetch, language, path: '/appointments/appt-1', session: signedIn(role) })
  return api
}
