/**
 * The pre-flight check a day or two before a video call: camera and microphone (preview and level), the speakers (a
 * short tone: "did you hear it?"), the connection to the media node (round trip and bitrate through its probe, STUN
 * and TURN through the candidates gathered), and the service's documents to have at hand. The report goes to the
 * server, which says the result; a weak connection offers sound only or a phone call instead.
 *
 * Loading and sending are given (`load`, `submit`): the signed-in page uses the appointment's route, the one-tap link
 * page the link's.
 */
import { useEffect, useState } from 'preact/hooks'
import { asApiError } from '../api'
import { ErrorState } from '../components/error-state'
import { ErrorSummary, Fieldset, Form, problemMessage, TextField, useFormErrors, type FormErrors } from '../components/forms'
import { localize } from '../i18n'
import { useAdminI18n } from '../i18n/admin'
import { useAnnounce, useFocusAfterRender } from '../page-context'
import { useResource } from '../resource'
import { measureNetwork, type PreflightInfo, type PreflightReport, type PreflightResult } from '../preflight'
import { useLocalMedia } from './call/call-common'
import { DeviceChecks } from './call/waiting-room'

export interface PreflightCheckProps {
  load: () => Promise<PreflightInfo>
  submit: (report: PreflightReport) => Promise<PreflightInfo>
}

export function PreflightCheck(props: PreflightCheckProps) {
  const { load, reload } = useResource(props.load, [])
  const { t } = useAdminI18n()
  if (load.state === 'loading') return <p class="status-message">{t('preflight.loading')}</p>
  if (load.state === 'error') return <ErrorState message={t('preflight.loadFailed')} error={load.error} onRetry={reload} />
  return <Check info={load.value} submit={props.submit} />
}

function Check(props: { info: PreflightInfo; submit: PreflightCheckProps['submit'] }) {
  const { t, language } = useAdminI18n()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const errors = useFormErrors()
  const { media, retry } = useLocalMedia()
  const [heard, setHeard] = useState<'yes' | 'no' | null>(null)
  const [ticked, setTicked] = useState<number[]>(props.info.checklist)
  const [pending, setPending] = useState(false)
  const [sent, setSent] = useState<{ report: PreflightReport; info: PreflightInfo } | null>(null)
  const network = useResource(() => measureNetwork(props.info.probe), [], {
    onReady: () => announce(t('preflight.networkDone')),
  })
  const measured = network.load.state === 'ready' ? network.load.value : null

  /** Sends a report; shows the answer, or says what went wrong through `shown` (the form it was sent from). */
  async function send(report: PreflightReport, then: () => void, shown: FormErrors) {
    if (pending) return
    setPending(true)
    shown.clear()
    try {
      const info = await props.submit(report)
      setSent({ report, info })
      then()
    } catch (caught) {
      const error = asApiError(caught)
      const phone = error.errors.some((e) => e.field === 'callback.phone')
      const message = error.code === 'appointment_closed' ? t('call.appointmentClosed') : problemMessage(t, error)
      shown.show(phone ? { 'pre-phone': t('preflight.phoneInvalid') } : {}, phone ? [] : [{ message }])
    } finally {
      setPending(false)
    }
  }

  function sendCheck() {
    if (!measured) {
      errors.show({}, [{ message: t('preflight.waitNetwork') }])
      return
    }
    const report: PreflightReport = {
      camera: media?.video === 'ok',
      microphone: media?.audio === 'ok',
      speaker: heard === 'yes',
      network: measured,
      checklist: [...ticked].sort((a, b) => a - b),
      audio_only: false,
    }
    void send(
      report,
      () => {
        announce(t('preflight.sent'))
        focus('pre-result-title')
      },
      errors,
    )
  }

  return (
    <div class="preflight">
      <ErrorSummary id="pre-errors" errors={errors.summary} focusKey={errors.key} />
      <section aria-labelledby="pre-devices-title">
        <h2 id="pre-devices-title">{t('preflight.devicesTitle')}</h2>
        <DeviceChecks media={media} onRetry={retry} />
        <Fieldset legend={t('preflight.heardLegend')}>
          <div class="radio">
            <input type="radio" name="pre-heard" id="pre-heard-yes" checked={heard === 'yes'} onChange={() => setHeard('yes')} />
            <label for="pre-heard-yes">{t('preflight.heardYes')}</label>
          </div>
          <div class="radio">
            <input type="radio" name="pre-heard" id="pre-heard-no" checked={heard === 'no'} onChange={() => setHeard('no')} />
            <label for="pre-heard-no">{t('preflight.heardNo')}</label>
          </div>
        </Fieldset>
      </section>
      <section aria-labelledby="pre-network-title">
        <h2 id="pre-network-title">{t('preflight.networkTitle')}</h2>
        <p id="pre-network" class="status-message" aria-busy={network.load.state === 'loading' ? 'true' : 'false'}>
          {network.load.state === 'loading'
            ? t('preflight.networkChecking')
            : measured
              ? measured.media_node
                ? t('preflight.networkReached')
                : t('preflight.networkUnreached')
              : t('preflight.networkFailed')}
        </p>
        {measured && (
          <ul class="checks" id="pre-network-figures">
            <li>
              <strong>{t('preflight.down')}:</strong> {measured.down_kbps === null ? t('preflight.notMeasured') : t('preflight.kbps', { value: measured.down_kbps })}
            </li>
            <li>
              <strong>{t('preflight.up')}:</strong> {measured.up_kbps === null ? t('preflight.notMeasured') : t('preflight.kbps', { value: measured.up_kbps })}
            </li>
            <li>
              <strong>{t('preflight.rtt')}:</strong> {measured.rtt_ms === null ? t('preflight.notMeasured') : t('preflight.ms', { value: measured.rtt_ms })}
            </li>
            {measured.turn !== 'not_configured' && (
              <li>
                <strong>{t('preflight.relay')}:</strong> {measured.turn === 'reachable' ? t('preflight.relayOk') : t('preflight.relayFailed')}
              </li>
            )}
          </ul>
        )}
        {network.load.state !== 'loading' && (
          <button type="button" class="button button--secondary button--small" id="pre-network-retry" onClick={network.reload}>
            {t('preflight.networkRetry')}
          </button>
        )}
      </section>
      <Form id="pre-form" aria-labelledby="pre-documents-title" onSubmit={sendCheck}>
        <h2 id="pre-documents-title">{t('preflight.documentsTitle')}</h2>
        <p>{t('preflight.documentsText')}</p>
        <ul class="checks" id="pre-documents">
          {props.info.documents.map((document, i) => {
            const shown = localize(document, language)
            return (
              <li key={i} class="checkbox">
                <input
                  type="checkbox"
                  id={`pre-doc-${i}`}
                  checked={ticked.includes(i)}
                  onChange={(event) =>
                    setTicked((current) =>
                      event.currentTarget.checked ? [...current, i] : current.filter((x) => x !== i),
                    )
                  }
                />
                <label for={`pre-doc-${i}`} lang={shown.language === language ? undefined : shown.language}>
                  {shown.text}
                </label>
              </li>
            )
          })}
        </ul>
        <div class="actions">
          <button type="submit" class="button" id="pre-send" aria-disabled={pending || !measured ? 'true' : undefined}>
            {t('preflight.send')}
          </button>
        </div>
      </Form>
      {sent && <Result sent={sent} pending={pending} onChoose={send} />}
    </div>
  )
}

const RESULT_TEXT: Record<PreflightResult, 'preflight.result.ok' | 'preflight.result.weak_network' | 'preflight.result.no_camera' | 'preflight.result.no_microphone' | 'preflight.result.not_done'> = {
  ok: 'preflight.result.ok',
  weak_network: 'preflight.result.weak_network',
  no_camera: 'preflight.result.no_camera',
  no_microphone: 'preflight.result.no_microphone',
  not_done: 'preflight.result.not_done',
}

/** The server's result in plain words; on a weak connection, sound only or a phone call instead. */
function Result(props: {
  sent: { report: PreflightReport; info: PreflightInfo }
  pending: boolean
  onChoose: (report: PreflightReport, then: () => void, shown: FormErrors) => Promise<void>
}) {
  const { t } = useAdminI18n()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const { info, report } = props.sent
  const [audioOnly, setAudioOnly] = useState(info.audio_only)
  const [callMe, setCallMe] = useState(info.callback_phone !== null)
  const [phone, setPhone] = useState(info.callback_phone ?? '')
  useEffect(() => {
    setAudioOnly(info.audio_only)
    setCallMe(info.callback_phone !== null)
  }, [info])
  const errors = useFormErrors()
  const weak = info.result === 'weak_network'
  return (
    <section class="panel" aria-labelledby="pre-result-title" id="pre-result" data-result={info.result}>
      <h2 id="pre-result-title" tabIndex={-1}>
        {t('preflight.resultTitle')}
      </h2>
      <p id="pre-result-text" class={info.result === 'ok' ? 'notice' : 'notice'}>
        {t(RESULT_TEXT[info.result])}
      </p>
      {weak && (
        <Form
          id="pre-options"
          aria-labelledby="pre-options-title"
          onSubmit={() => {
            if (callMe && !phone.trim()) {
              errors.show({ 'pre-phone': t('preflight.phoneMissing') })
              return
            }
            errors.clear()
            const next: PreflightReport = {
              ...report,
              audio_only: audioOnly,
              ...(callMe ? { callback: { phone: phone.trim() } } : {}),
            }
            if (!callMe) delete next.callback
            void props.onChoose(
              next,
              () => {
                announce(t('preflight.choiceSent'))
                focus('pre-choice-sent')
              },
              errors,
            )
          }}
        >
          <h3 id="pre-options-title">{t('preflight.optionsTitle')}</h3>
          <ErrorSummary id="pre-options-errors" errors={errors.summary} focusKey={errors.key} />
          <div class="checkbox">
            <input type="checkbox" id="pre-audio-only" checked={audioOnly} onChange={(e) => setAudioOnly(e.currentTarget.checked)} />
            <label for="pre-audio-only">{t('preflight.audioOnly')}</label>
          </div>
          <div class="checkbox">
            <input type="checkbox" id="pre-call-me" checked={callMe} onChange={(e) => setCallMe(e.currentTarget.checked)} />
            <label for="pre-call-me">{t('preflight.callMe')}</label>
          </div>
          {callMe && (
            <TextField
              id="pre-phone"
              type="tel"
              autocomplete="tel"
              label={t('preflight.phone')}
              hint={t('preflight.phoneHint')}
              error={errors.fields['pre-phone']}
              value={phone}
              onValue={setPhone}
            />
          )}
          <div class="actions">
            <button type="submit" class="button" id="pre-options-send" aria-disabled={props.pending ? 'true' : undefined}>
              {t('preflight.optionsSend')}
            </button>
          </div>
        </Form>
      )}
      {(info.audio_only || info.callback_phone) && (
        <p id="pre-choice-sent" tabIndex={-1} class="notice">
          {[
            info.audio_only ? t('preflight.choiceAudioOnly') : null,
            info.callback_phone ? t('preflight.choiceCallback', { phone: info.callback_phone }) : null,
          ]
            .filter(Boolean)
            .join(' ')}
        </p>
      )}
    </section>
  )
}
