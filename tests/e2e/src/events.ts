import { request } from 'node:http'

/** One decoded event line of GET /events. */
export interface EventMessage {
  Action: string
  Actor: { ID: string; Attributes: Record<string, string> }
  [key: string]: unknown
}

/** Follows GET /events with the given query until stopped; collects every event. */
export function followEvents(socketPath: string, query = '') {
  const events: EventMessage[] = []
  let buffered = ''
  let stop = () => {}
  const ready = new Promise<void>((resolve, reject) => {
    const req = request({ socketPath, path: `/v1.45/events${query}`, headers: { Host: 'dexec' } }, (res) => {
      res.setEncoding('utf8')
      res.on('data', (text: string) => {
        buffered += text
        let newline: number
        while ((newline = buffered.indexOf('\n')) !== -1) {
          events.push(JSON.parse(buffered.slice(0, newline)) as EventMessage)
          buffered = buffered.slice(newline + 1)
        }
      })
      resolve()
    })
    req.on('error', reject)
    req.end()
    stop = () => req.destroy()
  })
  return { events, ready, stop: () => stop() }
}
