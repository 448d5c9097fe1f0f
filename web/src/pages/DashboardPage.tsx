/**
 * `/staff/dashboard` (supervisors, admins): the figures a supervisor is accountable for, for a period of council days
 * and one office or all — appointments by outcome, waiting and call times, documents issued, recordings that failed.
 * Figure cards first; then each chart as an SVG image with a title and a description, with the same data in a table
 * beside it (the table is the reference; the chart a picture of it); and the figures as a CSV file.
 */
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { downloadStats, fetchStats, type ServiceFigures, type Stats } from '../admin'
import { asApiError, type ApiError } from '../api'
import { daysBetween, formatDay, isDay, today } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { ErrorSummary, PanelForm, TextField, useFormErrors } from '../components/forms'
import { useAdminI18n, type AdminTranslate } from '../i18n/admin'
import { useAnnounced, useDocumentTitle, useOfficeName, useOffices } from '../page-context'
import { useResource } from '../resource'
import { Link, REBOOKING_PATH } from '../router'
import { OnlyFor, refusedStaff, staffRoles, SUPERVISORS, useServiceName, useSignInFirst } from './appointment-common'
import { adminProblem } from './admin/common'
import { ColumnHeads, OfficeFilter, RecordsTable } from './admin/lists'

/** The longest period the API accepts, in days (both ends included). */
const MAX_DAYS = 92
const COUNTS = ['booked', 'completed', 'incomplete', 'no_show', 'cancelled'] as const
const CARDS = [...COUNTS, 'documents_issued', 'recordings_failed'] as const

type Query = { from: string; to: string; office: string }

export function DashboardPage() {
  const { t, language } = useAdminI18n()
  const auth = useAuth()
  useSignInFirst('staff')
  const errors = useFormErrors()
  const { load: offices } = useOffices()
  const officeName = useOfficeName()
  const first = today()
  const [from, setFrom] = useState(`${first.slice(0, 8)}01`)
  const [to, setTo] = useState(first)
  const [office, setOffice] = useState('')
  const [query, setQuery] = useState<Query>({ from: `${first.slice(0, 8)}01`, to: first, office: '' })
  const [csv, setCsv] = useState<'idle' | 'busy' | { error: ApiError } | { file: string }>('idle')
  const allowed = staffRoles(auth).some((r) => SUPERVISORS.includes(r))
  useDocumentTitle(t('dash.title'))
  const { load, reload } = useResource(
    auth.session && allowed ? () => fetchStats(auth.api, query.from, query.to, query.office) : null,
    [query.from, query.to, query.office],
    useAnnounced({ loading: t('dash.loading'), error: t('dash.loadFailed'), ready: () => t('dash.loaded') }),
  )

  if (refusedStaff(auth, SUPERVISORS)) return <OnlyFor id="dashboard-title" title={t('dash.title')} notice={t('dash.supervisorOnly')} />

  const day = (value: string) => formatDay(language, value, true)
  const check = (): Query | null => {
    const fields: Record<string, string> = {}
    if (!isDay(from)) fields['dash-from'] = t('dash.dateMissing')
    if (!isDay(to)) fields['dash-to'] = t('dash.dateMissing')
    else if (isDay(from) && to < from) fields['dash-to'] = t('dash.toBeforeFrom')
    else if (isDay(from) && daysBetween(from, to) >= MAX_DAYS) fields['dash-to'] = t('dash.tooLong', { days: MAX_DAYS })
    if (Object.keys(fields).length) {
      errors.show(fields)
      return null
    }
    errors.clear()
    return { from, to, office }
  }

  const download = async () => {
    if (csv === 'busy') return
    const chosen = check()
    if (!chosen) return
    setCsv('busy')
    try {
      setCsv({ file: await downloadStats(auth.api, chosen.from, chosen.to, chosen.office) })
    } catch (caught) {
      setCsv({ error: asApiError(caught) })
    }
  }

  const stats = load.value
  const rows = stats ? stats.offices.flatMap((o) => o.services.map((s) => ({ office: o.office, ...s }))) : []
  const totals = Object.fromEntries(CARDS.map((key) => [key, rows.reduce((sum, r) => sum + (r[key] ?? 0), 0)])) as Record<
    (typeof CARDS)[number],
    number
  >

  return (
    <>
      <h1 tabIndex={-1} id="dashboard-title">
        {t('dash.title')}
      </h1>
      <p class="lead">{t('dash.intro')}</p>
      <p>
        <Link id="dash-rebooking" href={REBOOKING_PATH}>
          {t('rebooking.title')}
        </Link>
      </p>
      <ErrorSummary id="dash-errors" errors={errors.summary} focusKey={errors.key} />
      <PanelForm
        formId="dash-form"
        title={t('dash.period')}
        submitLabel={t('dash.show')}
        pending={load.state === 'loading'}
        onSubmit={() => {
          const chosen = check()
          if (!chosen) return
          if (chosen.from === query.from && chosen.to === query.to && chosen.office === query.office) reload()
          else setQuery(chosen)
        }}
      >
        <div class="records-controls">
          <TextField id="dash-from" type="date" inputClass="input--date" label={t('dash.from')} error={errors.fields['dash-from']} value={from} onValue={setFrom} />
          <TextField id="dash-to" type="date" inputClass="input--date" label={t('dash.to')} error={errors.fields['dash-to']} value={to} onValue={setTo} />
          <OfficeFilter id="dash-office" label={t('dash.office')} offices={offices.value ?? []} value={office} onValue={setOffice} />
        </div>
      </PanelForm>

      <div aria-busy={load.state === 'loading' ? 'true' : 'false'}>
        <LoadStatus load={load} loading={t('dash.loading')} error={t('dash.loadFailed')} onRetry={reload} />
        {stats && load.state === 'ready' && (
          <>
            <h2 id="dash-figures-title">
              {t('dash.figures', {
                from: day(stats.from),
                to: day(stats.to),
                office: query.office ? officeName(query.office) : t('admin.allOffices'),
              })}
            </h2>
            <ul class="figure-cards" aria-labelledby="dash-figures-title">
              {CARDS.map((key) => (
                <li key={key} class="figure-card" data-figure={key}>
                  <span class="figure-card__value">{totals[key]}</span>
                  <span class="figure-card__label">{t(`dash.col.${key}`)}</span>
                </li>
              ))}
            </ul>
            {rows.length === 0 ? (
              <p class="empty-state" id="dash-empty">
                {t('dash.empty')}
              </p>
            ) : (
              <>
                <OutcomesChart totals={totals} />
                <WaitChart rows={rows} />
                <FiguresTable stats={stats} />
              </>
            )}
          </>
        )}
      </div>

      <section class="panel" aria-labelledby="csv-title">
        <h2 id="csv-title">{t('dash.csvTitle')}</h2>
        <p id="csv-period">{isDay(from) && isDay(to) ? t('dash.csvText', { from: day(from), to: day(to) }) : ''}</p>
        <div class="actions">
          <button type="button" class="button button--secondary" id="dash-csv" aria-describedby="csv-period" aria-disabled={csv === 'busy' ? 'true' : undefined} onClick={() => void download()}>
            {t('dash.csv')}
          </button>
        </div>
        <div aria-live="polite" id="csv-status">
          {typeof csv === 'object' && 'file' in csv && <p class="notice">{t('dash.csvDone', { file: csv.file })}</p>}
          {typeof csv === 'object' && 'error' in csv && (
            <p class="field__error">
              {t('dash.csvFailed')} {adminProblem(t, csv.error)}
            </p>
          )}
        </div>
      </section>
    </>
  )
}

/** "4.5 min", or "No data" where the API says null. */
function minutes(t: AdminTranslate, seconds: number | null | undefined): string {
  return typeof seconds === 'number' ? t('dash.minutes', { value: Math.round(seconds / 6) / 10 }) : t('dash.noData')
}

/** A horizontal bar chart: one bar per row, scaled to the largest value. Decorative text is hidden; title + desc name it. */
function BarChart(props: { id: string; title: string; desc: string; bars: Bar[] }) {
  const max = Math.max(1, ...props.bars.map((b) => b.value))
  const rowHeight = 28
  const labelWidth = 180
  const width = 520
  const height = props.bars.length * rowHeight + 8
  return (
    <svg
      class="chart"
      id={props.id}
      role="img"
      aria-labelledby={`${props.id}-title ${props.id}-desc`}
      viewBox={`0 0 ${width} ${height}`}
      width="100%"
      preserveAspectRatio="xMinYMin meet"
    >
      <title id={`${props.id}-title`}>{props.title}</title>
      <desc id={`${props.id}-desc`}>{props.desc}</desc>
      {props.bars.map((bar, index) => {
        const y = index * rowHeight + 4
        const w = Math.round(((width - labelWidth - 60) * bar.value) / max)
        return (
          <g key={index} aria-hidden="true">
            <text x={labelWidth - 8} y={y + 17} text-anchor="end" class="chart__label">
              {bar.label}
            </text>
            <rect x={labelWidth} y={y + 4} width={Math.max(w, 1)} height={rowHeight - 10} class="chart__bar" />
            <text x={labelWidth + w + 6} y={y + 17} class="chart__value">
              {bar.text}
            </text>
          </g>
        )
      })}
    </svg>
  )
}

type Bar = { label: string; value: number; text: string }

/** A bar chart under its heading, and beside it the same figures as a table (what a screen reader reads). */
function ChartBlock(props: {
  id: string
  title: string
  hint?: string
  bars: Bar[]
  tableCaption: string
  columns: string[]
  children: ComponentChildren
}) {
  const desc = props.bars.map((b) => `${b.label}: ${b.text}`).join('; ')
  return (
    <section class="chart-block" aria-labelledby={`${props.id}-heading`}>
      <h2 id={`${props.id}-heading`}>{props.title}</h2>
      {props.hint && <p class="field__hint">{props.hint}</p>}
      <div class="chart-block__row">
        <BarChart id={props.id} title={props.title} desc={desc} bars={props.bars} />
        <table class="records-table" id={`${props.id}-table`}>
          <caption>{props.tableCaption}</caption>
          <ColumnHeads columns={props.columns} />
          <tbody>{props.children}</tbody>
        </table>
      </div>
    </section>
  )
}

function OutcomesChart(props: { totals: Record<(typeof COUNTS)[number], number> }) {
  const { t } = useAdminI18n()
  const bars = COUNTS.map((key) => ({ label: t(`dash.col.${key}`), value: props.totals[key], text: String(props.totals[key]) }))
  return (
    <ChartBlock
      id="chart-outcomes"
      title={t('dash.outcomes')}
      bars={bars}
      tableCaption={t('dash.outcomesTable')}
      columns={[t('dash.status'), t('dash.count')]}
    >
      {bars.map((b) => (
        <tr key={b.label}>
          <th scope="row">{b.label}</th>
          <td>{b.text}</td>
        </tr>
      ))}
    </ChartBlock>
  )
}

function WaitChart(props: { rows: (ServiceFigures & { office: string })[] }) {
  const { t } = useAdminI18n()
  const serviceName = useServiceName()
  const bars = props.rows.map((r) => ({
    label: serviceName(r.service_id).text,
    value: r.wait_p50_s ?? 0,
    text: minutes(t, r.wait_p50_s),
  }))
  return (
    <ChartBlock
      id="chart-wait"
      title={t('dash.wait')}
      hint={t('dash.waitHint')}
      bars={bars}
      tableCaption={t('dash.waitTable')}
      columns={[t('dash.service'), t('dash.col.wait_p50_s'), t('dash.col.wait_p90_s')]}
    >
      {props.rows.map((r) => (
        <tr key={`${r.office}-${r.service_id}`}>
          <th scope="row">{serviceName(r.service_id).text}</th>
          <td>{minutes(t, r.wait_p50_s)}</td>
          <td>{minutes(t, r.wait_p90_s)}</td>
        </tr>
      ))}
    </ChartBlock>
  )
}

const COLUMNS = [...COUNTS, 'wait_p50_s', 'wait_p90_s', 'call_p50_s', 'documents_issued', 'recordings_failed'] as const

/** Every figure, by office and service. */
function FiguresTable(props: { stats: Stats }) {
  const { t } = useAdminI18n()
  const serviceName = useServiceName()
  const officeName = useOfficeName()
  return (
    <RecordsTable
      id="dash-table"
      caption={t('dash.tableCaption')}
      columns={[t('dash.office'), t('dash.service'), ...COLUMNS.map((c) => t(`dash.col.${c}`))]}
    >
      {props.stats.offices.flatMap((o) =>
        o.services.map((s) => (
          <tr key={`${o.office}-${s.service_id}`} data-service={s.service_id}>
            <td>{officeName(o.office)}</td>
            <th scope="row">{serviceName(s.service_id).text}</th>
            {COLUMNS.map((c) => (
              <td key={c}>{c.endsWith('_s') ? minutes(t, s[c]) : s[c]}</td>
            ))}
          </tr>
        )),
      )}
    </RecordsTable>
  )
}

