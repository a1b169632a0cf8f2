import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
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
  dexec: ChildProcess
  /** The state directory of dexec, where the FIFOs of running execs live. */
  stateDir: string
  stop(): Promise<void>
}

/** Starts containerd, creates `demo` and runs `dexec serve` as its own process. */
export async function startStack(options: { namespace?: string; serveArgs?: string[] } = {}): Promise<Stack> {
  const namespace = options.namespace ?? 'default'
  const containerd = await startContainerd()
  const demo = await createContainer(containerd, { id: 'demo', namespace })
  const socketPath = join(containerd.directory, 'dexec.sock')
  const dexec = spawn(
    process.execPath,
    [
      cliPath, 'serve',
      '--containerd', containerd.address,
      '--namespace', namespace,
      '--host', `unix://${socketPath}`,
      '--state-dir', join(containerd.directory, 'dexec'),
      ...(options.serveArgs ?? []),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  await waitFor(() => existsSync(socketPath), { what: `dexec to listen on ${socketPath}` })
  return {
    containerd,
    demo,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    dexec,
    stateDir: join(containerd.directory, 'dexec'),
    stop: async () => {
      if (dexec.exitCode === null && dexec.signalCode === null) {
        const exited = new Promise((resolve) => dexec.once('exit', resolve))
        dexec.kill('SIGTERM')
        await exited
      }
      await containerd.stop()
    },
  }
}
