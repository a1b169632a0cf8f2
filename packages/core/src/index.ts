export { ContainerdClient, isContainerdError, type ContainerdClientOptions } from '@dexec/containerd'
export { NAME_LABELS, containerName, resolveContainer, viewContainer, type ContainerStatus, type ContainerView } from './containers.js'
export { readContainerFile, MAX_CONTAINER_FILE_BYTES } from './container-files.js'
export { buildExecEnv, overlayEnv, DEFAULT_PATH_ENV } from './env.js'
export { DexecError, toDexecError, type ErrorKind } from './errors.js'
export {
  describeCommand,
  EventBus,
  EVENT_HISTORY_BYTES,
  EVENT_HISTORY_SIZE,
  execEvent,
  nowNano,
  type DockerEvent,
} from './events.js'
export { matchesEventFilters, parseEventFilters, type EventFilters } from './event-filter.js'
export {
  ExecService,
  type CreateExecRequest,
  type ExecServiceOptions,
  type PreparedStart,
  type StartExecRequest,
} from './exec-service.js'
export type { ClientStreams } from './exec-start.js'
export { combineObservers, type ExecObserver } from './observer.js'
export { parseExecListQuery, type ExecListFilter } from './exec-list.js'
export { LOST_EXIT_CODE } from './exec-recovery.js'
export { DEFAULT_KILL_SIGNAL, parseSignal } from './signals.js'
export { buildExecProcess, ALL_CAPABILITIES } from './process-spec.js'
export type { ExecInspect } from './render.js'
export { classifyStartFailure } from './start-failure.js'
export { ContainerRecordCache, TaskStateCache } from './task-cache.js'
export { resolveUser, type ResolvedUser } from './user.js'
