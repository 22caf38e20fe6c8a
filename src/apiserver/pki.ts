// The cluster's TLS material: a CA and an API serving certificate, made on first start and kept
// in DIR/server/tls. ECDSA P-256 keys make generation take milliseconds. The serving
// certificate is re-issued when the set of names/addresses it must cover changes.
// The same CA signs the kubelet's serving certificate and the API server's client certificate
// towards kubelets (pods/log, exec, attach, portforward are proxied over that TLS connection).
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

  const ca = await loadCA(dir, true);
  const leaf = await issueLeaf(ca, { subject: 'CN=skiff-apiserver', usage: 'server', dnsNames, ips });
  writeFileAtomic(f('serving.key'), leaf.keyPem, 0o600);
  writeFileAtomic(f('serving.crt'), leaf.certPem, 0o644);
  writeFileAtomic(f('serving.sans'), sans, 0o644);
  return { caPem: ca.pem, certPem: leaf.certPem, keyPem: leaf.keyPem };
}

type X509 = typeof import('@peculiar/x509');
interface CA {
  readonly x509: X509;
  readonly cert: InstanceType<X509['X509Certificate']>;
  readonly key: CryptoKey;
  readonly pem: string;
}

/** Loads the CA of `dir` (ca.crt, ca.key), making it first when `create`; throws when absent otherwise. */
async function loadCA(dir: string, create: boolean): Promise<CA> {
  const f = (n: string) => join(dir, n);
  const haveCA = existsSync(f('ca.crt')) && existsSync(f('ca.key'));
  if (!haveCA && !create) throw new Error(`no cluster CA in ${dir} (want ca.crt and ca.key)`);
  // Loaded only when something must be issued: keeps ordinary start-up fast.
  await import('reflect-metadata'); // @peculiar/x509's dependency injection needs it loaded first
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  if (haveCA) {
    const cert = new x509.X509Certificate(readFileSync(f('ca.crt'), 'utf8'));
    const der = Buffer.from(readFileSync(f('ca.key'), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const key = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
    return { x509, cert, key, pem: cert.toString('pem') + '\n' };
  }
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=skiff-ca@${Math.floor(Date.now() / 1000)}`,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writeFileAtomic(f('ca.key'), pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), 0o600);
  writeFileAtomic(f('ca.crt'), cert.toString('pem') + '\n', 0o644);
  return { x509, cert, key: keys.privateKey, pem: cert.toString('pem') + '\n' };
}

/** A leaf certificate signed by `ca`: `usage` server (with SANs) or client. */
async function issueLeaf(ca: CA, opts: { subject: string; usage: 'server' | 'client'; dnsNames?: readonly string[]; ips?: readonly string[] }): Promise<{ certPem: string; keyPem: string }> {
  const { x509 } = ca;
  const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const sans = [...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(opts.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: opts.subject,
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + TEN_YEARS_MS),
    signingKey: ca.key,
    publicKey: leafKeys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
    ],
  });
  return { certPem: leaf.toString('pem') + '\n', keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)) };
}

/** PEM material in node:tls option names: the key and certificate of one side, and the CA it trusts. */
export interface TLSMaterial {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

/** Subject of the API server's client certificate towards kubelets (group system:masters, as kubeadm's apiserver-kubelet-client). */
export const KUBELET_CLIENT_SUBJECT = 'CN=skiff-apiserver-kubelet-client, O=system:masters';

/**
 * The API server's client certificate for kubelets (clientAuth), signed by the cluster CA of `dir`
 * (made by ensureServingMaterial first). Kept as kubelet-client.crt/.key; issued once.
 */
export async function ensureKubeletClientMaterial(dir: string): Promise<TLSMaterial> {
  const f = (n: string) => join(dir, n);
  if (existsSync(f('kubelet-client.crt')) && existsSync(f('kubelet-client.key')) && existsSync(f('ca.crt'))) {
    return { key: readFileSync(f('kubelet-client.key'), 'utf8'), cert: readFileSync(f('kubelet-client.crt'), 'utf8'), ca: readFileSync(f('ca.crt'), 'utf8') };
  }
  const ca = await loadCA(dir, false);
  const leaf = await issueLeaf(ca, { subject: KUBELET_CLIENT_SUBJECT, usage: 'client' });
  writeFileAtomic(f('kubelet-client.key'), leaf.keyPem, 0o600);
  writeFileAtomic(f('kubelet-client.crt'), leaf.certPem, 0o644);
  return { key: leaf.keyPem, cert: leaf.certPem, ca: ca.pem };
}

/**
 * A kubelet serving certificate (serverAuth; SANs: the node name, its IPs, localhost, 127.0.0.1)
 * signed by the cluster CA in `caDir`; kept in `outDir` (default caDir) as kubelet.crt/.key and
 * re-issued when the names change. `ca` of the result is the cluster CA: the kubelet accepts
 * clients with certificates it signed.
 */
export async function ensureKubeletServingMaterial(caDir: string, nodeName: string, ips: readonly string[], outDir: string = caDir): Promise<TLSMaterial> {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const o = (n: string) => join(outDir, n);
  const dnsNames = [...new Set([nodeName, 'localhost'])].sort();
  const allIPs = [...new Set([...ips, '127.0.0.1'])].sort();
  const sans = JSON.stringify({ dnsNames, ips: allIPs });
  const caPem = existsSync(join(caDir, 'ca.crt')) ? readFileSync(join(caDir, 'ca.crt'), 'utf8') : undefined;
  if (caPem && existsSync(o('kubelet.crt')) && existsSync(o('kubelet.key')) && existsSync(o('kubelet.sans')) && readFileSync(o('kubelet.sans'), 'utf8') === sans) {
    return { key: readFileSync(o('kubelet.key'), 'utf8'), cert: readFileSync(o('kubelet.crt'), 'utf8'), ca: caPem };
  }
  const ca = await loadCA(caDir, false);
  const leaf = await issueLeaf(ca, { subject: `CN=${nodeName}, O=system:nodes`, usage: 'server', dnsNames, ips: allIPs });
  writeFileAtomic(o('kubelet.key'), leaf.keyPem, 0o600);
  writeFileAtomic(o('kubelet.crt'), leaf.certPem, 0o644);
  writeFileAtomic(o('kubelet.sans'), sans, 0o644);
  return { key: leaf.keyPem, cert: leaf.certPem, ca: ca.pem };
}
