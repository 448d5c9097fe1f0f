/**
 * The procedures of an appointment, on the call screen (beside the call) and on the appointment page.
 *
 * Agent: the form of the appointment's procedure, built from the schema the API gives (labels and help in the
 * agent's language); required fields checked here, the API's own field errors shown at the field and in the error
 * summary; for an instalment plan a preview of the payment schedule; "Issue" (with an Idempotency-Key, kept for a
 * retry of the same request); then the procedure's status and documents, and the list of the appointment's procedures
 * (asked again every 5 s while one waits for the citizen's confirmation).
 *
 * Citizen: the procedures that wait for their confirmation — the summary, "Send me a code", the code — and the
 * documents of those issued.
 */
import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { uuid } from '../appointments'
import { useAuth } from '../auth'
import { CodeStep } from '../components/CodeStep'
import {
  ErrorSummary,
  FieldErrorMessage,
  problemMessage,
  useFormErrors,
  waitMessage,
  type FormError,
} from '../components/forms'
import { documentDownloadUrl, startDownload } from '../documents'
import type { Language, Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { isCode, normalizeCode } from '../identity'
import { label } from '../offices'
import { useAnnounce } from '../page-context'
import {
  apiFieldErrors,
  ATTACHMENT_MAX_BYTES,
  ATTACHMENT_TYPES,
  CHECK_METHODS,
  checkForm,
  confirmProcedure,
  fetchProcedureForm,
  fetchProcedures,
  formatMoney,
  INSTALMENT_PLAN,
  initialValues,
  issueProcedure,
  previewFields,
  previewPlan,
  previewRequest,
  recordIdentityCheck,
  requestConsentCode,
  type CheckMethod,
  type ConsentChallenge,
  type FieldProblem,
  type FormField,
  type FormValue,
  type FormValues,
  type IdentityBasis,
  type PlanPreview,
  type Procedure,
  type ProcedureDocument,
  type ProcedureForm,
  uploadAttachment,
} from '../procedures'
import { useFocusAfterRender } from './appointment-common'

export const POLL_MS = 5_000
const AWAITING = 'awaiting_consent'

export function statusName(t: Translate, status: string): string {
  return label(t, `procedure.status.${status}`, status)
}

// ---- The appointment's procedures, kept fresh ----

export interface ProceduresState {
  /** null until the first answer (or when the API would not answer). */
  items: Procedure[] | null
  error: ApiError | null
  refresh: () => void
  /** Puts the API's latest word on one procedure in the list. */
  replace: (procedure: Procedure) => void
}

/**
 * `GET /appointments/{id}/procedures` once `enabled`, and again every 5 s: always (`poll: 'always'`), while one waits
 * for consent (`'awaiting'`), or never. A failed refresh keeps what was shown; a 403/404 stops asking.
 */
export function useProcedures(
  appointmentId: string,
  options: { enabled: boolean; poll: 'always' | 'awaiting' | 'never' },
): ProceduresState {
  const { language } = useI18n()
  const { api } = useAuth()
  const [items, setItems] = useState<Procedure[] | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [tick, setTick] = useState(0)
  const latest = useRef<Procedure[] | null>(null)
  useEffect(() => {
    if (!options.enabled) return
    let current = true
    let timer: number | undefined
    const again = (stop: boolean) => {
      const waiting = (latest.current ?? []).some((p) => p.status === AWAITING)
      if (!stop && (options.poll === 'always' || (options.poll === 'awaiting' && waiting))) {
        timer = window.setTimeout(() => setTick((n) => n + 1), POLL_MS)
      }
    }
    fetchProcedures(api, appointmentId, language).then(
      (found) => {
        if (!current) return
        latest.current = found
        setItems(found)
        setError(null)
        again(false)
      },
      (caught: unknown) => {
        if (!current) return
        const failure = asApiError(caught)
        setError(failure)
        again(failure.status === 403 || failure.status === 404 || failure.status === 401)
      },
    )
    return () => {
      current = false
      window.clearTimeout(timer)
    }
  }, [options.enabled, options.poll, appointmentId, language, tick])
  return {
    items,
    error,
    refresh: () => setTick((n) => n + 1),
    replace: (procedure) => {
      const list = latest.current ?? []
      const next = list.some((p) => p.id === procedure.id)
        ? list.map((p) => (p.id === procedure.id ? procedure : p))
        : [...list, procedure]
      latest.current = next
      setItems(next)
    },
  }
}

// ---- Documents ----

/** "Download" for one document: a fresh address from the API, handed to the browser. */
export function DownloadButton(props: { document: Pick<ProcedureDocument, 'id' | 'title'>; idPrefix: string }) {
  const { t } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const id = `${props.idPrefix}-${props.document.id}`
  return (
    <>
      <button
        type="button"
        id={id}
        class="button button--secondary button--small"
        aria-disabled={busy ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onClick={async () => {
          if (busy) return
          setBusy(true)
          setError('')
          try {
            startDownload(await documentDownloadUrl(api, props.document.id))
            announce(t('doc.downloadStarted'))
          } catch (caught) {
            const message = `${t('doc.downloadFailed')} ${problemMessage(t, asApiError(caught))}`
            setError(message)
            announce(message)
          } finally {
            setBusy(false)
          }
        }}
      >
        {t('doc.download')}
        <span class="visually-hidden"> {props.document.title}</span>
      </button>
      {error && <FieldErrorMessage id={`${id}-error`} message={error} />}
    </>
  )
}

export function DocumentList(props: { documents: ProcedureDocument[]; idPrefix: string }) {
  const { t } = useI18n()
  if (props.documents.length === 0) return null
  return (
    <ul class="procedure-documents">
      {props.documents.map((d) => (
        <li key={d.id} class="procedure-document" data-id={d.id} data-csv={d.csv}>
          <span class="procedure-document__title">{d.title}</span>
          {d.csv && (
            <span class="procedure-document__csv">
              {t('doc.csv')}: <code>{d.csv}</code>
            </span>
          )}
          <DownloadButton document={d} idPrefix={props.idPrefix} />
        </li>
      ))}
    </ul>
  )
}

function SummaryLines(props: { procedure: Procedure }) {
  if (props.procedure.summary.lines.length === 0) return null
  return (
    <dl class="facts facts--compact">
      {props.procedure.summary.lines.map((line, index) => (
        <div key={index}>
          <dt>{line.label}</dt>
          <dd>{line.value}</dd>
        </div>
      ))}
    </dl>
  )
}

// ---- Agent ----

type FormLoad = { state: 'loading' } | { state: 'ready'; form: ProcedureForm } | { state: 'error'; error: ApiError }

/** The agent's panel: `as` the call screen's aside or a section of the appointment page. */
export function AgentProcedurePanel(props: { appointmentId: string; canIssue: boolean; as: 'aside' | 'section' }) {
  const { t } = useI18n()
  const Tag = props.as
  return (
    <Tag
      class={props.as === 'aside' ? 'procedure-panel' : 'panel procedure-panel'}
      id="procedure-panel"
      aria-labelledby="procedure-title"
    >
      <h2 id="procedure-title">{t('call.procedure')}</h2>
      <AgentProcedures appointmentId={props.appointmentId} canIssue={props.canIssue} />
    </Tag>
  )
}

function AgentProcedures(props: { appointmentId: string; canIssue: boolean }) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const errors = useFormErrors()
  const procedures = useProcedures(props.appointmentId, { enabled: true, poll: 'awaiting' })
  const [load, setLoad] = useState<FormLoad>({ state: 'loading' })
  const [attempt, setAttempt] = useState(0)
  const [values, setValues] = useState<FormValues>({})
  const [plan, setPlan] = useState<PlanPreview | null>(null)
  const [busy, setBusy] = useState<null | 'preview' | 'issue'>(null)
  const [issued, setIssued] = useState<Procedure | null>(null)
  // What proves the citizen's identity, once the agent recorded a check here (the form says what held before).
  const [identity, setIdentity] = useState<IdentityBasis | null>(null)
  // One key per request: the same for a retry after a lost answer, a new one once anything changes.
  const key = useRef(uuid())

  useEffect(() => {
    if (!props.canIssue) return
    let current = true
    setLoad((now) => (now.state === 'ready' ? now : { state: 'loading' }))
    fetchProcedureForm(api, props.appointmentId, language).then(
      (form) => {
        if (!current) return
        setLoad({ state: 'ready', form })
        // A new language relabels the form: what was entered stays.
        setValues((now) => {
          const fresh = initialValues(form)
          for (const name of Object.keys(fresh)) if (name in now) fresh[name] = now[name] as FormValue
          return fresh
        })
      },
      (caught: unknown) => current && setLoad({ state: 'error', error: asApiError(caught) }),
    )
    return () => {
      current = false
    }
  }, [props.appointmentId, props.canIssue, language, attempt])

  const form = load.state === 'ready' ? load.form : null
  const proven = identity ?? form?.identity ?? null
  // A document with personal data waits for the identity check: the issue button is enabled once it is recorded.
  const waitsForCheck = !!form && form.needsIdentityCheck && !identity

  function showProblems(problems: { field: FormField; problem: FieldProblem }[]) {
    const fields: Record<string, string> = {}
    for (const { field, problem } of problems) fields[fieldInputId(field)] = problemText(t, language, field, problem)
    errors.show(fields)
  }

  function showFailure(f: ProcedureForm, error: ApiError, general: (e: ApiError) => string) {
    if (error.status === 422 && error.errors.length > 0) {
      const mapped = apiFieldErrors(f, error)
      const fields: Record<string, string> = {}
      for (const { field, message } of mapped.fields) {
        fields[fieldInputId(field)] = message
          ? t('pf.apiError', { label: field.label, message })
          : t('pf.invalid', { label: field.label })
      }
      const rest: FormError[] = mapped.general.map((message) => ({ message }))
      errors.show(fields, rest.length || mapped.fields.length ? rest : [{ message: t('problem.validation') }])
    } else errors.show({}, [{ message: general(error) }])
  }

  function change(name: string, value: FormValue) {
    setValues((now) => ({ ...now, [name]: value }))
    setPlan(null)
    key.current = uuid()
  }

  async function preview(f: ProcedureForm) {
    if (busy) return
    const { data, problems } = checkForm(f, values, previewFields(f))
    if (problems.length > 0) return showProblems(problems)
    setBusy('preview')
    try {
      const found = await previewPlan(api, previewRequest(f, data), language)
      setPlan(found)
      errors.clear()
      announce(t('plan.ready', { count: found.items.length, total: formatMoney(language, found.total_cents) }))
    } catch (caught) {
      setPlan(null)
      showFailure(f, asApiError(caught), (e) => problemMessage(t, e))
    } finally {
      setBusy(null)
    }
  }

  async function issue(f: ProcedureForm) {
    if (busy) return
    if (waitsForCheck) {
      errors.show({}, [{ message: t('idc.needed') }])
      return
    }
    const { data, problems } = checkForm(f, values)
    if (problems.length > 0) return showProblems(problems)
    setBusy('issue')
    try {
      const procedure = await issueProcedure(api, props.appointmentId, { type: f.type, data }, key.current, language)
      key.current = uuid()
      errors.clear()
      setIssued(procedure)
      setPlan(null)
      procedures.replace(procedure)
      procedures.refresh()
      announce(procedure.status === AWAITING ? t('pf.awaitingTitle') : t('pf.issuedTitle'))
      focus('procedure-result-title')
    } catch (caught) {
      showFailure(f, asApiError(caught), (e) => issueProblem(t, e))
    } finally {
      setBusy(null)
    }
  }

  // What the list says now (the citizen may have confirmed meanwhile).
  const shown = issued ? (procedures.items?.find((p) => p.id === issued.id) ?? issued) : null
  return (
    <>
      {props.canIssue && load.state === 'loading' && <p class="status-message">{t('pf.loading')}</p>}
      {props.canIssue && load.state === 'error' && load.error.status === 404 && (
        <p id="procedure-none">{t('pf.noForm')}</p>
      )}
      {props.canIssue && load.state === 'error' && load.error.status !== 404 && (
        <div class="error-state">
          <p class="error-title">{t('pf.loadError')}</p>
          <button type="button" class="button button--secondary" onClick={() => setAttempt((n) => n + 1)}>
            {t('error.retry')}
          </button>
        </div>
      )}
      {shown && (
        <section
          class="procedure-result"
          id="procedure-result"
          data-status={shown.status}
          aria-labelledby="procedure-result-title"
        >
          <h3 id="procedure-result-title" tabIndex={-1}>
            {shown.status === AWAITING ? t('pf.awaitingTitle') : t('pf.issuedTitle')}
          </h3>
          <p id="procedure-status" class="procedure__status">
            {shown.status === AWAITING
              ? t('pf.awaitingText')
              : shown.status === 'issued'
                ? t('pf.issuedText')
                : statusName(t, shown.status)}
          </p>
          <p class="procedure__title">{shown.summary.title}</p>
          <SummaryLines procedure={shown} />
          <DocumentList documents={shown.documents} idPrefix="download" />
          <p>
            <button
              type="button"
              id="new-procedure"
              class="button button--secondary"
              onClick={() => {
                setIssued(null)
                if (form) setValues(initialValues(form))
                key.current = uuid()
                focus('procedure-form-title')
              }}
            >
              {t('pf.another')}
            </button>
          </p>
        </section>
      )}
      {form && !shown && (
        <form
          id="procedure-form"
          class="procedure-form"
          noValidate
          aria-labelledby="procedure-form-title"
          data-type={form.type}
          onSubmit={(event) => {
            event.preventDefault()
            void issue(form)
          }}
        >
          <h3 id="procedure-form-title" tabIndex={-1}>
            {form.title}
          </h3>
          {form.needsConsent && (
            <p class="field__hint" id="procedure-consent-note">
              {t('pf.needsConsent')}
            </p>
          )}
          <ErrorSummary id="procedure-errors" errors={errors.summary} focusKey={errors.key} />
          {form.needsIdentityCheck && !identity ? (
            <IdentityCheckStep
              appointmentId={props.appointmentId}
              onChecked={(found) => {
                setIdentity(found)
                errors.clear()
              }}
            />
          ) : (
            proven && <IdentityProven identity={proven} />
          )}
          {form.fields.map((field) => (
            <SchemaField
              key={field.name}
              field={field}
              value={values[field.name]}
              error={errors.fields[fieldInputId(field)]}
              onValue={(value) => change(field.name, value)}
              upload={(file) => uploadAttachment(api, props.appointmentId, file)}
            />
          ))}
          <div class="actions">
            {form.type === INSTALMENT_PLAN && (
              <button
                type="button"
                id="procedure-preview"
                class="button button--secondary"
                aria-disabled={busy ? 'true' : undefined}
                onClick={() => void preview(form)}
              >
                {busy === 'preview' ? t('plan.calculating') : t('plan.preview')}
              </button>
            )}
            <button
              type="submit"
              id="procedure-issue"
              class="button"
              disabled={waitsForCheck}
              aria-describedby={waitsForCheck ? 'identity-check-title' : undefined}
              aria-disabled={busy ? 'true' : undefined}
            >
              {busy === 'issue' ? t('pf.issuing') : t('pf.issue')}
            </button>
          </div>
        </form>
      )}
      {form && !shown && plan && <PlanTable plan={plan} />}
      {procedures.items && <ProcedureList items={procedures.items} />}
    </>
  )
}

function issueProblem(t: Translate, error: ApiError): string {
  if (error.code === 'identity_not_checked') return t('idc.needed')
  if (error.code === 'already_issued') return t('pf.alreadyIssued')
  if (error.code === 'request_in_progress') return t('pf.inProgress')
  if (error.status === 409) return t('pf.closed')
  if (error.status === 404) return t('pf.notFound')
  return problemMessage(t, error)
}

/** What proves the citizen's identity for this appointment, said in plain words. */
function IdentityProven(props: { identity: IdentityBasis }) {
  const { t } = useI18n()
  const method = props.identity.method
  return (
    <p class="note" id="identity-proven" data-basis={props.identity.basis}>
      {props.identity.basis === 'eid' || !method
        ? t('idc.eid')
        : t('idc.done', { document: label(t, `idc.method.${method}`, method) })}
    </p>
  )
}

/**
 * The identity check in the call: the person shows their DNI, NIE or passport to the camera, the agent compares the
 * photo and the number, picks the document and confirms that it matches; recorded before anything is issued.
 */
function IdentityCheckStep(props: { appointmentId: string; onChecked: (identity: IdentityBasis) => void }) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const [method, setMethod] = useState<CheckMethod | ''>('')
  const [matches, setMatches] = useState(false)
  const [errors, setErrors] = useState<{ method?: string; matches?: string; general?: string }>({})
  const [busy, setBusy] = useState(false)

  async function record() {
    if (busy) return
    const found = {
      method: method === '' ? t('idc.chooseMethod') : undefined,
      matches: matches ? undefined : t('idc.confirmMatch'),
    }
    if (found.method || found.matches) {
      setErrors(found)
      document.getElementById(found.method ? `idc-${CHECK_METHODS[0]}` : 'idc-matches')?.focus()
      return
    }
    if (method === '') return
    setBusy(true)
    try {
      const identity = await recordIdentityCheck(api, props.appointmentId, method, language)
      setErrors({})
      announce(t('idc.done', { document: t(`idc.method.${method}`) }))
      props.onChecked(identity)
    } catch (caught) {
      const error = asApiError(caught)
      const message = error.code === 'call_not_open' ? t('idc.notOpen') : problemMessage(t, error)
      setErrors({ general: message })
      announce(message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <fieldset class="fieldset note identity-check" id="identity-check" aria-describedby="idc-why idc-ask">
      <legend class="field__label" id="identity-check-title">
        {t('idc.title')}
      </legend>
      <p class="field__hint" id="idc-why">
        {t('idc.why')}
      </p>
      <p id="idc-ask">{t('idc.ask')}</p>
      <fieldset
        class={errors.method ? 'fieldset field--error' : 'fieldset'}
        aria-describedby={errors.method ? 'idc-method-error' : undefined}
      >
        <legend class="field__label">{t('idc.method')}</legend>
        {errors.method && <FieldErrorMessage id="idc-method-error" message={errors.method} />}
        {CHECK_METHODS.map((value) => (
          <div class="checkbox" key={value}>
            <input
              type="radio"
              id={`idc-${value}`}
              name="identity-method"
              value={value}
              checked={method === value}
              onChange={() => setMethod(value)}
            />
            <label for={`idc-${value}`}>{t(`idc.method.${value}`)}</label>
          </div>
        ))}
      </fieldset>
      <div class={errors.matches ? 'field field--error' : 'field'}>
        {errors.matches && <FieldErrorMessage id="idc-matches-error" message={errors.matches} />}
        <div class="checkbox">
          <input
            type="checkbox"
            id="idc-matches"
            checked={matches}
            aria-invalid={errors.matches ? 'true' : undefined}
            aria-describedby={['idc-no-match', errors.matches ? 'idc-matches-error' : ''].filter(Boolean).join(' ')}
            onChange={(event) => setMatches(event.currentTarget.checked)}
          />
          <label for="idc-matches">{t('idc.matches')}</label>
        </div>
        <p class="field__hint" id="idc-no-match">
          {t('idc.noMatch')}
        </p>
      </div>
      {errors.general && (
        <p class="notice" id="idc-error" role="alert">
          {errors.general}
        </p>
      )}
      <button
        type="button"
        id="idc-record"
        class="button button--secondary"
        aria-disabled={busy ? 'true' : undefined}
        onClick={() => void record()}
      >
        {busy ? t('idc.recording') : t('idc.record')}
      </button>
    </fieldset>
  )
}

/** The id of a field's control (for a group of checkboxes, the first one): where the summary's link goes. */
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

function SchemaField(props: {
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

function PlanTable(props: { plan: PlanPreview }) {
  const { t, language } = useI18n()
  const { plan } = props
  const money = (cents: number) => formatMoney(language, cents)
  return (
    <div class="plan-preview" id="plan-preview">
      <h3 id="plan-preview-title">{t('plan.title')}</h3>
      <div class="table-wrap" role="region" aria-labelledby="plan-preview-title" tabIndex={0}>
        <table id="plan-table" class="plan-table">
          <thead>
            <tr>
              <th scope="col">{t('plan.number')}</th>
              <th scope="col">{t('plan.due')}</th>
              <th scope="col" class="num">
                {t('plan.principal')}
              </th>
              <th scope="col" class="num">
                {t('plan.interest')}
              </th>
              <th scope="col" class="num">
                {t('plan.total')}
              </th>
            </tr>
          </thead>
          <tbody>
            {plan.items.map((item, index) => (
              <tr key={index}>
                <th scope="row">{index + 1}</th>
                <td>
                  <time dateTime={item.due}>{shortDate(language, item.due)}</time>
                </td>
                <td class="num">{money(item.principal_cents)}</td>
                <td class="num">{money(item.interest_cents)}</td>
                <td class="num">{money(item.total_cents)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr id="plan-totals">
              <th scope="row" colSpan={2}>
                {t('plan.totals')}
              </th>
              <td class="num">{money(plan.principal_cents)}</td>
              <td class="num" id="plan-interest">
                {money(plan.interest_cents)}
              </td>
              <td class="num" id="plan-total">
                {money(plan.total_cents)}
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      {plan.guarantee_required && (
        <p class="notice" id="plan-guarantee">
          {t('plan.guarantee', { amount: money(plan.guarantee_cents) })}
        </p>
      )}
    </div>
  )
}

function ProcedureList(props: { items: Procedure[] }) {
  const { t } = useI18n()
  return (
    <section class="procedure-list" id="procedure-list" aria-labelledby="procedure-list-title">
      <h3 id="procedure-list-title">{t('pf.listTitle')}</h3>
      {props.items.length === 0 ? (
        <p id="no-procedures">{t('pf.none')}</p>
      ) : (
        <ul class="procedures">
          {props.items.map((p) => (
            <li key={p.id} class="procedure" data-id={p.id} data-status={p.status}>
              <p>
                <strong>{p.summary.title}</strong> · <span class="procedure__status">{statusName(t, p.status)}</span>
              </p>
              <DocumentList documents={p.documents} idPrefix="list-download" />
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

// ---- Citizen ----

/** The citizen's procedures (nothing at all while there are none): `as` the call's aside or a page section. */
export function CitizenProcedurePanel(props: { procedures: ProceduresState; as: 'aside' | 'section' }) {
  const { t } = useI18n()
  // Here, not in the confirmation box: once confirmed, the box makes way for the issued procedure's heading.
  const focus = useFocusAfterRender()
  const items = props.procedures.items ?? []
  if (items.length === 0) return null
  const Tag = props.as
  return (
    <Tag
      class={props.as === 'aside' ? 'procedure-panel' : 'panel procedure-panel'}
      id="procedure-panel"
      aria-labelledby="procedure-title"
    >
      <h2 id="procedure-title">{t('consent.panelTitle')}</h2>
      <ul class="procedures">
        {items.map((p) => (
          <li key={p.id} class="procedure" data-id={p.id} data-status={p.status}>
            {p.status === AWAITING ? (
              <ConsentBox
                procedure={p}
                procedures={props.procedures}
                onConfirmed={(done) => {
                  props.procedures.replace(done)
                  focus(`procedure-${done.id}-title`)
                }}
              />
            ) : (
              <>
                <h3 id={`procedure-${p.id}-title`} tabIndex={-1}>
                  {p.summary.title}
                </h3>
                <p class="procedure__status">{statusName(t, p.status)}</p>
                <DocumentList documents={p.documents} idPrefix="download" />
              </>
            )}
          </li>
        ))}
      </ul>
    </Tag>
  )
}

/** "Send me a code", then the code: the citizen's express confirmation of what the agent prepared. */
function ConsentBox(props: {
  procedure: Procedure
  procedures: ProceduresState
  onConfirmed: (procedure: Procedure) => void
}) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const p = props.procedure
  const base = `consent-${p.id}`
  const heading = useRef<HTMLHeadingElement>(null)
  const [challenge, setChallenge] = useState<ConsentChallenge | null>(null)
  const [code, setCode] = useState('')
  const [error, setError] = useState('')
  const [sendError, setSendError] = useState('')
  const [pending, setPending] = useState(false)
  const [version, setVersion] = useState(0)

  function failure(e: ApiError): string {
    if (e.code === 'not_awaiting_consent' || e.status === 409) {
      props.procedures.refresh()
      return t('consent.notAwaiting')
    }
    if (e.status === 429) return waitMessage(t, e.retryAfter)
    return problemMessage(t, e)
  }

  async function send(again: boolean) {
    if (pending) return
    setPending(true)
    setSendError('')
    try {
      const found = await requestConsentCode(api, p.id)
      setChallenge(found)
      setCode('')
      setError('')
      setVersion((n) => n + 1)
      announce(sentText(t, found.channel))
      if (!again) focus(`${base}-form-title`)
    } catch (caught) {
      const message = failure(asApiError(caught))
      if (challenge) setError(message)
      else setSendError(message)
      announce(message)
    } finally {
      setPending(false)
    }
  }

  async function confirm() {
    if (pending || !challenge) return
    const normalized = normalizeCode(code)
    if (!isCode(normalized)) {
      setError(normalized === '' ? t('validation.code.missing') : t('validation.code.format'))
      document.getElementById(`${base}-code`)?.focus()
      return
    }
    setPending(true)
    try {
      const done = await confirmProcedure(api, p.id, challenge.challenge_id, normalized, language)
      announce(t('consent.done'))
      props.onConfirmed(done)
    } catch (caught) {
      setError(failure(asApiError(caught)))
      document.getElementById(`${base}-code`)?.focus()
    } finally {
      setPending(false)
    }
  }

  return (
    <div class="consent" id={base} role="group" aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`} tabIndex={-1}>
        {p.summary.title}
      </h3>
      <p class="procedure__status">{t('consent.needed')}</p>
      <SummaryLines procedure={p} />
      {!challenge ? (
        <>
          <p>{t('consent.explain')}</p>
          {sendError && (
            <p class="notice" id={`${base}-send-error`}>
              {sendError}
            </p>
          )}
          <button
            type="button"
            id={`${base}-send`}
            class="button"
            aria-disabled={pending ? 'true' : undefined}
            onClick={() => void send(false)}
          >
            {t('consent.send')}
          </button>
        </>
      ) : (
        <CodeStep
          formId={`${base}-form`}
          inputId={`${base}-code`}
          headingRef={heading}
          sentTo={sentText(t, challenge.channel)}
          code={code}
          onCode={setCode}
          error={error || undefined}
          submitLabel={pending ? t('otp.checking') : t('consent.confirm')}
          pending={pending}
          onSubmit={() => void confirm()}
          onResend={() => void send(true)}
          onRestart={() => {
            setChallenge(null)
            setError('')
            focus(`${base}-title`)
          }}
          restartLabel={t('consent.notNow')}
          outboxVersion={version}
        />
      )}
    </div>
  )
}

function sentText(t: Translate, channel: string): string {
  if (channel === 'email') return t('consent.sentEmail')
  if (channel === 'sms') return t('consent.sentSms')
  return t('consent.sentAny')
}
