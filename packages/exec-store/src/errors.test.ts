import { describe, expect, it } from 'vitest'

import {
  ExecConflictError,
  ExecIdGenerationError,
  ExecIdInUseError,
  ExecNotFoundError,
  ExecStateError,
  ExecStoreError,
  InvalidExecArgumentError,
} from './errors.js'

const ID = '0123456789abcdef'.repeat(4)

describe('exec store errors', () => {
  it.each([
    {
      error: new ExecNotFoundError(ID),
      name: 'ExecNotFoundError',
      code: 'EXEC_NOT_FOUND',
      message: `No such exec instance: ${ID}`,
    },
    {
      error: new ExecConflictError(ID, 'EXEC_ALREADY_RUNNING'),
      name: 'ExecConflictError',
      code: 'EXEC_ALREADY_RUNNING',
      message: `exec command ${ID} is already running`,
    },
    {
      error: new ExecConflictError(ID, 'EXEC_ALREADY_RAN'),
      name: 'ExecConflictError',
      code: 'EXEC_ALREADY_RAN',
      message: `exec command ${ID} has already run`,
    },
    {
      error: new ExecIdInUseError(ID),
      name: 'ExecIdInUseError',
      code: 'EXEC_ID_IN_USE',
      message: `exec ID ${ID} is already in use; pass another ID or let the store generate one`,
    },
    {
      error: new ExecIdGenerationError(100),
      name: 'ExecIdGenerationError',
      code: 'EXEC_ID_GENERATION_FAILED',
      message:
        'failed to generate a usable exec ID in 100 attempts; ' +
        'check that the random source returns 32 random bytes',
    },
    {
      error: new ExecStateError(ID, 'finish', 'created'),
      name: 'ExecStateError',
      code: 'EXEC_INVALID_STATE',
      message: `invalid transition for exec ${ID}: finish is not allowed while it is created`,
    },
    {
      error: new InvalidExecArgumentError('exec config cmd', ['a', 'b'], 'strings'),
      name: 'InvalidExecArgumentError',
      code: 'EXEC_INVALID_ARGUMENT',
      message: 'invalid exec config cmd: ["a", "b"]; expected strings',
    },
  ])('$name $code', ({ error, name, code, message }) => {
    expect(error).toBeInstanceOf(ExecStoreError)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe(name)
    expect(error.code).toBe(code)
    expect(error.message).toBe(message)
  })
})
