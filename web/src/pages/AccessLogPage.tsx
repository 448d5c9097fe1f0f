/**
 * `/me/access-log` (citizens): "Who accessed my data" — every use of the signed-in person's data by someone else
 * (council staff, the service's own processes, someone checking one of their documents), newest first: which kind of
 * staff or process, when, what was done in plain words, and why. Staff names are never shown (the API does not give
 * them). "Show earlier accesses" follows the `next` cursor.
 */
import { useEffect, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { useAuth } from '../auth'
import { ErrorState } from '../components/ErrorState'
import { problemMessage } from '../components/forms'
import { useRecordsI18n } from '../i18n/records'
import { officeName } from '../offices'
import { useAnnounce, useDocumentTitle, useFocusAfterRender } from '../page-context'
import {
  accessActionName,
  accessRoleName,
  fetchAccessLog,
  formatDateTime,
  purposeName,
  type AccessEntry,
} from '../records'
import { ACCESS_LOG_PATH, Link, ME_PATH } from '../router'
import { eidHref, isStaff, useSignInFirst } from './appointment-common'

type Load =
  | { state: 'loading' }
  | { state: 'error'; error: ApiError }
  | { state: 'ready'; items: AccessEntry[]; next: string | null; more: 'idle' | 'loading' | { error: ApiError } }

export function AccessLogPage() {
  const { t, language } = useRecordsI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const signedIn = useSignInFirst('citizen')
  const staff = isStaff(auth)
  const [load, setLoad] = useState<Load>({ state: 'loading' })
  const [attempt, setAttempt] = useState(0)
  const focus = useFocusAfterRender()
  useDocumentTitle(t('access.title'))

  useEffect(() => {
    if (!signedIn || staff) return
    let current = true
    setLoad({ state: 'loading' })
    announce(t('access.loading'))
    fetchAccessLog(auth.api).then(
      (page) => {
        if (!current) return
        setLoad({ state: 'ready', items: page.items, next: page.next, more: 'idle' })
        announce(page.items.length ? t('access.loaded', { count: page.items.length }) : t('access.empty'))
      },
      (error: unknown) => {
        if (!current) return
        const failure = asApiError(error)
        setLoad({ state: 'error', error: failure })
        announce(
          failure.code === 'insufficient_assurance' ? t('access.needsEid') : `${t('access.error')} ${t('error.hint')}`,
        )
      },
    )
    return () => {
      current = false
    }
  }, [signedIn, staff, attempt])

  async function loadMore() {
    if (load.state !== 'ready' || !load.next || load.more === 'loading') return
    const shown = load.items.length
    setLoad({ ...load, more: 'loading' })
    announce(t('access.loadingMore'))
    try {
      const page = await fetchAccessLog(auth.api, load.next)
      setLoad((now) =>
        now.state === 'ready' ? { ...now, items: [...now.items, ...page.items], next: page.next, more: 'idle' } : now,
      )
      announce(t('access.loadedMore', { count: page.items.length }))
      if (page.items.length) focus(`access-${shown}`)
    } catch (caught) {
      setLoad((now) => (now.state === 'ready' ? { ...now, more: { error: asApiError(caught) } } : now))
    }
  }

  const heading = (
    <h1 tabIndex={-1} id="access-log-title">
      {t('access.title')}
    </h1>
  )
  if (auth.session && staff) {
    return (
      <>
        {heading}
        <p class="notice">{t('access.citizenOnly')}</p>
        <p>
          <Link href={ME_PATH}>{t('me.staffTitle')}</Link>
        </p>
      </>
    )
  }

  return (
    <>
      {heading}
      <p class="lead">{t('access.intro')}</p>
      <p>{t('access.rights')}</p>
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        {load.state === 'loading' && <p class="status-message">{t('access.loading')}</p>}
        {load.state === 'error' && load.error.code === 'insufficient_assurance' && (
          <div class="note" id="access-log-needs-eid">
            <p>{t('access.needsEid')}</p>
            <p>
              <a id="eid-start" class="button" href={eidHref(ACCESS_LOG_PATH)}>
                {t('signIn.eid.button')}
              </a>
            </p>
          </div>
        )}
        {load.state === 'error' && load.error.code !== 'insufficient_assurance' && (
          <ErrorState message={t('access.error')} error={load.error} onRetry={() => setAttempt((n) => n + 1)} />
        )}
        {load.state === 'ready' && load.items.length === 0 && (
          <p class="empty-state" id="access-log-empty">
            {t('access.empty')}
          </p>
        )}
        {load.state === 'ready' && load.items.length > 0 && (
          <>
            <ol class="access-log" id="access-log" data-testid="access-log" aria-label={t('access.listLabel')}>
              {load.items.map((entry, index) => {
                const who = accessRoleName(t, entry.role)
                return (
                  <li key={index} class="access-entry" data-action={entry.action}>
                    <h2 class="access-entry__when" id={`access-${index}`} tabIndex={-1}>
                      <time dateTime={entry.at}>{formatDateTime(language, entry.at)}</time>
                    </h2>
                    <dl class="facts facts--compact">
                      <div>
                        <dt>{t('access.who')}</dt>
                        <dd class="access-entry__who">
                          {entry.office
                            ? t('access.roleAtOffice', { role: who, office: officeName(t, entry.office) })
                            : who}
                        </dd>
                      </div>
                      <div>
                        <dt>{t('access.what')}</dt>
                        <dd class="access-entry__what">{accessActionName(t, entry.action)}</dd>
                      </div>
                      <div>
                        <dt>{t('access.why')}</dt>
                        <dd class="access-entry__why">{purposeName(t, entry.purpose) ?? t('access.noPurpose')}</dd>
                      </div>
                    </dl>
                  </li>
                )
              })}
            </ol>
            {load.next && (
              <div class="actions">
                <button
                  type="button"
                  id="access-log-more"
                  class="button button--secondary"
                  aria-disabled={load.more === 'loading' ? 'true' : undefined}
                  onClick={() => void loadMore()}
                >
                  {load.more === 'loading' ? t('access.loadingMore') : t('access.loadMore')}
                </button>
              </div>
            )}
            <div aria-live="polite">
              {typeof load.more === 'object' && (
                <p class="field__error" id="access-log-more-error">
                  {t('access.error')} {problemMessage(t, load.more.error)}
                </p>
              )}
            </div>
          </>
        )}
      </div>
      <p class="field__hint">{t('slots.zone')}</p>
      <p class="back">
        <Link href={ME_PATH}>{t('me.citizenTitle')}</Link>
      </p>
    </>
  )
}
