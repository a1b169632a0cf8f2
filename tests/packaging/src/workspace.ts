import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** The workspace root. */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** The package.json fields that the packaging tests read. */
export interface PackageJson {
  name: string
  version: string
  private?: boolean
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  [field: string]: unknown
}

/** A workspace package: its directory relative to the root and its package.json. */
export interface WorkspacePackage {
  directory: string
  manifest: PackageJson
}

/** Lists the packages under `parent` (such as `packages`), skipping the excluded names. */
export function listPackages(parent: string, exclude: readonly string[] = []): WorkspacePackage[] {
  return readdirSync(join(ROOT, parent), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !exclude.includes(entry.name))
    .map((entry) => join(parent, entry.name))
    .filter((directory) => existsSync(join(ROOT, directory, 'package.json')))
    .map((directory) => ({
      directory,
      manifest: JSON.parse(readFileSync(join(ROOT, directory, 'package.json'), 'utf8')),
    }))
}

/** Lists the `.js` files under a directory, recursively, leaving out tests. */
export function listJsFiles(directory: string): string[] {
  if (!existsSync(directory)) return []
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter(
      (entry) => entry.isFile() && entry.name.endsWith('.js') && !/\.test\.js$/.test(entry.name),
    )
    .map((entry) => join(entry.parentPath, entry.name))
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g

/** Returns the bare module specifiers that a JavaScript file imports, without relative ones. */
export function importedSpecifiers(source: string): string[] {
  const specifiers = new Set<string>()
  for (const match of source.matchAll(SPECIFIER)) {
    const specifier = match[1]!
    if (!specifier.startsWith('.') && !specifier.startsWith('/')) specifiers.add(specifier)
  }
  return [...specifiers]
}

/** Returns the package name of a bare specifier: `@scope/name` or `name`, without a subpath. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

const execFileAsync = promisify(execFile)

/** Runs a program and returns its stdout; a failure carries its stderr in the message. */
export async function run(
  file: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    return stdout
  } catch (err) {
    const failure = err as Error & { stderr?: string; stdout?: string }
    throw new Error(
      `${file} ${args.join(' ')} failed in ${options.cwd}: ${failure.message}\n${
        failure.stdout ?? ''
      }`,
    )
  }
}

/** Returns the first ```ts block under a README's `## Example` heading, or undefined. */
export function readmeExample(readme: string): string | undefined {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Example'))
  return section ? /```ts\n([\s\S]*?)```/.exec(section)?.[1] : undefined
}
