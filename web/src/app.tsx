/**
 * The shell every page shares: skip link, header (name, navigation, who is signed in, language switch), main, footer
 * and the polite live region; and the route → page mapping. Focus moves to the new page's h1 after an in-app
 * navigation, so screen-reader and keyboard users start reading the new page rather than wherever the old one left
 * them.
 */
import type { ComponentType } from 'preact'
import { useCallback, useEffect, useRef, useState } from 'preact/hooks'
import type { ApiClient } from './api'
import { AuthProvider, sessionKind, useAuth } from './auth'
import { LanguageSwitch } from './components/language-switch'
import { SignOutButton } from './components/sign-out-button'
import type { Language } from './i18n'
import { I18nProvider, useI18n } from './i18n/context'
import { COUNCIL } from './council'
import { localize } from './i18n'
import { maskIdNumber } from './identity'
import { AnnounceContext, CatalogueContext, type Announce } from './page-context'
import { AppointmentPage } from './pages/AppointmentPage'
import { AppointmentsPage } from './pages/AppointmentsPage'
import { BookPage } from './pages/BookPage'
import { CataloguePage } from './pages/CataloguePage'
import { DocumentsPage } from './pages/DocumentsPage'
import { EidDonePage } from './pages/EidDonePage'
import { MePage } from './pages/MePage'
import { NotFoundPage } from './pages/NotFoundPage'
import { ServicePage } from './pages/ServicePage'
import { SignInPage } from './pages/SignInPage'
import { VerifyPage } from './pages/VerifyPage'
import {
  ACCESSIBILITY_PATH,
  AGENDA_PATH,
  APPOINTMENTS_PATH,
  ADMIN_PATH,
  AUDIT_PATH,
  CATALOGUE_PATH,
  DASHBOARD_PATH,
  DOCUMENTS_PATH,
  LEGAL_NOTICE_PATH,
  Link,
  matchRoute,
  ME_PATH,
  PRIVACY_PATH,
  REBOOKING_PATH,
  RECORDINGS_PATH,
  RouterProvider,
  SIGN_IN_PATH,
  STAFF_SIGN_IN_PATH,
  useRouter,
  VERIFY_PATH,
  type Route,
} from './router'
import { useResource } from './resource'
import type { ServiceCatalogue } from './services'

export function App(props: { catalogue: ServiceCatalogue; api: ApiClient; language: Language }) {
  return (
    <I18nProvider initial={props.language}>
      <RouterProvider>
        <AuthProvider api={props.api}>
          <CatalogueContext.Provider value={props.catalogue}>
            <Shell />
          </CatalogueContext.Provider>
        </AuthProvider>
      </RouterProvider>
    </I18nProvider>
  )
}

function Shell() {
  const { t, language } = useI18n()
  const router = useRouter()
  const route = matchRoute(router.path)
  const [announcement, announce] = useAnnouncer(router.changes)
  const [menuOpen, setMenuOpen] = useState(false)
  const menuButton = useRef<HTMLButtonElement>(null)

  useEffect(() => {
    setMenuOpen(false)
    if (router.changes > 0) document.querySelector<HTMLElement>('#main h1')?.focus()
  }, [router.changes])

  return (
    <AnnounceContext.Provider value={announce}>
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
        <div
          class="site-header__inner"
          onKeyDown={(event) => {
            // Escape closes the open menu, from the button or from inside it, and leaves focus on the button.
            if (event.key === 'Escape' && menuOpen) {
              setMenuOpen(false)
              menuButton.current?.focus()
            }
          }}
        >
          <div class="brand">
            {/* The council's coat of arms (replaceable: council.ts and public/coat-of-arms.svg); its name says it all. */}
            <img class="brand__arms" src={COUNCIL.coatOfArms} alt="" width="32" height="38" />
            <div class="brand__text">
              <span class="brand__council" id="council-name">
                {localize(COUNCIL.name, language).text}
              </span>
              <Link class="brand__name" href={CATALOGUE_PATH}>
                {t('app.name')}
              </Link>
              <span class="brand__tagline">{t('app.tagline')}</span>
            </div>
          </div>
          {/* On a phone the navigation, who is signed in and the help line fold into one disclosure: the header stays
              one line of identity plus the languages, instead of a third of the screen. */}
          <button
            type="button"
            id="menu-button"
            class="menu-button"
            ref={menuButton}
            aria-expanded={menuOpen ? 'true' : 'false'}
            aria-controls="site-menu"
            onClick={() => setMenuOpen((open) => !open)}
          >
            <span class="menu-button__icon" aria-hidden="true" />
            {t('header.menu')}
          </button>
          <div id="site-menu" class={menuOpen ? 'site-menu site-menu--open' : 'site-menu'}>
            <nav class="site-nav" aria-label={t('nav.label')}>
              <ul>
                <li>
                  <Link href={CATALOGUE_PATH} aria-current={route.name === 'catalogue' ? 'page' : undefined}>
                    {t('nav.catalogue')}
                  </Link>
                </li>
                <AccountNav route={route} />
              </ul>
            </nav>
            <Account route={route} />
            <a class="help-phone" id="help-phone" href={`tel:${COUNCIL.helpPhone.tel}`}>
              {t('header.help', { phone: COUNCIL.helpPhone.display })}
            </a>
          </div>
          <LanguageSwitch />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {route.name === 'catalogue' && <CataloguePage />}
        {route.name === 'service' && <ServicePage key={route.id} id={route.id} />}
        {route.name === 'signIn' && <SignInPage key={router.changes} />}
        {route.name === 'staffSignIn' && (
          <LazyPage
            key={`staffSignIn-${router.changes}`}
            title={t('staff.title')}
            headingId="staff-sign-in-title"
            load={loadStaffSignInPage}
          />
        )}
        {route.name === 'eidDone' && <EidDonePage />}
        {route.name === 'me' && <MePage />}
        {route.name === 'book' && <BookPage key={route.id} id={route.id} />}
        {route.name === 'appointments' && <AppointmentsPage />}
        {route.name === 'appointment' && <AppointmentPage key={route.id} id={route.id} />}
        {route.name === 'call' && (
          <LazyPage
            key={route.id}
            title={t('call.title')}
            headingId="call-page-title"
            load={loadCallPage}
            pageProps={{ id: route.id }}
            loading={t('appt.loading')}
            failed={t('call.loadFailed')}
          />
        )}
        {route.name === 'check' && (
          <LazyPage key={`check-${route.id}`} title={t('preflight.title')} headingId="pre-title" load={loadCheckPage} pageProps={{ id: route.id }} />
        )}
        {route.name === 'link' && (
          <LazyPage key="link" title={t('link.title')} headingId="link-title" load={loadLinkPage} />
        )}
        {route.name === 'agenda' && (
          <LazyPage key="agenda" title={t('agenda.title')} headingId="agenda-title" load={loadAgendaPage} />
        )}
        {route.name === 'documents' && <DocumentsPage />}
        {route.name === 'verify' && <VerifyPage key={route.csv ?? ''} csv={route.csv} />}
        {route.name === 'audit' && (
          <LazyPage key="audit" title={t('audit.title')} headingId="audit-title" load={loadAuditPage} />
        )}
        {route.name === 'accessLog' && (
          <LazyPage key="accessLog" title={t('access.title')} headingId="access-log-title" load={loadAccessLogPage} />
        )}
        {route.name === 'recordings' && (
          <LazyPage key="recordings" title={t('recs.title')} headingId="recordings-title" load={loadRecordingsPage} />
        )}
        {route.name === 'admin' && (
          <LazyPage
            key={`admin-${route.section}-${route.id ?? ''}`}
            title={t('admin.title')}
            headingId="admin-title"
            load={loadAdminPage}
            pageProps={{ section: route.section, id: route.id }}
          />
        )}
        {route.name === 'dashboard' && (
          <LazyPage key="dashboard" title={t('dash.title')} headingId="dashboard-title" load={loadDashboardPage} />
        )}
        {route.name === 'rebooking' && (
          <LazyPage key="rebooking" title={t('rebooking.title')} headingId="rebooking-title" load={loadRebookingPage} />
        )}
        {route.name === 'activate' && (
          <LazyPage key="activate" title={t('activate.title')} headingId="activate-title" load={loadActivatePage} />
        )}
        {(route.name === 'waitlist' || route.name === 'offer') && (
          <LazyPage
            key={route.name + router.search}
            title={t(route.name === 'offer' ? 'offer.title' : 'wl.title')}
            headingId={route.name === 'offer' ? 'offer-title' : 'wl-title'}
            load={route.name === 'offer' ? loadOfferPage : loadWaitlistPage}
          />
        )}
        {route.name === 'accessibility' && (
          <LazyPage key="accessibility" title={t('footer.accessibility')} headingId="legal-title" load={loadAccessibility} />
        )}
        {route.name === 'privacy' && (
          <LazyPage key="privacy" title={t('footer.privacy')} headingId="legal-title" load={loadPrivacy} />
        )}
        {route.name === 'legalNotice' && (
          <LazyPage key="legalNotice" title={t('footer.legalNotice')} headingId="legal-title" load={loadLegalNotice} />
        )}
        {route.name === 'notFound' && <NotFoundPage />}
        <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">
          {announcement}
        </div>
      </main>
      <footer class="site-footer">
        <p>
          {localize(COUNCIL.name, language).text} · {COUNCIL.address}
        </p>
        <p>
          <a id="footer-help" href={`tel:${COUNCIL.helpPhone.tel}`}>
            {t('footer.help', { phone: COUNCIL.helpPhone.display })}
          </a>
        </p>
        <nav class="footer-links" aria-label={t('footer.legalLabel')}>
          <ul>
            <li>
              <Link id="accessibility-link" href={ACCESSIBILITY_PATH}>
                {t('footer.accessibility')}
              </Link>
            </li>
            <li>
              <Link id="privacy-link" href={PRIVACY_PATH}>
                {t('footer.privacy')}
              </Link>
            </li>
            <li>
              <Link id="legal-notice-link" href={LEGAL_NOTICE_PATH}>
                {t('footer.legalNotice')}
              </Link>
            </li>
            <li>
              <Link id="verify-link" href={VERIFY_PATH}>
                {t('verify.title')}
              </Link>
            </li>
            <li>
              <Link class="staff-link" href={STAFF_SIGN_IN_PATH}>
                {t('footer.staff')}
              </Link>
            </li>
          </ul>
        </nav>
      </footer>
    </AnnounceContext.Provider>
  )
}

// The records pages (audit trail, who accessed my data, recordings) are for few people and few visits, and the staff
// pages for a few dozen staff: lazy chunks, out of the bundle every citizen's phone downloads first.
// The call page: WebRTC, stats and devices, which most visits never need.
const loadCallPage = () => import('./pages/call/CallPage').then((m) => m.CallPage)
const loadStaffSignInPage = () => import('./pages/StaffSignInPage').then((m) => m.StaffSignInPage)
const loadAgendaPage = () => import('./pages/AgendaPage').then((m) => m.AgendaPage)
// The accessibility statement, the privacy notice and the legal notice: long texts, read rarely.
const loadAccessibility = () => import('./pages/LegalPages').then((m) => m.AccessibilityPage)
const loadPrivacy = () => import('./pages/LegalPages').then((m) => m.PrivacyPage)
const loadLegalNotice = () => import('./pages/LegalPages').then((m) => m.LegalNoticePage)
const loadAuditPage = () => import('./pages/AuditPage').then((m) => m.AuditPage)
const loadAccessLogPage = () => import('./pages/AccessLogPage').then((m) => m.AccessLogPage)
const loadRecordingsPage = () => import('./pages/RecordingsPage').then((m) => m.RecordingsPage)
// The back office (admins, supervisors) and the pages opened from an emailed link: few people, few visits.
const loadAdminPage = () => import('./pages/admin/AdminPage').then((m) => m.AdminPage)
const loadDashboardPage = () => import('./pages/DashboardPage').then((m) => m.DashboardPage)
const loadRebookingPage = () => import('./pages/RebookingPage').then((m) => m.RebookingPage)
const loadActivatePage = () => import('./pages/ActivatePage').then((m) => m.ActivatePage)
// The waitlist and the offer its message links to: few visits, each from a booking that found no time.
const loadWaitlistPage = () => import('./pages/WaitlistPage').then((m) => m.WaitlistPage)
const loadOfferPage = () => import('./pages/OfferPage').then((m) => m.OfferPage)
// The pre-flight check and the one-tap links' page: opened from a message, a few times per appointment.
const loadCheckPage = () => import('./pages/CheckPage').then((m) => m.CheckPage)
const loadLinkPage = () => import('./pages/LinkPage').then((m) => m.LinkPage)

/**
 * A page loaded on first use (the call page — WebRTC, stats, devices —, the staff, records and legal pages): until it
 * comes, its heading (with the id the page's own h1 has) is already there, so focus moved to it after navigation is
 * handed on to the page's heading.
 */
function LazyPage<P extends object>(props: {
  title: string
  headingId: string
  load: () => Promise<ComponentType<P>>
  /** What the page itself takes (the call page: the appointment's id). */
  pageProps?: P
  loading?: string
  failed?: string
}) {
  const { t } = useI18n()
  const refocus = useRef(false)
  const { load } = useResource(props.load, [], {
    onReady: () => {
      refocus.current = document.activeElement?.id === props.headingId
    },
  })
  const Page = load.state === 'ready' ? load.value : null
  useEffect(() => {
    if (Page && refocus.current) document.getElementById(props.headingId)?.focus()
  }, [Page])
  if (Page) return <Page {...(props.pageProps ?? ({} as P))} />
  return (
    <>
      <h1 tabIndex={-1} id={props.headingId}>
        {props.title}
      </h1>
      {load.state === 'error' ? (
        <div class="error-state">
          <p class="error-title">{props.failed ?? t('page.loadFailed')}</p>
          <button type="button" class="button" onClick={() => window.location.reload()}>
            {t('error.retry')}
          </button>
        </div>
      ) : (
        <p class="status-message" data-lazy-page="loading">
          {props.loading ?? t('page.loading')}
        </p>
      )}
    </>
  )
}

/** Signed out: "Sign in". Signed in: the way to their area, named after it. */
function AccountNav({ route }: { route: Route }) {
  const { t } = useI18n()
  const auth = useAuth()
  if (!auth.session) {
    return (
      <li>
        <Link href={SIGN_IN_PATH} aria-current={route.name === 'signIn' ? 'page' : undefined}>
          {t('nav.signIn')}
        </Link>
      </li>
    )
  }
  const staff = sessionKind(auth) === 'staff'
  const profile = auth.profile.state === 'ready' ? auth.profile.profile : null
  const roles = profile?.kind === 'staff' ? profile.roles : []
  return (
    <>
      {!staff && (
        <li>
          <Link
            id="my-appointments"
            href={APPOINTMENTS_PATH}
            aria-current={route.name === 'appointments' ? 'page' : undefined}
          >
            {t('appointments.title')}
          </Link>
        </li>
      )}
      {!staff && (
        <li>
          <Link id="my-documents" href={DOCUMENTS_PATH} aria-current={route.name === 'documents' ? 'page' : undefined}>
            {t('docs.title')}
          </Link>
        </li>
      )}
      {staff && (roles.includes('agent') || roles.includes('supervisor')) && (
        <li>
          <Link id="agenda-link" href={AGENDA_PATH} aria-current={route.name === 'agenda' ? 'page' : undefined}>
            {t('agenda.title')}
          </Link>
        </li>
      )}
      {staff && roles.includes('supervisor') && (
        <li>
          <Link
            id="recordings-link"
            href={RECORDINGS_PATH}
            aria-current={route.name === 'recordings' ? 'page' : undefined}
          >
            {t('recs.title')}
          </Link>
        </li>
      )}
      {staff && (roles.includes('supervisor') || roles.includes('admin')) && (
        <li>
          <Link id="dashboard-link" href={DASHBOARD_PATH} aria-current={route.name === 'dashboard' ? 'page' : undefined}>
            {t('dash.title')}
          </Link>
        </li>
      )}
      {staff && (roles.includes('supervisor') || roles.includes('admin')) && (
        <li>
          <Link id="rebooking-link" href={REBOOKING_PATH} aria-current={route.name === 'rebooking' ? 'page' : undefined}>
            {t('rebooking.title')}
          </Link>
        </li>
      )}
      {staff && roles.includes('admin') && (
        <li>
          <Link id="admin-link" href={ADMIN_PATH} aria-current={route.name === 'admin' ? 'page' : undefined}>
            {t('admin.title')}
          </Link>
        </li>
      )}
      {staff && roles.includes('auditor') && (
        <li>
          <Link id="audit-link" href={AUDIT_PATH} aria-current={route.name === 'audit' ? 'page' : undefined}>
            {t('audit.title')}
          </Link>
        </li>
      )}
      <li>
        <Link id="my-area" href={ME_PATH} aria-current={route.name === 'me' ? 'page' : undefined}>
          {staff ? t('me.staffTitle') : t('me.citizenTitle')}
        </Link>
      </li>
    </>
  )
}

/**
 * Who is signed in (name, else the masked ID number) and "Sign out". On `/me` the area has its own Sign out button,
 * so the header leaves it out there: one `#sign-out` per page.
 */
function Account({ route }: { route: Route }) {
  const { t } = useI18n()
  const auth = useAuth()
  if (!auth.session) return null
  const profile = auth.profile.state === 'ready' ? auth.profile.profile : null
  const who = !profile
    ? ''
    : profile.kind === 'staff'
      ? profile.name
      : (profile.name ?? maskIdNumber(profile.id_number))
  return (
    <div class="account">
      {who && (
        <p class="account__who" id="signed-in-as">
          <span class="visually-hidden">{t('account.signedInAs')} </span>
          {who}
        </p>
      )}
      {route.name !== 'me' && <SignOutButton class="account__sign-out" />}
    </div>
  )
}

/**
 * A message for the live region. It is emptied first so that the same message twice (Retry, fail again) is re-read.
 * A message announced with `hold` is not replaced for that long: what comes meanwhile (the next page's "Loading…")
 * waits its turn, the latest of it shown when the hold is over — so "You have signed out" is heard, then the rest.
 *
 * Messages belong to the page that said them: after a navigation (`page`, the router's count of them) the region is
 * empty again, so a screen reader reading the new page never finds "Code sent" or "Document found" from the last one.
 * Only a held message (said just before navigating on purpose: "You have signed out") carries into the next page.
 */
function useAnnouncer(page: number): [string, Announce] {
  const [message, setMessage] = useState({ text: '', page: 0, held: false })
  const timer = useRef<number | undefined>(undefined)
  const waiting = useRef<number | undefined>(undefined)
  const heldUntil = useRef(0)
  // Set while rendering, before the new page's effects run, so what they announce is stamped with the new page.
  const currentPage = useRef(page)
  if (currentPage.current !== page) {
    currentPage.current = page
    window.clearTimeout(waiting.current)
    if (heldUntil.current <= Date.now()) window.clearTimeout(timer.current)
  }
  const setText = (text: string, held: boolean) => setMessage({ text, page: currentPage.current, held })
  const announce = useCallback<Announce>((text, options) => {
    window.clearTimeout(waiting.current)
    const wait = heldUntil.current - Date.now()
    if (wait > 0 && !options?.hold) {
      waiting.current = window.setTimeout(() => announce(text), wait)
      return
    }
    const held = Boolean(options?.hold)
    heldUntil.current = options?.hold ? Date.now() + 100 + options.hold : 0
    setText('', held)
    window.clearTimeout(timer.current)
    timer.current = window.setTimeout(() => setText(text, held), 100)
  }, [])
  useEffect(
    () => () => {
      window.clearTimeout(timer.current)
      window.clearTimeout(waiting.current)
    },
    [],
  )
  const shown = message.page === page || (message.held && message.page === page - 1)
  return [shown ? message.text : '', announce]
}
