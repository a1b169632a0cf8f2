import { z } from 'zod'

import type { GoFieldKind, GoStructType } from './go-decode.js'

const UINT32_MAX = 0xffff_ffff

function toConsoleSize(size: number[] | null | undefined): [number, number] | null {
  if (size === null || size === undefined) return null
  return [size[0] ?? 0, size[1] ?? 0]
}

// Each field accepts `null` and absence as its default, like a Go field that JSON leaves alone.
const boolField = z.boolean().nullish().transform((value) => value ?? false)
const stringField = z.string().nullish().transform((value) => value ?? '')
const stringsField = z.array(z.string()).nullish().transform((value) => value ?? null)
// A console size is `[height, width]`. Extra elements are ignored and missing ones are 0, as
// when dockerd decodes JSON into a Go `[2]uint`.
const consoleSizeField = z
  .array(z.number().int().min(0).max(UINT32_MAX))
  .nullish()
  .transform(toConsoleSize)

// A deadline in whole seconds; the Go decoder already rejected what is not an integer.
const secondsField = z
  .number()
  .int()
  .min(0, { message: 'Timeout must be a whole number of seconds >= 0' })
  .nullish()
  .transform((value) => value ?? 0)

const FIELD_SCHEMAS = {
  bool: boolField,
  string: stringField,
  strings: stringsField,
  consoleSize: consoleSizeField,
  int: secondsField,
} as const

type FieldSchemas = typeof FIELD_SCHEMAS

/** Zod schema of a request body; parseJsonBody accepts only the schemas of this package. */
export type BodySchema<Shape extends z.ZodRawShape = z.ZodRawShape> = z.ZodObject<Shape>

const goStructs = new WeakMap<z.ZodType, GoStructType>()

/** Returns the Go struct behind a schema of this package, or undefined for any other schema. */
export function goStructOf(schema: z.ZodType): GoStructType | undefined {
  return goStructs.get(schema)
}

function defineGoStruct<Fields extends Record<string, GoFieldKind>>(
  qualifiedName: string,
  fields: Fields,
): BodySchema<{ [Name in keyof Fields]: FieldSchemas[Fields[Name]] }> {
  const shape = Object.fromEntries(
    Object.entries(fields).map(([name, kind]) => [name, FIELD_SCHEMAS[kind]]),
  ) as { [Name in keyof Fields]: FieldSchemas[Fields[Name]] }
  const schema = z.object(shape)
  goStructs.set(schema, { qualifiedName, fields })
  return schema
}

/**
 * Body of `POST /containers/{id}/exec`. Unknown keys are dropped; `Cmd` is optional here
 * because dockerd checks it after decoding (400 `No exec command specified`). `Timeout` is a
 * dexec extension that dockerd drops as an unknown key.
 */
export const ExecCreateBody = defineGoStruct('container.ExecCreateRequest', {
  User: 'string',
  Privileged: 'bool',
  Tty: 'bool',
  ConsoleSize: 'consoleSize',
  AttachStdin: 'bool',
  AttachStderr: 'bool',
  AttachStdout: 'bool',
  DetachKeys: 'string',
  Env: 'strings',
  WorkingDir: 'string',
  Cmd: 'strings',
  Timeout: 'int',
})

/** Exec create body with every default filled in. */
export type ExecCreateBody = z.output<typeof ExecCreateBody>

/** Body of `POST /exec/{id}/start`; an empty body means an attached start. */
export const ExecStartBody = defineGoStruct('container.ExecStartRequest', {
  Detach: 'bool',
  Tty: 'bool',
  ConsoleSize: 'consoleSize',
})

/** Exec start body with every default filled in. */
export type ExecStartBody = z.output<typeof ExecStartBody>
