import { request } from 'node:http'

/** A raw Engine API response. */
export interface ApiResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** Sends one HTTP request to dexec's unix socket and reads the whole response. */
export function api(
  socketPath: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { Host: 'dexec', ...headers } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}
