// @vitest-environment node
/**
 * First-load weight: what a citizen's phone downloads before the first page can show (the entry script and every
 * script it imports statically, i.e. what index.html loads or preloads) stays within 60 KB gzip. Staff pages, the
 * call, the records pages and the texts of every language but Catalan are chunks fetched when needed; this test builds the app
 * into a temporary folder (the production build, minified) and measures it, so a static import that drags one of them
 * back into the entry fails here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_LANGUAGE, LANGUAGES } from './i18n'

const LIMIT_BYTES = 60_000
const root = resolve(__dirname, '..')
const outDir = mkdtempSync(join(tmpdir(), 'va-bundle-'))

/** The entry chunk plus every chunk it imports statically, from the build's manifest. */
function firstLoad(manifest: Record<string, { file: string; isEntry?: boolean; imports?: string[] }>): string[] {
  const files = new Set<string>()
  const visit = (key: string) => {
    const chunk = manifest[key]
    if (!chunk || files.has(chunk.file)) return
    files.add(chunk.file)
    for (const imported of chunk.imports ?? []) visit(imported)
  }
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key)
  return [...files]
}

function gzipSize(file: string): number {
  return gzipSync(readFileSync(join(outDir, file)), { level: 9 }).length
}

let manifest: Record<string, { file: string; isEntry?: boolean; imports?: string[]; dynamicImports?: string[] }>

beforeAll(async () => {
  await build({ root, mode: 'production', logLevel: 'silent', build: { outDir, emptyOutDir: true, manifest: 'manifest.json' } })
  manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'))
}, 120_000)

afterAll(() => rmSync(outDir, { recursive: true, force: true }))

describe('the first-load bundle', () => {
  it('is at most 60 KB of gzip JavaScript', () => {
    const files = firstLoad(manifest)
    const sizes = Object.fromEntries(files.map((file) => [file, gzipSize(file)]))
    const total = Object.values(sizes).reduce((sum, size) => sum + size, 0)
    console.info(`first-load JavaScript: ${total} bytes gzip`, sizes)
    expect(files.length).toBeGreaterThan(0)
    expect(total).toBeLessThanOrEqual(LIMIT_BYTES)
  })

  it('leaves the other languages, the staff pages and the call out of it', () => {
    const first = new Set(firstLoad(manifest))
    const lazy = (source: string) => {
      const chunk = manifest[source]
      expect(chunk, source).toBeDefined()
      expect(first.has(chunk!.file), `${source} is in the first-load bundle`).toBe(false)
    }
    const otherLanguages = LANGUAGES.filter((language) => language !== DEFAULT_LANGUAGE)
    for (const source of [
      ...otherLanguages.flatMap((language) => [`src/i18n/${language}.json`, `src/i18n/legal/${language}.json`]),
      'src/pages/call/CallPage.tsx',
      'src/pages/AgendaPage.tsx',
      'src/pages/StaffSignInPage.tsx',
      'src/pages/AuditPage.tsx',
      'src/pages/RecordingsPage.tsx',
      'src/pages/admin/AdminPage.tsx',
      'src/pages/DashboardPage.tsx',
      'src/pages/RebookingPage.tsx',
      'src/pages/ActivatePage.tsx',
    ]) {
      lazy(source)
    }
  })
})
