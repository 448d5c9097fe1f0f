/** "Sign out": ends the session (API and here), goes to the start page and says so in the live region. */
import { useState } from 'preact/hooks'
import { useAuth } from '../auth'
import { useI18n } from '../i18n/context'
import { useAnnounce } from '../page-context'
import { CATALOGUE_PATH, useRouter } from '../router'

export function SignOutButton(props: { class?: string }) {
  const { t } = useI18n()
  const auth = useAuth()
  const { navigate } = useRouter()
  const announce = useAnnounce()
  const [pending, setPending] = useState(false)
  return (
    <button
      type="button"
      id="sign-out"
      class={props.class ?? 'button button--secondary'}
      aria-disabled={pending ? 'true' : undefined}
      onClick={async () => {
        if (pending) return
        setPending(true)
        await auth.signOut(() => navigate(CATALOGUE_PATH))
        announce(t('signOut.done'), { hold: 1500 })
      }}
    >
      {t('account.signOut')}
    </button>
  )
}
