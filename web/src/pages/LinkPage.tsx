/** `/l#token=…`: the one-tap links our messages carry (filled in next). */
import { useAdminI18n } from '../i18n/admin'

export function LinkPage() {
  const { t } = useAdminI18n()
  return (
    <h1 tabIndex={-1} id="link-title">
      {t('link.title')}
    </h1>
  )
}
