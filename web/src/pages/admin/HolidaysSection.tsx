/**
 * `/staff/admin/holidays`: a year's holidays (national, regional, the town's local ones). A year never saved starts
 * from the official list the service has in its configuration; saving it shows first the appointments that fall on a
 * new holiday.
 */
import { useState } from 'preact/hooks'
import { adminWrite, getHolidays, holidaysPath, listOffices, SCOPES, type Holiday, type Holidays } from '../../admin'
import { today } from '../../appointments'
import { useAuth } from '../../auth'
import { ErrorSummary, Form, TextField, useFormErrors } from '../../components/forms'
import { useAdminI18n } from '../../i18n/admin'
import { useResource } from '../../resource'
import { Field, LocalizedFields, SaveButton, savedVersion, SaveStatus, useSave } from './common'
import { AdminLoadStatus, OfficeOptions } from './lists'

export function HolidaysSection() {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const thisYear = Number(today().slice(0, 4))
  const years = [thisYear - 1, thisYear, thisYear + 1, thisYear + 2]
  const [year, setYear] = useState(thisYear)
  const [generation, setGeneration] = useState(0)
  const { load, reload } = useResource(() => getHolidays(api, year), [year, generation])
  const offices = useResource(() => listOffices(api), [])

  return (
    <>
      <p class="lead">{t('admin.holidays.intro')}</p>
      <div class="field">
        <label class="field__label" for="holidays-year">
          {t('admin.holidays.year')}
        </label>
        <select id="holidays-year" class="input" value={String(year)} onChange={(e) => setYear(Number(e.currentTarget.value))}>
          {years.map((y) => (
            <option key={y} value={String(y)}>
              {y}
            </option>
          ))}
        </select>
      </div>
      <AdminLoadStatus load={load} onRetry={reload} />
      {load.state === 'ready' && (
        <HolidaysForm
          key={`${load.value.year}-${load.value.version}-${generation}`}
          holidays={load.value}
          offices={(offices.load.value ?? []).map((o) => ({ id: o.id, name: o.name }))}
          onReload={() => setGeneration((n) => n + 1)}
        />
      )}
    </>
  )
}

function HolidaysForm(props: {
  holidays: Holidays
  offices: { id: string; name: Holiday['name'] }[]
  onReload: () => void
}) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const errors = useFormErrors()
  const save = useSave('holidays', errors)
  const [items, setItems] = useState<Holiday[]>(props.holidays.items)
  const [version, setVersion] = useState(props.holidays.version)
  const year = props.holidays.year
  const official = version === 0
  const setItem = (index: number, item: Partial<Holiday>) =>
    setItems((now) => now.map((h, i) => (i === index ? { ...h, ...item } : h)))

  const submit = () => {
    const body = {
      items: items.map((h) => ({ ...h, office: h.scope === 'local' && h.office ? h.office : undefined })),
      version,
    }
    return save.previewed(
      (preview) => adminWrite(api, 'PUT', holidaysPath(year), body, preview),
      (answer) => {
        const saved = savedVersion(answer)
        if (saved !== undefined) setVersion(saved)
      },
    )
  }

  return (
    <section class="panel" aria-labelledby="holidays-title">
      <h2 id="holidays-title">{t('admin.holidays.of', { year })}</h2>
      {official && (
        <div class="notice" id="holidays-official">
          <p>{t('admin.holidays.official')}</p>
          <button type="button" class="button button--secondary" id="holidays-restart" onClick={props.onReload}>
            {t('admin.holidays.restart')}
          </button>
        </div>
      )}
      <ErrorSummary id="holidays-errors" errors={errors.summary} focusKey={errors.key} />
      <Form id="holidays-form" onSubmit={submit}>
        {items.length === 0 && <p class="empty-state">{t('admin.holidays.none')}</p>}
        <ol class="holiday-list">
          {items.map((holiday, index) => (
            <li key={index}>
              <fieldset class="fieldset holiday" id={`holidays-items-${index}`} tabIndex={-1}>
                <legend class="field__label">{t('admin.holidays.item', { n: index + 1 })}</legend>
                <TextField
                  id={`holidays-items-${index}-date`}
                  type="date"
                  inputClass="input--date"
                  label={t('admin.holidays.date')}
                  error={errors.fields[`holidays-items-${index}-date`]}
                  value={holiday.date}
                  onValue={(v) => setItem(index, { date: v })}
                />
                <LocalizedFields
                  id={`holidays-items-${index}-name`}
                  legend={t('admin.holidays.name')}
                  value={holiday.name}
                  onValue={(v) => setItem(index, { name: v })}
                  errors={errors}
                />
                <Field id={`holidays-items-${index}-scope`} label={t('admin.holidays.scope')} errors={errors}>
                  {(a) => (
                    <select
                      {...a}
                      class="input"
                      value={holiday.scope}
                      onChange={(e) => setItem(index, { scope: e.currentTarget.value as Holiday['scope'] })}
                    >
                      {SCOPES.map((scope) => (
                        <option key={scope} value={scope}>
                          {t(`admin.holidays.scope.${scope}`)}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                {holiday.scope === 'local' && (
                  <Field id={`holidays-items-${index}-office`} label={t('admin.holidays.office')} hint={t('admin.holidays.officeHint')} errors={errors}>
                    {(a) => (
                      <select {...a} class="input" value={holiday.office ?? ''} onChange={(e) => setItem(index, { office: e.currentTarget.value || null })}>
                        <OfficeOptions offices={props.offices} none={t('admin.allOffices')} />
                      </select>
                    )}
                  </Field>
                )}
                <button
                  type="button"
                  class="button button--secondary button--small"
                  onClick={() => setItems((now) => now.filter((_, i) => i !== index))}
                >
                  {t('admin.holidays.remove', { n: index + 1 })}
                </button>
              </fieldset>
            </li>
          ))}
        </ol>
        <SaveButton id="holidays-save" save={save} label={t('admin.holidays.save', { year })}>
          <button
            type="button"
            class="button button--secondary"
            id="holidays-add"
            onClick={() => setItems((now) => [...now, { date: `${year}-01-01`, name: {}, scope: 'local', office: null }])}
          >
            {t('admin.holidays.add')}
          </button>
        </SaveButton>
      </Form>
      <SaveStatus id="holidays-status" save={save} onReload={props.onReload} />
    </section>
  )
}
