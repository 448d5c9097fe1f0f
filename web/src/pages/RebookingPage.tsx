/**
 * `/staff/rebooking` (supervisors, admins): the appointments that lost their agent (leave, a holiday, shorter hours, a
 * disabled agent) and that nobody else of the office could take — "needs rebooking". The citizen has a link to choose
 * another time; a supervisor can do it for them (on the phone, say): pick a time with the booking flow's picker, and
 * the appointment is moved there.
 */
import { useState } from 'preact/hooks'
import { listRebooking, type Rebooking } from '../admin'
import { asApiError } from '../api'
import { changeAppointment, type Slot } from '../appointments'
import { useAuth } from '../auth'
import { LoadStatus } from '../components/error-state'
import { problemMessage, useFormErrors } from '../components/forms'
import { SlotPicker } from '../components/slot-picker'
import { adminLabel, useAdminI18n } from '../i18n/admin'
import { useAnnounce, useAnnounced, useDocumentTitle, useFocusAfterRender, useOfficeName, useOffices } from '../page-context'
import { formatDateTime } from '../records'
import { useResource } from '../resource'
import { FormPanel, OfficeFilter, RecordsTable, RowButton } from './admin/lists'
import { OnlyFor, refusedStaff, staffRoles, SUPERVISORS, useServiceName, useSignInFirst, when } from './appointment-common'

export function RebookingPage() {
  const { t, language } = useAdminI18n()
  const auth = useAuth()
  useSignInFirst('staff')
  const announce = useAnnounce()
  const errors = useFormErrors()
  const focus = useFocusAfterRender()
  const serviceName = useServiceName()
  const officeName = useOfficeName()
  const { load: offices } = useOffices()
  const allowed = staffRoles(auth).some((r) => SUPERVISORS.includes(r))
  const [office, setOffice] = useState('')
  const [chosen, setChosen] = useState<Rebooking | null>(null)
  const [day, setDay] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<{ item: Rebooking; start: string } | null>(null)
  useDocumentTitle(t('rebooking.title'))
  const { load, reload, set } = useResource(
    auth.session && allowed ? () => listRebooking(auth.api, office) : null,
    [office],
    useAnnounced({
      loading: t('rebooking.loading'),
      error: t('rebooking.loadFailed'),
      ready: (items) => (items.length ? t('rebooking.loaded', { count: items.length }) : t('rebooking.none')),
    }),
  )

  if (refusedStaff(auth, SUPERVISORS)) return <OnlyFor id="rebooking-title" title={t('rebooking.title')} notice={t('dash.supervisorOnly')} />

  const open = (item: Rebooking) => {
    errors.clear()
    setDone(null)
    setDay(null)
    setChosen(item)
    focus('rebook-panel-title')
  }

  async function rebook(item: Rebooking, slot: Slot) {
    if (busy) return
    setBusy(true)
    try {
      await changeAppointment(auth.api, item.appointment_id, 'reschedule', { start: slot.start })
      setChosen(null)
      setDone({ item, start: slot.start })
      if (load.state === 'ready') set(load.value.filter((i) => i.appointment_id !== item.appointment_id))
      announce(t('rebooking.done', { time: formatDateTime(language, slot.start) }))
      focus('rebook-done')
    } catch (caught) {
      const error = asApiError(caught)
      errors.show({}, [{ message: error.code === 'slot_taken' ? t('book.slotTaken') : problemMessage(t, error) }])
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      <h1 tabIndex={-1} id="rebooking-title">
        {t('rebooking.title')}
      </h1>
      <p class="lead">{t('rebooking.intro')}</p>
      <OfficeFilter id="rebooking-office" label={t('dash.office')} offices={offices.value ?? []} value={office} onValue={setOffice} />
      <div aria-live="polite">
        {done && (
          <p class="notice" id="rebook-done" tabIndex={-1}>
            {t('rebooking.doneFull', {
              service: serviceName(done.item.service_id).text,
              time: formatDateTime(language, done.start),
            })}
          </p>
        )}
      </div>
      <LoadStatus load={load} loading={t('rebooking.loading')} error={t('rebooking.loadFailed')} onRetry={reload} />
      {load.state === 'ready' && load.value.length === 0 && (
        <p class="empty-state" id="rebooking-empty">
          {t('rebooking.none')}
        </p>
      )}
      {load.state === 'ready' && load.value.length > 0 && (
        <RecordsTable
          id="rebooking"
          caption={t('rebooking.caption')}
          columns={[t('rebooking.when'), t('dash.service'), t('dash.office'), t('rebooking.citizen'), t('rebooking.reason')]}
          actions={t('admin.actions')}
        >
          {load.value.map((item) => {
            const name = serviceName(item.service_id)
            return (
              <tr key={item.appointment_id} data-id={item.appointment_id}>
                <th scope="row">{formatDateTime(language, item.start)}</th>
                <td lang={name.lang}>{name.text}</td>
                <td>{officeName(item.office)}</td>
                <td>{item.citizen_name || '—'}</td>
                <td>{adminLabel(t, `rebooking.reason.${item.reason}`, item.reason)}</td>
                <td>
                  <RowButton
                    id={`rebook-${item.appointment_id}`}
                    label={t('rebooking.choose')}
                    row={`${name.text}, ${formatDateTime(language, item.start)}`}
                    secondary={false}
                    onClick={() => open(item)}
                  />
                </td>
              </tr>
            )
          })}
        </RecordsTable>
      )}
      {chosen && (
        <FormPanel titleId="rebook-panel-title" title={t('rebooking.panelTitle', { service: serviceName(chosen.service_id).text })} prefix="rebook" errors={errors} focusable intro={t('rebooking.panelText', { when: when(t, language, chosen), citizen: chosen.citizen_name || '—' })}>
          <SlotPicker
            serviceId={chosen.service_id}
            day={day}
            onDay={setDay}
            chosen={null}
            exclude={chosen.start}
            onChoose={(slot) => void rebook(chosen, slot)}
            errors={errors}
          />
          <p class="field__hint">{busy ? t('rebooking.saving') : ''}</p>
          <div class="actions">
            <button type="button" class="button button--secondary" onClick={() => setChosen(null)}>
              {t('rebooking.close')}
            </button>
          </div>
        </FormPanel>
      )}
      <p class="field__hint">{t('slots.zone')}</p>
    </>
  )
}
