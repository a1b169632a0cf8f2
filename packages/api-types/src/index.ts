export { MAX_BODY_BYTES, parseJsonBody } from './body.js'
export { InvalidBodyError, InvalidParameterError } from './errors.js'
export {
  MULTIPLEXED_STREAM_MEDIA_TYPE,
  RAW_STREAM_MEDIA_TYPE,
  startStreamMediaType,
  type StartStreamOptions,
} from './media-types.js'
export { buildOpenApiDocument, type OpenApiInfo } from './openapi.js'
export { parseResizeQuery, type TerminalSize } from './resize.js'
export {
  ContainerInspectResponseSchema,
  ContainerSummarySchema,
  ErrorResponseSchema,
  EventMessageSchema,
  ExecCreateResponseSchema,
  ExecInspectResponseSchema,
  SystemVersionSchema,
} from './response-schemas.js'
export type {
  ContainerConfig,
  ContainerInspectResponse,
  ContainerState,
  ContainerSummary,
  ErrorResponse,
  ExecCreateResponse,
  ExecInspectResponse,
  ExecProcessConfig,
  SystemVersion,
  SystemVersionComponent,
} from './responses.js'
export { API_ROUTES, type ApiRoute, type RouteResponse } from './routes.js'
export { ExecCreateBody, ExecStartBody, type BodySchema } from './schemas.js'
export {
  apiVersionAtLeast,
  checkApiVersion,
  compareApiVersions,
  MAX_API_VERSION,
  MIN_API_VERSION,
  parseApiVersion,
  type ApiVersion,
  type ApiVersionRange,
} from './version.js'
