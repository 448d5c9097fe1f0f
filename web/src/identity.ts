/**
 * Checks on what a person types to sign in — DNI/NIE with its check letter, email, mobile number, one-time code — and
 * the one rule for where to go after sign-in (`return_to`), which must never lead off this app.
 */

const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE'

/** Upper case, without the spaces and hyphens people type ("12.345.678-z" keeps its dots and fails the format). */
export function normalizeIdNumber(raw: string): string {
  return raw.toUpperCase().replace(/[\s-]+/g, '')
}

export type IdNumberProblem = 'missing' | 'format' | 'letter'

/** null when `id` (normalized) is a DNI (8 digits + letter) or NIE (X/Y/Z + 7 digits + letter) whose letter fits. */
export function idNumberProblem(id: string): IdNumberProblem | null {
  if (id === '') return 'missing'
  const match = /^(?:(\d{8})|([XYZ])(\d{7}))([A-Z])$/.exec(id)
  if (!match) return 'format'
  const digits = match[1] ?? String('XYZ'.indexOf(match[2] ?? '')) + (match[3] ?? '')
  return DNI_LETTERS[Number(digits) % 23] === match[4] ? null : 'letter'
}

export function isValidIdNumber(raw: string): boolean {
  return idNumberProblem(normalizeIdNumber(raw)) === null
}

/** "12345678Z" → "****678Z": enough for the person to recognise it, little for someone looking over a shoulder. */
export function maskIdNumber(id: string): string {
  return `****${id.slice(-4)}`
}

export function normalizeEmail(raw: string): string {
  return raw.trim()
}

export function isEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(value)
}

/**
 * A mobile number in international form: spaces, dots, hyphens and brackets go, "00" becomes "+", and a 9-digit
 * Spanish number gets "+34". Anything else is returned as typed (trimmed), for the check to reject.
 */
export function normalizePhone(raw: string): string {
  let value = raw.trim().replace(/[\s.()-]+/g, '')
  if (value.startsWith('00')) value = `+${value.slice(2)}`
  if (/^[6-9]\d{8}$/.test(value)) value = `+34${value}`
  return value
}

export function isPhone(value: string): boolean {
  return /^\+[1-9]\d{7,14}$/.test(value)
}

export function normalizeCode(raw: string): string {
  return raw.replace(/\s+/g, '')
}

export function isCode(value: string): boolean {
  return /^\d{6}$/.test(value)
}

/**
 * `value` when it is a path on this app ("/me", "/services/x?y=1"), else null: not "//host" or "/\host" (which browsers
 * read as another site), not a full URL, no control characters, and not the API.
 */
export function safeReturnPath(value: string | null | undefined): string | null {
  if (typeof value !== 'string' || value.length > 2000) return null
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null
  if (/[\u0000-\u001f\u007f]/.test(value)) return null
  try {
    const url = new URL(value, window.location.origin)
    if (url.origin !== window.location.origin) return null
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return null
    return url.pathname + url.search
  } catch {
    return null
  }
}

// eID login CSRF: the done page accepts only a token for an attempt this tab started (the API echoes the id back).
const EID_ATTEMPT_KEY = 'va.eidAttempt'

function randomAttempt(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18))
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The full-page trip to the digital identity, coming back to `path`, as this tab's attempt. */
export function eidStartHref(path: string): string {
  let attempt: string | null = null
  try {
    attempt = sessionStorage.getItem(EID_ATTEMPT_KEY)
    if (attempt === null) {
      attempt = randomAttempt()
      sessionStorage.setItem(EID_ATTEMPT_KEY, attempt)
    }
  } catch {
    attempt = null // no storage: the done page will refuse, as it cannot tell this tab's attempt
  }
  const query = new URLSearchParams({ return_to: path, attempt: attempt ?? '' })
  return `/api/auth/eid/start?${query.toString()}`
}

/** This tab's eID attempt, forgotten as it is read (an attempt finishes once). */
export function takeEidAttempt(): string | null {
  try {
    const attempt = sessionStorage.getItem(EID_ATTEMPT_KEY)
    sessionStorage.removeItem(EID_ATTEMPT_KEY)
    return attempt
  } catch {
    return null
  }
}
