import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'

import { describe, expect, it } from 'vitest'

import { importedSpecifiers, listJsFiles, listPackages, packageNameOf, ROOT } from './workspace.js'

const BUILTINS = new Set(builtinModules)

const packages = [...listPackages('packages'), ...listPackages('apps')]

describe('importedSpecifiers', () => {
  it('finds static, dynamic and side-effect imports', () => {
    const source = [
      "import { a } from 'zod'",
      "import b from '@grpc/grpc-js/build/src/x.js'",
      "import 'pino'",
      "export { c } from './local.js'",
      "const d = await import('commander')",
    ].join('\n')
    expect(importedSpecifiers(source)).toEqual([
      'zod',
      '@grpc/grpc-js/build/src/x.js',
      'pino',
      'commander',
    ])
  })

  it('maps a subpath to its package', () => {
    expect(packageNameOf('@hono/node-server/utils/response')).toBe('@hono/node-server')
    expect(packageNameOf('pino/file')).toBe('pino')
  })
})

describe('declared dependencies', () => {
  it('finds the workspace packages', () => {
    expect(packages.map((entry) => entry.manifest.name)).toContain('@dexec/core')
  })

  it.each(packages.map((entry) => ({ name: entry.manifest.name, entry })))(
    '$name declares every package its dist imports',
    ({ entry }) => {
      const declared = new Set([
        entry.manifest.name,
        ...Object.keys(entry.manifest.dependencies ?? {}),
        ...Object.keys(entry.manifest.peerDependencies ?? {}),
      ])
      const files = listJsFiles(join(ROOT, entry.directory, 'dist'))
      expect(
        files.length,
        `${entry.directory}/dist holds no .js file: run pnpm build`,
      ).toBeGreaterThan(0)
      const undeclared = new Set<string>()
      for (const file of files) {
        for (const specifier of importedSpecifiers(readFileSync(file, 'utf8'))) {
          if (specifier.startsWith('node:') || BUILTINS.has(specifier)) continue
          const name = packageNameOf(specifier)
          if (!declared.has(name)) undeclared.add(`${name} (${file.slice(ROOT.length)})`)
        }
      }
      expect([...undeclared]).toEqual([])
    },
  )
})
