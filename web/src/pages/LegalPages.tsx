/**
 * The council's duties towards everyone who uses the service, each a page linked from every page's footer:
 * `/accessibility` — the accessibility statement on the EU model (Implementing Decision (EU) 2018/1523, RD 1112/2018
 * art. 15: compliance status, non-accessible content, preparation and review dates, feedback, enforcement);
 * `/privacy` — the privacy notice (GDPR arts. 13–14: controller, DPO, purposes and legal bases, retention per
 * procedure as `GET /retention` gives it, recipients, rights, the APDCAT); `/legal-notice` — the owner's details
 * (LSSI art. 10) and terms of use.
 *
 * Their texts are long and read rarely: this module is a lazy chunk, and each language's texts a chunk of their own.
 */
import type { ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { formatDay } from '../appointments'
import { COUNCIL } from '../council'
import { byLanguage, localize, type Language, type MessageKey, type Params } from '../i18n'
import { useI18n } from '../i18n/context'
import type legalCa from '../i18n/legal/ca.json'
import { useDocumentTitle, useServices } from '../page-context'
import { formatPeriod, useRetention } from '../retention'
import { Link, PRIVACY_PATH, VERIFY_PATH } from '../router'

export type LegalKey = keyof typeof legalCa
type LegalTexts = Record<LegalKey, string>

// `legal/<code>.json` for every language, found by name.
const LOADERS = byLanguage(import.meta.glob<LegalTexts>('../i18n/legal/*.json', { import: 'default' }))
const cache: Partial<Record<Language, LegalTexts>> = {}

/** The legal texts in the page's language (null until they come), with the council's details filled in. */
function useLegal(): ((key: LegalKey, params?: Params) => string) | null {
  const { language } = useI18n()
  const [texts, setTexts] = useState<LegalTexts | null>(cache[language] ?? null)
  useEffect(() => {
    let live = true
    const load = LOADERS[language]
    if (cache[language]) setTexts(cache[language] ?? null)
    else if (load)
      load().then(
        (loaded) => {
          cache[language] = loaded
          if (live) setTexts(loaded)
        },
        () => undefined,
      )
    return () => {
      live = false
    }
  }, [language])
  if (!texts) return null
  const council: Params = {
    council: localize(COUNCIL.name, language).text,
    taxId: COUNCIL.taxId,
    address: COUNCIL.address,
    email: COUNCIL.email,
    phone: COUNCIL.helpPhone.display,
    dpoEmail: COUNCIL.dpoEmail,
    eOffice: COUNCIL.eOffice,
  }
  return (key, params) => {
    const all: Params = { ...council, ...params }
    return texts[key].replace(/\{(\w+)\}/g, (placeholder, name: string) =>
      name in all ? String(all[name]) : placeholder,
    )
  }
}

function LegalPage(props: {
  title: MessageKey
  children: (legal: (key: LegalKey, params?: Params) => string) => ComponentChildren
}) {
  const { t } = useI18n()
  const legal = useLegal()
  useDocumentTitle(t(props.title))
  return (
    <article class="legal">
      <h1 tabIndex={-1} id="legal-title">
        {t(props.title)}
      </h1>
      {legal ? props.children(legal) : <p class="status-message">{t('page.loading')}</p>}
    </article>
  )
}

function Section(props: { title: string; children: ComponentChildren }) {
  return (
    <section>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  )
}

export function AccessibilityPage() {
  const { language } = useI18n()
  const date = (iso: string) => formatDay(language, iso, true)
  const { accessibility } = COUNCIL
  return (
    <LegalPage title="footer.accessibility">
      {(legal) => (
        <>
          <p>{legal('a11y.intro')}</p>
          <p>{legal('a11y.scope', { site: window.location.origin })}</p>
          <Section title={legal('a11y.statusTitle')}>
            <p id="a11y-status">{legal('a11y.status')}</p>
          </Section>
          <Section title={legal('a11y.nonAccessibleTitle')}>
            <h3>{legal('a11y.nonComplianceTitle')}</h3>
            <ul>
              <li>{legal('a11y.nonCompliance.captions')}</li>
              <li>{legal('a11y.nonCompliance.playback')}</li>
            </ul>
            <h3>{legal('a11y.burdenTitle')}</h3>
            <p>{legal('a11y.burden')}</p>
            <h3>{legal('a11y.outOfScopeTitle')}</h3>
            <p>{legal('a11y.outOfScope')}</p>
          </Section>
          <Section title={legal('a11y.preparationTitle')}>
            <p>
              {legal('a11y.preparation', {
                prepared: date(accessibility.prepared),
                reviewed: date(accessibility.reviewed),
              })}
            </p>
            <p id="a11y-review">{legal('a11y.review', { nextReview: date(accessibility.nextReview) })}</p>
          </Section>
          <Section title={legal('a11y.feedbackTitle')}>
            <p>{legal('a11y.feedback', { email: COUNCIL.accessibilityEmail })}</p>
          </Section>
          <Section title={legal('a11y.enforcementTitle')}>
            <p>{legal('a11y.enforcement')}</p>
          </Section>
        </>
      )}
    </LegalPage>
  )
}

export function PrivacyPage() {
  return <LegalPage title="footer.privacy">{(legal) => <PrivacyText legal={legal} />}</LegalPage>
}

const PURPOSES = ['booking', 'identity', 'call', 'procedure', 'security'] as const

function PrivacyText({ legal }: { legal: (key: LegalKey, params?: Params) => string }) {
  return (
    <>
      <p>{legal('privacy.intro')}</p>
      <Section title={legal('privacy.controllerTitle')}>
        <p>{legal('privacy.controller')}</p>
      </Section>
      <Section title={legal('privacy.dpoTitle')}>
        <p>{legal('privacy.dpo')}</p>
      </Section>
      <Section title={legal('privacy.purposesTitle')}>
        <dl class="legal-purposes">
          {PURPOSES.map((purpose) => (
            <div key={purpose}>
              <dt>{legal(`privacy.purpose.${purpose}`)}</dt>
              <dd>
                <span class="legal-purposes__basis">{legal('privacy.basis')}: </span>
                {legal(`privacy.basis.${purpose}`)}
              </dd>
            </div>
          ))}
        </dl>
      </Section>
      <Section title={legal('privacy.retentionTitle')}>
        <p>{legal('privacy.retentionIntro')}</p>
        <RetentionTable legal={legal} />
      </Section>
      <Section title={legal('privacy.recipientsTitle')}>
        <p>{legal('privacy.recipients')}</p>
      </Section>
      <Section title={legal('privacy.rightsTitle')}>
        <p>{legal('privacy.rights')}</p>
      </Section>
      <Section title={legal('privacy.complaintTitle')}>
        <p>{legal('privacy.complaint')}</p>
      </Section>
    </>
  )
}

/** Per procedure, how long its call's recording and its documents are kept: from `GET /retention`, never from here. */
function RetentionTable({ legal }: { legal: (key: LegalKey, params?: Params) => string }) {
  const { t, language } = useI18n()
  const retention = useRetention()
  const { load } = useServices()
  const [waited, setWaited] = useState(false)
  useEffect(() => {
    const timer = window.setTimeout(() => setWaited(true), 8000)
    return () => window.clearTimeout(timer)
  }, [])
  if (!retention) {
    return <p class="status-message">{legal(waited ? 'privacy.retentionUnknown' : 'privacy.retentionLoading')}</p>
  }
  const services = load.state === 'ready' ? load.value : []
  const name = (id: string) => {
    const service = services.find((s) => s.id === id)
    return service ? localize(service.name, language).text : id
  }
  return (
    <>
      <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="retention-caption">
        <table id="retention-table">
          <caption id="retention-caption">{legal('privacy.retentionTitle')}</caption>
          <thead>
            <tr>
              <th scope="col">{legal('privacy.retentionService')}</th>
              <th scope="col">{legal('privacy.retentionRecording')}</th>
              <th scope="col">{legal('privacy.retentionDocuments')}</th>
            </tr>
          </thead>
          <tbody>
            {retention.services.map((service) => (
              <tr key={service.service_id} data-service={service.service_id}>
                <th scope="row">{name(service.service_id)}</th>
                <td>{formatPeriod(service.recording, t, language)}</td>
                <td>{formatPeriod(service.documents, t, language)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p id="retention-default">
        {legal('privacy.retentionDefault', { period: formatPeriod(retention.recording_default, t, language) })}
      </p>
    </>
  )
}

export function LegalNoticePage() {
  const { t } = useI18n()
  return (
    <LegalPage title="footer.legalNotice">
      {(legal) => (
        <>
          <Section title={legal('notice.ownerTitle')}>
            <p>{legal('notice.owner')}</p>
          </Section>
          <Section title={legal('notice.purposeTitle')}>
            <p>{legal('notice.purpose')}</p>
          </Section>
          <Section title={legal('notice.useTitle')}>
            <p>{legal('notice.use')}</p>
          </Section>
          <Section title={legal('notice.ipTitle')}>
            <p>{legal('notice.ip')}</p>
          </Section>
          <Section title={legal('notice.liabilityTitle')}>
            <p>
              {legal('notice.liability')} <Link href={VERIFY_PATH}>{t('verify.title')}</Link>
            </p>
          </Section>
          <Section title={legal('notice.lawTitle')}>
            <p>{legal('notice.law')}</p>
            <p>
              <Link href={PRIVACY_PATH}>{t('footer.privacy')}</Link>
            </p>
          </Section>
        </>
      )}
    </LegalPage>
  )
}
