import { api } from './http.js'

const json = { 'Content-Type': 'application/json' }

/** Creates an exec through the Engine API and returns its id. */
export async function createExec(socketPath: string, container: string, config: object): Promise<string> {
  const response = await api(socketPath, 'POST', `/v1.45/containers/${container}/exec`, JSON.stringify(config), json)
  if (response.status !== 201) throw new Error(`exec create failed: ${response.status} ${response.body}`)
  return (JSON.parse(response.body) as { Id: string }).Id
}

/** Inspects an exec through the Engine API. */
export async function inspectExec(socketPath: string, id: string) {
  const response = await api(socketPath, 'GET', `/v1.45/exec/${id}/json`)
  if (response.status !== 200) throw new Error(`exec inspect failed: ${response.status} ${response.body}`)
  return JSON.parse(response.body) as { Running: boolean; ExitCode: number | null; Pid: number }
}

/** Resizes an exec's terminal; returns the HTTP status. */
export async function resizeExec(socketPath: string, id: string, height: number, width: number): Promise<number> {
  const response = await api(socketPath, 'POST', `/v1.45/exec/${id}/resize?h=${height}&w=${width}`)
  return response.status
}
