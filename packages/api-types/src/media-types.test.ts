import { describe, expect, it } from 'vitest'

import {
  MULTIPLEXED_STREAM_MEDIA_TYPE,
  RAW_STREAM_MEDIA_TYPE,
  startStreamMediaType,
} from './media-types.js'

describe('media types', () => {
  it('names the raw stream', () => {
    expect(RAW_STREAM_MEDIA_TYPE).toBe('application/vnd.docker.raw-stream')
  })

  it('names the multiplexed stream', () => {
    expect(MULTIPLEXED_STREAM_MEDIA_TYPE).toBe('application/vnd.docker.multiplexed-stream')
  })
})

describe('startStreamMediaType', () => {
  it.each([
    {
      doc: 'upgraded, no TTY, 1.42',
      upgraded: true,
      tty: false,
      apiVersion: '1.42',
      multiplexed: true,
    },
    {
      doc: 'upgraded, no TTY, 1.56',
      upgraded: true,
      tty: false,
      apiVersion: '1.56',
      multiplexed: true,
    },
    {
      doc: 'upgraded, no TTY, 1.41',
      upgraded: true,
      tty: false,
      apiVersion: '1.41',
      multiplexed: false,
    },
    {
      doc: 'upgraded, TTY, 1.42',
      upgraded: true,
      tty: true,
      apiVersion: '1.42',
      multiplexed: false,
    },
    {
      doc: 'plain 200, no TTY, 1.42',
      upgraded: false,
      tty: false,
      apiVersion: '1.42',
      multiplexed: false,
    },
    {
      doc: 'plain 200, TTY, 1.42',
      upgraded: false,
      tty: true,
      apiVersion: '1.42',
      multiplexed: false,
    },
  ])('chooses for $doc', ({ upgraded, tty, apiVersion, multiplexed }) => {
    const expected = multiplexed ? MULTIPLEXED_STREAM_MEDIA_TYPE : RAW_STREAM_MEDIA_TYPE
    expect(startStreamMediaType({ upgraded, tty, apiVersion })).toBe(expected)
  })
})
