/** Base class of the failures of this package, each with a stable `code`. */
export class ExecDbError extends Error {
  override readonly name: string = 'ExecDbError'

  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The database was written by a newer schema than this version of the package reads. */
export class UnsupportedSchemaError extends ExecDbError {
  override readonly name = 'UnsupportedSchemaError'

  constructor(
    readonly path: string,
    readonly version: number,
    readonly supported: number,
  ) {
    super(
      'UNSUPPORTED_SCHEMA',
      `exec database ${path} has schema version ${version}, newer than the supported ${supported}; ` +
        'upgrade dexec or move the file away',
    )
  }
}

/** A stored row could not be decoded into an exec snapshot. */
export class CorruptRecordError extends ExecDbError {
  override readonly name = 'CorruptRecordError'

  constructor(
    readonly id: string,
    options?: { cause?: unknown },
  ) {
    super('CORRUPT_RECORD', `exec database row ${id} is not a valid exec record`, options)
  }
}

/** The database is locked by another process or connection, such as a second server on the same state directory. */
export class DatabaseInUseError extends ExecDbError {
  override readonly name = 'DatabaseInUseError'

  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(
      'DATABASE_IN_USE',
      `exec database ${path} is in use by another dexec server; give each server its own state directory`,
      options,
    )
  }
}
