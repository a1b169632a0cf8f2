import { isContainerdError, type ContainerdErrorCode } from '@dexec/containerd'

/**
 * Kinds of failure, after Docker's errdefs classes. Core picks the kind; the
 * server alone turns it into an HTTP status.
 */
export type ErrorKind =
  | 'NOT_FOUND'
  | 'INVALID_PARAMETER'
  | 'CONFLICT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'UNAVAILABLE'
  | 'NOT_IMPLEMENTED'
  | 'PAYLOAD_TOO_LARGE'
  | 'SYSTEM'

/** A failure of an exec operation, with its kind and a message a Docker client shows as is. */
export class DexecError extends Error {
  override readonly name = 'DexecError'

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export const errNoSuchContainer = (ref: string) =>
  new DexecError('NOT_FOUND', `No such container: ${ref}`)

export const errAmbiguousContainer = (prefix: string) =>
  new DexecError('INVALID_PARAMETER', `multiple IDs found with provided prefix: ${prefix}`)

export const errNoSuchExec = (id: string) =>
  new DexecError('NOT_FOUND', `No such exec instance: ${id}`)

export const errContainerNotRunning = (fullId: string) =>
  new DexecError('CONFLICT', `container ${fullId} is not running`)

export const errContainerPaused = (ref: string) =>
  new DexecError('CONFLICT', `Container ${ref} is paused, unpause the container before exec`)

export const errNoCommand = () => new DexecError('INVALID_PARAMETER', 'No exec command specified')

export const errExecNotStarted = () => new DexecError('INVALID_PARAMETER', 'exec process is not started')

export const errExecNotRunning = (id: string) => new DexecError('CONFLICT', `exec ${id} is not running`)

export const errExecSessionTimeout = () =>
  new DexecError('SYSTEM', 'timeout waiting for exec session ready')

const kindByContainerdCode: Record<ContainerdErrorCode, ErrorKind> = {
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'CONFLICT',
  INVALID_ARGUMENT: 'INVALID_PARAMETER',
  FAILED_PRECONDITION: 'INVALID_PARAMETER',
  OUT_OF_RANGE: 'INVALID_PARAMETER',
  PERMISSION_DENIED: 'FORBIDDEN',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  UNAVAILABLE: 'UNAVAILABLE',
  UNIMPLEMENTED: 'NOT_IMPLEMENTED',
  DEADLINE_EXCEEDED: 'SYSTEM',
  CANCELLED: 'SYSTEM',
  UNKNOWN: 'SYSTEM',
}

/**
 * Classifies any thrown value: DexecErrors pass through, containerd failures
 * get the kind of their gRPC status, and everything else becomes SYSTEM with
 * the original kept as `cause`.
 */
export function toDexecError(err: unknown): DexecError {
  if (err instanceof DexecError) return err
  if (isContainerdError(err)) {
    if (err.code === 'UNAVAILABLE') {
      return new DexecError('UNAVAILABLE', `containerd is not available: ${err.message}`, { cause: err })
    }
    return new DexecError(kindByContainerdCode[err.code], err.message, { cause: err })
  }
  if (typeof (err as { code?: unknown })?.code === 'string' && err instanceof Error) {
    const code = (err as unknown as { code: string }).code
    if (code === 'EXEC_NOT_FOUND') return new DexecError('NOT_FOUND', err.message, { cause: err })
    if (code === 'EXEC_ALREADY_RUNNING' || code === 'EXEC_ALREADY_RAN') {
      return new DexecError('CONFLICT', err.message, { cause: err })
    }
    if (code === 'INVALID_DETACH_KEYS' || code === 'INVALID_BODY') {
      return new DexecError('INVALID_PARAMETER', err.message, { cause: err })
    }
  }
  const message = err instanceof Error ? err.message : String(err)
  return new DexecError('SYSTEM', message, { cause: err })
}
