/**
 * The live queue of the waiting room and the office's "waiting for anyone" list (issue 16), as the API gives them:
 * `GET /appointments/{id}/queue` (the citizen's place in line, the agent's state, the estimated wait and who will
 * attend them) and `GET /queue/overflow?office=…` (citizens waiting past the office's overflow time while their agent
 * is busy, which a free agent may take, or a supervisor hand to a named agent).
 */
import type { ApiClient } from './api'
import { byLanguage, type Language, type Params } from './i18n'
import queueCa from './i18n/queue/ca.json'

export const QUEUE_POLL_MS = 5_000

export type AgentStatus = 'free' | 'in_call' | 'away'

export interface QueueState {
  /** 1 = next to be attended; 0 = being attended now. */
  position: number
  ahead: number
  agent_status: AgentStatus
  agent_name: string | null
  estimated_wait_s: number
  estimated_at: string
}

export interface OverflowItem {
  appointment_id: string
  service_id: string
  start: string
  waiting_since: string | null
  waited_s: number
  agent: string
  agent_name: string | null
}

export interface OfficeAgent {
  username: string
  name: string
  status: AgentStatus
}

export interface Overflow {
  items: OverflowItem[]
  can_take: boolean
  agents: OfficeAgent[]
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const str = (value: unknown): value is string => typeof value === 'string' && value !== ''
const num = (value: unknown, fallback = 0): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback
const status = (value: unknown): AgentStatus => (value === 'in_call' || value === 'away' ? value : 'free')

export function parseQueue(value: unknown): QueueState | null {
  if (!isObject(value) || typeof value.position !== 'number') return null
  return {
    position: Math.max(0, Math.floor(value.position)),
    ahead: Math.max(0, Math.floor(num(value.ahead))),
    agent_status: status(value.agent_status),
    agent_name: str(value.agent_name) ? value.agent_name : null,
    estimated_wait_s: Math.max(0, num(value.estimated_wait_s)),
    estimated_at: str(value.estimated_at) ? value.estimated_at : '',
  }
}

export function parseOverflow(value: unknown): Overflow {
  const body = isObject(value) ? value : {}
  const items = Array.isArray(body.items) ? body.items : []
  const agents = Array.isArray(body.agents) ? body.agents : []
  return {
    items: items
      .filter((i): i is Record<string, unknown> => isObject(i) && str(i.appointment_id) && str(i.start))
      .map((i) => ({
        appointment_id: i.appointment_id as string,
        service_id: str(i.service_id) ? i.service_id : '',
        start: i.start as string,
        waiting_since: str(i.waiting_since) ? i.waiting_since : null,
        waited_s: Math.max(0, num(i.waited_s)),
        agent: str(i.agent) ? i.agent : '',
        agent_name: str(i.agent_name) ? i.agent_name : null,
      })),
    can_take: body.can_take === true,
    agents: agents
      .filter((a): a is Record<string, unknown> => isObject(a) && str(a.username))
      .map((a) => ({
        username: a.username as string,
        name: str(a.name) ? a.name : (a.username as string),
        status: status(a.status),
      })),
  }
}

export async function fetchQueue(api: ApiClient, appointmentId: string): Promise<QueueState> {
  const found = parseQueue(await api.request(`/appointments/${encodeURIComponent(appointmentId)}/queue`, { auth: true }))
  if (!found) throw new Error('Unexpected response')
  return found
}

export async function fetchOverflow(api: ApiClient, office: string | null): Promise<Overflow> {
  const query = office ? `?office=${encodeURIComponent(office)}` : ''
  return parseOverflow(await api.request(`/queue/overflow${query}`, { auth: true }))
}

/** `POST /appointments/{id}/take`: the waiting citizen moves to the caller (409 when someone was quicker). */
export async function takeAppointment(api: ApiClient, appointmentId: string): Promise<void> {
  await api.request(`/appointments/${encodeURIComponent(appointmentId)}/take`, { method: 'POST', auth: true, body: {} })
}

/** `POST /appointments/{id}/hand-over` (a supervisor): the waiting citizen moves to `agent`. */
export async function handOver(api: ApiClient, appointmentId: string, agent: string): Promise<void> {
  await api.request(`/appointments/${encodeURIComponent(appointmentId)}/hand-over`, {
    method: 'POST',
    auth: true,
    body: { agent },
  })
}

/** Whole minutes for a wait, at least one: a wait in minutes never reads "0". */
export function waitMinutes(seconds: number): number {
  return Math.max(1, Math.round(seconds / 60))
}

/**
 * The waiting room's lines, in plain words: what the agent is doing, the citizen's place in line, the estimated wait,
 * who will attend them. Never "at any moment" while the agent is busy or someone is ahead (then at least a minute).
 */
export function queueWords(language: Language, q: QueueState): string[] {
  const t = (key: QueueKey, params?: Params) => queueText(language, key, params)
  const lines: string[] = []
  if (q.position === 0) {
    lines.push(t('queue.yourTurn'))
  } else {
    if (q.agent_status === 'in_call') lines.push(t('queue.agentBusy'))
    else if (q.agent_status === 'away') lines.push(t('queue.agentAway'))
    lines.push(q.position === 1 ? t('queue.next') : t('queue.position', { position: q.position }))
    const busy = q.agent_status !== 'free' || q.ahead > 0
    if (!busy && q.estimated_wait_s < 60) lines.push(t('queue.anyMoment'))
    else {
      const minutes = waitMinutes(q.estimated_wait_s)
      const key: QueueKey = minutes === 1 ? 'queue.waitOne' : 'queue.waitMany'
      lines.push(t(key, { count: minutes }))
    }
  }
  if (q.agent_name) lines.push(t('queue.attendedBy', { name: q.agent_name }))
  return lines
}

/**
 * The waiting room's words in their own small catalogues (`i18n/queue/<code>.json`, found by file name): only the
 * call page and the agenda import this module, so they travel in those lazy chunks, not in the first-load bundle.
 */
export type QueueKey = keyof typeof queueCa
export type QueueMessages = Record<QueueKey, string>
export const QUEUE_CATALOGUES: Partial<Record<Language, QueueMessages>> & { ca: QueueMessages } = {
  ...byLanguage(import.meta.glob<QueueMessages>('./i18n/queue/*.json', { eager: true, import: 'default' })),
  ca: queueCa,
}

export function queueText(language: Language, key: QueueKey, params?: Params): string {
  const template = QUEUE_CATALOGUES[language]?.[key] ?? QUEUE_CATALOGUES.ca[key]
  if (!params) return template
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) =>
    name in params ? String(params[name]) : placeholder,
  )
}
