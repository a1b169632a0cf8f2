export { GcError, InvalidGcOptionError } from './errors.js'
export type {
  GcClock,
  GcEntry,
  GcEntryStatus,
  GcStats,
  GcStore,
  GcTimer,
  GcTimers,
  TwoPhaseGcOptions,
} from './options.js'
export { TwoPhaseGc } from './two-phase-gc.js'
