/** `/`: every service, grouped by office, with loading, empty and error states. */
import { useRef } from 'preact/hooks'
import { LoadStatus } from '../components/error-state'
import { Localized } from '../components/localized'
import { localize } from '../i18n'
import { useI18n } from '../i18n/context'
import { groupByOffice } from '../offices'
import { useAnnounced, useDocumentTitle, useOffices, useServices } from '../page-context'
import type { Resource } from '../resource'
import { Link, servicePath } from '../router'
import type { Office, Service } from '../services'

export function CataloguePage() {
  const { t } = useI18n()
  // Said once, by the services' options: the offices only add their failure.
  const offices = useOffices({ onError: useAnnounced({ loading: '', error: t('catalogue.error') }).onError })
  const services = useServices(
    useAnnounced({
      loading: t('catalogue.loading'),
      error: t('catalogue.error'),
      ready: (services) => (services.length ? t('catalogue.loaded', { count: services.length }) : t('catalogue.empty')),
    }),
  )
  // The page needs both lists (the services, and the offices they are grouped under): loading until both have come,
  // the first failure with Retry asking again what failed.
  const load = both(services.load, offices.load)
  const reload = () => {
    if (services.load.state === 'error') services.reload()
    if (offices.load.state === 'error') offices.reload()
  }
  const heading = useRef<HTMLHeadingElement>(null)
  useDocumentTitle(t('catalogue.title'))

  return (
    <>
      <h1 tabIndex={-1} ref={heading}>
        {t('catalogue.title')}
      </h1>
      <p class="lead">{t('catalogue.intro')}</p>
      <div class="catalogue" aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        <LoadStatus
          load={load}
          loading={t('catalogue.loading')}
          error={t('catalogue.error')}
          onRetry={() => {
            // The Retry button is about to disappear: give focus a stable place rather than losing it to <body>.
            heading.current?.focus()
            reload()
          }}
        />
        {load.state === 'ready' && load.value.services.length === 0 && <p class="empty-state">{t('catalogue.empty')}</p>}
        {load.state === 'ready' &&
          groupByOffice(load.value.services, load.value.offices).map((group) => (
            <section key={group.office} class="office" data-office={group.office} aria-labelledby={`office-${group.office}`}>
              <h2 id={`office-${group.office}`}>
                <OfficeHeading offices={load.value.offices} office={group.office} />
              </h2>
              <ul class="service-list">
                {group.services.map((service) => (
                  <ServiceCard key={service.id} service={service} />
                ))}
              </ul>
            </section>
          ))}
      </div>
    </>
  )
}

/** A service as the catalogue shows it; `preview`: the admin's live preview, whose "See details" goes nowhere. */
export function ServiceCard({ service, preview }: { service: Service; preview?: boolean }) {
  const { t, language } = useI18n()
  return (
    <li class="service-card" data-service-id={service.id}>
      <Localized as="h3" class="service-name" text={service.name} />
      <Localized as="p" class="service-description" text={service.description} />
      <p class="service-duration">
        {t('service.durationLabel')}: {t('service.duration', { minutes: service.duration_minutes })}
      </p>
      {preview ? (
        <span class="service-link">{t('service.details')}</span>
      ) : (
        <Link class="service-link" href={servicePath(service.id)}>
          {t('service.details')}
          {/* Ten "See details" links read alike out of context: the name tells them apart. */}
          <span class="visually-hidden">: {localize(service.name, language).text}</span>
        </Link>
      )}
    </li>
  )
}

/** The office's name in the page's language, else in one it has (marked with its `lang`), else its code. */
function OfficeHeading(props: { offices: Office[]; office: string }) {
  const found = props.offices.find((o) => o.id === props.office)
  return found ? <Localized as="span" text={found.name} /> : <>{props.office}</>
}

function both<A, B>(a: Resource<A>, b: Resource<B>): Resource<{ services: A; offices: B }> {
  if (a.state === 'error') return { state: 'error', error: a.error }
  if (b.state === 'error') return { state: 'error', error: b.error }
  if (a.state === 'ready' && b.state === 'ready') return { state: 'ready', value: { services: a.value, offices: b.value } }
  return { state: 'loading' }
}
