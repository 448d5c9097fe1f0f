/**
 * `/documents`: the documents issued to the signed-in citizen (certificates, payment letters, mandates, plans), each
 * with its title, when it was issued, its verification code (CSV), until when it can be downloaded, and "Download".
 */
import { useEffect } from 'preact/hooks'
import { formatDate, formatTime } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { fetchMyDocuments, type IssuedDocument } from '../documents'
import { useI18n } from '../i18n/context'
import { useAnnounced, useDocumentTitle } from '../page-context'
import { useResource } from '../resource'
import { AGENDA_PATH, Link, useRouter, VERIFY_PATH } from '../router'
import { isStaff, useSignInFirst } from './appointment-common'
import { DownloadButton } from '../procedures/procedure-parts'

export function DocumentsPage() {
  const { t, language } = useI18n()
  const auth = useAuth()
  const { navigate } = useRouter()
  const signedIn = useSignInFirst()
  const staff = isStaff(auth)
  const { load, reload } = useResource(
    signedIn && !staff ? () => fetchMyDocuments(auth.api) : null,
    [],
    useAnnounced({
      loading: t('docs.loading'),
      error: t('docs.error'),
      ready: (items: IssuedDocument[]) => t('docs.loaded', { count: items.length }),
    }),
  )
  useDocumentTitle(t('docs.title'))

  // Staff see an appointment's documents on the appointment.
  useEffect(() => {
    if (signedIn && staff) navigate(AGENDA_PATH, { replace: true })
  }, [signedIn, staff])

  const at = (instant: string) => `${formatDate(language, instant)}, ${formatTime(language, instant)}`
  return (
    <>
      <h1 tabIndex={-1} id="documents-title">
        {t('docs.title')}
      </h1>
      <p class="lead">{t('docs.intro')}</p>
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        <LoadStatus load={load} loading={t('docs.loading')} error={t('docs.error')} onRetry={reload} />
        {load.state === 'ready' && load.value.length === 0 && (
          <p class="empty-state" id="no-documents">
            {t('docs.empty')}
          </p>
        )}
        {load.state === 'ready' && load.value.length > 0 && (
          <ul class="document-list" id="documents-list">
            {load.value.map((d) => (
              <li key={d.id} class="document-card" data-id={d.id} data-csv={d.csv}>
                <h2 class="document-card__title">{d.title || d.type}</h2>
                <dl class="facts facts--compact">
                  {d.issued_at && (
                    <div>
                      <dt>{t('docs.issued')}</dt>
                      <dd>
                        <time dateTime={d.issued_at}>{at(d.issued_at)}</time>
                      </dd>
                    </div>
                  )}
                  <div>
                    <dt>{t('doc.csv')}</dt>
                    <dd>
                      <code class="csv">{d.csv}</code>
                    </dd>
                  </div>
                  {d.available_until && (
                    <div>
                      <dt>{t('docs.availableUntil')}</dt>
                      <dd>
                        <time dateTime={d.available_until}>{formatDate(language, d.available_until)}</time>
                      </dd>
                    </div>
                  )}
                </dl>
                <DownloadButton document={d} idPrefix="download" />
              </li>
            ))}
          </ul>
        )}
      </div>
      <p class="back">
        {t('docs.verifyNote')} <Link href={VERIFY_PATH}>{t('verify.title')}</Link>
      </p>
    </>
  )
}
