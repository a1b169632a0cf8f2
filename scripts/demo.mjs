// Starts a private containerd with a busybox container named `demo`, and
// dexec serving it on a unix socket, then waits in the foreground. Ctrl-C
// stops dexec and containerd and removes everything they created.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { createContainer, startContainerd, waitFor } from '@dexec/testkit'

const root = fileURLToPath(new URL('..', import.meta.url))
const containerd = await startContainerd()
let dexec
try {
  await createContainer(containerd, { id: 'demo' })
  const socket = join(containerd.directory, 'dexec.sock')
  // Started as an executable, so that the Node options of its first line apply.
  dexec = spawn(
    join(root, 'apps/cli/dist/main.js'),
    [
      'serve',
      '--containerd', containerd.address,
      '--namespace', 'default',
      '--host', `unix://${socket}`,
      '--state-dir', join(containerd.directory, 'dexec'),
      '--log-level', 'info',
      '--shutdown-timeout', '2',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  await waitFor(() => existsSync(socket), { what: `dexec to listen on ${socket}` })
  process.stdout.write(
    [
      '',
      `containerd: ${containerd.address} (namespace "default", log ${containerd.logPath})`,
      `dexec:      unix://${socket}`,
      '',
      'In another shell:',
      `  export DOCKER_HOST=unix://${socket}`,
      '  docker exec -it demo sh',
      '',
      'Press Ctrl-C to stop dexec and containerd.',
      '',
    ].join('\n'),
  )
  await new Promise((resolve) => {
    // Ctrl-C reaches dexec too (same process group), so its exit after a signal is expected.
    let signalled = false
    const stop = () => {
      signalled = true
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    dexec.once('exit', (code, signal) => {
      // Say why the demo ends when dexec stopped by itself.
      if (!signalled) process.stdout.write(`dexec exited (${signal ?? `code ${code}`}); stopping containerd\n`)
      resolve()
    })
  })
} finally {
  // A second Ctrl-C while stopping must not leave containerd behind.
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => {})
  if (dexec && dexec.exitCode === null && dexec.signalCode === null) {
    dexec.kill('SIGTERM')
    await new Promise((resolve) => dexec.once('exit', resolve))
  }
  await containerd.stop()
  process.stdout.write('stopped dexec and containerd\n')
}
