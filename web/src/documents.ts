/**
 * Issued documents: the citizen's list, the short-lived download address of one, and the public check of a CSV
 * (código seguro de verificación) — which answers the stored original, byte for byte, with its metadata.
 */
import type { ApiClient } from './api'
import { parseItems } from './appointments'

export interface IssuedDocument {
  id: string
  csv: string
  title: string
  type: string
  issued_at: string
  available_until: string | null
  sha256: string
  size: number | null
  appointment_id: string | null
  /** The office that issued it (in the public check's answer). */
  office?: string
  /** Only in the answer for one document (valid about a minute). */
  download_url?: string
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null
const str = (v: unknown): v is string => typeof v === 'string'

export function parseDocument(value: unknown): IssuedDocument | null {
  if (!isObject(value) || !str(value.id) || !str(value.csv)) return null
  return {
    id: value.id,
    csv: value.csv,
    title: str(value.title) ? value.title : '',
    type: str(value.type) ? value.type : '',
    issued_at: str(value.issued_at) ? value.issued_at : '',
    available_until: str(value.available_until) ? value.available_until : null,
    sha256: str(value.sha256) ? value.sha256 : '',
    size: typeof value.size === 'number' ? value.size : null,
    appointment_id: str(value.appointment_id) ? value.appointment_id : null,
    office: str(value.office) ? value.office : undefined,
    download_url: str(value.download_url) ? value.download_url : undefined,
  }
}

/** The signed-in citizen's documents, newest first as the API gives them. */
export async function fetchMyDocuments(api: ApiClient): Promise<IssuedDocument[]> {
  return parseItems(await api.request('/documents', { auth: true }), parseDocument)
}

/** A fresh download address for one document (the owner's or, for staff, one of their office's). */
export async function documentDownloadUrl(api: ApiClient, id: string): Promise<string> {
  const found = parseDocument(await api.request(`/documents/${encodeURIComponent(id)}`, { auth: true }))
  if (!found?.download_url) throw new Error('Unexpected response')
  return found.download_url
}

/** Hands an address to the browser as a download, in a new tab so that the page (a call, say) stays. */
export function startDownload(url: string): void {
  const link = document.createElement('a')
  link.href = url
  link.target = '_blank'
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
}

/**
 * A CSV as people copy it from paper: spaces and line breaks out, upper case. Hyphens stay (the API reads the code
 * with or without them, and tells O from 0 and I from 1 itself).
 */
export function normalizeCsv(raw: string): string {
  return raw.replace(/\s+/g, '').toUpperCase()
}

const CSV_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ' // Crockford's Base32, as chalicelib/domain/csv_code.py

/**
 * What is wrong with a typed CSV, checked as the API does: 20 characters and 2 check characters of Crockford's
 * Base32 (hyphens, spaces and case do not matter; I and L read as 1, O as 0). `mistyped` when the shape is right but
 * the check characters do not match — a character copied wrong — so the person is told at the field, not "not found".
 */
export function csvProblem(raw: string): 'missing' | 'format' | 'mistyped' | null {
  const compact = raw
    .toUpperCase()
    .replace(/[\s\-\u2010\u2011]/g, '')
    .replace(/[IL]/g, '1')
    .replace(/O/g, '0')
  if (compact === '') return 'missing'
  if (!/^[0-9A-HJKMNP-TV-Z]{22}$/.test(compact)) return 'format'
  let remainder = 0
  for (const c of compact.slice(0, 20)) remainder = (remainder * 32 + CSV_ALPHABET.indexOf(c)) % 1021
  const check = CSV_ALPHABET.indexOf(compact.charAt(20)) * 32 + CSV_ALPHABET.indexOf(compact.charAt(21))
  return remainder === check ? null : 'mistyped'
}

/** `GET /verify/{csv}` (public); the ID number of the holder for residence certificates. */
export async function verifyDocument(api: ApiClient, csv: string, idNumber: string): Promise<IssuedDocument> {
  const query = idNumber ? `?id_number=${encodeURIComponent(idNumber)}` : ''
  const found = parseDocument(await api.request(`/verify/${encodeURIComponent(csv)}${query}`))
  if (!found) throw new Error('Unexpected response')
  return found
}
