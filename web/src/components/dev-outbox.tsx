/**
 * Development stage only: the latest messages the service "sent" (to `to`, or all), so that someone trying the
 * service locally can read their code. The first showing probes `GET /api/dev/outbox`; where it answers 404 (every
 * other stage) nothing renders, then or later.
 */
import { useRef } from 'preact/hooks'
import type { OutboxMessage } from '../api'
import { useAuth } from '../auth'
import { useI18n } from '../i18n/context'
import { useAnnounce } from '../page-context'
import { useResource, type Resource } from '../resource'

const SHOWN = 5

type State = { state: 'hidden' } | { state: 'loading' | 'ready' | 'error'; items: OutboxMessage[] }

/** Hidden until the outbox answers (and for good where it is absent); a failure to ask again shows, with what was there. */
function outboxView(load: Resource<OutboxMessage[] | null>): State {
  if (load.state === 'error') return { state: 'error', items: load.value ?? [] }
  if (!load.value) return { state: 'hidden' }
  return { state: load.state, items: load.value }
}

export function DevOutbox(props: { to?: string; version: number }) {
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const announceResult = useRef(false)
  // `t` and `announce` change with the language only: not a reason to ask again.
  const { load, reload } = useResource(() => api.devOutbox(props.to), [api, props.to, props.version], {
    keep: true,
    onReady: (items) => {
      if (items && announceResult.current) announce(t('dev.loaded', { count: Math.min(items.length, SHOWN) }))
      announceResult.current = false
    },
  })
  const view = outboxView(load)

  if (view.state === 'hidden') return null
  const time = new Intl.DateTimeFormat(language, { dateStyle: 'short', timeStyle: 'medium' })
  const items = view.items.slice(0, SHOWN)
  return (
    <section
      id="dev-outbox"
      class="dev-outbox"
      aria-labelledby="dev-outbox-title"
      aria-busy={view.state === 'loading' ? 'true' : 'false'}
    >
      <h2 id="dev-outbox-title" class="dev-outbox__title">
        {t('dev.title')}
      </h2>
      <p class="dev-outbox__note">{t('dev.note')}</p>
      {view.state === 'error' && <p class="field__error">{t('dev.error')}</p>}
      {items.length === 0 ? (
        <p>{t('dev.empty')}</p>
      ) : (
        <ul class="dev-outbox__list">
          {items.map((message, index) => (
            <li key={`${message.sent_at}-${index}`}>
              <p class="dev-outbox__meta">
                {t('dev.to', { to: message.to })}
                {formatTime(time, message.sent_at) && <> · {formatTime(time, message.sent_at)}</>}
              </p>
              {message.subject && <p class="dev-outbox__subject">{message.subject}</p>}
              <p class="dev-outbox__body">{message.body}</p>
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        class="button button--secondary"
        onClick={() => {
          announceResult.current = true
          reload()
        }}
      >
        {t('dev.refresh')}
      </button>
    </section>
  )
}

function formatTime(format: Intl.DateTimeFormat, value: string): string {
  const at = Date.parse(value)
  return Number.isNaN(at) ? '' : format.format(at)
}
