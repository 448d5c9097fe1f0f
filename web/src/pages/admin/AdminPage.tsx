/**
 * `/staff/admin/…` (admins): the council runs the service itself — offices, services, staff with their schedules and
 * leave, and holidays — as data. One lazy chunk for the whole area; each section is a page of its own under the same
 * navigation, and each save says which booked appointments it affected (moved to another agent, to be rebooked by the
 * citizen, cancelled).
 */
import { useAuth } from '../../auth'
import { useAdminI18n, type AdminKey } from '../../i18n/admin'
import { useDocumentTitle } from '../../page-context'
import { adminPath, Link, type AdminSection } from '../../router'
import { OnlyFor, refusedStaff, useSignInFirst } from '../appointment-common'
import { HolidaysSection } from './HolidaysSection'
import { OfficesSection } from './OfficesSection'
import { PersonSection } from './PersonSection'
import { ServicesSection } from './ServicesSection'
import { StaffSection } from './StaffSection'

const SECTIONS: { section: Exclude<AdminSection, 'home' | 'person'>; title: AdminKey; intro: AdminKey }[] = [
  { section: 'offices', title: 'admin.offices.title', intro: 'admin.offices.intro' },
  { section: 'services', title: 'admin.services.title', intro: 'admin.services.intro' },
  { section: 'staff', title: 'admin.staff.title', intro: 'admin.staff.intro' },
  { section: 'holidays', title: 'admin.holidays.title', intro: 'admin.holidays.intro' },
]

export function AdminPage(props: { section: AdminSection; id?: string }) {
  const { t } = useAdminI18n()
  const auth = useAuth()
  useSignInFirst('staff')
  const current = SECTIONS.find((s) => s.section === props.section)
  const title =
    props.section === 'person' && props.id
      ? t('admin.person.title', { username: props.id })
      : current
        ? t(current.title)
        : t('admin.title')
  useDocumentTitle(title)

  if (refusedStaff(auth, ['admin'])) return <OnlyFor id="admin-title" title={title} notice={t('admin.adminOnly')} />
  if (!auth.session) return <h1 tabIndex={-1} id="admin-title">{title}</h1>

  return (
    <>
      <h1 tabIndex={-1} id="admin-title">
        {title}
      </h1>
      <nav class="admin-nav" aria-label={t('admin.sections')}>
        <ul>
          <li>
            <Link href={adminPath('home')} aria-current={props.section === 'home' ? 'page' : undefined}>
              {t('admin.title')}
            </Link>
          </li>
          {SECTIONS.map((s) => (
            <li key={s.section}>
              <Link
                id={`admin-link-${s.section}`}
                href={adminPath(s.section)}
                aria-current={props.section === s.section ? 'page' : undefined}
              >
                {t(s.title)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {props.section === 'home' && (
        <>
          <p class="lead">{t('admin.intro')}</p>
          <ul class="admin-home">
            {SECTIONS.map((s) => (
              <li key={s.section}>
                <Link href={adminPath(s.section)}>{t(s.title)}</Link>
                <p>{t(s.intro)}</p>
              </li>
            ))}
          </ul>
        </>
      )}
      {props.section === 'offices' && <OfficesSection />}
      {props.section === 'services' && <ServicesSection />}
      {props.section === 'staff' && <StaffSection />}
      {props.section === 'person' && props.id && <PersonSection key={props.id} username={props.id} />}
      {props.section === 'holidays' && <HolidaysSection />}
    </>
  )
}
