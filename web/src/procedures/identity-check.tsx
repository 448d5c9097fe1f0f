/** The citizen's identity in the call: what proves it, and the agent's check of a document shown to the camera. */
import { useState } from 'preact/hooks'
import { asApiError } from '../api'
import { useAuth } from '../auth'
import { FieldErrorMessage, problemMessage } from '../components/forms'
import { useI18n } from '../i18n/context'
import { label } from '../offices'
import { useAnnounce } from '../page-context'
import { CHECK_METHODS, recordIdentityCheck, type CheckMethod, type IdentityBasis } from './model'

/** What proves the citizen's identity for this appointment, said in plain words. */
export function IdentityProven(props: { identity: IdentityBasis }) {
  const { t } = useI18n()
  const method = props.identity.method
  return (
    <p class="note" id="identity-proven" data-basis={props.identity.basis}>
      {props.identity.basis === 'eid' || !method
        ? t('idc.eid')
        : t('idc.done', { document: label(t, `idc.method.${method}`, method) })}
    </p>
  )
}

/**
 * The identity check in the call: the person shows their DNI, NIE or passport to the camera, the agent compares the
 * photo and the number, picks the document and confirms that it matches; recorded before anything is issued.
 */
export function IdentityCheckStep(props: { appointmentId: string; onChecked: (identity: IdentityBasis) => void }) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const [method, setMethod] = useState<CheckMethod | ''>('')
  const [matches, setMatches] = useState(false)
  const [errors, setErrors] = useState<{ method?: string; matches?: string; general?: string }>({})
  const [busy, setBusy] = useState(false)

  async function record() {
    if (busy) return
    const found = {
      method: method === '' ? t('idc.chooseMethod') : undefined,
      matches: matches ? undefined : t('idc.confirmMatch'),
    }
    if (found.method || found.matches) {
      setErrors(found)
      document.getElementById(found.method ? `idc-${CHECK_METHODS[0]}` : 'idc-matches')?.focus()
      return
    }
    if (method === '') return
    setBusy(true)
    try {
      const identity = await recordIdentityCheck(api, props.appointmentId, method, language)
      setErrors({})
      announce(t('idc.done', { document: t(`idc.method.${method}`) }))
      props.onChecked(identity)
    } catch (caught) {
      const error = asApiError(caught)
      const message = error.code === 'call_not_open' ? t('idc.notOpen') : problemMessage(t, error)
      setErrors({ general: message })
      announce(message)
    } finally {
      setBusy(false)
    }
  }

  return (
    <fieldset class="fieldset note identity-check" id="identity-check" aria-describedby="idc-why idc-ask">
      <legend class="field__label" id="identity-check-title">
        {t('idc.title')}
      </legend>
      <p class="field__hint" id="idc-why">
        {t('idc.why')}
      </p>
      <p id="idc-ask">{t('idc.ask')}</p>
      <fieldset
        class={errors.method ? 'fieldset field--error' : 'fieldset'}
        aria-describedby={errors.method ? 'idc-method-error' : undefined}
      >
        <legend class="field__label">{t('idc.method')}</legend>
        {errors.method && <FieldErrorMessage id="idc-method-error" message={errors.method} />}
        {CHECK_METHODS.map((value) => (
          <div class="checkbox" key={value}>
            <input
              type="radio"
              id={`idc-${value}`}
              name="identity-method"
              value={value}
              checked={method === value}
              onChange={() => setMethod(value)}
            />
            <label for={`idc-${value}`}>{t(`idc.method.${value}`)}</label>
          </div>
        ))}
      </fieldset>
      <div class={errors.matches ? 'field field--error' : 'field'}>
        {errors.matches && <FieldErrorMessage id="idc-matches-error" message={errors.matches} />}
        <div class="checkbox">
          <input
            type="checkbox"
            id="idc-matches"
            checked={matches}
            aria-invalid={errors.matches ? 'true' : undefined}
            aria-describedby={['idc-no-match', errors.matches ? 'idc-matches-error' : ''].filter(Boolean).join(' ')}
            onChange={(event) => setMatches(event.currentTarget.checked)}
          />
          <label for="idc-matches">{t('idc.matches')}</label>
        </div>
        <p class="field__hint" id="idc-no-match">
          {t('idc.noMatch')}
        </p>
      </div>
      {errors.general && (
        <p class="notice" id="idc-error" role="alert">
          {errors.general}
        </p>
      )}
      <button
        type="button"
        id="idc-record"
        class="button button--secondary"
        aria-disabled={busy ? 'true' : undefined}
        onClick={() => void record()}
      >
        {busy ? t('idc.recording') : t('idc.record')}
      </button>
    </fieldset>
  )
}
