/**
 * The page-test harness, imported alone: `pageTest()` and every helper of `./render` (mount the app on a fake API, find,
 * click, type, read the text and the live region).
 *
 * The one set-up of a page test: call `pageTest()` inside the `describe`. After each test the app mounted by
 * `mountApp` is taken down, the browser's storage cleared and mocks restored; with `zone`, each test runs on a device
 * in that time zone, with "now" at NOW (Saturday 28 November 2026, 11:00 in Madrid).
 */
import { afterEach, beforeEach, vi } from 'vitest'
import { setClock, setDeviceZone } from './appointments'
import { unmountApps } from './render'

export * from './render'

export function pageTest(options: { zone?: string } = {}): void {
  let restoreZone = () => {}
  beforeEach(() => {
    if (!options.zone) return
    restoreZone = setDeviceZone(options.zone)
    setClock()
  })
  afterEach(() => {
    unmountApps()
    sessionStorage.clear()
    localStorage.clear()
    vi.restoreAllMocks()
    restoreZone()
    restoreZone = () => {}
  })
}
