import { describe, expect, it } from 'vitest'

import {
  apiVersionAtLeast,
  checkApiVersion,
  compareApiVersions,
  MAX_API_VERSION,
  MIN_API_VERSION,
  parseApiVersion,
} from './version.js'

describe('version constants', () => {
  it('serves from 1.24', () => {
    expect(MIN_API_VERSION).toBe('1.24')
  })

  it('serves up to 1.56', () => {
    expect(MAX_API_VERSION).toBe('1.56')
  })
})

describe('parseApiVersion', () => {
  it.each([
    { input: '1.41', expected: { major: 1, minor: 41 } },
    { input: '1.9', expected: { major: 1, minor: 9 } },
    { input: '2.0', expected: { major: 2, minor: 0 } },
    { input: '1.041', expected: { major: 1, minor: 41 } },
  ])('parses $input', ({ input, expected }) => {
    expect(parseApiVersion(input)).toEqual(expected)
  })

  const invalid = ['', '1', '1.', '.41', '1.41.0', 'v1.41', '1.x', ' 1.41', '1.41 ', '+1.41']
  it.each([...invalid, '1.1234567890'])('rejects %j', (input) => {
    expect(parseApiVersion(input)).toBeNull()
  })
})

describe('compareApiVersions', () => {
  it.each([
    { a: '1.41', b: '1.41', expected: 0 },
    { a: '1.9', b: '1.10', expected: -1 },
    { a: '1.42', b: '1.41', expected: 1 },
    { a: '2.0', b: '1.99', expected: 1 },
    { a: '1.40.0', b: '1.40', expected: 0 },
    { a: '1.40.1', b: '1.40', expected: 1 },
    { a: '1.x', b: '1.0', expected: 0 },
    { a: '1.', b: '1.0', expected: 0 },
    { a: '1.99999999999999999999', b: '1.56', expected: 1 },
  ])('compares $a with $b', ({ a, b, expected }) => {
    expect(compareApiVersions(a, b)).toBe(expected)
  })
})

describe('apiVersionAtLeast', () => {
  it.each([
    { version: '1.42', min: '1.42', expected: true },
    { version: '1.43', min: '1.42', expected: true },
    { version: '1.41', min: '1.42', expected: false },
  ])('checks $version against $min', ({ version, min, expected }) => {
    expect(apiVersionAtLeast(version, min)).toBe(expected)
  })
})

describe('checkApiVersion', () => {
  it('rejects a too new version', () => {
    expect(checkApiVersion('1.99')).toBe(
      'client version 1.99 is too new. Maximum supported API version is 1.56',
    )
  })

  it('rejects a too old version', () => {
    expect(checkApiVersion('1.12')).toBe(
      'client version 1.12 is too old. Minimum supported API version is 1.24, ' +
        'please upgrade your client to a newer version',
    )
  })

  it.each(['1.24', '1.41', '1.56'])('accepts %s', (version) => {
    expect(checkApiVersion(version)).toBeNull()
  })

  it('takes another range', () => {
    expect(checkApiVersion('1.30', { min: '1.40', max: '1.56' })).toBe(
      'client version 1.30 is too old. Minimum supported API version is 1.40, ' +
        'please upgrade your client to a newer version',
    )
  })
})
