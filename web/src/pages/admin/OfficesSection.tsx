/** `/staff/admin/offices`: the offices (a new one needs no code change), each with names, zone, address and hours. */
import { useState } from 'preact/hooks'
import { adminWrite, listOffices, officePath, type AdminOffice } from '../../admin'
import { useAuth } from '../../auth'
import { Form, TextField, useFormErrors } from '../../components/forms'
import { Localized } from '../../components/localized'
import { adminLabel, useAdminI18n } from '../../i18n/admin'
import { useResource } from '../../resource'
import { Checkboxes, emptyWeek, Field, LocalizedFields, SaveButton, savedVersion, SaveStatus, useSave, WeekEditor } from './common'
import { AdminLoadStatus, FormPanel, RecordsTable, RowButton, useEditor } from './lists'

export const OFFICE_KINDS = ['tax'] as const

const NEW_OFFICE: AdminOffice = {
  id: '',
  name: {},
  timezone: 'Europe/Madrid',
  address: '',
  kinds: [],
  opening_hours: emptyWeek(),
  overflow_after_minutes: 5,
  version: 0,
}

export function OfficesSection() {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const { load, reload, refresh } = useResource(() => listOffices(api), [], { keep: true })
  const { editing, open } = useEditor<AdminOffice>('office-form-title')

  return (
    <>
      <p class="lead">{t('admin.offices.intro')}</p>
      <AdminLoadStatus load={load} onRetry={reload} />
      {load.value && (
        <RecordsTable
          id="offices"
          caption={t('admin.offices.caption')}
          columns={[t('admin.offices.id'), t('admin.offices.name'), t('admin.offices.timezone'), t('admin.offices.kinds')]}
          actions={t('admin.actions')}
        >
          {load.value.map((office) => (
            <tr key={office.id} data-id={office.id}>
              <th scope="row">{office.id}</th>
              <td>
                <Localized as="span" text={office.name} />
              </td>
              <td>{office.timezone}</td>
              <td>{office.kinds.map((k) => adminLabel(t, `admin.offices.kind.${k}`, k)).join(', ')}</td>
              <td>
                <RowButton id={`edit-${office.id}`} label={t('admin.edit')} row={office.id} onClick={() => open(office)} />
              </td>
            </tr>
          ))}
        </RecordsTable>
      )}
      <div class="actions">
        <button type="button" class="button" id="new-office" onClick={() => open({ ...NEW_OFFICE, opening_hours: emptyWeek() })}>
          {t('admin.offices.new')}
        </button>
      </div>
      {editing && (
        <OfficeForm
          key={editing.n}
          office={editing.value}
          onSaved={refresh}
          onReload={async () => {
            const fresh = (await listOffices(api)).find((o) => o.id === editing.value.id)
            refresh()
            if (fresh) open(fresh)
          }}
        />
      )}
    </>
  )
}

function OfficeForm(props: { office: AdminOffice; onSaved: () => void; onReload: () => void }) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const errors = useFormErrors()
  const save = useSave('office', errors)
  const [draft, setDraft] = useState<AdminOffice>(props.office)
  const isNew = draft.version === 0
  const set = <K extends keyof AdminOffice>(key: K, value: AdminOffice[K]) => setDraft((d) => ({ ...d, [key]: value }))

  const submit = () => {
    const { version, ...fields } = draft
    const body = { ...fields, id: fields.id.trim(), address: fields.address.trim() }
    const onSaved = (answer: unknown) => {
      const saved = savedVersion(answer, isNew ? undefined : 'office')
      if (saved !== undefined) setDraft((d) => ({ ...d, version: saved }))
      props.onSaved()
    }
    if (isNew) return save.save({ write: () => adminWrite(api, 'POST', officePath(), body), onSaved })
    return save.previewed((preview) => adminWrite(api, 'PUT', officePath(draft.id), { ...body, version }, preview), onSaved)
  }

  const title = props.office.version === 0 ? t('admin.offices.new') : t('admin.offices.edit', { id: props.office.id })
  return (
    <FormPanel titleId="office-form-title" title={title} prefix="office" errors={errors} focusable>
      <Form id="office-form" onSubmit={submit}>
        {isNew && (
          <TextField
            id="office-id"
            type="text"
            label={t('admin.offices.id')}
            hint={t('admin.offices.idHint')}
            autoCapitalize="characters"
            spellcheck={false}
            error={errors.fields['office-id']}
            value={draft.id}
            onValue={(v) => set('id', v.toUpperCase())}
          />
        )}
        <LocalizedFields id="office-name" legend={t('admin.offices.name')} value={draft.name} onValue={(v) => set('name', v)} errors={errors} />
        <TextField
          id="office-timezone"
          type="text"
          label={t('admin.offices.timezone')}
          hint={t('admin.offices.timezoneHint')}
          spellcheck={false}
          error={errors.fields['office-timezone']}
          value={draft.timezone}
          onValue={(v) => set('timezone', v)}
        />
        <TextField
          id="office-address"
          type="text"
          label={t('admin.offices.address')}
          error={errors.fields['office-address']}
          value={draft.address}
          onValue={(v) => set('address', v)}
        />
        <Checkboxes
          id="office-kinds"
          legend={t('admin.offices.kinds')}
          options={OFFICE_KINDS.map((k) => ({ value: k, label: t('admin.offices.kind.tax') }))}
          value={draft.kinds}
          onValue={(v) => set('kinds', v)}
          errors={errors}
        />
        <Field id="office-overflow_after_minutes" label={t('admin.offices.overflow')} hint={t('admin.offices.overflowHint')} errors={errors}>
          {(a) => (
            <input
              {...a}
              type="number"
              min={0}
              max={120}
              class="input input--number"
              value={draft.overflow_after_minutes}
              onInput={(event) => set('overflow_after_minutes', Number(event.currentTarget.value))}
            />
          )}
        </Field>
        <WeekEditor
          id="office-opening_hours"
          legend={t('admin.offices.hours')}
          hint={t('admin.offices.hoursHint')}
          value={draft.opening_hours}
          onValue={(v) => set('opening_hours', v)}
          errors={errors}
        />
        <SaveButton id="office-save" save={save} label={isNew ? t('admin.create') : t('admin.save')} />
      </Form>
      <SaveStatus id="office-status" save={save} onReload={props.onReload} />
    </FormPanel>
  )
}
