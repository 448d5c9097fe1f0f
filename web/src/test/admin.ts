/** Back-office fixtures: an admin, a supervisor, the offices as `GET /admin/offices` gives them. */
export const ADMIN = { kind: 'staff', username: 'admin1', name: 'Marta Vidal', roles: ['admin'], office: null }

const WEEK = { '1': [['09:00', '14:00']], '2': [['09:00', '14:00']], '3': [], '4': [], '5': [], '6': [], '7': [] }
export const ADMIN_OFFICES = [
  {
    id: 'OMAC',
    name: { ca: "Oficina Municipal d'Atenció Ciutadana", es: 'Oficina Municipal de Atención Ciudadana', en: 'Citizen Service Office' },
    timezone: 'Europe/Madrid',
    address: 'Plaça de la Vila, 1',
    kinds: [],
    opening_hours: WEEK,
    overflow_after_minutes: 5,
    version: 3,
  },
]

export const SUPERVISOR = { kind: 'staff', username: 'sup1', name: 'Laia Roca', roles: ['supervisor'], office: 'OMAC' }

/** Picks an option of a select as a person would (the `change` event Preact listens to). */
export async function choose(selector: string, value: string): Promise<void> {
  const { act } = await import('preact/test-utils')
  const select = document.querySelector<HTMLSelectElement>(selector)
  if (!select) throw new Error(`no select ${selector}`)
  await act(() => {
    select.value = value
    select.dispatchEvent(new Event('change', { bubbles: true }))
  })
}
