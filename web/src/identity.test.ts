import { describe, expect, it } from 'vitest'
import { createApiClient, parseRetryAfter } from './api'
import {
  idNumberProblem,
  isPhone,
  isValidIdNumber,
  maskIdNumber,
  normalizeIdNumber,
  normalizePhone,
  safeReturnPath,
} from './identity'
import { createSessionStore, SESSION_KEY, type SessionEvent } from './session'

describe('DNI and NIE', () => {
  it('accepts numbers whose check letter fits', () => {
    for (const id of ['12345678Z', 'X1234567L', 'Y1234567X', '00000000T', '54362315K']) {
      expect(isValidIdNumber(id), id).toBe(true)
    }
  })

  it('rejects a wrong check letter, and says that is what is wrong', () => {
    expect(isValidIdNumber('54362315Z')).toBe(false)
    expect(idNumberProblem('54362315Z')).toBe('letter')
    expect(idNumberProblem('X1234567Z')).toBe('letter')
  })

  it('rejects what is not a DNI or NIE at all', () => {
    for (const id of ['1234567Z', '123456789Z', 'A1234567L', 'X12345678L', '12345678', 'ZZZ', '12.345.678Z']) {
      expect(idNumberProblem(normalizeIdNumber(id)), id).toBe('format')
    }
    expect(idNumberProblem('')).toBe('missing')
  })

  it('takes the number as people type it: lower case, spaces, hyphens', () => {
    expect(normalizeIdNumber(' 12345678-z ')).toBe('12345678Z')
    expect(normalizeIdNumber('x 1234567 l')).toBe('X1234567L')
    expect(isValidIdNumber('y-1234567-x')).toBe(true)
  })

  it('is masked to its last four characters', () => {
    expect(maskIdNumber('12345678Z')).toBe('****678Z')
    expect(maskIdNumber('X1234567L')).toBe('****567L')
  })
})

describe('phone numbers', () => {
  it('become international numbers', () => {
    expect(normalizePhone('612 345 678')).toBe('+34612345678')
    expect(normalizePhone('0034 612-345-678')).toBe('+34612345678')
    expect(normalizePhone('+44 7700 900123')).toBe('+447700900123')
    expect(isPhone(normalizePhone('612 345 678'))).toBe(true)
    expect(isPhone(normalizePhone('12345'))).toBe(false)
    expect(isPhone(normalizePhone('6123456a8'))).toBe(false)
  })
})

describe('where to go after sign-in', () => {
  it('is a path on this app', () => {
    expect(safeReturnPath('/me')).toBe('/me')
    expect(safeReturnPath('/services/padron?x=1')).toBe('/services/padron?x=1')
  })

  it('is never another site, a full URL, the API or nonsense', () => {
    for (const value of [
      '//evil.example',
      '//evil.example/me',
      '/\\evil.example',
      '\\\\evil.example',
      'https://evil.example/me',
      'javascript:alert(1)',
      'me',
      '',
      '/api/auth/logout',
      '/me\nx',
      null,
      undefined,
    ]) {
      expect(safeReturnPath(value), String(value)).toBeNull()
    }
  })
})

describe('Retry-After', () => {
  it('reads seconds or an HTTP date', () => {
    expect(parseRetryAfter('120')).toBe(120)
    expect(parseRetryAfter(null)).toBeNull()
    expect(parseRetryAfter('soon')).toBeNull()
    const now = Date.parse('2026-01-01T10:00:00Z')
    expect(parseRetryAfter('Thu, 01 Jan 2026 10:05:00 GMT', now)).toBe(300)
  })
})

describe('the session store', () => {
  it('keeps {access_token, expires_at} in sessionStorage and ends at expires_at', () => {
    let now = Date.parse('2026-01-01T10:00:00Z')
    const events: SessionEvent[] = []
    const store = createSessionStore(window.sessionStorage, () => now)
    store.subscribe((event) => events.push(event))

    store.start({ access_token: 'abc', expires_in: 900 }, 'citizen')
    expect(JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? '{}')).toEqual({
      access_token: 'abc',
      expires_at: '2026-01-01T10:15:00.000Z',
      kind: 'citizen',
    })
    expect(store.current()?.access_token).toBe('abc')

    now += 900_000
    expect(store.current()).toBeNull()
    expect(sessionStorage.getItem(SESSION_KEY)).toBeNull()
    expect(events.map((e) => e.type)).toEqual(['started', 'ended'])
    expect(events[1]).toEqual({ type: 'ended', reason: 'ended', kind: 'citizen' })
  })

  it('sends the bearer token, and ends the session on a 401', async () => {
    const store = createSessionStore(window.sessionStorage)
    store.start({ access_token: 'abc', expires_in: 900 }, 'staff')
    const seen: (string | undefined)[] = []
    const api = createApiClient({
      session: store,
      fetch: async (_url, init) => {
        seen.push((init?.headers as Record<string, string>).Authorization)
        return new Response(JSON.stringify({ code: 'unauthorized' }), { status: 401 })
      },
    })
    await expect(api.request('/me', { auth: true })).rejects.toMatchObject({ status: 401 })
    expect(seen).toEqual(['Bearer abc'])
    expect(store.peek()).toBeNull()
  })
})
