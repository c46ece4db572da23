import { type MemberProcess, startMember } from '../../support/memberProcess.js'

/** How one member's last incarnation ended after SIGTERM. */
export interface MemberStop {
  readonly member: number
  /** Exit code, or the signal's name; `'did not exit'` when it outlived the deadline (it is then killed). */
  readonly exit: number | string
  readonly afterMs: number
}

/** An incarnation that ended without being signalled by the test: a member that failed on its own. */
export interface UnexpectedExit {
  readonly member: number
  readonly exit: number | string
  /** Its last log lines, to say why. */
  readonly tail: string
}

const isRunning = (process: MemberProcess) =>
  process.child.exitCode === null && process.child.signalCode === null

/**
 * Members of one consumer group, each `attendance-stream run --config <file>` in its own process, as an operator
 * with a supervisor runs them: a member killed with `kill -9` is started again at once, and so is one that
 * ends on its own (which is recorded, since a member should not).
 */
export class MemberGroup {
  private readonly slots: MemberProcess[][] = []
  private readonly signalled = new Set<MemberProcess>()
  private readonly unexpected: UnexpectedExit[] = []
  private stopping = false
  kills = 0

  constructor(
    private readonly configFile: string,
    // kafkajs's one-time notice about its v2 partitioner says nothing about this run.
    private readonly env: NodeJS.ProcessEnv = { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  ) {}

  /** Starts one more member; returns its index. */
  add(): number {
    const index = this.slots.length
    this.slots.push([])
    this.launch(index)
    return index
  }

  get size(): number {
    return this.slots.length
  }

  current(member: number): MemberProcess {
    const process = this.slots[member]?.at(-1)
    if (process === undefined) throw new Error(`no member ${member}`)
    return process
  }

  /** `kill -9` of the member's current process, then a new process in its place. */
  async killAndRestart(member: number): Promise<void> {
    const process = this.current(member)
    this.signalled.add(process)
    process.child.kill('SIGKILL')
    await process.exited
    this.kills++
    this.launch(member)
  }

  /**
   * SIGTERM to every member at once; each has `deadlineMs` to exit, after which it is killed and reported as
   * `'did not exit'`.
   */
  async stopAll(deadlineMs: number): Promise<MemberStop[]> {
    this.stopping = true
    const signalledAt = Date.now()
    return Promise.all(
      this.slots.map(async (_, member) => {
        const process = this.current(member)
        this.signalled.add(process)
        if (!isRunning(process)) return { member, exit: await process.exited, afterMs: 0 }
        process.child.kill('SIGTERM')
        let timer: NodeJS.Timeout | undefined
        const deadline = new Promise<'did not exit'>((resolve) => {
          timer = setTimeout(() => resolve('did not exit'), deadlineMs)
        })
        const exit = await Promise.race([process.exited, deadline])
        clearTimeout(timer)
        const afterMs = Date.now() - signalledAt
        if (exit === 'did not exit') {
          process.child.kill('SIGKILL')
          await process.exited
        }
        return { member, exit, afterMs }
      }),
    )
  }

  /** Kills whatever still runs (test cleanup). */
  async killAll(): Promise<void> {
    this.stopping = true
    for (const process of this.slots.flat()) {
      this.signalled.add(process)
      if (isRunning(process)) process.child.kill('SIGKILL')
      await process.exited
    }
  }

  /** Per member, how each of its processes ended (`SIGKILL → SIGKILL → 0`), in order. */
  exitHistory(): string[] {
    return this.slots.map(
      (processes, member) =>
        `member ${member}: ${processes.map((p) => p.child.exitCode ?? p.child.signalCode ?? 'running').join(' → ')}`,
    )
  }

  unexpectedExits(): readonly UnexpectedExit[] {
    return this.unexpected
  }

  /** Every log line every incarnation wrote, in incarnation order. */
  output(): string {
    return this.slots
      .flat()
      .map((process) => process.output())
      .join('\n')
  }

  private launch(member: number): void {
    const process = startMember(this.configFile, this.env)
    this.slots[member]?.push(process)
    void process.exited.then((exit) => {
      if (this.signalled.has(process)) return
      this.unexpected.push({ member, exit, tail: process.output().split('\n').slice(-15).join('\n') })
      if (!this.stopping) this.launch(member)
    })
  }
}
