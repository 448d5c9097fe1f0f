/**
 * Who runs this service: the council's identity as the header, the footer and the legal pages show it. A council
 * deploying the service changes this file and replaces `public/coat-of-arms.svg` (its coat of arms, any SVG with a
 * square-ish viewBox), nothing else. Demo values: a fictional council.
 */
import type { LocalizedText } from './i18n'

export const COUNCIL = {
  name: { ca: 'Ajuntament de Vilademo', es: 'Ayuntamiento de Vilademo', en: 'Vilademo City Council' } as LocalizedText,
  /** Replaceable image: the council's coat of arms (a placeholder shield in the demo). */
  coatOfArms: '/coat-of-arms.svg',
  /** Tax identification number (NIF) of the council, as the legal notice must give it (LSSI art. 10). */
  taxId: 'P0899900A',
  address: 'Plaça de la Vila 1, 08999 Vilademo',
  /** The help line for people who cannot book or join: shown in the header, the footer and the legal pages. */
  helpPhone: { display: '900 100 200', tel: '+34900100200' },
  email: 'oac@vilademo.example',
  /** Data protection officer (GDPR art. 37). */
  dpoEmail: 'dpd@vilademo.example',
  /** Where people send remarks on accessibility (RD 1112/2018 art. 10). */
  accessibilityEmail: 'accessibilitat@vilademo.example',
  /** The council's online office (seu electrònica), where requests and complaints are filed. */
  eOffice: 'https://seu.vilademo.example',
  /** Dates of the accessibility statement (ISO): when it was prepared and when it is to be reviewed next. */
  accessibility: { prepared: '2026-12-05', reviewed: '2026-12-05', nextReview: '2027-12-05' },
} as const
