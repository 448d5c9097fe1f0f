/**
 * `/staff/audit` (auditors): search the audit trail for a period (council days, at most 31) by actor, subject and
 * action — a DNI/NIE typed as actor or subject is turned into its pseudonym by the API — with the events in a table
 * on the council's clock and "Load more" following the `next` cursor; verify the trail of the same period (the signed
 * digests and log files, CloudTrail style) and read the outcome in words; export the period's events as an NDJSON file.
 * Every search, verification and export is itself audited by the API.
 */
import type { ComponentChildren } from 'preact'
import { useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from '../api'
import { daysBetween, formatDay, isDay, today } from '../appointments'
import { useAuth } from '../auth'
import { ErrorState } from '../components/error-state'
import { ErrorSummary, PanelForm, problemMessage, TextField, useFormErrors, validationErrors } from '../components/forms'
import { recordsLabel, useRecordsI18n, type RecordsTranslate } from '../i18n/records'
import { useAnnounce, useDocumentTitle, useFocusAfterRender } from '../page-context'
import {
  auditActionName,
  exportTrail,
  formatDateTime,
  problemCategoryName,
  purposeName,
  searchAudit,
  verifyTrail,
  type AuditEvent,
  type AuditSearch,
  type VerifyReport,
} from '../records'
import { OnlyFor, refusedStaff, useSignInFirst } from './appointment-common'

/** The longest period the API accepts, in days (both ends included). */
const MAX_DAYS = 31

const FIELD_IDS = {
  from: 'audit-from',
  to: 'audit-to',
  actor: 'audit-actor',
  subject: 'audit-subject',
  action: 'audit-action',
}

/** The optional search fields, in the order the form shows them: each narrows the search when filled in. */
const FILTERS = ['actor', 'subject', 'action'] as const
type Filter = (typeof FILTERS)[number]

type Results =
  | { state: 'none' }
  | { state: 'loading'; search: AuditSearch }
  | { state: 'error'; search: AuditSearch; error: ApiError }
  | {
      state: 'ready'
      search: AuditSearch
      items: AuditEvent[]
      next: string | null
      more: 'idle' | 'loading' | { error: ApiError }
    }

type Verify =
  | { state: 'none' }
  | { state: 'running'; from: string; to: string }
  | { state: 'done'; report: VerifyReport }
  | { state: 'error'; error: ApiError }

type Export =
  | { state: 'none' }
  | { state: 'running' }
  | { state: 'done'; filename: string }
  | { state: 'error'; error: ApiError }

export function AuditPage() {
  const { t, language } = useRecordsI18n()
  const auth = useAuth()
  const announce = useAnnounce()
  const signedIn = useSignInFirst('staff')
  const errors = useFormErrors()
  const [from, setFrom] = useState(today)
  const [to, setTo] = useState(today)
  const [filters, setFilters] = useState<Record<Filter, string>>({ actor: '', subject: '', action: '' })
  const [results, setResults] = useState<Results>({ state: 'none' })
  const [verify, setVerify] = useState<Verify>({ state: 'none' })
  const [exporting, setExporting] = useState<Export>({ state: 'none' })
  const focus = useFocusAfterRender()
  const searchId = useRef(0)
  useDocumentTitle(t('audit.title'))

  if (refusedStaff(auth, ['auditor'])) return <OnlyFor id="audit-title" title={t('audit.title')} notice={t('audit.auditorOnly')} />

  const day = (value: string) => (isDay(value) ? formatDay(language, value, true) : value)

  /** The period in the form, checked as the API would; null (and the errors shown) when it is not right. */
  function period(): { from: string; to: string } | null {
    const fields: Record<string, string> = {}
    if (!isDay(from)) fields[FIELD_IDS.from] = t('audit.dateMissing')
    if (!isDay(to)) fields[FIELD_IDS.to] = t('audit.dateMissing')
    else if (isDay(from) && to < from) fields[FIELD_IDS.to] = t('audit.toBeforeFrom')
    else if (isDay(from) && daysBetween(from, to) >= MAX_DAYS) fields[FIELD_IDS.to] = t('audit.rangeTooLong')
    if (Object.keys(fields).length) {
      errors.show(fields)
      return null
    }
    errors.clear()
    return { from, to }
  }

  /** A 422 goes on the form; anything else is for the caller to show. */
  function formProblem(error: ApiError): boolean {
    if (error.code !== 'validation_error' && error.status !== 422) return false
    const { fields, general } = validationErrors(t, error, FIELD_IDS)
    if (fields[FIELD_IDS.to] && isDay(from) && isDay(to) && daysBetween(from, to) >= MAX_DAYS) {
      fields[FIELD_IDS.to] = t('audit.rangeTooLong')
    }
    errors.show(fields, general)
    return true
  }

  async function search(query: AuditSearch) {
    const id = ++searchId.current
    setResults({ state: 'loading', search: query })
    announce(t('audit.searching'))
    try {
      const page = await searchAudit(auth.api, query)
      if (id !== searchId.current) return
      setResults({ state: 'ready', search: query, items: page.items, next: page.next, more: 'idle' })
      announce(page.items.length ? t('audit.loaded', { count: page.items.length }) : t('audit.empty'))
    } catch (caught) {
      if (id !== searchId.current) return
      const error = asApiError(caught)
      if (formProblem(error)) {
        setResults({ state: 'none' })
        return
      }
      setResults({ state: 'error', search: query, error })
      announce(`${t('audit.error')} ${problemMessage(t, error)}`)
    }
  }

  async function loadMore() {
    if (results.state !== 'ready' || !results.next || results.more === 'loading') return
    const id = searchId.current
    const shown = results.items.length
    setResults({ ...results, more: 'loading' })
    announce(t('audit.loadingMore'))
    try {
      const page = await searchAudit(auth.api, results.search, results.next)
      if (id !== searchId.current) return
      setResults((now) =>
        now.state === 'ready'
          ? { ...now, items: [...now.items, ...page.items], next: page.next, more: 'idle' }
          : now,
      )
      announce(t('audit.loadedMore', { count: page.items.length }))
      // The first new row, so that keyboard and screen-reader users carry on where the list grew.
      if (page.items.length) focus(`audit-event-${shown}`)
    } catch (caught) {
      if (id !== searchId.current) return
      setResults((now) => (now.state === 'ready' ? { ...now, more: { error: asApiError(caught) } } : now))
    }
  }

  async function runVerify() {
    if (verify.state === 'running') return
    const chosen = period()
    if (!chosen) return
    setVerify({ state: 'running', ...chosen })
    try {
      setVerify({ state: 'done', report: await verifyTrail(auth.api, chosen.from, chosen.to) })
    } catch (caught) {
      const error = asApiError(caught)
      if (formProblem(error)) setVerify({ state: 'none' })
      else setVerify({ state: 'error', error })
    }
  }

  async function runExport() {
    if (exporting.state === 'running') return
    const chosen = period()
    if (!chosen) return
    setExporting({ state: 'running' })
    try {
      setExporting({ state: 'done', filename: await exportTrail(auth.api, chosen.from, chosen.to) })
    } catch (caught) {
      const error = asApiError(caught)
      if (formProblem(error)) setExporting({ state: 'none' })
      else setExporting({ state: 'error', error })
    }
  }

  const periodText = t('audit.usesPeriod', { from: day(from), to: day(to) })
  const dates = [
    ['from', from, setFrom],
    ['to', to, setTo],
  ] as const
  return (
    <>
      <h1 tabIndex={-1} id="audit-title">
        {t('audit.title')}
      </h1>
      <p class="lead">{t('audit.intro')}</p>
      <ErrorSummary id="audit-errors" errors={errors.summary} focusKey={errors.key} />
      <PanelForm
        formId="audit-search"
        title={t('audit.searchTitle')}
        submitLabel={t('audit.search')}
        pending={results.state === 'loading'}
        onSubmit={() => {
          if (!signedIn) return
          const chosen = period()
          if (!chosen) return
          void search({
            ...chosen,
            actor: filters.actor.trim(),
            subject: filters.subject.trim(),
            action: filters.action.trim(),
          })
        }}
      >
        <p class="field__hint" id="audit-period-hint">
          {t('audit.periodHint')}
        </p>
        <div class="records-controls">
          {dates.map(([name, value, onValue]) => (
            <TextField
              key={name}
              id={FIELD_IDS[name]}
              name={name}
              type="date"
              label={t(`audit.${name}`)}
              inputClass="input--date"
              error={errors.fields[FIELD_IDS[name]]}
              value={value}
              onValue={onValue}
            />
          ))}
        </div>
        {FILTERS.map((name) => (
          <TextField
            key={name}
            id={FIELD_IDS[name]}
            name={name}
            type="text"
            label={t(`audit.${name}`)}
            hint={t(`audit.${name}Hint`)}
            error={errors.fields[FIELD_IDS[name]]}
            value={filters[name]}
            onValue={(value) => setFilters((now) => ({ ...now, [name]: value }))}
            autoCapitalize="none"
            spellcheck={false}
          />
        ))}
      </PanelForm>

      <div aria-busy={results.state === 'loading' ? 'true' : 'false'}>
        {results.state === 'loading' && <p class="status-message">{t('audit.searching')}</p>}
        {results.state === 'error' && (
          <ErrorState message={t('audit.error')} error={results.error} onRetry={() => void search(results.search)} />
        )}
        {results.state === 'ready' && results.items.length === 0 && (
          <p class="empty-state" id="audit-empty">
            {t('audit.empty')}
          </p>
        )}
        {results.state === 'ready' && results.items.length > 0 && (
          <>
            <div class="table-wrap" role="region" aria-labelledby="audit-caption" tabIndex={0}>
              <table id="audit-results" data-testid="audit-results" class="records-table">
                <caption id="audit-caption">
                  {t('audit.caption', { from: day(results.search.from), to: day(results.search.to) })}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">{t('audit.col.time')}</th>
                    <th scope="col">{t('audit.col.actor')}</th>
                    <th scope="col">{t('audit.col.role')}</th>
                    <th scope="col">{t('audit.col.action')}</th>
                    <th scope="col">{t('audit.col.subject')}</th>
                    <th scope="col">{t('audit.col.outcome')}</th>
                    <th scope="col">{t('audit.col.purpose')}</th>
                  </tr>
                </thead>
                <tbody>
                  {results.items.map((e, index) => (
                    <tr key={`${e.id}-${index}`} data-id={e.id}>
                      <th scope="row" id={`audit-event-${index}`} tabIndex={-1}>
                        <time dateTime={e.at}>{formatDateTime(language, e.at, true)}</time>
                      </th>
                      <td class="break">{e.actor}</td>
                      <td>{roleNames(t, e.role)}</td>
                      <td class="break">
                        {auditActionName(t, e.action)}
                        {/* The code too: it is what the search's action field takes. */}
                        <br />
                        <code>{e.action}</code>
                      </td>
                      <td class="break">{e.subject}</td>
                      <td>{recordsLabel(t, `audit.outcome.${e.outcome}`, e.outcome)}</td>
                      <td>{purposeName(t, e.purpose) ?? t('audit.noPurpose')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <p id="audit-shown">{t('audit.shown', { count: results.items.length })}</p>
            {results.next && (
              <div class="actions">
                <button
                  type="button"
                  id="audit-more"
                  class="button button--secondary"
                  aria-describedby="audit-shown"
                  aria-disabled={results.more === 'loading' ? 'true' : undefined}
                  onClick={() => void loadMore()}
                >
                  {results.more === 'loading' ? t('audit.loadingMore') : t('audit.loadMore')}
                </button>
              </div>
            )}
            <div aria-live="polite">
              {typeof results.more === 'object' && (
                <p class="field__error" id="audit-more-error">
                  {t('audit.error')} {problemMessage(t, results.more.error)}
                </p>
              )}
            </div>
          </>
        )}
      </div>

      <PeriodPanel kind="verify" period={periodText} running={verify.state === 'running'} onRun={runVerify}>
        <div id="verify-result" data-testid="verify-result" aria-live="polite">
          <VerifyOutcome verify={verify} day={day} />
        </div>
      </PeriodPanel>

      <PeriodPanel kind="export" period={periodText} running={exporting.state === 'running'} onRun={runExport}>
        <div id="export-status" aria-live="polite">
          {exporting.state === 'running' && <p class="status-message">{t('audit.exporting')}</p>}
          {exporting.state === 'done' && <p class="notice">{t('audit.exported', { filename: exporting.filename })}</p>}
          {exporting.state === 'error' && (
            <p class="field__error">
              {t('audit.exportError')} {problemMessage(t, exporting.error)}
            </p>
          )}
        </div>
      </PeriodPanel>
      <p class="field__hint">{t('slots.zone')}</p>
    </>
  )
}

/**
 * A panel acting on the period of the search form, verifying the trail or exporting it: what it does, the period it
 * uses (its button refers to it) and the button (export is the secondary action); `children` shows how it went.
 */
function PeriodPanel(props: {
  kind: 'verify' | 'export'
  period: string
  running: boolean
  onRun: () => Promise<void>
  children: ComponentChildren
}) {
  const { t } = useRecordsI18n()
  const { kind } = props
  return (
    <section class="panel" aria-labelledby={`${kind}-title`}>
      <h2 id={`${kind}-title`}>{t(`audit.${kind}Title`)}</h2>
      <p>{t(`audit.${kind}Text`)}</p>
      <p class="field__hint" id={`${kind}-period`}>
        {props.period}
      </p>
      <div class="actions">
        <button
          type="button"
          id={`${kind}-trail`}
          class={kind === 'export' ? 'button button--secondary' : 'button'}
          aria-describedby={`${kind}-period`}
          aria-disabled={props.running ? 'true' : undefined}
          onClick={() => void props.onRun()}
        >
          {t(`audit.${kind}`)}
        </button>
      </div>
      {props.children}
    </section>
  )
}

function roleNames(t: RecordsTranslate, role: string): string {
  return role
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => recordsLabel(t, `role.${r}`, r))
    .join(', ')
}

/** While it runs: a progress indication; then the summary in words, and each problem with the object it is about. */
function VerifyOutcome(props: { verify: Verify; day: (value: string) => string }) {
  const { t, language } = useRecordsI18n()
  const { verify, day } = props
  if (verify.state === 'running') {
    return (
      <div class="status-message verify-progress">
        <progress aria-labelledby="verify-progress-text" />
        <p id="verify-progress-text">{t('audit.verifying', { from: day(verify.from), to: day(verify.to) })}</p>
      </div>
    )
  }
  if (verify.state === 'error') {
    return (
      <div class="error-state">
        <p class="error-title">{t('audit.verifyError')}</p>
        <p>{problemMessage(t, verify.error)}</p>
      </div>
    )
  }
  if (verify.state !== 'done') return null
  const r = verify.report
  const counts = { digests: r.digests, logFiles: r.log_files, events: r.events }
  const when = r.verified_at ? formatDateTime(language, r.verified_at, true) : ''
  const ok = r.ok && r.problems.length === 0
  return (
    <div class={ok ? 'verify-summary verify-summary--ok' : 'verify-summary verify-summary--problems'}>
      <p class="verify-summary__title" id="verify-summary">
        {ok
          ? t('audit.verifyOk', counts)
          : r.problems.length
            ? t('audit.verifyProblems', { count: r.problems.length, ...counts })
            : t('audit.verifyNotOk')}
      </p>
      {r.problems.length > 0 && (
        <ul class="verify-problems" aria-labelledby="verify-summary">
          {r.problems.map((p, index) => (
            <li key={index} data-category={p.category}>
              <strong>{problemCategoryName(t, p.category)}</strong>
              {p.key && (
                <>
                  <br />
                  {t('audit.problemObject')} <code class="break">{p.bucket ? `${p.bucket}/${p.key}` : p.key}</code>
                </>
              )}
              {p.detail && (
                <>
                  <br />
                  {t('audit.problemDetail')} {p.detail}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {(r.from || when) && (
        <p class="field__hint">
          {t('audit.verifyPeriod', { from: day(r.from.slice(0, 10)), to: day(r.to.slice(0, 10)), time: when })}
        </p>
      )}
    </div>
  )
}
