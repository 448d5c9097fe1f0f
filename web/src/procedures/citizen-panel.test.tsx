import { describe, expect, it } from 'vitest'
import { click, find, json, liveRegion, pageTest, problem, submit, text, type, waitFor } from '../test/page'
import { AWAITING, catchDownloads, DOCUMENT, ISSUED, openPanel } from '../test/procedures'

describe('the citizen’s procedure panel', () => {
  pageTest({ zone: 'UTC' })

  it('citizen: confirms what the agent prepared with a one-time code, then downloads the document', async () => {
    const downloads = catchDownloads()
    const api = await openPanel('citizen', 'es', null, {
      'GET /api/appointments/appt-1/procedures': () => json({ items: [AWAITING], next: null }),
      'POST /api/procedures/proc-1/confirm': [
        () => json({ challenge_id: 'ch-1', channel: 'email', expires_in: 600 }, 202),
        () => problem(401, 'invalid_code', { attempts_left: 2 }),
        () => problem(429, 'rate_limited', {}, { 'Retry-After': '120' }),
        () => json(ISSUED),
      ],
      'GET /api/documents/doc-1': () => json({ ...DOCUMENT, download_url: 'https://files.test/doc-1.pdf?sig=y' }),
    })
    await find('#consent-proc-1')
    expect(text('#procedure-title')).toBe('Sus trámites')
    expect(text('#consent-proc-1-title')).toBe('Instalment plan')
    expect(text('#consent-proc-1 dl')).toContain('Amount€1,200.00')
    expect(text('#consent-proc-1')).toContain('Se necesita su confirmación.')

    await click(document.querySelector('#consent-proc-1-send'))
    await waitFor(() => expect(document.activeElement?.id).toBe('consent-proc-1-form-title'))
    expect(api.callsTo('POST /api/procedures/proc-1/confirm')[0]?.body).toBeUndefined()
    expect(text('#consent-proc-1 .otp-sent')).toBe('Le hemos enviado un código por correo electrónico.')

    await submit('#consent-proc-1-form')
    expect(text('#consent-proc-1-code-error')).toBe('Error: Escriba el código que ha recibido.')
    await type('#consent-proc-1-code', '123456')
    await submit('#consent-proc-1-form')
    await waitFor(() => expect(text('#consent-proc-1-code-error')).toBe('Error: El código no es correcto. Intentos restantes: 2.'))
    // A wrong code is not the end of the session.
    expect(sessionStorage.length).toBeGreaterThan(0)
    expect(window.location.pathname).toBe('/appointments/appt-1')
    await submit('#consent-proc-1-form')
    await waitFor(() => expect(text('#consent-proc-1-code-error')).toBe('Error: Demasiados intentos. Vuelva a intentarlo dentro de 2 min.'))
    await type('#consent-proc-1-code', ' 654 321 ')
    await submit('#consent-proc-1-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('procedure-proc-1-title'))
    expect(api.callsTo('POST /api/procedures/proc-1/confirm')[3]?.body).toEqual({ challenge_id: 'ch-1', code: '654321' })
    expect(document.querySelector('li.procedure[data-id="proc-1"]')?.getAttribute('data-status')).toBe('issued')
    expect(text('li.procedure[data-id="proc-1"] .procedure__status')).toBe('Emitido')
    await waitFor(() => expect(liveRegion()).toBe('Trámite confirmado. Ya puede descargar los documentos.'))
    await click(await find('#download-doc-1'))
    await waitFor(() => expect(downloads).toHaveLength(1))
    expect(downloads[0]?.href).toBe('https://files.test/doc-1.pdf?sig=y')
    expect(api.callsTo('GET /api/documents/doc-1')[0]?.headers.Authorization).toBe('Bearer token-citizen')
  })
})
