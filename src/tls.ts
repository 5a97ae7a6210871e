// --tls-cert / --tls-key: read and check both files at start, so a bad file stops the daemon with
// a message naming it, instead of a TLS error on the first connection.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { createSecureContext } from 'node:tls'
import type { TlsFiles } from './config.js'

export class TlsFileError extends Error {
  override name = 'TlsFileError'
  readonly path: string

  constructor(path: string, message: string, cause?: unknown) {
    super(`${path}: ${message}`, { cause })
    this.path = path
  }
}

export interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
  /** Things worth a warning in the log (a private key others may read). */
  readonly warnings: readonly string[]
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (error) {
    throw new TlsFileError(path, `TLS ${what} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error)
  }
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error))

export async function loadTls(files: TlsFiles): Promise<TlsMaterial> {
  const cert = await readPem(files.certFile, 'certificate')
  const key = await readPem(files.keyFile, 'private key')
  let certificate: X509Certificate
  try {
    certificate = new X509Certificate(cert)
  } catch (error) {
    throw new TlsFileError(files.certFile, `is not a PEM certificate (${reason(error)})`, error)
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey(key)
  } catch (error) {
    throw new TlsFileError(files.keyFile, `is not an unencrypted PEM private key (${reason(error)})`, error)
  }
  // OpenSSL would accept an RSA certificate beside an EC key (one slot per key type).
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsFileError(files.keyFile, `is not the private key of the certificate in ${files.certFile}`)
  }
  try {
    createSecureContext({ cert, key })
  } catch (error) {
    throw new TlsFileError(files.certFile, `cannot be used with ${files.keyFile} (${reason(error)})`, error)
  }
  const warnings: string[] = []
  if (Date.parse(certificate.validTo) < Date.now()) warnings.push(`TLS certificate ${files.certFile} expired on ${certificate.validTo}: clients will refuse it`)
  const { mode } = await stat(files.keyFile)
  if ((mode & 0o004) !== 0) warnings.push(`TLS private key ${files.keyFile} is readable by every user (mode ${(mode & 0o777).toString(8)}); chmod 600 it`)
  return { cert, key, warnings }
}
