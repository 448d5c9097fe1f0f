/// <reference types="node" />
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { shownStatus } from './status-tag'

// Read from disk (tests run in web/): the test runner hands stylesheets to tests as empty modules, even with ?raw.
const css = readFileSync(`${process.cwd()}/src/styles.css`, 'utf8')

const STATUSES = ['booked', 'in_progress', 'completed', 'incomplete', 'cancelled', 'no_show', 'needs_rebooking']
const PAGE = '#ffffff' // --surface, the page the tags sit on

function rule(selector: string): Record<string, string> {
  const body = new RegExp(`${selector.replace('.', '\\.')}\\s*\\{([^}]*)\\}`).exec(css)?.[1] ?? ''
  return Object.fromEntries(
    body
      .split(';')
      .map((d) => d.split(':').map((p) => p.trim()))
      .filter((d) => d.length === 2),
  ) as Record<string, string>
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
  return 0.2126 * lin(r as number) + 0.7152 * lin(g as number) + 0.0722 * lin(b as number)
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}

describe('status tags', () => {
  it.each(STATUSES)('%s: text ≥ 4.5:1 on its tag, border ≥ 3:1 on the page (WCAG 1.4.3, 1.4.11)', (status) => {
    const tag = rule(`.status-tag--${status}`)
    expect(tag.color, 'color').toMatch(/^#[0-9a-f]{6}$/)
    expect(tag.background, 'background').toMatch(/^#[0-9a-f]{6}$/)
    expect(tag['border-color'], 'border-color').toMatch(/^#[0-9a-f]{6}$/)
    expect(contrast(tag.color as string, tag.background as string)).toBeGreaterThanOrEqual(4.5)
    expect(contrast(tag['border-color'] as string, PAGE)).toBeGreaterThanOrEqual(3)
    expect(contrast(tag['border-color'] as string, tag.background as string)).toBeGreaterThanOrEqual(3)
  })

  it('gives every status its own colour', () => {
    const colours = STATUSES.map((s) => rule(`.status-tag--${s}`).background)
    expect(new Set(colours).size).toBe(STATUSES.length)
  })
})

describe('the status shown', () => {
  it('is "in progress" for a booked appointment whose call is under way, else the appointment’s own', () => {
    const call = (state: 'idle' | 'waiting' | 'in_call' | 'ended') => ({
      state,
      waiting_since: null,
      room_id: null,
      recording: 'none' as const,
    })
    expect(shownStatus({ status: 'booked', call: call('in_call') })).toBe('in_progress')
    expect(shownStatus({ status: 'booked', call: call('waiting') })).toBe('in_progress')
    expect(shownStatus({ status: 'booked', call: call('ended') })).toBe('booked')
    expect(shownStatus({ status: 'no_show', call: null })).toBe('no_show')
  })
})
