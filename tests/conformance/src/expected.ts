// Normalized values that scenarios spell out in their expected differences.

import type { ExpectedDifference } from './compare.js'

/** Headers of a JSON reply (success or error) from either server, normalized and sorted. */
export const JSON_HEADERS = [
  'Api-Version: <max api version>',
  'Content-Length: <body length>',
  'Content-Type: application/json',
  'Docker-Experimental: false',
  'Ostype: linux',
  'Server: <server> (linux)',
]

/** Headers of an empty 200 reply (detached start, resize), normalized and sorted. */
export const EMPTY_HEADERS = JSON_HEADERS.filter((line) => !line.startsWith('Content-Type'))

/** The head of a `101 UPGRADED` reply at API 1.41, in the order both servers write it. */
export const UPGRADED_HEAD = [
  'Content-Type: application/vnd.docker.raw-stream',
  'Connection: Upgrade',
  'Upgrade: tcp',
  'Api-Version: <max api version>',
  'Docker-Experimental: false',
  'Ostype: linux',
  'Server: <server> (linux)',
]

/** The error text for an API version below the server's minimum. */
export function tooOld(version: string, minimum: string): string {
  return (
    `client version ${version} is too old. Minimum supported API version is ${minimum}, ` +
    'please upgrade your client to a newer version'
  )
}

/** Renders a JSON error body as both servers write it. */
export function errorBody(message: string): string {
  return `${JSON.stringify({ message })}\n`
}

/** One side of a whole-response difference: its status line and body; the headers follow. */
export interface ResponseShape {
  status: string
  /** A JSON error message, or the exact body when `raw` is set. */
  message?: string
  raw?: string
}

/** Expected differences for every part (status, headers, body) of the response under `key`. */
export function responseDifference(
  key: string,
  spec: string,
  dockerd: ResponseShape,
  dexec: ResponseShape,
): ExpectedDifference[] {
  const body = (shape: ResponseShape) =>
    shape.raw ?? (shape.message === undefined ? '' : errorBody(shape.message))
  const headers = (shape: ResponseShape) => (body(shape) === '' ? EMPTY_HEADERS : JSON_HEADERS)
  return [
    { key: `${key}.status`, spec, dockerd: dockerd.status, dexec: dexec.status },
    { key: `${key}.headers`, spec, dockerd: headers(dockerd), dexec: headers(dexec) },
    { key: `${key}.body`, spec, dockerd: body(dockerd), dexec: body(dexec) },
  ]
}

/** Renders a normalized exec event at API 1.41, which still has the legacy status and id. */
export function eventLine(
  action: string,
  options: { container?: string; exec?: string; attributes?: Record<string, string> } = {},
): string {
  const container = options.container ?? 'demo'
  return JSON.stringify({
    status: action,
    id: `<container:${container}>`,
    Type: 'container',
    Action: action,
    Actor: {
      ID: `<container:${container}>`,
      Attributes: {
        execID: options.exec ?? '<exec-1>',
        ...options.attributes,
        name: container,
        'nerdctl/name': container,
      },
    },
    scope: 'local',
    time: '<time>',
    timeNano: '<time>',
  })
}
