/** Entry point: pick the citizen's language, create the API client, mount the app. */
import { render } from 'preact'
import { App } from './app'
import { browserStorage, detectLanguage } from './i18n'
import { createServiceCatalogue } from './services'
import './styles.css'

const root = document.getElementById('app')
if (!root) throw new Error('index.html has no #app element')

const language = detectLanguage(browserStorage(), navigator.languages ?? [navigator.language])
render(<App catalogue={createServiceCatalogue()} language={language} />, root)
