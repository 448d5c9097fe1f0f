import { describe, expect, it } from 'vitest'
import { mountApp, problem, routeApi, submit, type, waitFor } from '../test/render'
import { pageTest } from '../test/page'

const value = (selector: string) => document.querySelector<HTMLInputElement>(selector)?.value

describe('when the service is briefly unavailable (503)', () => {
  pageTest()

  it('says so in plain words and keeps what the person typed', async () => {
    const api = routeApi({
      'POST /api/auth/otp': () => problem(503, 'service_unavailable', {}, { 'Retry-After': '30' }),
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/sign-in' })

    await type('#id-number', '12345678Z')
    await type('#destination', 'ana@example.com')
    await submit('form#otp-request')

    await waitFor(() => expect(document.querySelector('.error-summary')?.textContent).toContain('no està disponible'))
    expect(document.querySelector('.error-summary')?.textContent).toContain('El que heu escrit es manté')
    expect(value('#id-number')).toBe('12345678Z')
    expect(value('#destination')).toBe('ana@example.com')
    expect(document.querySelector('form#otp-request')).not.toBeNull()
  })
})
