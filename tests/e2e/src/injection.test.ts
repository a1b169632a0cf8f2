import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { createExec, inspectExec } from './exec-api.js'
import { hijackStart, readMultiplexed } from './hijack.js'
import { startStack, type Stack } from './stack.js'

let stack: Stack

beforeAll(async () => {
  stack = await startStack()
})

afterAll(async () => {
  await stack?.stop()
})

const output = { AttachStdout: true, AttachStderr: true }

async function run(config: object) {
  const id = await createExec(stack.socketPath, 'demo', { ...output, ...config })
  const hijacked = await hijackStart(stack.socketPath, id)
  const result = await readMultiplexed(hijacked)
  hijacked.socket.destroy()
  return { ...result, exitCode: (await inspectExec(stack.socketPath, id)).ExitCode }
}

/** Paths where a marker file would show that a shell ran the text, on the host and in the container. */
function markerPaths(marker: string): string[] {
  return [marker, join(stack.demo.rootfs, marker)]
}

describe('e2e, Cmd and WorkingDir reach the runtime as data', () => {
  const marker = `/tmp/pwned-${randomBytes(8).toString('hex')}`
  const hostile = [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `a; touch ${marker}`,
    `b && touch ${marker} || touch ${marker}`,
    `line one\ntouch ${marker}\n`,
    `'"; touch ${marker}; echo "'`,
    '${HOME} $PATH * ?',
    '',
  ]

  it('passes each Cmd element to the process unchanged', async () => {
    const result = await run({ Cmd: ['printf', '<%s>\\n', ...hostile] })
    expect(result.stdout).toBe(hostile.map((arg) => `<${arg}>\n`).join(''))
    expect(result.exitCode).toBe(0)
  })

  it('leaves no marker after the hostile Cmd', () => {
    expect(markerPaths(marker).filter(existsSync)).toEqual([])
  })

  const workingDir = `/tmp/dir with spaces 'single' "double" $(touch ${marker}); x`

  it('uses a WorkingDir with spaces and quotes as one path', async () => {
    const mkdir = await run({ Cmd: ['mkdir', '-p', workingDir] })
    expect(mkdir.exitCode).toBe(0)
    const result = await run({ Cmd: ['pwd'], WorkingDir: workingDir })
    expect(result.stdout).toBe(`${workingDir}\n`)
  })

  it('leaves no marker after the hostile WorkingDir', () => {
    expect(markerPaths(marker).filter(existsSync)).toEqual([])
  })
})

describe('e2e, unusual Env entries', () => {
  /** Runs `cat /proc/self/environ` and returns the entries. */
  async function environOf(env: string[]) {
    const result = await run({ Cmd: ['cat', '/proc/self/environ'], Env: env })
    return { ...result, entries: result.stdout.split('\0').filter((entry) => entry !== '') }
  }

  it('keeps everything after the first = in the value', async () => {
    const { entries } = await environOf(['A=b=c'])
    expect(entries).toContain('A=b=c')
  })

  it('sets an empty value for A=', async () => {
    const { entries } = await environOf(['A='])
    expect(entries).toContain('A=')
  })

  it('drops a bare key that the container does not set', async () => {
    const { entries } = await environOf(['LONELY'])
    expect(entries.filter((entry) => entry.startsWith('LONELY'))).toEqual([])
  })

  it('removes a default with a bare key', async () => {
    const { entries } = await environOf(['HOSTNAME'])
    expect(entries.filter((entry) => entry.startsWith('HOSTNAME='))).toEqual([])
  })

  it('passes a value with newlines as one entry', async () => {
    const { entries } = await environOf(['MULTI=one\ntwo\nthree=3'])
    expect(entries).toContain('MULTI=one\ntwo\nthree=3')
  })

  // Docker keeps `=x` in the list, and runc rejects it at start. A start error
  // that is neither a missing nor a forbidden command gets exit code 128.
  it('fails the start of an entry with an empty name', async () => {
    const result = await run({ Cmd: ['true'], Env: ['=x'] })
    expect(result.stdout).toContain('environment variable name can\'t be empty: "=x"')
    expect(result.exitCode).toBe(128)
  })
})
