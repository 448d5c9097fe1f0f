/**
 * `/l#token=…`: the one-tap links our messages carry, each bound to one appointment and one action: join the call
 * (the device check, then the waiting room), cancel (one confirmation), change the time (the booking's slot picker),
 * or the pre-flight check. An appointment the office could no longer hold (`needs_rebooking`: its hours changed)
 * is told in plain words; its message's change and cancel links act on it. The token is read from the fragment and
 * taken out of the address bar; it waits in this tab's storage while a service that asks more than a code sends the
 * person through eID first, and is used on return. A used, expired or unknown link is explained in plain words.
 */
import { useEffect, useState } from 'preact/hooks'
import { forgetFragment, fragmentParams } from '../admin'
import { asApiError, type ApiClient, type ApiError } from '../api'
import { formatDate, formatTime, type Slot } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { ErrorSummary, problemMessage, useFormErrors } from '../components/forms'
import { SlotPicker } from '../components/slot-picker'
import { localize, type LocalizedText } from '../i18n'
import { useAdminI18n } from '../i18n/admin'
import { useAnnounce, useDocumentTitle, useFocusAfterRender } from '../page-context'
import { parsePreflight, type PreflightInfo, type PreflightReport } from '../preflight'
import { useResource } from '../resource'
import { APPOINTMENTS_PATH, callPath, CATALOGUE_PATH, Link, LINK_PATH, useRouter } from '../router'
import { eidHref, statusName, when } from './appointment-common'
import { PreflightCheck } from './preflight-check'

export type LinkAction = 'join' | 'cancel' | 'change' | 'preflight'

export interface OneTapLink {
  action: LinkAction
  appointment: { id: string; service: { id: string; name: LocalizedText }; start: string; end: string; status: string }
  min_assurance: string
  call_window: { opens_at: string; closes_at: string }
  check?: unknown
}

/** Where the token waits during the trip through eID (this tab only; forgotten once the link is done). */
const PENDING_KEY = 'va.link'
const RANK: Record<string, number> = { low: 0, substantial: 1, high: 2 }

function readToken(): string {
  const value = fragmentParams(window.location.hash).get('token')
  if (window.location.hash) forgetFragment()
  try {
    if (value) sessionStorage.setItem(PENDING_KEY, value)
    return value ?? sessionStorage.getItem(PENDING_KEY) ?? ''
  } catch {
    return value ?? ''
  }
}

function forgetToken(): void {
  try {
    sessionStorage.removeItem(PENDING_KEY)
  } catch {
    // Storage blocked: nothing kept.
  }
}

const linkPath = (token: string) => `/links/${encodeURIComponent(token)}`

function fetchLink(api: ApiClient, token: string, signedIn: boolean): Promise<OneTapLink> {
  return api.request<OneTapLink>(linkPath(token), { auth: signedIn })
}

function useLink(api: ApiClient, token: string, signedIn: boolean) {
  return (body: unknown = {}) =>
    api.request<OneTapLink & { result: Record<string, unknown> }>(linkPath(token), {
      method: 'POST',
      body,
      auth: signedIn,
    })
}

type Step = 'ready' | 'confirm' | 'busy' | { done: 'cancelled' } | { done: 'changed'; start: string }

export function LinkPage() {
  const { t, language } = useAdminI18n()
  const auth = useAuth()
  const router = useRouter()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const errors = useFormErrors()
  const [token, setToken] = useState(readToken)
  // Counts the links opened in this tab: the same one again is looked up again (it may have been used meanwhile).
  const [opened, setOpened] = useState(0)
  const [step, setStep] = useState<Step>('ready')
  const [day, setDay] = useState<string | null>(null)
  const [failure, setFailure] = useState<ApiError | null>(null)
  // Another link opened in this same tab (only the fragment changes): that link, from the start.
  useEffect(() => {
    const onHash = () => {
      if (!fragmentParams(window.location.hash).get('token')) return
      setToken(readToken())
      setOpened((n) => n + 1)
      setStep('ready')
      setDay(null)
      setFailure(null)
      errors.clear()
    }
    window.addEventListener('hashchange', onHash)
    return () => window.removeEventListener('hashchange', onHash)
  }, [])
  useDocumentTitle(t('link.title'))
  const signedIn = auth.session !== null
  const { load, reload } = useResource<OneTapLink>(token ? () => fetchLink(auth.api, token, signedIn) : null, [token, signedIn, opened])
  const post = useLink(auth.api, token, signedIn)

  const gone = (error: ApiError | null) => error !== null && (error.status === 404 || error.status === 410 || error.status === 422)
  const expired = !token || (load.state === 'error' && gone(load.error)) || gone(failure)
  const link = load.state === 'ready' ? load.value : null
  const a = link?.appointment
  const profile = auth.profile.state === 'ready' ? auth.profile.profile : null
  const assurance = profile?.kind === 'citizen' ? (RANK[profile.assurance] ?? 0) : 0
  // Above low assurance the link acts only with an eID sign-in of the same person: through eID first, then back.
  const profileKnown = !signedIn || auth.profile.state !== 'loading'
  const needsEid =
    link !== null &&
    (failure?.code === 'insufficient_assurance' || (profileKnown && (RANK[link.min_assurance] ?? 0) > assurance))

  async function act(body: unknown, after: (answer: OneTapLink & { result: Record<string, unknown> }) => void) {
    setFailure(null)
    errors.clear()
    try {
      const answer = await post(body)
      after(answer)
    } catch (caught) {
      const error = asApiError(caught)
      setFailure(error)
      if (gone(error)) focus('link-expired')
      else if (error.code !== 'insufficient_assurance') {
        errors.show({}, [{ message: error.code === 'call_not_open' ? notOpen(error) : error.code === 'slot_taken' ? t('book.slotTaken') : problemMessage(t, error) }])
      }
      return false
    }
    return true
  }

  function notOpen(error: ApiError): string {
    const opens = typeof error.body.opens_at === 'string' ? error.body.opens_at : link?.call_window.opens_at ?? ''
    return t('link.notOpen', { time: opens ? formatTime(language, opens) : '' })
  }

  function join() {
    if (!a) return
    setStep('busy')
    void act({}, (answer) => {
      const session = answer.result.session as { access_token?: unknown; expires_in?: unknown } | null | undefined
      if (session && typeof session.access_token === 'string' && typeof session.expires_in === 'number') {
        auth.signIn({ access_token: session.access_token, expires_in: session.expires_in }, 'citizen')
      }
      router.navigate(callPath(a.id))
    }).then((ok) => {
      if (!ok) setStep('ready')
    })
  }

  function cancel() {
    setStep('busy')
    void act({}, () => {
      forgetToken()
      setStep({ done: 'cancelled' })
      announce(t('link.cancelled'))
      focus('link-done')
    }).then((ok) => {
      if (!ok) setStep('confirm')
    })
  }

  function change(slot: Slot) {
    setStep('busy')
    void act({ start: slot.start }, () => {
      forgetToken()
      setStep({ done: 'changed', start: slot.start })
      announce(t('link.changed', { date: formatDate(language, slot.start), time: formatTime(language, slot.start) }))
      focus('link-done')
    }).then((ok) => {
      if (!ok) setStep('ready')
    })
  }

  const check: () => Promise<PreflightInfo> = async () => ({ ...parsePreflight(link?.check), result: 'not_done' })
  const submitCheck = async (report: PreflightReport): Promise<PreflightInfo> => {
    const answer = await post(report)
    return parsePreflight(answer.result)
  }

  const name = a ? localize(a.service.name, language) : null
  return (
    <>
      <h1 tabIndex={-1} id="link-title">
        {t('link.title')}
      </h1>
      {expired ? (
        <div class="notice" id="link-expired" tabIndex={-1}>
          <p>{t('link.expired')}</p>
          <p>
            <Link href={CATALOGUE_PATH}>{t('link.home')}</Link>
          </p>
        </div>
      ) : (
        <>
          <LoadStatus load={load} loading={t('link.loading')} error={t('link.loadFailed')} onRetry={reload} explained={gone} />
          <ErrorSummary id="link-errors" errors={errors.summary} focusKey={errors.key} />
          {link && a && name && typeof step === 'string' && (
            <>
              {a.status === 'needs_rebooking' ? (
                // The office's capacity went (hours, leave, a holiday): the appointment waits for a new time. The SMS
                // carries only the change link: cancelling is also on the person's list of appointments.
                <>
                  <p class="lead" id="link-intro">
                    {t('link.rebooking')}
                  </p>
                  {link.action === 'change' && (
                    <p>
                      <Link href={APPOINTMENTS_PATH} id="link-rebooking-cancel">
                        {t('link.rebookingCancel')}
                      </Link>
                    </p>
                  )}
                </>
              ) : (
                <p class="lead" id="link-intro">
                  {t(`link.intro.${link.action}`)}
                </p>
              )}
              <dl class="facts" id="link-facts">
                <div>
                  <dt>{t('link.service')}</dt>
                  <dd lang={name.language === language ? undefined : name.language}>{name.text}</dd>
                </div>
                <div>
                  <dt>{t('link.when')}</dt>
                  <dd id="link-when">{when(t, language, a)}</dd>
                </div>
                <div>
                  <dt>{t('link.status')}</dt>
                  <dd id="link-status">{statusName(t, a.status)}</dd>
                </div>
              </dl>
            </>
          )}
          {link && needsEid && typeof step === 'string' ? (
            <div class="notice" id="link-eid">
              <p>{t('link.eid')}</p>
              <p>
                <a id="eid-start" class="button" href={eidHref(LINK_PATH)}>
                  {t('link.eidButton')}
                </a>
              </p>
            </div>
          ) : (
            link &&
            a &&
            // Who is signed in is not known yet: nothing to press until it is (eID may be asked first).
            (profileKnown || link.min_assurance === 'low') && (
              <>
                {link.action === 'join' && typeof step === 'string' && (
                  <div class="actions">
                    <button type="button" class="button" id="link-join" aria-disabled={step === 'busy' ? 'true' : undefined} onClick={() => step !== 'busy' && join()}>
                      {t('link.join')}
                    </button>
                  </div>
                )}
                {link.action === 'cancel' && step === 'ready' && (
                  <div class="actions">
                    <button type="button" class="button button--danger" id="link-cancel" onClick={() => { setStep('confirm'); focus('link-cancel-title') }}>
                      {t('link.cancel')}
                    </button>
                  </div>
                )}
                {link.action === 'cancel' && (step === 'confirm' || step === 'busy') && (
                  <section class="panel" aria-labelledby="link-cancel-title">
                    <h2 id="link-cancel-title" tabIndex={-1}>
                      {t('link.cancelTitle')}
                    </h2>
                    <p>{t('link.cancelQuestion')}</p>
                    <div class="actions">
                      <button type="button" class="button button--danger" id="link-cancel-confirm" aria-disabled={step === 'busy' ? 'true' : undefined} onClick={() => step === 'confirm' && cancel()}>
                        {t('link.cancelConfirm')}
                      </button>
                      <button type="button" class="button button--secondary" onClick={() => { setStep('ready'); focus('link-title') }}>
                        {t('link.keep')}
                      </button>
                    </div>
                  </section>
                )}
                {link.action === 'change' && typeof step === 'string' && (
                  <section class="panel" aria-label={t('link.choose')}>
                    <SlotPicker
                      serviceId={a.service.id}
                      day={day}
                      onDay={setDay}
                      chosen={null}
                      exclude={a.start}
                      onChoose={(slot) => step !== 'busy' && change(slot)}
                      errors={errors}
                    />
                  </section>
                )}
                {link.action === 'preflight' && <PreflightCheck load={check} submit={submitCheck} />}
              </>
            )
          )}
          {typeof step === 'object' && (
            <div class="notice" id="link-done" tabIndex={-1}>
              <p>
                {step.done === 'cancelled'
                  ? t('link.cancelled')
                  : t('link.changed', { date: formatDate(language, step.start), time: formatTime(language, step.start) })}
              </p>
              <p>
                <Link href={CATALOGUE_PATH}>{t('link.home')}</Link>
              </p>
            </div>
          )}
        </>
      )}
    </>
  )
}
