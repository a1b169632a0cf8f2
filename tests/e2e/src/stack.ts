import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import {
  createContainer,
  startContainerd,
  waitFor,
  type ContainerdInstance,
  type TestContainer,
} from '@dexec/testkit'

const cliPath = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url))

/** A private containerd with a busybox container `demo`, and the dexec CLI serving it. */
export interface Stack {
  containerd: ContainerdInstance
  demo: TestContainer
  /** The unix socket dexec listens on. */
  socketPath: string
  /** DOCKER_HOST for clients. */
  dockerHost: string
  /** The current dexec process; restartDexec replaces it. */
  dexec: ChildProcess
  /** Kills dexec with SIGKILL and starts it again with the same options and state dir. */
  restartDexec(): Promise<void>
  /** The state directory of dexec, where the FIFOs of running execs live. */
  stateDir: string
  stop(): Promise<void>
}

/** Options of startStack. */
export interface StackOptions {
  namespace?: string
  /** More `dexec serve` flags; they come last, so they win. */
  serveArgs?: string[]
  /** Leaves out the flags of the extensions (audit log, exec timeout) that every stack has. */
  plain?: boolean
}

/** Starts containerd, creates `demo` and runs `dexec serve` as its own process. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const namespace = options.namespace ?? 'default'
  const containerd = await startContainerd()
  const demo = await createContainer(containerd, { id: 'demo', namespace })
  const socketPath = join(containerd.directory, 'dexec.sock')
  const args = [
    'serve',
    '--containerd', containerd.address,
    '--namespace', namespace,
    '--host', `unix://${socketPath}`,
    '--state-dir', join(containerd.directory, 'dexec'),
    // Every stack runs with the extensions on unless it requests a plain server, so Docker
    // clients are tested against them too. A test's own serveArgs come later and win.
    ...(options.plain ? [] : extensionFlags(containerd.directory)),
    ...(options.serveArgs ?? []),
  ]
  const launch = async () => {
    // Run as an executable, as users do, so that the Node options of its first line apply.
    const child = spawn(cliPath, args, { stdio: ['ignore', 'inherit', 'inherit'] })
    await waitFor(() => existsSync(socketPath), { what: `dexec to listen on ${socketPath}` })
    return child
  }
  const stack: Stack = {
    containerd,
    demo,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    dexec: await launch(),
    restartDexec: async () => {
      const exited = new Promise((resolve) => stack.dexec.once('exit', resolve))
      stack.dexec.kill('SIGKILL')
      await exited
      // A killed dexec leaves its socket file behind.
      await rm(socketPath, { force: true })
      stack.dexec = await launch()
    },
    stateDir: join(containerd.directory, 'dexec'),
    stop: async () => {
      const dexec = stack.dexec
      if (dexec.exitCode === null && dexec.signalCode === null) {
        const exited = new Promise((resolve) => dexec.once('exit', resolve))
        dexec.kill('SIGTERM')
        await exited
      }
      await containerd.stop()
    },
  }
  return stack
}

/** Returns the flags that turn on the extensions: an audit log in `directory`, an exec timeout. */
function extensionFlags(directory: string): string[] {
  return ['--audit-log', join(directory, 'audit.log'), '--exec-timeout', '3600']
}
