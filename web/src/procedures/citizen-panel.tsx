/**
 * The citizen's procedures, on the call screen and on the appointment page: those that wait for their confirmation —
 * the summary, "Send me a code", the code — and the documents of those issued.
 */
import { useI18n } from '../i18n/context'
import { useFocusAfterRender } from '../page-context'
import { ConsentBox } from './consent-box'
import { DocumentList, ProcedurePanelFrame } from './procedure-parts'
import { AWAITING, statusName, type ProceduresState } from './use-procedures'

/** The citizen's procedures (nothing at all while there are none): `as` the call's aside or a page section. */
export function CitizenProcedurePanel(props: { procedures: ProceduresState; as: 'aside' | 'section' }) {
  const { t } = useI18n()
  // Here, not in the confirmation box: once confirmed, the box makes way for the issued procedure's heading.
  const focus = useFocusAfterRender()
  const items = props.procedures.items ?? []
  if (items.length === 0) return null
  return (
    <ProcedurePanelFrame as={props.as} title={t('consent.panelTitle')}>
      <ul class="procedures">
        {items.map((p) => (
          <li key={p.id} class="procedure" data-id={p.id} data-status={p.status}>
            {p.status === AWAITING ? (
              <ConsentBox
                procedure={p}
                procedures={props.procedures}
                onConfirmed={(done) => {
                  props.procedures.replace(done)
                  focus(`procedure-${done.id}-title`)
                }}
              />
            ) : (
              <>
                <h3 id={`procedure-${p.id}-title`} tabIndex={-1}>
                  {p.summary.title}
                </h3>
                <p class="procedure__status">{statusName(t, p.status)}</p>
                <DocumentList documents={p.documents} idPrefix="download" />
              </>
            )}
          </li>
        ))}
      </ul>
    </ProcedurePanelFrame>
  )
}
