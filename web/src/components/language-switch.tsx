/**
 * One toggle button per language, each named in its own language (`LANGUAGE_NAMES`, with its `lang` for screen
 * readers), so a citizen finds theirs whatever the page is in now.
 */
import { LANGUAGE_NAMES, LANGUAGES } from '../i18n'
import { useI18n } from '../i18n/context'

export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n()
  return (
    <div class="language-switch" role="group" aria-labelledby="language-switch-label">
      <span id="language-switch-label" class="visually-hidden">
        {t('language.label')}
      </span>
      {LANGUAGES.map((candidate) => (
        <button
          key={candidate}
          type="button"
          lang={candidate}
          aria-pressed={candidate === language ? 'true' : 'false'}
          onClick={() => setLanguage(candidate)}
        >
          {LANGUAGE_NAMES[candidate]}
        </button>
      ))}
    </div>
  )
}
