/**
 * `/waitlist`: "My waitlist" — the signed-in citizen's entries, each with "Leave the waitlist". With `?service=ID`
 * (the booking page's "No time suits you? Join the waitlist") the form to join that service's waitlist comes first:
 * the days (today up to the service's booking horizon), an optional part of the day, and where the offers go (the
 * verified contact of the sign-in, as booking fills it in). A 422 names its field; joining again answers 409
 * `already_waitlisted`. Joining sends `Idempotency-Key`, reused for a retry of the same entry after no answer came.
 */
import { useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { addDays, formatDay, isDay, today, uuid } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { ErrorSummary, Fieldset, Form, problemMessage, TextField, useFormErrors, type FormError } from '../components/forms'
import { Localized } from '../components/localized'
import { isEmail, isPhone, normalizeEmail, normalizePhone } from '../identity'
import { localize } from '../i18n'
import { useAdminI18n } from '../i18n/admin'
import { eidMeans } from '../offices'
import { useAnnounce, useAnnounced, useDocumentTitle, useFocusAfterRender, useOfficeName, useServices } from '../page-context'
import { useResource, type ResourceHandle } from '../resource'
import { bookPath, CATALOGUE_PATH, Link, useRouter, waitlistPath } from '../router'
import type { Service } from '../services'
import {
  DEFAULT_HORIZON_DAYS,
  fetchWaitlist,
  joinWaitlist,
  leaveWaitlist,
  PARTS_OF_DAY,
  type JoinRequest,
  type PartOfDay,
  type WaitlistEntry,
} from '../waitlist'
import { eidHref, isStaff, useServiceName, useSignInFirst } from './appointment-common'

const LEVELS = ['low', 'substantial', 'high']

// Every field the API may name in a 422, placed on its input.
const API_FIELDS: Record<string, string> = {
  from: 'wl-from',
  to: 'wl-to',
  part_of_day: 'wl-part-any',
  contact: 'wl-email',
  'contact.email': 'wl-email',
  'contact.phone': 'wl-phone',
}

export function WaitlistPage() {
  const { t } = useAdminI18n()
  const auth = useAuth()
  const router = useRouter()
  const signedIn = useSignInFirst()
  const staff = isStaff(auth)
  const serviceId = new URLSearchParams(router.search).get('service')
  const { load: services } = useServices()
  const service = serviceId && services.state === 'ready' ? services.value.find((s) => s.id === serviceId) : undefined
  const list = useResource(
    signedIn && !staff ? () => fetchWaitlist(auth.api) : null,
    [signedIn, staff],
    useAnnounced({
      loading: t('wl.loading'),
      error: t('wl.error'),
      ready: (items: WaitlistEntry[]) => t('wl.loaded', { count: items.length }),
    }),
  )
  const title = serviceId ? t('wl.joinTitle') : t('wl.title')
  useDocumentTitle(title)

  if (!signedIn) return <h1 tabIndex={-1} id="wl-title">{title}</h1>
  return (
    <>
      <h1 tabIndex={-1} id="wl-title">
        {title}
      </h1>
      {staff ? (
        <p class="notice" id="wl-staff">
          {t('wl.staff')}
        </p>
      ) : (
        <>
          {serviceId && services.state === 'ready' && !service && <p class="notice">{t('detail.notFoundText')}</p>}
          {service && <JoinForm service={service} onJoined={list.refresh} />}
          <MyWaitlist handle={list} heading={Boolean(serviceId)} />
          {service && (
            <p class="back">
              <Link href={bookPath(service.id)}>{t('wl.backToBooking')}</Link>
            </p>
          )}
        </>
      )}
    </>
  )
}

function JoinForm({ service, onJoined }: { service: Service; onJoined: () => void }) {
  const { t, language } = useAdminI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const officeName = useOfficeName()
  const errors = useFormErrors()
  const first = today()
  const last = addDays(first, service.horizon_days ?? DEFAULT_HORIZON_DAYS)
  const verified = auth.session?.contact
  const [from, setFrom] = useState(first)
  const [to, setTo] = useState(addDays(first, 14))
  const [part, setPart] = useState<PartOfDay | ''>('')
  const [email, setEmail] = useState(verified?.channel === 'email' ? verified.destination : '')
  const [phone, setPhone] = useState(verified?.channel === 'sms' ? verified.destination : '')
  const [pending, setPending] = useState(false)
  const [joined, setJoined] = useState<WaitlistEntry | null>(null)
  const attempt = useRef<{ key: string; body: string } | null>(null)
  const profile = auth.profile.state === 'ready' ? auth.profile.profile : null
  const [needsEid, setNeedsEid] = useState<string | null>(null)
  const lowLevel =
    needsEid ??
    (profile?.kind === 'citizen' && LEVELS.indexOf(profile.assurance) < LEVELS.indexOf(service.min_assurance)
      ? service.min_assurance
      : null)
  const here = waitlistPath(service.id)
  const range = { first: formatDay(language, first, true), last: formatDay(language, last, true) }

  async function submit() {
    if (pending) return
    const fields: Record<string, string> = {}
    const inRange = (day: string) => isDay(day) && day >= first && day <= last
    if (!from) fields['wl-from'] = t('wl.dayMissing')
    else if (!inRange(from)) fields['wl-from'] = t('wl.dayRange', range)
    if (!to) fields['wl-to'] = t('wl.dayMissing')
    else if (!inRange(to)) fields['wl-to'] = t('wl.dayRange', range)
    else if (!fields['wl-from'] && to < from) fields['wl-to'] = t('wl.toBeforeFrom')
    const mail = normalizeEmail(email)
    const tel = phone.trim() === '' ? '' : normalizePhone(phone)
    if (!mail && !tel) fields['wl-email'] = t('wl.contactMissing')
    if (mail && !isEmail(mail)) fields['wl-email'] = t('validation.email.format')
    if (tel && !isPhone(tel)) fields['wl-phone'] = t('validation.phone.format')
    if (Object.keys(fields).length) {
      errors.show(fields)
      return
    }
    const body: JoinRequest = {
      service_id: service.id,
      from,
      to,
      ...(part ? { part_of_day: part } : {}),
      contact: { ...(mail ? { email: mail } : {}), ...(tel ? { phone: tel } : {}) },
      language,
    }
    const json = JSON.stringify(body)
    if (attempt.current?.body !== json) attempt.current = { key: uuid(), body: json }
    setPending(true)
    announce(t('wl.sending'))
    try {
      const entry = await joinWaitlist(auth.api, body, attempt.current.key)
      attempt.current = null
      errors.clear()
      setJoined(entry)
      onJoined()
      focus('wl-joined')
    } catch (caught) {
      const error = asApiError(caught)
      if (error.status !== null && error.status < 500) attempt.current = null
      failed(error)
    } finally {
      setPending(false)
    }
  }

  function failed(error: ApiError) {
    let general: FormError[] = [{ message: problemMessage(t, error) }]
    if (error.code === 'already_waitlisted') general = [{ message: t('wl.already'), target: 'wl-mine-title' }]
    else if (error.code === 'insufficient_assurance') {
      const required = error.body.required_assurance
      const level = typeof required === 'string' ? required : service.min_assurance
      setNeedsEid(level)
      general = [{ message: t('book.needsLevel', { means: eidMeans(t, level) }), target: 'eid-start' }]
    } else if (error.code === 'validation_error' && error.errors.length) {
      const fields: Record<string, string> = {}
      const rest: FormError[] = []
      for (const { field } of error.errors) {
        const id = API_FIELDS[field]
        const message =
          field === 'from' || field === 'to'
            ? t('wl.dayRange', range)
            : field.startsWith('contact')
              ? t(field === 'contact.phone' ? 'validation.phone.format' : field === 'contact' ? 'wl.contactMissing' : 'validation.email.format')
              : t('problem.validation')
        if (id) fields[id] ??= message
        else rest.push({ message })
      }
      errors.show(fields, rest)
      return
    }
    errors.show({}, general)
  }

  if (joined) {
    return (
      <div class="notice" id="wl-joined" tabIndex={-1}>
        <p>
          {t('wl.joined', {
            service: localize(service.name, language).text,
            from: formatDay(language, joined.from, true),
            to: formatDay(language, joined.to, true),
          })}
        </p>
      </div>
    )
  }
  return (
    <section class="panel" aria-labelledby="wl-join-title">
      <h2 id="wl-join-title">
        <Localized as="span" text={service.name} /> · {officeName(service.office)}
      </h2>
      <p>{t('wl.intro')}</p>
      <ErrorSummary id="wl-errors" errors={errors.summary} focusKey={errors.key} />
      {lowLevel ? (
        <div class="note" id="eid-notice">
          <p>{t('book.needsLevel', { means: eidMeans(t, lowLevel) })}</p>
          <p>
            <a id="eid-start" class="button" href={eidHref(here)}>
              {t('signIn.eid.button')}
            </a>
          </p>
        </div>
      ) : (
        <Form id="wl-form" onSubmit={() => void submit()}>
          <Fieldset legend={t('wl.days')}>
            <p class="field__hint" id="wl-days-hint">
              {t('wl.daysHint', { last: range.last })}
            </p>
            <TextField id="wl-from" name="from" type="date" label={t('wl.from')} min={first} max={last} error={errors.fields['wl-from']} value={from} onValue={setFrom} />
            <TextField id="wl-to" name="to" type="date" label={t('wl.to')} min={first} max={last} error={errors.fields['wl-to']} value={to} onValue={setTo} />
          </Fieldset>
          <Fieldset legend={t('wl.part')}>
            {(['', ...PARTS_OF_DAY] as const).map((value) => (
              <div class="radio" key={value || 'any'}>
                <input
                  type="radio"
                  id={`wl-part-${value || 'any'}`}
                  name="part_of_day"
                  value={value}
                  checked={part === value}
                  onChange={() => setPart(value)}
                />
                <label for={`wl-part-${value || 'any'}`}>{t(`wl.part.${value || 'any'}`)}</label>
              </div>
            ))}
          </Fieldset>
          <Fieldset legend={t('wl.contact')}>
            <p class="field__hint" id="wl-contact-hint">
              {verified ? t('book.contactPrefilled') : t('book.contactHint')}
            </p>
            <TextField
              id="wl-email"
              name="email"
              type="email"
              label={t('signIn.destination.email')}
              error={errors.fields['wl-email']}
              value={email}
              onValue={setEmail}
              inputMode="email"
              autocomplete="email"
              autoCapitalize="none"
              spellcheck={false}
            />
            <TextField
              id="wl-phone"
              name="phone"
              type="tel"
              label={t('signIn.destination.sms')}
              hint={t('signIn.destination.smsHint')}
              error={errors.fields['wl-phone']}
              value={phone}
              onValue={setPhone}
              inputMode="tel"
              autocomplete="tel"
            />
          </Fieldset>
          <div class="actions">
            <button type="submit" id="wl-submit" class="button" aria-disabled={pending ? 'true' : undefined}>
              {t('wl.submit')}
            </button>
          </div>
        </Form>
      )}
    </section>
  )
}

function MyWaitlist(props: { handle: ResourceHandle<WaitlistEntry[]>; heading: boolean }) {
  const { t, language } = useAdminI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const officeName = useOfficeName()
  const serviceName = useServiceName()
  const { load, reload, set } = props.handle
  const [leaving, setLeaving] = useState<string | null>(null)
  const [failure, setFailure] = useState<{ id: string; message: string } | null>(null)
  const items = load.state === 'ready' ? load.value : []
  const top = props.heading ? 'wl-mine-title' : 'wl-title'
  // Under the page's h1, or under "My waitlist" (h2) below the form.
  const EntryHeading = props.heading ? 'h3' : 'h2'

  async function leave(entry: WaitlistEntry) {
    if (leaving) return
    setLeaving(entry.id)
    setFailure(null)
    announce(t('wl.leaving'))
    try {
      await leaveWaitlist(auth.api, entry.id)
      set(items.filter((e) => e.id !== entry.id))
      announce(t('wl.left', { service: serviceName(entry.service_id).text }))
      focus(top)
    } catch (caught) {
      const error = asApiError(caught)
      if (error.status === 404) {
        set(items.filter((e) => e.id !== entry.id))
        focus(top)
      } else setFailure({ id: entry.id, message: problemMessage(t, error) })
    } finally {
      setLeaving(null)
    }
  }

  return (
    <section aria-labelledby={props.heading ? 'wl-mine-title' : 'wl-title'} aria-busy={load.state === 'loading' ? 'true' : 'false'}>
      {props.heading && (
        <h2 id="wl-mine-title" tabIndex={-1}>
          {t('wl.title')}
        </h2>
      )}
      <LoadStatus load={load} loading={t('wl.loading')} error={t('wl.error')} onRetry={reload} />
      {load.state === 'ready' && !items.length && (
        <div class="empty-state" id="wl-empty">
          <p>{t('wl.empty')}</p>
          <p>
            <Link href={CATALOGUE_PATH}>{t('wl.catalogue')}</Link>
          </p>
        </div>
      )}
      {items.length > 0 && (
        <ul class="appointments" id="wl-entries">
          {items.map((entry) => {
            const name = serviceName(entry.service_id)
            const contact = [entry.contact.email, entry.contact.phone].filter(Boolean).join(', ')
            return (
              <li key={entry.id} class="appointment" data-id={entry.id}>
                <EntryHeading lang={name.lang}>{name.text}</EntryHeading>
                <p>
                  {t('wl.entryDays', { from: formatDay(language, entry.from, true), to: formatDay(language, entry.to, true) })}
                  {entry.part_of_day && ` · ${t(`wl.part.${entry.part_of_day}`)}`}
                </p>
                <p>{officeName(entry.office)}</p>
                {contact && <p>{t('wl.entryContact', { contact })}</p>}
                {failure?.id === entry.id && (
                  <p class="field__error" role="alert">
                    {failure.message}
                  </p>
                )}
                <p>
                  <button
                    type="button"
                    class="button button--secondary"
                    id={`wl-leave-${entry.id}`}
                    aria-disabled={leaving === entry.id ? 'true' : undefined}
                    onClick={() => void leave(entry)}
                  >
                    {t('wl.leave')}
                    <span class="visually-hidden">: {name.text}</span>
                  </button>
                </p>
              </li>
            )
          })}
        </ul>
      )}
    </section>
  )
}
