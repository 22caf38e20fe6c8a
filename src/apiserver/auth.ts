// Authentication: bearer tokens. Every request but the public health and version endpoints must
// carry a known token; others get 401. (Authorization beyond "authenticated = admin" comes later.)
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface User {
  readonly name: string;
  readonly groups: readonly string[];
}

/** Paths anyone may read, as Kubernetes' system:public-info-viewer role allows. */
const PUBLIC = new Set(['/healthz', '/livez', '/readyz', '/version']);

export function isPublicPath(path: string): boolean {
  return PUBLIC.has(path) || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
}

export class TokenAuthenticator {
  private readonly tokens: { token: Buffer; user: User }[];

  constructor(tokens: ReadonlyMap<string, User>) {
    this.tokens = [...tokens].map(([t, user]) => ({ token: Buffer.from(t), user }));
  }

  /** The user a request authenticates as, or undefined. */
  authenticate(req: IncomingMessage): User | undefined {
    const h = req.headers.authorization;
    if (!h) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m) return undefined;
    const given = Buffer.from(m[1]);
    for (const { token, user } of this.tokens) {
      if (token.length === given.length && timingSafeEqual(token, given)) return user;
    }
    return undefined;
  }
}
