import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** PEM files of a test PKI: a CA, a server certificate for 127.0.0.1, and clients of two CAs. */
export interface TestCertificates {
  caFile: string
  serverCert: string
  serverKey: string
  /** A client certificate signed by `caFile`. */
  clientCert: string
  clientKey: string
  /** A client certificate signed by another CA, which the server must reject. */
  strangerCert: string
  strangerKey: string
}

async function openssl(directory: string, args: string[]): Promise<void> {
  await run('openssl', args, { cwd: directory })
}

async function makeCa(directory: string, name: string): Promise<void> {
  await openssl(directory, [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', `/CN=${name}`, '-keyout', `${name}-key.pem`, '-out', `${name}.pem`,
  ])
}

async function makeSigned(directory: string, name: string, ca: string, extensions: string): Promise<void> {
  await openssl(directory, [
    'req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`,
    '-keyout', `${name}-key.pem`, '-out', `${name}.csr`,
  ])
  await run('sh', ['-c', `printf '%s\\n' "${extensions}" > ${name}.ext`], { cwd: directory })
  await openssl(directory, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}-key.pem`,
    '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ])
}

/** Makes the certificates with the openssl CLI in `directory`. */
export async function makeCertificates(directory: string): Promise<TestCertificates> {
  await makeCa(directory, 'ca')
  await makeCa(directory, 'other-ca')
  await makeSigned(directory, 'server', 'ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth')
  await makeSigned(directory, 'client', 'ca', 'extendedKeyUsage=clientAuth')
  await makeSigned(directory, 'stranger', 'other-ca', 'extendedKeyUsage=clientAuth')
  const file = (name: string) => join(directory, name)
  return {
    caFile: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server-key.pem'),
    clientCert: file('client.pem'),
    clientKey: file('client-key.pem'),
    strangerCert: file('stranger.pem'),
    strangerKey: file('stranger-key.pem'),
  }
}
