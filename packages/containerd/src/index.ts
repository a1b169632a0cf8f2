export {
  ContainerdClient,
  toGrpcTarget,
  type ContainerdClientOptions,
  type ContainerRecord,
  type ExecProcessOptions,
  type ExitStatus,
  type ProcessState,
  type ProcessStatus,
} from './client.js'
export {
  ContainerdError,
  FifoError,
  fromGrpcError,
  isContainerdError,
  type ContainerdErrorCode,
} from './errors.js'
export type { ContainerdEvent } from './events.js'
export {
  createFifoSet,
  FifoReadEnd,
  reopenFifoSet,
  type FifoChunkHandler,
  type FifoSet,
  type FifoSetOptions,
} from './fifo.js'
export {
  OCI_PROCESS_TYPE_URL,
  type OciCapabilities,
  type OciProcess,
  type OciSpec,
  type OciUser,
} from './oci.js'
