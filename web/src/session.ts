/**
 * The signed-in session: `{access_token, expires_at}` in sessionStorage under `va.session` (gone when the tab closes),
 * plus which sign-in made it (`kind`), so the right sign-in page is offered when it ends. A session past its
 * `expires_at` counts as ended. Listeners hear of every start and end; the shell reacts to an unexpected end.
 */

export const SESSION_KEY = 'va.session'

export type SessionKind = 'citizen' | 'staff'

/** The email address or phone a one-time code has just reached: the booking form offers it for the confirmation. */
export interface VerifiedContact {
  channel: 'email' | 'sms'
  destination: string
}

export interface Session {
  access_token: string
  /** RFC 3339 instant (UTC) after which the token is no longer accepted. */
  expires_at: string
  kind?: SessionKind
  contact?: VerifiedContact
}

export interface Token {
  access_token: string
  expires_in: number
}

/** `signedOut`: the person asked. `ended`: the API refused the token, or its time ran out. */
export type SessionEndReason = 'signedOut' | 'ended'

export type SessionEvent =
  | { type: 'started'; session: Session }
  | { type: 'ended'; reason: SessionEndReason; kind: SessionKind | undefined }

export interface SessionStore {
  /** The stored session, expired or not (no side effects). */
  peek(): Session | null
  /** The stored session while it lasts; an expired one is ended (listeners hear `ended`) and null returned. */
  current(): Session | null
  start(token: Token, kind: SessionKind, contact?: VerifiedContact): Session
  /** Forgets the session; listeners hear of it only when there was one. */
  end(reason: SessionEndReason): void
  subscribe(listener: (event: SessionEvent) => void): () => void
  now(): number
}

export function createSessionStore(storage: Storage | null, now: () => number = Date.now): SessionStore {
  const listeners = new Set<(event: SessionEvent) => void>()
  // Storage can be disabled; the session then lives in memory for as long as the page does.
  let memory: Session | null = null

  const emit = (event: SessionEvent) => listeners.forEach((listener) => listener(event))

  function peek(): Session | null {
    if (!storage) return memory
    try {
      return parseSession(storage.getItem(SESSION_KEY))
    } catch {
      return memory
    }
  }

  function write(session: Session | null) {
    memory = session
    try {
      if (session) storage?.setItem(SESSION_KEY, JSON.stringify(session))
      else storage?.removeItem(SESSION_KEY)
    } catch {
      // Full or blocked storage: the in-memory copy serves this page.
    }
  }

  const store: SessionStore = {
    peek,
    now,
    current() {
      const session = peek()
      if (session && isExpired(session, now())) {
        store.end('ended')
        return null
      }
      return session
    },
    start(token, kind, contact) {
      const session: Session = {
        access_token: token.access_token,
        expires_at: new Date(now() + token.expires_in * 1000).toISOString(),
        kind,
        ...(contact ? { contact } : {}),
      }
      write(session)
      emit({ type: 'started', session })
      return session
    },
    end(reason) {
      const previous = peek()
      write(null)
      if (previous) emit({ type: 'ended', reason, kind: previous.kind })
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
  return store
}

/** Milliseconds since the epoch when the session ends; `expires_at` may be an RFC 3339 string or epoch ms/s. */
export function expiryTime(session: Session): number {
  const raw: unknown = session.expires_at
  if (typeof raw === 'number') return raw < 1e12 ? raw * 1000 : raw
  return Date.parse(String(raw))
}

export function isExpired(session: Session, now: number): boolean {
  const at = expiryTime(session)
  return Number.isNaN(at) || at <= now
}

function parseSession(raw: string | null): Session | null {
  if (!raw) return null
  try {
    const value = JSON.parse(raw) as Record<string, unknown>
    if (typeof value.access_token !== 'string' || value.access_token === '') return null
    if (typeof value.expires_at !== 'string' && typeof value.expires_at !== 'number') return null
    const kind = value.kind === 'citizen' || value.kind === 'staff' ? value.kind : undefined
    const contact = parseContact(value.contact)
    return { access_token: value.access_token, expires_at: value.expires_at as string, kind, ...(contact ? { contact } : {}) }
  } catch {
    return null
  }
}

function parseContact(raw: unknown): VerifiedContact | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined
  const { channel, destination } = raw as Record<string, unknown>
  if ((channel !== 'email' && channel !== 'sms') || typeof destination !== 'string' || destination === '') return undefined
  return { channel, destination }
}

/** `window.sessionStorage`, or null where merely touching it throws. */
export function browserSessionStorage(): Storage | null {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}
