/** What both sides of the call use: the join grant, the connection, the devices, the clock and the API's refusals. */
import { useEffect, useState } from 'preact/hooks'
import { ApiError, type ApiClient } from '../../api'
import { formatTime } from '../../appointments'
import { browserDeps, CallConnection, type CallSnapshot } from '../../call/connection'
import { openMedia, stopMedia, type LocalMedia } from '../../call/devices'
import { parseJoinGrant, type JoinGrant } from '../../call/protocol'
import { problemMessage } from '../../components/forms'
import type { Language, Translate } from '../../i18n'
import { useResource } from '../../resource'

/** `POST /appointments/{id}/call`: a fresh join grant. */
export async function requestGrant(api: ApiClient, id: string): Promise<JoinGrant> {
  const body = await api.request(`/appointments/${encodeURIComponent(id)}/call`, {
    method: 'POST',
    auth: true,
    body: {},
  })
  const grant = parseJoinGrant(body)
  if (!grant) throw new ApiError(null, { title: 'Unexpected response' })
  return grant
}

export function connect(api: ApiClient, id: string, media: LocalMedia, audioOnly: boolean): CallConnection {
  const connection = new CallConnection(
    browserDeps(() => requestGrant(api, id)),
    media.stream,
    {
      audioOnly: audioOnly || media.video !== 'ok',
    },
  )
  connection.start()
  return connection
}

/** Re-renders every `everyMs` with the time, for what depends on the clock (the window opening, the agent late). */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), everyMs)
    return () => window.clearInterval(timer)
  }, [everyMs])
  return now
}

/** Camera and microphone while the page is open (stopped when it closes); `retry` asks again. */
export function useLocalMedia(): { media: LocalMedia | null; retry: () => void } {
  const { load, reload } = useResource(openMedia, [], { release: (found) => stopMedia(found.stream) })
  return { media: load.state === 'ready' ? load.value : null, retry: reload }
}

/** `value` when it is a date the API wrote, else `fallback`. */
export function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : fallback
}

/** Why the API would not give a place in the call, in words. */
export function callProblem(t: Translate, error: ApiError, language: Language): string {
  if (error.code === 'call_not_open') {
    const opens = stringOr(error.body.opens_at, '')
    return opens && Date.parse(opens) > Date.now()
      ? t('call.opensAt', { time: formatTime(language, opens) })
      : t('call.closedWindow')
  }
  if (error.code === 'appointment_closed') return t('call.appointmentClosed')
  if (error.code === 'no_media_node' || error.status === 503) return t('call.noMediaNode')
  return problemMessage(t, error)
}

/** Why a call failed, in words: the room was full, the API said no, or the connection could not be made. */
export function failureText(t: Translate, language: Language, failure: CallSnapshot['failure'] | undefined): string {
  if (failure?.kind === 'room_full') return t('call.roomFull')
  if (failure?.kind === 'api') return callProblem(t, failure.error, language)
  return t('call.failedText')
}
