/*
 * Contrast of what is drawn on the page, measured in the browser (WCAG 2.1: 1.4.3 text, 1.4.11 non-text).
 *
 * For every visible element with text of its own: the text colour against the colour actually behind it, found by
 * walking up the ancestors and compositing their backgrounds (semi-transparent ones included) until an opaque one;
 * at least 4.5:1, or 3:1 for large text (24 px, or 18.66 px bold). For every visible control (buttons, links drawn as
 * buttons, text fields, selects): its boundary against the background around it — its own fill, else its border —
 * at least 3:1, unless it draws no boundary at all (a text link, a link-style button), whose text is then what
 * identifies it. Disabled controls are exempt (WCAG's "inactive user interface components").
 *
 * What cannot be judged from colours — text over an image, a gradient or a video — is reported as skipped, not
 * passed. Evaluated as an expression that returns a function: `page.evaluate(SOURCE + "()")` (see contrast.py).
 */
() => {
  const parse = (value) => {
    const m = /rgba?\(([^)]+)\)/.exec(value || '')
    if (!m) return null
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number)
    return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 }
  }
  // `over` composited on an opaque `under`.
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a),
    a: 1,
  })
  const channel = (c) => {
    const s = c / 255
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b)
  const ratio = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
    return (hi + 0.05) / (lo + 0.05)
  }
  const hex = (c) =>
    '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')
  const WHITE = { r: 255, g: 255, b: 255, a: 1 }

  /** The opaque colour behind `element`'s content, or null when an image, gradient or video is behind it. */
  const backgroundOf = (element) => {
    const layers = []
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node)
      if (style.backgroundImage && style.backgroundImage !== 'none') return null
      if (node !== element && (node.tagName === 'VIDEO' || node.tagName === 'IMG' || node.tagName === 'CANVAS')) {
        return null
      }
      const colour = parse(style.backgroundColor)
      if (colour && colour.a > 0) {
        layers.push(colour)
        if (colour.a >= 1) break
      }
    }
    let base = WHITE
    for (let i = layers.length - 1; i >= 0; i--) base = over(layers[i], base)
    return base
  }

  const visible = (element) => {
    const rect = element.getBoundingClientRect()
    if (rect.width <= 1 || rect.height <= 1) return false
    if (element.checkVisibility && !element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) {
      return false
    }
    // Visually hidden (clipped to a pixel) text is for screen readers only.
    for (let node = element; node && node.nodeType === 1; node = node.parentElement) {
      const style = getComputedStyle(node)
      if (style.clip === 'rect(0px, 0px, 0px, 0px)' || style.clipPath === 'inset(50%)') return false
      const r = node.getBoundingClientRect()
      if (style.overflow === 'hidden' && (r.width <= 1 || r.height <= 1)) return false
    }
    return true
  }
  const disabled = (element) => Boolean(element.closest(':disabled'))
  const describe = (element) => {
    const id = element.id ? `#${element.id}` : ''
    const cls = typeof element.className === 'string' && element.className ? `.${element.className.trim().split(/\s+/).join('.')}` : ''
    return `${element.tagName.toLowerCase()}${id}${cls}`
  }
  const ownText = (element) =>
    [...element.childNodes]
      .filter((n) => n.nodeType === 3)
      .map((n) => n.textContent)
      .join('')
      .trim()

  const failures = []
  const skipped = []
  let checked = 0

  // Text (1.4.3).
  for (const element of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'OPTION'].includes(element.tagName)) continue
    const text = element.tagName === 'INPUT' || element.tagName === 'TEXTAREA' ? element.value : ownText(element)
    if (!text || !visible(element) || disabled(element)) continue
    const style = getComputedStyle(element)
    const background = backgroundOf(element)
    if (!background) {
      skipped.push({ element: describe(element), text: text.slice(0, 60) })
      continue
    }
    const colour = parse(style.color)
    if (!colour) continue
    const opacity = Number(style.opacity)
    const foreground = over({ ...colour, a: colour.a * (Number.isNaN(opacity) ? 1 : opacity) }, background)
    const size = parseFloat(style.fontSize)
    const bold = Number(style.fontWeight) >= 700
    const large = size >= 24 || (bold && size >= 18.66)
    const needed = large ? 3 : 4.5
    const found = ratio(foreground, background)
    checked++
    if (found + 1e-6 < needed) {
      failures.push({
        kind: 'text',
        element: describe(element),
        text: text.slice(0, 60),
        ratio: Math.round(found * 100) / 100,
        needed,
        foreground: hex(foreground),
        background: hex(background),
      })
    }
  }

  // Control boundaries (1.4.11).
  const controls = document.body.querySelectorAll(
    'button, .button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=range]):not([type=color])',
  )
  for (const control of controls) {
    if (!visible(control) || disabled(control)) continue
    const around = backgroundOf(control.parentElement || document.body)
    if (!around) {
      skipped.push({ element: describe(control), text: 'control over an image or video' })
      continue
    }
    const style = getComputedStyle(control)
    const fillColour = parse(style.backgroundColor)
    const fill = fillColour && fillColour.a > 0 ? over(fillColour, around) : around
    const borderWidth = parseFloat(style.borderTopWidth) || 0
    const borderColour = parse(style.borderTopColor)
    const hasBorder = borderWidth >= 1 && style.borderTopStyle !== 'none' && borderColour && borderColour.a > 0
    const border = hasBorder ? over(borderColour, around) : null
    const fillRatio = ratio(fill, around)
    const borderRatio = border ? ratio(border, around) : 1
    checked++
    // No fill of its own and no border: nothing is drawn but its text (a link-style button) — judged as text above.
    const drawsBoundary = fillRatio > 1.05 || (border && borderRatio > 1.05)
    if (!drawsBoundary) continue
    if (fillRatio + 1e-6 < 3 && borderRatio + 1e-6 < 3) {
      failures.push({
        kind: 'boundary',
        element: describe(control),
        text: (control.textContent || control.value || '').trim().slice(0, 60),
        ratio: Math.round(Math.max(fillRatio, borderRatio) * 100) / 100,
        needed: 3,
        foreground: hex(border && borderRatio > fillRatio ? border : fill),
        background: hex(around),
      })
    }
  }
  return { checked, failures, skipped }
}
