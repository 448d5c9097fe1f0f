/** Entry point: pick the citizen's language, create the API clients and the session store, mount the app. */
import { render } from 'preact'
import { createApiClient } from './api'
import { App } from './app'
import { browserStorage, DEFAULT_LANGUAGE, detectLanguage, loadCatalogue, type Language } from './i18n'
import { createServiceCatalogue } from './services'
import { browserSessionStorage, createSessionStore } from './session'
import './styles.css'

const root = document.getElementById('app')
if (!root) throw new Error('index.html has no #app element')

const preferred = detectLanguage(browserStorage(), navigator.languages ?? [navigator.language])
const api = createApiClient({ session: createSessionStore(browserSessionStorage()) })
// The texts of a language other than Catalan come in their own chunk: wait for it (a few KB) rather than flash the page
// in Catalan first; if it cannot be fetched, the page opens in Catalan.
const mount = (language: Language) =>
  render(<App catalogue={createServiceCatalogue()} api={api} language={language} />, root)
loadCatalogue(preferred).then(
  () => mount(preferred),
  () => mount(DEFAULT_LANGUAGE),
)
