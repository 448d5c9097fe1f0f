/**
 * For a citizen signed in with a one-time code (which proves an address, not who they are): in plain words, what
 * to have at hand for the call — their DNI, NIE or passport, which the agent asks to see on camera before giving them
 * a document with their personal data. Nothing for an eID sign-in (it proves the identity) or for staff.
 */
import { useAuth } from '../auth'
import { useI18n } from '../i18n/context'

export const PROVEN_LEVELS = ['substantial', 'high']

export function needsIdentityDocument(profile: { kind: string; assurance?: string }): boolean {
  return profile.kind === 'citizen' && !PROVEN_LEVELS.includes(profile.assurance ?? '')
}

export function IdentityAtHand(props: { id: string }) {
  const { t } = useI18n()
  const { profile } = useAuth()
  if (profile.state !== 'ready' || !needsIdentityDocument(profile.profile)) return null
  return (
    <p class="note identity-at-hand" id={props.id}>
      {t('call.haveId')}
    </p>
  )
}
