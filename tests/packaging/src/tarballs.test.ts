import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { listPackages, readmeExample, ROOT, run, type PackageJson } from './workspace.js'

/**
 * What each published package is checked for once installed from its
 * tarball: the README example runs and prints `output`, or, for examples
 * that need a containerd, the package imports and has the `exports`.
 */
const CHECKS: Record<string, { output: string } | { exports: string[] }> = {
  '@dexec/api-types': { output: 'client version 1.99 is too new' },
  '@dexec/exec-store': { output: 'EXEC_ALREADY_RAN' },
  '@dexec/gc': { output: 'marked: 1' },
  '@dexec/stream': { output: 'detached' },
  '@dexec/containerd': { exports: ['ContainerdClient', 'createFifoSet', 'isContainerdError'] },
  '@dexec/core': { exports: ['ExecService', 'ContainerdClient', 'toDexecError'] },
  '@dexec/exec-db': { exports: [] },
}

const published = listPackages('packages', ['testkit'])
let workDirectory: string
let project: string
const tarballs = new Map<string, string>()

beforeAll(async () => {
  workDirectory = mkdtempSync(join(tmpdir(), 'dexec-packaging-'))
  const destination = join(workDirectory, 'tarballs')
  mkdirSync(destination)
  for (const { directory } of published) {
    await run('pnpm', ['pack', '--pack-destination', destination], { cwd: join(ROOT, directory) })
  }
  for (const file of readdirSync(destination)) {
    const manifest = JSON.parse(
      await run('tar', ['-xzOf', file, 'package/package.json'], { cwd: destination }),
    ) as PackageJson
    tarballs.set(manifest.name, join(destination, file))
  }
  project = join(workDirectory, 'project')
  mkdirSync(project)
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'dexec-packaging-check', private: true, type: 'module' }),
  )
  // All tarballs at once, so that their dependencies on each other resolve to
  // these files. Third-party packages come from the npm cache or registry.
  // Install scripts are skipped, so native addons are copied in afterwards.
  const args = [
    'install',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    '--prefer-offline',
    ...tarballs.values(),
  ]
  await run('npm', args, { cwd: project, timeoutMs: 240_000 })
  copyNativeAddons(project)
})

afterAll(() => {
  if (workDirectory) rmSync(workDirectory, { recursive: true, force: true })
})

/**
 * Copies the better-sqlite3 addon that `pnpm install` built into the test
 * project, when the versions match, so that no compiler or download is needed.
 */
function copyNativeAddons(target: string): void {
  const installed = join(target, 'node_modules/better-sqlite3')
  if (!existsSync(installed)) return
  const version = (JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as PackageJson)
    .version
  const built = join(
    ROOT,
    `node_modules/.pnpm/better-sqlite3@${version}/node_modules/better-sqlite3/build/Release`,
  )
  if (!existsSync(join(built, 'better_sqlite3.node'))) return
  mkdirSync(join(installed, 'build/Release'), { recursive: true })
  copyFileSync(
    join(built, 'better_sqlite3.node'),
    join(installed, 'build/Release/better_sqlite3.node'),
  )
}

describe('published packages', () => {
  it('has a check for every package', () => {
    expect(published.map((entry) => entry.manifest.name).sort()).toEqual(Object.keys(CHECKS).sort())
  })

  it.each(published.map((entry) => ({ name: entry.manifest.name, entry })))(
    '$name has the fields of a published package',
    ({ entry }) => {
      const manifest = entry.manifest
      expect(manifest.private).toBeUndefined()
      expect(manifest.version).toMatch(/^\d+\.\d+\.\d+/)
      expect(manifest.license).toBe('Apache-2.0')
      expect(manifest.type).toBe('module')
      expect(manifest.sideEffects).toBe(false)
      expect(manifest.repository).toMatchObject({ type: 'git', directory: entry.directory })
      expect(manifest.engines).toEqual({ node: '>=20.19.0' })
      const root = (manifest.exports as Record<string, Record<string, string>>)['.']!
      expect(Object.keys(root)[0]).toBe('types')
    },
  )

  it.each(published.map((entry) => ({ name: entry.manifest.name, entry })))(
    '$name has a README with an install line',
    ({ name, entry }) => {
      const readme = readFileSync(join(ROOT, entry.directory, 'README.md'), 'utf8')
      expect(readme).toContain(`npm install ${name}`)
      expect(readmeExample(readme), 'a ```ts block under ## Example').toBeDefined()
    },
  )
})

describe('tarballs', () => {
  it('install the dexec packages from the tarballs, not from a registry', () => {
    const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string }>
    }
    const dexecEntries = Object.entries(lock.packages).filter(([path]) =>
      path.includes('node_modules/@dexec/'),
    )
    expect(dexecEntries.map(([path]) => path).sort()).toEqual(
      Object.keys(CHECKS)
        .map((name) => `node_modules/${name}`)
        .sort(),
    )
    for (const [path, entry] of dexecEntries) expect(entry.resolved, path).toMatch(/^file:/)
  })

  it.each(Object.keys(CHECKS).map((name) => ({ name })))(
    '$name packs without tests or workspace ranges',
    async ({ name }) => {
      const tarball = tarballs.get(name)!
      const files = (await run('tar', ['-tzf', tarball], { cwd: workDirectory })).trim().split('\n')
      expect(files).toContain('package/dist/index.js')
      expect(files).toContain('package/dist/index.d.ts')
      expect(files.filter((file) => /\.test\.|tsbuildinfo/.test(file))).toEqual([])
      const manifest = await run('tar', ['-xzOf', tarball, 'package/package.json'], {
        cwd: workDirectory,
      })
      expect(manifest).not.toContain('workspace:')
    },
  )

  it.each(Object.entries(CHECKS).map(([name, check]) => ({ name, check })))(
    '$name works once installed with npm',
    async ({ name, check }) => {
      if ('exports' in check) {
        const script = `const m = await import('${name}'); console.log(JSON.stringify(Object.keys(m)))`
        const names = JSON.parse(
          await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project }),
        ) as string[]
        for (const exported of check.exports) expect(names).toContain(exported)
        return
      }
      const entry = published.find((candidate) => candidate.manifest.name === name)!
      const example = readmeExample(readFileSync(join(ROOT, entry.directory, 'README.md'), 'utf8'))!
      const javascript = ts.transpileModule(example, {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: false,
        },
      }).outputText
      const file = join(project, `example-${name.replace('@dexec/', '')}.mjs`)
      writeFileSync(file, javascript)
      const output = await run(process.execPath, [file], { cwd: project, timeoutMs: 30_000 })
      expect(output).toContain(check.output)
    },
  )
})
