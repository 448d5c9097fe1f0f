/**
 * `/appointments/:id/call`: the appointment's video call — the citizen's side (citizen-call.tsx: the waiting room,
 * then the call) or the agent's (agent-call.tsx: the call with who waits, the procedure panel and the outcome).
 */
import { useAuth } from '../../auth'
import { ErrorState } from '../../components/error-state'
import { useI18n } from '../../i18n/context'
import { useDocumentTitle } from '../../page-context'
import { AGENDA_PATH, appointmentPath, Link } from '../../router'
import { isStaff, useAppointment, useServiceName, useSignInFirst, when } from '../appointment-common'
import { AgentCall } from './agent-call'
import { CitizenCall } from './citizen-call'

export function CallPage(props: { id: string }) {
  const { t, language } = useI18n()
  const auth = useAuth()
  const signedIn = useSignInFirst()
  const serviceName = useServiceName()
  const { load, reload } = useAppointment(props.id, signedIn)
  const appointment = load.state === 'ready' ? load.value : null
  const name = appointment ? serviceName(appointment.service_id) : null
  const notFound = load.state === 'error' && load.error.status === 404
  useDocumentTitle(notFound ? t('appt.notFound') : t('call.title'))

  const staff = isStaff(auth)
  const a = appointment
  return (
    <>
      <h1 tabIndex={-1} id="call-page-title">
        {notFound ? t('appt.notFound') : t('call.title')}
      </h1>
      {a && (
        <p class="lead" id="call-appointment">
          <span lang={name?.lang}>{name?.text}</span> · {when(t, language, a)}
        </p>
      )}
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        {load.state === 'loading' && <p class="status-message">{t('appt.loading')}</p>}
        {load.state === 'error' && notFound && <p>{t('appt.notFoundText')}</p>}
        {load.state === 'error' && !notFound && (
          <ErrorState message={t('appt.error')} error={load.error} onRetry={reload} />
        )}
        {a && a.status !== 'booked' && (
          <p class="notice" id="call-closed">
            {t('call.appointmentClosed')}
          </p>
        )}
        {a && a.status === 'booked' && (staff ? <AgentCall appointment={a} /> : <CitizenCall appointment={a} />)}
      </div>
      <p class="back">
        {staff ? (
          <Link href={AGENDA_PATH}>{t('agenda.title')}</Link>
        ) : (
          <Link href={appointmentPath(props.id)}>{t('call.backToAppointment')}</Link>
        )}
      </p>
    </>
  )
}
