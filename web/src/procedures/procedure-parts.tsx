/** What both procedure panels show: their frame, a procedure's summary lines, its documents each with "Download". */
import type { ComponentChildren } from 'preact'
import { useState } from 'preact/hooks'
import { asApiError } from '../api'
import { useAuth } from '../auth'
import { FieldErrorMessage, problemMessage } from '../components/forms'
import { documentDownloadUrl, startDownload } from '../documents'
import { useI18n } from '../i18n/context'
import { useAnnounce } from '../page-context'
import type { Procedure, ProcedureDocument } from './model'

/** The panel `as` the call screen's aside or a section of the appointment page, headed by `title`. */
export function ProcedurePanelFrame(props: { as: 'aside' | 'section'; title: string; children: ComponentChildren }) {
  const Tag = props.as
  return (
    <Tag
      class={props.as === 'aside' ? 'procedure-panel' : 'panel procedure-panel'}
      id="procedure-panel"
      aria-labelledby="procedure-title"
    >
      <h2 id="procedure-title">{props.title}</h2>
      {props.children}
    </Tag>
  )
}

/** "Download" for one document: a fresh address from the API, handed to the browser. */
export function DownloadButton(props: { document: Pick<ProcedureDocument, 'id' | 'title'>; idPrefix: string }) {
  const { t } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState('')
  const id = `${props.idPrefix}-${props.document.id}`
  return (
    <>
      <button
        type="button"
        id={id}
        class="button button--secondary button--small"
        aria-disabled={busy ? 'true' : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onClick={async () => {
          if (busy) return
          setBusy(true)
          setError('')
          try {
            startDownload(await documentDownloadUrl(api, props.document.id))
            announce(t('doc.downloadStarted'))
          } catch (caught) {
            const message = `${t('doc.downloadFailed')} ${problemMessage(t, asApiError(caught))}`
            setError(message)
            announce(message)
          } finally {
            setBusy(false)
          }
        }}
      >
        {t('doc.download')}
        <span class="visually-hidden"> {props.document.title}</span>
      </button>
      {error && <FieldErrorMessage id={`${id}-error`} message={error} />}
    </>
  )
}

export function DocumentList(props: { documents: ProcedureDocument[]; idPrefix: string }) {
  const { t } = useI18n()
  if (props.documents.length === 0) return null
  return (
    <ul class="procedure-documents">
      {props.documents.map((d) => (
        <li key={d.id} class="procedure-document" data-id={d.id} data-csv={d.csv}>
          <span class="procedure-document__title">{d.title}</span>
          {d.csv && (
            <span class="procedure-document__csv">
              {t('doc.csv')}: <code>{d.csv}</code>
            </span>
          )}
          <DownloadButton document={d} idPrefix={props.idPrefix} />
        </li>
      ))}
    </ul>
  )
}

/** What the agent prepared, line by line (label: value). */
export function SummaryLines(props: { procedure: Procedure }) {
  if (props.procedure.summary.lines.length === 0) return null
  return (
    <dl class="facts facts--compact">
      {props.procedure.summary.lines.map((line, index) => (
        <div key={index}>
          <dt>{line.label}</dt>
          <dd>{line.value}</dd>
        </div>
      ))}
    </dl>
  )
}
