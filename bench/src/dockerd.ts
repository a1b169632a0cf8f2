// The bench's container on a private dockerd: an image imported from the testkit busybox root
// filesystem, and a container started from it.

import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { promisify } from 'node:util'

import { buildBusyboxRootfs, type DockerdInstance } from '@dexec/testkit'

import { API_PREFIX, EngineClient } from './engine.js'

const execFileAsync = promisify(execFile)

/** The image of dockerd's container, imported from the testkit busybox root filesystem. */
export const BENCH_IMAGE = 'dexec-bench:busybox'

/** Imports the busybox root filesystem as BENCH_IMAGE and starts container `name` from it. */
export async function createDockerContainer(dockerd: DockerdInstance, name: string): Promise<void> {
  const rootfs = await buildBusyboxRootfs(join(dockerd.directory, 'image-rootfs'))
  const tarPath = join(dockerd.directory, 'image-rootfs.tar')
  await execFileAsync('tar', ['-C', rootfs, '-cf', tarPath, '.'])
  const [repo, tag] = BENCH_IMAGE.split(':')
  const client = new EngineClient(dockerd.socketPath)
  try {
    const imported = await postTar(client, `/images/create?fromSrc=-&repo=${repo}&tag=${tag}`, tarPath)
    // The import reports failures inside a 200 progress stream.
    if (imported.includes('errorDetail')) throw new Error(`image import failed: ${imported}`)
    const body = {
      Image: BENCH_IMAGE,
      Cmd: ['tail', '-f', '/dev/null'],
      HostConfig: { NetworkMode: 'none' },
    }
    await client.call('POST', `/containers/create?name=${name}`, 201, body)
    await client.call('POST', `/containers/${name}/start`, 204)
  } finally {
    client.close()
  }
}

async function postTar(client: EngineClient, path: string, tarPath: string): Promise<string> {
  const tar = await readFile(tarPath)
  return new Promise((resolve, reject) => {
    const headers = { Host: 'docker', 'Content-Type': 'application/x-tar', 'Content-Length': tar.length }
    const req = request({ socketPath: client.socketPath, method: 'POST', path: `${API_PREFIX}${path}`, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        if (res.statusCode === 200) resolve(text)
        else reject(new Error(`image import returned ${res.statusCode}: ${text}`))
      })
    })
    req.on('error', reject)
    req.end(tar)
  })
}
