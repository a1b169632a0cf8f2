import { fileURLToPath } from 'node:url'

import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import protobuf from 'protobufjs'

const protoRoot = fileURLToPath(new URL('../proto', import.meta.url))
const protoFiles = [
  'dexec/version.proto',
  'dexec/containers.proto',
  'dexec/tasks.proto',
  'dexec/events.proto',
  'dexec/task-events.proto',
]

// Decoded messages keep the proto field names, 64-bit numbers become strings,
// enums their names, and absent fields their defaults.
const loaderOptions: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [protoRoot],
}

type ServiceConstructor = grpc.ServiceClientConstructor

/** The service constructors of the containerd API, loaded once per process. */
export interface ContainerdServices {
  Version: ServiceConstructor
  Containers: ServiceConstructor
  Tasks: ServiceConstructor
  Events: ServiceConstructor
}

let services: ContainerdServices | undefined
let eventRoot: protobuf.Root | undefined

/** Loads the service definitions from the bundled .proto files. */
export function loadServices(): ContainerdServices {
  if (services) return services
  const definition = protoLoader.loadSync(protoFiles, loaderOptions)
  const tree = grpc.loadPackageDefinition(definition) as Record<string, any>
  const api = tree.containerd.services
  services = {
    Version: api.version.v1.Version,
    Containers: api.containers.v1.Containers,
    Tasks: api.tasks.v1.Tasks,
    Events: api.events.v1.Events,
  }
  return services
}

/**
 * Decodes the payload of an event envelope (`google.protobuf.Any`), such as
 * `containerd.events.TaskExit`. Returns undefined for types dexec does not model.
 */
export function decodeEventPayload(
  typeUrl: string,
  value: Uint8Array,
): Record<string, unknown> | undefined {
  if (!eventRoot) {
    eventRoot = new protobuf.Root()
    // protobufjs bundles the google/protobuf types; everything else is ours.
    eventRoot.resolvePath = (_origin, target) =>
      target.startsWith('google/') ? target : `${protoRoot}/${target}`
    eventRoot.loadSync('dexec/task-events.proto', { keepCase: true })
  }
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1)
  let type: protobuf.Type
  try {
    type = eventRoot.lookupType(typeName)
  } catch {
    return undefined
  }
  return type.toObject(type.decode(value), { longs: String, defaults: true })
}
