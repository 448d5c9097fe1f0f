import { useI18n } from '../i18n/context'
import { formatMoney, type PlanPreview } from './model'
import { shortDate } from './schema-field'

/** An instalment plan's payment schedule, as the API previewed it. */
export function PlanTable(props: { plan: PlanPreview }) {
  const { t, language } = useI18n()
  const { plan } = props
  const money = (cents: number) => formatMoney(language, cents)
  return (
    <div class="plan-preview" id="plan-preview">
      <h3 id="plan-preview-title">{t('plan.title')}</h3>
      <div class="table-wrap" role="region" aria-labelledby="plan-preview-title" tabIndex={0}>
        <table id="plan-table" class="plan-table">
          <thead>
            <tr>
              <th scope="col">{t('plan.number')}</th>
              <th scope="col">{t('plan.due')}</th>
              <th scope="col" class="num">
                {t('plan.principal')}
              </th>
              <th scope="col" class="num">
                {t('plan.interest')}
              </th>
              <th scope="col" class="num">
                {t('plan.total')}
              </th>
            </tr>
          </thead>
          <tbody>
            {plan.items.map((item, index) => (
              <tr key={index}>
                <th scope="row">{index + 1}</th>
                <td>
                  <time dateTime={item.due}>{shortDate(language, item.due)}</time>
                </td>
                <td class="num">{money(item.principal_cents)}</td>
                <td class="num">{money(item.interest_cents)}</td>
                <td class="num">{money(item.total_cents)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr id="plan-totals">
              <th scope="row" colSpan={2}>
                {t('plan.totals')}
              </th>
              <td class="num">{money(plan.principal_cents)}</td>
              <td class="num" id="plan-interest">
                {money(plan.interest_cents)}
              </td>
              <td class="num" id="plan-total">
                {money(plan.total_cents)}
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      {plan.guarantee_required && (
        <p class="notice" id="plan-guarantee">
          {t('plan.guarantee', { amount: money(plan.guarantee_cents) })}
        </p>
      )}
    </div>
  )
}
