import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { axeViolations } from '../test/axe'
import { SLOTS } from '../test/appointments'
import { click, find, json, liveRegion, mountApp, pageTest, problem, routeApi, signedIn, storedSession, submit, text, waitFor } from '../test/page'
import { installWebRtc } from '../test/webrtc'
import type { OneTapLink } from './LinkPage'

const TOKEN = 'AAAAAAAAAAAAAAAAAAAAAA'

function link(action: OneTapLink['action'], extra: Partial<OneTapLink> = {}): OneTapLink {
  return {
    action,
    appointment: {
      id: 'appt-1',
      service: { id: 'padron-certificate', name: { ca: 'Certificat de padró', es: 'Certificado de padrón', en: 'Residence certificate' } },
      start: '2026-11-30T10:00:00+01:00',
      end: '2026-11-30T10:15:00+01:00',
      status: 'booked',
    },
    min_assurance: 'low',
    call_window: { opens_at: '2026-11-30T09:45:00+01:00', closes_at: '2026-11-30T11:15:00+01:00' },
    ...extra,
  }
}

describe('the one-tap link page', () => {
  pageTest({ zone: 'UTC' })

  async function open(routes: Parameters<typeof routeApi>[0], options: { hash?: string; session?: ReturnType<typeof signedIn> } = {}) {
    const api = routeApi({ 'GET /api/services/padron-certificate/slots': () => json({ items: SLOTS }), ...routes })
    await mountApp({ fetch: api.fetch, language: 'en', path: `/l${options.hash ?? `#token=${TOKEN}`}`, session: options.session })
    return api
  }

  it('cancels after one confirmation, without the token in the address', async () => {
    const api = await open({
      [`GET /api/links/${TOKEN}`]: () => json(link('cancel')),
      [`POST /api/links/${TOKEN}`]: () => json({ ...link('cancel'), result: {} }),
    })
    await waitFor(() => expect(text('#link-when')).toMatch(/Monday,? 30 November 2026/))
    expect(window.location.hash).toBe('')
    expect(text('#link-facts')).toContain('Residence certificate')
    expect(text('#link-status')).toBe('Booked')
    expect(text('#link-intro')).toBe('This link lets you cancel your appointment.')
    expect(api.callsTo(`GET /api/links/${TOKEN}`)[0]?.headers.Authorization).toBeUndefined()
    expect(await axeViolations()).toEqual([])

    await click(document.querySelector('#link-cancel'))
    await waitFor(() => expect(document.activeElement?.id).toBe('link-cancel-title'))
    expect(api.callsTo(`POST /api/links/${TOKEN}`)).toHaveLength(0)
    await click(document.querySelector('#link-cancel-confirm'))
    await waitFor(() => expect(text('#link-done')).toContain('Your appointment has been cancelled.'))
    expect(api.callsTo(`POST /api/links/${TOKEN}`)).toHaveLength(1)
    await waitFor(() => expect(liveRegion()).toBe('Your appointment has been cancelled.'))
  })

  it('says in plain words that a used or expired link cannot be used (410 and 404)', async () => {
    await open({ [`GET /api/links/${TOKEN}`]: () => problem(410, 'link_expired') })
    await waitFor(() => expect(text('#link-expired')).toContain('This link has already been used or has expired.'))
    expect(document.querySelector('.error-state')).toBeNull()
    expect(await axeViolations()).toEqual([])
  })

  it('says so too for a link never issued, and for one used up meanwhile', async () => {
    await open({
      [`GET /api/links/${TOKEN}`]: () => json(link('cancel')),
      [`POST /api/links/${TOKEN}`]: () => problem(410, 'link_expired'),
    })
    await click(await find('#link-cancel'))
    await click(document.querySelector('#link-cancel-confirm'))
    await waitFor(() => expect(text('#link-expired')).toContain('This link has already been used or has expired.'))
  })

  it('follows another link opened in the same tab', async () => {
    const other = 'BBBBBBBBBBBBBBBBBBBBBB'
    await open({
      [`GET /api/links/${TOKEN}`]: () => problem(410, 'link_expired'),
      [`GET /api/links/${other}`]: () => json(link('change')),
    })
    await waitFor(() => expect(text('#link-expired')).toContain('This link has already been used'))
    window.location.hash = `#token=${other}`
    window.dispatchEvent(new HashChangeEvent('hashchange'))
    await waitFor(() => expect(text('#link-intro')).toBe('This link lets you choose another time for your appointment.'))
    expect(window.location.hash).toBe('')
  })

  it('looks the same link up again when it is opened again in the same tab, and then refuses it', async () => {
    const api = await open({
      [`GET /api/links/${TOKEN}`]: [() => json(link('cancel')), () => problem(410, 'link_expired')],
      [`POST /api/links/${TOKEN}`]: () => json({ ...link('cancel'), result: {} }),
    })
    await click(await find('#link-cancel'))
    await click(document.querySelector('#link-cancel-confirm'))
    await waitFor(() => expect(text('#link-done')).toContain('Your appointment has been cancelled.'))
    window.location.hash = `#token=${TOKEN}`
    window.dispatchEvent(new HashChangeEvent('hashchange'))
    await waitFor(() => expect(text('#link-expired')).toContain('This link has already been used or has expired.'))
    expect(api.callsTo(`GET /api/links/${TOKEN}`)).toHaveLength(2)
  })

  it('moves the appointment to a time picked as when booking', async () => {
    const api = await open({
      [`GET /api/links/${TOKEN}`]: () => json(link('change')),
      [`POST /api/links/${TOKEN}`]: () => json({ ...link('change'), result: {} }),
    })
    await click(await find('button.day[data-date="2026-12-01"]'))
    await click(await find('#slot-0'))
    await submit('form#slot-form')
    await waitFor(() => expect(text('#link-done')).toMatch(/Your appointment is now on Tuesday,? 1 December 2026 at 09:00/))
    expect(api.callsTo(`POST /api/links/${TOKEN}`)[0]?.body).toEqual({ start: SLOTS[0]?.start })
  })

  it('tells in plain words that the office had to change its hours, then moves the appointment', async () => {
    const waiting = (action: OneTapLink['action']) => {
      const found = link(action)
      return { ...found, appointment: { ...found.appointment, status: 'needs_rebooking' } }
    }
    const api = await open({
      [`GET /api/links/${TOKEN}`]: () => json(waiting('change')),
      [`POST /api/links/${TOKEN}`]: () => json({ ...link('change'), result: {} }),
    })
    await waitFor(() =>
      expect(text('#link-intro')).toBe(
        'The office had to change its hours, so your appointment can no longer take place at that time. Choose another time or cancel it.',
      ),
    )
    expect(text('#link-status')).toBe('Choose another time')
    expect(document.querySelector('#link-rebooking-cancel')?.getAttribute('href')).toBe('/appointments')
    expect(await axeViolations()).toEqual([])
    await click(await find('button.day[data-date="2026-12-01"]'))
    await click(await find('#slot-0'))
    await submit('form#slot-form')
    await waitFor(() => expect(text('#link-done')).toMatch(/Your appointment is now on Tuesday,? 1 December 2026 at 09:00/))
    expect(api.callsTo(`POST /api/links/${TOKEN}`)[0]?.body).toEqual({ start: SLOTS[0]?.start })
  })

  it('joins with the session the link opens, scoped to the appointment, into the call page', async () => {
    const webrtc = installWebRtc()
    try {
      const api = await open({
        [`GET /api/links/${TOKEN}`]: () => json(link('join')),
        [`POST /api/links/${TOKEN}`]: () =>
          json({ ...link('join'), result: { appointment_id: 'appt-1', session: { access_token: 'scoped-1', token_type: 'Bearer', expires_in: 3600 } } }),
      })
      await click(await find('#link-join'))
      await waitFor(() => expect(window.location.pathname).toBe('/appointments/appt-1/call'))
      expect(storedSession()?.access_token).toBe('scoped-1')
      await waitFor(() => expect(api.callsTo('GET /api/appointments/appt-1').length).toBeGreaterThan(0))
      expect(api.callsTo('GET /api/appointments/appt-1')[0]?.headers.Authorization).toBe('Bearer scoped-1')
    } finally {
      webrtc.restore()
    }
  })

  it('says when the call opens if joined too early', async () => {
    await open({
      [`GET /api/links/${TOKEN}`]: () => json(link('join')),
      [`POST /api/links/${TOKEN}`]: () => problem(409, 'call_not_open', { opens_at: '2026-11-30T09:45:00+01:00' }),
    })
    await click(await find('#link-join'))
    await waitFor(() => expect(text('#link-errors')).toContain('The video call opens at 09:45'))
  })

  it('sends a service above low assurance through eID first, keeping the token for the return', async () => {
    await open({ [`GET /api/links/${TOKEN}`]: () => json(link('cancel', { min_assurance: 'substantial' })) })
    const start = await find<HTMLAnchorElement>('#eid-start')
    expect(start.getAttribute('href')).toContain('return_to=%2Fl')
    expect(document.querySelector('#link-cancel')).toBeNull()
    expect(sessionStorage.getItem('va.link')).toBe(TOKEN)
    expect(await axeViolations()).toEqual([])
  })

  it('acts after the eID return with the token kept, signed in', async () => {
    sessionStorage.setItem('va.link', TOKEN)
    const api = await open(
      {
        [`GET /api/links/${TOKEN}`]: () => json(link('cancel', { min_assurance: 'substantial' })),
        'GET /api/me': () => json({ kind: 'citizen', id_number: '12345678Z', name: 'Rosa', assurance: 'substantial', auth_method: 'clave' }),
        [`POST /api/links/${TOKEN}`]: () => json({ ...link('cancel'), result: {} }),
      },
      { hash: '', session: signedIn('citizen') },
    )
    await click(await find('#link-cancel'))
    await click(document.querySelector('#link-cancel-confirm'))
    await waitFor(() => expect(text('#link-done')).toContain('Your appointment has been cancelled.'))
    expect(api.callsTo(`POST /api/links/${TOKEN}`)[0]?.headers.Authorization).toBe('Bearer token-citizen')
    expect(sessionStorage.getItem('va.link')).toBeNull()
  })
})

describe('the one-tap pre-flight link', () => {
  let webrtc: ReturnType<typeof installWebRtc>
  const realFetch = window.fetch
  beforeEach(() => {
    webrtc = installWebRtc()
    window.fetch = (async () => {
      throw new TypeError('offline')
    }) as unknown as typeof window.fetch
  })
  afterEach(() => {
    webrtc.restore()
    window.fetch = realFetch
  })
  pageTest({ zone: 'UTC' })

  it('runs the check and sends it through the link', async () => {
    const check = { documents: [{ ca: 'DNI', es: 'DNI', en: 'ID card' }], probe: { media_url: 'http://media.test', ice_servers: [] } }
    const api = routeApi({
      [`GET /api/links/${TOKEN}`]: () => json(link('preflight', { check })),
      [`POST /api/links/${TOKEN}`]: () =>
        json({ ...link('preflight'), result: { appointment_id: 'appt-1', result: 'weak_network', documents: check.documents, audio_only: false, callback_phone: null } }),
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: `/l#token=${TOKEN}` })
    await waitFor(() => expect(text('#pre-documents')).toContain('ID card'))
    await waitFor(() => expect(text('#pre-network')).toBe('The video call server could not be reached.'), 5000)
    await click(document.querySelector('#pre-doc-0'))
    await submit('form#pre-form')
    await waitFor(() => expect(text('#pre-result-text')).toContain('Your connection seems too weak for video.'))
    expect(api.callsTo(`POST /api/links/${TOKEN}`)[0]?.body).toMatchObject({ camera: true, microphone: true, checklist: [0] })
    expect(await axeViolations()).toEqual([])
  })
})
