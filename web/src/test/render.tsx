/** Test helpers: mount the whole app on a fake API, wait for what a user would wait for, and fake service data. */
import { render } from 'preact'
import { act } from 'preact/test-utils'
import { createApiClient } from '../api'
import { App } from '../app'
import type { Language } from '../i18n'
import { createServiceCatalogue, type Fetch, type Office, type Service } from '../services'
import { createSessionStore, SESSION_KEY, type Session } from '../session'

export const SERVICES: Service[] = [
  {
    id: 'padron-certificate',
    office: 'OMAC',
    name: { ca: 'Certificat de padró', es: 'Certificado de padrón', en: 'Residence certificate' },
    description: {
      ca: 'Certificat d’empadronament amb validesa oficial.',
      es: 'Certificado de empadronamiento con validez oficial.',
      en: 'Official certificate of registration in the municipal register.',
    },
    duration_minutes: 15,
    min_assurance: 'substantial',
    required_documents: [{ ca: 'DNI o NIE', es: 'DNI o NIE', en: 'Spanish ID card or foreigner ID number' }],
  },
  {
    id: 'instalment-plan',
    office: 'OGAT',
    name: { ca: 'Fraccionament de deutes', es: 'Fraccionamiento de deudas', en: 'Instalment plan' },
    description: {
      ca: 'Pagament d’un deute tributari en terminis.',
      es: 'Pago de una deuda tributaria a plazos.',
      en: 'Pay a tax debt in instalments.',
    },
    duration_minutes: 30,
    min_assurance: 'high',
    required_documents: [],
  },
]

const WEEKDAYS: Office['opening_hours'] = {
  '1': [['09:00', '14:00']],
  '2': [['09:00', '14:00']],
  '3': [['09:00', '14:00']],
  '4': [['09:00', '14:00'], ['16:00', '19:00']],
  '5': [['09:00', '14:00']],
  '6': [],
  '7': [],
}

/** `GET /offices` as the demo data gives it: by id, as the API lists them. */
export const OFFICES: Office[] = [
  {
    id: 'OGAT',
    name: { ca: 'Oficina de Gestió i Atenció Tributària', es: 'Oficina de Gestión y Atención Tributaria', en: 'Tax Office' },
    timezone: 'Europe/Madrid',
    address: 'Carrer Major, 12, 08999 Vilademo',
    opening_hours: WEEKDAYS,
  },
  {
    id: 'OMAC',
    name: {
      ca: "Oficina Municipal d'Atenció Ciutadana",
      es: 'Oficina Municipal de Atención Ciudadana',
      en: 'Citizen Service Office',
    },
    timezone: 'Europe/Madrid',
    address: 'Plaça de la Vila, 1, 08999 Vilademo',
    opening_hours: WEEKDAYS,
  },
]

export function json(body: unknown, status = 200, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType } })
}

/**
 * A fake API answering `GET /api/services` with the given responses in turn (the last one repeats); `GET /api/offices`
 * answers OFFICES (or `offices`) and is not counted in `requests`.
 */
export function fakeApi(...responses: (() => Response | Promise<Response>)[]) {
  return fakeApiWith({}, ...responses)
}

export function fakeApiWith(
  options: { offices?: () => Response | Promise<Response> },
  ...responses: (() => Response | Promise<Response>)[]
) {
  const requests: string[] = []
  const fetch: Fetch = async (input) => {
    if (input.split('?')[0] === '/api/offices') return (options.offices ?? (() => json(OFFICES)))()
    requests.push(input)
    const respond = responses[Math.min(requests.length, responses.length) - 1]
    if (!respond) throw new Error('fakeApi needs at least one response')
    return respond()
  }
  return { fetch, requests }
}

export function problem(
  status: number,
  code: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const body = { type: 'about:blank', title: 'Problem', status, detail: 'In English.', code, ...extra }
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  })
}

export interface Call {
  method: string
  /** Path and query, e.g. "/api/dev/outbox?to=x". */
  url: string
  body: Record<string, unknown> | undefined
  headers: Record<string, string>
}

type Handler = (call: Call) => Response | Promise<Response>

/** `GET /retention` as the demo's rules give it: a certificate's call is kept 2 years when it is issued, else 30 days. */
export const RETENTION = {
  recording_default: { years: 0, months: 0, days: 30 },
  services: [
    {
      service_id: 'padron-certificate',
      recording: { years: 2, months: 0, days: 0 },
      documents: { years: 2, months: 0, days: 0 },
    },
    {
      service_id: 'instalment-plan',
      recording: { years: 6, months: 1, days: 0 },
      documents: { years: 6, months: 1, days: 0 },
    },
  ],
}

/**
 * A fake API routed by "METHOD /api/path" (query ignored). A list of handlers answers successive calls in turn (the
 * last repeats). By default the catalogue answers with SERVICES, the offices with OFFICES, the retention rules with RETENTION and the dev outbox is
 * absent (404).
 */
export function routeApi(routes: Record<string, Handler | Handler[]>) {
  const calls: Call[] = []
  const counts = new Map<string, number>()
  const table: Record<string, Handler | Handler[]> = {
    'GET /api/services': () => json({ items: SERVICES, next: null }),
    'GET /api/offices': () => json(OFFICES),
    'GET /api/retention': () => json(RETENTION),
    'GET /api/dev/outbox': () => problem(404, 'not_found'),
    ...routes,
  }
  const fetch: Fetch = async (input, init = {}) => {
    const method = (init.method ?? 'GET').toUpperCase()
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>))
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined
    calls.push({ method, url: input, body, headers })
    const key = `${method} ${input.split('?')[0]}`
    const handlers = table[key]
    if (!handlers) return problem(404, 'not_found')
    const list = Array.isArray(handlers) ? handlers : [handlers]
    const n = counts.get(key) ?? 0
    counts.set(key, n + 1)
    const handler = list[Math.min(n, list.length - 1)]
    if (!handler) throw new Error(`no handler for ${key}`)
    return handler(calls[calls.length - 1] as Call)
  }
  return { fetch, calls, callsTo: (key: string) => calls.filter((c) => `${c.method} ${c.url.split('?')[0]}` === key) }
}

export function storedSession(): Session | null {
  const raw = sessionStorage.getItem(SESSION_KEY)
  return raw ? (JSON.parse(raw) as Session) : null
}

export function signedIn(kind: 'citizen' | 'staff', minutes = 30): Session {
  return { access_token: `token-${kind}`, expires_at: new Date(Date.now() + minutes * 60_000).toISOString(), kind }
}

export async function mountApp(options: { fetch: Fetch; language?: Language; path?: string; session?: Session }) {
  window.history.replaceState(null, '', options.path ?? '/')
  if (options.session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(options.session))
  else sessionStorage.removeItem(SESSION_KEY)
  const container = document.createElement('div')
  document.body.append(container)
  const catalogue = createServiceCatalogue({ fetch: options.fetch })
  const api = createApiClient({ fetch: options.fetch, session: createSessionStore(window.sessionStorage) })
  await act(() => {
    render(<App catalogue={catalogue} api={api} language={options.language ?? 'ca'} />, container)
  })
  await lazyPagesLoaded()
  const app = {
    container,
    unmount: () => {
      render(null, container)
      container.remove()
      mounted.delete(app)
    },
  }
  mounted.add(app)
  return app
}

const mounted = new Set<{ unmount: () => void }>()

/** Takes down every app `mountApp` mounted (the page-test harness does it after each test). */
export function unmountApps(): void {
  for (const app of [...mounted]) app.unmount()
}

/** Waits until a page loaded on first use (a lazy chunk: staff, records, call pages) has replaced its placeholder. */
export async function lazyPagesLoaded(): Promise<void> {
  await waitFor(() => {
    if (document.querySelector('[data-lazy-page="loading"]')) throw new Error('a lazy page is still loading')
  })
}

/** Polls until `check` stops throwing (or 2 s pass), letting Preact flush between tries. */
export async function waitFor<T>(check: () => T, timeoutMs = 2000): Promise<T> {
  const start = Date.now()
  for (;;) {
    try {
      return check()
    } catch (error) {
      if (Date.now() - start > timeoutMs) throw error
      await act(() => new Promise((resolve) => setTimeout(resolve, 10)))
    }
  }
}

export async function click(element: Element | null | undefined): Promise<void> {
  if (!(element instanceof HTMLElement)) throw new Error('nothing to click')
  await act(() => {
    element.click()
  })
}

export function byText<E extends Element>(root: ParentNode, selector: string, text: string): E {
  const found = [...root.querySelectorAll<E>(selector)].find((element) => element.textContent?.trim() === text)
  if (!found) throw new Error(`no ${selector} with text ${JSON.stringify(text)}`)
  return found
}

/** The text of the first element `selector` finds ('' when there is none). */
export function text(selector: string): string {
  return document.querySelector(selector)?.textContent ?? ''
}

export function liveRegion(): string {
  return document.querySelector('[role="status"]')?.textContent ?? ''
}

/** Types into an input as a person would (the `input` event Preact listens to). */
export async function type(selector: string, value: string): Promise<void> {
  const input = document.querySelector<HTMLInputElement>(selector)
  if (!input) throw new Error(`no input ${selector}`)
  await act(() => {
    input.value = value
    input.dispatchEvent(new Event('input', { bubbles: true }))
  })
}

export async function submit(selector: string): Promise<void> {
  const form = document.querySelector<HTMLFormElement>(selector)
  if (!form) throw new Error(`no form ${selector}`)
  await act(() => {
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }))
  })
}

/** Waits for an element to appear and returns it. */
export async function find<E extends Element = HTMLElement>(selector: string): Promise<E> {
  return waitFor(() => {
    const found = document.querySelector<E>(selector)
    if (!found) throw new Error(`no ${selector} yet`)
    return found
  })
}
