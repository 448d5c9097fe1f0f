import { useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { useAuth } from '../auth'
import { CodeStep } from '../components/code-step'
import { problemMessage, waitMessage } from '../components/forms'
import type { Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { isCode, normalizeCode } from '../identity'
import { useAnnounce, useFocusAfterRender } from '../page-context'
import { confirmProcedure, requestConsentCode, type ConsentChallenge, type Procedure } from './model'
import { SummaryLines } from './procedure-parts'
import type { ProceduresState } from './use-procedures'

/** "Send me a code", then the code: the citizen's express confirmation of what the agent prepared. */
export function ConsentBox(props: {
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
