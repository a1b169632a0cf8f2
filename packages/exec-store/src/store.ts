import { randomBytes } from 'node:crypto'

import { ExecIdGenerationError, ExecIdInUseError, ExecNotFoundError } from './errors.js'
import { ExecRecord } from './record.js'
import type { ExecConfig, ExecRecordChange, ExecStatus } from './record.js'
import type { ExecSnapshot } from './snapshot.js'

/** Changes reported by {@link ExecStore}: those of its records plus its own index updates. */
export type ExecChange = ExecRecordChange | 'created' | 'released' | 'deleted'

/** Options of the {@link ExecStore} constructor. */
export interface ExecStoreOptions {
  /**
   * Called synchronously after each change of a record or of its place in the store, also for
   * records that were deleted meanwhile. An exception reaches the caller of the change.
   */
  onChange?: (record: ExecRecord, change: ExecChange) => void
  /** Source of random bytes for new IDs, `crypto.randomBytes` by default. */
  randomBytes?: (size: number) => Uint8Array
}

/** Options of {@link ExecStore.create}. */
export interface CreateExecOptions {
  /** Explicit ID, which must not be stored already. Without it, a random ID is generated. */
  id?: string
  /** Creation time, now by default. */
  now?: Date
}

/** Options of {@link ExecStore.deleteContainer}. */
export interface DeleteContainerOptions {
  /**
   * Keeps exited records, which is what a container stop does in Docker: they stay
   * inspectable until the cleanup removes them. Removing the container deletes them all.
   */
  keepExited?: boolean
}

const ID_BYTES = 32
const SHORT_ID_LENGTH = 12
const MAX_ID_ATTEMPTS = 100

/**
 * In-memory exec records with two indexes: every record by ID (backs inspect, start and
 * resize), and per container the IDs of records that are created or running (backs `ExecIDs`).
 */
export class ExecStore {
  readonly #records = new Map<string, ExecRecord>()
  readonly #active = new Map<string, Set<string>>()
  readonly #onChange: ExecStoreOptions['onChange']
  readonly #randomBytes: (size: number) => Uint8Array

  constructor(options: ExecStoreOptions = {}) {
    this.#onChange = options.onChange
    this.#randomBytes = options.randomBytes ?? randomBytes
  }

  /** Number of stored records, in any status. */
  get size(): number {
    return this.#records.size
  }

  /**
   * Stores a new created record and lists it under its container.
   * Throws `ExecIdInUseError` for a taken explicit ID, `InvalidExecArgumentError` for a bad config.
   */
  create(config: ExecConfig, options: CreateExecOptions = {}): ExecRecord {
    const id = options.id ?? this.#generateId()
    if (this.#records.has(id)) {
      throw new ExecIdInUseError(id)
    }

    const record = new ExecRecord(id, config, {
      createdAt: options.now ?? new Date(),
      onChange: (changed, change) => this.#handleRecordChange(changed, change),
    })
    this.#records.set(id, record)
    this.#list(record)
    this.#onChange?.(record, 'created')
    return record
  }

  /**
   * Stores a record rebuilt from a snapshot, listed under its container unless it has exited.
   * Reports no change, because the record is already stored where the snapshot came from.
   * Throws `ExecIdInUseError` when the ID is stored already.
   */
  restore(snapshot: ExecSnapshot): ExecRecord {
    if (this.#records.has(snapshot.id)) {
      throw new ExecIdInUseError(snapshot.id)
    }

    const record = new ExecRecord(snapshot.id, snapshot.config, {
      createdAt: snapshot.createdAt,
      onChange: (changed, change) => this.#handleRecordChange(changed, change),
    })
    record.restoreState(snapshot)
    this.#records.set(record.id, record)
    if (record.status !== 'exited') {
      this.#list(record)
    }

    return record
  }

  /** Returns the record with exactly this ID. Prefixes are not resolved. */
  get(id: string): ExecRecord | undefined {
    return this.#records.get(id)
  }

  /** Returns the record with exactly this ID, or throws `ExecNotFoundError`. */
  require(id: string): ExecRecord {
    const record = this.#records.get(id)
    if (record === undefined) {
      throw new ExecNotFoundError(id)
    }

    return record
  }

  /** Returns every stored record of the container, in any status, in creation order. */
  listByContainer(containerId: string): ExecRecord[] {
    return [...this.#records.values()].filter((record) => record.config.containerId === containerId)
  }

  /**
   * Returns the IDs of the container's created or running execs, for the `ExecIDs` of a
   * container inspect. Returns `null` rather than `[]` when there are none, as Docker does.
   */
  execIdsOf(containerId: string): string[] | null {
    const ids = this.#active.get(containerId)
    return ids === undefined ? null : [...ids]
  }

  /** Tells whether the ID is in its container's `ExecIDs` list. */
  isListed(id: string): boolean {
    const record = this.#records.get(id)
    if (record === undefined) {
      return false
    }

    return this.#active.get(record.config.containerId)?.has(id) ?? false
  }

  /**
   * Removes the ID from its container's `ExecIDs` list and keeps the record for inspect.
   * The store does this itself when a record exits, so a call after that returns false.
   */
  release(id: string): boolean {
    const record = this.#records.get(id)
    if (record === undefined || !this.#unlist(record)) {
      return false
    }

    this.#onChange?.(record, 'released')
    return true
  }

  /** Deletes the record from both indexes. Returns false when it was not stored. */
  delete(id: string): boolean {
    const record = this.#records.get(id)
    if (record === undefined) {
      return false
    }

    this.#remove(record)
    return true
  }

  /**
   * Deletes the container's records from both indexes and returns them, for the cleanup
   * after the container stops (with `keepExited`) or is removed (without).
   */
  deleteContainer(containerId: string, options: DeleteContainerOptions = {}): ExecRecord[] {
    const doomed = this.listByContainer(containerId).filter(
      (record) => !(options.keepExited === true && record.status === 'exited'),
    )
    for (const record of doomed) {
      this.#remove(record)
    }

    return doomed
  }

  /** Iterates over every stored record in creation order. Deleting while iterating is safe. */
  values(): IterableIterator<ExecRecord> {
    return this.#records.values()
  }

  /** Counts the stored records by status. */
  countByStatus(): Record<ExecStatus, number> {
    const counts: Record<ExecStatus, number> = { created: 0, running: 0, exited: 0 }
    for (const record of this.#records.values()) {
      counts[record.status] += 1
    }

    return counts
  }

  #handleRecordChange(record: ExecRecord, change: ExecRecordChange): void {
    // A record deleted earlier may share its ID with a newer one, which it must not unlist.
    if (record.status === 'exited' && this.#records.get(record.id) === record) {
      this.#unlist(record)
    }

    this.#onChange?.(record, change)
  }

  #remove(record: ExecRecord): void {
    this.#unlist(record)
    this.#records.delete(record.id)
    this.#onChange?.(record, 'deleted')
  }

  #unlist(record: ExecRecord): boolean {
    const containerId = record.config.containerId
    const ids = this.#active.get(containerId)
    if (ids === undefined || !ids.delete(record.id)) {
      return false
    }

    if (ids.size === 0) {
      this.#active.delete(containerId)
    }

    return true
  }

  #list(record: ExecRecord): void {
    const containerId = record.config.containerId
    const ids = this.#active.get(containerId)
    if (ids === undefined) {
      this.#active.set(containerId, new Set([record.id]))
    } else {
      ids.add(record.id)
    }
  }

  // IDs are 32 random bytes in hex, as in Docker. Also as in Docker, the 12-character short
  // form that clients display is never all digits, so that it cannot be taken for a number.
  #generateId(): string {
    for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt += 1) {
      const id = Buffer.from(this.#randomBytes(ID_BYTES)).toString('hex')
      const usable =
        id.length === ID_BYTES * 2 &&
        !/^[0-9]+$/.test(id.slice(0, SHORT_ID_LENGTH)) &&
        !this.#records.has(id)
      if (usable) {
        return id
      }
    }

    throw new ExecIdGenerationError(MAX_ID_ATTEMPTS)
  }
}
