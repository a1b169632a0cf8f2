import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js'

/** Stable codes of containerd failures, one per gRPC status that matters to callers. */
export type ContainerdErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'UNAVAILABLE'
  | 'UNIMPLEMENTED'
  | 'DEADLINE_EXCEEDED'
  | 'CANCELLED'
  | 'UNKNOWN'

const codeByStatus: Partial<Record<number, ContainerdErrorCode>> = {
  [GrpcStatus.NOT_FOUND]: 'NOT_FOUND',
  [GrpcStatus.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [GrpcStatus.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [GrpcStatus.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [GrpcStatus.OUT_OF_RANGE]: 'OUT_OF_RANGE',
  [GrpcStatus.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [GrpcStatus.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [GrpcStatus.UNAVAILABLE]: 'UNAVAILABLE',
  [GrpcStatus.UNIMPLEMENTED]: 'UNIMPLEMENTED',
  [GrpcStatus.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [GrpcStatus.CANCELLED]: 'CANCELLED',
}

/**
 * A failed call to containerd. `message` is containerd's own text (without
 * the gRPC status prefix), `code` the classified status and `operation` the
 * RPC that failed, such as `Tasks.Exec`.
 */
export class ContainerdError extends Error {
  override readonly name = 'ContainerdError'

  constructor(
    readonly code: ContainerdErrorCode,
    message: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** Tells whether `err` is a ContainerdError with the given code. */
export function isContainerdError(err: unknown, code?: ContainerdErrorCode): err is ContainerdError {
  return err instanceof ContainerdError && (code === undefined || err.code === code)
}

/** Converts a gRPC failure into a ContainerdError; other values are wrapped as UNKNOWN. */
export function fromGrpcError(err: unknown, operation: string): ContainerdError {
  if (err instanceof ContainerdError) return err
  const serviceError = err as Partial<ServiceError>
  if (typeof serviceError?.code === 'number') {
    const code = codeByStatus[serviceError.code] ?? 'UNKNOWN'
    const message = serviceError.details || serviceError.message || 'unknown containerd error'
    return new ContainerdError(code, message, operation, { cause: err })
  }
  const message = err instanceof Error ? err.message : String(err)
  return new ContainerdError('UNKNOWN', message, operation, { cause: err })
}

/** A local failure while setting up FIFO stdio for a process. */
export class FifoError extends Error {
  override readonly name = 'FifoError'
  readonly code = 'FIFO_SETUP_FAILED'

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
