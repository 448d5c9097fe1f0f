import { render } from 'preact'
import { act } from 'preact/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from './api'
import { useResource, type ResourceHandle, type ResourceOptions } from './resource'
import { waitFor } from './test/render'

/** A promise settled from the test. */
function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((yes, no) => {
    resolve = yes
    reject = no
  })
  return { promise, resolve, reject }
}

let container: HTMLElement | null = null
afterEach(() => {
  if (container) render(null, container)
  container?.remove()
  container = null
})

/** Mounts a component using the hook; returns the latest handle and a way to change the dependencies. */
async function mount<T>(
  load: (key: string) => (() => Promise<T>) | null,
  options: ResourceOptions<T> = {},
  key = 'a',
) {
  const seen: { handle: ResourceHandle<T> | null } = { handle: null }
  function Probe(props: { k: string }) {
    seen.handle = useResource(load(props.k), [props.k], options)
    return null
  }
  container = document.createElement('div')
  document.body.append(container)
  const at = container
  await act(() => render(<Probe k={key} />, at))
  return {
    get: () => {
      if (!seen.handle) throw new Error('not rendered')
      return seen.handle
    },
    rekey: (k: string) => act(() => render(<Probe k={k} />, at)),
    unmount: () => act(() => render(null, at)),
  }
}

const problem503 = () => new ApiError(503, { title: 'Unavailable', code: 'service_unavailable' })

describe('useResource', () => {
  it('is loading, then ready; says when it starts and what came', async () => {
    const answer = deferred<string>()
    const events: string[] = []
    const r = await mount(() => () => answer.promise, {
      onLoading: () => events.push('loading'),
      onReady: (value, quiet) => events.push(`ready ${value} ${quiet}`),
    })
    expect(r.get().load).toEqual({ state: 'loading' })
    await act(async () => answer.resolve('x'))
    expect(r.get().load).toEqual({ state: 'ready', value: 'x' })
    expect(events).toEqual(['loading', 'ready x false'])
  })

  it('asks nothing while there is nothing to ask, then asks once there is', async () => {
    let asked = 0
    const r = await mount((k) => (k === 'signed out' ? null : () => Promise.resolve(`${k} ${++asked}`)), {}, 'signed out')
    expect(asked).toBe(0)
    expect(r.get().load).toEqual({ state: 'loading' })
    await r.rekey('signed in')
    await waitFor(() => expect(r.get().load).toEqual({ state: 'ready', value: 'signed in 1' }))
  })

  it('drops the answer of a request the page has moved on from', async () => {
    const answers: Record<string, ReturnType<typeof deferred<string>>> = { a: deferred(), b: deferred() }
    const released: string[] = []
    const r = await mount((k) => () => answers[k]!.promise, { release: (v) => released.push(v) })
    await r.rekey('b')
    await act(async () => answers.b!.resolve('from b'))
    await act(async () => answers.a!.resolve('from a'))
    expect(r.get().load).toEqual({ state: 'ready', value: 'from b' })
    expect(released).toEqual(['from a'])
  })

  it('shows a failure, and loads again on reload()', async () => {
    const answers = [deferred<string>(), deferred<string>()]
    let n = 0
    const errors: number[] = []
    const r = await mount(() => () => answers[n++]!.promise, { onError: (e) => errors.push(e.status ?? 0) })
    await act(async () => answers[0]!.reject(problem503()))
    const failed = r.get().load
    expect(failed.state === 'error' && failed.error.code).toBe('service_unavailable')
    expect(errors).toEqual([503])
    await act(() => r.get().reload())
    expect(r.get().load).toEqual({ state: 'loading' })
    await act(async () => answers[1]!.resolve('again'))
    expect(r.get().load).toEqual({ state: 'ready', value: 'again' })
  })

  it('with keep, carries the last value through a reload and a failure', async () => {
    const answers = [deferred<string>(), deferred<string>()]
    let n = 0
    const r = await mount(() => () => answers[n++]!.promise, { keep: true })
    await act(async () => answers[0]!.resolve('first'))
    await act(() => r.get().reload())
    expect(r.get().load).toEqual({ state: 'loading', value: 'first' })
    await act(async () => answers[1]!.reject(new ApiError(500, {})))
    const load = r.get().load
    expect(load.state).toBe('error')
    expect(load.value).toBe('first')
  })

  it('refreshes quietly: no loading state, and a failed refresh keeps what is shown', async () => {
    const answers = [deferred<string>(), deferred<string>(), deferred<string>()]
    let n = 0
    const events: string[] = []
    const r = await mount(() => () => answers[n++]!.promise, {
      onLoading: () => events.push('loading'),
      onReady: (v, quiet) => events.push(`ready ${v} ${quiet}`),
      onError: (e, quiet) => events.push(`error ${e.status} ${quiet}`),
    })
    await act(async () => answers[0]!.resolve('one'))
    await act(() => r.get().refresh())
    expect(r.get().load).toEqual({ state: 'ready', value: 'one' })
    // A second refresh while the first is on its way asks nothing more.
    await act(() => r.get().refresh())
    expect(n).toBe(2)
    await act(async () => answers[1]!.reject(new ApiError(502, {})))
    expect(r.get().load).toEqual({ state: 'ready', value: 'one' })
    await act(() => r.get().refresh())
    await act(async () => answers[2]!.resolve('two'))
    expect(r.get().load).toEqual({ state: 'ready', value: 'two' })
    expect(events).toEqual(['loading', 'ready one false', 'error 502 true', 'ready two true'])
  })

  it('polls after each answer while asked to, then stops', async () => {
    let n = 0
    const r = await mount(() => () => Promise.resolve(++n), {
      poll: { everyMs: 10, again: (outcome) => (outcome.value ?? 0) < 3 },
    })
    await waitFor(() => expect(r.get().load).toEqual({ state: 'ready', value: 3 }))
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)))
    expect(n).toBe(3)
  })

  it('set() shows a value at once; release lets the last one go when the page closes', async () => {
    const released: string[] = []
    const r = await mount(() => () => Promise.resolve('asked'), { release: (v) => released.push(v) })
    await waitFor(() => expect(r.get().load.state).toBe('ready'))
    await act(() => r.get().set('changed'))
    expect(r.get().load).toEqual({ state: 'ready', value: 'changed' })
    await r.unmount()
    expect(released).toEqual(['changed'])
  })

  it('shows an initial value at once, kept while it is asked again', async () => {
    const answer = deferred<string>()
    const r = await mount(() => () => answer.promise, { initial: 'cached', keep: true })
    expect(r.get().load).toEqual({ state: 'loading', value: 'cached' })
    await act(async () => answer.resolve('fresh'))
    expect(r.get().load).toEqual({ state: 'ready', value: 'fresh' })
  })
})
