import { describe, expect, it } from 'vitest'
import { translate, type Language, type MessageKey, type Params } from './i18n'
import { formatPeriod, parseRetention, recordingRetentionText } from './retention'

const tr = (language: Language) => (key: MessageKey, params?: Params) => translate(language, key, params)

describe('retention as citizens read it', () => {
  it('says a period in plain words in each language', () => {
    const period = { years: 4, months: 1, days: 0 }
    expect(formatPeriod(period, tr('en'), 'en')).toBe('4 years and 1 month')
    expect(formatPeriod(period, tr('ca'), 'ca')).toBe('4 anys i 1 mes')
    expect(formatPeriod(period, tr('es'), 'es')).toBe('4 años y 1 mes')
    expect(formatPeriod({ years: 0, months: 0, days: 30 }, tr('es'), 'es')).toBe('30 días')
    expect(formatPeriod({ years: 1, months: 0, days: 1 }, tr('ca'), 'ca')).toBe('1 any i 1 dia')
  })

  it('tells a service without a procedure only the default, and an unknown service the default too', () => {
    const rules = parseRetention({
      recording_default: { years: 0, months: 0, days: 30 },
      services: [
        {
          service_id: 'info',
          recording: { years: 0, months: 0, days: 30 },
          documents: { years: 1, months: 0, days: 0 },
        },
        { service_id: 'broken', recording: { years: 'two' } },
      ],
    })
    expect(rules?.services.map((s) => s.service_id)).toEqual(['info'])
    expect(recordingRetentionText(rules, 'info', tr('en'), 'en')).toBe('30 days; then it is deleted.')
    expect(recordingRetentionText(rules, 'nope', tr('en'), 'en')).toBe('30 days; then it is deleted.')
    expect(recordingRetentionText(null, 'info', tr('en'), 'en')).toBeNull()
  })

  it('refuses an answer without a default period', () => {
    expect(parseRetention({ services: [] })).toBeNull()
    expect(parseRetention({ recording_default: { years: 0, months: 0, days: 0 }, services: [] })).toBeNull()
  })
})
