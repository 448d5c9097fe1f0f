/**
 * `/sign-in`: a citizen identifies with a one-time code (by email or SMS: low level of assurance) or with their
 * digital identity (idCAT Mòbil, Cl@ve, certificate: a full-page trip to the identity provider and back to
 * `/auth/eid/done`). Afterwards they go to `?return_to=` when it is a path on this app, else to `/me`.
 */
import { useState } from 'preact/hooks'
import { asApiError } from '../api'
import { useAuth } from '../auth'
import { CodeStep } from '../components/code-step'
import { Fieldset, IdNumberField, PanelForm, problemMessage, TextField, useFormErrors, validationErrors } from '../components/forms'
import {
  eidStartHref,
  idNumberProblem,
  isEmail,
  isPhone,
  normalizeEmail,
  normalizeIdNumber,
  normalizePhone,
  safeReturnPath,
} from '../identity'
import { useI18n } from '../i18n/context'
import { useAnnounce, useDocumentTitle } from '../page-context'
import { ME_PATH, useRouter } from '../router'
import type { Token } from '../session'
import { showCodeProblem, SignInHeader, tokenFrom, typedCode, useRedirectWhenSignedIn, useStepFocus } from './sign-in-common'

type Channel = 'email' | 'sms'

interface Challenge {
  challengeId: string
  expiresIn: number
  idNumber: string
  channel: Channel
  destination: string
}

/** How the destination's input is typed, by channel: an address, or a phone number. */
const DESTINATION_INPUT = {
  email: { type: 'email', inputMode: 'email', autocomplete: 'email', autoCapitalize: 'none', spellcheck: false },
  sms: { type: 'tel', inputMode: 'tel', autocomplete: 'tel' },
} as const

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
  const steps = useStepFocus(challenge !== null)

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
          steps.moved()
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
      steps.moved()
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
    const value = typedCode(t, errors, code, 'otp-code')
    if (value === null) return
    setPending(true)
    announce(t('otp.checking'))
    try {
      const token = await auth.api.request<Partial<Token>>('/auth/otp/verify', {
        method: 'POST',
        body: { challenge_id: challenge.challengeId, code: value },
      })
      auth.signIn(tokenFrom(token), 'citizen', {
        channel: challenge.channel,
        destination: challenge.destination,
      })
      router.navigate(returnTo ?? ME_PATH)
    } catch (caught) {
      showCodeProblem(t, errors, asApiError(caught), 'otp-verify', 'otp-code')
      setPending(false)
    }
  }

  const eidHref = eidStartHref(returnTo ?? ME_PATH)

  return (
    <>
      <SignInHeader title={t('signIn.title')} intro={t('signIn.intro')} errorsId="sign-in-errors" errors={errors} />
      {challenge ? (
        <CodeStep
          formId="otp-verify"
          inputId="otp-code"
          headingRef={steps.codeHeading}
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
            steps.moved()
          }}
          restartLabel={t('otp.restart')}
          outboxTo={challenge.destination}
          outboxVersion={outboxVersion}
        />
      ) : (
        <>
          <PanelForm
            formId="otp-request"
            title={t('signIn.code.title')}
            headingRef={steps.firstHeading}
            submitLabel={t('signIn.send')}
            pending={pending}
            onSubmit={() => void requestCode()}
          >
            <IdNumberField
              id="id-number"
              label={t('signIn.idNumber.label')}
              hint={t('signIn.idNumber.hint')}
              error={errors.fields['id-number']}
              value={idNumber}
              onValue={setIdNumber}
            />
            <Fieldset legend={t('signIn.channel.legend')} error={errors.fields['channel-email']} errorId="channel-error">
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
            <TextField
              key={channel}
              id="destination"
              name="destination"
              label={t(`signIn.destination.${channel}`)}
              hint={channel === 'sms' ? t('signIn.destination.smsHint') : undefined}
              error={errors.fields.destination}
              value={channel === 'email' ? email : phone}
              onValue={channel === 'email' ? setEmail : setPhone}
              {...DESTINATION_INPUT[channel]}
            />
          </PanelForm>
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
