import { describe, expect, it } from 'vitest'
import { axeViolations } from '../test/axe'
import { click, find, mountApp, pageTest, problem, routeApi, submit, text, type, waitFor } from '../test/page'

describe('the staff account activation page', () => {
  pageTest()

  async function open(hash: string, routes: Parameters<typeof routeApi>[0] = {}) {
    const api = routeApi({ 'POST /api/auth/staff/activate': () => new Response(null, { status: 204 }), ...routes })
    await mountApp({ fetch: api.fetch, language: 'en', path: `/staff/activate${hash}` })
    return api
  }

  it('reads the token from the fragment, takes it out of the address bar, and sets the password', async () => {
    const api = await open('#token=tok-123')
    await find('#activate-password')
    expect(window.location.hash).toBe('')
    expect(window.location.pathname).toBe('/staff/activate')
    expect(text('h1')).toBe('Activate your account')
    expect(text('#activate-password-hint')).toContain('At least 12 characters.')
    expect(document.querySelector('#activate-password')?.getAttribute('autocomplete')).toBe('new-password')
    expect(await axeViolations()).toEqual([])

    await submit('form#activate-form')
    expect(text('#activate-password-error')).toBe('Error: Enter a password.')
    expect(api.callsTo('POST /api/auth/staff/activate')).toHaveLength(0)

    await type('#activate-password', 'a long sentence to remember')
    await submit('form#activate-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('activate-done'))
    expect(api.callsTo('POST /api/auth/staff/activate')[0]?.body).toEqual({ token: 'tok-123', password: 'a long sentence to remember' })
    expect(text('#activate-done')).toContain('Your account is active.')
    await click(document.querySelector('#activate-sign-in'))
    await waitFor(() => expect(window.location.pathname).toBe('/staff/sign-in'))
  })

  it('shows the server’s refusal of a password at the field', async () => {
    await open('#token=tok-123&purpose=reset', {
      'POST /api/auth/staff/activate': [
        () => problem(422, 'validation_error', { errors: [{ field: 'password', code: 'too_common', message: 'too common' }] }),
        () => problem(422, 'validation_error', { errors: [{ field: 'password', code: 'contains_username', message: 'x' }] }),
      ],
    })
    await find('#activate-password')
    expect(text('h1')).toBe('Set a new password')
    await type('#activate-password', 'password1234')
    await submit('form#activate-form')
    await waitFor(() => expect(text('#activate-password-error')).toBe('Error: This password is too common: choose another one.'))
    expect(document.activeElement?.id).toBe('activate-errors')
    expect(document.querySelector('#activate-password')?.getAttribute('aria-invalid')).toBe('true')
    await submit('form#activate-form')
    await waitFor(() => expect(text('#activate-password-error')).toBe('Error: The password cannot contain your username.'))
    expect(await axeViolations()).toEqual([])
  })

  it('explains a used or expired link (410), and a link without a token', async () => {
    await open('#token=old', { 'POST /api/auth/staff/activate': () => problem(410, 'invitation_expired') })
    await type('#activate-password', 'a long sentence to remember')
    await submit('form#activate-form')
    await waitFor(() => expect(text('#activate-expired')).toContain('This link is no longer valid'))
    expect(document.querySelector('#activate-form')).toBeNull()
  })

  it('says a link without a token is not valid', async () => {
    await open('')
    await waitFor(() => expect(text('#activate-expired')).toContain('This link is no longer valid'))
  })
})
