/**
 * `/appointments/:id/check`: the pre-flight check of a signed-in citizen's own appointment (the day-before message's
 * link, or the appointment page). The check itself is `PreflightCheck`; here it loads and sends through the
 * appointment's route.
 */
import { useAuth } from '../auth'
import { useAdminI18n } from '../i18n/admin'
import { useDocumentTitle } from '../page-context'
import { fetchPreflight, putPreflight } from '../preflight'
import { appointmentPath, Link } from '../router'
import { isStaff, useSignInFirst } from './appointment-common'
import { PreflightCheck } from './preflight-check'

export function CheckPage(props: { id: string }) {
  const { t } = useAdminI18n()
  const auth = useAuth()
  const { api } = auth
  const signedIn = useSignInFirst()
  useDocumentTitle(t('preflight.title'))
  return (
    <>
      <h1 tabIndex={-1} id="pre-title">
        {t('preflight.title')}
      </h1>
      <p class="lead">{t('preflight.intro')}</p>
      {signedIn && isStaff(auth) && (
        <p class="notice" id="pre-citizen-only">
          {t('preflight.citizenOnly')}
        </p>
      )}
      {signedIn && !isStaff(auth) && (
        <PreflightCheck
          load={() => fetchPreflight(api, props.id)}
          submit={(report) => putPreflight(api, props.id, report)}
        />
      )}
      <p class="back">
        <Link href={appointmentPath(props.id)}>{t('preflight.back')}</Link>
      </p>
    </>
  )
}
