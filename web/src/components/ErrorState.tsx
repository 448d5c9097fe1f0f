/** A failed request: what failed, what to do, the API's own explanation when it gave one, and a Retry button. */
import { useI18n } from '../i18n/context'
import type { ApiError } from '../services'

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
