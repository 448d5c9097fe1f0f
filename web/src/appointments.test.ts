import { afterEach, describe, expect, it } from 'vitest'
import { addDays, daysBetween, formatDate, formatDay, formatTime, madridDay, uuid } from './appointments'
import { setDeviceZone } from './test/appointments'

describe('the council’s clock', () => {
  let restoreZone = () => {}
  afterEach(() => restoreZone())

  for (const deviceZone of ['UTC', 'America/New_York', 'Asia/Tokyo']) {
    it(`shows Madrid times on a device set to ${deviceZone}`, () => {
      restoreZone = setDeviceZone(deviceZone)
      // The device's own clock really is elsewhere (Madrid 09:00 in summer is 07:00 UTC, 03:00 in New York)…
      expect(new Date('2026-03-30T09:00:00+02:00').getHours()).not.toBe(9)
      // …and the app still says 09:00, either side of the change to summer time (29 March 2026).
      for (const language of ['ca', 'es', 'en'] as const) {
        expect(formatTime(language, '2026-03-30T09:00:00+02:00')).toBe('09:00')
        expect(formatTime(language, '2026-03-27T09:00:00+01:00')).toBe('09:00')
        expect(formatTime(language, '2026-12-01T18:45:00+01:00')).toBe('18:45')
      }
      // Late evening in Madrid is already the next day in UTC+9, and still the day before in New York at midnight.
      expect(madridDay('2026-12-01T23:30:00+01:00')).toBe('2026-12-01')
      expect(madridDay('2026-12-01T00:10:00+01:00')).toBe('2026-12-01')
      // (ICU versions differ on a comma or "de"/"del": the day is what matters.)
      expect(formatDate('en', '2026-12-01T00:10:00+01:00')).toMatch(/^Tuesday,? 1 December 2026$/)
      expect(formatDate('ca', '2026-03-30T09:00:00+02:00')).toMatch(/^dilluns, 30 de març del? 2026$/)
      expect(formatDate('es', '2026-03-27T09:00:00+01:00')).toMatch(/^viernes, 27 de marzo de 2026$/)
      expect(formatDay('en', '2026-12-01')).toMatch(/^Tuesday,? 1 December$/)
    })
  }

  it('counts calendar days across the summer-time change', () => {
    expect(addDays('2026-03-28', 1)).toBe('2026-03-29')
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30')
    expect(addDays('2026-12-25', 14)).toBe('2027-01-08')
    expect(daysBetween('2026-03-28', '2026-04-11')).toBe(14)
  })

  it('makes idempotency keys that are UUIDs', () => {
    const key = uuid()
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(uuid()).not.toBe(key)
  })
})
