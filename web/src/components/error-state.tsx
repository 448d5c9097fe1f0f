/**
 * What a page shows while what it asked for is not there: the loading line, or the failure — what failed, what to do,
 * the API's own explanation when it gave one (a 503 says until when, for instance) — with a Retry button.
 */
import type { ApiError } from '../api'
import { useI18n } from '../i18n/context'

export function ErrorState(props: { message: string; error: ApiError; onRetry: () => void }) {
  const { t } = useI18n()
  const explanation = props.error.detail ?? props.error.title
  return (
    <div class="error-state">
      <h2 class="error-title">{props.message}</h2>
      <p>{t('error.hint')}</p>
      {explanation && <p class="error-detail">{t('error.detail', { detail: explanation })}</p>}
      <button type="button" class="button" onClick={props.onRetry}>
        {t('error.retry')}
      </button>
    </div>
  )
}

/**
 * The loading line, or the failure with Retry, of what a page asked for (nothing once it is there). `explained`: a
 * failure the page says in its own words instead (not found, a higher sign-in level needed).
 */
export function LoadStatus(props: {
  load: { state: 'loading' | 'ready' } | { state: 'error'; error: ApiError }
  loading: string
  error: string
  onRetry: () => void
  explained?: (error: ApiError) => boolean
}) {
  const { load } = props
  if (load.state === 'loading') return <p class="status-message">{props.loading}</p>
  if (load.state === 'error' && !props.explained?.(load.error)) {
    return <ErrorState message={props.error} error={load.error} onRetry={props.onRetry} />
  }
  return null
}
