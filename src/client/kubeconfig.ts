// Reads a kubeconfig (as kubectl does) into what a client needs to connect: the server URL,
// the CA, and the credentials of the chosen context. Supports bearer tokens (inline or file),
// client certificates (inline or file) and insecure-skip-tls-verify; relative file paths are
// resolved against the kubeconfig's directory. Errors are Errors naming the file and what is missing.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import { isObject } from '../api/object.js';

export interface Connection {
  /** `https://host:port` (a path prefix is kept) */
  readonly server: string;
  readonly caPem?: string;
  readonly token?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly insecureSkipTLSVerify: boolean;
  /** SNI / certificate name to verify instead of the URL's host */
  readonly tlsServerName?: string;
  /** the context's namespace, "default" when unset */
  readonly namespace: string;
}

export interface KubeconfigOptions {
  /** context to use instead of current-context */
  readonly context?: string;
}

/** Parses kubeconfig text; `path` is the file it came from (for messages and relative paths). */
export function parseKubeconfig(text: string, path: string, opts: KubeconfigOptions = {}): Connection {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new Error(`kubeconfig ${path}: not valid YAML: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!isObject(doc)) throw new Error(`kubeconfig ${path}: expected a mapping at the top level, got ${typeof doc}`);
  const fail = (what: string): never => {
    throw new Error(`kubeconfig ${path}: ${what}`);
  };

  const contextName = opts.context ?? str(doc['current-context']) ?? fail('no context given and current-context is not set');
  const context = named(doc.contexts, contextName, 'context') ?? fail(`context "${contextName}" not found`);
  const clusterName = str(context.cluster) ?? fail(`context "${contextName}" names no cluster`);
  const cluster = named(doc.clusters, clusterName, 'cluster') ?? fail(`cluster "${clusterName}" not found`);
  const userName = str(context.user);
  const user = userName ? (named(doc.users, userName, 'user') ?? fail(`user "${userName}" not found`)) : {};

  const server = str(cluster.server) ?? fail(`cluster "${clusterName}" has no server`);
  const base = dirname(path);
  const file = (p: string): string => readFileSync(isAbsolute(p) ? p : resolve(base, p), 'utf8');
  const inline = (data: unknown, filePath: unknown): string | undefined => {
    const d = str(data);
    if (d) return Buffer.from(d, 'base64').toString('utf8');
    const f = str(filePath);
    return f ? file(f) : undefined;
  };

  const tokenFile = str(user.tokenFile);
  return {
    server: server.replace(/\/+$/, ''),
    caPem: inline(cluster['certificate-authority-data'], cluster['certificate-authority']),
    token: str(user.token) ?? (tokenFile ? file(tokenFile).trim() : undefined),
    certPem: inline(user['client-certificate-data'], user['client-certificate']),
    keyPem: inline(user['client-key-data'], user['client-key']),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: str(cluster['tls-server-name']),
    namespace: str(context.namespace) ?? 'default',
  };
}

/** Reads and parses the kubeconfig file at `path`. */
export function loadKubeconfig(path: string, opts: KubeconfigOptions = {}): Connection {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`kubeconfig ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return parseKubeconfig(text, path, opts);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The inner mapping of the entry `{name, <field>: {...}}` named `name` in a kubeconfig list. */
function named(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const e of list) {
    if (isObject(e) && e.name === name) return isObject(e[field]) ? e[field] : {};
  }
  return undefined;
}
