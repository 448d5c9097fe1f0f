import { describe, expect, it } from 'vitest'
import { groupByOffice, officeName } from './offices'
import { createServiceCatalogue, type Fetch } from './services'
import { json, OFFICES, problem, SERVICES } from './test/render'

describe('the offices, read from GET /offices', () => {
  it('are asked once and kept; a failure is not kept, so the next call asks again', async () => {
    const asked: string[] = []
    const answers = [() => problem(503, 'unavailable'), () => json([...OFFICES, { id: 'BAD' }, 'nonsense'])]
    const fetch: Fetch = async (input) => {
      asked.push(input)
      return (answers[asked.length - 1] ?? answers[1]!)()
    }
    const catalogue = createServiceCatalogue({ fetch })

    await expect(catalogue.offices()).rejects.toMatchObject({ status: 503 })
    expect(catalogue.cachedOffices()).toBeNull()
    const [first, second] = await Promise.all([catalogue.offices(), catalogue.offices()])
    // Only well-formed offices: one bad record does not take the others down.
    expect(first.map((o) => o.id)).toEqual(['OGAT', 'OMAC'])
    expect(second).toBe(first)
    expect(await catalogue.offices()).toBe(first)
    expect(catalogue.cachedOffices()).toBe(first)
    expect(asked).toEqual(['/api/offices', '/api/offices'])
  })

  it('name an office in the language asked, another it has, or its code', () => {
    const partial = [{ ...OFFICES[0]!, id: 'NEW', name: { es: 'Oficina Nueva' } }]
    expect(officeName(OFFICES, 'es', 'OMAC')).toBe('Oficina Municipal de Atención Ciudadana')
    expect(officeName(OFFICES, 'en', 'OGAT')).toBe('Tax Office')
    expect(officeName(partial, 'ca', 'NEW')).toBe('Oficina Nueva')
    expect(officeName(OFFICES, 'ca', 'XYZ')).toBe('XYZ')
    expect(officeName(null, 'ca', 'OMAC')).toBe('OMAC')
  })

  it('group services in the order the API lists the offices; an unlisted office follows', () => {
    const stray = { ...SERVICES[0]!, id: 'stray', office: 'ZZZ' }
    const groups = groupByOffice([...SERVICES, stray], OFFICES)
    expect(groups.map((g) => [g.office, g.services.map((s) => s.id)])).toEqual([
      ['OGAT', ['instalment-plan']],
      ['OMAC', ['padron-certificate']],
      ['ZZZ', ['stray']],
    ])
  })
})
