/**
 * The lists the back office and the supervisor's pages show, written once: a table of records (a caption, column
 * headings, a last column of buttons whose heading only a screen reader hears), a row's button that names its row to
 * a screen reader, and the offices as the options of a select ("All offices" first) or as a filter above a list.
 */
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { LoadStatus } from '../../components/error-state'
import { ErrorSummary, type FormErrors } from '../../components/forms'
import { localize, type LocalizedText } from '../../i18n'
import { useAdminI18n } from '../../i18n/admin'
import { useFocusAfterRender } from '../../page-context'

/**
 * A scrollable, captioned table; `actions` names the last column (heard only) when its rows have buttons, `variant`
 * adds a class of its own ("affected").
 */
export function RecordsTable(props: {
  id: string
  caption: string
  columns: string[]
  actions?: string
  variant?: string
  children: ComponentChildren
}) {
  return (
    <div class="table-wrap" role="region" aria-labelledby={`${props.id}-caption`} tabIndex={0}>
      <table id={props.id} class={props.variant ? `records-table ${props.variant}` : 'records-table'}>
        <caption id={`${props.id}-caption`}>{props.caption}</caption>
        <ColumnHeads columns={props.columns} actions={props.actions} />
        <tbody>{props.children}</tbody>
      </table>
    </div>
  )
}

/** A table's column headings; `actions` names a last column of buttons, for a screen reader only. */
export function ColumnHeads(props: { columns: string[]; actions?: string }) {
  return (
    <thead>
      <tr>
        {props.columns.map((column, i) => (
          <th key={i} scope="col">
            {column}
          </th>
        ))}
        {props.actions && (
          <th scope="col">
            <span class="visually-hidden">{props.actions}</span>
          </th>
        )}
      </tr>
    </thead>
  )
}

/** A small button in a table's row: "Edit", and for a screen reader which row ("Edit OAC-1"). */
export function RowButton(props: { id: string; label: string; row: string; onClick: () => void; secondary?: boolean }) {
  return (
    <button
      type="button"
      class={props.secondary === false ? 'button button--small' : 'button button--secondary button--small'}
      id={props.id}
      onClick={props.onClick}
    >
      {props.label}
      <span class="visually-hidden"> {props.row}</span>
    </button>
  )
}

/** The offices as a select's options, by their name in the page's language, after a first option for none of them. */
export function OfficeOptions(props: { offices: readonly { id: string; name: LocalizedText }[]; none: string }) {
  const { language } = useAdminI18n()
  return (
    <>
      <option value="">{props.none}</option>
      {props.offices.map((o) => (
        <option key={o.id} value={o.id}>
          {localize(o.name, language).text || o.id}
        </option>
      ))}
    </>
  )
}

/** A select above a list that shows one office's records, or every office's. */
export function OfficeFilter(props: {
  id: string
  label: string
  offices: readonly { id: string; name: LocalizedText }[]
  value: string
  onValue: (office: string) => void
}) {
  const { t } = useAdminI18n()
  return (
    <div class="field">
      <label class="field__label" for={props.id}>
        {props.label}
      </label>
      <select id={props.id} class="input" value={props.value} onChange={(e) => props.onValue(e.currentTarget.value)}>
        <OfficeOptions offices={props.offices} none={t('admin.allOffices')} />
      </select>
    </div>
  )
}

/**
 * The record being edited below a list, if any: `open` shows it (a new form each time, even for the same record) and
 * moves the focus to the form's heading `titleId`.
 */
export function useEditor<T>(titleId: string) {
  const [editing, setEditing] = useState<{ value: T; n: number } | null>(null)
  const focus = useFocusAfterRender()
  const open = (value: T) => {
    setEditing((now) => ({ value, n: (now?.n ?? 0) + 1 }))
    focus(titleId)
  }
  return { editing, open }
}

/**
 * A form's panel: its heading (focusable when the panel opens below a list), a line of introduction, the summary of
 * what to mend (`${prefix}-errors`), then the form.
 */
export function FormPanel(props: {
  titleId: string
  title: string
  prefix: string
  errors: FormErrors
  focusable?: boolean
  intro?: string
  children: ComponentChildren
}) {
  return (
    <section class="panel" aria-labelledby={props.titleId}>
      <h2 id={props.titleId} tabIndex={props.focusable ? -1 : undefined}>
        {props.title}
      </h2>
      {props.intro && <p>{props.intro}</p>}
      <ErrorSummary id={`${props.prefix}-errors`} errors={props.errors.summary} focusKey={props.errors.key} />
      {props.children}
    </section>
  )
}

/** A back-office list's loading, or why it did not load and a button to try again. */
export function AdminLoadStatus(props: { load: Parameters<typeof LoadStatus>[0]['load']; onRetry: () => void }) {
  const { t } = useAdminI18n()
  return <LoadStatus load={props.load} loading={t('admin.loading')} error={t('admin.loadFailed')} onRetry={props.onRetry} />
}
