/**
 * `/staff/admin/staff/:username`: one member of staff — their account (name, email, roles, office, enabled), a new
 * invitation or password-reset link, their weekly schedule as a week grid, and their leave and extra hours. Every
 * change that can take capacity away shows first the appointments it would affect.
 */
import { useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../../api'
import {
  adminWrite,
  asChange,
  getStaff,
  listOffices,
  staffPath,
  type AdminOffice,
  type Change,
  type Interval,
  type StaffException,
  type StaffMember,
  type Weekly,
} from '../../admin'
import { formatDay, isDay } from '../../appointments'
import { useAuth } from '../../auth'
import { ErrorSummary, Fieldset, Form, TextField, useFormErrors } from '../../components/forms'
import { useAdminI18n } from '../../i18n/admin'
import { useAnnounce } from '../../page-context'
import { useResource } from '../../resource'
import { adminPath, Link } from '../../router'
import { adminProblem, ChangeOutcome, CheckboxField, emptyWeek, IntervalsEditor, SaveButton, savedVersion, SaveStatus, useSave, WeekEditor } from './common'
import { AdminLoadStatus, FormPanel, RecordsTable, RowButton } from './lists'
import { OfficeSelect, StaffFields, staffFieldProblems, staffState } from './StaffSection'

export function PersonSection(props: { username: string }) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const offices = useResource(() => listOffices(api), [])
  // Each full read (the first, and "Reload" after a version conflict) starts the forms afresh from what is saved now;
  // a quiet refresh after a save keeps what the forms show.
  const [generation, setGeneration] = useState(0)
  const person = useResource(() => getStaff(api, props.username), [props.username], {
    keep: true,
    onReady: (_value, quiet) => {
      if (!quiet) setGeneration((n) => n + 1)
    },
  })
  const officeList = offices.load.value ?? []
  const staff = person.load.value
  const reload = person.reload

  return (
    <>
      <p>
        <Link href={adminPath('staff')}>{t('admin.staff.back')}</Link>
      </p>
      <AdminLoadStatus load={person.load} onRetry={person.reload} />
      {staff && (
        <div key={generation}>
          <p class="lead" id="person-state">
            {staff.name} · {staffState(t, staff)}
          </p>
          <AccountForm staff={staff} offices={officeList} onSaved={person.refresh} onReload={reload} />
          <LinkActions staff={staff} />
          <ScheduleForm staff={staff} offices={officeList} onSaved={person.refresh} onReload={reload} />
          <Exceptions staff={staff} onChanged={person.refresh} />
        </div>
      )}
    </>
  )
}

function AccountForm(props: { staff: StaffMember; offices: AdminOffice[]; onSaved: () => void; onReload: () => void }) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const errors = useFormErrors()
  const save = useSave('account', errors)
  const { staff } = props
  const [draft, setDraft] = useState({
    name: staff.name,
    email: staff.email,
    roles: staff.roles,
    office: staff.office ?? '',
    enabled: staff.enabled,
    version: staff.version,
  })
  const set = <K extends keyof typeof draft>(key: K, value: (typeof draft)[K]) => setDraft((d) => ({ ...d, [key]: value }))

  const submit = () => {
    const fields = staffFieldProblems(t, 'account', draft)
    if (Object.keys(fields).length) return errors.show(fields)
    const body = { ...draft, name: draft.name.trim(), email: draft.email.trim(), office: draft.office || null }
    return save.previewed(
      (preview) => adminWrite(api, 'PUT', staffPath(staff.username), body, preview),
      (answer) => {
        const saved = savedVersion(answer, 'staff')
        if (saved !== undefined) set('version', saved)
        props.onSaved()
      },
    )
  }

  return (
    <FormPanel titleId="account-title" title={t('admin.person.account')} prefix="account" errors={errors}>
      <Form id="account-form" onSubmit={submit}>
        <StaffFields prefix="account" draft={draft} onValue={(change) => setDraft((d) => ({ ...d, ...change }))} offices={props.offices} errors={errors} />
        <CheckboxField id="account-enabled" label={t('admin.staff.enabledLabel')} hint={t('admin.staff.enabledHint')} checked={draft.enabled} onValue={(v) => set('enabled', v)} />
        <SaveButton id="account-save" save={save} label={t('admin.save')} />
      </Form>
      <SaveStatus id="account-status" save={save} onReload={props.onReload} />
    </FormPanel>
  )
}

/** A new invitation (not activated yet) or a password-reset link (activated), sent by email. */
function LinkActions(props: { staff: StaffMember }) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const [state, setState] = useState<'idle' | 'busy' | 'sent' | { error: ApiError }>('idle')
  const kind = props.staff.activated ? 'password-reset' : 'invitation'
  const send = async () => {
    if (state === 'busy') return
    setState('busy')
    try {
      await adminWrite(api, 'POST', staffPath(props.staff.username, kind))
      setState('sent')
      announce(t(kind === 'invitation' ? 'admin.person.invitationSent' : 'admin.person.resetSent', { email: props.staff.email }))
    } catch (caught) {
      setState({ error: asApiError(caught) })
    }
  }
  return (
    <section class="panel" aria-labelledby="links-title">
      <h2 id="links-title">{t('admin.person.links')}</h2>
      <p>{t(kind === 'invitation' ? 'admin.person.invitationText' : 'admin.person.resetText')}</p>
      <div class="actions">
        <button type="button" class="button button--secondary" id={`send-${kind}`} aria-disabled={state === 'busy' ? 'true' : undefined} onClick={() => void send()}>
          {t(kind === 'invitation' ? 'admin.person.resend' : 'admin.person.reset')}
        </button>
      </div>
      <div aria-live="polite" id="links-status">
        {state === 'sent' && (
          <p class="notice">
            {t(kind === 'invitation' ? 'admin.person.invitationSent' : 'admin.person.resetSent', { email: props.staff.email })}
          </p>
        )}
        {typeof state === 'object' && (
          <p class="field__error">
            {t('admin.saveFailed')} {adminProblem(t, state.error)}
          </p>
        )}
      </div>
    </section>
  )
}

function ScheduleForm(props: { staff: StaffMember; offices: AdminOffice[]; onSaved: () => void; onReload: () => void }) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const errors = useFormErrors()
  const save = useSave('schedule', errors)
  const { schedule } = props.staff
  const [office, setOffice] = useState(schedule.office ?? props.staff.office ?? '')
  const [weekly, setWeekly] = useState<Weekly>({ ...emptyWeek(), ...schedule.weekly })
  const [version, setVersion] = useState(schedule.version)

  const submit = () => {
    if (!office) return errors.show({ 'schedule-office': t('admin.staff.officeMissing') })
    return save.previewed(
      (preview) => adminWrite(api, 'PUT', staffPath(props.staff.username, 'schedule'), { office, weekly, version }, preview),
      (answer) => {
        const saved = savedVersion(answer, 'schedule')
        if (saved !== undefined) setVersion(saved)
        props.onSaved()
      },
    )
  }

  return (
    <FormPanel titleId="schedule-title" title={t('admin.person.schedule')} prefix="schedule" errors={errors} intro={t('admin.person.scheduleIntro')}>
      <Form id="schedule-form" onSubmit={submit}>
        <OfficeSelect
          id="schedule-office"
          label={t('admin.person.scheduleOffice')}
          offices={props.offices}
          value={office}
          onValue={setOffice}
          errors={errors}
          none={t('admin.staff.noOffice')}
        />
        <WeekEditor id="schedule-weekly" legend={t('admin.person.week')} hint={t('admin.person.weekHint')} value={weekly} onValue={setWeekly} errors={errors} />
        <SaveButton id="schedule-save" save={save} label={t('admin.save')} />
      </Form>
      <SaveStatus id="schedule-status" save={save} onReload={props.onReload} />
    </FormPanel>
  )
}

function intervalsText(t: ReturnType<typeof useAdminI18n>['t'], intervals: Interval[]): string {
  return intervals.length ? intervals.map(([from, to]) => `${from}–${to}`).join(', ') : t('admin.person.wholeDay')
}

/** Leave and extra hours: the list (each can be removed) and a form to add one, previewed like every change. */
function Exceptions(props: { staff: StaffMember; onChanged: () => void }) {
  const { t, language } = useAdminI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const errors = useFormErrors()
  const save = useSave('exception', errors)
  const [date, setDate] = useState('')
  const [kind, setKind] = useState<StaffException['kind']>('leave')
  const [wholeDay, setWholeDay] = useState(true)
  const [intervals, setIntervals] = useState<Interval[]>([['09:00', '14:00']])
  const [removed, setRemoved] = useState<{ date: string; change: Change } | { date: string; error: ApiError } | null>(null)
  const user = props.staff.username
  const sorted = [...props.staff.exceptions].sort((a, b) => a.date.localeCompare(b.date))

  const submit = () => {
    if (!isDay(date)) return errors.show({ 'exception-date': t('admin.person.dateMissing') })
    const body = { date, kind, ...(kind === 'leave' && wholeDay ? {} : { intervals }) }
    const post = (preview: boolean) => adminWrite(api, 'POST', staffPath(user, 'exceptions'), body, preview)
    return save.save({
      preview: kind === 'leave' ? () => post(true) : undefined,
      write: () => post(false),
      onSaved: props.onChanged,
    })
  }

  const remove = async (day: string) => {
    try {
      const change = asChange(await adminWrite(api, 'DELETE', staffPath(user, 'exceptions', day)))
      setRemoved({ date: day, change })
      announce(t('admin.person.removed', { date: formatDay(language, day, true) }))
      props.onChanged()
    } catch (caught) {
      setRemoved({ date: day, error: asApiError(caught) })
    }
  }

  return (
    <section class="panel" aria-labelledby="exceptions-title">
      <h2 id="exceptions-title">{t('admin.person.exceptions')}</h2>
      {sorted.length === 0 ? (
        <p class="empty-state">{t('admin.person.noExceptions')}</p>
      ) : (
        <RecordsTable
          id="exceptions"
          caption={t('admin.person.exceptionsCaption')}
          columns={[t('admin.person.date'), t('admin.person.kind'), t('admin.person.hours')]}
          actions={t('admin.actions')}
        >
          {sorted.map((e) => (
            <tr key={e.date} data-date={e.date}>
              <th scope="row">{formatDay(language, e.date, true)}</th>
              <td>{t(e.kind === 'leave' ? 'admin.person.leave' : 'admin.person.extra')}</td>
              <td>{intervalsText(t, e.intervals ?? [])}</td>
              <td>
                <RowButton
                  id={`remove-${e.date}`}
                  label={t('admin.person.remove')}
                  row={formatDay(language, e.date, true)}
                  onClick={() => void remove(e.date)}
                />
              </td>
            </tr>
          ))}
        </RecordsTable>
      )}
      <div aria-live="polite">
        {removed && 'change' in removed && <ChangeOutcome id="removed" change={removed.change} />}
        {removed && 'error' in removed && (
          <p class="field__error">
            {t('admin.saveFailed')} {adminProblem(t, removed.error)}
          </p>
        )}
      </div>
      <h3 id="exception-form-title">{t('admin.person.addException')}</h3>
      <ErrorSummary id="exception-errors" errors={errors.summary} focusKey={errors.key} />
      <Form id="exception-form" aria-labelledby="exception-form-title" onSubmit={submit}>
        <TextField id="exception-date" type="date" label={t('admin.person.date')} inputClass="input--date" error={errors.fields['exception-date']} value={date} onValue={setDate} />
        <Fieldset legend={t('admin.person.kind')}>
          {(['leave', 'extra'] as const).map((k) => (
            <div class="radio" key={k}>
              <input type="radio" id={`exception-kind-${k}`} name="exception-kind" checked={kind === k} onChange={() => setKind(k)} />
              <label for={`exception-kind-${k}`}>{t(k === 'leave' ? 'admin.person.leaveLong' : 'admin.person.extraLong')}</label>
            </div>
          ))}
        </Fieldset>
        {kind === 'leave' && (
          <CheckboxField id="exception-whole-day" label={t('admin.person.wholeDayLabel')} checked={wholeDay} onValue={setWholeDay} />
        )}
        {(kind === 'extra' || !wholeDay) && (
          <fieldset class="fieldset" id="exception-intervals" tabIndex={-1}>
            <legend class="field__label">{t('admin.person.hours')}</legend>
            <IntervalsEditor id="exception-intervals" name={isDay(date) ? formatDay(language, date) : t('admin.person.date')} value={intervals} onValue={setIntervals} errors={errors} />
          </fieldset>
        )}
        <SaveButton id="exception-save" save={save} label={t('admin.person.addException')} />
      </Form>
      <SaveStatus id="exception-status" save={save} onReload={props.onChanged} />
    </section>
  )
}
