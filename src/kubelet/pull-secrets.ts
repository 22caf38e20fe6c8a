// imagePullSecrets: the registry credentials a pod names, matched to an image's registry the way
// the kubelet's credential keyring does. Secrets of type kubernetes.io/dockerconfigjson
// (`.dockerconfigjson`: {"auths": {KEY: {...}}}) and the legacy kubernetes.io/dockercfg
// (`.dockercfg`: {KEY: {...}}) are read; an entry gives `username`/`password`, or `auth`
// (base64 "user:password"), or an `identitytoken`. KEY is a registry host (with port), optionally
// with a scheme and a path prefix ("https://index.docker.io/v1/", "reg.example:5000/team"); the
// longest key matching the image's registry and repository wins. Docker Hub's aliases
// (docker.io, index.docker.io, registry-1.docker.io) are one registry.
import type { Secret } from 'kubernetes-types/core/v1.js';

export interface RegistryAuth {
  readonly username?: string;
  readonly password?: string;
  readonly identityToken?: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** `busybox` → docker.io/library/busybox, `reg:5000/a/b:tag` → reg:5000/a/b (no tag or digest). */
export function imageRepository(image: string): { registry: string; path: string } {
  const noDigest = image.split('@')[0];
  const slash = noDigest.indexOf('/');
  const first = slash < 0 ? '' : noDigest.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let registry = hasRegistry ? first : 'docker.io';
  let path = hasRegistry ? noDigest.slice(slash + 1) : noDigest;
  const colon = path.lastIndexOf(':');
  if (colon > path.lastIndexOf('/')) path = path.slice(0, colon);
  if (DOCKER_HUB.has(registry)) registry = 'docker.io';
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { registry: registry.toLowerCase(), path };
}

function normalizeKey(key: string): { registry: string; path: string } {
  let k = key.trim().replace(/^[a-z]+:\/\//i, '');
  k = k.replace(/\/v[12]\/?$/, '').replace(/\/+$/, '');
  const slash = k.indexOf('/');
  let registry = (slash < 0 ? k : k.slice(0, slash)).toLowerCase();
  if (DOCKER_HUB.has(registry)) registry = 'docker.io';
  return { registry, path: slash < 0 ? '' : k.slice(slash + 1) };
}

function entryAuth(e: Record<string, unknown>): RegistryAuth | undefined {
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  if (s(e.identitytoken)) return { identityToken: s(e.identitytoken) };
  if (s(e.username) !== undefined || s(e.password) !== undefined) return { username: s(e.username), password: s(e.password) };
  const auth = s(e.auth);
  if (auth) {
    const text = Buffer.from(auth, 'base64').toString('utf8');
    const i = text.indexOf(':');
    if (i > 0) return { username: text.slice(0, i), password: text.slice(i + 1) };
  }
  return undefined;
}

function entriesOf(secret: Secret): Array<[string, Record<string, unknown>]> {
  const data = secret.data ?? {};
  const decode = (k: string) => (data[k] ? Buffer.from(data[k], 'base64').toString('utf8') : undefined);
  try {
    const json = decode('.dockerconfigjson');
    if (json) return Object.entries(((JSON.parse(json) as { auths?: Record<string, Record<string, unknown>> }).auths ?? {}));
    const legacy = decode('.dockercfg');
    if (legacy) return Object.entries(JSON.parse(legacy) as Record<string, Record<string, unknown>>);
  } catch {
    /* a malformed secret gives no credentials */
  }
  return [];
}

/** The credentials for `image` among `secrets` (in the pod's order), or undefined. */
export function credentialsFor(image: string, secrets: readonly Secret[]): RegistryAuth | undefined {
  const want = imageRepository(image);
  let best: { auth: RegistryAuth; score: number } | undefined;
  for (const secret of secrets) {
    for (const [key, entry] of entriesOf(secret)) {
      const k = normalizeKey(key);
      if (k.registry !== want.registry) continue;
      if (k.path && want.path !== k.path && !want.path.startsWith(`${k.path}/`)) continue;
      const auth = entryAuth(entry);
      if (!auth) continue;
      const score = k.path.length;
      if (!best || score > best.score) best = { auth, score };
    }
  }
  return best?.auth;
}
