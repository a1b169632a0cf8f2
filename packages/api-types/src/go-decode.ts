// Stores a JSON value into the fields of a Go struct the way encoding/json's Unmarshal does, and
// produces its UnmarshalTypeError texts. Only the field types that the exec bodies use exist.

import type { JsonValue } from './go-json.js'

/**
 * Go type of a body field: `bool`, `string`, `[]string`, or `*[2]uint` for a console size.
 * The console size has its own kind because its elements are range-checked.
 */
export type GoFieldKind = 'bool' | 'string' | 'strings' | 'consoleSize' | 'int'

/** A Go struct type: its qualified name, such as `container.ExecCreateRequest`, and its fields. */
export interface GoStructType {
  readonly qualifiedName: string
  readonly fields: Readonly<Record<string, GoFieldKind>>
}

/** The decoded fields, each with its Go zero value when absent, or the first type error. */
export type DecodeResult =
  | { readonly ok: true; readonly fields: Record<string, unknown> }
  | { readonly ok: false; readonly message: string }

// NOTE: Go's uint is 64 bits wide where dockerd runs, so dockerd accepts sizes up to 2^64-1.
// dexec stops at 2^32-1, which JavaScript numbers hold exactly; the kernel keeps terminal sizes
// in 16 bits anyway.
const UINT_MAX = 0xffff_ffff

/**
 * A decoded `[]string`. Go reuses the slice when a key repeats, so a `null` element of the
 * second array keeps what the first array left at that index. `backing` models that array.
 */
interface StringSlice {
  readonly backing: string[]
  length: number
}

type FieldValue = boolean | string | number | StringSlice | [number, number] | null

/** Go type of each field kind, as type errors print it. */
const GO_TYPE_NAMES: Readonly<Record<GoFieldKind, string>> = {
  bool: 'bool',
  string: 'string',
  strings: '[]string',
  consoleSize: '[2]uint',
  int: 'int',
}

class TypeMismatch {
  constructor(
    readonly value: string,
    readonly goType: string,
  ) {}
}

/**
 * Folds a key as Go does when it matches keys to field names, as far as the result can equal
 * an ASCII name: besides ASCII letters, Go folds U+0130, U+0131, U+017F and U+212A to ASCII.
 */
function foldFieldName(name: string): string {
  return name.replace(/[a-z\u0130\u0131\u017f\u212a]/g, (char) => {
    if (char === '\u0130' || char === '\u0131') return 'I'
    if (char === '\u017f') return 'S'
    if (char === '\u212a') return 'K'
    return char.toUpperCase()
  })
}

function zeroValue(kind: GoFieldKind): FieldValue {
  if (kind === 'bool') return false
  if (kind === 'int') return 0
  if (kind === 'string') return ''
  return null
}

function parseUint(text: string): number | null {
  if (!/^(?:0|[1-9][0-9]{0,9})$/.test(text)) return null
  const value = Number(text)
  return value <= UINT_MAX ? value : null
}

// Go's int is 64 bits wide; dexec stops at the integers that JavaScript numbers hold exactly.
function parseGoInt(text: string): number | null {
  if (!/^-?(?:0|[1-9][0-9]*)$/.test(text)) return null
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : null
}

function decodeStrings(previous: FieldValue, items: JsonValue[]): StringSlice | TypeMismatch {
  // An empty array makes a new empty slice, unlike `null`, which makes a nil one.
  if (items.length === 0) return { backing: [], length: 0 }
  const slice = (previous as StringSlice | null) ?? { backing: [], length: 0 }
  for (const [index, item] of items.entries()) {
    if (index >= slice.backing.length) slice.backing.push('')
    if (item.kind === 'string') slice.backing[index] = item.value
    else if (item.kind !== 'null') return new TypeMismatch(item.kind, 'string')
  }
  slice.length = items.length
  return slice
}

function decodeConsoleSize(previous: FieldValue, items: JsonValue[]): FieldValue | TypeMismatch {
  const size = (previous as [number, number] | null) ?? [0, 0]
  // Elements past the second are skipped without a type check, as Go does for fixed arrays.
  for (const [index, item] of items.slice(0, 2).entries()) {
    if (item.kind === 'number') {
      const value = parseUint(item.text)
      if (value === null) return new TypeMismatch(`number ${item.text}`, 'uint')
      size[index] = value
    } else if (item.kind !== 'null') {
      return new TypeMismatch(item.kind, 'uint')
    }
  }
  for (let index = items.length; index < 2; index++) size[index] = 0
  return size
}

/** Returns the new field value after storing `value`, as Go would for a field of `kind`. */
function decodeField(
  kind: GoFieldKind,
  previous: FieldValue,
  value: JsonValue,
): FieldValue | TypeMismatch {
  if (value.kind === 'null') {
    // null sets slices and pointers to nil and leaves every other type untouched.
    return kind === 'strings' || kind === 'consoleSize' ? null : previous
  }
  if (kind === 'bool' && value.kind === 'bool') return value.value
  if (kind === 'string' && value.kind === 'string') return value.value
  if (kind === 'int' && value.kind === 'number') {
    const parsed = parseGoInt(value.text)
    return parsed ?? new TypeMismatch(`number ${value.text}`, 'int')
  }
  if (kind === 'strings' && value.kind === 'array') return decodeStrings(previous, value.items)
  if (kind === 'consoleSize' && value.kind === 'array') {
    return decodeConsoleSize(previous, value.items)
  }
  return new TypeMismatch(value.kind, GO_TYPE_NAMES[kind])
}

function outputFields(current: Map<string, FieldValue>): Record<string, unknown> {
  const fields: Record<string, unknown> = {}
  for (const [name, value] of current) {
    const isSlice = value !== null && typeof value === 'object' && 'backing' in value
    fields[name] = isSlice ? value.backing.slice(0, value.length) : value
  }
  return fields
}

function typeError(message: string): DecodeResult {
  return { ok: false, message: `json: cannot unmarshal ${message}` }
}

/**
 * Decodes `value` into the fields of `type`. Keys match field names exactly or by Go's case
 * folding, unknown keys are skipped, a repeated key decodes again over the earlier result, and
 * the first type mismatch in input order is reported.
 */
export function decodeGoStruct(value: JsonValue, type: GoStructType): DecodeResult {
  const kinds = new Map(Object.entries(type.fields))
  const current = new Map<string, FieldValue>()
  for (const [name, kind] of kinds) current.set(name, zeroValue(kind))
  if (value.kind === 'null') return { ok: true, fields: outputFields(current) }
  if (value.kind !== 'object') {
    return typeError(`${value.kind} into Go value of type ${type.qualifiedName}`)
  }

  const byFoldedName = new Map([...kinds.keys()].map((name) => [foldFieldName(name), name]))
  const structName = type.qualifiedName.slice(type.qualifiedName.lastIndexOf('.') + 1)
  for (const [key, item] of value.entries) {
    const name = kinds.has(key) ? key : byFoldedName.get(foldFieldName(key))
    const kind = name === undefined ? undefined : kinds.get(name)
    if (name === undefined || kind === undefined) continue
    const decoded = decodeField(kind, current.get(name) ?? null, item)
    if (decoded instanceof TypeMismatch) {
      const field = `${structName}.${name}`
      return typeError(`${decoded.value} into Go struct field ${field} of type ${decoded.goType}`)
    }
    current.set(name, decoded)
  }
  return { ok: true, fields: outputFields(current) }
}
