/** What the appointment pages share: "sign in first", the service's name, and an appointment's time in words. */
import type { ComponentChildren } from 'preact'
import { useEffect } from 'preact/hooks'
import { fetchAppointment, formatDate, formatTime, type Appointment } from '../appointments'
import { sessionKind, useAuth, type Auth } from '../auth'
import { localize, type Language, type Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { eidStartHref } from '../identity'
import { label } from '../offices'
import { useAnnounce, useServices } from '../page-context'
import { signInPath, useRouter } from '../router'
import { useResource, type ResourceHandle } from '../resource'
import type { SessionKind } from '../session'

/** Without a session, go to the sign-in page (of `kind`) on arrival, and come back to this address afterwards. */
export function useSignInFirst(kind?: SessionKind): boolean {
  const auth = useAuth()
  const router = useRouter()
  useEffect(() => {
    if (!auth.session) navigateToSignIn(router, kind)
    // On arrival only: a session ending later is followed by the shell.
  }, [])
  return auth.session !== null
}

function navigateToSignIn(router: ReturnType<typeof useRouter>, kind?: SessionKind) {
  router.navigate(signInPath(kind, router.path + router.search), { replace: true })
}

export function isStaff(auth: Auth): boolean {
  return sessionKind(auth) === 'staff'
}

export function staffRoles(auth: Auth): string[] {
  return auth.profile.state === 'ready' && auth.profile.profile.kind === 'staff' ? auth.profile.profile.roles : []
}

/** The roles that see the figures and the rebooking list. */
export const SUPERVISORS: readonly string[] = ['supervisor', 'admin']

/** Whether the signed-in person, once their profile is known, is not staff with one of `roles`. */
export function refusedStaff(auth: Auth, roles: readonly string[]): boolean {
  return !!auth.session && auth.profile.state === 'ready' && (!isStaff(auth) || !staffRoles(auth).some((r) => roles.includes(r)))
}

/** A page's heading and, instead of the page, who may see it ("Only supervisors and administrators …"). */
export function OnlyFor(props: { id: string; title: string; notice: string; children?: ComponentChildren }) {
  return (
    <>
      <h1 tabIndex={-1} id={props.id}>
        {props.title}
      </h1>
      <p class="notice">{props.notice}</p>
      {props.children}
    </>
  )
}

/** The service's name in the person's language (with the language it is in), else its id. */
export function useServiceName(): (id: string) => { text: string; lang?: string } {
  const { language } = useI18n()
  const { load } = useServices()
  return (id) => {
    const service = load.state === 'ready' ? load.value.find((s) => s.id === id) : undefined
    if (!service) return { text: id }
    const shown = localize(service.name, language)
    return { text: shown.text, lang: shown.language === language ? undefined : shown.language }
  }
}

/** "dilluns, 1 de desembre del 2026, de 09:00 a 09:15" on the council's clock. */
export function when(t: Translate, language: Language, a: Pick<Appointment, 'start' | 'end'>): string {
  return t('appt.whenText', {
    date: formatDate(language, a.start),
    start: formatTime(language, a.start),
    end: formatTime(language, a.end),
  })
}

export function statusName(t: Translate, status: string): string {
  return label(t, `status.${status}`, status)
}

/** The full-page trip to the digital identity, coming back to `path`. */
export function eidHref(path: string): string {
  return eidStartHref(path)
}

/**
 * One appointment, fetched once signed in and again on `reload()`; loading and failure are announced to screen
 * readers. `set` replaces what is shown (the answer of a change, for instance).
 */
export function useAppointment(id: string, signedIn: boolean): ResourceHandle<Appointment> {
  const { t } = useI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  return useResource(signedIn ? () => fetchAppointment(auth.api, id) : null, [id], {
    onLoading: () => announce(t('appt.loading')),
    onError: () => announce(t('appt.error')),
  })
}
