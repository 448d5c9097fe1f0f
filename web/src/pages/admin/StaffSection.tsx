/**
 * `/staff/admin/staff`: the council's staff by office (their roles, whether they have activated their account, whether
 * it is enabled) and the invitation of a new person, who gets an email with a link to set their password.
 */
import { useState } from 'preact/hooks'
import { adminWrite, listOffices, listStaff, ROLES, staffPath, type AdminOffice, type StaffMember } from '../../admin'
import { useAuth } from '../../auth'
import { Form, TextField, useFormErrors } from '../../components/forms'
import { useAdminI18n, type AdminTranslate } from '../../i18n/admin'
import { label, officeName } from '../../offices'
import { useResource } from '../../resource'
import { adminPath, Link } from '../../router'
import { Checkboxes, Field, SaveButton, SaveStatus, useSave } from './common'
import { AdminLoadStatus, FormPanel, OfficeFilter, OfficeOptions, RecordsTable } from './lists'

export function roleNames(t: AdminTranslate, roles: string[]): string {
  return roles.map((role) => label(t, `role.${role}`, role)).join(', ')
}

export function staffState(t: AdminTranslate, staff: StaffMember): string {
  if (!staff.enabled) return t('admin.staff.disabled')
  return staff.activated ? t('admin.staff.active') : t('admin.staff.invited')
}

export function OfficeSelect(props: {
  id: string
  label: string
  hint?: string
  offices: AdminOffice[]
  value: string
  onValue: (value: string) => void
  errors: ReturnType<typeof useFormErrors>
  none: string
}) {
  return (
    <Field id={props.id} label={props.label} hint={props.hint} errors={props.errors}>
      {(a) => (
        <select {...a} class="input" value={props.value} onChange={(e) => props.onValue(e.currentTarget.value)}>
          <OfficeOptions offices={props.offices} none={props.none} />
        </select>
      )}
    </Field>
  )
}

/** What an invitation and a person's account both ask: name, email, roles and office. */
export interface StaffDraft {
  name: string
  email: string
  roles: string[]
  office: string
}

/** The roles and office a person must have (some role; an office when they are an agent), else the fields to mend. */
export function staffFieldProblems(t: AdminTranslate, prefix: string, draft: StaffDraft): Record<string, string> {
  const fields: Record<string, string> = {}
  if (draft.roles.length === 0) fields[`${prefix}-roles`] = t('admin.staff.rolesMissing')
  if (draft.roles.includes('agent') && !draft.office) fields[`${prefix}-office`] = t('admin.staff.officeMissing')
  return fields
}

/** The name, email, roles and office fields, their ids under `prefix` ("invite-name"). */
export function StaffFields(props: {
  prefix: string
  draft: StaffDraft
  onValue: (change: Partial<StaffDraft>) => void
  offices: AdminOffice[]
  errors: ReturnType<typeof useFormErrors>
  /** "off" where the browser must not offer the signed-in admin's own details (an invitation). */
  autocomplete?: 'off'
}) {
  const { t } = useAdminI18n()
  const { prefix, draft, errors } = props
  const set = <K extends keyof StaffDraft>(key: K, value: StaffDraft[K]) => props.onValue({ [key]: value })
  return (
    <>
      <TextField
        id={`${prefix}-name`}
        type="text"
        label={t('admin.staff.name')}
        autocomplete={props.autocomplete}
        error={errors.fields[`${prefix}-name`]}
        value={draft.name}
        onValue={(v) => set('name', v)}
      />
      <TextField
        id={`${prefix}-email`}
        type="email"
        label={t('admin.staff.email')}
        autocomplete={props.autocomplete}
        spellcheck={false}
        error={errors.fields[`${prefix}-email`]}
        value={draft.email}
        onValue={(v) => set('email', v)}
      />
      <Checkboxes
        id={`${prefix}-roles`}
        legend={t('admin.staff.roles')}
        options={ROLES.map((role) => ({ value: role, label: label(t, `role.${role}`, role) }))}
        value={draft.roles}
        onValue={(v) => set('roles', v)}
        errors={errors}
      />
      <OfficeSelect
        id={`${prefix}-office`}
        label={t('admin.staff.office')}
        hint={t('admin.staff.officeHint')}
        offices={props.offices}
        value={draft.office}
        onValue={(v) => set('office', v)}
        errors={errors}
        none={t('admin.staff.noOffice')}
      />
    </>
  )
}

export function StaffSection() {
  const { t, language } = useAdminI18n()
  const { api } = useAuth()
  const [office, setOffice] = useState('')
  const offices = useResource(() => listOffices(api), [])
  const { load, reload, refresh } = useResource(() => listStaff(api, office), [office], { keep: true })
  const officeList = offices.load.value ?? []

  return (
    <>
      <p class="lead">{t('admin.staff.intro')}</p>
      <OfficeFilter id="staff-office" label={t('admin.staff.office')} offices={officeList} value={office} onValue={setOffice} />
      <AdminLoadStatus load={load} onRetry={reload} />
      {load.value && (
        <RecordsTable
          id="staff"
          caption={t('admin.staff.caption')}
          columns={[t('admin.staff.name'), t('admin.staff.username'), t('admin.staff.roles'), t('admin.staff.office'), t('admin.staff.state')]}
        >
          {load.value.map((person) => (
            <tr key={person.username} data-id={person.username}>
              <th scope="row">
                <Link id={`person-${person.username}`} href={adminPath('person', person.username)}>
                  {person.name}
                </Link>
              </th>
              <td>{person.username}</td>
              <td>{roleNames(t, person.roles)}</td>
              <td>{person.office ? officeName(officeList, language, person.office) : '—'}</td>
              <td>{staffState(t, person)}</td>
            </tr>
          ))}
        </RecordsTable>
      )}
      <InviteForm offices={officeList} onSaved={refresh} />
    </>
  )
}

function InviteForm(props: { offices: AdminOffice[]; onSaved: () => void }) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const errors = useFormErrors()
  const save = useSave('invite', errors)
  const empty = { username: '', name: '', email: '', roles: ['agent'], office: '' }
  const [draft, setDraft] = useState(empty)
  const [invited, setInvited] = useState<string | null>(null)
  const set = <K extends keyof typeof empty>(key: K, value: (typeof empty)[K]) => setDraft((d) => ({ ...d, [key]: value }))

  const submit = () => {
    const fields = staffFieldProblems(t, 'invite', draft)
    if (Object.keys(fields).length) return errors.show(fields)
    const body = {
      username: draft.username.trim(),
      name: draft.name.trim(),
      email: draft.email.trim(),
      roles: draft.roles,
      ...(draft.office ? { office: draft.office } : {}),
    }
    return save.save({
      write: () => adminWrite(api, 'POST', staffPath(), body),
      onSaved: () => {
        setInvited(body.email)
        setDraft(empty)
        props.onSaved()
      },
    })
  }

  return (
    <FormPanel titleId="invite-title" title={t('admin.staff.invite')} prefix="invite" errors={errors} intro={t('admin.staff.inviteIntro')}>
      <Form id="invite-form" onSubmit={submit}>
        <TextField
          id="invite-username"
          type="text"
          label={t('admin.staff.username')}
          hint={t('admin.staff.usernameHint')}
          autoCapitalize="none"
          spellcheck={false}
          autocomplete="off"
          error={errors.fields['invite-username']}
          value={draft.username}
          onValue={(v) => set('username', v)}
        />
        <StaffFields prefix="invite" draft={draft} onValue={(change) => setDraft((d) => ({ ...d, ...change }))} offices={props.offices} errors={errors} autocomplete="off" />
        <SaveButton id="invite-send" save={save} label={t('admin.staff.inviteSend')} />
      </Form>
      {save.state.state === 'done' && invited ? (
        <p class="notice" id="invite-done" aria-live="polite">
          {t('admin.staff.invited.sent', { email: invited })}
        </p>
      ) : (
        <SaveStatus id="invite-status" save={save} onReload={() => save.reset()} />
      )}
    </FormPanel>
  )
}
