// A container's volumeMounts as runtime mounts: each names a pod volume (hostPath = the volume's
// path, or the subPath inside it, created as a directory when missing, as Kubernetes does);
// readOnly from the mount or forced by the volume (configMap, secret, downwardAPI, projected).
// subPathExpr is expanded with the container's env. Failures reject with a RuntimeError reason
// CreateContainerConfigError and Kubernetes' message.
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { KeyValue, Mount } from '../../runtime/runtime.js';
import { RuntimeError } from '../../runtime/runtime.js';
import { expandVars, lookupIn } from '../var-expansion.js';
import type { MountedVolume } from './volume-manager.js';

function configError(message: string): RuntimeError {
  return new RuntimeError('CreateContainerConfigError', message);
}

function checkSubPath(p: string): void {
  if (p.startsWith('/')) throw configError(`subPath ${JSON.stringify(p)} must be a relative path`);
  if (p.split('/').includes('..')) throw configError(`subPath ${JSON.stringify(p)} must not contain '..'`);
}

export async function containerMounts(container: Container, volumes: ReadonlyMap<string, MountedVolume>, env: readonly KeyValue[] = []): Promise<Mount[]> {
  const out: Mount[] = [];
  const envMap = new Map(env.map((e) => [e.name, e.value]));
  for (const m of container.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    if (!v) throw configError(`cannot find volume "${m.name}" to mount into container "${container.name}"`);
    let hostPath = v.hostPath;
    const sub = m.subPathExpr ? expandVars(m.subPathExpr, lookupIn(envMap)) : m.subPath;
    if (sub) {
      checkSubPath(sub);
      hostPath = join(v.hostPath, sub);
      try {
        await stat(hostPath);
      } catch {
        if (v.readOnly) throw configError(`subPath ${JSON.stringify(sub)} does not exist in volume "${m.name}"`);
        await mkdir(hostPath, { recursive: true, mode: 0o750 });
      }
    }
    out.push({ containerPath: m.mountPath, hostPath, ...(m.readOnly || v.readOnly ? { readOnly: true } : {}) });
  }
  return out;
}
