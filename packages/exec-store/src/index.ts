export {
  ExecConflictError,
  ExecIdGenerationError,
  ExecIdInUseError,
  ExecNotFoundError,
  ExecStateError,
  ExecStoreError,
  InvalidExecArgumentError,
} from './errors.js'
export type { ExecConflictCode } from './errors.js'
export { ExecRecord } from './record.js'
export type {
  ExecConfig,
  ExecRecordChange,
  ExecRecordOptions,
  ExecRecordState,
  ExecStatus,
} from './record.js'
export { snapshotOf } from './snapshot.js'
export type { ExecPersistence, ExecSnapshot } from './snapshot.js'
export { ExecStore } from './store.js'
export type {
  CreateExecOptions,
  DeleteContainerOptions,
  ExecChange,
  ExecStoreOptions,
} from './store.js'
