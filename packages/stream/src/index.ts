export { DEFAULT_DETACH_KEYS, formatDetachKeys, parseDetachKeys } from './detach-keys.js'
export {
  FrameLengthError,
  InvalidDetachKeysError,
  StreamClosedError,
  StreamError,
  TruncatedFrameError,
  UnrecognizedStreamError,
} from './errors.js'
export {
  copyChunks,
  discardStream,
  isChunkSource,
  type ChunkCopyOptions,
  type ChunkHandler,
  type ChunkSource,
} from './chunk-source.js'
export { DetachKeyFilter } from './escape-scanner.js'
export {
  FRAME_HEADER_LENGTH,
  frameHeader,
  StdcopyDemuxer,
  StdcopyMuxer,
  StdStream,
  type StdcopyDemuxerOptions,
} from './stdcopy.js'
export {
  AttachSession,
  type AttachInterruption,
  type AttachOptions,
  type OutputFraming,
  type StreamDirection,
} from './attach.js'
