/**
 * `/act#token=…`: the page a citizen's signed link opens (the first of them: "your appointment needs a new time").
 * No sign-in: the link itself is the key, for one appointment and one purpose. The token is read from the fragment
 * and taken out of the address bar; the citizen chooses another time with the same picker as the booking flow, or
 * cancels after one confirmation. A used or expired link (410 `link_expired`) is explained in plain words.
 */
import { useState } from 'preact/hooks'
import { fetchAction, forgetFragment, fragmentParams, postAction, type ActionLink } from '../admin'
import { asApiError, type ApiError } from '../api'
import { formatDate, formatTime, type Slot } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { ErrorSummary, problemMessage, useFormErrors } from '../components/forms'
import { SlotPicker } from '../components/slot-picker'
import { useAdminI18n } from '../i18n/admin'
import { useAnnounce, useDocumentTitle, useFocusAfterRender, useOfficeName } from '../page-context'
import { useResource } from '../resource'
import { CATALOGUE_PATH, Link } from '../router'
import { useServiceName } from './appointment-common'

type Step = 'choose' | 'time' | 'cancel' | 'busy' | { done: 'rescheduled'; start: string } | { done: 'cancelled' }

export function ActionPage() {
  const { t, language } = useAdminI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const errors = useFormErrors()
  const focus = useFocusAfterRender()
  const serviceName = useServiceName()
  const officeName = useOfficeName()
  const [token] = useState(() => {
    const value = fragmentParams(window.location.hash).get('token') ?? ''
    if (window.location.hash) forgetFragment()
    return value
  })
  const [step, setStep] = useState<Step>('choose')
  const [day, setDay] = useState<string | null>(null)
  const [failure, setFailure] = useState<ApiError | null>(null)
  useDocumentTitle(t('act.title'))
  const { load, reload } = useResource<ActionLink>(token ? () => fetchAction(api, token) : null, [token])

  const expired = !token || (load.state === 'error' && load.error.status === 410) || failure?.status === 410
  const go = (next: Step, target: string) => {
    errors.clear()
    setFailure(null)
    // While a change is sent, the panel it was made in stays: the times with a day chosen, else the cancellation.
    if (next !== 'time') setDay(null)
    setStep(next)
    focus(target)
  }

  async function run(action: 'reschedule' | 'cancel', slot?: Slot) {
    setStep('busy')
    try {
      await postAction(api, token, action, slot ? { start: slot.start } : {})
      const done: Step = action === 'cancel' ? { done: 'cancelled' } : { done: 'rescheduled', start: slot?.start ?? '' }
      setStep(done)
      announce(action === 'cancel' ? t('act.cancelled') : t('act.rescheduled'))
      focus('act-done')
    } catch (caught) {
      const error = asApiError(caught)
      setFailure(error)
      setStep(action === 'cancel' ? 'cancel' : 'time')
      if (error.status !== 410) {
        errors.show({}, [{ message: error.code === 'slot_taken' ? t('book.slotTaken') : problemMessage(t, error) }])
      } else focus('act-expired')
    }
  }

  const link = load.state === 'ready' ? load.value : null
  const name = link ? serviceName(link.service_id) : null
  const when = link ? t('act.when', { date: formatDate(language, link.start), time: formatTime(language, link.start) }) : ''

  return (
    <>
      <h1 tabIndex={-1} id="act-title">
        {t('act.title')}
      </h1>
      {expired ? (
        <div class="notice" id="act-expired" tabIndex={-1}>
          <p>{t('act.expired')}</p>
          <p>
            <Link href={CATALOGUE_PATH}>{t('act.bookAgain')}</Link>
          </p>
        </div>
      ) : (
        <>
          <LoadStatus load={load} loading={t('act.loading')} error={t('act.loadFailed')} onRetry={reload} explained={(e) => e.status === 410} />
          <ErrorSummary id="act-errors" errors={errors.summary} focusKey={errors.key} />
          {link && name && typeof step === 'string' && (
            <>
              <p class="lead" id="act-intro">
                {t('act.intro')}
              </p>
              <dl class="facts">
                <div>
                  <dt>{t('act.service')}</dt>
                  <dd lang={name.lang}>{name.text}</dd>
                </div>
                <div>
                  <dt>{t('act.office')}</dt>
                  <dd>{officeName(link.office)}</dd>
                </div>
                <div>
                  <dt>{t('act.original')}</dt>
                  <dd id="act-original">{when}</dd>
                </div>
              </dl>
            </>
          )}
          {link && step === 'choose' && (
            <div class="actions">
              <button type="button" class="button" id="act-choose" onClick={() => go('time', 'step-day')}>
                {t('act.choose')}
              </button>
              <button type="button" class="button button--secondary" id="act-cancel" onClick={() => go('cancel', 'act-cancel-title')}>
                {t('act.cancel')}
              </button>
            </div>
          )}
          {link && (step === 'time' || (step === 'busy' && day)) && (
            <section class="panel" aria-label={t('act.choose')}>
              <SlotPicker
                serviceId={link.service_id}
                day={day}
                onDay={setDay}
                chosen={null}
                onChoose={(slot) => void run('reschedule', slot)}
                errors={errors}
              />
              <div class="actions">
                <button type="button" class="button button--secondary" onClick={() => go('choose', 'act-title')}>
                  {t('act.back')}
                </button>
              </div>
            </section>
          )}
          {link && (step === 'cancel' || (step === 'busy' && !day)) && (
            <section class="panel" aria-labelledby="act-cancel-title">
              <h2 id="act-cancel-title" tabIndex={-1}>
                {t('act.cancelTitle')}
              </h2>
              <p>{t('act.cancelText', { when })}</p>
              <div class="actions">
                <button type="button" class="button button--danger" id="act-cancel-confirm" aria-disabled={step === 'busy' ? 'true' : undefined} onClick={() => step === 'cancel' && void run('cancel')}>
                  {t('act.cancelConfirm')}
                </button>
                <button type="button" class="button button--secondary" onClick={() => go('choose', 'act-title')}>
                  {t('act.keep')}
                </button>
              </div>
            </section>
          )}
          {typeof step === 'object' && (
            <div class="notice" id="act-done" tabIndex={-1}>
              {step.done === 'rescheduled' ? (
                <p>{t('act.rescheduledAt', { date: formatDate(language, step.start), time: formatTime(language, step.start) })}</p>
              ) : (
                <p>{t('act.cancelled')}</p>
              )}
              <p>
                <Link href={CATALOGUE_PATH}>{t('act.home')}</Link>
              </p>
            </div>
          )}
        </>
      )}
    </>
  )
}
