/**
 * `/verify` and `/verify/{csv}` (public): anyone holding a document issued by the council checks it with its code
 * (CSV, código seguro de verificación) — the code as copied from the paper, with or without spaces and hyphens, in
 * any case. Residence certificates show personal data, so for them the holder's ID number is asked too. The answer:
 * what the document is, when it was issued, its SHA-256 and until when it is kept, and the stored original itself.
 * Arriving with a code in the address (the QR on the document) checks it at once.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { asApiError } from '../api'
import { formatDate, formatTime } from '../appointments'
import { useAuth } from '../auth'
import {
  ErrorSummary,
  Form,
  IdNumberField,
  problemMessage,
  TextField,
  useFormErrors,
  waitMessage,
} from '../components/forms'
import { csvProblem, normalizeCsv, startDownload, verifyDocument, type IssuedDocument } from '../documents'
import { useI18n } from '../i18n/context'
import { normalizeIdNumber } from '../identity'
import { useAnnounce, useDocumentTitle, useFocusAfterRender, useOfficeName } from '../page-context'

/** A download address is good for about a minute: older than this, ask for a fresh one first. */
const FRESH_MS = 45_000

type Result =
  | { state: 'none' }
  | { state: 'checking' }
  | { state: 'found'; document: IssuedDocument; at: number; idNumber: string }
  | { state: 'notFound'; withId: boolean }

export function VerifyPage(props: { csv?: string }) {
  const officeName = useOfficeName()
  const { t, language } = useI18n()
  const { api } = useAuth()
  const announce = useAnnounce()
  const focus = useFocusAfterRender()
  const errors = useFormErrors()
  const [csv, setCsv] = useState(props.csv ?? '')
  const [idNumber, setIdNumber] = useState('')
  const [result, setResult] = useState<Result>({ state: 'none' })
  const busy = useRef(false)
  useDocumentTitle(t('verify.title'))

  async function check(rawCsv: string, rawId: string, moveFocus: boolean) {
    if (busy.current) return
    const code = normalizeCsv(rawCsv)
    const id = normalizeIdNumber(rawId)
    const fields: Record<string, string> = {}
    const problem = csvProblem(code)
    if (problem === 'missing') fields['verify-csv'] = t('verify.csvMissing')
    else if (problem === 'format') fields['verify-csv'] = t('verify.csvFormat')
    else if (problem === 'mistyped') fields['verify-csv'] = t('verify.csvMistyped')
    // DNI, NIE or, for some residents, a passport: only the shape is checked here.
    if (id !== '' && !/^[A-Z0-9]{5,20}$/.test(id)) fields['verify-id-number'] = t('verify.idFormat')
    if (Object.keys(fields).length > 0) {
      setResult({ state: 'none' })
      return errors.show(fields)
    }
    busy.current = true
    setResult({ state: 'checking' })
    announce(t('verify.checking'))
    try {
      const found = await verifyDocument(api, code, id)
      errors.clear()
      setResult({ state: 'found', document: found, at: Date.now(), idNumber: id })
      announce(t('verify.found'))
      if (moveFocus) focus('verify-result-title')
    } catch (caught) {
      const error = asApiError(caught)
      const fields = new Set(error.errors.map((e) => e.field))
      if (error.code === 'validation_error' && (fields.has('id_number') || fields.has('csv'))) {
        // The API tells what it needs: a document with personal data also asks for its holder's ID number (the QR
        // brings the code alone), and a mistyped code is flagged where it was typed.
        setResult({ state: 'none' })
        const placed: Record<string, string> = {}
        if (fields.has('csv')) placed['verify-csv'] = t('verify.csvMistyped')
        if (fields.has('id_number')) {
          placed['verify-id-number'] = t(id === '' ? 'verify.idRequired' : 'verify.idFormat')
        }
        errors.show(placed)
      } else if (error.status === 404) {
        errors.clear()
        setResult({ state: 'notFound', withId: id !== '' })
        announce(t('verify.notFound'))
        if (moveFocus) focus('verify-result-title')
      } else {
        setResult({ state: 'none' })
        const message = error.status === 429 ? waitMessage(t, error.retryAfter) : problemMessage(t, error)
        errors.show({}, [{ message }])
      }
    } finally {
      busy.current = false
    }
  }

  // The QR on the document leads here with the code: check it straight away (focus stays on the page's heading).
  useEffect(() => {
    if (props.csv) void check(props.csv, '', false)
  }, [])

  const found = result.state === 'found' ? result : null
  const at = (instant: string) => `${formatDate(language, instant)}, ${formatTime(language, instant)}`
  return (
    <>
      <h1 tabIndex={-1} id="verify-title">
        {t('verify.title')}
      </h1>
      <p class="lead">{t('verify.intro')}</p>
      <ErrorSummary id="verify-errors" errors={errors.summary} focusKey={errors.key} />
      <Form
        id="verify-form"
        class="panel"
        aria-labelledby="verify-title"
        onSubmit={() => void check(csv, idNumber, true)}
      >
        <TextField
          id="verify-csv"
          name="csv"
          label={t('verify.csvLabel')}
          hint={t('verify.csvHint')}
          error={errors.fields['verify-csv']}
          value={csv}
          onValue={setCsv}
          type="text"
          autocomplete="off"
          autoCapitalize="characters"
          spellcheck={false}
          inputClass="input--csv"
        />
        <IdNumberField
          id="verify-id-number"
          label={`${t('verify.idLabel')} ${t('pf.optional')}`}
          hint={t('verify.idHint')}
          error={errors.fields['verify-id-number']}
          value={idNumber}
          onValue={setIdNumber}
        />
        <div class="actions">
          <button
            type="submit"
            class="button"
            id="verify-submit"
            aria-disabled={result.state === 'checking' ? 'true' : undefined}
          >
            {result.state === 'checking' ? t('verify.checking') : t('verify.submit')}
          </button>
        </div>
      </Form>
      <div aria-busy={result.state === 'checking' ? 'true' : 'false'}>
        {result.state === 'notFound' && (
          <section class="notice" id="verify-not-found" aria-labelledby="verify-result-title">
            <h2 id="verify-result-title" tabIndex={-1}>
              {t('verify.notFound')}
            </h2>
            <p>{t('verify.notFoundText')}</p>
            {!result.withId && <p>{t('verify.notFoundIdHint')}</p>}
          </section>
        )}
        {found && (
          <section class="panel" id="verify-result" aria-labelledby="verify-result-title">
            <h2 id="verify-result-title" tabIndex={-1}>
              {t('verify.found')}
            </h2>
            <p>{t('verify.foundText')}</p>
            <p id="verify-checked">{t(found.idNumber ? 'verify.checkedWithId' : 'verify.checked')}</p>
            <dl class="facts">
              <div>
                <dt>{t('verify.docTitle')}</dt>
                <dd id="verify-doc-title">{found.document.title || found.document.type}</dd>
              </div>
              {found.document.office && (
                <div>
                  <dt>{t('verify.office')}</dt>
                  <dd id="verify-office">{officeName(found.document.office)}</dd>
                </div>
              )}
              {found.document.issued_at && (
                <div>
                  <dt>{t('docs.issued')}</dt>
                  <dd id="verify-issued">
                    <time dateTime={found.document.issued_at}>{at(found.document.issued_at)}</time>
                  </dd>
                </div>
              )}
              <div>
                <dt>{t('doc.csv')}</dt>
                <dd>
                  <code class="csv" id="verify-doc-csv">
                    {found.document.csv}
                  </code>
                </dd>
              </div>
              {found.document.sha256 && (
                <div>
                  <dt>{t('verify.sha256')}</dt>
                  <dd>
                    <code class="hash" id="verify-sha256">
                      {found.document.sha256}
                    </code>
                  </dd>
                </div>
              )}
              {found.document.available_until && (
                <div>
                  <dt>{t('docs.availableUntil')}</dt>
                  <dd id="verify-available">
                    <time dateTime={found.document.available_until}>
                      {formatDate(language, found.document.available_until)}
                    </time>
                  </dd>
                </div>
              )}
            </dl>
            {found.document.download_url && (
              <p>
                <a
                  id="verify-download"
                  class="button"
                  href={found.document.download_url}
                  target="_blank"
                  rel="noopener"
                  onClick={async (event) => {
                    if (Date.now() - found.at < FRESH_MS) return
                    // The address has expired: a fresh one, then the download.
                    event.preventDefault()
                    try {
                      const again = await verifyDocument(api, found.document.csv, found.idNumber)
                      setResult({ ...found, document: again, at: Date.now() })
                      if (again.download_url) startDownload(again.download_url)
                    } catch (caught) {
                      const error = asApiError(caught)
                      errors.show({}, [
                        { message: error.status === 429 ? waitMessage(t, error.retryAfter) : problemMessage(t, error) },
                      ])
                    }
                  }}
                >
                  {t('verify.download')}
                </a>
              </p>
            )}
          </section>
        )}
      </div>
    </>
  )
}
