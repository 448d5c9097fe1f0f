/**
 * Hands a file the API gave (a CSV of figures, an NDJSON export of the audit trail) to the browser as a download named
 * `filename`; imported only by the lazy pages that offer one.
 */
export function offerDownload(blob: BlobPart, filename: string, type: string): string {
  const url = URL.createObjectURL(new Blob([blob], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return filename
}
