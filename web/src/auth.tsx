/**
 * Who is signed in, for the whole tree: the session, the person's profile from `GET /api/me` (loaded once per
 * session, shared by the header and the area), sign-in and sign-out. When the session ends without the person asking
 * — the API answered 401, or its time ran out — they are taken to the right sign-in page, which says so.
 */
import { createContext, type ComponentChildren } from 'preact'
import { useCallback, useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { asApiError, type ApiClient, type ApiError } from './api'
import { safeReturnPath } from './identity'
import { CATALOGUE_PATH, signInPath, SIGN_IN_PATH, STAFF_SIGN_IN_PATH, useRouter } from './router'
import { useResource } from './resource'
import { expiryTime, type Session, type SessionEvent, type SessionKind, type Token, type VerifiedContact } from './session'

export interface CitizenProfile {
  kind: 'citizen'
  id_number: string
  name: string | null
  /** "low" | "substantial" | "high" */
  assurance: string
  /** "otp" | "idcatmobil" | "clave" | "certificat" */
  auth_method: string
  expires_at?: string
}

export interface StaffProfile {
  kind: 'staff'
  username: string
  name: string
  /** "agent" | "supervisor" | "auditor" | "admin" */
  roles: string[]
  /** One of GET /offices (its id), or null */
  office: string | null
  expires_at?: string
}

export type Profile = CitizenProfile | StaffProfile

export type ProfileLoad =
  | { state: 'none' }
  | { state: 'loading' }
  | { state: 'ready'; profile: Profile }
  | { state: 'error'; error: ApiError }

/** Shown once on the sign-in page the person is sent to. */
export type SignInNotice = 'sessionEnded' | null

export interface Auth {
  api: ApiClient
  session: Session | null
  profile: ProfileLoad
  retryProfile: () => void
  notice: SignInNotice
  clearNotice: () => void
  /** `contact`: the address or phone a one-time code reached, offered later for a booking's confirmation. */
  signIn: (token: Token, kind: SessionKind, contact?: VerifiedContact) => void
  /**
   * Tells the API (best effort) and forgets the session; `then` runs just before, in the same tick (navigate away
   * first, so a page that needs a session never renders without one).
   */
  signOut: (then?: () => void) => Promise<void>
}

const AuthContext = createContext<Auth | null>(null)

export function AuthProvider(props: { api: ApiClient; children: ComponentChildren }) {
  const { api } = props
  const store = api.session
  const { navigate } = useRouter()
  const [session, setSession] = useState<Session | null>(() => store.peek())
  const [notice, setNotice] = useState<SignInNotice>(null)

  // Subscribed during the first render, not in an effect: children's effects run before their parents', and a page
  // that signs in on arrival (/auth/eid/done) must already be heard.
  const onEvent = useRef<(event: SessionEvent) => void>(() => undefined)
  onEvent.current = (event) => {
    if (event.type === 'started') {
      setSession(event.session)
      setNotice(null)
      return
    }
    setSession(null)
    if (event.reason !== 'ended') return
    setNotice('sessionEnded')
    const here = window.location.pathname
    const onSignIn = here === SIGN_IN_PATH || here === STAFF_SIGN_IN_PATH
    const back = onSignIn ? null : safeReturnPath(here + window.location.search)
    navigate(signInPath(event.kind, back === CATALOGUE_PATH ? null : back), { replace: true })
  }
  const [unsubscribe] = useState(() => store.subscribe((event) => onEvent.current(event)))
  useEffect(() => unsubscribe, [unsubscribe])

  // Expired by the clock: now (a stale session found on arrival) or when its time comes.
  useEffect(() => {
    if (!session) return
    const remaining = expiryTime(session) - store.now()
    if (!(remaining > 0)) {
      store.end('ended')
      return
    }
    const timer = window.setTimeout(() => store.current(), Math.min(remaining + 100, 2_147_483_647))
    return () => window.clearTimeout(timer)
  }, [session, store])

  const token = session?.access_token
  // A 401 ends the session (and the redirect is under way): its failure shows nothing more here.
  const me = useResource(
    token
      ? () =>
          api.request<unknown>('/me', { auth: true }).then((body) => {
            const parsed = parseProfile(body)
            if (!parsed) throw asApiError(null)
            return { token, profile: parsed }
          })
      : null,
    [api, token],
  )
  // The profile of this session only: another session's (before the new one is asked) is not shown for it.
  const profile = useMemo<ProfileLoad>(() => {
    if (!token) return { state: 'none' }
    if (me.load.state === 'ready') {
      return me.load.value.token === token ? { state: 'ready', profile: me.load.value.profile } : { state: 'loading' }
    }
    return me.load.state === 'error' ? { state: 'error', error: me.load.error } : { state: 'loading' }
  }, [token, me.load])

  const signIn = useCallback(
    (received: Token, kind: SessionKind, contact?: VerifiedContact) => void store.start(received, kind, contact),
    [store],
  )
  const signOut = useCallback(async (then?: () => void) => {
    if (store.peek()) {
      try {
        await api.request('/auth/logout', { method: 'POST', auth: true, quiet: true })
      } catch {
        // Offline or already expired: the session is forgotten here all the same.
      }
    }
    then?.()
    store.end('signedOut')
  }, [api, store])

  const value = useMemo<Auth>(
    () => ({
      api,
      session,
      profile,
      retryProfile: me.reload,
      notice,
      clearNotice: () => setNotice(null),
      signIn,
      signOut,
    }),
    [api, session, profile, notice, signIn, signOut],
  )
  return <AuthContext.Provider value={value}>{props.children}</AuthContext.Provider>
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext)
  if (!auth) throw new Error('useAuth outside <AuthProvider>')
  return auth
}

/** The session's kind: from the profile once loaded, else what the sign-in recorded. */
export function sessionKind(auth: Auth): SessionKind | undefined {
  return auth.profile.state === 'ready' ? auth.profile.profile.kind : auth.session?.kind
}

export function parseProfile(body: unknown): Profile | null {
  if (typeof body !== 'object' || body === null) return null
  const p = body as Record<string, unknown>
  const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined)
  if (p.kind === 'citizen' && typeof p.id_number === 'string') {
    return {
      kind: 'citizen',
      id_number: p.id_number,
      name: typeof p.name === 'string' && p.name !== '' ? p.name : null,
      assurance: optionalString(p.assurance) ?? '',
      auth_method: optionalString(p.auth_method) ?? '',
      expires_at: optionalString(p.expires_at),
    }
  }
  if (p.kind === 'staff' && typeof p.username === 'string') {
    return {
      kind: 'staff',
      username: p.username,
      name: optionalString(p.name) || p.username,
      roles: Array.isArray(p.roles) ? p.roles.filter((r): r is string => typeof r === 'string') : [],
      office: optionalString(p.office) ?? null,
      expires_at: optionalString(p.expires_at),
    }
  }
  return null
}
