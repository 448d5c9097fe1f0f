/** What both sign-in pages share: the "your session has ended" notice, and leaving when already signed in. */
import { useEffect } from 'preact/hooks'
import { useAuth } from '../auth'
import { useI18n } from '../i18n/context'
import { useAnnounce } from '../page-context'
import { ME_PATH, useRouter } from '../router'

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

/** Someone already signed in who opens a sign-in page goes on to where they were heading (or their area). */
export function useRedirectWhenSignedIn(returnTo: string | null): void {
  const { session } = useAuth()
  const { navigate } = useRouter()
  useEffect(() => {
    if (session) navigate(returnTo ?? ME_PATH, { replace: true })
    // On arrival only: a sign-in completed on this page navigates by itself.
  }, [])
}
