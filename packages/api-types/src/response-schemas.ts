import { z } from 'zod'

import type {
  ContainerInspectResponse,
  ContainerSummary,
  ErrorResponse,
  ExecCreateResponse,
  ExecInspectResponse,
  SystemVersion,
} from './responses.js'

// Zod schemas of the JSON replies, for the OpenAPI document. Each is typed with the reply's
// interface from responses.ts, so the compiler rejects a schema that drifts from it.

/** Schema of ErrorResponse. */
export const ErrorResponseSchema: z.ZodType<ErrorResponse> = z
  .object({ message: z.string() })
  .meta({ id: 'ErrorResponse' })

/** Schema of ExecCreateResponse. */
export const ExecCreateResponseSchema: z.ZodType<ExecCreateResponse> = z
  .object({ Id: z.string().regex(/^[0-9a-f]{64}$/) })
  .meta({ id: 'ExecCreateResponse' })

/** Schema of ExecInspectResponse. */
export const ExecInspectResponseSchema: z.ZodType<ExecInspectResponse> = z
  .object({
    ID: z.string(),
    Running: z.boolean(),
    ExitCode: z.number().int().nullable(),
    ProcessConfig: z.object({
      tty: z.boolean(),
      entrypoint: z.string(),
      arguments: z.array(z.string()),
      privileged: z.boolean(),
      user: z.string().optional(),
    }),
    OpenStdin: z.boolean(),
    OpenStderr: z.boolean(),
    OpenStdout: z.boolean(),
    CanRemove: z.boolean(),
    ContainerID: z.string(),
    DetachKeys: z.string().meta({ description: 'The detach key bytes in base64.' }),
    Pid: z.number().int(),
    CreatedAt: z.string().meta({ description: 'dexec extension: creation time, RFC 3339 in UTC.' }),
    TimedOut: z.boolean().meta({ description: 'dexec extension: the exec reached its deadline.' }),
  })
  .meta({ id: 'ExecInspectResponse' })

/** Schema of SystemVersion. */
export const SystemVersionSchema: z.ZodType<SystemVersion> = z
  .object({
    Platform: z.object({ Name: z.string() }),
    Components: z.array(
      z.object({
        Name: z.string(),
        Version: z.string(),
        Details: z.record(z.string(), z.string()).optional(),
      }),
    ),
    Version: z.string(),
    ApiVersion: z.string(),
    MinAPIVersion: z.string(),
    GitCommit: z.string(),
    GoVersion: z.string(),
    Os: z.string(),
    Arch: z.string(),
    KernelVersion: z.string(),
    Experimental: z.boolean().optional(),
    BuildTime: z.string(),
  })
  .meta({ id: 'SystemVersion' })

/** Schema of ContainerSummary. */
export const ContainerSummarySchema: z.ZodType<ContainerSummary> = z
  .object({
    Id: z.string(),
    Names: z.array(z.string()),
    Image: z.string(),
    ImageID: z.string(),
    Command: z.string(),
    Created: z.number().int().meta({ description: 'Unix time in seconds.' }),
    State: z.string(),
    Status: z.string(),
    Labels: z.record(z.string(), z.string()),
  })
  .meta({ id: 'ContainerSummary' })

const ContainerStateSchema = z.object({
  Status: z.string(),
  Running: z.boolean(),
  Paused: z.boolean(),
  Restarting: z.boolean(),
  OOMKilled: z.boolean(),
  Dead: z.boolean(),
  Pid: z.number().int(),
  ExitCode: z.number().int(),
  Error: z.string(),
  StartedAt: z.string(),
  FinishedAt: z.string(),
})

const ContainerConfigSchema = z.object({
  Hostname: z.string(),
  User: z.string(),
  Env: z.array(z.string()).nullable(),
  Cmd: z.array(z.string()).nullable(),
  Image: z.string(),
  WorkingDir: z.string(),
  Entrypoint: z.array(z.string()).nullable(),
  Labels: z.record(z.string(), z.string()).nullable(),
  Tty: z.boolean(),
  OpenStdin: z.boolean(),
  AttachStdin: z.boolean(),
  AttachStdout: z.boolean(),
  AttachStderr: z.boolean(),
})

/** Schema of ContainerInspectResponse. */
export const ContainerInspectResponseSchema: z.ZodType<ContainerInspectResponse> = z
  .object({
    Id: z.string(),
    Created: z.string(),
    Path: z.string(),
    Args: z.array(z.string()),
    State: ContainerStateSchema,
    Image: z.string(),
    Name: z.string(),
    RestartCount: z.number().int(),
    Driver: z.string(),
    Platform: z.string(),
    ExecIDs: z.array(z.string()).nullable(),
    Config: ContainerConfigSchema,
    HostConfig: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'ContainerInspectResponse' })

/** Schema of one message of GET /events, as of API 1.52 (older versions add status, id, from). */
export const EventMessageSchema = z
  .object({
    Type: z.literal('container'),
    Action: z.string(),
    Actor: z.object({ ID: z.string(), Attributes: z.record(z.string(), z.string()) }),
    scope: z.literal('local'),
    time: z.number().int(),
    timeNano: z.number().int(),
  })
  .meta({ id: 'EventMessage' })
