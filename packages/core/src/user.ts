import { DexecError } from './errors.js'

/** A user string resolved against the container's /etc/passwd and /etc/group. */
export interface ResolvedUser {
  uid: number
  gid: number
  /** The primary gid first, then the supplementary groups in group file order. */
  additionalGids: number[]
  home: string | undefined
}

interface PasswdEntry {
  name: string
  uid: number
  gid: number
  home: string
}

interface GroupEntry {
  name: string
  gid: number
  members: string[]
}

/** The user that a spec selects before any group is applied. */
interface MatchedUser {
  uid: number
  gid: number
  home: string | undefined
  /** The passwd name, undefined for a numeric uid without a passwd entry. */
  name: string | undefined
}

// moby/sys/user caps ids at MaxInt32 for 32-bit systems.
const MAX_ID = 2147483647
// OCI runtime specs carry uids and gids as uint32.
const MAX_FILE_ID = 0xffff_ffff
// The integers that Go's strconv.Atoi accepts.
const DECIMAL = /^[+-]?\d+$/

/**
 * Resolves Docker's user forms (`name`, `uid`, `name:group`, `uid:gid`,
 * `name:gid`, `uid:group`, `:group`) from the text of the container's passwd
 * and group files (null when a file is missing), with the rules of
 * moby/sys/user `GetExecUser`. A numeric user or group without an entry is
 * taken as given. Throws an INVALID_PARAMETER DexecError with Docker's message
 * for an unknown name or an id outside 0-2147483647.
 */
export function resolveUser(
  spec: string,
  passwdText: string | null,
  groupText: string | null,
): ResolvedUser {
  // Text after a second colon is ignored, as Docker's line parser does.
  const [userPart = '', groupPart = ''] = spec.split(':')
  // Both ids are range-checked before any lookup, so `nosuch:-1` is a range error.
  const uid = parseId(userPart)
  const gid = parseId(groupPart)

  const user = matchUser(userPart, uid, parsePasswd(passwdText ?? ''))
  const groups = parseGroup(groupText ?? '')
  if (groupPart !== '') {
    const explicitGid = matchGroup(groupPart, gid, groups)
    return { uid: user.uid, gid: explicitGid, additionalGids: [explicitGid], home: user.home }
  }

  // Supplementary groups apply only without an explicit group. Docker does not
  // remove a supplementary gid that repeats the primary one.
  const name = user.name
  const supplementary =
    name === undefined ? [] : groups.filter((g) => g.members.includes(name)).map((g) => g.gid)
  const additionalGids = [user.gid, ...supplementary]
  return { uid: user.uid, gid: user.gid, additionalGids, home: user.home }
}

/** Finds the first passwd entry for a name or uid. An empty user part selects uid 0. */
function matchUser(userPart: string, uid: number | undefined, passwd: PasswdEntry[]): MatchedUser {
  const lookupUid = userPart === '' ? 0 : uid
  const entry = passwd.find((e) =>
    lookupUid === undefined ? e.name === userPart : e.uid === lookupUid,
  )
  if (entry) return entry
  if (lookupUid !== undefined) return { uid: lookupUid, gid: 0, home: undefined, name: undefined }
  throw userError(`unable to find user ${userPart}: no matching entries in passwd file`)
}

function matchGroup(groupPart: string, gid: number | undefined, groups: GroupEntry[]): number {
  const entry = groups.find((g) => (gid === undefined ? g.name === groupPart : g.gid === gid))
  if (entry) return entry.gid
  if (gid !== undefined) return gid
  throw userError(`unable to find group ${groupPart}: no matching entries in group file`)
}

/**
 * Parses a user or group part as a decimal id. Returns undefined when it is a
 * name, and throws when it is a number outside 0-2147483647.
 */
function parseId(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined
  const value = Number(text)
  if (value < 0 || value > MAX_ID) throw userError(`uids and gids must be in range 0-${MAX_ID}`)
  // `-0` is a valid spelling of 0.
  return value === 0 ? 0 : value
}

/** Parses an id field of a passwd or group line. Returns undefined for a malformed field. */
function parseFileId(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined
  const value = Number(text)
  return value <= MAX_FILE_ID ? value : undefined
}

/** Splits a file into trimmed lines without blanks and `#` comments. */
function dataLines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}

// Lines with an empty name or a non-numeric uid or gid are skipped.
function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = []
  for (const line of dataLines(text)) {
    const [name = '', , uidField, gidField, , home = ''] = line.split(':')
    const uid = parseFileId(uidField)
    const gid = parseFileId(gidField)
    if (name === '' || uid === undefined || gid === undefined) continue
    entries.push({ name, uid, gid, home })
  }
  return entries
}

// Members are compared as written, without trimming, as Docker does.
function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = []
  for (const line of dataLines(text)) {
    const [name = '', , gidField, memberField = ''] = line.split(':')
    const gid = parseFileId(gidField)
    if (name === '' || gid === undefined) continue
    entries.push({ name, gid, members: memberField === '' ? [] : memberField.split(',') })
  }
  return entries
}

function userError(message: string): DexecError {
  return new DexecError('INVALID_PARAMETER', message)
}
