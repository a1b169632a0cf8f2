import { describe, expect, it } from 'vitest'

import { parseJsonBody } from './body.js'
import { InvalidBodyError } from './errors.js'
import { ExecCreateBody, ExecStartBody } from './schemas.js'

const JSON_TYPE = 'application/json'

const CREATE_DEFAULTS: ExecCreateBody = {
  User: '',
  Privileged: false,
  Tty: false,
  ConsoleSize: null,
  AttachStdin: false,
  AttachStderr: false,
  AttachStdout: false,
  DetachKeys: '',
  Env: null,
  WorkingDir: '',
  Cmd: null,
  Timeout: 0,
}

function createError(body: string, contentType: string | undefined): string {
  try {
    parseJsonBody(ExecCreateBody, body, contentType)
  } catch (error) {
    if (error instanceof InvalidBodyError) return error.message
    throw error
  }
  return 'accepted'
}

describe('parseJsonBody content type', () => {
  it('accepts an empty body without Content-Type', () => {
    expect(parseJsonBody(ExecCreateBody, '', undefined)).toEqual(CREATE_DEFAULTS)
  })

  it('accepts an empty body with JSON Content-Type', () => {
    expect(parseJsonBody(ExecStartBody, '', JSON_TYPE)).toEqual({
      Detach: false,
      Tty: false,
      ConsoleSize: null,
    })
  })

  it.each([
    { doc: 'charset parameter', contentType: 'application/json; charset=utf-8' },
    { doc: 'upper case', contentType: 'Application/JSON' },
  ])('accepts $doc', ({ contentType }) => {
    expect(createError('{}', contentType)).toBe('accepted')
  })

  it.each([
    {
      doc: 'another type',
      contentType: 'text/plain',
      expected: "unsupported Content-Type header (text/plain): must be 'application/json'",
    },
    {
      doc: 'another type on an empty body',
      contentType: 'text/plain',
      body: '',
      expected: "unsupported Content-Type header (text/plain): must be 'application/json'",
    },
    {
      doc: 'a missing header',
      contentType: undefined,
      expected: 'malformed Content-Type header (): mime: no media type',
    },
    {
      doc: 'a malformed parameter',
      contentType: 'application/json; charset',
      expected:
        'malformed Content-Type header (application/json; charset): mime: invalid media parameter',
    },
    {
      doc: 'a missing subtype',
      contentType: 'application/',
      expected: 'malformed Content-Type header (application/): mime: expected token after slash',
    },
  ])('rejects $doc', ({ contentType, body, expected }) => {
    expect(createError(body ?? '{}', contentType)).toBe(expected)
  })
})

describe('parseJsonBody decoding', () => {
  it.each([
    { doc: 'null literal', body: 'null', expected: {} },
    { doc: 'unknown keys', body: '{"Bogus":1,"Container":"x","Detach":"x"}', expected: {} },
    {
      doc: 'lower-case keys',
      body: '{"cmd":["ls"],"attachstdout":true}',
      expected: { Cmd: ['ls'], AttachStdout: true },
    },
    {
      doc: 'upper-case keys',
      body: '{"CMD":["ls"],"TTY":true}',
      expected: { Cmd: ['ls'], Tty: true },
    },
    {
      doc: 'Kelvin sign folds to k',
      body: '{"DetachKeys":"a","Detach\u212aeys":"b"}',
      expected: { DetachKeys: 'b' },
    },
    { doc: 'long s folds to s', body: '{"U\u017fer":"root"}', expected: { User: 'root' } },
    {
      doc: 'null fields',
      body: '{"Tty":null,"User":null,"Cmd":null,"ConsoleSize":null}',
      expected: {},
    },
    { doc: 'empty Cmd', body: '{"Cmd":[]}', expected: { Cmd: [] } },
    { doc: 'later key wins', body: '{"Tty":true,"tty":false}', expected: { Tty: false } },
    { doc: 'null after a value', body: '{"Cmd":["a"],"Cmd":null}', expected: {} },
    {
      doc: 'reused slice',
      body: '{"Cmd":["a","b"],"Cmd":["c",null]}',
      expected: { Cmd: ['c', 'b'] },
    },
    { doc: 'null element', body: '{"Env":["A=1",null]}', expected: { Env: ['A=1', ''] } },
    { doc: 'console size', body: '{"ConsoleSize":[24,80]}', expected: { ConsoleSize: [24, 80] } },
    {
      doc: 'long console size',
      body: '{"ConsoleSize":[24,80,"x",{}]}',
      expected: { ConsoleSize: [24, 80] },
    },
    { doc: 'short console size', body: '{"ConsoleSize":[24]}', expected: { ConsoleSize: [24, 0] } },
    { doc: 'empty console size', body: '{"ConsoleSize":[]}', expected: { ConsoleSize: [0, 0] } },
    {
      doc: 'largest console size',
      body: '{"ConsoleSize":[4294967295,0]}',
      expected: { ConsoleSize: [4294967295, 0] },
    },
    { doc: 'trailing closing brace', body: '{}}', expected: {} },
    { doc: 'trailing whitespace', body: '{} \n', expected: {} },
    { doc: 'escaped key', body: '{"\\u0043md":["ls"]}', expected: { Cmd: ['ls'] } },
  ])('decodes $doc', ({ body, expected }) => {
    const decoded = parseJsonBody(ExecCreateBody, body, JSON_TYPE)
    expect(decoded).toEqual({ ...CREATE_DEFAULTS, ...expected })
  })

  it('decodes a start body', () => {
    const body = '{"Detach":true,"tty":true,"ConsoleSize":[1,2]}'
    expect(parseJsonBody(ExecStartBody, body, JSON_TYPE)).toEqual({
      Detach: true,
      Tty: true,
      ConsoleSize: [1, 2],
    })
  })

  it('decodes a Timeout', () => {
    expect(parseJsonBody(ExecCreateBody, '{"Timeout":30}', JSON_TYPE).Timeout).toBe(30)
  })

  it('accepts bytes', () => {
    const body = new TextEncoder().encode('{"User":"é"}')
    expect(parseJsonBody(ExecCreateBody, body, JSON_TYPE).User).toBe('é')
  })

  it('rejects a schema from elsewhere', () => {
    expect(() => parseJsonBody(ExecCreateBody.extend({}), '{}', JSON_TYPE)).toThrow(TypeError)
  })
})

describe('parseJsonBody errors', () => {
  const field = (name: string) => `Go struct field ExecCreateRequest.${name}`
  const topLevel = (kind: string) =>
    `invalid JSON: json: cannot unmarshal ${kind} into Go value of type container.ExecCreateRequest`
  it.each([
    {
      doc: 'whitespace only',
      body: ' \n',
      expected: 'invalid JSON: got EOF while reading request body',
    },
    { doc: 'truncated object', body: '{"Cmd":["ls"]', expected: 'invalid JSON: unexpected EOF' },
    {
      doc: 'syntax error',
      body: '{"Cmd":[ls]}',
      expected: "invalid JSON: invalid character 'l' looking for beginning of value",
    },
    { doc: 'trailing data', body: '{} {}', expected: 'unexpected content after JSON' },
    { doc: 'trailing text', body: '{}x', expected: 'unexpected content after JSON' },
    {
      doc: 'Cmd as string',
      body: '{"Cmd":"ls"}',
      expected: `invalid JSON: json: cannot unmarshal string into ${field('Cmd')} of type []string`,
    },
    {
      doc: 'Cmd element',
      body: '{"Cmd":["ls",1]}',
      expected: `invalid JSON: json: cannot unmarshal number into ${field('Cmd')} of type string`,
    },
    {
      doc: 'Timeout as string',
      body: '{"Timeout":"5"}',
      expected: `invalid JSON: json: cannot unmarshal string into ${field('Timeout')} of type int`,
    },
    {
      doc: 'fractional Timeout',
      body: '{"Timeout":1.5}',
      expected: `invalid JSON: json: cannot unmarshal number 1.5 into ${field('Timeout')} of type int`,
    },
    {
      doc: 'negative Timeout',
      body: '{"Timeout":-1}',
      expected: 'invalid JSON: Timeout must be a whole number of seconds >= 0',
    },
    {
      doc: 'Tty as string',
      body: '{"Tty":"yes"}',
      expected: `invalid JSON: json: cannot unmarshal string into ${field('Tty')} of type bool`,
    },
    {
      doc: 'Env as object',
      body: '{"Env":{}}',
      expected: `invalid JSON: json: cannot unmarshal object into ${field('Env')} of type []string`,
    },
    {
      doc: 'User as bool',
      body: '{"User":true}',
      expected: `invalid JSON: json: cannot unmarshal bool into ${field('User')} of type string`,
    },
    {
      doc: 'WorkingDir as array',
      body: '{"WorkingDir":[]}',
      expected:
        `invalid JSON: json: cannot unmarshal array into ${field('WorkingDir')} of type string`,
    },
    {
      doc: 'ConsoleSize as number',
      body: '{"ConsoleSize":5}',
      expected:
        `invalid JSON: json: cannot unmarshal number into ${field('ConsoleSize')} of type [2]uint`,
    },
    {
      doc: 'negative size',
      body: '{"ConsoleSize":[-1,5]}',
      expected:
        `invalid JSON: json: cannot unmarshal number -1 into ${field('ConsoleSize')} of type uint`,
    },
    {
      doc: 'fractional size',
      body: '{"ConsoleSize":[1.5,5]}',
      expected:
        `invalid JSON: json: cannot unmarshal number 1.5 into ${field('ConsoleSize')} of type uint`,
    },
    {
      doc: 'size beyond uint32',
      body: '{"ConsoleSize":[4294967296,5]}',
      expected:
        'invalid JSON: json: cannot unmarshal number 4294967296 into ' +
        `${field('ConsoleSize')} of type uint`,
    },
    {
      doc: 'size as string',
      body: '{"ConsoleSize":["24",80]}',
      expected:
        `invalid JSON: json: cannot unmarshal string into ${field('ConsoleSize')} of type uint`,
    },
    {
      doc: 'first error wins',
      body: '{"Tty":1,"Cmd":"x"}',
      expected: `invalid JSON: json: cannot unmarshal number into ${field('Tty')} of type bool`,
    },
    {
      doc: 'error in a repeated key',
      body: '{"Tty":1,"Tty":true}',
      expected: `invalid JSON: json: cannot unmarshal number into ${field('Tty')} of type bool`,
    },
    {
      doc: 'top-level array',
      body: '[]',
      expected:
        topLevel('array'),
    },
    {
      doc: 'top-level string',
      body: '"x"',
      expected:
        topLevel('string'),
    },
    {
      doc: 'top-level number',
      body: '1',
      expected:
        topLevel('number'),
    },
    {
      doc: 'type error before trailing data',
      body: '{"Tty":1}x',
      expected: `invalid JSON: json: cannot unmarshal number into ${field('Tty')} of type bool`,
    },
  ])('reports $doc', ({ body, expected }) => {
    expect(createError(body, JSON_TYPE)).toBe(expected)
  })

  it('names the start struct', () => {
    const expected =
      'invalid JSON: json: cannot unmarshal string into Go struct field ' +
      'ExecStartRequest.Detach of type bool'
    expect(() => parseJsonBody(ExecStartBody, '{"Detach":"yes"}', JSON_TYPE)).toThrow(expected)
  })

  it('sets the error code', () => {
    expect(() => parseJsonBody(ExecCreateBody, '{', JSON_TYPE)).toThrow(
      expect.objectContaining({ code: 'INVALID_BODY' }),
    )
  })
})
