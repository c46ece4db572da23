import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs'

/**
 * Accelerated time for tests against the real simulator (real sockets, so fake timers are out): a clock that runs
 * `factor` times faster than the wall clock from `origin`, and a SchedulerLike whose delays shrink by the same
 * factor. Give `now` to the simulator and the scheduler to the sink, and both agree on what time it is.
 */
export interface AcceleratedClock {
  readonly now: () => number
  readonly scheduler: SchedulerLike
  /** Resolves after `ms` of accelerated time. */
  readonly sleep: (ms: number) => Promise<void>
}

export const acceleratedClock = (factor: number, origin = Date.now()): AcceleratedClock => {
  const started = performance.now()
  const now = (): number => origin + (performance.now() - started) * factor
  const scheduler: SchedulerLike = {
    now,
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      const subscription = new Subscription()
      let handle: NodeJS.Timeout | undefined
      const arm = (s: T | undefined, d: number): void => {
        handle = setTimeout(() => work.call(action, s), Math.max(0, d) / factor)
      }
      const action = Object.assign(subscription, {
        schedule(s?: T, d = 0): Subscription {
          if (handle !== undefined) clearTimeout(handle)
          arm(s, d)
          return subscription
        },
      }) as SchedulerAction<T>
      subscription.add(() => {
        if (handle !== undefined) clearTimeout(handle)
      })
      arm(state, delay)
      return subscription
    },
  }
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      scheduler.schedule(() => resolve(), ms)
    })
  return { now, scheduler, sleep }
}
