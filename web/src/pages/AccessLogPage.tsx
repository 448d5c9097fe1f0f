/**
 * `/me/access-log` (citizens): "Who accessed my data" — every use of the signed-in person's data by someone else
 * (council staff, the service's own processes, someone checking one of their documents), newest first: which kind of
 * staff or process, when, what was done in plain words, and why. Staff names are never shown (the API does not give
 * them). "Show earlier accesses" follows the `next` cursor.
 */
import { asApiError, type ApiError } from '../api'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { problemMessage } from '../components/forms'
import { useRecordsI18n } from '../i18n/records'
import { useAnnounce, useAnnounced, useDocumentTitle, useFocusAfterRender, useOfficeName } from '../page-context'
import {
  accessActionName,
  accessRoleName,
  fetchAccessLog,
  formatDateTime,
  purposeName,
  type AccessEntry,
} from '../records'
import { useResource } from '../resource'
import { ACCESS_LOG_PATH, Link, ME_PATH } from '../router'
import { eidHref, isStaff, useSignInFirst } from './appointment-common'

/** The entries shown so far, the cursor to earlier ones, and how asking for them went. */
type Log = { items: AccessEntry[]; next: string | null; more: 'idle' | 'loading' | { error: ApiError } }

export function AccessLogPage() {
  const officeName = useOfficeName()
  const { t, language } = useRecordsI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const signedIn = useSignInFirst('citizen')
  const staff = isStaff(auth)
  const focus = useFocusAfterRender()
  const announced = useAnnounced<Log>({
    loading: t('access.loading'),
    error: t('access.error'),
    ready: ({ items }) => (items.length ? t('access.loaded', { count: items.length }) : t('access.empty')),
  })
  const { load, reload, set } = useResource(
    signedIn && !staff
      ? () => fetchAccessLog(auth.api).then((page): Log => ({ items: page.items, next: page.next, more: 'idle' }))
      : null,
    [],
    {
      ...announced,
      onError: (failure, quiet) => {
        if (failure.code === 'insufficient_assurance') announce(t('access.needsEid'))
        else announced.onError?.(failure, quiet)
      },
    },
  )
  useDocumentTitle(t('access.title'))

  async function loadMore() {
    if (load.state !== 'ready' || !load.value.next || load.value.more === 'loading') return
    const log = load.value
    const shown = log.items.length
    set({ ...log, more: 'loading' })
    announce(t('access.loadingMore'))
    try {
      const page = await fetchAccessLog(auth.api, log.next)
      set({ items: [...log.items, ...page.items], next: page.next, more: 'idle' })
      announce(t('access.loadedMore', { count: page.items.length }))
      if (page.items.length) focus(`access-${shown}`)
    } catch (caught) {
      set({ ...log, more: { error: asApiError(caught) } })
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
        <LoadStatus
          load={load}
          loading={t('access.loading')}
          error={t('access.error')}
          onRetry={reload}
          explained={(error) => error.code === 'insufficient_assurance'}
        />
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
        {load.state === 'ready' && load.value.items.length === 0 && (
          <p class="empty-state" id="access-log-empty">
            {t('access.empty')}
          </p>
        )}
        {load.state === 'ready' && load.value.items.length > 0 && (
          <>
            <ol class="access-log" id="access-log" data-testid="access-log" aria-label={t('access.listLabel')}>
              {load.value.items.map((entry, index) => {
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
                            ? t('access.roleAtOffice', { role: who, office: officeName(entry.office) })
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
            {load.value.next && (
              <div class="actions">
                <button
                  type="button"
                  id="access-log-more"
                  class="button button--secondary"
                  aria-disabled={load.value.more === 'loading' ? 'true' : undefined}
                  onClick={() => void loadMore()}
                >
                  {load.value.more === 'loading' ? t('access.loadingMore') : t('access.loadMore')}
                </button>
              </div>
            )}
            <div aria-live="polite">
              {typeof load.value.more === 'object' && (
                <p class="field__error" id="access-log-more-error">
                  {t('access.error')} {problemMessage(t, load.value.more.error)}
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
