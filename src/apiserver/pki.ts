// The cluster's TLS material: a CA and an API serving certificate, made on first start and kept
// in DIR/server/tls. ECDSA P-256 keys make generation take milliseconds. The serving
// certificate is re-issued when the set of names/addresses it must cover changes.
import { webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

export interface ServingMaterial {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
}

/**
 * Loads or creates the CA and a serving certificate valid for `dnsNames` and `ips`.
 * Files: ca.crt, ca.key, serving.crt, serving.key, serving.sans (the names it was made for).
 */
export async function ensureServingMaterial(dir: string, dnsNames: readonly string[], ips: readonly string[]): Promise<ServingMaterial> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string) => join(dir, n);
  const sans = JSON.stringify({ dnsNames: [...dnsNames].sort(), ips: [...ips].sort() });
  const haveCA = existsSync(f('ca.crt')) && existsSync(f('ca.key'));
  const haveLeaf = existsSync(f('serving.crt')) && existsSync(f('serving.key')) && existsSync(f('serving.sans'));
  if (haveCA && haveLeaf && readFileSync(f('serving.sans'), 'utf8') === sans) {
    return { caPem: readFileSync(f('ca.crt'), 'utf8'), certPem: readFileSync(f('serving.crt'), 'utf8'), keyPem: readFileSync(f('serving.key'), 'utf8') };
  }

  // Loaded only when something must be issued: keeps ordinary start-up fast.
  await import('reflect-metadata'); // @peculiar/x509's dependency injection needs it loaded first
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const notBefore = new Date(Date.now() - 3600_000);
  const notAfter = new Date(Date.now() + TEN_YEARS_MS);

  let caCert: InstanceType<typeof x509.X509Certificate>;
  let caKey: CryptoKey;
  if (haveCA) {
    caCert = new x509.X509Certificate(readFileSync(f('ca.crt'), 'utf8'));
    const der = Buffer.from(readFileSync(f('ca.key'), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    caKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  } else {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=skiff-ca@${Math.floor(Date.now() / 1000)}`,
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    caKey = keys.privateKey;
    writeFileAtomic(f('ca.key'), pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', caKey)), 0o600);
    writeFileAtomic(f('ca.crt'), caCert.toString('pem') + '\n', 0o644);
  }

  const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=skiff-apiserver',
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingKey: caKey,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
    ],
  });
  const keyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey));
  const certPem = leaf.toString('pem') + '\n';
  writeFileAtomic(f('serving.key'), keyPem, 0o600);
  writeFileAtomic(f('serving.crt'), certPem, 0o644);
  writeFileAtomic(f('serving.sans'), sans, 0o644);
  return { caPem: caCert.toString('pem') + '\n', certPem, keyPem };
}
