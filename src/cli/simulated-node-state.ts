// The simulated nodes' runtimes across a graceful restart of the server: when the control loops
// stop, their sandboxes and containers are written to one file, at start they are read back (and the file
// removed), so the kubelets adopt the simulated containers as a real node's kubelet adopts the
// runc containers that kept running — no restart, no new Events, restartCount and start times
// kept. After a crash there is no file and the containers start again, as after a node reboot.
// A file that cannot be read is reported and ignored.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../apiserver/atomic-file.js';
import type { SimulatedRuntime, SimulatedRuntimeState } from '../runtime/simulated/simulated-runtime.js';

const VERSION = 1;

interface StateFile {
  readonly version: number;
  /** runtime state by node name */
  readonly nodes: Record<string, SimulatedRuntimeState>;
}

/** The runtimes' states saved in `file` (which is removed), by node name; empty when there is none. */
export function takeSimulatedNodeState(file: string, log: (line: string) => void): Map<string, SimulatedRuntimeState> {
  if (!existsSync(file)) return new Map();
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateFile>;
    if (parsed.version !== VERSION || typeof parsed.nodes !== 'object' || parsed.nodes === null) throw new Error(`expected version ${VERSION} with nodes`);
    return new Map(Object.entries(parsed.nodes));
  } catch (e) {
    log(`simulated nodes: ignoring ${file}: ${e instanceof Error ? e.message : String(e)}`);
    return new Map();
  } finally {
    rmSync(file, { force: true });
  }
}

/** Writes every runtime's snapshot to `file` (atomically). */
export function saveSimulatedNodeState(file: string, runtimes: ReadonlyMap<string, SimulatedRuntime>): void {
  const nodes: Record<string, SimulatedRuntimeState> = {};
  for (const [name, runtime] of runtimes) nodes[name] = runtime.snapshot();
  writeFileAtomic(file, JSON.stringify({ version: VERSION, nodes } satisfies StateFile));
}
