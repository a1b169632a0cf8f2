import { apiVersionAtLeast } from './version.js'

/** Content-Type of an attached stream that carries raw bytes (TTY, or API before 1.42). */
export const RAW_STREAM_MEDIA_TYPE = 'application/vnd.docker.raw-stream'

/** Content-Type of an attached stream that carries stdcopy frames. */
export const MULTIPLEXED_STREAM_MEDIA_TYPE = 'application/vnd.docker.multiplexed-stream'

/** The facts of an attached exec start that decide its Content-Type. */
export interface StartStreamOptions {
  /** Whether the request carried an `Upgrade` header, so the reply is `101 UPGRADED`. */
  readonly upgraded: boolean
  /** The `Tty` field of the start body, not the one given at create. */
  readonly tty: boolean
  /** The API version of the request. */
  readonly apiVersion: string
}

/**
 * Returns the Content-Type of the reply head of an attached exec start. A `200 OK` reply always
 * names the raw stream, even when its body carries stdcopy frames, as dockerd's does.
 */
export function startStreamMediaType(options: StartStreamOptions): string {
  const { upgraded, tty, apiVersion } = options
  const multiplexed = upgraded && !tty && apiVersionAtLeast(apiVersion, '1.42')
  return multiplexed ? MULTIPLEXED_STREAM_MEDIA_TYPE : RAW_STREAM_MEDIA_TYPE
}
