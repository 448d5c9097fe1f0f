/**
 * `/staff/admin/services`: the catalogue by office, disabled services too; a service's texts in ca/es/en side by side
 * with a live preview of the card citizens see in the catalogue. Disabling a service cancels its future appointments
 * (the preview lists them before saving).
 */
import { useState } from 'preact/hooks'
import {
  adminWrite,
  listOffices,
  listProcedures,
  listServices,
  servicePath,
  type AdminService,
} from '../../admin'
import { useAuth } from '../../auth'
import { Form, TextField, useFormErrors } from '../../components/forms'
import { Localized } from '../../components/localized'
import { localize, type LocalizedText } from '../../i18n'
import { useAdminI18n } from '../../i18n/admin'
import { assuranceName, officeName } from '../../offices'
import { useResource } from '../../resource'
import { ServiceCard } from '../CataloguePage'
import { CheckboxField, Field, LocalizedFields, SaveButton, savedVersion, SaveStatus, useSave } from './common'
import { AdminLoadStatus, FormPanel, OfficeFilter, RecordsTable, RowButton, useEditor } from './lists'

const LEVELS = ['low', 'substantial', 'high'] as const

interface Draft {
  id: string
  office: string
  name: LocalizedText
  description: LocalizedText
  duration_minutes: string
  min_assurance: string
  required_documents: LocalizedText[]
  procedure: string
  enabled: boolean
  buffer_minutes: string
  min_notice_minutes: string
  horizon_days: string
  version: number
}

const NUMBERS = ['duration_minutes', 'buffer_minutes', 'min_notice_minutes', 'horizon_days'] as const

function draftOf(service: AdminService | null, office: string): Draft {
  if (!service) {
    return {
      id: '',
      office,
      name: {},
      description: {},
      duration_minutes: '15',
      min_assurance: 'low',
      required_documents: [],
      procedure: '',
      enabled: true,
      buffer_minutes: '',
      min_notice_minutes: '',
      horizon_days: '',
      version: 0,
    }
  }
  const text = (n: number | null | undefined) => (typeof n === 'number' ? String(n) : '')
  return {
    ...service,
    procedure: service.procedure ?? '',
    duration_minutes: text(service.duration_minutes),
    buffer_minutes: text(service.buffer_minutes),
    min_notice_minutes: text(service.min_notice_minutes),
    horizon_days: text(service.horizon_days),
  }
}

export function ServicesSection() {
  const { t, language } = useAdminI18n()
  const { api } = useAuth()
  const [office, setOffice] = useState('')
  const offices = useResource(() => listOffices(api), [])
  const procedures = useResource(() => listProcedures(api), [])
  const { load, reload, refresh } = useResource(() => listServices(api, office), [office], { keep: true })
  const editor = useEditor<Draft>('service-form-title')
  const editing = editor.editing
  const officeList = offices.load.value ?? []

  const open = (service: AdminService | null) => editor.open(draftOf(service, office || officeList[0]?.id || ''))

  return (
    <>
      <p class="lead">{t('admin.services.intro')}</p>
      <OfficeFilter id="services-office" label={t('admin.services.office')} offices={officeList} value={office} onValue={setOffice} />
      <AdminLoadStatus load={load} onRetry={reload} />
      {load.value && load.value.length === 0 && <p class="empty-state">{t('admin.services.none')}</p>}
      {load.value && load.value.length > 0 && (
        <RecordsTable
          id="services"
          caption={t('admin.services.caption')}
          columns={[t('admin.services.name'), t('admin.services.office'), t('admin.services.duration'), t('admin.services.state')]}
          actions={t('admin.actions')}
        >
          {load.value.map((service) => (
            <tr key={service.id} data-id={service.id}>
              <th scope="row">
                <Localized as="span" text={service.name} />
                <br />
                <code>{service.id}</code>
              </th>
              <td>{officeName(officeList, language, service.office)}</td>
              <td>{t('service.duration', { minutes: service.duration_minutes })}</td>
              <td>{service.enabled ? t('admin.services.enabled') : t('admin.services.disabled')}</td>
              <td>
                <RowButton
                  id={`edit-${service.id}`}
                  label={t('admin.edit')}
                  row={localize(service.name, language).text}
                  onClick={() => open(service)}
                />
              </td>
            </tr>
          ))}
        </RecordsTable>
      )}
      <div class="actions">
        <button type="button" class="button" id="new-service" onClick={() => open(null)}>
          {t('admin.services.new')}
        </button>
      </div>
      {editing && (
        <ServiceForm
          key={editing.n}
          initial={editing.value}
          offices={officeList.map((o) => ({ value: o.id, label: localize(o.name, language).text || o.id, kinds: o.kinds ?? [] }))}
          procedures={(procedures.load.value ?? []).map((p) => ({
            value: p.id,
            label: localize(p.name, language).text || p.id,
            kinds: p.office_kinds ?? [],
          }))}
          onSaved={refresh}
          onReload={async () => {
            const fresh = (await listServices(api, editing.value.office)).find((s) => s.id === editing.value.id)
            refresh()
            if (fresh) open(fresh)
          }}
        />
      )}
    </>
  )
}

function ServiceForm(props: {
  initial: Draft
  offices: { value: string; label: string; kinds: string[] }[]
  /** `kinds`: the kinds of office that may offer it (none: any office). */
  procedures: { value: string; label: string; kinds: string[] }[]
  onSaved: () => void
  onReload: () => void
}) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const errors = useFormErrors()
  const save = useSave('service', errors)
  const [draft, setDraft] = useState<Draft>(props.initial)
  const isNew = draft.version === 0
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }))
  // The procedures this office may offer (a tax procedure: offices of kind "tax"), and the one already chosen.
  const officeKinds = props.offices.find((o) => o.value === draft.office)?.kinds ?? []
  const procedures = props.procedures.filter(
    (p) => p.value === draft.procedure || p.kinds.length === 0 || p.kinds.some((k) => officeKinds.includes(k)),
  )

  const submit = () => {
    const { version, ...fields } = draft
    const body: Record<string, unknown> = {
      ...fields,
      id: fields.id.trim(),
      procedure: fields.procedure || null,
    }
    for (const key of NUMBERS) {
      if (fields[key].trim() === '') delete body[key]
      else body[key] = Number(fields[key])
    }
    const onSaved = (answer: unknown) => {
      const saved = savedVersion(answer, isNew ? undefined : 'service')
      if (saved !== undefined) setDraft((d) => ({ ...d, version: saved }))
      props.onSaved()
    }
    if (isNew) return save.save({ write: () => adminWrite(api, 'POST', servicePath(), body), onSaved })
    return save.previewed((preview) => adminWrite(api, 'PUT', servicePath(draft.id), { ...body, version }, preview), onSaved)
  }

  const number = (key: (typeof NUMBERS)[number], label: string, hint?: string) => (
    <Field id={`service-${key}`} label={label} hint={hint} errors={errors}>
      {(a) => (
        <input
          {...a}
          type="number"
          min={0}
          class="input input--number"
          value={draft[key]}
          onInput={(event) => set(key, event.currentTarget.value)}
        />
      )}
    </Field>
  )

  const preview = {
    id: draft.id || 'preview',
    office: draft.office,
    name: draft.name,
    description: draft.description,
    duration_minutes: Number(draft.duration_minutes) || 0,
    min_assurance: draft.min_assurance,
    required_documents: draft.required_documents,
  }

  return (
    <FormPanel titleId="service-form-title" title={props.initial.version === 0 ? t('admin.services.new') : t('admin.services.edit', { id: props.initial.id })} prefix="service" errors={errors} focusable>
      <div class="service-editor">
        <Form id="service-form" onSubmit={submit}>
          {isNew && (
            <TextField
              id="service-id"
              type="text"
              label={t('admin.services.id')}
              hint={t('admin.services.idHint')}
              autoCapitalize="none"
              spellcheck={false}
              error={errors.fields['service-id']}
              value={draft.id}
              onValue={(v) => set('id', v.toLowerCase())}
            />
          )}
          <Field id="service-office" label={t('admin.services.office')} errors={errors}>
            {(a) => (
              <select {...a} class="input" value={draft.office} onChange={(e) => set('office', e.currentTarget.value)}>
                {props.offices.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <LocalizedFields id="service-name" legend={t('admin.services.name')} value={draft.name} onValue={(v) => set('name', v)} errors={errors} />
          <LocalizedFields
            id="service-description"
            legend={t('admin.services.description')}
            value={draft.description}
            onValue={(v) => set('description', v)}
            errors={errors}
            multiline
          />
          {number('duration_minutes', t('admin.services.duration'), t('admin.services.minutesHint'))}
          <Field id="service-min_assurance" label={t('admin.services.assurance')} errors={errors}>
            {(a) => (
              <select {...a} class="input" value={draft.min_assurance} onChange={(e) => set('min_assurance', e.currentTarget.value)}>
                {LEVELS.map((level) => (
                  <option key={level} value={level}>
                    {assuranceName(t, level)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <fieldset class="fieldset" id="service-required_documents" tabIndex={-1}>
            <legend class="field__label">{t('admin.services.documents')}</legend>
            {draft.required_documents.length === 0 && <p>{t('admin.services.noDocuments')}</p>}
            {draft.required_documents.map((document, index) => (
              <div key={index} class="document-row">
                <LocalizedFields
                  id={`service-required_documents-${index}`}
                  legend={t('admin.services.document', { n: index + 1 })}
                  value={document}
                  onValue={(v) => set('required_documents', draft.required_documents.map((d, i) => (i === index ? v : d)))}
                  errors={errors}
                />
                <button
                  type="button"
                  class="button button--secondary button--small"
                  onClick={() => set('required_documents', draft.required_documents.filter((_, i) => i !== index))}
                >
                  {t('admin.services.removeDocument', { n: index + 1 })}
                </button>
              </div>
            ))}
            <button
              type="button"
              class="button button--secondary button--small"
              id="service-add-document"
              onClick={() => set('required_documents', [...draft.required_documents, {}])}
            >
              {t('admin.services.addDocument')}
            </button>
          </fieldset>
          <Field id="service-procedure" label={t('admin.services.procedure')} hint={t('admin.services.procedureHint')} errors={errors}>
            {(a) => (
              <select {...a} class="input" value={draft.procedure} onChange={(e) => set('procedure', e.currentTarget.value)}>
                <option value="">{t('admin.services.noProcedure')}</option>
                {procedures.map((p) => (
                  <option key={p.value} value={p.value}>
                    {p.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <CheckboxField id="service-enabled" label={t('admin.services.enabledLabel')} hint={t('admin.services.enabledHint')} checked={draft.enabled} onValue={(v) => set('enabled', v)} />
          {number('buffer_minutes', t('admin.services.buffer'), t('admin.services.defaultHint'))}
          {number('min_notice_minutes', t('admin.services.minNotice'), t('admin.services.defaultHint'))}
          {number('horizon_days', t('admin.services.horizon'), t('admin.services.defaultHint'))}
          <SaveButton id="service-save" save={save} label={isNew ? t('admin.create') : t('admin.save')} />
        </Form>
        <section class="service-preview" aria-labelledby="service-preview-title">
          <h3 id="service-preview-title">{t('admin.services.preview')}</h3>
          <p class="field__hint">{t('admin.services.previewHint')}</p>
          <ul class="service-list">
            <ServiceCard service={preview} preview />
          </ul>
        </section>
      </div>
      <SaveStatus id="service-status" save={save} onReload={props.onReload} />
    </FormPanel>
  )
}
