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
export type { ExecConfig, ExecRecordChange, ExecRecordOptions, ExecStatus } from './record.js'
export { ExecStore } from './store.js'
export type {
  CreateExecOptions,
  DeleteContainerOptions,
  ExecChange,
  ExecStoreOptions,
} from './store.js'
