// Which image of a multi-platform index a node runs: linux/amd64 as the issue asks (the node's
// own architecture would be the generalisation). Attestation manifests (platform unknown/unknown)
// never match.
import type { Descriptor } from './media-types.js';

export const NODE_PLATFORM = { os: 'linux', architecture: 'amd64' } as const;

export function choosePlatform(manifests: readonly Descriptor[], want: { os: string; architecture: string } = NODE_PLATFORM): Descriptor | undefined {
  return manifests.find((m) => m.platform?.os === want.os && m.platform.architecture === want.architecture);
}
