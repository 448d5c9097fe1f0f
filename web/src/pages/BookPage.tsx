/**
 * `/book/:id`: book an appointment for a service in three steps — a day, a time, then contact and confirmation. The
 * chosen time is kept in this tab while the person signs in, so the booking resumes where it was. Staff (`?for=citizen`)
 * book on a citizen's behalf: the citizen's ID number and name, and a contact, are then asked too.
 *
 * Confirming sends `Idempotency-Key`: one key per booking attempt, reused when the same booking is sent again after
 * no answer came (network error, timeout, 5xx), so a retry never books twice.
 */
import type { ComponentChildren } from 'preact'
import { useEffect, useRef, useState } from 'preact/hooks'
import { asApiError } from '../api'
import {
  formatDate,
  formatTime,
  madridDay,
  parseAppointment,
  readPending,
  savePending,
  uuid,
  type Slot,
} from '../appointments'
import { useAuth, type Auth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { rememberConfirmation } from '../components/confirmation'
import { Localized } from '../components/localized'
import { OfficeAndDuration, RequiredDocuments } from '../components/service-facts'
import { SlotPicker, StepHeading } from '../components/slot-picker'
import {
  ErrorSummary,
  Form,
  IdNumberField,
  Fieldset,
  problemMessage,
  TextField,
  useFormErrors,
  validationErrors,
  type FormError,
} from '../components/forms'
import { idNumberProblem, isEmail, isPhone, normalizeEmail, normalizeIdNumber, normalizePhone } from '../identity'
import { LANGUAGE_NAMES, LANGUAGES, type Language } from '../i18n'
import { useI18n } from '../i18n/context'
import { codeIsEnough, eidMeans } from '../offices'
import { useAnnounce, useDocumentTitle, useOfficeName, useServices } from '../page-context'
import { APPOINTMENTS_PATH, appointmentPath, bookPath, Link, servicePath, signInPath, useRouter, waitlistPath } from '../router'
import type { Service } from '../services'
import { eidHref, isStaff } from './appointment-common'

const LEVELS = ['low', 'substantial', 'high']

// Every field the API may name in a 422 has an input here: "give an email or a phone" (`contact`) lands on the email.
const API_FIELDS = {
  'citizen.id_number': 'citizen-id-number',
  'citizen.name': 'citizen-name',
  citizen: 'citizen-id-number',
  contact: 'contact-email',
  'contact.email': 'contact-email',
  'contact.phone': 'contact-phone',
}

export function BookPage(props: { id: string }) {
  const officeName = useOfficeName()
  const { t } = useI18n()
  const auth = useAuth()
  const router = useRouter()
  const { load, reload } = useServices()
  const service = load.state === 'ready' ? load.value.find((s) => s.id === props.id) : undefined
  const forCitizen = new URLSearchParams(router.search).get('for') === 'citizen'
  const staff = isStaff(auth) || (forCitizen && !auth.session)
  const title = staff ? t('book.staffTitle') : t('book.title')
  useDocumentTitle(title)

  return (
    <>
      <h1 tabIndex={-1}>{title}</h1>
      {service && (
        <p class="lead">
          <Localized as="span" class="book-service" text={service.name} /> · {officeName(service.office)}
        </p>
      )}
      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        <LoadStatus load={load} loading={t('detail.loading')} error={t('detail.error')} onRetry={reload} />
        {load.state === 'ready' && !service && <p>{t('detail.notFoundText')}</p>}
        {service && <BookingFlow service={service} staff={staff} auth={auth} />}
      </div>
      <p class="back">
        <Link href={servicePath(props.id)}>{t('book.back')}</Link>
      </p>
    </>
  )
}

function BookingFlow({ service, staff, auth }: { service: Service; staff: boolean; auth: Auth }) {
  const { t, language } = useI18n()
  const router = useRouter()
  const announce = useAnnounce()
  const errors = useFormErrors()
  const [resume] = useState(() => readPending(service.id)?.start ?? null)
  const [day, setDay] = useState<string | null>(() => (resume ? madridDay(resume) : null))
  const [slot, setSlot] = useState<Slot | null>(null)
  const [reload, setReload] = useState(0)
  const [moved, setMoved] = useState(0)
  const [pending, setPending] = useState(false)
  const [needsEid, setNeedsEid] = useState<string | null>(null)
  // The address or phone a code has just reached is where the confirmation goes, unless the person changes it.
  const verified = staff ? undefined : auth.session?.contact
  const [email, setEmail] = useState(verified?.channel === 'email' ? verified.destination : '')
  const [phone, setPhone] = useState(verified?.channel === 'sms' ? verified.destination : '')
  const [idNumber, setIdNumber] = useState('')
  const [name, setName] = useState('')
  const [bookingLanguage, setBookingLanguage] = useState<Language>(language)
  const attempt = useRef<{ key: string; body: string } | null>(null)
  const here = bookPath(service.id, staff)

  useEffect(() => {
    if (moved) document.getElementById('step-confirm')?.focus()
  }, [moved])

  const profile = auth.profile.state === 'ready' ? auth.profile.profile : null
  const lowLevel =
    needsEid ??
    (profile?.kind === 'citizen' &&
    LEVELS.indexOf(profile.assurance) >= 0 &&
    LEVELS.indexOf(profile.assurance) < LEVELS.indexOf(service.min_assurance)
      ? service.min_assurance
      : null)

  function choose(chosen: Slot, resumed?: boolean) {
    setSlot(chosen)
    savePending({ service: service.id, start: chosen.start })
    if (resumed) announce(t('book.resumed'))
    else setMoved((n) => n + 1)
  }

  async function confirm() {
    if (pending || !slot) return
    const fields: Record<string, string> = {}
    const id = normalizeIdNumber(idNumber)
    const mail = normalizeEmail(email)
    const tel = phone.trim() === '' ? '' : normalizePhone(phone)
    if (staff) {
      const problem = idNumberProblem(id)
      if (problem) fields['citizen-id-number'] = t(`validation.idNumber.${problem}`)
    }
    // The API needs one of the two for the confirmation, for citizens and staff alike.
    if (!mail && !tel) fields['contact-email'] = t('book.contactMissing')
    if (mail && !isEmail(mail)) fields['contact-email'] = t('validation.email.format')
    if (tel && !isPhone(tel)) fields['contact-phone'] = t('validation.phone.format')
    if (Object.keys(fields).length) {
      errors.show(fields)
      return
    }
    const body: Record<string, unknown> = {
      service_id: service.id,
      start: slot.start,
      language: staff ? bookingLanguage : language,
      contact: { ...(mail ? { email: mail } : {}), ...(tel ? { phone: tel } : {}) },
    }
    if (staff) body.citizen = { id_number: id, ...(name.trim() ? { name: name.trim() } : {}) }
    const json = JSON.stringify(body)
    // The same booking sent again keeps its key; a changed one is a new attempt.
    if (attempt.current?.body !== json) attempt.current = { key: uuid(), body: json }
    setPending(true)
    announce(t('book.sending'))
    try {
      const created = parseAppointment(
        await auth.api.request('/appointments', {
          method: 'POST',
          auth: true,
          body,
          headers: { 'Idempotency-Key': attempt.current.key },
        }),
      )
      if (!created) throw asApiError(null)
      attempt.current = null
      savePending(null)
      // The appointment's page shows the confirmation and the next steps, where the person lands.
      rememberConfirmation(created.id, 'booked')
      router.navigate(appointmentPath(created.id))
      announce(t('book.done'), { hold: 1500 })
    } catch (caught) {
      const error = asApiError(caught)
      // An answer from the API settles this attempt; without one (or a 5xx) the retry must reuse the key.
      if (error.status !== null && error.status < 500) attempt.current = null
      setPending(false)
      failed(error)
    }
  }

  function failed(error: ReturnType<typeof asApiError>) {
    // Staff cannot see the citizen's list: no link for them.
    const mine = staff ? undefined : { href: APPOINTMENTS_PATH, text: t('appointments.title') }
    let general: FormError[] = [{ message: problemMessage(t, error) }]
    switch (error.code) {
      case 'slot_unavailable':
        savePending(null)
        setSlot(null)
        setReload((n) => n + 1)
        general = [{ message: t('book.slotTaken') }]
        break
      case 'already_booked':
        general = [{ message: t(staff ? 'book.alreadyBookedStaff' : 'book.alreadyBooked'), link: mine }]
        break
      case 'too_many_appointments':
        general = [{ message: t('book.tooMany'), link: mine }]
        break
      case 'online_limit_reached':
        // Only a code sign-in gets this (staff and eID bookings are never capped by contacts). It says nothing
        // about anyone's bookings: only the ways that still work (phone, in person, digital identity).
        general = [
          { message: t('book.onlineLimit'), link: { href: eidHref(here), text: t('signIn.eid.button'), external: true } },
        ]
        break
      case 'insufficient_assurance': {
        const required = error.body.required_assurance
        const level = typeof required === 'string' ? required : service.min_assurance
        setNeedsEid(level)
        const message = t('book.needsLevel', { means: eidMeans(t, level) })
        general = [{ message, target: 'eid-start' }]
        break
      }
      case 'validation_error': {
        const placed = validationErrors(t, error, API_FIELDS)
        errors.show(placed.fields, placed.general)
        return
      }
    }
    errors.show({}, general)
  }

  return (
    <>
      <ErrorSummary id="book-errors" errors={errors.summary} focusKey={errors.key} />
      {!slot ? (
        <>
          <SlotPicker
            key={reload}
            serviceId={service.id}
            day={day}
            onDay={setDay}
            chosen={null}
            onChoose={choose}
            resume={reload ? null : resume}
            errors={errors}
            total={3}
          />
          {!staff && (
            // No time suits: wait for one to free up (a cancellation, new hours) and be offered it.
            <p class="note" id="waitlist-offer">
              {t('book.waitlist')}{' '}
              <Link id="waitlist-join" href={waitlistPath(service.id)}>
                {t('book.waitlistLink')}
              </Link>
            </p>
          )}
        </>
      ) : (
        <section aria-labelledby="step-confirm">
          <StepHeading id="step-confirm" n={3} total={3} text={t('book.confirmStep')} />
          <Summary service={service} slot={slot} />
          <p>
            <button
              type="button"
              class="button button--link"
              onClick={() => {
                errors.clear()
                setSlot(null)
                setReload((n) => n + 1)
              }}
            >
              {t('book.changeTime')}
            </button>
          </p>
          {!auth.session && !staff && !codeIsEnough(service.min_assurance) ? (
            // A code sign-in cannot book this service: straight to the digital identity, never into a dead end.
            <WayOn
              class="notice"
              id="book-sign-in-notice"
              text={t('book.signInEid', { means: eidMeans(t, service.min_assurance) })}
            >
              <a id="eid-start" class="button" href={eidHref(here)}>
                {t('book.signInEidLink')}
              </a>
            </WayOn>
          ) : !auth.session ? (
            <WayOn class="notice" id="book-sign-in-notice" text={t(staff ? 'book.signInStaff' : 'book.signIn')}>
              <Link id="book-sign-in" class="button" href={signInPath(staff ? 'staff' : 'citizen', here)}>
                {t('book.signInLink')}
              </Link>
            </WayOn>
          ) : lowLevel && !staff ? (
            // Signed in, but not enough for this service: the only way on is the digital identity (no "Confirm"
            // button that cannot work).
            <WayOn class="note" id="eid-notice" text={t('book.needsLevel', { means: eidMeans(t, lowLevel) })}>
              <a id="eid-start" class="button" href={eidHref(here)}>
                {t('signIn.eid.button')}
              </a>
            </WayOn>
          ) : (
            <>
              <Form id="booking-form" onSubmit={() => void confirm()}>
                {staff && (
                  <Fieldset legend={t('book.citizen')}>
                    <IdNumberField
                      id="citizen-id-number"
                      label={t('signIn.idNumber.label')}
                      hint={t('signIn.idNumber.hint')}
                      error={errors.fields['citizen-id-number']}
                      value={idNumber}
                      onValue={setIdNumber}
                    />
                    <TextField
                      id="citizen-name"
                      name="name"
                      label={t('book.citizenName')}
                      error={errors.fields['citizen-name']}
                      value={name}
                      onValue={setName}
                      type="text"
                      autocomplete="off"
                    />
                    <div class="field">
                      <label class="field__label" for="booking-language">
                        {t('book.language')}
                      </label>
                      <select
                        id="booking-language"
                        class="input"
                        value={bookingLanguage}
                        onChange={(event) => setBookingLanguage(event.currentTarget.value as Language)}
                      >
                        {LANGUAGES.map((l) => (
                          <option key={l} value={l} lang={l}>
                            {LANGUAGE_NAMES[l]}
                          </option>
                        ))}
                      </select>
                    </div>
                  </Fieldset>
                )}
                <Fieldset legend={t('book.contact')}>
                  <p class="field__hint" id="contact-hint">
                    {t(staff ? 'book.contactHintStaff' : 'book.contactHint')}
                    {verified && ` ${t('book.contactPrefilled')}`}
                  </p>
                  <TextField
                    id="contact-email"
                    name="email"
                    label={t('signIn.destination.email')}
                    error={errors.fields['contact-email']}
                    value={email}
                    onValue={setEmail}
                    type="email"
                    inputMode="email"
                    autocomplete={staff ? 'off' : 'email'}
                    autoCapitalize="none"
                    spellcheck={false}
                  />
                  <TextField
                    id="contact-phone"
                    name="phone"
                    label={t('signIn.destination.sms')}
                    hint={t('signIn.destination.smsHint')}
                    error={errors.fields['contact-phone']}
                    value={phone}
                    onValue={setPhone}
                    type="tel"
                    inputMode="tel"
                    autocomplete={staff ? 'off' : 'tel'}
                  />
                </Fieldset>
                <div class="actions">
                  <button
                    type="submit"
                    id="confirm-booking"
                    class="button"
                    aria-disabled={pending ? 'true' : undefined}
                  >
                    {t('book.confirm')}
                  </button>
                </div>
              </Form>
            </>
          )}
        </section>
      )}
    </>
  )
}

/** Why the booking cannot be confirmed here yet, and the one way on: a link that looks like a button. */
function WayOn(props: { class: 'notice' | 'note'; id: string; text: string; children: ComponentChildren }) {
  return (
    <div class={props.class} id={props.id}>
      <p>{props.text}</p>
      <p>{props.children}</p>
    </div>
  )
}

function Summary({ service, slot }: { service: Service; slot: Slot }) {
  const { t, language } = useI18n()
  return (
    <>
      <dl class="facts" id="booking-summary">
        <div>
          <dt>{t('appt.service')}</dt>
          <Localized as="dd" text={service.name} />
        </div>
        <div>
          <dt>{t('appt.date')}</dt>
          <dd>{formatDate(language, slot.start)}</dd>
        </div>
        <div>
          <dt>{t('appt.time')}</dt>
          <dd>
            {t('appt.timeRange', { start: formatTime(language, slot.start), end: formatTime(language, slot.end) })}
          </dd>
        </div>
        <OfficeAndDuration service={service} />
      </dl>
      <RequiredDocuments service={service} heading="h3" />
    </>
  )
}
