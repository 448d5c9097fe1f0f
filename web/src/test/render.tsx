/** Test helpers: mount the whole app on a fake API, wait for what a user would wait for, and fake service data. */
import { render } from 'preact'
import { act } from 'preact/test-utils'
import { App } from '../app'
import type { Language } from '../i18n'
import { createServiceCatalogue, type Fetch, type Service } from '../services'

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

export function json(body: unknown, status = 200, contentType = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': contentType } })
}

/** A fake API answering `GET /api/services` with the given responses in turn (the last one repeats). */
export function fakeApi(...responses: (() => Response | Promise<Response>)[]) {
  const requests: string[] = []
  const fetch: Fetch = async (input) => {
    requests.push(input)
    const respond = responses[Math.min(requests.length, responses.length) - 1]
    if (!respond) throw new Error('fakeApi needs at least one response')
    return respond()
  }
  return { fetch, requests }
}

export async function mountApp(options: { fetch: Fetch; language?: Language; path?: string }) {
  window.history.replaceState(null, '', options.path ?? '/')
  const container = document.createElement('div')
  document.body.append(container)
  const catalogue = createServiceCatalogue({ fetch: options.fetch })
  await act(() => {
    render(<App catalogue={catalogue} language={options.language ?? 'ca'} />, container)
  })
  return {
    container,
    unmount: () => {
      render(null, container)
      container.remove()
    },
  }
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

export function liveRegion(): string {
  return document.querySelector('[role="status"]')?.textContent ?? ''
}
