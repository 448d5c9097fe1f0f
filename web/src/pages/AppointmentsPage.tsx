/** `/appointments`: the citizen's appointments — upcoming first (soonest first), then past and cancelled (latest first). */
import { useEffect, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { isUpcoming, parseAppointment, parseItems, type Appointment } from '../appointments'
import { useAuth } from '../auth'
import { ErrorState } from '../components/ErrorState'
import { StatusTag } from '../components/StatusTag'
import { useI18n } from '../i18n/context'
import { officeName } from '../offices'
import { useAnnounce, useDocumentTitle } from '../page-context'
import { AGENDA_PATH, appointmentPath, CATALOGUE_PATH, Link, useRouter } from '../router'
import { isStaff, useServiceName, useSignInFirst, when } from './appointment-common'

type Load = { state: 'loading' } | { state: 'ready'; items: Appointment[] } | { state: 'error'; error: ApiError }

export function AppointmentsPage() {
  const { t } = useI18n()
  const auth = useAuth()
  const { navigate } = useRouter()
  const announce = useAnnounce()
  const signedIn = useSignInFirst()
  const [load, setLoad] = useState<Load>({ state: 'loading' })
  const [attempt, setAttempt] = useState(0)
  const staff = isStaff(auth)
  useDocumentTitle(t('appointments.title'))

  useEffect(() => {
    if (!signedIn) return
    // Staff have the day agenda instead.
    if (staff) return navigate(AGENDA_PATH, { replace: true })
    let current = true
    setLoad({ state: 'loading' })
    announce(t('appointments.loading'))
    auth.api.request('/appointments', { auth: true }).then(
      (body) => {
        if (!current) return
        const items = parseItems(body, (item) => parseAppointment(item))
        setLoad({ state: 'ready', items })
        announce(t('appointments.loaded', { count: items.length }))
      },
      (error: unknown) => {
        if (!current) return
        setLoad({ state: 'error', error: asApiError(error) })
        announce(`${t('appointments.error')} ${t('error.hint')}`)
      },
    )
    return () => {
      current = false
    }
  }, [attempt, signedIn, staff])

  const now = Date.now()
  const items = load.state === 'ready' ? load.items : []
  const upcoming = items.filter((a) => isUpcoming(a, now)).sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
  const past = items.filter((a) => !isUpcoming(a, now)).sort((a, b) => Date.parse(b.start) - Date.parse(a.start))

  return (
    <>
      <h1 tabIndex={-1}>{t('appointments.title')}</h1>
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        {load.state === 'loading' && <p class="status-message">{t('appointments.loading')}</p>}
        {load.state === 'error' && (
          <ErrorState message={t('appointments.error')} error={load.error} onRetry={() => setAttempt((n) => n + 1)} />
        )}
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
    </>
  )
}

function List(props: { title: string; id: string; items: Appointment[] }) {
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
                {officeName(t, a.office)} · <span class="visually-hidden">{t('appt.status')}: </span>
                <StatusTag appointment={a} />
              </p>
            </li>
          )
        })}
      </ul>
    </section>
  )
}
