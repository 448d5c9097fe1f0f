/** `/appointments`: the citizen's appointments — upcoming first (soonest first), then past and cancelled (latest first). */
import { useEffect } from 'preact/hooks'
import { isUpcoming, parseAppointment, parseItems, type Appointment } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { StatusTag } from '../components/status-tag'
import { useI18n } from '../i18n/context'
import { useAnnounced, useDocumentTitle, useOfficeName } from '../page-context'
import { useResource } from '../resource'
import { AGENDA_PATH, appointmentPath, CATALOGUE_PATH, Link, useRouter, WAITLIST_PATH } from '../router'
import { isStaff, useServiceName, useSignInFirst, when } from './appointment-common'

export function AppointmentsPage() {
  const { t } = useI18n()
  const auth = useAuth()
  const { navigate } = useRouter()
  const signedIn = useSignInFirst()
  const staff = isStaff(auth)
  const { load, reload } = useResource(
    signedIn && !staff
      ? () => auth.api.request('/appointments', { auth: true }).then((body) => parseItems(body, (item) => parseAppointment(item)))
      : null,
    [],
    useAnnounced({
      loading: t('appointments.loading'),
      error: t('appointments.error'),
      ready: (items: Appointment[]) => t('appointments.loaded', { count: items.length }),
    }),
  )
  useDocumentTitle(t('appointments.title'))

  // Staff have the day agenda instead.
  useEffect(() => {
    if (signedIn && staff) navigate(AGENDA_PATH, { replace: true })
  }, [signedIn, staff])

  const now = Date.now()
  const items = load.state === 'ready' ? load.value : []
  const upcoming = items.filter((a) => isUpcoming(a, now)).sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
  const past = items.filter((a) => !isUpcoming(a, now)).sort((a, b) => Date.parse(b.start) - Date.parse(a.start))

  return (
    <>
      <h1 tabIndex={-1}>{t('appointments.title')}</h1>
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        <LoadStatus load={load} loading={t('appointments.loading')} error={t('appointments.error')} onRetry={reload} />
        {load.state === 'ready' && !items.length && (
          <div class="empty-state" id="no-appointments">
            <p>{t('appointments.empty')}</p>
            <p>
              <Link href={CATALOGUE_PATH}>{t('me.catalogue')}</Link>
            </p>
          </div>
        )}
        {upcoming.length > 0 && <List title={t('appointments.upcoming')} id="upcoming" items={upcoming} />}
        {past.length > 0 && <List title={t('appointments.past')} id="past" items={past} />}
      </div>
      <p class="back">
        <Link id="my-waitlist" href={WAITLIST_PATH}>
          {t('wl.title')}
        </Link>
      </p>
    </>
  )
}

function List(props: { title: string; id: string; items: Appointment[] }) {
  const officeName = useOfficeName()
  const { t, language } = useI18n()
  const serviceName = useServiceName()
  return (
    <section aria-labelledby={`${props.id}-title`}>
      <h2 id={`${props.id}-title`}>{props.title}</h2>
      <ul class="appointments">
        {props.items.map((a) => {
          const name = serviceName(a.service_id)
          return (
            <li key={a.id} class="appointment" data-id={a.id}>
              <h3 lang={name.lang}>
                <Link href={appointmentPath(a.id)}>{name.text}</Link>
              </h3>
              <p>{when(t, language, a)}</p>
              <p>
                {officeName(a.office)} · <span class="visually-hidden">{t('appt.status')}: </span>
                <StatusTag appointment={a} />
              </p>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
