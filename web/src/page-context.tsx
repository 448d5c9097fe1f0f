/**
 * What every page may use from the shell: the service catalogue, the live region, the document title, and focus moved
 * after a render.
 */
import { createContext } from 'preact'
import { useContext, useEffect, useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from './api'
import { useI18n } from './i18n/context'
import type { Service, ServiceCatalogue } from './services'

export const CatalogueContext = createContext<ServiceCatalogue | null>(null)

/**
 * Puts a message in the shell's polite live region (role="status"). `hold` (ms) keeps it there that long, with later
 * messages waiting their turn: for news that comes just before a page change (the new page announces its own).
 */
export type Announce = (message: string, options?: { hold?: number }) => void
export const AnnounceContext = createContext<Announce>(() => undefined)

export function useAnnounce(): Announce {
  return useContext(AnnounceContext)
}

/** `focus(id)`: move focus to the element with that id once the next render is done. */
export function useFocusAfterRender(): (id: string) => void {
  const [target, setTarget] = useState<{ id: string } | null>(null)
  useEffect(() => {
    if (target) document.getElementById(target.id)?.focus()
  }, [target])
  return (id) => setTarget({ id })
}

/** Sets `<title>` to "<page> – <app name>", in the current language. */
export function useDocumentTitle(pageTitle: string): void {
  const { t } = useI18n()
  const appName = t('app.name')
  useEffect(() => {
    document.title = `${pageTitle} – ${appName}`
  }, [pageTitle, appName])
}

export type ServicesLoad =
  | { state: 'loading' }
  | { state: 'ready'; services: Service[] }
  | { state: 'error'; error: ApiError }

/** The catalogue's list with its loading state; `retry` asks the API again after a failure. */
export function useServices(): { load: ServicesLoad; retry: () => void } {
  const catalogue = useContext(CatalogueContext)
  if (!catalogue) throw new Error('useServices outside <CatalogueContext.Provider>')
  const [load, setLoad] = useState<ServicesLoad>(() => readyOrLoading(catalogue))
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    const cached = catalogue.cached()
    if (cached) {
      setLoad((now) => (now.state === 'ready' && now.services === cached ? now : { state: 'ready', services: cached }))
      return
    }
    let current = true
    setLoad({ state: 'loading' })
    catalogue.list().then(
      (services) => current && setLoad({ state: 'ready', services }),
      (error: unknown) => current && setLoad({ state: 'error', error: asApiError(error) }),
    )
    return () => {
      current = false
    }
  }, [catalogue, attempt])

  return { load, retry: () => setAttempt((n) => n + 1) }
}

function readyOrLoading(catalogue: ServiceCatalogue): ServicesLoad {
  const cached = catalogue.cached()
  return cached ? { state: 'ready', services: cached } : { state: 'loading' }
}

/**
 * Tells screen-reader users what the visual states show: loading, the failure, and (when given) the outcome of a load
 * they waited for. Only a change of state is news: a change of language alone announces nothing.
 */
export function useLoadAnnouncements(
  load: ServicesLoad,
  messages: { loading: string; error: string; ready?: (services: Service[]) => string },
): void {
  const announce = useAnnounce()
  const previous = useRef<ServicesLoad['state'] | null>(null)
  const latest = useRef(messages)
  latest.current = messages
  useEffect(() => {
    const { loading, error, ready } = latest.current
    if (load.state === 'loading') announce(loading)
    else if (load.state === 'error') announce(error)
    else if (previous.current === 'loading' && ready) announce(ready(load.services))
    previous.current = load.state
  }, [load, announce])
}
