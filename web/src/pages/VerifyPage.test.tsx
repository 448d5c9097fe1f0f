import { describe, expect, it } from 'vitest'
import { click, find, json, mountApp, pageTest, problem, routeApi, submit, text, type, waitFor } from '../test/page'
import { DOCUMENT, last } from '../test/procedures'

describe('checking a document', () => {
  pageTest({ zone: 'UTC' })

  it('verify: anyone checks a CSV as typed, with the holder’s ID number, and gets the original', async () => {
    const api = routeApi({
      'GET /api/verify/SP7HD-BFS3D-TR98H-6BCFN-M1': [
        () => problem(404, 'not_found'),
        () => json({ ...DOCUMENT, office: 'OGAT', download_url: 'https://files.test/doc-1.pdf?sig=z' }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'en', path: '/' })
    await click(await find('footer a#verify-link'))
    expect(text('h1')).toBe('Verify a document')
    expect(text('#verify-id-number-hint')).toContain('Only for residence certificates')

    await submit('#verify-form')
    expect(text('#verify-csv-error')).toBe('Error: Enter the secure verification code.')
    // One character copied wrong: its check characters tell, at the field, before any lookup.
    await type('#verify-csv', ' sp7hd-bfs3d-tr98h-6bcfn-m2 ')
    await submit('#verify-form')
    expect(text('#verify-csv-error')).toContain('A character of this code is not right')
    expect(document.querySelector('#verify-csv')?.getAttribute('aria-invalid')).toBe('true')
    expect(api.calls.filter((c) => c.url.startsWith('/api/verify'))).toHaveLength(0)

    await type('#verify-csv', ' sp7hd-bfs3d-tr98h-6bcfn-m1 ')
    await submit('#verify-form')
    await waitFor(() => expect(document.activeElement?.id).toBe('verify-result-title'))
    expect(text('#verify-result-title')).toBe('No document found')
    expect(text('#verify-not-found')).toContain('There is no document with that code (or the ID number does not match')
    expect(text('#verify-not-found')).toContain('enter the holder’s ID number too')
    expect(last(api.calls)?.url).toBe('/api/verify/SP7HD-BFS3D-TR98H-6BCFN-M1')
    expect(last(api.calls)?.headers.Authorization).toBeUndefined()

    await type('#verify-id-number', '12345678-z')
    await submit('#verify-form')
    await waitFor(() => expect(text('#verify-result-title')).toBe('Authentic document'))
    expect(last(api.calls)?.url).toBe('/api/verify/SP7HD-BFS3D-TR98H-6BCFN-M1?id_number=12345678Z')
    expect(text('#verify-doc-title')).toBe('Instalment plan resolution')
    expect(text('#verify-office')).toBe('Tax Office')
    expect(text('#verify-checked')).toContain('its holder is the person with the DNI or NIE given')
    expect(text('#verify-sha256')).toBe('a'.repeat(64))
    expect(text('#verify-issued')).toMatch(/28 November 2026, 11:20/)
    expect(text('#verify-available')).toMatch(/28 November 2031/)
    expect(document.querySelector('#verify-download')?.getAttribute('href')).toBe('https://files.test/doc-1.pdf?sig=z')
  })

  it('verify: the QR of a residence certificate asks for the holder’s ID number first, at its field', async () => {
    const api = routeApi({
      'GET /api/verify/SP7HD-BFS3D-TR98H-6BCFN-M1': [
        () =>
          problem(422, 'validation_error', {
            errors: [{ field: 'id_number', message: "this document has personal data: give its holder's DNI or NIE too" }],
          }),
        () => json({ ...DOCUMENT, office: 'OMAC', download_url: 'https://files.test/doc-1.pdf' }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/verify/SP7HD-BFS3D-TR98H-6BCFN-M1' })
    await waitFor(() =>
      expect(text('#verify-id-number-error')).toBe(
        'Error: Aquest document conté dades personals: escriviu també el DNI o NIE de la persona titular per veure’l.',
      ),
    )
    expect(document.querySelector('#verify-id-number')?.getAttribute('aria-invalid')).toBe('true')
    expect(document.querySelector('#verify-not-found')).toBeNull()
    expect(document.querySelector('.error-summary a')?.getAttribute('href')).toBe('#verify-id-number')

    await type('#verify-id-number', '12345678Z')
    await submit('#verify-form')
    await waitFor(() => expect(text('#verify-result-title')).toBe('Document autèntic'))
    expect(text('#verify-office')).toBe("Oficina Municipal d'Atenció Ciutadana")
  })

  it('verify: the address with the code checks it at once; too many lookups are said plainly', async () => {
    const api = routeApi({
      'GET /api/verify/2GAC6GY109Y4T71RDEY4X1': [
        () => json({ ...DOCUMENT, download_url: 'https://files.test/doc-1.pdf' }),
        () => problem(429, 'rate_limited', {}, { 'Retry-After': '60' }),
      ],
    })
    await mountApp({ fetch: api.fetch, language: 'ca', path: '/verify/2GAC6GY109Y4T71RDEY4X1' })
    await waitFor(() => expect(text('#verify-result-title')).toBe('Document autèntic'))
    expect((document.querySelector('#verify-csv') as HTMLInputElement).value).toBe('2GAC6GY109Y4T71RDEY4X1')
    await submit('#verify-form')
    await waitFor(() => expect(text('#verify-errors li')).toBe("Massa intents. Torneu-ho a provar d'aquí a 1 min."))

    await type('#verify-csv', 'hello')
    await type('#verify-id-number', '12.345.678')
    await submit('#verify-form')
    expect(text('#verify-csv-error')).toBe('Error: Aquest codi no té el format d’un CSV: reviseu-lo.')
    expect(text('#verify-id-number-error')).toBe(
      'Error: Escriviu el número tal com surt al document d’identitat (lletres i xifres).',
    )
    expect(api.callsTo('GET /api/verify/2GAC6GY109Y4T71RDEY4X1')).toHaveLength(2)
  })
})
