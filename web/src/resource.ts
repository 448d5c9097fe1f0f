/**
 * One way to load what a page shows: `useResource(load, deps, options)` asks once `load` is given (null: nothing to ask
 * yet, e.g. before sign-in), again when a dependency changes or on `reload()`, and quietly on `refresh()` or `poll`.
 * An answer that comes after the page moved on (new dependencies, unmounted) is dropped, so no page keeps its own
 * "is this still the current request" flag.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { asApiError, type ApiError } from './api'

/** What was asked: loading, the value, or the API's refusal. With `keep`, loading and error still carry the last value. */
export type Resource<T> =
  | { state: 'loading'; value?: T }
  | { state: 'ready'; value: T }
  | { state: 'error'; error: ApiError; value?: T }

export interface ResourceOptions<T> {
  /** Shown at first (a cached value, for instance): no loading state until it is asked again. */
  initial?: T
  /** Keep the last value through a reload or a failure (a language change relabels, it does not blank the page). */
  keep?: boolean
  /** Each load (not a quiet refresh) starts: e.g. announce it. */
  onLoading?: () => void
  /** An answer came; `quiet` for a refresh or a poll. */
  onReady?: (value: T, quiet: boolean) => void
  /** A failure; `quiet` for a refresh or a poll, which leaves what is shown as it was. */
  onError?: (error: ApiError, quiet: boolean) => void
  /** What to do with a value nobody wants any more (it came too late, is asked again, or the page closed): stop a camera. */
  release?: (value: T) => void
  /** Ask again quietly `everyMs` after each answer or failure, while `again` says so. */
  poll?: { everyMs: number; again: (outcome: { value?: T; error?: ApiError }) => boolean }
}

export interface ResourceHandle<T> {
  load: Resource<T>
  /** Ask again, showing the loading state (a "Retry" button). */
  reload: () => void
  /** Ask again quietly, unless a request is already on its way; a failure leaves what is shown. */
  refresh: () => void
  /** Show this value instead (the answer of a change, for instance). */
  set: (value: T) => void
}

export function useResource<T>(
  load: (() => Promise<T>) | null,
  deps: readonly unknown[],
  options: ResourceOptions<T> = {},
): ResourceHandle<T> {
  const [resource, setResource] = useState<Resource<T>>(() =>
    options.initial !== undefined ? { state: 'ready', value: options.initial } : { state: 'loading' },
  )
  const [attempt, setAttempt] = useState(0)
  const [refreshes, setRefreshes] = useState(0)
  const latest = useRef({ load, options })
  latest.current = { load, options }
  // The request of the current dependencies: a generation number, whether one is on its way, the poll's timer.
  const generation = useRef(0)
  const inFlight = useRef(false)
  const timer = useRef<number | undefined>(undefined)
  const last = useRef<T | undefined>(options.initial)

  const ask = (quiet: boolean) => {
    const fetcher = latest.current.load
    if (!fetcher) return
    const mine = generation.current
    const { keep, onLoading } = latest.current.options
    inFlight.current = true
    window.clearTimeout(timer.current)
    if (!quiet) {
      setResource(keep && last.current !== undefined ? { state: 'loading', value: last.current } : { state: 'loading' })
      onLoading?.()
    }
    const settled = (outcome: { value?: T; error?: ApiError }) => {
      inFlight.current = false
      const poll = latest.current.options.poll
      if (poll && poll.again(outcome)) timer.current = window.setTimeout(() => ask(true), poll.everyMs)
    }
    fetcher().then(
      (value) => {
        if (mine !== generation.current) return latest.current.options.release?.(value)
        last.current = value
        setResource({ state: 'ready', value })
        latest.current.options.onReady?.(value, quiet)
        settled({ value })
      },
      (caught: unknown) => {
        if (mine !== generation.current) return
        const error = asApiError(caught)
        if (!quiet) {
          const kept = latest.current.options.keep ? last.current : undefined
          setResource(kept !== undefined ? { state: 'error', error, value: kept } : { state: 'error', error })
        }
        latest.current.options.onError?.(error, quiet)
        settled({ value: last.current, error })
      },
    )
  }

  useEffect(() => {
    if (!load) return
    generation.current += 1
    ask(false)
    return () => {
      generation.current += 1
      inFlight.current = false
      window.clearTimeout(timer.current)
      // A value to let go (a camera) is let go when it is asked again or the page closes.
      const { release } = latest.current.options
      if (release && last.current !== undefined) {
        release(last.current)
        last.current = undefined
      }
    }
  }, [...deps, load === null, attempt])

  useEffect(() => {
    if (refreshes > 0 && !inFlight.current) ask(true)
  }, [refreshes])

  return {
    load: resource,
    reload: () => setAttempt((n) => n + 1),
    refresh: () => setRefreshes((n) => n + 1),
    set: (value: T) => {
      last.current = value
      setResource({ state: 'ready', value })
    },
  }
}
