/**
 * Oldest API version that dexec serves: the lowest minimum that current dockerd can be
 * configured with (its default minimum is 1.40).
 */
export const MIN_API_VERSION = '1.24'

/** Newest API version that dexec serves, and the version of requests without a `/v…` prefix. */
export const MAX_API_VERSION = '1.56'

/** A parsed `major.minor` API version. */
export interface ApiVersion {
  readonly major: number
  readonly minor: number
}

/** Inclusive range of API versions that a server accepts. */
export interface ApiVersionRange {
  readonly min: string
  readonly max: string
}

/** Parses a strict `major.minor` version such as `1.41`; returns null for anything else. */
export function parseApiVersion(text: string): ApiVersion | null {
  const match = /^(\d{1,9})\.(\d{1,9})$/.exec(text)
  if (match === null) return null
  return { major: Number(match[1]), minor: Number(match[2]) }
}

const INT64_MAX = (1n << 63n) - 1n
const INT64_MIN = -(1n << 63n)

/** Converts one version part like Go's strconv.Atoi: 0 when invalid, clamped when too large. */
function versionPart(part: string | undefined): bigint {
  if (part === undefined || !/^[+-]?\d+$/.test(part)) return 0n
  const value = BigInt(part)
  if (value > INT64_MAX) return INT64_MAX
  if (value < INT64_MIN) return INT64_MIN
  return value
}

/**
 * Compares two dotted versions part by part as dockerd does: missing and non-numeric parts
 * count as 0, so `1.40.0` equals `1.40` and `1.x` equals `1.0`.
 */
export function compareApiVersions(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0
  const left = a.split('.')
  const right = b.split('.')
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const leftPart = versionPart(left[i])
    const rightPart = versionPart(right[i])
    if (leftPart > rightPart) return 1
    if (leftPart < rightPart) return -1
  }
  return 0
}

/** Reports whether `version` is `min` or newer, for gating behaviour such as ConsoleSize (1.42). */
export function apiVersionAtLeast(version: string, min: string): boolean {
  return compareApiVersions(version, min) >= 0
}

/**
 * Checks a requested version against the served range and returns dockerd's 400 message, or
 * null when the version is served. The version text is echoed as given.
 */
export function checkApiVersion(
  version: string,
  range: ApiVersionRange = { min: MIN_API_VERSION, max: MAX_API_VERSION },
): string | null {
  if (compareApiVersions(version, range.min) < 0) {
    return (
      `client version ${version} is too old. Minimum supported API version is ${range.min}, ` +
      'please upgrade your client to a newer version'
    )
  }
  if (compareApiVersions(version, range.max) > 0) {
    return `client version ${version} is too new. Maximum supported API version is ${range.max}`
  }
  return null
}
