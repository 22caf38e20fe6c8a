// The OCI runtimes skiff runs containers with, under conmon and with the same command line.
import { existsSync } from 'node:fs';

/**
 * The OCI runtimes the runtime drives (through conmon, with the same command line): runc (the
 * default) and crun, a C implementation of the same CLI that starts a container with a fraction of
 * runc's CPU (no Go runtime, no re-exec of a copied binary).
 */
export const OCI_RUNTIMES = ['runc', 'crun'] as const;
export type OciRuntimeName = (typeof OCI_RUNTIMES)[number];

const OCI_RUNTIME_PATHS: Record<OciRuntimeName, readonly string[]> = {
  runc: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc', '/usr/local/bin/runc'],
  crun: ['/usr/bin/crun', '/usr/local/bin/crun', '/usr/sbin/crun'],
};

/** Where the OCI runtime `name` is installed (the first candidate that exists; else the bare name, for PATH). */
export function ociRuntimePath(name: OciRuntimeName): string {
  return OCI_RUNTIME_PATHS[name].find((p) => existsSync(p)) ?? name;
}
