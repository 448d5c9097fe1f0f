/**
 * An appointment's status as a coloured tag with its word: the colour tells statuses apart at a glance, the word says
 * which (colour alone would not, WCAG 1.4.1). Each tag's text and border meet the contrast rules (status-tag.test.ts).
 */
import type { Appointment } from '../appointments'
import { useI18n } from '../i18n/context'
import { statusName } from '../pages/appointment-common'

/** The status shown: a booked appointment whose call is under way is "in progress". */
export function shownStatus(a: Pick<Appointment, 'status' | 'call'>): string {
  if (a.status === 'booked' && (a.call?.state === 'in_call' || a.call?.state === 'waiting')) return 'in_progress'
  return a.status
}

export function StatusTag(props: { appointment: Pick<Appointment, 'status' | 'call'>; id?: string }) {
  const { t } = useI18n()
  const status = shownStatus(props.appointment)
  return (
    <span id={props.id} class={`status-tag status-tag--${status}`} data-status={status}>
      {statusName(t, status)}
    </span>
  )
}
