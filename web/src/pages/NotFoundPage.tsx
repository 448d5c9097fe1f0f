/** Any address the app does not know. */
import { useI18n } from '../i18n/context'
import { useDocumentTitle } from '../page-context'
import { CATALOGUE_PATH, Link } from '../router'

export function NotFoundPage() {
  const { t } = useI18n()
  useDocumentTitle(t('notFound.title'))
  return (
    <>
      <h1 tabIndex={-1}>{t('notFound.title')}</h1>
      <p>{t('notFound.text')}</p>
      <p>
        <Link href={CATALOGUE_PATH}>{t('notFound.back')}</Link>
      </p>
    </>
  )
}
