/**
 * What both sign-in pages share: the top of the page with the "your session has ended" notice, leaving when already
 * signed in, moving focus between the two steps, and the code step's checks and errors.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { useAuth } from '../auth'
import { ErrorSummary, problemMessage, type FormErrors } from '../components/forms'
import { isCode, normalizeCode } from '../identity'
import type { Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { useAnnounce } from '../page-context'
import { ME_PATH, useRouter } from '../router'
import type { Token } from '../session'

/** Shown (and announced) when the person was sent here because their session ended; gone once they leave. */
export function SessionNotice() {
  const { t } = useI18n()
  const { notice, clearNotice } = useAuth()
  const announce = useAnnounce()
  useEffect(() => {
    if (notice === 'sessionEnded') announce(t('session.ended'))
    return clearNotice
    // Announced once, on arrival.
  }, [])
  if (notice !== 'sessionEnded') return null
  return (
    <p class="notice" id="session-notice">
      {t('session.ended')}
    </p>
  )
}

/** The top of a sign-in page: its title, the session notice, the introduction and the error summary. */
export function SignInHeader(props: { title: string; titleId?: string; intro: string; errorsId: string; errors: FormErrors }) {
  return (
    <>
      <h1 tabIndex={-1} id={props.titleId}>
        {props.title}
      </h1>
      <SessionNotice />
      <p class="lead">{props.intro}</p>
      <ErrorSummary id={props.errorsId} errors={props.errors.summary} focusKey={props.errors.key} />
    </>
  )
}

/** Someone already signed in who opens a sign-in page goes on to where they were heading (or their area). */
export function useRedirectWhenSignedIn(returnTo: string | null): void {
  const { session } = useAuth()
  const { navigate } = useRouter()
  useEffect(() => {
    if (session) navigate(returnTo ?? ME_PATH, { replace: true })
    // On arrival only: a sign-in completed on this page navigates by itself.
  }, [])
}

/**
 * Focus for the two steps (the details, then the code): `moved()` after a change of step puts focus on the heading of
 * the step now shown (`atCode` says which); arriving on the page moves nothing.
 */
export function useStepFocus(atCode: boolean) {
  const [moves, setMoves] = useState(0)
  const codeHeading = useRef<HTMLHeadingElement>(null)
  const firstHeading = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    if (moves > 0) (atCode ? codeHeading : firstHeading).current?.focus()
    // Only a change of step moves focus.
  }, [moves])
  return { codeHeading, firstHeading, moved: () => setMoves((n) => n + 1) }
}

/** The token in the API's answer to a sign-in; an error when the answer holds none. */
export function tokenFrom(body: Partial<Token> | null | undefined): Token {
  if (typeof body?.access_token !== 'string' || typeof body.expires_in !== 'number') throw asApiError(null)
  return { access_token: body.access_token, expires_in: body.expires_in }
}

/** The code typed, normalised; or null, after showing at its input why it is not one (missing, or not 6 digits). */
export function typedCode(t: Translate, errors: FormErrors, code: string, inputId: string): string | null {
  const value = normalizeCode(code)
  if (isCode(value)) return value
  errors.show({ [inputId]: t(value === '' ? 'validation.code.missing' : 'validation.code.format') })
  return null
}

/**
 * The API's refusal of a code: a wrong code at its input; an expired code or too many attempts at the "new code"
 * button (`<formId>-resend`), since only a new code helps; anything else in the summary.
 */
export function showCodeProblem(t: Translate, errors: FormErrors, error: ApiError, formId: string, inputId: string) {
  const message = problemMessage(t, error)
  if (error.code === 'invalid_code' || error.code === 'validation_error') errors.show({ [inputId]: message })
  else if (error.code === 'code_expired' || error.code === 'too_many_attempts') {
    errors.show({}, [{ target: `${formId}-resend`, message }])
  } else errors.show({}, [{ message }])
}
