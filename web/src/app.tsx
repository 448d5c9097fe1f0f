/**
 * The shell every page shares: skip link, header (name, navigation, language switch), main, footer and the polite
 * live region; and the route → page mapping. Focus moves to the new page's h1 after an in-app navigation, so
 * screen-reader and keyboard users start reading the new page rather than wherever the old one left them.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import { LanguageSwitch } from './components/LanguageSwitch'
import type { Language } from './i18n'
import { I18nProvider, useI18n } from './i18n/context'
import { AnnounceContext, CatalogueContext, type Announce } from './page-context'
import { CataloguePage } from './pages/CataloguePage'
import { NotFoundPage } from './pages/NotFoundPage'
import { ServicePage } from './pages/ServicePage'
import { CATALOGUE_PATH, Link, matchRoute, RouterProvider, useRouter } from './router'
import type { ServiceCatalogue } from './services'

export function App(props: { catalogue: ServiceCatalogue; language: Language }) {
  return (
    <I18nProvider initial={props.language}>
      <RouterProvider>
        <CatalogueContext.Provider value={props.catalogue}>
          <Shell />
        </CatalogueContext.Provider>
      </RouterProvider>
    </I18nProvider>
  )
}

function Shell() {
  const { t } = useI18n()
  const router = useRouter()
  const route = matchRoute(router.path)
  const [announcement, announce] = useAnnouncer()

  useEffect(() => {
    if (router.changes > 0) document.querySelector<HTMLElement>('#main h1')?.focus()
  }, [router.changes])

  return (
    <>
      <a
        class="skip-link"
        href="#main"
        onClick={(event) => {
          // Focus main without adding "#main" to the address, which the router would then have to tell from a route.
          event.preventDefault()
          document.getElementById('main')?.focus()
        }}
      >
        {t('skip.link')}
      </a>
      <header class="site-header">
        <div class="site-header__inner">
          <div class="brand">
            <Link class="brand__name" href={CATALOGUE_PATH}>
              {t('app.name')}
            </Link>
            <span class="brand__tagline">{t('app.tagline')}</span>
          </div>
          <nav class="site-nav" aria-label={t('nav.label')}>
            <ul>
              <li>
                <Link href={CATALOGUE_PATH} aria-current={route.name === 'catalogue' ? 'page' : undefined}>
                  {t('nav.catalogue')}
                </Link>
              </li>
            </ul>
          </nav>
          <LanguageSwitch />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <AnnounceContext.Provider value={announce}>
          {route.name === 'catalogue' && <CataloguePage />}
          {route.name === 'service' && <ServicePage key={route.id} id={route.id} />}
          {route.name === 'notFound' && <NotFoundPage />}
        </AnnounceContext.Provider>
        <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
          {announcement}
        </div>
      </main>
      <footer class="site-footer">
        <p>{t('footer.text')}</p>
      </footer>
    </>
  )
}

/** A message for the live region. It is emptied first so that the same message twice (Retry, fail again) is re-read. */
function useAnnouncer(): [string, Announce] {
  const [message, setMessage] = useState('')
  const timer = useRef<number | undefined>(undefined)
  const announce = useCallback<Announce>((text) => {
    setMessage('')
    window.clearTimeout(timer.current)
    timer.current = window.setTimeout(() => setMessage(text), 100)
  }, [])
  useEffect(() => () => window.clearTimeout(timer.current), [])
  return [message, announce]
}
