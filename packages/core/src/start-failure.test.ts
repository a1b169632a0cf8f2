import { describe, expect, it } from 'vitest'

import { classifyStartFailure } from './start-failure.js'

const RUNC_PREFIX = 'OCI runtime exec failed: exec failed: unable to start container process: '
const MOUNT_HINT =
  ': Are you trying to mount a directory onto a file (or vice-versa)?' +
  ' Check if the specified host path exists and is the expected type'

describe('classifyStartFailure', () => {
  const cases: {
    doc: string
    message: string
    exitCode: number
    /** The returned message, when it differs from `message`. */
    reported?: string
    userError: boolean
  }[] = [
    {
      doc: 'command not in PATH',
      message: `${RUNC_PREFIX}exec: "foo": executable file not found in $PATH: unknown`,
      exitCode: 127,
      userError: true,
    },
    {
      doc: 'empty command',
      message: `${RUNC_PREFIX}exec: "": executable file not found in $PATH: unknown`,
      exitCode: 127,
      userError: true,
    },
    {
      doc: 'missing absolute path',
      message: `${RUNC_PREFIX}exec: "/nonexistent": stat /nonexistent: no such file or directory: unknown`,
      exitCode: 127,
      userError: true,
    },
    {
      doc: 'missing working directory',
      message: `${RUNC_PREFIX}chdir to cwd ("/nonexistent") set in config.json failed: no such file or directory: unknown`,
      exitCode: 127,
      userError: true,
    },
    {
      doc: 'non-executable file',
      message: `${RUNC_PREFIX}exec: "/etc/passwd": permission denied: unknown`,
      exitCode: 126,
      userError: true,
    },
    {
      doc: 'directory as command (runc 1.1)',
      message: `${RUNC_PREFIX}exec: "/tmp": permission denied: unknown`,
      exitCode: 126,
      userError: true,
    },
    {
      doc: 'directory as command',
      message: `${RUNC_PREFIX}exec: "/tmp": is a directory: unknown`,
      exitCode: 126,
      reported: `${RUNC_PREFIX}exec: "/tmp": is a directory: unknown: permission denied`,
      userError: true,
    },
    {
      doc: 'path through a file',
      message: `${RUNC_PREFIX}exec: "/etc/passwd/x": stat /etc/passwd/x: not a directory: unknown`,
      exitCode: 127,
      reported: `${RUNC_PREFIX}exec: "/etc/passwd/x": stat /etc/passwd/x: not a directory: unknown${MOUNT_HINT}`,
      userError: true,
    },
    {
      doc: 'Windows missing file',
      message: 'The system cannot find the file specified.',
      exitCode: 127,
      userError: true,
    },
    {
      doc: 'runc create/exec call failure',
      message: 'failed to run runc create/exec call for container x: exit status 1',
      exitCode: 127,
      userError: true,
    },
    {
      doc: 'other runtime error',
      message: `${RUNC_PREFIX}setns: operation not permitted: unknown`,
      exitCode: 128,
      userError: false,
    },
    {
      doc: 'empty message',
      message: '',
      exitCode: 128,
      userError: false,
    },
    {
      doc: 'upper-case permission text',
      message: 'exec: "/x": PERMISSION DENIED',
      exitCode: 126,
      userError: true,
    },
    {
      doc: 'mixed-case not-found text',
      message: 'exec: "x": Executable File Not Found in $PATH',
      exitCode: 127,
      userError: true,
    },
    {
      // Permission is checked first, as Docker does.
      doc: 'permission denied and missing file',
      message: 'open /x: no such file or directory; permission denied',
      exitCode: 126,
      userError: true,
    },
    {
      // "not a directory" is checked before the missing-file texts.
      doc: 'not a directory and missing file',
      message: 'no such file or directory: not a directory',
      exitCode: 127,
      reported: `no such file or directory: not a directory${MOUNT_HINT}`,
      userError: true,
    },
  ]

  it.each(cases)('maps $doc', ({ message, exitCode, reported, userError }) => {
    const result = classifyStartFailure(message)
    expect(result.exitCode).toBe(exitCode)
    expect(result.message).toBe(reported ?? message)
    expect(result.userError).toBe(userError)
  })
})
