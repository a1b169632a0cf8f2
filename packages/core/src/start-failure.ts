/**
 * Maps the text of a failed exec start to Docker's exit code (current moby):
 * 126 when the command cannot be run, 127 when it does not exist, 128 for
 * anything else. Returns the message to report, with Docker's hints added.
 */
export function classifyStartFailure(message: string): { exitCode: number; message: string; userError: boolean } {
  const text = message.toLowerCase()
  if (text.includes('permission denied')) return { exitCode: 126, message, userError: true }
  if (text.includes('is a directory')) {
    return { exitCode: 126, message: `${message}: permission denied`, userError: true }
  }
  if (text.includes('not a directory')) {
    const hint =
      ': Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type'
    return { exitCode: 127, message: `${message}${hint}`, userError: true }
  }
  const missing = [
    'executable file not found',
    'no such file or directory',
    'system cannot find the file specified',
    'failed to run runc create/exec call',
  ]
  if (missing.some((m) => text.includes(m))) return { exitCode: 127, message, userError: true }
  return { exitCode: 128, message, userError: false }
}
