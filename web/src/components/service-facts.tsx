/** What both the service page and the booking summary say about a service: where, how long, and what to bring. */
import { useI18n } from '../i18n/context'
import { useOfficeName } from '../page-context'
import type { Service } from '../services'
import { Localized } from './localized'

/** The office and the length of the appointment, as rows of the page's `dl.facts`. */
export function OfficeAndDuration({ service }: { service: Service }) {
  const officeName = useOfficeName()
  const { t } = useI18n()
  return (
    <>
      <div>
        <dt>{t('detail.office')}</dt>
        <dd>{officeName(service.office)}</dd>
      </div>
      <div>
        <dt>{t('service.durationLabel')}</dt>
        <dd>{t('service.duration', { minutes: service.duration_minutes })}</dd>
      </div>
    </>
  )
}

/** The documents to have ready, under a heading of the level where it stands in the page (or that there are none). */
export function RequiredDocuments({ service, heading: Heading }: { service: Service; heading: 'h2' | 'h3' }) {
  const { t } = useI18n()
  return (
    <>
      <Heading>{t('detail.documents')}</Heading>
      {service.required_documents.length ? (
        <ul class="documents">
          {service.required_documents.map((document, index) => (
            <Localized key={index} as="li" text={document} />
          ))}
        </ul>
      ) : (
        <p>{t('detail.noDocuments')}</p>
      )}
    </>
  )
}
