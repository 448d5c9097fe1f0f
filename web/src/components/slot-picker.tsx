/**
 * Choosing a day, then a time, for one service — the booking flow's first two steps, and "Change date or time".
 * The days with free times are a list of buttons (name: "Monday 1 December, 12 times available"; arrow keys move
 * between them), two weeks at a time; a day's times are a radio group. All on the council's clock.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { addDays, daysBetween, fetchSlots, formatDay, formatTime, madridDay, today, type Slot } from '../appointments'
import { useAuth } from '../auth'
import type { Translate } from '../i18n'
import { useI18n } from '../i18n/context'
import { useAnnounce } from '../page-context'
import { useResource } from '../resource'
import { LoadStatus } from './error-state'
import { Fieldset, Form, type useFormErrors } from './forms'

const RANGE = 14

export interface SlotPickerProps {
  serviceId: string
  /** The chosen day ("YYYY-MM-DD"), or null for the day step. */
  day: string | null
  onDay: (day: string | null) => void
  /** The time chosen earlier (a slot's `start`), preselected. */
  chosen: string | null
  /** "Continue" with a time; `resumed`: picked by `resume`, not by the person. */
  onChoose: (slot: Slot, resumed?: boolean) => void
  /** A slot (`start`) to choose as soon as it is found free: the booking resumed after signing in. */
  resume?: string | null
  /** The form errors of the page, whose summary this step uses. */
  errors: ReturnType<typeof useFormErrors>
  /** An instant not to offer (the appointment being moved). */
  exclude?: string
  /** "Step n of total" before each heading. */
  total?: number
}

export function plural(t: Translate, key: 'slots.times' | 'slots.places', count: number): string {
  return t(count === 1 ? `${key}.one` : `${key}.other`, { count })
}

export function StepHeading(props: { n: number; total?: number; text: string; id: string }) {
  const { t } = useI18n()
  return (
    <h2 id={props.id} tabIndex={-1}>
      {props.total && <span class="step">{t('book.step', { n: props.n, total: props.total })} </span>}
      {props.text}
    </h2>
  )
}

export function SlotPicker(props: SlotPickerProps) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const { day, errors } = props
  const first = today()
  const [from, setFrom] = useState(() =>
    day ? addDays(first, Math.max(0, Math.floor(daysBetween(first, day) / RANGE)) * RANGE) : first,
  )
  const [selected, setSelected] = useState(props.chosen)
  const [moved, setMoved] = useState(0)
  const root = useRef<HTMLDivElement>(null)
  const next = useRef<HTMLButtonElement>(null)
  const latest = useRef(props)
  latest.current = props
  const to = addDays(from, RANGE - 1)
  const exclude = props.exclude ? Date.parse(props.exclude) : NaN

  const { load, reload } = useResource(
    () =>
      fetchSlots(api, props.serviceId, from, to).then((all) =>
        all.filter((s) => s.available > 0 && Date.parse(s.start) !== exclude),
      ),
    [from],
    {
      onLoading: () => announce(t('slots.loading')),
      onReady: (slots) => {
        const { resume, onChoose, day: shownDay } = latest.current
        const resumed = resume ? slots.find((s) => s.start === resume) : undefined
        if (resumed) onChoose(resumed, true)
        else if (resume) latest.current.errors.show({}, [{ message: t('book.slotTaken') }])
        else if (!shownDay) {
          const days = new Set(slots.map((s) => madridDay(s.start))).size
          const range = t('slots.range', { from: formatDay(language, from), to: formatDay(language, to, true) })
          announce(`${range}. ${days ? t('slots.days', { count: days }) : t('slots.none')}`)
        }
      },
      onError: () => announce(`${t('slots.error')} ${t('error.hint')}`),
    },
  )

  // A change of step (by the person) moves focus to the new step's heading.
  useEffect(() => {
    if (moved) root.current?.querySelector<HTMLElement>('h2')?.focus()
  }, [moved])

  function goDay(value: string | null) {
    errors.clear()
    setSelected(null)
    props.onDay(value)
    setMoved((n) => n + 1)
  }

  const slots = load.state === 'ready' ? load.value : []
  const byDay = new Map<string, Slot[]>()
  for (const slot of slots) {
    const key = madridDay(slot.start)
    byDay.set(key, [...(byDay.get(key) ?? []), slot])
  }
  const busy = load.state === 'loading'

  const status = <LoadStatus load={load} loading={t('slots.loading')} error={t('slots.error')} onRetry={reload} />

  if (!day) {
    const days = [...byDay.keys()].sort()
    return (
      <div ref={root} class="slot-picker" aria-busy={busy ? 'true' : 'false'}>
        <StepHeading id="step-day" n={1} total={props.total} text={t('slots.chooseDay')} />
        <p class="field__hint">{t('slots.zone')}</p>
        <div class="range-nav">
          <button
            type="button"
            class="button button--secondary"
            disabled={from <= first}
            onClick={() => {
              const back = addDays(from, -RANGE)
              setFrom(back < first ? first : back)
              if (back <= first) next.current?.focus()
            }}
          >
            {t('slots.previous')}
          </button>
          <p class="range-nav__label">
            {t('slots.range', { from: formatDay(language, from), to: formatDay(language, to, true) })}
          </p>
          <button type="button" class="button button--secondary" ref={next} onClick={() => setFrom(addDays(to, 1))}>
            {t('slots.next')}
          </button>
        </div>
        {status}
        {load.state === 'ready' &&
          (days.length ? (
            <ul class="days" aria-labelledby="step-day" onKeyDown={moveBetweenDays}>
              {days.map((key) => (
                <li key={key}>
                  <button type="button" class="day" data-date={key} onClick={() => goDay(key)}>
                    <span class="day__date">{formatDay(language, key)}</span>
                    <span class="visually-hidden">, </span>
                    <span class="day__count">{plural(t, 'slots.times', byDay.get(key)?.length ?? 0)}</span>
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p class="empty-state">{t('slots.none')}</p>
          ))}
      </div>
    )
  }

  const times = byDay.get(day) ?? []
  const error = errors.fields['slot-0']
  return (
    <div ref={root} class="slot-picker" aria-busy={busy ? 'true' : 'false'}>
      <StepHeading id="step-time" n={2} total={props.total} text={t('slots.chooseTime')} />
      <p class="field__hint">{t('slots.zone')}</p>
      {status}
      <Form
        id="slot-form"
        onSubmit={() => {
          const slot = times.find((s) => s.start === selected)
          if (!slot) errors.show({ 'slot-0': t('slots.timeMissing') })
          else {
            errors.clear()
            props.onChoose(slot)
          }
        }}
      >
        {load.state === 'ready' &&
          (times.length ? (
            <Fieldset legend={formatDay(language, day, true)} error={error} errorId="slot-error">
              <div class="slots">
                {times.map((slot, index) => (
                  <div class="radio slot" key={slot.start}>
                    <input
                      type="radio"
                      id={`slot-${index}`}
                      name="slot"
                      value={slot.start}
                      checked={selected === slot.start}
                      aria-invalid={error ? 'true' : undefined}
                      onChange={() => setSelected(slot.start)}
                    />
                    <label for={`slot-${index}`}>
                      <span class="slot__time">{formatTime(language, slot.start)}</span>
                      <span class="visually-hidden">, </span>
                      <span class="slot__places">{plural(t, 'slots.places', slot.available)}</span>
                    </label>
                  </div>
                ))}
              </div>
            </Fieldset>
          ) : (
            <p class="empty-state">{t('slots.dayFull')}</p>
          ))}
        <div class="actions">
          {times.length > 0 && (
            <button type="submit" class="button">
              {t('slots.continue')}
            </button>
          )}
          <button type="button" class="button button--secondary" onClick={() => goDay(null)}>
            {t('slots.changeDay')}
          </button>
        </div>
      </Form>
    </div>
  )
}

/** Up/Down (and Left/Right), Home and End move focus between the day buttons. */
function moveBetweenDays(event: KeyboardEvent) {
  const buttons = [...(event.currentTarget as HTMLElement).querySelectorAll<HTMLButtonElement>('button.day')]
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement)
  if (at < 0) return
  const target = {
    ArrowDown: at + 1,
    ArrowRight: at + 1,
    ArrowUp: at - 1,
    ArrowLeft: at - 1,
    Home: 0,
    End: buttons.length - 1,
  }[event.key]
  if (target === undefined) return
  event.preventDefault()
  buttons[Math.max(0, Math.min(buttons.length - 1, target))]?.focus()
}
