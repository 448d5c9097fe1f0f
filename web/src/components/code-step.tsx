/**
 * The second step of both sign-ins: "Enter the 6-digit code", where it went, a new-code action and, in development,
 * the outbox. The page owns the state; this is the markup, identical for citizens and staff.
 */
import type { Ref } from 'preact'
import { useI18n } from '../i18n/context'
import { DevOutbox } from './dev-outbox'
import { PanelForm, TextField } from './forms'

export function CodeStep(props: {
  formId: string
  inputId: string
  headingRef: Ref<HTMLHeadingElement>
  sentTo: string
  code: string
  onCode: (code: string) => void
  error?: string
  submitLabel: string
  pending: boolean
  onSubmit: () => void
  onResend: () => void
  onRestart: () => void
  restartLabel: string
  outboxTo?: string
  outboxVersion: number
}) {
  const { t } = useI18n()
  return (
    <PanelForm
      formId={props.formId}
      title={t('otp.title')}
      headingRef={props.headingRef}
      intro={<p class="otp-sent">{props.sentTo}</p>}
      submitLabel={props.submitLabel}
      pending={props.pending}
      onSubmit={props.onSubmit}
      after={
        <>
          <div class="actions actions--secondary">
            <button
              type="button"
              id={`${props.formId}-resend`}
              class="button button--secondary"
              aria-disabled={props.pending ? 'true' : undefined}
              onClick={props.onResend}
            >
              {t('otp.resend')}
            </button>
            <button type="button" class="button button--link" onClick={props.onRestart}>
              {props.restartLabel}
            </button>
          </div>
          <DevOutbox to={props.outboxTo} version={props.outboxVersion} />
        </>
      }
    >
      <TextField
        id={props.inputId}
        name="code"
        label={t('otp.label')}
        hint={t('otp.hint')}
        error={props.error}
        value={props.code}
        onValue={props.onCode}
        type="text"
        inputMode="numeric"
        autocomplete="one-time-code"
        pattern="[0-9]{6}"
        spellcheck={false}
        inputClass="input--code"
      />
    </PanelForm>
  )
}
