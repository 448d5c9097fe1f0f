import { afterEach, describe, expect, it } from 'vitest'
import { act } from 'preact/test-utils'
import { click, json, liveRegion, mountApp, routeApi, submit, type, waitFor } from './test/render'

const pause = (ms: number) => act(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

describe('the page shell', () => {
  let app: Awaited<ReturnType<typeof mountApp>> | undefined
  afterEach(() => {
    app?.unmount()
    localStorage.clear()
    sessionStorage.clear()
  })

  it('empties the live region on navigation: one page’s announcement is not read on the next', async () => {
    const api = routeApi({ 'POST /api/auth/otp': () => json({ challenge_id: 'ch-1', expires_in: 600 }, 202) })
    app = await mountApp({ fetch: api.fetch, language: 'en', path: '/sign-in' })
    await type('#id-number', '12345678Z')
    await type('#destination', 'ana@example.com')
    await submit('form#otp-request')
    await waitFor(() => expect(liveRegion()).toContain('We have sent a code'))

    await click(document.getElementById('verify-link'))

    await waitFor(() => expect(window.location.pathname).toBe('/verify'))
    expect(liveRegion()).toBe('')
    await pause(250)
    expect(liveRegion()).toBe('')
  })
})
