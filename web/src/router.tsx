/**
 * A small client-side router on the History API: the routes, a provider that follows the address bar, and a Link
 * that navigates without reloading. `changes` counts in-app navigations, so the page knows a route change (move focus
 * to the new h1) from the first load (leave focus where the browser puts it).
 */
import { createContext, type ComponentChildren, type ComponentProps } from 'preact'
import { useCallback, useContext, useEffect, useMemo, useState, type Dispatch, type StateUpdater } from 'preact/hooks'

export type Route =
  | { name: 'catalogue' }
  | { name: 'service'; id: string }
  | { name: 'signIn' }
  | { name: 'staffSignIn' }
  | { name: 'eidDone' }
  | { name: 'me' }
  | { name: 'book'; id: string }
  | { name: 'appointments' }
  | { name: 'appointment'; id: string }
  | { name: 'call'; id: string }
  | { name: 'check'; id: string }
  | { name: 'link' }
  | { name: 'agenda' }
  | { name: 'documents' }
  | { name: 'verify'; csv?: string }
  | { name: 'audit' }
  | { name: 'accessLog' }
  | { name: 'recordings' }
  | { name: 'admin'; section: AdminSection; id?: string }
  | { name: 'dashboard' }
  | { name: 'rebooking' }
  | { name: 'activate' }
  | { name: 'waitlist' }
  | { name: 'offer' }
  | { name: 'accessibility' }
  | { name: 'privacy' }
  | { name: 'legalNotice' }
  | { name: 'notFound' }

export const CATALOGUE_PATH = '/'
export const SIGN_IN_PATH = '/sign-in'
export const STAFF_SIGN_IN_PATH = '/staff/sign-in'
export const EID_DONE_PATH = '/auth/eid/done'
export const ME_PATH = '/me'
export const APPOINTMENTS_PATH = '/appointments'
export const AGENDA_PATH = '/agenda'
export const DOCUMENTS_PATH = '/documents'
export const VERIFY_PATH = '/verify'
export const AUDIT_PATH = '/staff/audit'
export const ACCESS_LOG_PATH = '/me/access-log'
export const RECORDINGS_PATH = '/staff/recordings'
export const ADMIN_PATH = '/staff/admin'
export const DASHBOARD_PATH = '/staff/dashboard'
export const REBOOKING_PATH = '/staff/rebooking'
export const ACTIVATE_PATH = '/staff/activate'
export const WAITLIST_PATH = '/waitlist'
export const OFFER_PATH = '/offer'
/** The one-tap links our messages carry: `/l#token=…` (join, cancel, change, the pre-flight check). */
export const LINK_PATH = '/l'
export const ACCESSIBILITY_PATH = '/accessibility'
export const PRIVACY_PATH = '/privacy'
export const LEGAL_NOTICE_PATH = '/legal-notice'

const FIXED: Record<string, Route['name']> = {
  [SIGN_IN_PATH]: 'signIn',
  [STAFF_SIGN_IN_PATH]: 'staffSignIn',
  [EID_DONE_PATH]: 'eidDone',
  [ME_PATH]: 'me',
  [APPOINTMENTS_PATH]: 'appointments',
  [AGENDA_PATH]: 'agenda',
  [DOCUMENTS_PATH]: 'documents',
  [VERIFY_PATH]: 'verify',
  [AUDIT_PATH]: 'audit',
  [ACCESS_LOG_PATH]: 'accessLog',
  [RECORDINGS_PATH]: 'recordings',
  [DASHBOARD_PATH]: 'dashboard',
  [REBOOKING_PATH]: 'rebooking',
  [ACTIVATE_PATH]: 'activate',
  [WAITLIST_PATH]: 'waitlist',
  [OFFER_PATH]: 'offer',
  [LINK_PATH]: 'link',
  [ACCESSIBILITY_PATH]: 'accessibility',
  [PRIVACY_PATH]: 'privacy',
  [LEGAL_NOTICE_PATH]: 'legalNotice',
}

/** Routes with one path segment of data: `/services/:id`, `/book/:id`, `/appointments/:id`. */
const WITH_ID = { services: 'service', book: 'book', appointments: 'appointment' } as const

export function matchRoute(path: string): Route {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path
  if (trimmed === '/' || trimmed === '') return { name: 'catalogue' }
  const fixed = FIXED[trimmed]
  if (fixed) return { name: fixed } as Route
  const admin = /^\/staff\/admin(?:\/(offices|services|staff|holidays)(?:\/([^/]+))?)?$/.exec(trimmed)
  if (admin && !(admin[2] && admin[1] !== 'staff')) {
    if (!admin[2]) return { name: 'admin', section: (admin[1] as AdminSection | undefined) ?? 'home' }
    try {
      return { name: 'admin', section: 'person', id: decodeURIComponent(admin[2]) }
    } catch {
      return { name: 'notFound' }
    }
  }
  const call = /^\/appointments\/([^/]+)\/(call|check)$/.exec(trimmed)
  if (call?.[1]) {
    try {
      return { name: call[2] === 'check' ? 'check' : 'call', id: decodeURIComponent(call[1]) }
    } catch {
      return { name: 'notFound' }
    }
  }
  const verify = /^\/verify\/([^/]+)$/.exec(trimmed)
  if (verify?.[1]) {
    try {
      return { name: 'verify', csv: decodeURIComponent(verify[1]) }
    } catch {
      return { name: 'notFound' }
    }
  }
  const match = /^\/(services|book|appointments)\/([^/]+)$/.exec(trimmed)
  if (match?.[2]) {
    try {
      return { name: WITH_ID[match[1] as keyof typeof WITH_ID], id: decodeURIComponent(match[2]) }
    } catch {
      return { name: 'notFound' }
    }
  }
  return { name: 'notFound' }
}

/** The sections of the admin area; `person`: one member of staff (`/staff/admin/staff/:username`). */
export type AdminSection = 'home' | 'offices' | 'services' | 'staff' | 'holidays' | 'person'

export function adminPath(section: AdminSection, id?: string): string {
  if (section === 'home') return ADMIN_PATH
  if (section === 'person') return `${ADMIN_PATH}/staff/${encodeURIComponent(id ?? '')}`
  return `${ADMIN_PATH}/${section}`
}

export function servicePath(id: string): string {
  return `/services/${encodeURIComponent(id)}`
}

/** The booking flow for a service; `forCitizen`: staff booking on a citizen's behalf. */
export function bookPath(id: string, forCitizen = false): string {
  return `/book/${encodeURIComponent(id)}${forCitizen ? '?for=citizen' : ''}`
}

export function appointmentPath(id: string): string {
  return `${APPOINTMENTS_PATH}/${encodeURIComponent(id)}`
}

/** The video call of an appointment: the citizen's waiting room, the agent's call screen. */
export function callPath(id: string): string {
  return `${appointmentPath(id)}/call`
}

/** The pre-flight check of an appointment's devices and connection, a day or two before its call. */
export function checkPath(id: string): string {
  return `${appointmentPath(id)}/check`
}

/** A sign-in page with the path to come back to afterwards (`?return_to=`). */
export function signInPath(kind: 'citizen' | 'staff' | undefined, returnTo?: string | null): string {
  const base = kind === 'staff' ? STAFF_SIGN_IN_PATH : SIGN_IN_PATH
  return returnTo ? `${base}?return_to=${encodeURIComponent(returnTo)}` : base
}

interface RouterState {
  path: string
  /** The query string, "?…" or "". */
  search: string
  changes: number
}

export interface NavigateOptions {
  /** Replace the current history entry (redirects), rather than add one. */
  replace?: boolean
}

interface Router extends RouterState {
  navigate: (to: string, options?: NavigateOptions) => void
}

const RouterContext = createContext<Router | null>(null)

export function RouterProvider(props: { children: ComponentChildren }) {
  const [state, setState] = useState<RouterState>(() => ({
    path: window.location.pathname,
    search: window.location.search,
    changes: 0,
  }))

  useEffect(() => {
    const onPopState = () => follow(setState, window.location.pathname, window.location.search)
    window.addEventListener('popstate', onPopState)
    return () => window.removeEventListener('popstate', onPopState)
  }, [])

  const navigate = useCallback((to: string, options: NavigateOptions = {}) => {
    const url = new URL(to, window.location.href)
    const target = url.pathname + url.search + url.hash
    if (options.replace) window.history.replaceState(null, '', target)
    else if (target !== window.location.pathname + window.location.search + window.location.hash) {
      window.history.pushState(null, '', target)
    }
    window.scrollTo(0, 0)
    setState((current) => ({ path: url.pathname, search: url.search, changes: current.changes + 1 }))
  }, [])

  const router = useMemo<Router>(() => ({ ...state, navigate }), [state, navigate])
  return <RouterContext.Provider value={router}>{props.children}</RouterContext.Provider>
}

function follow(setState: Dispatch<StateUpdater<RouterState>>, path: string, search: string) {
  // A fragment-only change (e.g. "#main") also fires popstate: it is not a route change.
  setState((current) =>
    current.path === path && current.search === search ? current : { path, search, changes: current.changes + 1 },
  )
}

export function useRouter(): Router {
  const router = useContext(RouterContext)
  if (!router) throw new Error('useRouter outside <RouterProvider>')
  return router
}

/** An ordinary link (open in new tab, copy address, … all work) that navigates inside the app on a plain click. */
export function Link(props: ComponentProps<'a'> & { href: string }) {
  const { navigate } = useRouter()
  const { onClick, ...rest } = props
  return (
    <a
      {...rest}
      onClick={(event) => {
        onClick?.(event)
        if (event.defaultPrevented || event.button !== 0) return
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
        if (props.target && props.target !== '_self') return
        event.preventDefault()
        navigate(props.href)
      }}
    />
  )
}
