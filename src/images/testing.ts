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
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(3000).then(() => child.kill('SIGKILL'))]);
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

/** Pushes each image by digest, then an OCI index of them tagged `tag`; returns the index. */
export async function pushIndex(t: PushTarget, images: readonly BuiltImage[], tag: string): Promise<BuiltBlob> {
  for (const i of images) await pushImage(t, i);
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: images.map((i) => ({
      mediaType: i.manifest.mediaType,
      digest: i.manifest.digest,
      size: i.manifest.data.length,
      platform: { os: i.os, architecture: i.architecture },
    })),
  };
  const data = Buffer.from(JSON.stringify(index));
  const blob = { data, digest: sha256Digest(data), mediaType: OCI_INDEX };
  await pushManifest(t, tag, blob);
  return blob;
}
