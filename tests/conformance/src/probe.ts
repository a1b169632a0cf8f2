// A probe runs one scenario against one side and records what it observes under named keys.
// The runner in compare.ts then checks that both sides recorded the same values.

import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'

import { StdcopyDemuxer } from '@dexec/stream'

import type { EngineResponse, HijackedStart, RequestOptions } from './engine-client.js'
import type { Normalizer } from './normalize.js'
import type { Side } from './stack.js'

/** Output longer than this is recorded as its length and SHA-256 instead of its text. */
const MAX_TEXT_OUTPUT = 64 * 1024

/** How an attached start is made and what is sent on its stream. */
export interface AttachOptions {
  /** Body of the start request; `{ Detach: false, Tty: false }` by default. */
  body?: unknown
  /** Send `Connection: Upgrade` and `Upgrade: tcp` (default true). */
  upgrade?: boolean
  /** Split the output into stdout and stderr; the default when the start's Tty is false. */
  multiplexed?: boolean
}

/** An attached start whose stream is still open. */
export interface Attached {
  readonly start: HijackedStart
  write(data: string | Buffer): void
  /** Half-closes the connection: the server reads EOF on the exec's stdin. */
  closeWrite(): void
  /** Resolves once the output received so far contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>
  /** Waits for the server to end the stream and records the output. */
  finish(): Promise<void>
}

/** Records one side's observations of a scenario. */
export class Probe {
  readonly observations = new Map<string, unknown>()
  /** Unix time in seconds at which the scenario began, for the `since` of GET /events. */
  readonly since = (Date.now() - 5) / 1000

  constructor(
    readonly side: Side,
    readonly normalizer: Normalizer,
  ) {}

  record(key: string, value: unknown): void {
    if (this.observations.has(key)) throw new Error(`observation ${key} recorded twice`)
    this.observations.set(key, value)
  }

  /** Sends a request and records its status line, normalized headers and normalized body. */
  async request(
    key: string,
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<EngineResponse> {
    const response = await this.side.client.request(method, path, options)
    this.recordResponse(key, response)
    return response
  }

  recordResponse(key: string, response: EngineResponse): void {
    this.record(`${key}.status`, `${response.status} ${response.statusText}`)
    this.record(`${key}.headers`, this.normalizer.headers(response.headers, response.body))
    this.record(`${key}.body`, this.normalizer.text(response.body.toString()))
  }

  /**
   * Creates an exec and returns its id, or undefined when the create failed. A string body is
   * sent as given, with `Content-Type: application/json` unless `headers` sets another.
   */
  async createExec(
    key: string,
    body: unknown,
    options: { container?: string; headers?: Record<string, string> } = {},
  ): Promise<string | undefined> {
    const json = typeof body === 'string' ? { 'Content-Type': 'application/json' } : undefined
    const path = `/containers/${options.container ?? 'demo'}/exec`
    const response = await this.side.client.request('POST', path, {
      body,
      headers: options.headers ?? json,
    })
    const id = response.status === 201 ? parseJson<{ Id: string }>(response).Id : undefined
    if (id !== undefined) this.normalizer.registerExec(id)
    this.recordResponse(key, response)
    return id
  }

  /** Records the exec's inspect response. */
  async inspectExec(key: string, id: string): Promise<Record<string, unknown> | undefined> {
    const response = await this.request(key, 'GET', `/exec/${id}/json`)
    return response.status === 200 ? parseJson<Record<string, unknown>>(response) : undefined
  }

  /** Polls the exec's inspect (unrecorded) until `check` holds for it. */
  async waitForExec(
    id: string,
    check: (inspect: Record<string, unknown>) => boolean,
    description: string,
  ): Promise<void> {
    const deadline = Date.now() + 15_000
    for (;;) {
      const response = await this.side.client.request('GET', `/exec/${id}/json`)
      if (response.status === 200 && check(parseJson(response))) return
      if (Date.now() > deadline) {
        throw new Error(`${this.side.name}: timed out waiting for exec ${description}`)
      }
      await sleep(50)
    }
  }

  /**
   * Records `ExecIDs` of a container's inspect: null stays null, ids created in this scenario
   * become their placeholders, sorted because the order is unspecified, and ids of earlier
   * scenarios are left out.
   */
  async containerExecIds(key: string, container = 'demo'): Promise<void> {
    const response = await this.side.client.request('GET', `/containers/${container}/json`)
    const inspect = parseJson<{ ExecIDs: string[] | null }>(response)
    this.record(`${key}.status`, response.status)
    if (inspect.ExecIDs === null) {
      this.record(`${key}.ExecIDs`, null)
      return
    }
    const placeholders = inspect.ExecIDs.map((id) => this.normalizer.execPlaceholder(id))
    this.record(`${key}.ExecIDs`, placeholders.filter((p): p is string => p !== undefined).sort())
  }

  /** Starts the exec attached and returns the open stream; status and head are recorded. */
  async attach(key: string, id: string, options: AttachOptions = {}): Promise<Attached> {
    const body = options.body ?? { Detach: false, Tty: false }
    const start = await this.side.client.startHijacked(id, body, options.upgrade ?? true)
    this.record(`${key}.status`, `${start.status} ${start.statusText}`)
    // A 101 head is written by hand on both servers, so its order is compared too.
    if (start.status === 101) {
      this.record(`${key}.headers`, this.normalizer.orderedHeaders(start.headers))
    }
    const tty = (body as { Tty?: boolean }).Tty === true
    const multiplexed = (options.multiplexed ?? !tty) && start.status < 300
    return {
      start,
      write: (data) => start.socket.write(data),
      closeWrite: () => start.socket.end(),
      waitForOutput: (text, timeoutMs = 15_000) =>
        waitForOutput(start, text, timeoutMs, this.side.name),
      finish: async () => {
        const output = await start.output
        if (start.status !== 101) {
          this.record(`${key}.headers`, this.normalizer.headers(start.headers, output))
        }
        await this.#recordOutput(key, output, multiplexed)
      },
    }
  }

  /** Starts the exec attached, sends `stdin`, half-closes if asked and records the output. */
  async run(
    key: string,
    id: string,
    options: AttachOptions & { stdin?: string | Buffer; closeWrite?: boolean } = {},
  ): Promise<void> {
    const attached = await this.attach(key, id, options)
    if (options.stdin !== undefined) attached.write(options.stdin)
    if (options.closeWrite) attached.closeWrite()
    await attached.finish()
  }

  /**
   * Waits `settleMs`, then records the events of `container` since the scenario began, keeping
   * those of the execs this scenario created.
   */
  async events(
    key: string,
    options: { settleMs?: number; container?: string } = {},
  ): Promise<void> {
    await sleep(options.settleMs ?? 400)
    const until = (Date.now() / 1000).toFixed(3)
    const filters = encodeURIComponent(JSON.stringify({ container: [options.container ?? 'demo'] }))
    const response = await this.side.client.request(
      'GET',
      `/events?since=${this.since.toFixed(3)}&until=${until}&filters=${filters}`,
    )
    this.record(`${key}.status`, response.status)
    const lines = response.body.toString().split('\n').filter(Boolean)
    const ours = lines.filter((line) => {
      const event = JSON.parse(line) as { Actor?: { Attributes?: { execID?: string } } }
      const execId = event.Actor?.Attributes?.execID
      return execId !== undefined && this.normalizer.execPlaceholder(execId) !== undefined
    })
    this.record(
      `${key}.events`,
      ours.map((line) => this.normalizer.event(line)),
    )
  }

  #recordOutput(key: string, raw: Buffer, multiplexed: boolean): Promise<void> {
    if (!multiplexed) {
      this.record(`${key}.output`, this.#describe(raw))
      return Promise.resolve()
    }
    return demultiplex(raw).then(({ stdout, stderr, error }) => {
      this.record(`${key}.stdout`, this.#describe(stdout))
      this.record(`${key}.stderr`, this.#describe(stderr))
      this.record(`${key}.framing`, error)
    })
  }

  #describe(output: Buffer): unknown {
    if (output.length <= MAX_TEXT_OUTPUT) return this.normalizer.text(output.toString('latin1'))
    return { bytes: output.length, sha256: createHash('sha256').update(output).digest('hex') }
  }
}

/** Splits a multiplexed stream; `error` is the demuxer's error message, or null. */
export async function demultiplex(
  raw: Buffer,
): Promise<{ stdout: Buffer; stderr: Buffer; error: string | null }> {
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  const collector = (target: Buffer[]) =>
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        target.push(chunk)
        callback()
      },
    })
  const demuxer = new StdcopyDemuxer({ stdout: collector(stdout), stderr: collector(stderr) })
  const error = await new Promise<string | null>((resolve) => {
    demuxer.once('error', (failure: Error) => resolve(failure.message))
    demuxer.end(raw, () => resolve(null))
  })
  return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), error }
}

async function waitForOutput(
  start: HijackedStart,
  text: string,
  timeoutMs: number,
  side: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!start.received().includes(text)) {
    if (Date.now() > deadline) {
      const received = JSON.stringify(start.received().toString())
      throw new Error(`${side}: timed out waiting for ${JSON.stringify(text)} in ${received}`)
    }
    await sleep(20)
  }
}

function parseJson<T = Record<string, unknown>>(response: EngineResponse): T {
  return JSON.parse(response.body.toString()) as T
}
