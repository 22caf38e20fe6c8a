// Image references, normalised as Docker does: `busybox` → docker.io/library/busybox:latest,
// `reg:5000/x/y@sha256:...` keeps its registry and digest. Pure, no I/O.
import { ImageError } from './errors.js';

export interface ImageRef {
  /** registry name as users write it: 'docker.io', 'localhost:5000', 'ghcr.io' */
  readonly registry: string;
  /** path inside the registry: 'library/busybox' */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
  /** registry/repository: 'docker.io/library/busybox' */
  readonly repo: string;
  /** canonical reference: 'docker.io/library/busybox:latest', 'r/x@sha256:..', or 'r/x:tag@sha256:..' */
  readonly name: string;
}

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

function invalid(ref: string, why: string): ImageError {
  return new ImageError('InvalidImageName', `invalid image reference "${ref}": ${why}`);
}

/**
 * Parses and normalises a reference. Throws ImageError('InvalidImageName') saying what is wrong.
 * A reference without tag and digest gets the tag 'latest'.
 */
export function normalizeImageRef(ref: string): ImageRef {
  if (ref === '' || ref.trim() !== ref) throw invalid(ref, 'expected a non-empty name without spaces');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(ref, `digest "${digest}" must be sha256: followed by 64 lowercase hex digits`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(ref, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  let registry = DEFAULT_REGISTRY;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first.toLowerCase() !== first) {
      registry = first;
      repository = rest.slice(slash + 1);
      if (!DOMAIN.test(registry)) throw invalid(ref, `registry "${registry}" is not a host name with an optional port`);
    }
  }
  if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) repository = `library/${repository}`;
  for (const part of repository.split('/')) {
    if (!PATH_COMPONENT.test(part)) {
      const why = part.toLowerCase() !== part ? 'repository name must be lowercase' : `path component "${part}" must be lowercase letters, digits and separators (. _ __ -)`;
      throw invalid(ref, why);
    }
  }
  const repo = `${registry}/${repository}`;
  if (repo.length > 255) throw invalid(ref, 'name is longer than 255 characters');
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  const name = repo + (tag !== undefined ? `:${tag}` : '') + (digest !== undefined ? `@${digest}` : '');
  return { registry, repository, repo, name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

