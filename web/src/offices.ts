/**
 * Labels for the API's codes: offices (their names are data, from `GET /offices`), assurance levels, roles, sign-in
 * methods. An unknown code is shown as it is rather than hidden.
 */
import { isMessageKey, localize, type Language, type Translate } from './i18n'
import type { Office, Service } from './services'

/** The office's name in `language` (another of its languages if it lacks that one), or its code when it is unknown. */
export function officeName(offices: readonly Office[] | null | undefined, language: Language, office: string): string {
  const found = offices?.find((o) => o.id === office)
  return found ? localize(found.name, language).text || office : office
}

export function assuranceName(t: Translate, level: string): string {
  return label(t, `assurance.${level}`, level)
}

/**
 * In plain words, how a citizen must identify for a service at `level` (never the word "substantial": people know
 * idCAT Mòbil, Cl@ve and certificates, not eIDAS levels).
 */
export function identifyHow(t: Translate, level: string): string {
  return t(level === 'high' ? 'identify.high' : level === 'substantial' ? 'identify.substantial' : 'identify.low')
}

/** What a person needs to reach `level` ("idCAT Mòbil, Cl@ve or a digital certificate"). */
export function eidMeans(t: Translate, level: string): string {
  return t(level === 'high' ? 'eid.means.high' : 'eid.means.substantial')
}

/** Whether a code sign-in (email or SMS) is enough for a service at `level`. */
export function codeIsEnough(level: string): boolean {
  return level !== 'substantial' && level !== 'high'
}

/** The translation of an API code (`role.admin`, `method.clave`), or the code itself when there is none. */
export function label(t: Translate, key: string, fallback: string): string {
  return isMessageKey(key) ? t(key) : fallback
}

/** The services under each office, in the order of `offices` (the API's); an office it lacks follows, under its code. */
export function groupByOffice(
  services: Service[],
  offices: readonly Office[],
): { office: string; services: Service[] }[] {
  const groups = new Map<string, Service[]>(offices.map((office) => [office.id, []]))
  for (const service of services) {
    const group = groups.get(service.office)
    if (group) group.push(service)
    else groups.set(service.office, [service])
  }
  return [...groups].filter(([, list]) => list.length > 0).map(([office, list]) => ({ office, services: list }))
}
