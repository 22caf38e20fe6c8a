// Test support (not used by the product): a real distribution registry (Debian's docker-registry)
// on loopback, and a small pusher speaking the distribution API (monolithic blob uploads,
// manifest PUT), so pull tests run against the real thing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BuiltBlob, BuiltImage } from './archive-writer.js';
import { sha256Digest } from './blob-store.js';
import { OCI_INDEX } from './media-types.js';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';

export function registryAvailable(): boolean {
  return existsSync(REGISTRY_BINARY);
}

export interface TestRegistry {
  /** '127.0.0.1:PORT' */
  readonly host: string;
  stop(): Promise<void>;
}

export interface TestRegistryOptions {
  /** htpasswd file content (basic auth) */
  readonly htpasswd?: string;
  /** token auth: realm URL, service, issuer and the PEM certificate bundle the tokens are signed under */
  readonly token?: { readonly realm: string; readonly service: string; readonly issuer: string; readonly rootCertPem: string };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts docker-registry on a free loopback port with storage in a temp dir; waits until it answers /v2/. */
export async function startRegistry(opts: TestRegistryOptions = {}): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-registry-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.htpasswd !== undefined) {
    writeFileSync(join(dir, 'htpasswd'), opts.htpasswd);
    lines.push('auth:', '  htpasswd:', '    realm: skiff-test', `    path: ${join(dir, 'htpasswd')}`);
  } else if (opts.token) {
    writeFileSync(join(dir, 'token-ca.pem'), opts.token.rootCertPem);
    lines.push('auth:', '  token:', `    realm: ${opts.token.realm}`, `    service: ${opts.token.service}`, `    issuer: ${opts.token.issuer}`, `    rootcertbundle: ${join(dir, 'token-ca.pem')}`);
  }
  writeFileSync(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn(REGISTRY_BINARY, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL'); // SIGTERM would wait for idle keep-alive connections to drain; its data goes anyway
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`http://${host}/v2/`);
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return { host, stop };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`docker-registry did not start on ${host}: ${stderr}`);
}

export interface PushTarget {
  /** 'HOST:PORT' of a plain-HTTP registry */
  readonly host: string;
  /** repository path, e.g. 'library/busybox' */
  readonly repository: string;
  /** value of the Authorization header, if the registry needs one */
  readonly authorization?: string;
}

async function check(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

/** Monolithic upload: POST to start, PUT the whole blob with ?digest=. */
export async function pushBlob(t: PushTarget, blob: { digest: string; data: Buffer }): Promise<void> {
  const base = `http://${t.host}/v2/${t.repository}`;
  const auth: Record<string, string> = t.authorization ? { Authorization: t.authorization } : {};
  const start = await check(await fetch(`${base}/blobs/uploads/`, { method: 'POST', headers: auth }), `POST upload of ${blob.digest}`);
  await start.body?.cancel();
  const location = new URL(start.headers.get('location') ?? '', `http://${t.host}`);
  location.searchParams.set('digest', blob.digest);
  const put = await check(
    await fetch(location, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: new Uint8Array(blob.data) }),
    `PUT blob ${blob.digest}`,
  );
  await put.body?.cancel();
}

export async function pushManifest(t: PushTarget, reference: string, manifest: { mediaType: string; data: Buffer }): Promise<void> {
  const auth: Record<string, string> = t.authorization ? { Authorization: t.authorization } : {};
  const res = await check(
    await fetch(`http://${t.host}/v2/${t.repository}/manifests/${reference}`, { method: 'PUT', headers: { ...auth, 'Content-Type': manifest.mediaType }, body: new Uint8Array(manifest.data) }),
    `PUT manifest ${reference}`,
  );
  await res.body?.cancel();
}

/** Pushes config, layers and manifest; tags the manifest with `tag` (else pushes it by digest). */
export async function pushImage(t: PushTarget, image: BuiltImage, tag?: string): Promise<void> {
  for (const b of [image.config, ...image.layers]) await pushBlob(t, b);
  await pushManifest(t, tag ?? image.manifest.digest, image.manifest);
}

/** Pushes each image by digest, then an index (OCI, or a Docker manifest list) of them tagged `tag`; returns the index. */
export async function pushIndex(t: PushTarget, images: readonly BuiltImage[], tag: string, mediaType: string = OCI_INDEX): Promise<BuiltBlob> {
  for (const i of images) await pushImage(t, i);
  const index = {
    schemaVersion: 2,
    mediaType,
    manifests: images.map((i) => ({
      mediaType: i.manifest.mediaType,
      digest: i.manifest.digest,
      size: i.manifest.data.length,
      platform: { os: i.os, architecture: i.architecture },
    })),
  };
  const data = Buffer.from(JSON.stringify(index));
  const blob = { data, digest: sha256Digest(data), mediaType };
  await pushManifest(t, tag, blob);
  return blob;
}

export interface TokenServer {
  /** the realm URL to configure the registry with */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM of the certificate the tokens are signed under (the registry's rootcertbundle) */
  readonly rootCertPem: string;
  /** every token request: the scope asked for and the user (or 'anonymous') */
  readonly requests: { scope: string; user: string }[];
  /** a token for `scope` ('repository:NAME:pull,push'), as if `user` asked */
  token(scope: string, user?: string): string;
  stop(): Promise<void>;
}

/**
 * A tiny token server as in Docker's token auth: GET REALM?service=&scope= answers {token}, a JWT
 * signed with ES256 under a self-signed certificate (sent in the x5c header). Anonymous callers
 * get pull access to repositories under `public/`; `users` (name → password, via Basic auth) get
 * what they ask for; wrong passwords get 401.
 */
export async function startTokenServer(users: Record<string, string>): Promise<TokenServer> {
  const { createServer: createHttpServer } = await import('node:http');
  const { webcrypto, sign, createPrivateKey, randomUUID } = await import('node:crypto');
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=skiff-test-token-signer',
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 3600_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true)],
  });
  const key = createPrivateKey({ key: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), format: 'der', type: 'pkcs8' });
  const service = 'skiff-test-registry';
  const issuer = 'skiff-test-token-server';
  const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
  const token = (scope: string, user = 'anonymous') => {
    const [type, name, actions] = scope.split(':');
    const allowed = (actions ?? '').split(',').filter((a) => user !== 'anonymous' || (a === 'pull' && name.startsWith('public/')));
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'ES256', typ: 'JWT', x5c: [Buffer.from(cert.rawData).toString('base64')] };
    const claims = { iss: issuer, sub: user, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access: type && name ? [{ type, name, actions: allowed }] : [] };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }))}`;
  };
  const requests: { scope: string; user: string }[] = [];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let user = 'anonymous';
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) {
      const [name, ...rest] = Buffer.from(basic[1], 'base64').toString().split(':');
      if (users[name] === undefined || users[name] !== rest.join(':')) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = name;
    }
    const scope = url.searchParams.get('scope') ?? '';
    requests.push({ scope, user });
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: token(scope, user), expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertPem: `${cert.toString('pem')}\n`,
    requests,
    token,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
