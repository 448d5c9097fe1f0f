/** `/services/:id`: one service of the catalogue, with what the citizen must have ready. */
import { useRef } from 'preact/hooks'
import { LoadStatus } from '../components/error-state'
import { Localized } from '../components/localized'
import { OfficeAndDuration, RequiredDocuments } from '../components/service-facts'
import { localize } from '../i18n'
import { useI18n } from '../i18n/context'
import { assuranceName, codeIsEnough, identifyHow } from '../offices'
import { useAnnounced, useDocumentTitle, useServices } from '../page-context'
import { bookPath, CATALOGUE_PATH, Link } from '../router'
import type { Service } from '../services'

export function ServicePage(props: { id: string }) {
  const { t, language } = useI18n()
  const { load, reload } = useServices(useAnnounced({ loading: t('detail.loading'), error: t('detail.error') }))
  const heading = useRef<HTMLHeadingElement>(null)
  const service = load.state === 'ready' ? load.value.find((s) => s.id === props.id) : undefined
  const notFound = load.state === 'ready' && !service
  const name = service ? localize(service.name, language) : null

  useDocumentTitle(name ? name.text : notFound ? t('detail.notFound') : t('detail.title'))

  return (
    <>
      {/* One h1 element throughout, so focus placed on it at navigation survives the data arriving. */}
      <h1 tabIndex={-1} ref={heading} lang={name && name.language !== language ? name.language : undefined}>
        {name ? name.text : notFound ? t('detail.notFound') : t('detail.title')}
      </h1>
      <div class="service-detail" aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        <LoadStatus
          load={load}
          loading={t('detail.loading')}
          error={t('detail.error')}
          onRetry={() => {
            heading.current?.focus()
            reload()
          }}
        />
        {notFound && <p>{t('detail.notFoundText')}</p>}
        {service && <ServiceDetails service={service} />}
      </div>
      <p class="back">
        <Link href={CATALOGUE_PATH}>{t('detail.back')}</Link>
      </p>
    </>
  )
}

function ServiceDetails({ service }: { service: Service }) {
  const { t } = useI18n()
  return (
    <>
      <Localized as="p" class="lead service-description" text={service.description} />
      {!codeIsEnough(service.min_assurance) && (
        <p class="note" id="identify-note">
          {identifyHow(t, service.min_assurance)}
        </p>
      )}
      <p>
        <Link id="book-appointment" class="button" href={bookPath(service.id)}>
          {t('book.title')}
        </Link>
      </p>
      <dl class="facts">
        <OfficeAndDuration service={service} />
        <div>
          <dt>{t('detail.assurance')}</dt>
          <dd id="identify-how">
            {codeIsEnough(service.min_assurance)
              ? identifyHow(t, service.min_assurance)
              : assuranceName(t, service.min_assurance)}
          </dd>
        </div>
      </dl>
      <RequiredDocuments service={service} heading="h2" />
    </>
  )
}
