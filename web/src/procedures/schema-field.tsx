/** The fields of a procedure's form, drawn from the API's schema, and what is wrong with one, in words. */
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { asApiError } from '../api'
import { FieldErrorMessage } from '../components/forms'
import type { Language, Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import {
  ATTACHMENT_MAX_BYTES,
  ATTACHMENT_TYPES,
  formatMoney,
  type FieldProblem,
  type FormField,
  type FormValue,
} from './model'

/** A supporting document: chosen, checked (type, size), uploaded at once; the field's value is the attachment's id. */
function FileField(props: {
  id: string
  field: FormField
  label: ComponentChildren
  hint: ComponentChildren
  error: ComponentChildren
  describedBy?: string
  attached: boolean
  onValue: (value: FormValue) => void
  upload?: (file: File) => Promise<string>
}) {
  const { t } = useI18n()
  const [status, setStatus] = useState<{
    state: 'idle' | 'uploading' | 'done' | 'failed' | 'refused'
    name?: string
  }>({
    state: 'idle',
  })
  async function choose(file: File | undefined) {
    if (!file || !props.upload) return
    props.onValue('')
    if (!ATTACHMENT_TYPES.includes(file.type) || file.size > ATTACHMENT_MAX_BYTES) {
      setStatus({ state: 'failed', name: file.name })
      return
    }
    setStatus({ state: 'uploading', name: file.name })
    try {
      props.onValue(await props.upload(file))
      setStatus({ state: 'done', name: file.name })
    } catch (error) {
      // The API read the file and refused its content (damaged, or a PDF with active content or a password).
      const refused = asApiError(error).errors.some((e) => e.field === 'data_base64')
      setStatus({ state: refused ? 'refused' : 'failed', name: file.name })
    }
  }
  const statusId = `${props.id}-status`
  return (
    <div class={props.error ? 'field field--error' : 'field'} data-field={props.field.name}>
      <label class="field__label" for={props.id}>
        {props.label}
      </label>
      {props.hint}
      {props.error}
      <input
        id={props.id}
        name={props.field.name}
        type="file"
        class="input input--file"
        accept={ATTACHMENT_TYPES.join(',')}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={[props.describedBy, statusId].filter(Boolean).join(' ')}
        aria-required={props.field.required ? 'true' : undefined}
        onChange={(event) => void choose(event.currentTarget.files?.[0])}
      />
      <p class="field__hint" id={statusId} role="status" data-state={status.state}>
        {status.state === 'uploading' && t('pf.fileUploading', { name: status.name ?? '' })}
        {status.state === 'done' && props.attached && t('pf.fileAttached', { name: status.name ?? '' })}
        {status.state === 'failed' && t('pf.fileFailed', { name: status.name ?? '' })}
        {status.state === 'refused' && t('pf.fileRefused', { name: status.name ?? '' })}
      </p>
    </div>
  )
}

/** The id of a field's control (for a group of checkboxes, the first one): where the summary's link goes. */
export function fieldInputId(field: FormField): string {
  return field.kind === 'multichoice' ? `pf-${field.name}-0` : `pf-${field.name}`
}

function bound(language: Language, field: FormField, value: number | string): string {
  if (field.kind === 'money' && typeof value === 'number') return formatMoney(language, value)
  if (field.kind === 'date' && typeof value === 'string') return shortDate(language, value)
  return String(value)
}

export function problemText(t: Translate, language: Language, field: FormField, problem: FieldProblem): string {
  const name = field.label
  switch (problem.kind) {
    case 'required':
      return field.kind === 'choice' || field.kind === 'multichoice'
        ? t('pf.choose', { label: name })
        : t('pf.required', { label: name })
    case 'mustAccept':
      return t('pf.mustAccept', { label: name })
    case 'money':
      return t('pf.money', { label: name })
    case 'integer':
      return t('pf.integer', { label: name })
    case 'date':
      return t('pf.date', { label: name })
    case 'iban':
      return t('pf.iban', { label: name })
    case 'choice':
      return t('pf.choose', { label: name })
    case 'min':
      return t('pf.min', { label: name, min: bound(language, field, problem.min) })
    case 'max':
      return t('pf.max', { label: name, max: bound(language, field, problem.max) })
  }
}

/** "05/09/2025": a day key ("YYYY-MM-DD") in the short local form. */
export function shortDate(language: Language, day: string): string {
  const at = new Date(`${day}T12:00:00Z`)
  if (Number.isNaN(at.getTime())) return day
  return new Intl.DateTimeFormat(language === 'en' ? 'en-GB' : language, {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(at)
}

/** One field of a procedure's form, drawn by its kind, with its label, hint and error. */
export function SchemaField(props: {
  field: FormField
  value: FormValue | undefined
  error?: string
  onValue: (value: FormValue) => void
  upload?: (file: File) => Promise<string>
}) {
  const { t } = useI18n()
  const { field, error } = props
  const id = `pf-${field.name}`
  const errorId = `${id}-error`
  const hints = [
    field.help,
    field.kind === 'money' ? t('pf.moneyHint') : null,
    field.kind === 'iban' ? t('pf.ibanHint') : null,
  ].filter(Boolean)
  const hintId = hints.length > 0 ? `${id}-hint` : undefined
  const describedBy = [hintId, error && errorId].filter(Boolean).join(' ') || undefined
  const fieldLabel = (
    <>
      {field.label}
      {!field.required && field.kind !== 'boolean' && <span class="field__optional"> {t('pf.optional')}</span>}
    </>
  )
  const hint = hintId && (
    <p class="field__hint" id={hintId}>
      {hints.join(' ')}
    </p>
  )
  const errorMessage = error && <FieldErrorMessage id={errorId} message={error} />
  const text = typeof props.value === 'string' ? props.value : ''

  if (field.kind === 'file') {
    return (
      <FileField
        id={id}
        field={field}
        label={fieldLabel}
        hint={hint}
        error={errorMessage}
        describedBy={describedBy}
        attached={text !== ''}
        onValue={props.onValue}
        upload={props.upload}
      />
    )
  }

  if (field.kind === 'multichoice') {
    const chosen = Array.isArray(props.value) ? props.value : []
    return (
      <fieldset
        class={error ? 'fieldset field--error' : 'fieldset'}
        aria-describedby={describedBy}
        data-field={field.name}
      >
        <legend class="field__label">{fieldLabel}</legend>
        {hint}
        {errorMessage}
        {field.options.map((option, index) => {
          const value = String(option.value)
          return (
            <div class="checkbox" key={value}>
              <input
                type="checkbox"
                id={`${id}-${index}`}
                name={field.name}
                value={value}
                checked={chosen.includes(value)}
                onChange={(event) =>
                  props.onValue(event.currentTarget.checked ? [...chosen, value] : chosen.filter((v) => v !== value))
                }
              />
              <label for={`${id}-${index}`}>{option.label}</label>
            </div>
          )
        })}
      </fieldset>
    )
  }

  if (field.kind === 'boolean') {
    return (
      <div class={error ? 'field field--error' : 'field'} data-field={field.name}>
        {errorMessage}
        <div class="checkbox">
          <input
            type="checkbox"
            id={id}
            name={field.name}
            checked={props.value === true}
            aria-invalid={error ? 'true' : undefined}
            aria-describedby={describedBy}
            onChange={(event) => props.onValue(event.currentTarget.checked)}
          />
          <label for={id}>{field.label}</label>
        </div>
        {hint}
      </div>
    )
  }

  let control: ComponentChildren
  if (field.kind === 'choice') {
    control = (
      <select
        id={id}
        name={field.name}
        class="input"
        value={text}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
        aria-required={field.required ? 'true' : undefined}
        onChange={(event) => props.onValue(event.currentTarget.value)}
      >
        <option value="">{t('pf.chooseOption')}</option>
        {field.options.map((option) => (
          <option key={String(option.value)} value={String(option.value)}>
            {option.label}
          </option>
        ))}
      </select>
    )
  } else {
    const numeric = field.kind === 'integer'
    const money = field.kind === 'money'
    control = (
      <input
        id={id}
        name={field.name}
        // Preact types `input` as a union keyed on `type`; both types used here take the same attributes.
        type={(field.kind === 'date' ? 'date' : 'text') as 'text'}
        class={field.kind === 'date' ? 'input input--date' : field.kind === 'iban' ? 'input input--iban' : 'input'}
        value={text}
        inputMode={numeric ? 'numeric' : money ? 'decimal' : undefined}
        autocomplete="off"
        spellcheck={field.kind === 'text' ? undefined : false}
        autoCapitalize={field.kind === 'iban' ? 'characters' : undefined}
        min={field.kind === 'date' && typeof field.min === 'string' ? field.min : undefined}
        max={field.kind === 'date' && typeof field.max === 'string' ? field.max : undefined}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy}
        aria-required={field.required ? 'true' : undefined}
        onInput={(event) => props.onValue(event.currentTarget.value)}
      />
    )
  }
  return (
    <div class={error ? 'field field--error' : 'field'} data-field={field.name}>
      <label class="field__label" for={id}>
        {fieldLabel}
      </label>
      {hint}
      {errorMessage}
      {control}
    </div>
  )
}
