// Replaces the values that differ between any two runs (ids, pids, times) or between the two
// test containers (ids, hostname, image), so that what is left can be compared byte for byte.

import type { Side } from './stack.js'

/**
 * Response headers that carry no behaviour of the server under test: the date, and connection
 * persistence (`Keep-Alive`, `Connection: keep-alive` or `close`), which Node's HTTP server
 * states and Go's leaves implicit. `Connection: Upgrade` of a 101 head is compared.
 */
function ignoredHeader(name: string, value: string): boolean {
  const lower = name.toLowerCase()
  if (lower === 'date' || lower === 'keep-alive') return true
  return lower === 'connection' && ['keep-alive', 'close'].includes(value.toLowerCase())
}

/** Normalizes the values one side produced during one scenario. */
export class Normalizer {
  readonly #execIds = new Map<string, string>()
  readonly #aliases = new Map<string, string>()

  constructor(readonly side: Side) {}

  /** Gives an exec id created in this scenario a placeholder numbered in creation order. */
  registerExec(id: string): string {
    const known = this.#execIds.get(id)
    if (known !== undefined) return known
    const placeholder = `<exec-${this.#execIds.size + 1}>`
    this.#execIds.set(id, placeholder)
    return placeholder
  }

  /** Placeholder of an exec id, or undefined when the id was not created in this scenario. */
  execPlaceholder(id: string): string | undefined {
    return this.#execIds.get(id)
  }

  /** Replaces `value`, such as a prefix of an exec id, with `placeholder` after the full ids. */
  registerAlias(value: string, placeholder: string): void {
    this.#aliases.set(value, placeholder)
  }

  /** Normalizes free text: response bodies, stream output and error messages. */
  text(input: string): string {
    let output = input
    for (const [id, placeholder] of this.#execIds) output = output.replaceAll(id, placeholder)
    for (const [value, placeholder] of this.#aliases) output = output.replaceAll(value, placeholder)
    for (const container of this.side.containers.values()) {
      output = output.replaceAll(container.id, `<container:${container.name}>`)
    }
    output = this.#hostnames(output)
    // Pid 0 stays, because it means that no process exists, which is part of the behaviour.
    output = output.replace(/"Pid":[1-9]\d*/g, '"Pid":"<pid>"')
    // dexec adds two fields that dockerd lacks at the end of an exec inspect body.
    output = output.replace(/,"CreatedAt":"[^"]*","TimedOut":(?:true|false)(?=\})/g, '')
    return output
  }

  /**
   * Normalizes one event line: times become placeholders, and the image that only the dockerd
   * container has (dexec's container is made from a plain root filesystem) is taken out.
   */
  event(line: string): string {
    const timed = line
      .replace(/"time":\d+/, '"time":"<time>"')
      .replace(/"timeNano":\d+/, '"timeNano":"<time>"')
    const event = JSON.parse(timed) as {
      from?: string
      Actor?: { Attributes?: Record<string, string> }
    }
    const images = new Set([...this.side.containers.values()].map((container) => container.image))
    if (event.from !== undefined && images.has(event.from)) delete event.from
    const attributes = event.Actor?.Attributes
    if (attributes?.image !== undefined && images.has(attributes.image)) delete attributes.image
    return this.text(JSON.stringify(event))
  }

  /**
   * Renders response headers as `Name: value` lines with canonical name spelling, sorted by name.
   * `Server` becomes a placeholder, `Api-Version` too when it is the side's maximum, and
   * `Content-Length` when it matches the body, whose normalized text is compared on its own.
   */
  headers(headers: Array<[string, string]>, body?: Buffer): string[] {
    return headers
      .filter(([name, value]) => !ignoredHeader(name, value))
      .map(
        ([name, value]) => `${canonicalHeaderName(name)}: ${this.#headerValue(name, value, body)}`,
      )
      .sort()
  }

  /**
   * Like `headers`, but keeps every line in the order the server wrote it, because both servers
   * write the head of a 101 response by hand.
   */
  orderedHeaders(headers: Array<[string, string]>): string[] {
    return headers.map(
      ([name, value]) => `${canonicalHeaderName(name)}: ${this.#headerValue(name, value)}`,
    )
  }

  #headerValue(name: string, value: string, body?: Buffer): string {
    switch (name.toLowerCase()) {
      case 'server':
        return /^\S+\/\S+ \(linux\)$/.test(value) ? '<server> (linux)' : value
      case 'api-version':
        return value === this.side.maxApiVersion ? '<max api version>' : value
      case 'content-length':
        return body !== undefined && Number(value) === body.length ? '<body length>' : value
      default:
        return value
    }
  }

  #hostnames(text: string): string {
    let output = text
    for (const container of this.side.containers.values()) {
      const pattern = new RegExp(
        `(^|\\n)HOSTNAME=${escapeRegExp(container.hostname)}(?=\\r?\\n|$)`,
        'g',
      )
      output = output.replace(pattern, '$1HOSTNAME=<hostname>')
    }
    return output
  }
}

/** Spells a header name as Go's textproto canonicalizes it (`content-type` -> `Content-Type`). */
export function canonicalHeaderName(name: string): string {
  return name
    .toLowerCase()
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('-')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
