// A client of the distribution API v2 (OCI distribution spec) for one repository: manifests and
// blobs, with the registry's WWW-Authenticate challenges answered (Bearer tokens, anonymous or
// with username/password or an identity token; Basic). HTTPS, except plain HTTP for loopback
// registries and those listed as insecure. Failures are ImageError('ErrImagePull') carrying the
// registry's own error code and message ("manifest unknown: manifest unknown").
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { sha256Digest, type BlobStore } from './blob-store.js';
import { ImageError } from './errors.js';
import { MANIFEST_TYPES } from './media-types.js';
import type { ImageRef } from './reference.js';

export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  /** an OAuth2 refresh token (docker login's identitytoken) */
  readonly identityToken?: string;
}

export interface RegistryClientOptions {
  readonly auth?: RegistryAuth;
  /** registries ('host:port' or 'host') reached over plain HTTP */
  readonly insecureRegistries?: readonly string[];
  readonly signal?: AbortSignal;
}

const MAX_MANIFEST_BYTES = 4 << 20;
const DOCKER_HUB_API = 'registry-1.docker.io';

/** The host the API lives on: docker.io's is registry-1.docker.io. */
export function registryHost(registry: string): string {
  return registry === 'docker.io' ? DOCKER_HUB_API : registry;
}

/** Loopback registries and the insecure ones are spoken to over plain HTTP. */
export function registryScheme(registry: string, insecure: readonly string[] = []): 'http' | 'https' {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.split(':')[0];
  const loopback = host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
  return loopback || insecure.includes(registry) || insecure.includes(host) ? 'http' : 'https';
}

export interface FetchedManifest {
  readonly data: Buffer;
  readonly mediaType: string;
  readonly digest: string;
}

export class RegistryClient {
  private readonly base: string;
  private authorization: string | undefined;

  constructor(
    private readonly ref: ImageRef,
    private readonly opts: RegistryClientOptions = {},
  ) {
    this.base = `${registryScheme(ref.registry, opts.insecureRegistries)}://${registryHost(ref.registry)}/v2/${ref.repository}`;
  }

  /** A manifest or index by tag or digest, verified against the digest asked for and the one the registry announces. */
  async manifest(reference: string): Promise<FetchedManifest> {
    const res = await this.request(`${this.base}/manifests/${reference}`, { Accept: MANIFEST_TYPES.join(', ') });
    const data = Buffer.from(await res.arrayBuffer());
    if (data.length > MAX_MANIFEST_BYTES) throw this.fail(`manifest ${reference} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    const digest = sha256Digest(data);
    const announced = res.headers.get('docker-content-digest');
    const expected = reference.startsWith('sha256:') ? reference : announced?.startsWith('sha256:') ? announced : undefined;
    if (expected !== undefined && expected !== digest) throw this.fail(`manifest ${reference}: content hashes to ${digest}, expected ${expected}`);
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0].trim();
    if (!MANIFEST_TYPES.includes(mediaType as (typeof MANIFEST_TYPES)[number])) {
      try {
        mediaType = String((JSON.parse(data.toString('utf8')) as { mediaType?: string }).mediaType ?? mediaType);
      } catch {
        // keep the header's type; the caller refuses what it cannot read
      }
    }
    return { data, mediaType, digest };
  }

  /** Downloads a blob into the store (verified there); a blob already present is not fetched. */
  async blob(digest: string, blobs: BlobStore): Promise<void> {
    if (blobs.has(digest)) return;
    const res = await this.request(`${this.base}/blobs/${digest}`, {});
    if (!res.body) throw this.fail(`blob ${digest}: empty response`);
    try {
      await blobs.write(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), digest, this.opts.signal);
    } catch (e) {
      if (e instanceof ImageError) throw this.fail(e.message, e);
      throw this.wrapNetwork(e, `GET ${this.base}/blobs/${digest}`);
    }
  }

  /** GET with the current credentials; on 401 answers the challenge once and retries. */
  private async request(url: string, headers: Record<string, string>): Promise<Response> {
    let res = await this.get(url, headers);
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      await res.body?.cancel();
      this.authorization = await this.answer(challenge);
      res = await this.get(url, headers);
    }
    if (!res.ok) throw this.fail(await registryMessage(res));
    return res;
  }

  private async get(url: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await fetch(url, {
        headers: { ...headers, ...(this.authorization ? { Authorization: this.authorization } : {}) },
        redirect: 'follow',
        signal: this.opts.signal,
      });
    } catch (e) {
      throw this.wrapNetwork(e, `GET ${url}`);
    }
  }

  private async answer(challenge: string): Promise<string> {
    const [scheme] = challenge.split(' ', 1);
    const params = challengeParams(challenge.slice(scheme.length));
    const auth = this.opts.auth ?? {};
    if (scheme.toLowerCase() === 'basic') {
      if (auth.username === undefined) throw this.fail('unauthorized: the registry asks for a username and password');
      return `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
    }
    if (scheme.toLowerCase() !== 'bearer' || !params.realm) throw this.fail(`unauthorized: cannot answer the registry's challenge "${challenge}"`);
    const scope = params.scope ?? `repository:${this.ref.repository}:pull`;
    const service = params.service ?? '';
    let res: Response;
    try {
      if (auth.identityToken) {
        const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: auth.identityToken, service, scope, client_id: 'skiff' });
        res = await fetch(params.realm, { method: 'POST', body, signal: this.opts.signal });
      } else {
        const url = new URL(params.realm);
        if (service) url.searchParams.set('service', service);
        url.searchParams.set('scope', scope);
        const headers: Record<string, string> = {};
        if (auth.username !== undefined) headers.Authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
        res = await fetch(url, { headers, signal: this.opts.signal });
      }
    } catch (e) {
      throw this.wrapNetwork(e, `token request to ${params.realm}`);
    }
    if (!res.ok) throw this.fail(`unauthorized: token request to ${params.realm} failed: ${await registryMessage(res)}`);
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw this.fail(`unauthorized: token response from ${params.realm} has no token`);
    return `Bearer ${token}`;
  }

  private fail(message: string, cause?: unknown): ImageError {
    return new ImageError('ErrImagePull', `failed to pull "${this.ref.name}": ${message}`, cause === undefined ? undefined : { cause });
  }

  private wrapNetwork(e: unknown, what: string): Error {
    if (this.opts.signal?.aborted) return this.opts.signal.reason instanceof Error ? this.opts.signal.reason : (e as Error);
    const cause = (e as { cause?: { message?: string } })?.cause?.message;
    return this.fail(`${what}: ${cause ?? (e as Error).message}`, e);
  }
}

/** `realm="...",service="...",scope="..."` → a map (quoted or bare values). */
export function challengeParams(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) out[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  return out;
}

/** The registry's error list as Docker prints it ("manifest unknown: manifest unknown"), else the HTTP status. */
async function registryMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const errors = (body.errors ?? []).map((e) => [e.code?.toLowerCase().replace(/_/g, ' '), e.message].filter(Boolean).join(': '));
    if (errors.length > 0) return errors.join('; ');
  } catch {
    // not a registry error document
  }
  return `${res.status} ${res.statusText}${text && text.length < 200 ? `: ${text.trim()}` : ''}`;
}
