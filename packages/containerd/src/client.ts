import * as grpc from '@grpc/grpc-js'

import { fromGrpcError, isContainerdError } from './errors.js'
import { OCI_PROCESS_TYPE_URL, type OciProcess, type OciSpec } from './oci.js'
import { loadServices } from './proto.js'
import { subscribeEvents, type ContainerdEvent } from './events.js'

/** Options of a ContainerdClient. */
export interface ContainerdClientOptions {
  /** containerd's gRPC socket, as a path or a `unix://` address. */
  address: string
  /** The containerd namespace every call is made in, such as `default` or `k8s.io`. */
  namespace: string
  /** Deadline of unary calls in milliseconds, except Wait which has none. Default 30 s. */
  callTimeoutMs?: number
  /**
   * How long a call that found no connection waits for one before it fails
   * with UNAVAILABLE, in milliseconds. Default 2 s.
   */
  reconnectGraceMs?: number
}

/** A container record of containerd's metadata store. */
export interface ContainerRecord {
  id: string
  labels: Record<string, string>
  image: string
  runtime: string
  /** The OCI spec the container was created with, or undefined when it has none. */
  spec: OciSpec | undefined
  snapshotter: string
  snapshotKey: string
  createdAt: Date | undefined
  updatedAt: Date | undefined
}

/** Status of a task or exec process, as containerd names it (lower case). */
export type ProcessStatus = 'unknown' | 'created' | 'running' | 'stopped' | 'paused' | 'pausing'

/** A task (init process) or an exec process of a container. */
export interface ProcessState {
  containerId: string
  id: string
  pid: number
  status: ProcessStatus
  terminal: boolean
  exitStatus: number
  exitedAt: Date | undefined
}

/** The exit of a process, kept apart from transport errors. */
export interface ExitStatus {
  code: number
  exitedAt: Date | undefined
}

/** Parameters of Tasks.Exec: the stdio paths are FIFOs the shim opens. */
export interface ExecProcessOptions {
  containerId: string
  execId: string
  process: OciProcess
  terminal: boolean
  stdin?: string
  stdout?: string
  stderr?: string
}

interface Timestamp {
  seconds?: string | number
  nanos?: number
}

interface AnyMessage {
  type_url?: string
  value?: Buffer
}

/** Callback style of the generated grpc-js methods. */
type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, response: any) => void,
) => grpc.ClientUnaryCall

/**
 * A client of the containerd services that exec needs. Every call carries
 * the namespace as gRPC metadata, and every gRPC failure becomes a
 * ContainerdError. grpc-js reconnects the channel by itself after containerd
 * restarts; calls made while it is down fail with code UNAVAILABLE.
 */
export class ContainerdClient {
  readonly address: string
  readonly namespace: string
  private readonly callTimeoutMs: number
  private readonly reconnectGraceMs: number
  private readonly version_: grpc.Client
  private readonly containers: grpc.Client
  private readonly tasks: grpc.Client
  private readonly events: grpc.Client

  constructor(options: ContainerdClientOptions) {
    if (!options.address) throw new TypeError('containerd address is required')
    if (!options.namespace) throw new TypeError('containerd namespace is required')
    this.address = options.address
    this.namespace = options.namespace
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000
    this.reconnectGraceMs = options.reconnectGraceMs ?? 2_000

    const target = toGrpcTarget(options.address)
    const services = loadServices()
    const credentials = grpc.credentials.createInsecure()
    // Reconnect within a second of containerd coming back after a restart.
    // Otherwise grpc-js backs off for up to two minutes and fails calls with
    // UNAVAILABLE meanwhile.
    const channelOptions = {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1_000,
    }
    this.version_ = new services.Version(target, credentials, channelOptions)
    const shared = { channelOverride: this.version_.getChannel() }
    this.containers = new services.Containers(target, credentials, shared)
    this.tasks = new services.Tasks(target, credentials, shared)
    this.events = new services.Events(target, credentials, shared)
  }

  /** Returns containerd's version and revision. */
  async version(): Promise<{ version: string; revision: string }> {
    const response = await this.unary(this.version_, 'Version', 'Version', {})
    return { version: response.version, revision: response.revision }
  }

  /** Returns one container record; NOT_FOUND when there is none with this id. */
  async getContainer(id: string): Promise<ContainerRecord> {
    const response = await this.unary(this.containers, 'Containers', 'Get', { id })
    return toContainerRecord(response.container)
  }

  /** Lists container records, optionally matching containerd filter expressions. */
  async listContainers(filters: string[] = []): Promise<ContainerRecord[]> {
    const response = await this.unary(this.containers, 'Containers', 'List', { filters })
    return (response.containers as unknown[]).map(toContainerRecord)
  }

  /** Returns the state of a container's task (execId empty) or of one exec process. */
  async getProcess(containerId: string, execId = ''): Promise<ProcessState> {
    const request = { container_id: containerId, exec_id: execId }
    const response = await this.unary(this.tasks, 'Tasks', 'Get', request)
    return toProcessState(response.process)
  }

  /** Lists the tasks of the namespace. */
  async listTasks(): Promise<ProcessState[]> {
    const response = await this.unary(this.tasks, 'Tasks', 'List', { filter: '' })
    return (response.tasks as unknown[]).map(toProcessState)
  }

  /**
   * Lists the processes of a container's task. `execId` is set for exec
   * processes when the shim reports it, as the runc shims do.
   */
  async listPids(containerId: string): Promise<{ pid: number; execId: string | undefined }[]> {
    const response = await this.unary(this.tasks, 'Tasks', 'ListPids', { container_id: containerId })
    return (response.processes as { pid: number; info: AnyMessage | null }[]).map((entry) => ({
      pid: entry.pid,
      execId: decodeProcessDetails(entry.info),
    }))
  }

  /** Creates an exec process in a running task; it starts with startProcess. */
  async execProcess(options: ExecProcessOptions): Promise<void> {
    const spec: AnyMessage = {
      type_url: OCI_PROCESS_TYPE_URL,
      value: Buffer.from(JSON.stringify(options.process)),
    }
    const request = {
      container_id: options.containerId,
      exec_id: options.execId,
      stdin: options.stdin ?? '',
      stdout: options.stdout ?? '',
      stderr: options.stderr ?? '',
      terminal: options.terminal,
      spec,
    }
    await this.unary(this.tasks, 'Tasks', 'Exec', request)
  }

  /** Starts a created exec process (or the task when execId is empty); returns its host pid. */
  async startProcess(containerId: string, execId = ''): Promise<number> {
    const request = { container_id: containerId, exec_id: execId }
    const response = await this.unary(this.tasks, 'Tasks', 'Start', request)
    return response.pid
  }

  /**
   * Waits until the process exits and returns its status. The call has no
   * deadline; pass a signal to stop waiting.
   */
  async waitProcess(containerId: string, execId = '', signal?: AbortSignal): Promise<ExitStatus> {
    const request = { container_id: containerId, exec_id: execId }
    const response = await this.unary(this.tasks, 'Tasks', 'Wait', request, { deadline: Infinity, signal })
    return { code: response.exit_status, exitedAt: toDate(response.exited_at) }
  }

  /** Sends a signal to a process, or to every process of the task when `all` is set. */
  async killProcess(containerId: string, execId: string, signal: number, all = false): Promise<void> {
    const request = { container_id: containerId, exec_id: execId, signal, all }
    await this.unary(this.tasks, 'Tasks', 'Kill', request)
  }

  /** Resizes the terminal of a process; width first, as containerd orders them. */
  async resizePty(containerId: string, execId: string, width: number, height: number): Promise<void> {
    const request = { container_id: containerId, exec_id: execId, width, height }
    await this.unary(this.tasks, 'Tasks', 'ResizePty', request)
  }

  /** Closes the stdin of a process inside the shim. */
  async closeStdin(containerId: string, execId: string): Promise<void> {
    const request = { container_id: containerId, exec_id: execId, stdin: true }
    await this.unary(this.tasks, 'Tasks', 'CloseIO', request)
  }

  /** Deletes an exited exec process from containerd and returns its exit status. */
  async deleteProcess(containerId: string, execId: string): Promise<ExitStatus> {
    const request = { container_id: containerId, exec_id: execId }
    const response = await this.unary(this.tasks, 'Tasks', 'DeleteProcess', request)
    return { code: response.exit_status, exitedAt: toDate(response.exited_at) }
  }

  /**
   * Subscribes to containerd events of this namespace. The iterator ends when
   * the signal aborts, and throws a ContainerdError when the stream fails.
   */
  subscribe(filters: string[] = [], signal?: AbortSignal): AsyncIterable<ContainerdEvent> {
    const filter = `namespace==${this.namespace}`
    const scoped = filters.length ? filters.map((f) => `${filter},${f}`) : [filter]
    return subscribeEvents(this.events, scoped, this.metadata(), signal)
  }

  /** Closes the gRPC channel. */
  close(): void {
    this.events.close()
    this.tasks.close()
    this.containers.close()
    this.version_.close()
  }

  private metadata(waitForReady = false): grpc.Metadata {
    const metadata = new grpc.Metadata({ waitForReady })
    metadata.set('containerd-namespace', this.namespace)
    return metadata
  }

  /**
   * Makes one unary call. A call that fails because no connection exists is
   * made once more with waitForReady, for at most `reconnectGraceMs`. Right
   * after containerd restarts, the channel may still report its last failed
   * attempt, and the second call succeeds as soon as the channel reconnects.
   */
  private async unary(
    client: grpc.Client,
    service: string,
    method: string,
    request: object,
    options: { deadline?: number; signal?: AbortSignal | undefined } = {},
  ): Promise<any> {
    const deadline = options.deadline ?? Date.now() + this.callTimeoutMs
    try {
      return await this.callOnce(client, service, method, request, { ...options, deadline })
    } catch (err) {
      if (!isContainerdError(err, 'UNAVAILABLE') || options.signal?.aborted) throw err
      const retryDeadline = Math.min(deadline, Date.now() + this.reconnectGraceMs)
      return this.callOnce(client, service, method, request, {
        ...options,
        deadline: retryDeadline,
        waitForReady: true,
      }).catch((retryError: unknown) => {
        throw isContainerdError(retryError, 'DEADLINE_EXCEEDED') ? err : retryError
      })
    }
  }

  private callOnce(
    client: grpc.Client,
    service: string,
    method: string,
    request: object,
    options: { deadline: number; signal?: AbortSignal | undefined; waitForReady?: boolean },
  ): Promise<any> {
    const operation = `${service}.${method}`
    const call = (client as unknown as Record<string, UnaryMethod>)[method]!.bind(client)
    const callOptions: grpc.CallOptions = { deadline: options.deadline }
    // grpc-js takes waitForReady as an option of the call's metadata.
    const metadata = this.metadata(options.waitForReady ?? false)
    return new Promise((resolve, reject) => {
      const pending = call(request, metadata, callOptions, (err, response) => {
        options.signal?.removeEventListener('abort', cancel)
        if (err) reject(fromGrpcError(err, operation))
        else resolve(response)
      })
      const cancel = () => pending.cancel()
      if (options.signal?.aborted) cancel()
      else options.signal?.addEventListener('abort', cancel, { once: true })
    })
  }
}

/**
 * Reads the exec id of a runc ProcessDetails message (field 1, a string).
 * Returns undefined for any other type, or for a message it cannot read.
 */
function decodeProcessDetails(info: AnyMessage | null): string | undefined {
  if (!info?.type_url?.endsWith('containerd.runc.v1.ProcessDetails') || !info.value) return undefined
  const value = info.value
  // One field: tag 0x0a (field 1, length-delimited), a one-byte length, the text.
  if (value.length < 2 || value[0] !== 0x0a || value[1]! >= 0x80) return undefined
  return value.subarray(2, 2 + value[1]!).toString('utf8')
}

/** Turns a socket path or `unix://` address into a grpc-js target. */
export function toGrpcTarget(address: string): string {
  if (address.startsWith('unix://')) return `unix:${address.slice('unix://'.length)}`
  if (address.startsWith('/')) return `unix:${address}`
  return address
}

function toDate(timestamp: Timestamp | null | undefined): Date | undefined {
  if (!timestamp) return undefined
  const seconds = Number(timestamp.seconds ?? 0)
  const nanos = timestamp.nanos ?? 0
  // containerd sends Go's zero time (year 1) for "not yet"; anything at or
  // before the epoch is treated the same.
  if (seconds <= 0) return undefined
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6))
}

function toContainerRecord(message: any): ContainerRecord {
  const spec = message.spec as AnyMessage | null
  return {
    id: message.id,
    labels: { ...message.labels },
    image: message.image,
    runtime: message.runtime?.name ?? '',
    spec: spec?.value?.length ? (JSON.parse(spec.value.toString('utf8')) as OciSpec) : undefined,
    snapshotter: message.snapshotter,
    snapshotKey: message.snapshot_key,
    createdAt: toDate(message.created_at),
    updatedAt: toDate(message.updated_at),
  }
}

function toProcessState(message: any): ProcessState {
  return {
    containerId: message.container_id,
    id: message.id,
    pid: message.pid,
    status: String(message.status).toLowerCase() as ProcessStatus,
    terminal: message.terminal,
    exitStatus: message.exit_status,
    exitedAt: toDate(message.exited_at),
  }
}
