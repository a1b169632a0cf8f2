import { MAX_API_VERSION } from '@dexec/api-types'

/** dexec's own version, reported in `Server` and /version. */
export const DEXEC_VERSION = '0.1.0'

/** Headers Docker sets on every response of its versioned router. */
export function engineHeaders(): Record<string, string> {
  return {
    'Api-Version': MAX_API_VERSION,
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Server: `dexec/${DEXEC_VERSION} (linux)`,
  }
}
