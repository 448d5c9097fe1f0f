/**
 * What a citizen sees after booking, changing or cancelling: that it worked, and what happens next (the message we
 * sent, the reminders, how and when to join, the calendar). Shown on the appointment's page; after a booking, the
 * page it lands on learns it from this session's storage, so a reload does not show it again.
 */
import { formatTime, type Appointment } from '../appointments'
import { callWindow } from '../call/protocol'
import { useI18n } from '../i18n/context'
import { bookPath, Link } from '../router'

export type ConfirmationKind = 'booked' | 'changed' | 'cancelled'

const KEY = 'va.confirmation'

/** Just before leaving the booking page for the new appointment's page. */
export function rememberConfirmation(appointmentId: string, kind: ConfirmationKind): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ id: appointmentId, kind }))
  } catch {
    // Storage refused (private mode): the page still shows the appointment, only without the confirmation panel.
  }
}

/** The confirmation waiting for this appointment, if any, taken so that it shows once. */
export function takeConfirmation(appointmentId: string): ConfirmationKind | null {
  try {
    const raw = sessionStorage.getItem(KEY)
    const saved = raw ? (JSON.parse(raw) as { id?: unknown; kind?: unknown }) : null
    if (!saved || saved.id !== appointmentId) return null
    sessionStorage.removeItem(KEY)
    return saved.kind === 'booked' || saved.kind === 'changed' || saved.kind === 'cancelled' ? saved.kind : null
  } catch {
    return null
  }
}

export function Confirmation(props: {
  kind: ConfirmationKind
  appointment: Appointment
  staff: boolean
  onAddToCalendar: () => void
}) {
  const { t, language } = useI18n()
  const a = props.appointment
  const contact = a.contact?.email ?? a.contact?.phone
  return (
    <section
      class={`panel confirmation confirmation--${props.kind}`}
      id="confirmation"
      aria-labelledby="confirmation-title"
    >
      <h2 id="confirmation-title" tabIndex={-1}>
        {t(`confirm.${props.kind}.title`)}
      </h2>
      {props.kind === 'cancelled' ? (
        <>
          <p>{t('confirm.cancelled.text')}</p>
          {contact && !props.staff && <p>{t('confirm.sent', { contact })}</p>}
          {!props.staff && (
            <p>
              <Link id="confirmation-book-again" href={bookPath(a.service_id)}>
                {t('confirm.bookAgain')}
              </Link>
            </p>
          )}
        </>
      ) : (
        <>
          <h3>{t('confirm.nextTitle')}</h3>
          <ol class="confirmation__steps">
            {props.staff ? (
              <li>{t('confirm.staff.sent')}</li>
            ) : (
              contact && <li id="confirmation-sent">{t('confirm.sent', { contact })}</li>
            )}
            <li>{t(props.staff ? 'confirm.staff.reminder' : 'confirm.reminder')}</li>
            <li id="confirmation-join">
              {t(props.staff ? 'confirm.staff.join' : 'confirm.join', {
                time: formatTime(language, callWindow(a).opens_at),
              })}
            </li>
            {!props.staff && (
              <li>
                {t('confirm.calendar')}{' '}
                <button
                  type="button"
                  id="confirmation-calendar"
                  class="button button--secondary"
                  onClick={props.onAddToCalendar}
                >
                  {t('calendar.add')}
                </button>
              </li>
            )}
          </ol>
        </>
      )}
    </section>
  )
}
