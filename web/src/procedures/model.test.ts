import { describe, expect, it } from 'vitest'
import {
  apiFieldErrors,
  checkForm,
  compactIban,
  fieldForError,
  formatMoney,
  initialValues,
  isIban,
  parseEuros,
  parseForm,
  parsePlan,
  previewFields,
  previewRequest,
  type ProcedureForm,
} from './model'

const FORM = parseForm({
  type: 'direct_debit',
  title: 'Direct debit',
  needs_consent: true,
  fields: [
    { name: 'receipts', kind: 'multichoice', label: 'Receipts', required: true, options: [
      { value: 'R-1', label: 'IBI 2026' },
      { value: 'R-2', label: 'Vehicle tax 2026' },
    ] },
    { name: 'iban', kind: 'iban', label: 'IBAN', required: true },
    { name: 'holder', kind: 'text', label: 'Account holder', required: false },
    { name: 'amount_cents', kind: 'money', label: 'Amount', required: true, min: 10000 },
    { name: 'fractions', kind: 'integer', label: 'Fractions', required: true, min: 2, max: 24 },
    { name: 'day_of_month', kind: 'choice', label: 'Day', required: true, options: [
      { value: 5, label: '5' },
      { value: 20, label: '20' },
    ] },
    { name: 'signed_on', kind: 'date', label: 'Signed on', required: false },
    { name: 'holder_consents', kind: 'boolean', label: 'The holder consents', required: true },
    { name: 'strange', kind: 'hologram', label: 'Ignored' },
  ],
}) as ProcedureForm

describe('euros typed → cents', () => {
  it.each([
    ['1200', 120000],
    ['1200,50', 120050],
    ['1200.5', 120050],
    ['1.200', 120000],
    ['1,200', 120000],
    ['1.200,50', 120050],
    ['1,200.50', 120050],
    ['1.234.567,89', 123456789],
    ['1 216,33 €', 121633],
    ['0,05', 5],
    ['12,5', 1250],
    ['€ 100', 10000],
    ['0.1', 10],
  ])('%s → %i cents', (typed, cents) => {
    expect(parseEuros(typed)).toBe(cents)
  })

  it.each(['', 'abc', '-5', '1,2,3', '12.345,6,7', '1.23.456', '12,', ',5', '1,234,56', '1.2345', '1,001.5.0'])(
    'refuses %j',
    (typed) => {
      expect(parseEuros(typed)).toBeNull()
    },
  )

  it('never goes through floating point (0.29 € is 29 cents, not 28.999…)', () => {
    expect(parseEuros('0,29')).toBe(29)
    expect(parseEuros('4.35')).toBe(435)
    expect(parseEuros('1.005,07')).toBe(100507)
  })

  it('is shown back in the language of the page', () => {
    expect(formatMoney('ca', 121633).replace(/\s/g, ' ')).toBe('1.216,33 €')
    expect(formatMoney('en', 121633)).toBe('€1,216.33')
  })
})

describe('IBAN', () => {
  it('is compacted and checked with mod 97', () => {
    expect(compactIban('es91 2100 0418 4502 0005 1332')).toBe('ES9121000418450200051332')
    expect(isIban('ES9121000418450200051332')).toBe(true)
    expect(isIban('ES9121000418450200051333')).toBe(false)
    expect(isIban('ES91')).toBe(false)
  })
})

describe('the form from its schema', () => {
  it('keeps the kinds it knows, with their options and bounds', () => {
    expect(FORM.fields.map((f) => f.name)).toEqual([
      'receipts',
      'iban',
      'holder',
      'amount_cents',
      'fractions',
      'day_of_month',
      'signed_on',
      'holder_consents',
    ])
    expect(FORM.needsConsent).toBe(true)
    expect(FORM.fields[3]?.min).toBe(10000)
    expect(initialValues(FORM)).toMatchObject({ receipts: [], iban: '', holder_consents: false })
  })

  it('says which required fields are missing, in the form’s order', () => {
    const { problems } = checkForm(FORM, initialValues(FORM))
    expect(problems.map((p) => [p.field.name, p.problem.kind])).toEqual([
      ['receipts', 'required'],
      ['iban', 'required'],
      ['amount_cents', 'required'],
      ['fractions', 'required'],
      ['day_of_month', 'required'],
      ['holder_consents', 'mustAccept'],
    ])
  })

  it('builds the API data: cents, numbers, the options’ own values, optional fields left out', () => {
    const { data, problems } = checkForm(FORM, {
      receipts: ['R-2'],
      iban: 'es91 2100 0418 4502 0005 1332',
      holder: '  ',
      amount_cents: '1.200,00',
      fractions: '6',
      day_of_month: '5',
      signed_on: '',
      holder_consents: true,
    })
    expect(problems).toEqual([])
    expect(data).toEqual({
      receipts: ['R-2'],
      iban: 'ES9121000418450200051332',
      amount_cents: 120000,
      fractions: 6,
      day_of_month: 5,
      holder_consents: true,
    })
  })

  it('checks formats and bounds', () => {
    const { problems } = checkForm(FORM, {
      receipts: ['R-9'],
      iban: 'ES00 1234',
      amount_cents: '99,99',
      fractions: '25',
      day_of_month: '7',
      signed_on: '2026-02-30',
      holder_consents: true,
    })
    expect(problems.map((p) => [p.field.name, p.problem])).toEqual([
      ['receipts', { kind: 'choice' }],
      ['iban', { kind: 'iban' }],
      ['amount_cents', { kind: 'min', min: 10000 }],
      ['fractions', { kind: 'max', max: 24 }],
      ['day_of_month', { kind: 'choice' }],
      ['signed_on', { kind: 'date' }],
    ])
    expect(checkForm(FORM, { fractions: '2.5' }, new Set(['fractions'])).problems[0]?.problem).toEqual({
      kind: 'integer',
    })
    expect(checkForm(FORM, { amount_cents: 'a lot' }, new Set(['amount_cents'])).problems[0]?.problem).toEqual({
      kind: 'money',
    })
  })
})

describe('the API’s field errors', () => {
  it('are placed on the field they name, nested or not; the rest go to the summary', () => {
    expect(fieldForError(FORM, 'data.iban')?.name).toBe('iban')
    expect(fieldForError(FORM, 'iban')?.name).toBe('iban')
    expect(fieldForError(FORM, 'data.receipts[1]')?.name).toBe('receipts')
    expect(fieldForError(FORM, 'data.amount_cents.value')?.name).toBe('amount_cents')
    expect(fieldForError(FORM, 'data.debt')).toBeNull()
    const mapped = apiFieldErrors(FORM, {
      errors: [
        { field: 'data.fractions', message: 'Too many fractions for this amount.' },
        { field: 'data.iban', message: 'The account check digits are wrong.' },
        { field: 'data.iban', message: 'Second message for the same field.' },
        { field: 'type', message: 'Unknown procedure.' },
      ],
    })
    expect(mapped.fields.map((f) => [f.field.name, f.message])).toEqual([
      ['iban', 'The account check digits are wrong.'],
      ['fractions', 'Too many fractions for this amount.'],
    ])
    expect(mapped.general).toEqual(['Unknown procedure.'])
  })
})

describe('the instalment preview', () => {
  const plan = parseForm({
    type: 'instalment_plan',
    title: 'Instalment plan',
    needs_consent: true,
    fields: [
      { name: 'debts', kind: 'multichoice', label: 'Debts', required: true, options: [
        { value: 'D-1', label: 'IBI 2025 — 700,00 €', amount_cents: 70000, voluntary_period_end: '2025-07-21' },
        { value: 'D-2', label: 'Waste 2025 — 500,00 €', amount_cents: 50000, voluntary_period_end: '2025-06-30' },
      ] },
      { name: 'fractions', kind: 'integer', label: 'Fractions', required: true },
      { name: 'first_due', kind: 'date', label: 'First due', required: true },
      { name: 'day_of_month', kind: 'choice', label: 'Day', required: true, options: [
        { value: '5', label: '5' },
        { value: '20', label: '20' },
      ] },
      { name: 'guarantee', kind: 'choice', label: 'Guarantee', required: false, options: [
        { value: 'none', label: 'None' },
        { value: 'aval', label: 'Bank guarantee' },
      ] },
      { name: 'consent_informed', kind: 'boolean', label: 'Informed', required: true },
    ],
  }) as ProcedureForm

  it('reads the fields named like its parameters and the debts chosen, not the rest', () => {
    expect([...previewFields(plan)]).toEqual(['debts', 'fractions', 'first_due', 'day_of_month', 'guarantee'])
    const { data, problems } = checkForm(
      plan,
      { debts: ['D-1', 'D-2'], fractions: '6', first_due: '2025-09-05', day_of_month: '5', guarantee: '' },
      previewFields(plan),
    )
    expect(problems).toEqual([])
    expect(previewRequest(plan, data)).toEqual({
      amount_cents: 120000,
      voluntary_period_end: '2025-06-30',
      fractions: 6,
      first_due: '2025-09-05',
      day_of_month: 5,
      guarantee: 'none',
    })
  })

  it('reads the schedule, adding up the principal', () => {
    const preview = parsePlan({
      items: [
        { due: '2025-09-05', principal_cents: 20000, interest_cents: 102, total_cents: 20102 },
        { due: '2025-10-06', principal_cents: 20000, interest_cents: 171, total_cents: 20171 },
      ],
      interest_cents: 273,
      total_cents: 40273,
      guarantee_required: false,
      guarantee_cents: 0,
    })
    expect(preview?.principal_cents).toBe(40000)
    expect(preview?.total_cents).toBe(40273)
    expect(preview?.items).toHaveLength(2)
  })
})
