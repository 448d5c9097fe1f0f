/**
 * The agent's procedures, on the call screen (beside the call) and on the appointment page: the form of the
 * appointment's procedure, built from the schema the API gives (labels and help in the agent's language); required
 * fields checked here, the API's own field errors shown at the field and in the error summary; for an instalment plan
 * a preview of the payment schedule; "Issue" (with an Idempotency-Key, kept for a retry of the same request); then the
 * procedure's status and documents, and the list of the appointment's procedures (asked again every 5 s while one
 * waits for the citizen's confirmation).
 */
import { useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { uuid } from '../appointments'
import { useAuth } from '../auth'
import { ErrorSummary, Form, problemMessage, useFormErrors, type FormError } from '../components/forms'
import type { Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { useAnnounce, useFocusAfterRender } from '../page-context'
import { useResource } from '../resource'
import { IdentityCheckStep, IdentityProven } from './identity-check'
import {
  apiFieldErrors,
  checkForm,
  fetchProcedureForm,
  formatMoney,
  INSTALMENT_PLAN,
  initialValues,
  issueProcedure,
  previewFields,
  previewPlan,
  previewRequest,
  uploadAttachment,
  type FieldProblem,
  type FormField,
  type FormValue,
  type FormValues,
  type IdentityBasis,
  type PlanPreview,
  type Procedure,
  type ProcedureForm,
} from './model'
import { PlanTable } from './plan-table'
import { DocumentList, ProcedurePanelFrame, SummaryLines } from './procedure-parts'
import { fieldInputId, problemText, SchemaField } from './schema-field'
import { AWAITING, statusName, useProcedures } from './use-procedures'

/** The agent's panel: `as` the call screen's aside or a section of the appointment page. */
export function AgentProcedurePanel(props: { appointmentId: string; canIssue: boolean; as: 'aside' | 'section' }) {
  const { t } = useI18n()
  return (
    <ProcedurePanelFrame as={props.as} title={t('call.procedure')}>
      <AgentProcedures appointmentId={props.appointmentId} canIssue={props.canIssue} />
    </ProcedurePanelFrame>
  )
}

function AgentProcedures(props: { appointmentId: string; canIssue: boolean }) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const errors = useFormErrors()
  const procedures = useProcedures(props.appointmentId, { enabled: true, poll: 'awaiting' })
  const [values, setValues] = useState<FormValues>({})
  const [plan, setPlan] = useState<PlanPreview | null>(null)
  const [busy, setBusy] = useState<null | 'preview' | 'issue'>(null)
  const [issued, setIssued] = useState<Procedure | null>(null)
  // What proves the citizen's identity, once the agent recorded a check here (the form says what held before).
  const [identity, setIdentity] = useState<IdentityBasis | null>(null)
  // One key per request: the same for a retry after a lost answer, a new one once anything changes.
  const key = useRef(uuid())

  const { load, reload } = useResource(
    props.canIssue ? () => fetchProcedureForm(api, props.appointmentId, language) : null,
    [props.appointmentId, language],
    {
      // A new language relabels the form: it stays on screen meanwhile, and what was entered stays.
      keep: true,
      onReady: (form) =>
        setValues((now) => {
          const fresh = initialValues(form)
          for (const name of Object.keys(fresh)) if (name in now) fresh[name] = now[name] as FormValue
          return fresh
        }),
    },
  )

  const form = load.state === 'error' ? null : (load.value ?? null)
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
      {props.canIssue && load.state === 'loading' && !load.value && <p class="status-message">{t('pf.loading')}</p>}
      {props.canIssue && load.state === 'error' && load.error.status === 404 && (
        <p id="procedure-none">{t('pf.noForm')}</p>
      )}
      {props.canIssue && load.state === 'error' && load.error.status !== 404 && (
        <div class="error-state">
          <p class="error-title">{t('pf.loadError')}</p>
          <button type="button" class="button button--secondary" onClick={reload}>
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
        <Form
          id="procedure-form"
          class="procedure-form"
          aria-labelledby="procedure-form-title"
          data-type={form.type}
          onSubmit={() => void issue(form)}
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
        </Form>
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
