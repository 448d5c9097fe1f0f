/**
 * The end of a call: "End call" with the appointment's outcome (agent), what ended or failed and what was issued in it,
 * each document to download (both sides).
 */
import { asApiError } from '../../api'
import { changeAppointment, OUTCOMES, type Appointment } from '../../appointments'
import { useAuth } from '../../auth'
import type { CallSnapshot } from '../../call/connection'
import { FieldErrorMessage, Form, problemMessage } from '../../components/forms'
import { useI18n } from '../../i18n/context'
import { label } from '../../offices'
import type { ProcedureDocument } from '../../procedures/model'
import { DownloadButton } from '../../procedures/procedure-parts'
import { AGENDA_PATH, DOCUMENTS_PATH, Link } from '../../router'
import { failureText } from './call-common'

/** The call could not go on: why, and (when given) "Join again". */
export function CallFailed(props: {
  failure: CallSnapshot['failure'] | undefined
  onRejoin?: () => void
  /** The rejoin button gives way to what follows (the agent's outcome form). */
  secondary?: boolean
}) {
  const { t, language } = useI18n()
  return (
    <section class="panel" aria-labelledby="call-failed-title">
      <h2 id="call-failed-title" tabIndex={-1}>
        {t('call.failedTitle')}
      </h2>
      <p>{failureText(t, language, props.failure)}</p>
      {props.onRejoin && (
        <button
          type="button"
          class={props.secondary ? 'button button--secondary' : 'button'}
          id="rejoin"
          onClick={props.onRejoin}
        >
          {t('call.rejoin')}
        </button>
      )}
    </section>
  )
}

/** The citizen left, or the agent ended the call: said once, with the documents just issued and (when left) "Join again". */
export function CallEnded(props: { left: boolean; documents: ProcedureDocument[]; onRejoin?: () => void }) {
  const { t } = useI18n()
  return (
    <section class="panel" aria-labelledby="call-ended-title">
      <h2 id="call-ended-title" tabIndex={-1}>
        {props.left ? t('call.leftTitle') : t('call.endedTitle')}
      </h2>
      <p id="call-ended-text">{props.left ? t('call.leftText') : t('call.endedText')}</p>
      {!props.left && <IssuedDocuments documents={props.documents} citizen />}
      {props.left && props.onRejoin && (
        <button type="button" class="button" id="rejoin" onClick={props.onRejoin}>
          {t('call.rejoin')}
        </button>
      )}
    </section>
  )
}

/** The agent's end of the call: the outcome saved, the documents issued, back to the agenda. */
export function OutcomeSaved(props: { outcome: string; documents: ProcedureDocument[] }) {
  const { t } = useI18n()
  return (
    <section class="panel" aria-labelledby="call-ended-title">
      <h2 id="call-ended-title" tabIndex={-1}>
        {t('call.endedTitle')}
      </h2>
      <p id="outcome-saved">{t('call.outcomeSaved', { outcome: label(t, `outcome.${props.outcome}`, props.outcome) })}</p>
      <IssuedDocuments documents={props.documents} />
      <p>
        <Link href={AGENDA_PATH} class="button">
          {t('call.backToAgenda')}
        </Link>
      </p>
    </section>
  )
}

export function issuedDocuments(items: { documents: ProcedureDocument[] }[] | null): ProcedureDocument[] {
  return (items ?? []).flatMap((p) => p.documents)
}

/** The end of a call: the documents just issued in it, each to download, and where to find them later. */
export function IssuedDocuments(props: { documents: ProcedureDocument[]; citizen?: boolean }) {
  const { t } = useI18n()
  if (props.documents.length === 0) return null
  return (
    <section class="call-documents" aria-labelledby="call-documents-title" id="call-documents">
      <h3 id="call-documents-title">{t('call.endedDocuments')}</h3>
      <ul class="procedure-documents">
        {props.documents.map((d) => (
          <li key={d.id} class="procedure-document" data-document={d.id}>
            <span class="procedure-document__title">{d.title}</span>
            <DownloadButton document={d} idPrefix="ended-download" />
          </li>
        ))}
      </ul>
      {props.citizen && (
        <p>
          {t('call.endedDocumentsMore')} <Link href={DOCUMENTS_PATH}>{t('docs.title')}</Link>
        </p>
      )}
    </section>
  )
}

export interface OutcomeForm {
  outcome: string
  notes: string
  error: string
  pending: boolean
}

export const NEW_OUTCOME: OutcomeForm = { outcome: '', notes: '', error: '', pending: false }

/**
 * The outcome asked at the end of the call. Its state lives with the agent's page, so that the form stays as filled
 * in when the call ends under it (the end is sent first, then the outcome saved).
 */
export function EndCallPanel(props: {
  appointment: Appointment
  live: boolean
  form: OutcomeForm
  onForm: (change: Partial<OutcomeForm>) => void
  onCancel: () => void
  onEnd: () => void
  onSaved: (outcome: string) => void
}) {
  const { t } = useI18n()
  const { api } = useAuth()
  const { outcome, notes, error, pending } = props.form
  const id = props.appointment.id
  return (
    <section class="panel confirm-panel" aria-labelledby="end-call-title" id="end-call">
      <h2 id="end-call-title" tabIndex={-1}>
        {props.live ? t('call.endTitle') : t('call.outcomeTitle')}
      </h2>
      <Form
        onSubmit={async () => {
          if (pending) return
          if (!outcome) {
            props.onForm({ error: t('agenda.outcomeMissing') })
            document.querySelector<HTMLInputElement>('input[name=call-outcome]')?.focus()
            return
          }
          props.onForm({ pending: true, error: '' })
          if (props.live) props.onEnd()
          try {
            await changeAppointment(api, id, 'outcome', { outcome, notes: notes.trim() })
            props.onSaved(outcome)
          } catch (caught) {
            props.onForm({ error: problemMessage(t, asApiError(caught)), pending: false })
          }
        }}
      >
        <fieldset class="fieldset" aria-describedby={error ? 'call-outcome-error' : undefined}>
          <legend class="field__label">{t('agenda.outcome')}</legend>
          {error && <FieldErrorMessage id="call-outcome-error" message={error} />}
          {OUTCOMES.map((o) => (
            <div class="radio" key={o}>
              <input
                type="radio"
                name="call-outcome"
                id={`call-outcome-${o}`}
                value={o}
                checked={outcome === o}
                onChange={() => props.onForm({ outcome: o })}
              />
              <label for={`call-outcome-${o}`}>{label(t, `outcome.${o}`, o)}</label>
            </div>
          ))}
        </fieldset>
        <div class="field">
          <label class="field__label" for="call-notes">
            {t('agenda.notes')}
          </label>
          <textarea
            id="call-notes"
            class="input"
            rows={3}
            value={notes}
            onInput={(event) => props.onForm({ notes: event.currentTarget.value })}
          />
        </div>
        <div class="actions">
          <button
            type="submit"
            class="button button--danger"
            id="confirm-end-call"
            aria-disabled={pending ? 'true' : undefined}
          >
            {props.live ? t('call.endAndSave') : t('agenda.save')}
          </button>
          {props.live && (
            <button type="button" class="button button--secondary" id="keep-call" onClick={props.onCancel}>
              {t('call.keepCall')}
            </button>
          )}
        </div>
      </Form>
    </section>
  )
}

