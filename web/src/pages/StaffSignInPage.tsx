/**
 * `/staff/sign-in`: council staff sign in with username and password, then a 6-digit code the API emails them
 * (`401 otp_required` says it was sent). Same call with `otp` added gives the token.
 */
import { useEffect, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { useAuth } from '../auth'
import { CodeStep } from '../components/code-step'
import { PanelForm, problemMessage, TextField, useFormErrors, validationErrors } from '../components/forms'
import { safeReturnPath } from '../identity'
import { useI18n } from '../i18n/context'
import { useAnnounce, useDocumentTitle } from '../page-context'
import { ADMIN_PATH, AGENDA_PATH, AUDIT_PATH, ME_PATH, useRouter } from '../router'
import type { Token } from '../session'
import { showCodeProblem, SignInHeader, tokenFrom, typedCode, useRedirectWhenSignedIn, useStepFocus } from './sign-in-common'

// `otp` only comes back at the code step, where its input is.
const LOGIN_FIELDS = { username: 'username', password: 'password', otp: 'staff-otp-code' }

/**
 * Where a member of staff lands after signing in (unless they were sent here from a page): agents and supervisors on
 * their day agenda, auditors on the audit trail, administrators on the administration, anyone else on their staff area.
 */
export function staffHome(roles: readonly string[]): string {
  if (roles.includes('agent') || roles.includes('supervisor')) return AGENDA_PATH
  if (roles.includes('auditor')) return AUDIT_PATH
  if (roles.includes('admin')) return ADMIN_PATH
  return ME_PATH
}

export function StaffSignInPage() {
  const { t } = useI18n()
  const auth = useAuth()
  const router = useRouter()
  const announce = useAnnounce()
  const errors = useFormErrors()
  const returnTo = safeReturnPath(new URLSearchParams(router.search).get('return_to'))
  useDocumentTitle(t('staff.title'))
  useRedirectWhenSignedIn(returnTo)

  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  const [codeStep, setCodeStep] = useState(false)
  const [pending, setPending] = useState(false)
  const [outboxVersion, setOutboxVersion] = useState(0)
  const [landing, setLanding] = useState(false)
  const steps = useStepFocus(codeStep)

  function goToStep(code: boolean) {
    setCodeStep(code)
    setCode('')
    steps.moved()
  }

  /** One login call; the token when it succeeds, else the error (already shown unless it is `otp_required`). */
  async function login(otp?: string): Promise<Token | ApiError> {
    setPending(true)
    announce(t(otp ? 'otp.checking' : 'staff.checking'))
    try {
      const token = await auth.api.request<Partial<Token>>('/auth/staff/login', {
        method: 'POST',
        body: otp ? { username: username.trim(), password, otp } : { username: username.trim(), password },
      })
      return tokenFrom(token)
    } catch (caught) {
      return asApiError(caught)
    } finally {
      setPending(false)
    }
  }

  function finish(token: Token) {
    setPassword('')
    auth.signIn(token, 'staff')
    if (returnTo) router.navigate(returnTo)
    else setLanding(true)
  }

  // Signed in with no page to return to: their home, once the profile says which roles they have.
  const profile = auth.profile
  useEffect(() => {
    if (!landing) return
    if (profile.state === 'ready') router.navigate(profile.profile.kind === 'staff' ? staffHome(profile.profile.roles) : ME_PATH)
    else if (profile.state === 'error') router.navigate(ME_PATH)
  }, [landing, profile])

  function codeSent(message: string) {
    errors.clear()
    setOutboxVersion((n) => n + 1)
    announce(message)
  }

  async function submitCredentials() {
    if (pending) return
    const fields: Record<string, string> = {}
    if (username.trim() === '') fields.username = t('validation.username.missing')
    if (password === '') fields.password = t('validation.password.missing')
    if (Object.keys(fields).length) {
      errors.show(fields)
      return
    }
    const result = await login()
    if (!(result instanceof Error)) return finish(result)
    if (result.code === 'otp_required') {
      codeSent(t('staff.codeSent'))
      goToStep(true)
    } else showLoginError(result)
  }

  function showLoginError(error: ApiError) {
    if (error.code === 'validation_error') {
      const { fields, general } = validationErrors(t, error, LOGIN_FIELDS)
      errors.show(fields, general)
    } else if (error.code === 'invalid_credentials') {
      setPassword('')
      errors.show({}, [{ target: 'username', message: problemMessage(t, error) }])
    } else errors.show({}, [{ message: problemMessage(t, error) }])
  }

  async function submitCode() {
    if (pending) return
    const value = typedCode(t, errors, code, 'staff-otp-code')
    if (value === null) return
    const result = await login(value)
    if (!(result instanceof Error)) return finish(result)
    if (result.code === 'otp_required') {
      // The code was no longer valid and the API has emailed a new one.
      setCode('')
      setOutboxVersion((n) => n + 1)
      errors.show({}, [{ target: 'staff-otp-code', message: t('staff.newCodeRequired') }])
    } else if (result.code === 'invalid_credentials') {
      goToStep(false)
      showLoginError(result)
    } else showCodeProblem(t, errors, result, 'staff-otp', 'staff-otp-code')
  }

  async function resend() {
    if (pending) return
    const result = await login()
    if (!(result instanceof Error)) return finish(result)
    if (result.code === 'otp_required') {
      setCode('')
      codeSent(t('staff.codeResent'))
    } else if (result.code === 'invalid_credentials') {
      goToStep(false)
      showLoginError(result)
    } else errors.show({}, [{ message: problemMessage(t, result) }])
  }

  return (
    <>
      <SignInHeader
        title={t('staff.title')}
        titleId="staff-sign-in-title"
        intro={t('staff.intro')}
        errorsId="staff-sign-in-errors"
        errors={errors}
      />
      {codeStep ? (
        <CodeStep
          formId="staff-otp"
          inputId="staff-otp-code"
          headingRef={steps.codeHeading}
          sentTo={t('staff.codeSent')}
          code={code}
          onCode={setCode}
          error={errors.fields['staff-otp-code']}
          submitLabel={t('staff.signIn')}
          pending={pending}
          onSubmit={submitCode}
          onResend={resend}
          onRestart={() => {
            errors.clear()
            setPassword('')
            goToStep(false)
          }}
          restartLabel={t('staff.restart')}
          outboxVersion={outboxVersion}
        />
      ) : (
        <PanelForm
          formId="staff-login"
          title={t('staff.credentials')}
          headingRef={steps.firstHeading}
          submitLabel={t('staff.continue')}
          pending={pending}
          onSubmit={() => void submitCredentials()}
        >
          <TextField
            id="username"
            name="username"
            label={t('staff.username')}
            error={errors.fields.username}
            value={username}
            onValue={setUsername}
            type="text"
            autocomplete="username"
            autoCapitalize="none"
            spellcheck={false}
          />
          <TextField
            id="password"
            name="password"
            label={t('staff.password')}
            error={errors.fields.password}
            value={password}
            onValue={setPassword}
            type="password"
            autocomplete="current-password"
          />
        </PanelForm>
      )}
    </>
  )
}
