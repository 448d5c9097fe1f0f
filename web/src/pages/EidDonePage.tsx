/**
 * `/auth/eid/done`: where the API sends the browser back after the identity provider, with the outcome in the
 * fragment — `#access_token=…&expires_in=…&return_to=/path` or `#error=access_denied|eid_failed`. The fragment is read
 * once and wiped from the address bar (and history) before anything else; the token becomes the session — only if
 * its `attempt` is the one this tab started (eidStartHref), so nobody can sign a person in as someone else by sending
 * them a link with a token.
 */
import { useEffect, useState } from 'preact/hooks'
import { useAuth } from '../auth'
import { safeReturnPath, takeEidAttempt } from '../identity'
import { useI18n } from '../i18n/context'
import { useAnnounce, useDocumentTitle } from '../page-context'
import { Link, ME_PATH, SIGN_IN_PATH, useRouter } from '../router'
import type { Token } from '../session'

export type EidOutcome =
  | { kind: 'token'; token: Token; returnTo: string }
  | { kind: 'error'; code: 'access_denied' | 'eid_failed' }
  | { kind: 'none' }

export function parseEidFragment(hash: string, expectedAttempt: string | null): EidOutcome {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  const error = params.get('error')
  if (error !== null) return { kind: 'error', code: error === 'access_denied' ? 'access_denied' : 'eid_failed' }
  const accessToken = params.get('access_token')
  if (accessToken === null) return { kind: 'none' }
  const expiresIn = Number(params.get('expires_in'))
  if (accessToken === '' || !Number.isFinite(expiresIn) || expiresIn <= 0) return { kind: 'error', code: 'eid_failed' }
  if (expectedAttempt === null || params.get('attempt') !== expectedAttempt) return { kind: 'error', code: 'eid_failed' }
  return {
    kind: 'token',
    token: { access_token: accessToken, expires_in: expiresIn },
    returnTo: safeReturnPath(params.get('return_to')) ?? ME_PATH,
  }
}

export function EidDonePage() {
  const { t } = useI18n()
  const auth = useAuth()
  const { navigate } = useRouter()
  const announce = useAnnounce()
  const [outcome] = useState(() => parseEidFragment(window.location.hash, takeEidAttempt()))
  const failed = outcome.kind === 'error' || (outcome.kind === 'none' && !auth.session)
  const message =
    outcome.kind === 'error' && outcome.code === 'access_denied' ? t('eid.accessDenied') : t('eid.failed')
  useDocumentTitle(failed ? t('eid.errorTitle') : t('eid.completing'))

  useEffect(() => {
    if (window.location.hash) {
      window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search)
    }
    if (outcome.kind === 'token') {
      auth.signIn(outcome.token, 'citizen')
      navigate(outcome.returnTo, { replace: true })
    } else if (outcome.kind === 'none' && auth.session) navigate(ME_PATH, { replace: true })
    else announce(`${t('eid.errorTitle')}. ${message}`)
    // Once, on arrival.
  }, [])

  if (!failed) {
    return <h1 tabIndex={-1}>{t('eid.completing')}</h1>
  }
  return (
    <>
      <h1 tabIndex={-1}>{t('eid.errorTitle')}</h1>
      <div class="error-state" id="eid-error">
        <p>{message}</p>
      </div>
      <p>
        <Link href={SIGN_IN_PATH}>{t('eid.back')}</Link>
      </p>
    </>
  )
}
