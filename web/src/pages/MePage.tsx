/**
 * `/me`: the signed-in person's area, chosen by what `GET /api/me` says they are — a citizen (ID number, masked
 * unless asked for, identification level, how they signed in) or staff (name, roles, office). Without a session the
 * person is sent to sign in, and brought back here afterwards.
 */
import { useEffect, useState } from 'preact/hooks'
import { formatTime } from '../appointments'
import { sessionKind, useAuth, type CitizenProfile, type StaffProfile } from '../auth'
import { ErrorState } from '../components/error-state'
import { SignOutButton } from '../components/sign-out-button'
import { maskIdNumber } from '../identity'
import { useI18n } from '../i18n/context'
import { assuranceName, label } from '../offices'
import { useAnnounce, useDocumentTitle, useOfficeName } from '../page-context'
import {
  ACCESS_LOG_PATH,
  ADMIN_PATH,
  AGENDA_PATH,
  APPOINTMENTS_PATH,
  AUDIT_PATH,
  CATALOGUE_PATH,
  DASHBOARD_PATH,
  Link,
  ME_PATH,
  RECORDINGS_PATH,
  signInPath,
  useRouter,
} from '../router'

export function MePage() {
  const { t } = useI18n()
  const auth = useAuth()
  const { navigate } = useRouter()
  const announce = useAnnounce()
  const kind = sessionKind(auth)
  const title = kind === 'staff' ? t('me.staffTitle') : t('me.citizenTitle')
  const load = auth.profile
  useDocumentTitle(title)

  useEffect(() => {
    if (!auth.session) navigate(signInPath(undefined, ME_PATH), { replace: true })
    // On arrival only: a session ending later is followed by the shell.
  }, [])

  useEffect(() => {
    if (load.state === 'loading') announce(t('me.loading'))
    else if (load.state === 'error') announce(`${t('me.error')} ${t('error.hint')}`)
  }, [load.state])

  const loading = load.state === 'loading' || (load.state === 'none' && auth.session !== null)
  return (
    <>
      <h1 tabIndex={-1}>{title}</h1>
      <div class="area" aria-busy={loading ? 'true' : 'false'}>
        {loading && <p class="status-message">{t('me.loading')}</p>}
        {load.state === 'error' && (
          <ErrorState message={t('me.error')} error={load.error} onRetry={auth.retryProfile} />
        )}
        {load.state === 'ready' &&
          (load.profile.kind === 'citizen' ? (
            <CitizenArea profile={load.profile} />
          ) : (
            <StaffArea profile={load.profile} />
          ))}
      </div>
      {auth.session && (
        <div class="actions">
          <SignOutButton />
        </div>
      )}
    </>
  )
}

function CitizenArea({ profile }: { profile: CitizenProfile }) {
  const { t } = useI18n()
  const [revealed, setRevealed] = useState(false)
  return (
    <>
      <dl class="facts">
        {profile.name && (
          <div>
            <dt>{t('me.name')}</dt>
            <dd>{profile.name}</dd>
          </div>
        )}
        <div>
          <dt>{t('me.idNumber')}</dt>
          <dd class="id-number">
            <span id="citizen-id" class="id-number__value">
              {revealed ? (
                profile.id_number
              ) : (
                <>
                  <span aria-hidden="true">{maskIdNumber(profile.id_number)}</span>
                  <span class="visually-hidden">{t('me.idEnding', { end: profile.id_number.slice(-4) })}</span>
                </>
              )}
            </span>{' '}
            <button
              type="button"
              id="toggle-id"
              class="button button--link"
              aria-controls="citizen-id"
              onClick={() => setRevealed((shown) => !shown)}
            >
              {revealed ? t('me.hideId') : t('me.showId')}
            </button>
          </dd>
        </div>
        <div>
          <dt>{t('me.assurance')}</dt>
          <dd id="assurance">{assuranceName(t, profile.assurance)}</dd>
        </div>
        <div>
          <dt>{t('me.method')}</dt>
          <dd id="auth-method">{label(t, `method.${profile.auth_method}`, profile.auth_method)}</dd>
        </div>
      </dl>
      {profile.assurance === 'low' && <p class="note">{t('me.lowNote')}</p>}
      <SessionEnd expiresAt={profile.expires_at} />
      <ul class="links">
        <li>
          <Link href={APPOINTMENTS_PATH}>{t('appointments.title')}</Link>
        </li>
        <li>
          <Link href={ACCESS_LOG_PATH} id="access-log-link">
            {t('access.title')}
          </Link>
        </li>
        <li>
          <Link href={CATALOGUE_PATH}>{t('me.catalogue')}</Link>
        </li>
      </ul>
    </>
  )
}

function StaffArea({ profile }: { profile: StaffProfile }) {
  const officeName = useOfficeName()
  const { t } = useI18n()
  const hasPages = ['agent', 'supervisor', 'auditor', 'admin'].some((role) => profile.roles.includes(role))
  const figures = profile.roles.includes('supervisor') || profile.roles.includes('admin')
  return (
    <>
      <dl class="facts">
        <div>
          <dt>{t('me.name')}</dt>
          <dd>{profile.name}</dd>
        </div>
        <div>
          <dt>{t('me.username')}</dt>
          <dd>{profile.username}</dd>
        </div>
        <div>
          <dt>{t('me.roles')}</dt>
          <dd>
            {profile.roles.length ? (
              <ul class="roles">
                {profile.roles.map((role) => (
                  <li key={role}>{label(t, `role.${role}`, role)}</li>
                ))}
              </ul>
            ) : (
              t('me.noRoles')
            )}
          </dd>
        </div>
        <div>
          <dt>{t('me.office')}</dt>
          <dd id="office">{profile.office ? officeName(profile.office) : t('me.noOffice')}</dd>
        </div>
      </dl>
      <SessionEnd expiresAt={profile.expires_at} />
      {hasPages && (
        <ul class="links">
          {(profile.roles.includes('agent') || profile.roles.includes('supervisor')) && (
            <li>
              <Link href={AGENDA_PATH}>{t('agenda.title')}</Link>
            </li>
          )}
          {profile.roles.includes('supervisor') && (
            <li>
              <Link href={RECORDINGS_PATH} id="staff-recordings-link">
                {t('recs.title')}
              </Link>
            </li>
          )}
          {figures && (
            <li>
              <Link href={DASHBOARD_PATH} id="staff-dashboard-link">
                {t('dash.title')}
              </Link>
            </li>
          )}
          {profile.roles.includes('admin') && (
            <li>
              <Link href={ADMIN_PATH} id="staff-admin-link">
                {t('admin.title')}
              </Link>
            </li>
          )}
          {profile.roles.includes('auditor') && (
            <li>
              <Link href={AUDIT_PATH} id="staff-audit-link">
                {t('audit.title')}
              </Link>
            </li>
          )}
        </ul>
      )}
    </>
  )
}

/** When the session ends, so nobody is surprised by having to sign in again. */
function SessionEnd(props: { expiresAt?: string }) {
  const { t, language } = useI18n()
  const at = props.expiresAt ? Date.parse(props.expiresAt) : NaN
  if (Number.isNaN(at)) return null
  // The council's clock, as everywhere in the app.
  const time = formatTime(language, at)
  return <p class="session-end">{t('me.sessionEnds', { time })}</p>
}
