/**
 * `/offer#token=…`: a time that freed up, offered to someone on the waitlist and held for them for a few minutes.
 * The token is read from the fragment (never sent in a page address a server logs), taken out of the address bar and
 * kept in this tab, so a reload or a trip through eID comes back to the same offer. The page shows the service, the
 * office, the time and a countdown to the end of the hold (said to screen readers only at a few moments, politely);
 * "Book this time" asks one confirmation, then books. Someone of the same batch may have been quicker (409
 * `offer_taken`: they stay on the waitlist), the hold may have passed or the link been used (410 `offer_expired`).
 * A service above low assurance answers 403 `insufficient_assurance` until the person signs in with eID.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { fragmentParams, forgetFragment } from '../admin'
import { asApiError, type ApiError } from '../api'
import { formatTime, type Appointment } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { ErrorSummary, problemMessage, useFormErrors } from '../components/forms'
import { useAdminI18n } from '../i18n/admin'
import { eidMeans } from '../offices'
import { useAnnounce, useDocumentTitle, useFocusAfterRender, useOfficeName } from '../page-context'
import { useResource } from '../resource'
import { appointmentPath, CATALOGUE_PATH, Link, OFFER_PATH, WAITLIST_PATH } from '../router'
import {
  acceptOffer,
  countdownMilestone,
  fetchOffer,
  keepOfferToken,
  keptOfferToken,
  secondsLeft,
  type Offer,
} from '../waitlist'
import { eidHref, useServiceName, when } from './appointment-common'

type Step = 'view' | 'confirm' | 'busy' | { booked: Appointment } | 'taken' | 'expired'

/** The offer's token: from the link's fragment (then out of the address bar), else the one kept in this tab. */
function takeToken(): string {
  const fromLink = fragmentParams(window.location.hash).get('token')
  if (window.location.hash) forgetFragment()
  if (fromLink) {
    keepOfferToken(fromLink)
    return fromLink
  }
  return keptOfferToken() ?? ''
}

export function OfferPage() {
  const { t, language } = useAdminI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const errors = useFormErrors()
  const serviceName = useServiceName()
  const officeName = useOfficeName()
  const [token] = useState(takeToken)
  const [step, setStep] = useState<Step>('view')
  useDocumentTitle(t('offer.title'))
  const session = auth.session?.access_token ?? null
  const { load, reload } = useResource<Offer>(token ? () => fetchOffer(auth.api, token) : null, [token, session], {
    onError: (error) => {
      if (error.status === 404 || error.status === 409 || error.status === 410) keepOfferToken(null)
    },
  })
  const offer = load.state === 'ready' ? load.value : null
  const left = useCountdown(offer?.hold_until ?? null, (milestone) => {
    if (typeof step !== 'string' || step === 'taken' || step === 'expired') return
    announce(
      milestone >= 120
        ? t('offer.leftMinutes', { count: milestone / 60 })
        : milestone === 60
          ? t('offer.leftMinute')
          : t('offer.leftSeconds'),
    )
  })

  const loadError = load.state === 'error' ? load.error : null
  const expired =
    step === 'expired' ||
    loadError?.status === 410 ||
    (offer !== null && left === 0 && (step === 'view' || step === 'confirm'))
  const notFound = !token || loadError?.status === 404
  const needsEid = loadError?.status === 403 && loadError.code === 'insufficient_assurance'

  async function book() {
    if (step !== 'confirm') return
    setStep('busy')
    announce(t('offer.booking'))
    try {
      const booked = await acceptOffer(auth.api, token)
      keepOfferToken(null)
      setStep({ booked })
      announce(t('offer.bookedAnnounce'))
      focus('offer-done')
    } catch (caught) {
      const error = asApiError(caught)
      if (error.code === 'offer_taken' || error.status === 409) finish('taken')
      else if (error.status === 410 || error.status === 404) finish('expired')
      else if (error.code === 'insufficient_assurance') {
        // The eID session ended meanwhile: the offer is asked again, which leads through eID.
        setStep('view')
        reload()
      } else {
        setStep('confirm')
        errors.show({}, [{ message: problemMessage(t, error) }])
      }
    }
  }

  function finish(outcome: 'taken' | 'expired') {
    keepOfferToken(null)
    setStep(outcome)
    focus(`offer-${outcome}`)
  }

  const name = offer ? serviceName(offer.service_id) : null
  const time = offer ? when(t, language, offer) : ''

  return (
    <>
      <h1 tabIndex={-1} id="offer-title">
        {t('offer.title')}
      </h1>
      {typeof step === 'object' ? (
        <Booked appointment={step.booked} offer={offer} />
      ) : step === 'taken' || loadError?.status === 409 ? (
        <Notice id="offer-taken" text={t('offer.taken')} href={WAITLIST_PATH} link={t('offer.myWaitlist')} />
      ) : notFound ? (
        <Notice id="offer-not-found" text={t('offer.notFound')} href={CATALOGUE_PATH} link={t('wl.catalogue')} />
      ) : expired ? (
        <Notice id="offer-expired" text={t('offer.expired')} href={WAITLIST_PATH} link={t('offer.myWaitlist')} />
      ) : needsEid ? (
        <div class="note" id="offer-eid">
          <p>{t('offer.eid', { means: eidMeans(t, String(loadError.body.required_assurance ?? 'substantial')) })}</p>
          <p>
            <a id="eid-start" class="button" href={eidHref(OFFER_PATH)}>
              {t('signIn.eid.button')}
            </a>
          </p>
        </div>
      ) : (
        <>
          <LoadStatus
            load={load}
            loading={t('offer.loading')}
            error={t('offer.loadFailed')}
            onRetry={reload}
            explained={(e: ApiError) => e.status === 403 || e.status === 404 || e.status === 410}
          />
          <ErrorSummary id="offer-errors" errors={errors.summary} focusKey={errors.key} />
          {offer && name && (
            <>
              <p class="lead" id="offer-intro">
                {t('offer.intro')}
              </p>
              <dl class="facts" id="offer-facts">
                <div>
                  <dt>{t('offer.service')}</dt>
                  <dd lang={name.lang}>{name.text}</dd>
                </div>
                <div>
                  <dt>{t('offer.office')}</dt>
                  <dd>{officeName(offer.office)}</dd>
                </div>
                <div>
                  <dt>{t('offer.time')}</dt>
                  <dd id="offer-time">{time}</dd>
                </div>
                <div>
                  <dt>{t('offer.heldUntil')}</dt>
                  <dd id="offer-hold">
                    {formatTime(language, offer.hold_until)}{' '}
                    <span class="offer-countdown" role="timer" id="offer-left">
                      ({t('offer.left', { time: clock(left ?? 0) })})
                    </span>
                  </dd>
                </div>
              </dl>
              {step === 'view' ? (
                <div class="actions">
                  <button
                    type="button"
                    class="button"
                    id="offer-book"
                    onClick={() => {
                      errors.clear()
                      setStep('confirm')
                      focus('offer-confirm-title')
                    }}
                  >
                    {t('offer.book')}
                  </button>
                </div>
              ) : (
                <section class="panel" aria-labelledby="offer-confirm-title">
                  <h2 id="offer-confirm-title" tabIndex={-1}>
                    {t('offer.confirmTitle')}
                  </h2>
                  <p>{t('offer.confirmText', { service: name.text, when: time })}</p>
                  <div class="actions">
                    <button
                      type="button"
                      class="button"
                      id="offer-confirm"
                      aria-disabled={step === 'busy' ? 'true' : undefined}
                      onClick={() => void book()}
                    >
                      {t('offer.confirm')}
                    </button>
                    <button
                      type="button"
                      class="button button--secondary"
                      id="offer-back"
                      onClick={() => {
                        if (step === 'busy') return
                        errors.clear()
                        setStep('view')
                        focus('offer-book')
                      }}
                    >
                      {t('offer.notNow')}
                    </button>
                  </div>
                </section>
              )}
            </>
          )}
        </>
      )}
    </>
  )
}

function Booked({ appointment, offer }: { appointment: Appointment; offer: Offer | null }) {
  const { t, language } = useAdminI18n()
  const serviceName = useServiceName()
  const officeName = useOfficeName()
  const name = serviceName(appointment.service_id || offer?.service_id || '')
  return (
    <div class="notice" id="offer-done" tabIndex={-1}>
      <p>{t('offer.booked')}</p>
      <dl class="facts" id="offer-booked">
        <div>
          <dt>{t('offer.service')}</dt>
          <dd lang={name.lang}>{name.text}</dd>
        </div>
        <div>
          <dt>{t('offer.office')}</dt>
          <dd>{officeName(appointment.office || offer?.office || '')}</dd>
        </div>
        <div>
          <dt>{t('offer.time')}</dt>
          <dd id="offer-booked-time">{when(t, language, appointment)}</dd>
        </div>
      </dl>
      <p>
        <Link id="offer-appointment" href={appointmentPath(appointment.id)}>
          {t('offer.seeAppointment')}
        </Link>
      </p>
    </div>
  )
}

/** "14:05" (minutes and seconds). */
function clock(seconds: number): string {
  const m = Math.floor(seconds / 60)
  const s = seconds % 60
  return `${m}:${String(s).padStart(2, '0')}`
}

/**
 * Seconds left until `until`, ticking every second (null without a time); `onMilestone` hears the few moments to say
 * aloud (10, 5, 2 and 1 minutes, 30 seconds).
 */
function useCountdown(until: string | null, onMilestone: (secondsLeft: number) => void): number | null {
  const [left, setLeft] = useState(() => (until ? secondsLeft(until) : null))
  const said = useRef(onMilestone)
  said.current = onMilestone
  useEffect(() => {
    if (!until) {
      setLeft(null)
      return
    }
    let previous = secondsLeft(until)
    setLeft(previous)
    const timer = window.setInterval(() => {
      const now = secondsLeft(until)
      const milestone = countdownMilestone(previous, now)
      previous = now
      setLeft(now)
      if (milestone !== null) said.current(milestone)
      if (now <= 0) window.clearInterval(timer)
    }, 1000)
    return () => window.clearInterval(timer)
  }, [until])
  return left
}

/** An offer that can no longer be booked, in plain words, and where to go from here (focused when it appears). */
function Notice(props: { id: string; text: string; href: string; link: string }) {
  return (
    <div class="notice" id={props.id} tabIndex={-1}>
      <p>{props.text}</p>
      <p>
        <Link href={props.href}>{props.link}</Link>
      </p>
    </div>
  )
}
