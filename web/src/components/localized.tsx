/** Text the API gives in several languages, shown in the citizen's; `lang` is set when it had to fall back to another. */
import { localize, type LocalizedText } from '../i18n'
import { useI18n } from '../i18n/context'

type Tag = 'h3' | 'p' | 'li' | 'dd' | 'span'

export function Localized(props: { as: Tag; text: LocalizedText; class?: string }) {
  const { as: Element, text, ...rest } = props
  const { language } = useI18n()
  const shown = localize(text, language)
  return (
    <Element {...rest} lang={shown.language === language ? undefined : shown.language}>
      {shown.text}
    </Element>
  )
}
