/** Entry point: pick the citizen's language, create the API clients and the session store, mount the app. */
import { render } from 'preact'
import { createApiClient } from './api'
import { App } from './app'
import { browserStorage, detectLanguage } from './i18n'
import { createServiceCatalogue } from './services'
import { browserSessionStorage, createSessionStore } from './session'
import './styles.css'

const root = document.getElementById('app')
if (!root) throw new Error('index.html has no #app element')

const language = detectLanguage(browserStorage(), navigator.languages ?? [navigator.language])
const api = createApiClient({ session: createSessionStore(browserSessionStorage()) })
render(<App catalogue={createServiceCatalogue()} api={api} language={language} />, root)
