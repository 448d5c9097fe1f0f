/**
 * What the back-office pages share: text in the three languages side by side, a week of opening hours (or working
 * hours) as native inputs and buttons, the appointments a change affects (before saving, and after), the progress of
 * a job that handles many of them, and the one way a save goes — preview, confirm when appointments are affected,
 * save, then say what happened; a stale version (409 `version_conflict`) offers to reload.
 */
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../../api'
import { asChange, getJob, WEEKDAYS, type Affected, type Change, type Interval, type Job, type Weekly } from '../../admin'
import { useAuth } from '../../auth'
import { FieldErrorMessage, problemMessage, type FormErrors } from '../../components/forms'
import { LANGUAGE_NAMES, LANGUAGES, type Language, type LocalizedText } from '../../i18n'
import { adminLabel, useAdminI18n, type AdminTranslate } from '../../i18n/admin'
import { useAnnounce } from '../../page-context'
import { formatDateTime } from '../../records'
import { useResource } from '../../resource'
import { useServiceName } from '../appointment-common'
import { RecordsTable } from './lists'

/** The weekday's name ("Monday") in `language`, for an ISO weekday "1" … "7". */
export function weekdayName(language: Language, day: string): string {
  // 1 January 2024 was a Monday.
  const date = new Date(Date.UTC(2024, 0, Number(day)))
  return new Intl.DateTimeFormat(language === 'en' ? 'en-GB' : language, { weekday: 'long', timeZone: 'UTC' }).format(
    date,
  )
}

/** A whole week with no hours. */
export function emptyWeek(): Weekly {
  return Object.fromEntries(WEEKDAYS.map((day) => [day, []]))
}

/** A text in ca/es/en side by side: one input (or text area) per language, each marked with its language. */
export function LocalizedFields(props: {
  id: string
  legend: string
  hint?: string
  value: LocalizedText
  onValue: (value: LocalizedText) => void
  errors: FormErrors
  multiline?: boolean
}) {
  return (
    <fieldset class="fieldset lang-fields" aria-describedby={props.hint ? `${props.id}-hint` : undefined}>
      <legend class="field__label">{props.legend}</legend>
      {props.hint && (
        <p class="field__hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      <div class="lang-fields__row">
        {LANGUAGES.map((language) => {
          const id = `${props.id}-${language}`
          const error = props.errors.fields[id]
          const common = {
            id,
            lang: language,
            value: props.value[language] ?? '',
            'aria-invalid': error ? ('true' as const) : undefined,
            'aria-describedby': error ? `${id}-error` : undefined,
            onInput: (event: Event) =>
              props.onValue({ ...props.value, [language]: (event.currentTarget as HTMLInputElement).value }),
          }
          return (
            <div key={language} class={error ? 'field field--error' : 'field'}>
              <label class="field__label" for={id}>
                <span lang={language}>{LANGUAGE_NAMES[language]}</span>
              </label>
              {error && <FieldErrorMessage id={`${id}-error`} message={error} />}
              {props.multiline ? <textarea class="input" rows={3} {...common} /> : <input type="text" class="input" {...common} />}
            </div>
          )
        })}
      </div>
    </fieldset>
  )
}

/** One day's intervals: a "from" and a "to" time each, a button to take one away and one to add another. */
export function IntervalsEditor(props: {
  id: string
  /** Names the intervals for the buttons ("Monday"). */
  name: string
  value: Interval[]
  onValue: (value: Interval[]) => void
  errors: FormErrors
}) {
  const { t } = useAdminI18n()
  const set = (index: number, part: 0 | 1, time: string) =>
    props.onValue(props.value.map((interval, i) => (i === index ? (part === 0 ? [time, interval[1]] : [interval[0], time]) : interval)))
  return (
    <div class="intervals">
      {props.value.length === 0 && <p class="intervals__none">{t('admin.week.none')}</p>}
      {props.value.map((interval, index) => {
        const id = `${props.id}-${index}`
        const error = props.errors.fields[id]
        return (
          <div key={index} class={error ? 'interval field--error' : 'interval'} role="group" aria-label={t('admin.week.interval', { day: props.name, n: index + 1 })}>
            {error && <FieldErrorMessage id={`${id}-error`} message={error} />}
            <label for={id}>{t('admin.week.from')}</label>
            <input
              type="time"
              id={id}
              class="input input--time"
              value={interval[0]}
              aria-invalid={error ? 'true' : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              onInput={(event) => set(index, 0, event.currentTarget.value)}
            />
            <label for={`${id}-end`}>{t('admin.week.to')}</label>
            <input
              type="time"
              id={`${id}-end`}
              class="input input--time"
              value={interval[1]}
              aria-invalid={error ? 'true' : undefined}
              onInput={(event) => set(index, 1, event.currentTarget.value)}
            />
            <button
              type="button"
              class="button button--secondary button--small"
              onClick={() => props.onValue(props.value.filter((_, i) => i !== index))}
            >
              {t('admin.week.remove')}
              <span class="visually-hidden">
                {' '}
                {t('admin.week.interval', { day: props.name, n: index + 1 })}
              </span>
            </button>
          </div>
        )
      })}
      <button
        type="button"
        class="button button--secondary button--small"
        id={`${props.id}-add`}
        onClick={() => props.onValue([...props.value, props.value.length ? ['16:00', '19:00'] : ['09:00', '14:00']])}
      >
        {t('admin.week.add', { day: props.name })}
      </button>
    </div>
  )
}

/** A week grid of hours (opening hours, an agent's schedule): one group per weekday, Monday first. */
export function WeekEditor(props: {
  id: string
  legend: string
  hint?: string
  value: Weekly
  onValue: (value: Weekly) => void
  errors: FormErrors
}) {
  const { language } = useAdminI18n()
  return (
    <fieldset class="fieldset week" id={props.id} tabIndex={-1} aria-describedby={props.hint ? `${props.id}-hint` : undefined}>
      <legend class="field__label">{props.legend}</legend>
      {props.hint && (
        <p class="field__hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      <div class="week__grid">
        {WEEKDAYS.map((day) => {
          const name = weekdayName(language, day)
          return (
            <fieldset key={day} class="week__day" id={`${props.id}-${day}`} tabIndex={-1}>
              {/* A heading of its own: "Dilluns", though "dilluns" inside a sentence. */}
              <legend>{name.charAt(0).toLocaleUpperCase(language) + name.slice(1)}</legend>
              <IntervalsEditor
                id={`${props.id}-${day}`}
                name={name}
                value={props.value[day] ?? []}
                onValue={(intervals) => props.onValue({ ...props.value, [day]: intervals })}
                errors={props.errors}
              />
            </fieldset>
          )
        })}
      </div>
    </fieldset>
  )
}

/** One checkbox with its label, and a hint below when `hint` is given ("A disabled service …"). */
export function CheckboxField(props: { id: string; label: string; hint?: string; checked: boolean; onValue: (checked: boolean) => void }) {
  return (
    <div class="checkbox">
      <input
        type="checkbox"
        id={props.id}
        checked={props.checked}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
        onChange={(e) => props.onValue(e.currentTarget.checked)}
      />
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="field__hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  )
}

/**
 * A form's submit button under `useSave`, after any other buttons of the form (`children`): while the save is under
 * way it says so (aria-disabled) and does nothing more.
 */
export function SaveButton(props: { id: string; save: Save; label: string; children?: ComponentChildren }) {
  return (
    <div class="actions">
      {props.children}
      <button type="submit" class="button" id={props.id} aria-disabled={props.save.state.state === 'busy' ? 'true' : undefined}>
        {props.label}
      </button>
    </div>
  )
}

/** Checkboxes of a closed list (roles, office kinds). */
export function Checkboxes(props: {
  id: string
  legend: string
  options: { value: string; label: string }[]
  value: string[]
  onValue: (value: string[]) => void
  errors: FormErrors
}) {
  const error = props.errors.fields[props.id]
  return (
    <fieldset
      class={error ? 'fieldset field--error' : 'fieldset'}
      id={props.id}
      tabIndex={-1}
      aria-describedby={error ? `${props.id}-error` : undefined}
    >
      <legend class="field__label">{props.legend}</legend>
      {error && <FieldErrorMessage id={`${props.id}-error`} message={error} />}
      {props.options.map((option) => (
        <div class="checkbox" key={option.value}>
          <input
            type="checkbox"
            id={`${props.id}-${option.value}`}
            checked={props.value.includes(option.value)}
            onChange={(event) =>
              props.onValue(
                event.currentTarget.checked
                  ? [...props.value, option.value]
                  : props.value.filter((v) => v !== option.value),
              )
            }
          />
          <label for={`${props.id}-${option.value}`}>{option.label}</label>
        </div>
      ))}
    </fieldset>
  )
}

/** A labelled native input of a kind `TextField` does not take (number, time) or a select. */
export function Field(props: {
  id: string
  label: string
  hint?: string
  errors: FormErrors
  children: (attributes: { id: string; 'aria-invalid'?: 'true'; 'aria-describedby'?: string }) => ComponentChildren
}) {
  const error = props.errors.fields[props.id]
  const describedBy = [props.hint && `${props.id}-hint`, error && `${props.id}-error`].filter(Boolean).join(' ')
  return (
    <div class={error ? 'field field--error' : 'field'}>
      <label class="field__label" for={props.id}>
        {props.label}
      </label>
      {props.hint && (
        <p class="field__hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {error && <FieldErrorMessage id={`${props.id}-error`} message={error} />}
      {props.children({
        id: props.id,
        'aria-invalid': error ? 'true' : undefined,
        'aria-describedby': describedBy || undefined,
      })}
    </div>
  )
}

/**
 * A 422's field errors placed on the form whose inputs' ids start with `prefix`: the API's field `name.ca` is the
 * input `<prefix>-name-ca`, `opening_hours.1.0` the first interval of Monday; a field without its own input goes to
 * the nearest one that has (its day, its group), and what finds none goes to the summary.
 */
export function placeFieldErrors(t: AdminTranslate, error: ApiError, prefix: string, errors: FormErrors): void {
  const fields: Record<string, string> = {}
  const general: { message: string }[] = []
  for (const e of error.errors) {
    const message = fieldMessage(t, e.field, (e as { code?: string }).code, e.message)
    const parts = e.field.split(/[.[\]]+/).filter(Boolean)
    let target: string | null = null
    for (let n = parts.length; n > 0 && !target; n--) {
      const id = `${prefix}-${parts.slice(0, n).join('-')}`
      if (document.getElementById(id)) target = id
    }
    if (target && !fields[target]) fields[target] = message
    else if (!target) general.push({ message })
  }
  if (!error.errors.length) general.push({ message: t('problem.validation') })
  errors.show(fields, general)
}

function fieldMessage(t: AdminTranslate, field: string, code: string | undefined, message: string): string {
  const known = code ? adminLabel(t, `admin.err.${code}`, '') : ''
  if (known) return known
  return message ? t('admin.err.checkDetail', { field, detail: message }) : t('admin.err.check', { field })
}

/** What a save is doing: checking what it would affect, waiting for confirmation, saving, done or refused. */
export type SaveState =
  | { state: 'idle' }
  | { state: 'busy' }
  | { state: 'confirm'; affected: Affected[]; write: () => Promise<unknown>; onSaved?: (body: unknown) => void }
  | { state: 'done'; change: Change }
  | { state: 'conflict' }
  | { state: 'error'; error: ApiError }

/**
 * A save that can take capacity away: `preview` first (when given) lists the appointments the change would affect;
 * with none, it saves at once, else it waits for `confirm()`. A 422 goes on the form (ids starting with `prefix`).
 */
export function useSave(prefix: string, errors: FormErrors) {
  const { t } = useAdminI18n()
  const announce = useAnnounce()
  const [state, setState] = useState<SaveState>({ state: 'idle' })

  function fail(caught: unknown) {
    const error = asApiError(caught)
    if (error.status === 409 && error.code === 'version_conflict') {
      setState({ state: 'conflict' })
      announce(t('admin.conflict'))
    } else if (error.status === 422) {
      setState({ state: 'idle' })
      placeFieldErrors(t, error, prefix, errors)
    } else {
      setState({ state: 'error', error })
      announce(`${t('admin.saveFailed')} ${adminProblem(t, error)}`)
    }
  }

  async function write(run: () => Promise<unknown>, onSaved?: (body: unknown) => void) {
    setState({ state: 'busy' })
    try {
      const body = await run()
      const change = asChange(body)
      setState({ state: 'done', change })
      announce(t('admin.saved'))
      onSaved?.(body)
    } catch (caught) {
      fail(caught)
    }
  }

  async function save(options: {
    preview?: () => Promise<unknown>
    write: () => Promise<unknown>
    onSaved?: (body: unknown) => void
  }) {
    if (state.state === 'busy') return
    errors.clear()
    if (options.preview) {
      setState({ state: 'busy' })
      try {
        const { affected } = asChange(await options.preview())
        if (affected.length) {
          setState({ state: 'confirm', affected, write: options.write, onSaved: options.onSaved })
          announce(t('admin.preview.found', { count: affected.length }))
          return
        }
      } catch (caught) {
        fail(caught)
        return
      }
    }
    await write(options.write, options.onSaved)
  }

  return {
    state,
    reset: () => setState({ state: 'idle' }),
    save,
    /** A write that can take capacity away: `send(true)` previews it, `send(false)` saves it. */
    previewed(send: (preview: boolean) => Promise<unknown>, onSaved?: (body: unknown) => void) {
      return save({ preview: () => send(true), write: () => send(false), onSaved })
    },
    confirm() {
      if (state.state === 'confirm') void write(state.write, state.onSaved)
    },
  }
}

/**
 * The version a save answered with, to send with the next one: the saved record's (`answer[key].version`, as a PUT
 * answers `{office: …, affected: […]}`), or the answer's own (`answer.version`) without `key`.
 */
export function savedVersion(answer: unknown, key?: string): number | undefined {
  const saved = (key ? (answer as Record<string, unknown> | undefined)?.[key] : answer) as { version?: unknown } | undefined
  return saved && typeof saved.version === 'number' ? saved.version : undefined
}

export type Save = ReturnType<typeof useSave>

/**
 * Under a form's button: the appointments the change would affect (with "Save anyway" and "Keep editing"), what the
 * save did (the affected appointments, a job's progress), a version conflict with "Reload", or the failure.
 */
export function SaveStatus(props: { id: string; save: Save; onReload: () => void }) {
  const { t } = useAdminI18n()
  const { state } = props.save
  return (
    <div id={props.id} class="save-status" aria-live="polite">
      {state.state === 'busy' && <p class="status-message">{t('admin.saving')}</p>}
      {state.state === 'confirm' && (
        <section class="notice notice--warning" aria-labelledby={`${props.id}-preview`}>
          <h3 id={`${props.id}-preview`}>{t('admin.preview.title', { count: state.affected.length })}</h3>
          <p>{t('admin.preview.text')}</p>
          <AffectedList id={`${props.id}-preview-list`} affected={state.affected} future />
          <div class="actions">
            <button type="button" class="button" id={`${props.id}-confirm`} onClick={() => props.save.confirm()}>
              {t('admin.preview.confirm')}
            </button>
            <button type="button" class="button button--secondary" onClick={() => props.save.reset()}>
              {t('admin.preview.cancel')}
            </button>
          </div>
        </section>
      )}
      {state.state === 'done' && <ChangeOutcome id={props.id} change={state.change} />}
      {state.state === 'conflict' && (
        <div class="notice notice--warning" role="alert">
          <p>{t('admin.conflict')}</p>
          <button type="button" class="button" id={`${props.id}-reload`} onClick={props.onReload}>
            {t('admin.conflictReload')}
          </button>
        </div>
      )}
      {state.state === 'error' && (
        <p class="field__error" role="alert">
          {t('admin.saveFailed')} {adminProblem(t, state.error)}
        </p>
      )}
    </div>
  )
}

/** What a save did: "Saved", the appointments it affected, and a job's progress when there were many. */
export function ChangeOutcome(props: { id: string; change: Change }) {
  const { t } = useAdminI18n()
  const { affected, job } = props.change
  return (
    <div class="notice" id={`${props.id}-done`}>
      <p>{t('admin.saved')}</p>
      {affected.length > 0 && (
        <>
          <p>{t('admin.affected.count', { count: affected.length })}</p>
          <AffectedList id={`${props.id}-affected`} affected={affected} />
        </>
      )}
      {job && <JobProgress id={`${props.id}-job`} job={job} />}
    </div>
  )
}

/** The affected appointments: when, which service, what happens (or would happen) to each, and the new agent. */
export function AffectedList(props: { id: string; affected: Affected[]; future?: boolean }) {
  const { t, language } = useAdminI18n()
  const serviceName = useServiceName()
  return (
    <RecordsTable
      id={props.id}
      variant="affected"
      caption={props.future ? t('admin.affected.captionPreview') : t('admin.affected.caption')}
      columns={[t('admin.affected.when'), t('admin.affected.service'), t('admin.affected.action')]}
    >
      {props.affected.map((a) => {
        const name = serviceName(a.service_id)
        return (
          <tr key={a.appointment_id} data-id={a.appointment_id}>
            <th scope="row">{formatDateTime(language, a.start)}</th>
            <td lang={name.lang}>{name.text}</td>
            <td>
              {actionName(t, a.action)}
              {a.action === 'reassigned' && a.agent ? ` (${a.agent})` : ''}
            </td>
          </tr>
        )
      })}
    </RecordsTable>
  )
}

/** A refusal in words: the back office's own codes first (`last_admin`, `already_exists`…), then the app's. */
export function adminProblem(t: AdminTranslate, error: ApiError): string {
  const own = error.code ? adminLabel(t, `admin.problem.${error.code}`, '') : ''
  return own || problemMessage(t, error)
}

export function actionName(t: AdminTranslate, action: string): string {
  return adminLabel(t, `admin.action.${action}`, action)
}

export const JOB_POLL_MS = 2_000

/** A job handling many affected appointments: a progress bar, asked again every 2 s until it is done or failed. */
export function JobProgress(props: { id: string; job: Job }) {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const { load } = useResource(() => getJob(api, props.job.id), [props.job.id], {
    poll: { everyMs: JOB_POLL_MS, again: ({ value }) => !value || value.status === 'running' },
    onReady: (job) => {
      if (job.status === 'done') announce(t('admin.job.done', { count: job.total }))
      if (job.status === 'failed') announce(t('admin.job.failed'))
    },
  })
  const job = load.value
  const total = job?.total ?? props.job.total
  const done = job?.done ?? 0
  return (
    <div class="job" id={props.id}>
      <label for={`${props.id}-bar`}>{t('admin.job.label', { count: total })}</label>
      <progress id={`${props.id}-bar`} max={Math.max(total, 1)} value={done}>
        {t('admin.job.progress', { done, total })}
      </progress>
      <p id={`${props.id}-text`}>
        {job?.status === 'done'
          ? t('admin.job.done', { count: total })
          : job?.status === 'failed'
            ? t('admin.job.failed')
            : t('admin.job.progress', { done, total })}
      </p>
      {job && job.status !== 'running' && job.affected.length > 0 && (
        <AffectedList id={`${props.id}-affected`} affected={job.affected} />
      )}
    </div>
  )
}
