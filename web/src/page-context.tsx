/**
 * What every page may use from the shell: the service catalogue, the live region, the document title, and focus moved
 * after a render.
 */
import { createContext } from 'preact'
import { useContext, useEffect, useState } from 'preact/hooks'
import { useI18n } from './i18n/context'
import { useResource, type ResourceHandle, type ResourceOptions } from './resource'
import { officeName } from './offices'
import type { Office, Service, ServiceCatalogue } from './services'

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

/**
 * The catalogue's list (at once when already fetched); `reload` asks the API again after a failure. `options` tell
 * what the page announces (see `useAnnounced`).
 */
export function useServices(options: ResourceOptions<Service[]> = {}): ResourceHandle<Service[]> {
  const catalogue = useContext(CatalogueContext)
  if (!catalogue) throw new Error('useServices outside <CatalogueContext.Provider>')
  const cached = catalogue.cached()
  return useResource(cached ? null : () => catalogue.list(), [catalogue], { ...options, initial: cached ?? undefined })
}

/** The council's offices (at once when already fetched), from the same catalogue object as `useServices`. */
export function useOffices(options: ResourceOptions<Office[]> = {}): ResourceHandle<Office[]> {
  const catalogue = useContext(CatalogueContext)
  if (!catalogue) throw new Error('useOffices outside <CatalogueContext.Provider>')
  const cached = catalogue.cachedOffices()
  return useResource(cached ? null : () => catalogue.offices(), [catalogue], {
    ...options,
    initial: cached ?? undefined,
  })
}

/**
 * `name(code)`: an office's name in the current language, for a line of text (a table cell, a caption). Until the list
 * has come, or if it could not be had, the office shows as its code: the page around it has its own loading and error
 * states, and a name is never worth blanking a page for.
 */
export function useOfficeName(): (office: string) => string {
  const { language } = useI18n()
  const { load } = useOffices()
  return (office) => officeName(load.value, language, office)
}

/**
 * The `useResource` options that tell screen-reader users what a page shows: loading, what came (when `ready` is
 * given), the failure with what to do. A quiet refresh says nothing; a change of language alone asks nothing, so it
 * announces nothing either.
 */
export function useAnnounced<T>(messages: {
  loading: string
  error: string
  ready?: (value: T) => string
}): ResourceOptions<T> {
  const { t } = useI18n()
  const announce = useAnnounce()
  return {
    onLoading: () => announce(messages.loading),
    onReady: (value, quiet) => {
      if (!quiet && messages.ready) announce(messages.ready(value))
    },
    onError: (_error, quiet) => {
      if (!quiet) announce(`${messages.error} ${t('error.hint')}`)
    },
  }
}
