// The Prober of real nodes: httpGet and tcpSocket from the node to the pod IP (or the probe's
// host), exec through the runtime, grpc (grpc.health.v1 Check over plain-text HTTP/2).
// nodeProbeManager() is the ProbeManagerFactory a real kubelet passes as `probes`.
import type { Probe } from 'kubernetes-types/core/v1.js';
import type { Runtime } from '../../runtime/runtime.js';
import { PeriodicProbeManager } from './periodic-probe-manager.js';
import type { ProbeManagerFactory, ProbeResult, ProbeTarget, ProbeType, Prober } from './prober.js';
import { grpcCheck } from './grpc-check.js';
import { execCheck, httpGetCheck, tcpSocketCheck } from './probe-actions.js';
import { DEFAULT_TIMEOUT_SECONDS } from './periodic-probe-manager.js';

export class NodeProber implements Prober {
  constructor(private readonly runtime: Runtime) {}

  async probe(_type: ProbeType, probe: Probe, target: ProbeTarget, signal: AbortSignal): Promise<{ result: ProbeResult; output: string }> {
    let r: { ok: boolean; output: string };
    if (probe.httpGet) r = await httpGetCheck(probe.httpGet, target.container, target.podIP, signal);
    else if (probe.tcpSocket) r = await tcpSocketCheck(probe.tcpSocket, target.container, target.podIP, signal);
    else if (probe.exec) r = await execCheck(probe.exec, this.runtime, target.containerId, signal);
    else if (probe.grpc) r = await grpcCheck(probe.grpc, target.podIP, probe.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, signal);
    else r = { ok: false, output: 'missing probe handler' };
    return { result: r.ok ? 'success' : 'failure', output: r.output.trim() };
  }
}

/** Real probing (PeriodicProbeManager + NodeProber) for the kubelet's `probes` option. */
export function nodeProbeManager(runtime: Runtime): ProbeManagerFactory {
  return (deps) => new PeriodicProbeManager({ ...deps, prober: new NodeProber(runtime) });
}
