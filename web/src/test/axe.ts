/** Accessibility checks with axe-core on what is rendered (happy-dom computes no layout: contrast is left out). */
import axe from 'axe-core'

export async function axeViolations(root: Element = document.body): Promise<string[]> {
  const result = await axe.run(root, {
    resultTypes: ['violations'],
    rules: {
      // No layout or colours in happy-dom: contrast is measured in styles.css's header instead.
      'color-contrast': { enabled: false },
    },
  })
  return result.violations.map(
    (v) => `${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  )
}
