import { describe, expect, it } from 'vitest'

import { ExecCreateBody, ExecStartBody } from './schemas.js'

describe('ExecCreateBody', () => {
  it('fills every default', () => {
    expect(ExecCreateBody.parse({})).toEqual({
      User: '',
      Privileged: false,
      Tty: false,
      ConsoleSize: null,
      AttachStdin: false,
      AttachStderr: false,
      AttachStdout: false,
      DetachKeys: '',
      Env: null,
      WorkingDir: '',
      Cmd: null,
      Timeout: 0,
    })
  })

  it('treats null as the default', () => {
    expect(ExecCreateBody.parse({ Tty: null, User: null, Env: null })).toMatchObject({
      Tty: false,
      User: '',
      Env: null,
    })
  })

  it('drops unknown keys', () => {
    expect(ExecCreateBody.parse({ Bogus: 1 })).not.toHaveProperty('Bogus')
  })

  it.each([
    { doc: 'two elements', input: [24, 80], expected: [24, 80] },
    { doc: 'extra elements', input: [24, 80, 7], expected: [24, 80] },
    { doc: 'one element', input: [24], expected: [24, 0] },
    { doc: 'no element', input: [], expected: [0, 0] },
  ])('pads or cuts a console size with $doc', ({ input, expected }) => {
    expect(ExecCreateBody.parse({ ConsoleSize: input }).ConsoleSize).toEqual(expected)
  })

  it.each([
    { doc: 'negative', input: [-1, 80] },
    { doc: 'fraction', input: [1.5, 80] },
    { doc: 'beyond uint32', input: [2 ** 32, 80] },
  ])('rejects a $doc console size', ({ input }) => {
    expect(ExecCreateBody.safeParse({ ConsoleSize: input }).success).toBe(false)
  })

  it('rejects a wrong field type', () => {
    expect(ExecCreateBody.safeParse({ Cmd: 'ls' }).success).toBe(false)
  })
})

describe('ExecStartBody', () => {
  it('fills every default', () => {
    expect(ExecStartBody.parse({})).toEqual({ Detach: false, Tty: false, ConsoleSize: null })
  })

  it('keeps given values', () => {
    expect(ExecStartBody.parse({ Detach: true, Tty: true, ConsoleSize: [1, 2] })).toEqual({
      Detach: true,
      Tty: true,
      ConsoleSize: [1, 2],
    })
  })
})
