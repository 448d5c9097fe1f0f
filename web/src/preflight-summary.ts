/** The citizen's pre-flight check as an appointment carries it (the API's `preflight`). */
export interface PreflightSummary {
  /** "ok" | "weak_network" | "no_camera" | "no_microphone" | "not_done" */
  result: string
  audio_only: boolean
  callback_phone: string | null
}

/** Read where the check is used (the agenda, the citizen's call), so it travels in those lazy chunks. */
export function parsePreflightSummary(value: unknown): PreflightSummary | null {
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  if (typeof v.result !== 'string') return null
  return {
    result: v.result,
    audio_only: v.audio_only === true,
    callback_phone: typeof v.callback_phone === 'string' ? v.callback_phone : null,
  }
}
