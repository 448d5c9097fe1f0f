/**
 * `/appointments/:id`: one appointment — when (on the council's clock), where, its status — and, while it is still to
 * come: add it to a calendar (the ICS file, fetched with the token), change its date or time (the same day/time picker
 * as booking; the old time is kept until the new one is confirmed, and kept if that fails), or cancel it (after an
 * inline confirmation).
 */
import { useEffect, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import {
  changeAppointment,
  downloadCalendar,
  formatTime,
  canChange,
  isUpcoming,
  type Appointment,
  type Slot,
} from '../appointments'
import { useAuth } from '../auth'
import { callWindow, windowPosition } from '../call/protocol'
import { Confirmation, takeConfirmation, type ConfirmationKind } from '../components/confirmation'
import { ErrorState } from '../components/error-state'
import { ErrorSummary, problemMessage, useFormErrors } from '../components/forms'
import { SlotPicker } from '../components/slot-picker'
import { IdentityAtHand } from '../components/identity-at-hand'
import { StatusTag } from '../components/status-tag'
import { useI18n } from '../i18n/context'
import { useAnnounce, useDocumentTitle, useFocusAfterRender, useOfficeName } from '../page-context'
import { AGENDA_PATH, appointmentPath, APPOINTMENTS_PATH, callPath, checkPath, Link } from '../router'
import { eidHref, isStaff, useAppointment, useServiceName, useSignInFirst, when } from './appointment-common'
import { AgentProcedurePanel } from '../procedures/agent-panel'
import { CitizenProcedurePanel } from '../procedures/citizen-panel'
import { useProcedures } from '../procedures/use-procedures'

type Mode = null | 'cancel' | 'reschedule'

export function AppointmentPage(props: { id: string }) {
  const officeName = useOfficeName()
  const { t, language } = useI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const signedIn = useSignInFirst()
  const serviceName = useServiceName()
  const focus = useFocusAfterRender()
  const errors = useFormErrors()
  const { load, reload: retry, set: setAppointment } = useAppointment(props.id, signedIn)
  const [mode, setMode] = useState<Mode>(null)
  const [day, setDay] = useState<string | null>(null)
  const [slot, setSlot] = useState<Slot | null>(null)
  const [reload, setReload] = useState(0)
  const [busy, setBusy] = useState(false)
  const [started, setStarted] = useState(false)
  // Shown after a booking (carried over from the booking page), a change or a cancellation, until the next action.
  const [confirmation, setConfirmation] = useState<ConfirmationKind | null>(() => takeConfirmation(props.id))
  const staff = isStaff(auth)
  const appointment = load.state === 'ready' ? load.value : null
  // The citizen's procedures (those waiting for their confirmation, the documents issued); staff have their panel.
  const procedures = useProcedures(props.id, { enabled: appointment !== null && !staff, poll: 'awaiting' })
  const name = appointment ? serviceName(appointment.service_id) : null
  const notFound = load.state === 'error' && load.error.status === 404
  const title = name?.text ?? (notFound ? t('appt.notFound') : t('appt.title'))
  useDocumentTitle(title)
  const loaded = appointment !== null
  useEffect(() => {
    // Landing from the booking page: the confirmation is what the person needs to read first.
    if (loaded && confirmation) focus('confirmation-title')
  }, [loaded])

  async function addToCalendar(a: Appointment) {
    try {
      await downloadCalendar(auth.api, a.id)
      announce(t('calendar.done'))
    } catch (caught) {
      errors.show({}, [{ message: `${t('calendar.error')} ${problemMessage(t, asApiError(caught))}` }])
    }
  }

  function enter(next: Mode, focusId: string) {
    setConfirmation(null)
    errors.clear()
    setMode(next)
    setDay(null)
    setSlot(null)
    focus(focusId)
  }

  /** Runs an action once at a time; what it answers becomes the appointment shown. */
  async function act(
    run: () => Promise<Appointment>,
    kind: ConfirmationKind,
    done: (a: Appointment) => string,
    fail: (e: ApiError) => void,
  ) {
    if (busy) return
    setBusy(true)
    try {
      const updated = await run()
      setAppointment(updated)
      setMode(null)
      errors.clear()
      setConfirmation(kind)
      announce(done(updated))
      focus('confirmation-title')
    } catch (caught) {
      const error = asApiError(caught)
      if (error.code === 'already_started') {
        // It began meanwhile: nothing left to change or cancel.
        setStarted(true)
        setMode(null)
      }
      fail(error)
    } finally {
      setBusy(false)
    }
  }

  const a = appointment
  const current = a ? when(t, language, a) : ''
  return (
    <>
      <h1 tabIndex={-1} id="appointment-title" lang={name?.lang}>
        {title}
      </h1>
      <ErrorSummary id="appointment-errors" errors={errors.summary} focusKey={errors.key} />
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        {load.state === 'loading' && <p class="status-message">{t('appt.loading')}</p>}
        {notFound && <p>{t('appt.notFoundText')}</p>}
        {load.state === 'error' && load.error.code === 'insufficient_assurance' && (
          <div class="note">
            <p>{t('appt.needsEid')}</p>
            <p>
              <a id="eid-start" class="button" href={eidHref(appointmentPath(props.id))}>
                {t('signIn.eid.button')}
              </a>
            </p>
          </div>
        )}
        {load.state === 'error' && !notFound && load.error.code !== 'insufficient_assurance' && (
          <ErrorState message={t('appt.error')} error={load.error} onRetry={retry} />
        )}
        {a && (
          <dl class="facts">
            <div>
              <dt>{t('appt.when')}</dt>
              <dd id="appointment-when">{current}</dd>
            </div>
            <div>
              <dt>{t('detail.office')}</dt>
              <dd>{officeName(a.office)}</dd>
            </div>
            <div>
              <dt>{t('appt.status')}</dt>
              <dd id="appointment-status">
                <StatusTag appointment={a} />
              </dd>
            </div>
            {a.citizen && (
              <div>
                <dt>{t('agenda.citizen')}</dt>
                <dd>{[a.citizen.id_number_masked, a.citizen.name].filter(Boolean).join(' · ')}</dd>
              </div>
            )}
            {(a.contact?.email || a.contact?.phone) && (
              <div>
                <dt>{t('book.contact')}</dt>
                <dd>{[a.contact.email, a.contact.phone].filter(Boolean).join(' · ')}</dd>
              </div>
            )}
          </dl>
        )}
        {a && confirmation && mode === null && (
          <Confirmation kind={confirmation} appointment={a} staff={staff} onAddToCalendar={() => addToCalendar(a)} />
        )}
        {a && a.status === 'booked' && mode === null && <CallLink appointment={a} staff={staff} />}
        {a && a.status === 'needs_rebooking' && mode === null && (
          <p class="notice" id="appointment-rebook">
            {t('appt.needsRebooking')}
          </p>
        )}
        {a && isUpcoming(a) && mode === null && (
          <div class="actions">
            {!staff && a.status === 'booked' && (
              <button
                type="button"
                id="add-to-calendar"
                class="button button--secondary"
                onClick={() => addToCalendar(a)}
              >
                {t('calendar.add')}
              </button>
            )}
            {canChange(a) && !started && (
              <>
                <button
                  type="button"
                  id="reschedule"
                  class="button button--secondary"
                  onClick={() => enter('reschedule', 'step-day')}
                >
                  {t('reschedule.button')}
                </button>
                <button
                  type="button"
                  id="cancel-appointment"
                  class="button button--secondary"
                  onClick={() => enter('cancel', 'cancel-title')}
                >
                  {t('cancel.button')}
                </button>
              </>
            )}
          </div>
        )}
        {a && a.status === 'booked' && (!canChange(a) || started) && mode === null && (
          <p class="note" id="appointment-started">
            {t('appt.startedNoChange')}
          </p>
        )}
        {a && mode === null && staff && (
          <AgentProcedurePanel appointmentId={a.id} canIssue={a.status === 'booked'} as="section" />
        )}
        {a && mode === null && !staff && <CitizenProcedurePanel procedures={procedures} as="section" />}
        {a && mode === 'cancel' && (
          <section class="panel confirm-panel" aria-labelledby="cancel-title">
            <h2 id="cancel-title" tabIndex={-1}>
              {t('cancel.title')}
            </h2>
            <p>{t('cancel.text', { when: current })}</p>
            <div class="actions">
              <button
                type="button"
                id="confirm-cancel"
                class="button button--danger"
                aria-disabled={busy ? 'true' : undefined}
                onClick={() =>
                  act(
                    () => changeAppointment(auth.api, a.id, 'cancel'),
                    'cancelled',
                    () => t('cancel.done'),
                    (error) => errors.show({}, [{ message: problemMessage(t, error) }]),
                  )
                }
              >
                {t('cancel.confirm')}
              </button>
              <button
                type="button"
                id="keep-appointment"
                class="button button--secondary"
                onClick={() => enter(null, 'cancel-appointment')}
              >
                {t('cancel.keep')}
              </button>
            </div>
          </section>
        )}
        {a && mode === 'reschedule' && (
          <section class="panel" aria-label={t('reschedule.button')}>
            <p>{t('reschedule.intro', { when: current })}</p>
            {!slot ? (
              <SlotPicker
                key={reload}
                serviceId={a.service_id}
                day={day}
                onDay={setDay}
                chosen={null}
                onChoose={(chosen) => {
                  setSlot(chosen)
                  focus('reschedule-title')
                }}
                errors={errors}
                exclude={a.start}
              />
            ) : (
              <>
                <h2 id="reschedule-title" tabIndex={-1}>
                  {t('reschedule.confirmTitle')}
                </h2>
                <dl class="facts">
                  <div>
                    <dt>{t('reschedule.old')}</dt>
                    <dd>{current}</dd>
                  </div>
                  <div>
                    <dt>{t('reschedule.new')}</dt>
                    <dd id="reschedule-new">{when(t, language, slot)}</dd>
                  </div>
                </dl>
                <div class="actions">
                  <button
                    type="button"
                    id="confirm-reschedule"
                    class="button"
                    aria-disabled={busy ? 'true' : undefined}
                    onClick={() =>
                      act(
                        () => changeAppointment(auth.api, a.id, 'reschedule', { start: slot.start }),
                        'changed',
                        (updated) => t('reschedule.done', { when: when(t, language, updated) }),
                        (error) => {
                          const kept = t('reschedule.kept', { when: current })
                          if (error.code === 'slot_unavailable') {
                            setSlot(null)
                            setReload((n) => n + 1)
                            errors.show({}, [{ message: `${t('reschedule.slotTaken')} ${kept}` }])
                          } else errors.show({}, [{ message: `${problemMessage(t, error)} ${kept}` }])
                        },
                      )
                    }
                  >
                    {t('reschedule.confirm')}
                  </button>
                  <button
                    type="button"
                    class="button button--secondary"
                    onClick={() => {
                      setSlot(null)
                      focus('step-time')
                    }}
                  >
                    {t('book.changeTime')}
                  </button>
                </div>
              </>
            )}
            <p>
              <button
                type="button"
                id="keep-current"
                class="button button--link"
                onClick={() => enter(null, 'reschedule')}
              >
                {t('reschedule.keep')}
              </button>
            </p>
          </section>
        )}
      </div>
      <p class="back">
        {staff ? (
          <Link href={AGENDA_PATH}>{t('agenda.title')}</Link>
        ) : (
          <Link href={APPOINTMENTS_PATH}>{t('appointments.back')}</Link>
        )}
      </p>
    </>
  )
}

/** The way into the video call while its window is open; before it, when it opens. */
function CallLink(props: { appointment: Appointment; staff: boolean }) {
  const { t, language } = useI18n()
  const w = callWindow(props.appointment)
  const position = windowPosition(w)
  if (position === 'after') return null
  if (position === 'before') {
    return (
      <>
        <p class="field__hint" id="call-opens">
          {t('appt.callOpens', { time: formatTime(language, w.opens_at) })}
        </p>
        {!props.staff && <IdentityAtHand id="identity-at-hand" />}
        {!props.staff && (
          <p>
            <Link id="go-to-check" href={checkPath(props.appointment.id)}>
              {t('appt.preflightCheck')}
            </Link>
          </p>
        )}
      </>
    )
  }
  return (
    <section class="panel call-entry" aria-labelledby="call-entry-title">
      <h2 id="call-entry-title">{t('appt.callTitle')}</h2>
      <p>{props.staff ? t('appt.callTextStaff') : t('appt.callText')}</p>
      {!props.staff && <IdentityAtHand id="identity-at-hand" />}
      <p>
        <Link id="go-to-call" class="button" href={callPath(props.appointment.id)}>
          {props.staff ? t('agenda.joinCall') : t('appt.callGo')}
        </Link>
      </p>
    </section>
  )
}
