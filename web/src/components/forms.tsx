/**
 * Form building blocks with the error pattern every form shares: an error summary at the top that takes focus and
 * links to each field, and at the field the message itself, tied to the input by aria-describedby + aria-invalid.
 */
import type { ComponentChildren, Ref } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import type { ApiError } from '../api'
import { isDay } from '../appointments'
import type { Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { Link } from '../router'

/** One line of the error summary; `target` is the id of the control it is about (the link focuses it). */
export interface FormError {
  target?: string
  message: string
  /** A way out after the message: a page of this app, or (`external`) a full-page link such as the eID start. */
  link?: { href: string; text: string; external?: boolean }
}

interface ErrorState {
  /** Input id → message. */
  fields: Record<string, string>
  general: FormError[]
  /** Bumped at every failed submission, so the summary takes focus again even when the text is the same. */
  key: number
}

export function useFormErrors() {
  const [state, setState] = useState<ErrorState>({ fields: {}, general: [], key: 0 })
  return {
    fields: state.fields,
    key: state.key,
    summary: [
      ...Object.entries(state.fields).map(([target, message]) => ({ target, message })),
      ...state.general,
    ] as FormError[],
    show(fields: Record<string, string>, general: FormError[] = []) {
      setState((current) => ({ fields, general, key: current.key + 1 }))
    },
    clear() {
      setState((current) => ({ fields: {}, general: [], key: current.key }))
    },
  }
}

export type FormErrors = ReturnType<typeof useFormErrors>

/**
 * Every form of the app: the browser's own checks are off (`noValidate`: the error pattern above says what is wrong)
 * and so is its own submission: `onSubmit` runs instead.
 */
export function Form(props: {
  id?: string
  class?: string
  'aria-labelledby'?: string
  'data-type'?: string
  onSubmit: () => unknown
  children: ComponentChildren
}) {
  const { onSubmit, children, ...attributes } = props
  return (
    <form
      {...attributes}
      noValidate
      onSubmit={(event) => {
        event.preventDefault()
        void onSubmit()
      }}
    >
      {children}
    </form>
  )
}

/**
 * A panel holding one form: its heading, what goes before the form (`intro`), the fields, the submit button (marked
 * busy while `pending`) and what follows in the panel (`after`). The heading's id is the form's id + `-title`; with a
 * `headingRef` it takes focus, for forms that are steps.
 */
export function PanelForm(props: {
  formId: string
  title: string
  headingRef?: Ref<HTMLHeadingElement>
  intro?: ComponentChildren
  submitLabel: string
  pending: boolean
  onSubmit: () => void
  children: ComponentChildren
  after?: ComponentChildren
}) {
  const titleId = `${props.formId}-title`
  return (
    <section class="panel" aria-labelledby={titleId}>
      <h2 id={titleId} tabIndex={props.headingRef ? -1 : undefined} ref={props.headingRef}>
        {props.title}
      </h2>
      {props.intro}
      <Form id={props.formId} onSubmit={props.onSubmit}>
        {props.children}
        <div class="actions">
          <button type="submit" class="button" aria-disabled={props.pending ? 'true' : undefined}>
            {props.submitLabel}
          </button>
        </div>
      </Form>
      {props.after}
    </section>
  )
}

export function ErrorSummary(props: { id: string; errors: FormError[]; focusKey: number }) {
  const { t } = useI18n()
  const ref = useRef<HTMLDivElement>(null)
  const shown = props.errors.length > 0
  useEffect(() => {
    if (shown) ref.current?.focus()
  }, [props.focusKey, shown])
  if (!shown) return null
  return (
    <div class="error-summary" id={props.id} ref={ref} tabIndex={-1} aria-labelledby={`${props.id}-title`}>
      <h2 class="error-summary__title" id={`${props.id}-title`}>
        {t('form.errorSummary')}
      </h2>
      <ul>
        {props.errors.map((error, index) => (
          <li key={index}>
            {error.target ? (
              <a
                href={`#${error.target}`}
                onClick={(event) => {
                  // Focus the control itself (not only scroll to it), without a "#…" in the address for the router.
                  const control = document.getElementById(error.target ?? '')
                  if (!control) return
                  event.preventDefault()
                  control.focus()
                  control.scrollIntoView?.({ block: 'center' })
                }}
              >
                {error.message}
              </a>
            ) : (
              error.message
            )}
            {error.link && ' '}
            {error.link &&
              (error.link.external ? (
                <a href={error.link.href}>{error.link.text}</a>
              ) : (
                <Link href={error.link.href}>{error.link.text}</Link>
              ))}
          </li>
        ))}
      </ul>
    </div>
  )
}

/** The input attributes the forms use (a closed list keeps Preact's input typing happy). */
interface InputProps {
  name?: string
  type: 'text' | 'email' | 'tel' | 'password' | 'date'
  autocomplete?: string
  inputMode?: 'text' | 'email' | 'tel' | 'numeric'
  autoCapitalize?: 'none' | 'characters'
  spellcheck?: boolean
  pattern?: string
  /** For dates: the first and last day that may be chosen ("YYYY-MM-DD"). */
  min?: string
  max?: string
}

export function TextField(
  props: InputProps & {
    id: string
    label: string
    hint?: string
    error?: string
    value: string
    onValue: (value: string) => void
    /** An extra class for the input, e.g. a narrower one for a 6-digit code. */
    inputClass?: string
  },
) {
  const { id, label, hint, error, value, onValue, inputClass, type, ...input } = props
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ')
  return (
    <div class={error ? 'field field--error' : 'field'}>
      <label class="field__label" for={id}>
        {label}
      </label>
      {hint && (
        <p class="field__hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && <FieldErrorMessage id={`${id}-error`} message={error} />}
      <input
        {...input}
        // Preact types `input` as a union keyed on `type`; every type used here takes the same attributes.
        type={type as 'text'}
        id={id}
        class={inputClass ? `input ${inputClass}` : 'input'}
        value={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
        onInput={(event) => onValue(event.currentTarget.value)}
      />
    </div>
  )
}

/**
 * A DNI, NIE or passport number, the same wherever one is asked (sign-in, booking for a citizen, checking a document):
 * typed as on the document, in capitals, without spelling checks or suggestions.
 */
export function IdNumberField(props: {
  id: string
  label: string
  hint: string
  error?: string
  value: string
  onValue: (value: string) => void
}) {
  return (
    <TextField
      {...props}
      name="id_number"
      type="text"
      autocomplete="off"
      autoCapitalize="characters"
      spellcheck={false}
      inputClass="input--id"
    />
  )
}

export function FieldErrorMessage(props: { id: string; message: string }) {
  const { t } = useI18n()
  return (
    <p class="field__error" id={props.id}>
      {/* The word, not only the red colour, says it is an error. */}
      <span class="field__error-prefix">{t('form.errorPrefix')}</span> {props.message}
    </p>
  )
}

export function Fieldset(props: { legend: string; error?: string; errorId?: string; children: ComponentChildren }) {
  return (
    <fieldset
      class={props.error ? 'fieldset field--error' : 'fieldset'}
      aria-describedby={props.error ? props.errorId : undefined}
    >
      <legend class="field__label">{props.legend}</legend>
      {props.error && props.errorId && <FieldErrorMessage id={props.errorId} message={props.error} />}
      {props.children}
    </fieldset>
  )
}

/** The translated message for an API failure: by its `code`, else a generic one; the API's English text never shows. */
export function problemMessage(t: Translate, error: ApiError): string {
  switch (error.code) {
    case 'rate_limited':
      return waitMessage(t, error.retryAfter)
    case 'invalid_code': {
      const left = error.body.attempts_left
      return typeof left === 'number' && Number.isFinite(left)
        ? t('problem.invalidCodeAttempts', { count: left })
        : t('problem.invalidCode')
    }
    case 'code_expired':
      return t('problem.codeExpired')
    case 'too_many_attempts':
      return t('problem.tooManyAttempts')
    case 'invalid_credentials':
      return t('problem.invalidCredentials')
    case 'account_disabled':
      return t('problem.accountDisabled')
    case 'validation_error':
      return t('problem.validation')
    case 'forbidden':
      return t('problem.forbidden')
    case 'service_unavailable':
      return t('problem.unavailable')
    case 'identity_not_checked':
      return t('problem.identityNotChecked')
    case 'already_started':
      return t('problem.alreadyStarted')
  }
  if (error.status === null) return t('problem.network')
  if (error.status === 503) return t('problem.unavailable')
  if (error.status === 429) return waitMessage(t, error.retryAfter)
  return t('problem.generic')
}

/** "Try again in N min", N from Retry-After (seconds) rounded up to whole minutes, at least 1. */
export function waitMessage(t: Translate, retryAfterSeconds: number | null): string {
  if (retryAfterSeconds === null) return t('problem.rateLimited')
  return t('problem.rateLimitedMinutes', { minutes: Math.max(1, Math.ceil(retryAfterSeconds / 60)) })
}

const FIELD_MESSAGES = {
  id_number: 'field.idNumber',
  channel: 'field.channel',
  destination: 'field.destination',
  code: 'field.code',
  otp: 'field.code',
  username: 'field.username',
  password: 'field.password',
  contact: 'book.contactMissing',
  'contact.email': 'validation.email.format',
  'contact.phone': 'validation.phone.format',
  'citizen.id_number': 'field.idNumber',
} as const

/**
 * A 422's field errors placed on this form's inputs (`fieldIds`: API field → input id), in translated words; what
 * maps to no input goes to the summary.
 */
export function validationErrors(
  t: Translate,
  error: ApiError,
  fieldIds: Record<string, string>,
): { fields: Record<string, string>; general: FormError[] } {
  const fields: Record<string, string> = {}
  let unplaced = error.errors.length === 0
  for (const { field } of error.errors) {
    const id = fieldIds[field]
    if (id && !fields[id]) {
      const key = FIELD_MESSAGES[field as keyof typeof FIELD_MESSAGES]
      fields[id] = key ? t(key) : t('problem.validation')
    } else if (!id) unplaced = true
  }
  // Keep the form's order, not the API's.
  const ordered: Record<string, string> = {}
  for (const id of Object.values(fieldIds)) if (fields[id]) ordered[id] = fields[id]
  return { fields: ordered, general: unplaced ? [{ message: t('problem.validation') }] : [] }
}

/** A day picker (YYYY-MM-DD) whose value only ever changes to a whole, valid day. */
export function DayField(props: { id: string; label: string; value: string; onDay: (day: string) => void }) {
  return (
    <div class="field">
      <label class="field__label" for={props.id}>
        {props.label}
      </label>
      <input
        type="date"
        id={props.id}
        class="input input--date"
        value={props.value}
        onChange={(event) => {
          const value = event.currentTarget.value
          if (isDay(value)) props.onDay(value)
        }}
      />
    </div>
  )
}
