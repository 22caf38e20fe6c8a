// Which OCI runtime the real-container tests use: `SKIFF_CONTAINER_RUNTIME=crun` runs them on crun,
// anything else (or nothing) on runc. Test-only.
import { existsSync } from 'node:fs';
import { ociRuntimePath, type OciRuntimeName } from '../oci-runtimes.js';

export const CONTAINER_RUNTIME_ENV = 'SKIFF_CONTAINER_RUNTIME';

export function testOciRuntime(): OciRuntimeName {
  return process.env[CONTAINER_RUNTIME_ENV] === 'crun' ? 'crun' : 'runc';
}

/** A skip reason when the tests' OCI runtime is not installed, else false. */
export function missingOciRuntime(): string | false {
  const name = testOciRuntime();
  return existsSync(ociRuntimePath(name)) ? false : `needs ${name} (${CONTAINER_RUNTIME_ENV}=${name})`;
}
