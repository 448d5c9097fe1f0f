/**
 * `/staff/activate#token=…` (`&purpose=reset` for a password reset): a member of staff sets their password from the
 * link an administrator had emailed them. The token is read from the fragment (never sent to a server in a URL, never
 * in a log) and taken out of the address bar at once. The server checks the password (at least 12 characters, not
 * containing the username, not one of the commonest); its refusals show at the field. Then: a confirmation and the
 * way to sign in.
 */
import { useRef, useState } from 'preact/hooks'
import { activateAccount, forgetFragment, fragmentParams } from '../admin'
import { asApiError } from '../api'
import { useAuth } from '../auth'
import { ErrorSummary, PanelForm, TextField, useFormErrors } from '../components/forms'
import { adminProblem } from './admin/common'
import { adminLabel, useAdminI18n } from '../i18n/admin'
import { useAnnounce, useDocumentTitle, useFocusAfterRender } from '../page-context'
import { Link, STAFF_SIGN_IN_PATH } from '../router'

export function ActivatePage() {
  const { t } = useAdminI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const errors = useFormErrors()
  const focus = useFocusAfterRender()
  // Read once, before the fragment is taken out of the address bar.
  const [link] = useState(() => {
    const params = fragmentParams(window.location.hash)
    if (window.location.hash) forgetFragment()
    return { token: params.get('token') ?? '', reset: params.get('purpose') === 'reset' }
  })
  const [password, setPassword] = useState('')
  const [state, setState] = useState<'form' | 'busy' | 'done' | 'expired'>(link.token ? 'form' : 'expired')
  const reset = link.reset
  const title = t(reset ? 'activate.resetTitle' : 'activate.title')
  useDocumentTitle(title)
  const heading = useRef<HTMLHeadingElement>(null)

  const submit = async () => {
    if (state === 'busy') return
    if (!password) return errors.show({ 'activate-password': t('activate.missing') })
    setState('busy')
    try {
      await activateAccount(api, link.token, password)
      setPassword('')
      errors.clear()
      setState('done')
      announce(t(reset ? 'activate.resetDone' : 'activate.done'))
      focus('activate-done')
    } catch (caught) {
      const error = asApiError(caught)
      if (error.status === 410) {
        setState('expired')
        focus('activate-expired')
        return
      }
      setState('form')
      if (error.status === 422) {
        const found = error.errors.find((e) => e.field === 'password') as { code?: string; message: string } | undefined
        const message = found
          ? adminLabel(t, `activate.err.${found.code ?? ''}`, '') || found.message || t('activate.weak')
          : t('problem.validation')
        errors.show(found ? { 'activate-password': message } : {}, found ? [] : [{ message }])
      } else errors.show({}, [{ message: adminProblem(t, error) }])
    }
  }

  return (
    <>
      <h1 tabIndex={-1} id="activate-title" ref={heading}>
        {title}
      </h1>
      {state === 'expired' && (
        <div class="notice" id="activate-expired" tabIndex={-1}>
          <p>{t('activate.expired')}</p>
        </div>
      )}
      {state === 'done' && (
        <div class="notice" id="activate-done" tabIndex={-1}>
          <p>{t(reset ? 'activate.resetDone' : 'activate.done')}</p>
          <p>
            <Link id="activate-sign-in" href={STAFF_SIGN_IN_PATH}>
              {t('activate.signIn')}
            </Link>
          </p>
        </div>
      )}
      {(state === 'form' || state === 'busy') && (
        <>
          <ErrorSummary id="activate-errors" errors={errors.summary} focusKey={errors.key} />
          <PanelForm
            formId="activate-form"
            title={t('activate.formTitle')}
            submitLabel={t(reset ? 'activate.resetSubmit' : 'activate.submit')}
            pending={state === 'busy'}
            onSubmit={() => void submit()}
          >
            <TextField
              id="activate-password"
              name="password"
              type="password"
              autocomplete="new-password"
              label={t('activate.password')}
              hint={t('activate.hint')}
              error={errors.fields['activate-password']}
              value={password}
              onValue={setPassword}
            />
          </PanelForm>
        </>
      )}
    </>
  )
}
