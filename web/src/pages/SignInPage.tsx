/**
 * `/sign-in`: a citizen identifies with a one-time code (by email or SMS: low level of assurance) or with their
 * digital identity (idCAT Mòbil, Cl@ve, certificate: a full-page trip to the identity provider and back to
 * `/auth/eid/done`). Afterwards they go to `?return_to=` when it is a path on this app, else to `/me`.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { asApiError } from '../api'
import { useAuth } from '../auth'
import { CodeStep } from '../components/code-step'
import {
  ErrorSummary,
  Fieldset,
  IdNumberField,
  problemMessage,
  TextField,
  useFormErrors,
  validationErrors,
} from '../components/forms'
import {
  eidStartHref,
  idNumberProblem,
  isCode,
  isEmail,
  isPhone,
  normalizeCode,
  normalizeEmail,
  normalizeIdNumber,
  normalizePhone,
  safeReturnPath,
} from '../identity'
import { useI18n } from '../i18n/context'
import { useAnnounce, useDocumentTitle } from '../page-context'
import { ME_PATH, useRouter } from '../router'
import type { Token } from '../session'
import { SessionNotice, useRedirectWhenSignedIn } from './sign-in-common'

type Channel = 'email' | 'sms'

interface Challenge {
  challengeId: string
  expiresIn: number
  idNumber: string
  channel: Channel
  destination: string
}

const REQUEST_FIELDS = { id_number: 'id-number', channel: 'channel-email', destination: 'destination' }

export function SignInPage() {
  const { t, language } = useI18n()
  const auth = useAuth()
  const router = useRouter()
  const announce = useAnnounce()
  const errors = useFormErrors()
  const returnTo = safeReturnPath(new URLSearchParams(router.search).get('return_to'))
  useDocumentTitle(t('signIn.title'))
  useRedirectWhenSignedIn(returnTo)

  const [idNumber, setIdNumber] = useState('')
  const [channel, setChannel] = useState<Channel>('email')
  const [email, setEmail] = useState('')
  const [phone, setPhone] = useState('')
  const [code, setCode] = useState('')
  const [challenge, setChallenge] = useState<Challenge | null>(null)
  const [pending, setPending] = useState(false)
  const [outboxVersion, setOutboxVersion] = useState(0)
  const [focusStep, setFocusStep] = useState(0)
  const codeHeading = useRef<HTMLHeadingElement>(null)
  const requestHeading = useRef<HTMLHeadingElement>(null)

  useEffect(() => {
    if (focusStep > 0) (challenge ? codeHeading : requestHeading).current?.focus()
    // Only a change of step moves focus.
  }, [focusStep])

  function sentMessage(c: Challenge): string {
    return t('otp.sentTo', { destination: c.destination, minutes: Math.max(1, Math.round(c.expiresIn / 60)) })
  }

  async function send(details: Omit<Challenge, 'challengeId' | 'expiresIn'>): Promise<Challenge | null> {
    setPending(true)
    announce(t('signIn.sending'))
    try {
      const body = await auth.api.request<{ challenge_id?: unknown; expires_in?: unknown }>('/auth/otp', {
        method: 'POST',
        // The code comes in the language of the page the person reads.
        body: { id_number: details.idNumber, channel: details.channel, destination: details.destination, language },
      })
      if (typeof body?.challenge_id !== 'string') throw asApiError(null)
      errors.clear()
      setCode('')
      setOutboxVersion((n) => n + 1)
      const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 600
      return { ...details, challengeId: body.challenge_id, expiresIn }
    } catch (caught) {
      const error = asApiError(caught)
      if (error.code === 'validation_error') {
        const { fields, general } = validationErrors(t, error, REQUEST_FIELDS)
        errors.show(fields, general)
        // A detail only the first step can change: go back to it.
        if (challenge && Object.keys(fields).length) {
          setChallenge(null)
          setFocusStep((n) => n + 1)
        }
      } else {
        errors.show({}, [{ message: problemMessage(t, error) }])
      }
      return null
    } finally {
      setPending(false)
    }
  }

  async function requestCode() {
    if (pending) return
    const id = normalizeIdNumber(idNumber)
    const destination = channel === 'email' ? normalizeEmail(email) : normalizePhone(phone)
    const fields: Record<string, string> = {}
    const idProblem = idNumberProblem(id)
    if (idProblem) fields['id-number'] = t(`validation.idNumber.${idProblem}`)
    if (channel === 'email') {
      if (destination === '') fields.destination = t('validation.email.missing')
      else if (!isEmail(destination)) fields.destination = t('validation.email.format')
    } else if (destination === '') fields.destination = t('validation.phone.missing')
    else if (!isPhone(destination)) fields.destination = t('validation.phone.format')
    if (Object.keys(fields).length) {
      errors.show(fields)
      return
    }
    const sent = await send({ idNumber: id, channel, destination })
    if (sent) {
      setIdNumber(id)
      setChallenge(sent)
      setFocusStep((n) => n + 1)
      announce(sentMessage(sent))
    }
  }

  async function resend() {
    if (pending || !challenge) return
    const sent = await send(challenge)
    if (sent) {
      setChallenge(sent)
      announce(t('otp.resent', { destination: sent.destination }))
    }
  }

  async function verify() {
    if (pending || !challenge) return
    const value = normalizeCode(code)
    if (!isCode(value)) {
      errors.show({ 'otp-code': t(value === '' ? 'validation.code.missing' : 'validation.code.format') })
      return
    }
    setPending(true)
    announce(t('otp.checking'))
    try {
      const token = await auth.api.request<Partial<Token>>('/auth/otp/verify', {
        method: 'POST',
        body: { challenge_id: challenge.challengeId, code: value },
      })
      if (typeof token?.access_token !== 'string' || typeof token.expires_in !== 'number') throw asApiError(null)
      auth.signIn({ access_token: token.access_token, expires_in: token.expires_in }, 'citizen', {
        channel: challenge.channel,
        destination: challenge.destination,
      })
      router.navigate(returnTo ?? ME_PATH)
    } catch (caught) {
      const error = asApiError(caught)
      const message = problemMessage(t, error)
      if (error.code === 'invalid_code' || error.code === 'validation_error') errors.show({ 'otp-code': message })
      else if (error.code === 'code_expired' || error.code === 'too_many_attempts') {
        errors.show({}, [{ target: 'otp-verify-resend', message }])
      } else errors.show({}, [{ message }])
      setPending(false)
    }
  }

  const eidHref = eidStartHref(returnTo ?? ME_PATH)

  return (
    <>
      <h1 tabIndex={-1}>{t('signIn.title')}</h1>
      <SessionNotice />
      <p class="lead">{t('signIn.intro')}</p>
      <ErrorSummary id="sign-in-errors" errors={errors.summary} focusKey={errors.key} />
      {challenge ? (
        <CodeStep
          formId="otp-verify"
          inputId="otp-code"
          headingRef={codeHeading}
          sentTo={sentMessage(challenge)}
          code={code}
          onCode={setCode}
          error={errors.fields['otp-code']}
          submitLabel={t('otp.submit')}
          pending={pending}
          onSubmit={verify}
          onResend={resend}
          onRestart={() => {
            setChallenge(null)
            errors.clear()
            setFocusStep((n) => n + 1)
          }}
          restartLabel={t('otp.restart')}
          outboxTo={challenge.destination}
          outboxVersion={outboxVersion}
        />
      ) : (
        <>
          <section class="panel" aria-labelledby="otp-request-title">
            <h2 id="otp-request-title" tabIndex={-1} ref={requestHeading}>
              {t('signIn.code.title')}
            </h2>
            <form
              id="otp-request"
              noValidate
              onSubmit={(event) => {
                event.preventDefault()
                void requestCode()
              }}
            >
              <IdNumberField
                id="id-number"
                label={t('signIn.idNumber.label')}
                hint={t('signIn.idNumber.hint')}
                error={errors.fields['id-number']}
                value={idNumber}
                onValue={setIdNumber}
              />
              <Fieldset
                legend={t('signIn.channel.legend')}
                error={errors.fields['channel-email']}
                errorId="channel-error"
              >
                {(['email', 'sms'] as const).map((value) => (
                  <div class="radio" key={value}>
                    <input
                      type="radio"
                      id={`channel-${value}`}
                      name="channel"
                      value={value}
                      checked={channel === value}
                      onChange={() => setChannel(value)}
                    />
                    <label for={`channel-${value}`}>{t(`signIn.channel.${value}`)}</label>
                  </div>
                ))}
              </Fieldset>
              {channel === 'email' ? (
                <TextField
                  key="email"
                  id="destination"
                  name="destination"
                  label={t('signIn.destination.email')}
                  error={errors.fields.destination}
                  value={email}
                  onValue={setEmail}
                  type="email"
                  inputMode="email"
                  autocomplete="email"
                  autoCapitalize="none"
                  spellcheck={false}
                />
              ) : (
                <TextField
                  key="sms"
                  id="destination"
                  name="destination"
                  label={t('signIn.destination.sms')}
                  hint={t('signIn.destination.smsHint')}
                  error={errors.fields.destination}
                  value={phone}
                  onValue={setPhone}
                  type="tel"
                  inputMode="tel"
                  autocomplete="tel"
                />
              )}
              <div class="actions">
                <button type="submit" class="button" aria-disabled={pending ? 'true' : undefined}>
                  {t('signIn.send')}
                </button>
              </div>
            </form>
          </section>
          <section class="panel" aria-labelledby="eid-title">
            <h2 id="eid-title">{t('signIn.eid.title')}</h2>
            <p>{t('signIn.eid.text')}</p>
            <p>
              <a id="eid-start" class="button" href={eidHref}>
                {t('signIn.eid.button')}
              </a>
            </p>
          </section>
        </>
      )}
    </>
  )
}
