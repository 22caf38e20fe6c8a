// The real node runtime: pods as OCI containers run by runc under a per-container monitor, as
// CRI-O does with conmon: skiff's own (native/container-monitor, conmon's command line and files)
// where it was built, else conmon; "conmon" below means either.
//
// A sandbox is a network namespace from the pod network (the node's for hostNetwork) plus UTS and
// IPC namespaces bind-mounted to files in the sandbox dir, and the pod's /etc/hosts,
// /etc/resolv.conf and /etc/hostname. Each container has its own PID and mount namespaces, joins
// the sandbox's by path, and runs on an overlay root (the image rootfs as the read-only lower
// layer, so containers never change the image). conmon runs `runc create`, monitors the
// container (exit file, OOM file, CRI log file, attach socket) and outlives skiff, so containers
// keep running when skiff exits; a new RuncRuntime on the same state dir adopts them.
//
// Layout under `stateDir` (DATA/agent):
//   sandboxes/<id>/   sandbox.json, hosts, resolv.conf, hostname, ns-uts, ns-ipc
//   containers/<id>/  the OCI bundle: config.json, container.json, rootfs/ (overlay), upper/, work/,
//                     conmon's pidfile, conmon.pid, exit, oom, ctl, winsz, attach
//   runtime/exits/<id>   conmon's exit files (watched: exits reach onContainerEvent at once)
//   runtime/s/<id16>     conmon's links to bundles (short attach socket paths)
//   runc/             runc's state root (unless `runcRoot` is given)
//   pods/<uid>/logs/  container logs when the sandbox config names no log directory
// Cgroups: `/<cgroupParent>/<containerId>` (cgroupfs; cgroup v1 or v2).
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type {
  ContainerConfig,
  ContainerEvent,
  ContainerFilter,
  ContainerState,
  ContainerStatus,
  ExecOptions,
  ImageInfo,
  LogOptions,
  PodSandboxConfig,
  PodSandboxFilter,
  PodSandboxStatus,
  PullImageOptions,
  Runtime,
  RuntimeClock,
  RuntimeStatus,
  RuntimeVersion,
} from '../runtime.js';
import { wallClock } from '../../api/wall-clock.js';
import { randomId } from '../random-id.js';
import { NotFoundRuntimeError, RuntimeError } from '../runtime.js';
import { attachConmon } from './attach.js';
import { isCgroupV2, MOVED_CONTROLLERS_DIR, moveHybridControllersToV1, recordMovedControllers, removeCgroup } from './cgroups.js';
import { attachId, isLiveConmon, EXIT_FILE, nativeMonitorPath, OOM_FILE, resizeMessage, startConmon } from './conmon.js';
import { streamLogs } from './cri-log.js';
import type { HostPortProvider, ImageProvider, PodNetworkProvider, PublishedPort, PublishedPortEntry } from './deps.js';
import { CommandError, type Run } from './exec-file.js';
import { runcExec } from './exec.js';
import { mountPointsSync, unmount, unmountAll } from './mounts.js';
import { ociSpec, processArgs, processEnv } from './oci-spec.js';
import { forwardPort } from './port-forward.js';
import { ociRuntimePath, type OciRuntimeName } from './oci-runtimes.js';
import { ProcessHelper } from './process-helper.js';
import { nativeMonitorStarter, type MonitorOutcome, type MonitorRequest } from './process-start.js';
import { markTopDirs } from './top-dirs.js';
import { readJson, writeJsonAtomic, writeJsonNew, type ContainerRecord, type SandboxRecord } from './records.js';
import { createHostNetworkSandboxNamespaces, sandboxNamespaceFiles, sandboxPaths, writeSandboxFiles } from './sandbox-files.js';
import { nativeWrapperCommand, nativeWrapperPath, OVERLAY_LOWER_FILE, WRAPPER_FILES, wrapperScript, type WrapperCommand } from './runtime-wrapper.js';
import { resolveUser } from './user.js';

export const RUNC_RUNTIME_NAME = 'runc';
export const DEFAULT_CGROUP_PARENT = 'skiff';
/** How long a conmon seen alive is taken to be alive without looking again (refresh). */
const CONMON_CHECK_MS = 1000;
/** Exit code recorded for a container whose monitor vanished without an exit file (e.g. after a reboot). */
export const EXIT_CODE_UNKNOWN = 255;

export interface RuncRuntimeOptions {
  /** DATA/agent */
  readonly stateDir: string;
  readonly images: ImageProvider;
  readonly network: PodNetworkProvider;
  /** runc's --root (default `<stateDir>/runc`) */
  readonly runcRoot?: string;
  /** cgroup parent of every container (default `skiff`) */
  readonly cgroupParent?: string;
  readonly clock?: RuntimeClock;
  /** one structured line per event */
  readonly log?: (line: string) => void;
  /** which OCI runtime runs the containers (default runc); its containerIDs are `<name>://<id>` */
  readonly ociRuntime?: OciRuntimeName;
  /** the OCI runtime's binary (default: where `ociRuntime` is installed) */
  readonly runcPath?: string;
  /** conmon's binary, when conmon is the monitor (default: where Debian installs it) */
  readonly conmonPath?: string;
  /**
   * the per-container monitor (conmon.ts): `native`, skiff's static C monitor
   * (native/container-monitor, conmon's command line and files, without its ~5 ms of start-up CPU),
   * or `conmon`. Default: native where it was built, else conmon.
   */
  readonly monitor?: 'native' | 'conmon';
  /**
   * how the monitor is started: `thread`, from this process on a thread of the process-spawn
   * addon (process-start.ts `nativeMonitorStarter`), or `helper`, by the process helper. Default:
   * thread where the addon was built.
   */
  readonly monitorStart?: 'thread' | 'helper';
  /** the node's pod CIDR when already known (else through updateRuntimeConfig) */
  readonly podCIDR?: string;
  /** the node's /etc (hosts and resolv.conf copied from it); default /etc */
  readonly nodeEtc?: string;
  /**
   * the program conmon runs in front of the OCI runtime (runtime-wrapper.ts): `native`, skiff's C
   * wrapper (native/oci-wrapper), or `sh`, the script. Default: none with skiff's monitor (it
   * mounts the root and runs the runtime itself), else native where it was built, else sh.
   */
  readonly wrapper?: 'native' | 'sh';
  /**
   * starts the runtime's programs (process-helper.ts); pass one to share it with the pod network.
   * Default: a helper of the runtime's own, stopped by `close()`.
   */
  readonly processes?: ProcessHelper;
  /**
   * publishes sandboxes' hostPorts on the node (network/host-ports.ts); rebuilt from the
   * sandboxes that still run when the runtime starts. Without it hostPorts are not published.
   */
  readonly hostPorts?: HostPortProvider;
}

/** Date.now, and timers that never fire before their time by it (api/wall-clock.ts). */
const realClock: RuntimeClock = wallClock;

export class RuncRuntime implements Runtime {
  private readonly clock: RuntimeClock;
  private readonly ociRuntime: OciRuntimeName;
  private readonly runcPath: string;
  /** the monitor's binary: skiff-monitor or conmon */
  private readonly conmonPath: string;
  /** whether the monitor is skiff-monitor (which mounts the root and runs the runtime itself) */
  private readonly nativeMonitor: boolean;
  private readonly runcRoot: string;
  private readonly cgroupParent: string;
  private readonly dirs: { sandboxes: string; containers: string; exits: string; sockets: string; pods: string };
  private readonly sandboxes = new Map<string, SandboxRecord>();
  private readonly containers = new Map<string, ContainerRecord>();
  private readonly listeners = new Set<(e: ContainerEvent) => void>();
  private readonly starting = new Set<string>();
  /** when each container's conmon was last seen alive (refresh) */
  private readonly conmonSeenAt = new Map<string, number>();
  private readonly cgroupV2 = isCgroupV2();
  private podCIDR: string | undefined;
  private watcher: FSWatcher | undefined;
  private versionText: string | undefined;
  private readonly wrappers = new Map<boolean, WrapperCommand>();
  /** crun on a hybrid cgroup node: the unified hierarchy's controllers moved to v1 (once) */
  private cgroupsReady: Promise<void> | undefined;
  private dirsReady: Promise<void> | undefined;
  private readonly processes: ProcessHelper;
  private readonly ownProcesses: boolean;
  private readonly runProgram: Run;
  /** starts a container's monitor: on a thread of the process-spawn addon where built, else through the process helper */
  private readonly startMonitor: (req: MonitorRequest) => Promise<MonitorOutcome>;
  /** the adopted sandboxes' hostPorts put back (started by the constructor; awaited before any hostPort change) */
  private readonly hostPortsRestored: Promise<void>;

  constructor(private readonly opts: RuncRuntimeOptions) {
    this.clock = opts.clock ?? realClock;
    this.ociRuntime = opts.ociRuntime ?? RUNC_RUNTIME_NAME;
    this.runcPath = opts.runcPath ?? ociRuntimePath(this.ociRuntime);
    const nativeMonitor = opts.monitor === 'conmon' ? undefined : nativeMonitorPath();
    if (opts.monitor === 'native' && !nativeMonitor) throw new Error('the container monitor (native/container-monitor) is not built');
    this.nativeMonitor = nativeMonitor !== undefined;
    this.conmonPath = nativeMonitor ?? opts.conmonPath ?? findBinary('conmon', ['/usr/bin/conmon', '/usr/libexec/podman/conmon', '/usr/local/bin/conmon']);
    this.runcRoot = opts.runcRoot ?? join(opts.stateDir, 'runc');
    this.cgroupParent = opts.cgroupParent ?? DEFAULT_CGROUP_PARENT;
    this.dirs = {
      sandboxes: join(opts.stateDir, 'sandboxes'),
      containers: join(opts.stateDir, 'containers'),
      exits: join(opts.stateDir, 'runtime', 'exits'),
      sockets: join(opts.stateDir, 'runtime', 's'),
      pods: join(opts.stateDir, 'pods'),
    };
    for (const d of [this.dirs.sandboxes, this.dirs.containers, this.dirs.exits, this.dirs.sockets, this.dirs.pods, this.runcRoot]) mkdirSync(d, { recursive: true });
    this.ownProcesses = !opts.processes;
    this.processes = opts.processes ?? new ProcessHelper();
    this.runProgram = this.processes.run;
    this.startMonitor = (opts.monitorStart === 'helper' ? undefined : nativeMonitorStarter()) ?? ((req) => this.processes.startMonitor(req));
    this.podCIDR = opts.podCIDR;
    if (opts.podCIDR) opts.network.setPodCIDR(opts.podCIDR);
    this.load();
    this.hostPortsRestored = this.restoreHostPorts();
    try {
      this.watcher = watch(this.dirs.exits, (_event, name) => {
        const c = name ? this.containers.get(String(name)) : undefined;
        if (c) this.refresh(c);
      });
      this.watcher.unref();
    } catch {
      this.watcher = undefined; // listContainers still notices exits
    }
  }

  async version(): Promise<RuntimeVersion> {
    if (!this.versionText) {
      const out = await this.runProgram(this.runcPath, ['--version']).catch(() => ({ stdout: '' }));
      this.versionText = /^\S+ version (\S+)/m.exec(out.stdout)?.[1] ?? 'unknown';
    }
    return { runtimeName: this.ociRuntime, runtimeVersion: this.versionText };
  }

  async status(): Promise<RuntimeStatus> {
    const missing = [this.runcPath, this.conmonPath].filter((p) => !existsSync(p));
    return {
      conditions: [
        missing.length
          ? { type: 'RuntimeReady', status: false, reason: 'RuntimeNotReady', message: `missing ${missing.join(', ')}` }
          : { type: 'RuntimeReady', status: true },
        this.podCIDR
          ? { type: 'NetworkReady', status: true }
          : { type: 'NetworkReady', status: false, reason: 'NetworkPluginNotReady', message: 'no pod CIDR assigned to the node yet' },
      ],
    };
  }

  async updateRuntimeConfig(config: { readonly podCIDR?: string }): Promise<void> {
    if (!config.podCIDR || config.podCIDR === this.podCIDR) return;
    this.opts.network.setPodCIDR(config.podCIDR);
    this.podCIDR = config.podCIDR;
  }

  // ---- sandboxes ----

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const hostNetwork = config.hostNetwork === true;
    if (!hostNetwork && !this.podCIDR) throw new RuntimeError('NetworkNotReady', 'network is not ready: no pod CIDR assigned to the node yet');
    const id = randomId();
    const p = sandboxPaths(join(this.dirs.sandboxes, id));
    const m = config.metadata;
    let netnsPath: string | undefined;
    let ip: string | undefined;
    const t = stopwatch();
    try {
      await this.prepareDirs();
      mkdirSync(p.dir, { recursive: true });
      // hostNetwork: only an IPC namespace (unshare); else the network makes the UTS and IPC namespaces in the
      // process that makes the network namespace, and the OCI runtime sets the hostname as containers start
      const net = hostNetwork
        ? await createHostNetworkSandboxNamespaces(p, this.runProgram)
        : await this.opts.network.setUp(id, { namespace: m.namespace, name: m.name, uid: m.uid }, { namespaces: sandboxNamespaceFiles(p) });
      netnsPath = net?.netnsPath;
      ip = net?.ip;
      t.lap('network+namespaces');
      const published = publishedPorts(config);
      if (published.length && ip && this.opts.hostPorts) {
        await this.hostPortsRestored;
        await this.opts.hostPorts.add(id, podKey(config), ip, published);
        t.lap('hostPorts');
      }
      await writeSandboxFiles(p, { hostname: config.hostname, ...(ip ? { ip } : {}), hostNetwork, ...(config.dnsConfig ? { dnsConfig: config.dnsConfig } : {}), ...(this.opts.nodeEtc ? { nodeEtc: this.opts.nodeEtc } : {}) });
    } catch (e) {
      await this.destroySandboxFiles(id, hostNetwork).catch(() => undefined);
      throw new RuntimeError('FailedCreatePodSandBox', `failed to create pod sandbox: ${errorText(e)}`, { cause: e });
    }
    const rec: SandboxRecord = {
      id,
      config: structuredClone(config),
      createdAt: this.clock.now(),
      state: 'ready',
      ...(ip ? { ip } : {}),
      ...(netnsPath ? { netnsPath } : {}),
      logDirectory: config.logDirectory ?? join(this.dirs.pods, m.uid, 'logs'),
    };
    writeJsonNew(join(p.dir, 'sandbox.json'), rec);
    this.sandboxes.set(id, rec);
    t.lap('files');
    this.log(`runc: sandbox ready id=${id} pod=${m.namespace}/${m.name} ip=${ip ?? 'host'} ${t.text()}`);
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await Promise.all(this.containersOf(id).map((c) => this.stopContainer(c.id, 0)));
    await this.withdrawHostPorts(id);
    if (!s.config.hostNetwork) await this.opts.network.tearDown(id);
    if (s.state !== 'notready' || s.ip) {
      s.state = 'notready';
      delete s.ip;
      this.saveSandbox(s);
    }
  }

  async removePodSandbox(id: string): Promise<void> {
    const s = this.sandboxes.get(id);
    if (!s) return;
    await this.stopPodSandbox(id);
    for (const c of this.containersOf(id)) await this.removeContainer(c.id);
    await this.destroySandboxFiles(id, s.config.hostNetwork === true);
    this.sandboxes.delete(id);
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandboxes.get(id);
    if (!s) throw new NotFoundRuntimeError('sandbox', id);
    return sandboxStatus(s);
  }

  async listPodSandboxes(filter: PodSandboxFilter = {}): Promise<PodSandboxStatus[]> {
    const out: PodSandboxStatus[] = [];
    for (const s of this.sandboxes.values()) {
      if (filter.id !== undefined && s.id !== filter.id) continue;
      if (filter.podUid !== undefined && s.config.metadata.uid !== filter.podUid) continue;
      if (filter.state !== undefined && s.state !== filter.state) continue;
      out.push(sandboxStatus(s));
    }
    return out;
  }

  // ---- containers ----

  async createContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    return this.create(sandboxId, config, false);
  }

  /**
   * createContainer + startContainer in one step: conmon's runtime is a small script that turns
   * its `runc create` into `runc run --detach` (RUN_SCRIPT), so one runc process creates and starts
   * the container, without a separate `runc start` from skiff. Resolves once it
   * has started (it may have exited already); a failed start removes the container.
   */
  async createAndStartContainer(sandboxId: string, config: ContainerConfig): Promise<string> {
    return this.create(sandboxId, config, true);
  }

  private async create(sandboxId: string, config: ContainerConfig, start: boolean): Promise<string> {
    const s = this.sandboxes.get(sandboxId);
    if (!s) throw new NotFoundRuntimeError('sandbox', sandboxId);
    if (s.state !== 'ready') throw new RuntimeError('CreateContainerError', `sandbox ${sandboxId} is not ready`);
    const image = this.opts.images.resolve(config.image);
    if (!image) throw new RuntimeError('CreateContainerError', `image "${config.image}" is not present on the node`);
    const id = randomId();
    const bundle = join(this.dirs.containers, id);
    const rootfs = join(bundle, 'rootfs');
    const logPath = join(s.logDirectory, config.logPath ?? join(config.metadata.name, `${config.metadata.attempt}.log`));
    const sp = sandboxPaths(join(this.dirs.sandboxes, sandboxId));
    let mounted = false;
    const t = stopwatch();
    try {
      const lower = this.opts.images.rootfsPath(image.id);
      const args = processArgs(config, image.config);
      const [user] = await Promise.all([resolveUser(lower, image.config.user), this.prepareDirs()]);
      // skiff-monitor makes the root's directories and the log's itself, in its own process: on this
      // thread each mkdir of a fresh directory costs ~0.6 ms (ext4 reading a block group's inode
      // table); what is left is synchronous: a few small files, in directories of their own
      // (top-dirs.ts); on the thread pool each cost more CPU in promises and callbacks than the call
      const selfMounting = this.nativeMonitor && this.opts.wrapper === undefined;
      mkdirSync(bundle, { recursive: true });
      if (!selfMounting) {
        for (const d of [rootfs, join(bundle, 'upper'), join(bundle, 'work')]) mkdirSync(d);
        mkdirSync(dirname(logPath), { recursive: true });
      }
      t.lap('prepare');
      const hostNetwork = s.config.hostNetwork === true;
      const spec = ociSpec({
        config,
        image: image.config,
        args,
        env: processEnv(config.env, image.config, [{ name: 'HOSTNAME', value: s.config.hostname }]),
        user,
        rootfs,
        cgroupsPath: `/${this.cgroupParent}/${id}`,
        ...(s.netnsPath && !hostNetwork ? { netnsPath: s.netnsPath } : {}),
        ...(!hostNetwork ? { utsnsPath: sp.utsNs, hostname: s.config.hostname } : {}),
        ipcnsPath: sp.ipcNs,
        etcFiles: { hosts: sp.hosts, resolvConf: sp.resolvConf, hostname: sp.hostname },
        cgroupV2: this.cgroupV2,
      });
      writeJsonNew(join(bundle, 'config.json'), spec);
      if (!selfMounting) writeFileSync(join(bundle, OVERLAY_LOWER_FILE), `${lower}\n`);
      await this.prepareCgroups();
      t.lap('spec');
      // the overlay root is mounted by skiff's monitor itself, or by conmon's runtime, a wrapper in
      // front of runc (no process of its own); either creates and starts in one runtime process
      mounted = true;
      const wrapper = selfMounting ? { path: this.runcPath, args: [] } : this.wrapper(start);
      const started = await startConmon({
        conmonPath: this.conmonPath,
        runcPath: wrapper.path,
        runtimeArgs: wrapper.args,
        // --sync: skiff-monitor does not fork itself away (its starter reaps it): one fork and exit less
        ...(this.nativeMonitor ? { monitorArgs: ['--sync', ...(selfMounting ? ['--mount-overlay', lower, ...(start ? ['--run-detached'] : [])] : [])] } : {}),
        runcRoot: this.runcRoot,
        id,
        name: config.metadata.name,
        bundle,
        exitDir: this.dirs.exits,
        socketDir: this.dirs.sockets,
        logPath,
        terminal: config.tty === true,
        stdin: config.stdin === true,
        start: this.startMonitor,
      });
      const rec: ContainerRecord = {
        id,
        sandboxId,
        podUid: s.config.metadata.uid,
        config: structuredClone(config),
        imageId: image.id,
        createdAt: this.clock.now(),
        logPath,
        conmonPid: started.conmonPid,
        ...(start ? { startedAt: this.clock.now() } : {}),
      };
      t.lap(start ? 'mount+conmon+create+start' : 'mount+conmon+create');
      writeJsonNew(join(bundle, 'container.json'), rec);
      this.containers.set(id, rec);
      this.log(`runc: container ${start ? 'created and started' : 'created'} id=${id} name=${config.metadata.name} ${t.text()}`);
      this.emit('created', rec);
      if (start) {
        this.emit('started', rec);
        this.refresh(rec);
      }
      return id;
    } catch (e) {
      await this.runProgram(this.runcPath, ['--root', this.runcRoot, 'delete', '--force', id]).catch(() => undefined);
      if (mounted) await unmount(rootfs, this.runProgram).catch(() => undefined);
      await rm(bundle, { recursive: true, force: true }).catch(() => undefined);
      await rm(join(this.dirs.exits, id), { force: true });
      if (e instanceof RuntimeError) throw e;
      throw new RuntimeError('CreateContainerError', errorText(e), { cause: e });
    }
  }

  async startContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundRuntimeError('container', id);
    const state = this.stateOf(c);
    if (state !== 'created') throw new RuntimeError('RunContainerError', `container ${id} is ${state}, not created`);
    // a fast container may exit before `runc start` returns: its exit is recorded after `started`
    this.starting.add(id);
    const at = this.clock.now();
    const t = stopwatch();
    try {
      await this.runProgram(this.runcPath, ['--root', this.runcRoot, 'start', id]);
      t.lap('runc-start');
      c.startedAt = at;
      this.save(c);
      this.log(`runc: container started id=${id} ${t.text()}`);
      this.emit('started', c);
    } catch (e) {
      throw new RuntimeError('RunContainerError', `failed to start container ${id}: ${errorText(e)}`, { cause: e });
    } finally {
      this.starting.delete(id);
    }
    this.refresh(c);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c || this.stateOf(c) === 'exited') return;
    if (timeoutSeconds > 0 && c.startedAt !== undefined) {
      await this.kill(id, 'TERM');
      if (await this.waitExit(c, timeoutSeconds * 1000)) return;
    }
    await this.kill(id, 'KILL');
    if (!(await this.waitExit(c, 30_000))) throw new RuntimeError('StopContainerError', `container ${id} did not exit after SIGKILL`);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    await this.stopContainer(id, 0).catch(() => undefined);
    await this.runProgram(this.runcPath, ['--root', this.runcRoot, 'delete', '--force', id]).catch(() => undefined);
    const bundle = join(this.dirs.containers, id);
    await unmount(join(bundle, 'rootfs'), this.runProgram);
    await removeCgroup(`/${this.cgroupParent}/${id}`);
    await rm(bundle, { recursive: true, force: true });
    await rm(join(this.dirs.exits, id), { force: true });
    await rm(join(this.dirs.sockets, attachId(id)), { force: true });
    this.containers.delete(id);
    this.conmonSeenAt.delete(id);
    this.emit('removed', c);
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundRuntimeError('container', id);
    return this.statusOf(c);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerStatus[]> {
    const out: ContainerStatus[] = [];
    const pick = filter.id !== undefined ? [this.containers.get(filter.id)] : this.containers.values();
    for (const c of pick) {
      if (!c) continue;
      if (filter.sandboxId !== undefined && c.sandboxId !== filter.sandboxId) continue;
      if (filter.podUid !== undefined && c.podUid !== filter.podUid) continue;
      const st = this.statusOf(c);
      if (filter.state !== undefined && st.state !== filter.state) continue;
      out.push(st);
    }
    return out;
  }

  // ---- images ----

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    const i = this.opts.images.resolve(image);
    return i ? { id: i.id, repoTags: [...i.repoTags], repoDigests: [...i.repoDigests], size: i.size } : undefined;
  }

  async pullImage(image: string, opts: PullImageOptions = {}): Promise<string> {
    try {
      const i = await this.opts.images.pull(image, { ...(opts.auth ? { auth: { ...opts.auth } } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      return i.id;
    } catch (e) {
      const reason = typeof (e as { reason?: unknown }).reason === 'string' ? (e as { reason: string }).reason : 'ErrImagePull';
      throw new RuntimeError(reason, errorText(e), { cause: e });
    }
  }

  // ---- events and streaming ----

  onContainerEvent(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async exec(id: string, command: readonly string[], opts: ExecOptions = {}): Promise<number> {
    const c = this.running(id);
    const spec = readJson<{ process: Record<string, unknown> }>(join(this.dirs.containers, id, 'config.json'));
    if (!spec) throw new NotFoundRuntimeError('container', id);
    if (!command.length) throw new RuntimeError('ExecError', 'no command given');
    return runcExec({
      ...opts,
      runcPath: this.runcPath,
      runcRoot: this.runcRoot,
      id: c.id,
      process: { ...spec.process, args: [...command] },
      scratch: join(this.dirs.containers, id, `exec-${randomBytes(6).toString('hex')}`),
    });
  }

  async logs(id: string, out: NodeJS.WritableStream, opts: LogOptions = {}): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundRuntimeError('container', id);
    await streamLogs(c.logPath, out, { ...opts, exited: () => !this.containers.has(id) || this.stateOf(c) === 'exited' });
  }

  async attach(id: string, opts: ExecOptions): Promise<void> {
    const c = this.running(id);
    const bundle = join(this.dirs.containers, c.id);
    const ctl = join(bundle, 'ctl');
    // the FIFO opened without blocking: with its monitor gone (no reader) the open fails at once
    // instead of holding a thread of the pool forever
    const resize = (size: { width: number; height: number }) => void writeFile(ctl, resizeMessage(size), { flag: fsConstants.O_WRONLY | fsConstants.O_NONBLOCK }).catch(() => undefined);
    await attachConmon(join(this.dirs.sockets, attachId(id), 'attach'), { ...opts, resize });
  }

  async portForward(sandboxId: string, port: number, stream: NodeJS.ReadWriteStream): Promise<void> {
    const s = this.sandboxes.get(sandboxId);
    if (!s) throw new NotFoundRuntimeError('sandbox', sandboxId);
    if (s.state !== 'ready') throw new RuntimeError('PortForwardError', `sandbox ${sandboxId} is not ready`);
    await forwardPort(stream, { port, ...(s.config.hostNetwork || !s.netnsPath ? {} : { netnsPath: s.netnsPath }) });
  }

  async close(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    this.listeners.clear();
    if (this.ownProcesses) await this.processes.close();
  }

  // ---- internals ----

  /** crun needs a hybrid node's unified cgroup hierarchy without controllers (cgroups.ts); done before its first container. */
  private prepareCgroups(): Promise<void> {
    if (this.ociRuntime !== 'crun') return Promise.resolve();
    this.cgroupsReady ??= moveHybridControllersToV1(this.runProgram).then(
      async (moved) => {
        await recordMovedControllers(MOVED_CONTROLLERS_DIR, moved);
        if (moved.length) this.log(`runc: moved cgroup controller(s) ${moved.join(', ')} from the unified hierarchy to v1 hierarchies (crun does not support controllers there on a hybrid node)`);
      },
      (e: unknown) => {
        this.cgroupsReady = undefined;
        throw new RuntimeError('CreateContainerError', `crun needs the unified cgroup hierarchy of this hybrid node without controllers: ${errorText(e)}`, { cause: e });
      },
    );
    return this.cgroupsReady;
  }

  /** The parents of the per-sandbox and per-container directories spread their subdirectories (top-dirs.ts); once, before the first of them. */
  private prepareDirs(): Promise<void> {
    this.dirsReady ??= markTopDirs([this.dirs.sandboxes, this.dirs.containers, this.dirs.pods, this.runcRoot], this.runProgram).then((failed) => {
      if (failed) this.log(`runc: per-pod directories are not spread over the filesystem (chattr +T): ${failed}`);
    });
    return this.dirsReady;
  }

  /** What conmon runs as its runtime (runtime-wrapper.ts): the C wrapper, or a script written once per runtime instance. */
  private wrapper(start: boolean): WrapperCommand {
    let w = this.wrappers.get(start);
    if (w) return w;
    const native = this.opts.wrapper === 'sh' ? undefined : nativeWrapperPath();
    if (this.opts.wrapper === 'native' && !native) throw new RuntimeError('CreateContainerError', 'the C runtime wrapper (native/oci-wrapper) is not built');
    if (native) w = nativeWrapperCommand(native, this.runcPath, { start });
    else {
      const path = join(this.opts.stateDir, 'runtime', start ? WRAPPER_FILES.createAndStart : WRAPPER_FILES.create);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, wrapperScript(this.runcPath, { start }), { mode: 0o755 });
      renameSync(tmp, path);
      w = { path, args: [] };
    }
    this.wrappers.set(start, w);
    return w;
  }

  /** Reads every sandbox and container record (adoption after a restart). */
  private load(): void {
    let mounted: Set<string> | undefined;
    for (const id of safeReaddir(this.dirs.sandboxes)) {
      const s = readJson<SandboxRecord>(join(this.dirs.sandboxes, id, 'sandbox.json'));
      if (!s) continue;
      this.sandboxes.set(s.id, s);
      // after a reboot (or killall) the namespaces are gone: the sandbox cannot hold containers any more
      mounted ??= new Set(mountPointsSync());
      if (s.state === 'ready' && !mounted.has(sandboxPaths(join(this.dirs.sandboxes, id)).ipcNs)) {
        s.state = 'notready';
        delete s.ip;
        this.saveSandbox(s);
      }
    }
    for (const id of safeReaddir(this.dirs.containers)) {
      const c = readJson<ContainerRecord>(join(this.dirs.containers, id, 'container.json'));
      if (c) this.containers.set(c.id, c);
    }
  }

  /** Publishes the hostPorts of the sandboxes load() found ready, and withdraws any left from sandboxes that are gone. */
  private async restoreHostPorts(): Promise<void> {
    const hostPorts = this.opts.hostPorts;
    if (!hostPorts) return;
    const entries: PublishedPortEntry[] = [];
    for (const s of this.sandboxes.values()) {
      if (s.state !== 'ready' || !s.ip) continue;
      for (const p of publishedPorts(s.config)) entries.push({ ...p, sandboxId: s.id, pod: podKey(s.config), podIP: s.ip });
    }
    try {
      for (const d of await hostPorts.restore(entries)) this.log(`runc: hostPort ${d.entry.hostPort}/${d.entry.protocol} of pod ${d.entry.pod} not published again: ${d.reason}`);
    } catch (e) {
      this.log(`runc: hostPort rules not restored: ${errorText(e)}`);
    }
  }

  private async withdrawHostPorts(sandboxId: string): Promise<void> {
    if (!this.opts.hostPorts) return;
    await this.hostPortsRestored;
    await this.opts.hostPorts.remove(sandboxId);
  }

  private containersOf(sandboxId: string): ContainerRecord[] {
    return [...this.containers.values()].filter((c) => c.sandboxId === sandboxId);
  }

  private running(id: string): ContainerRecord {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundRuntimeError('container', id);
    if (this.stateOf(c) !== 'running') throw new RuntimeError('ContainerNotRunning', `container ${id} is not running`);
    return c;
  }

  /**
   * The container's state from what is on disk, without running runc: an exit file means exited
   * (recorded once, with the OOM marker and the file's time); otherwise a live conmon means
   * created or running; a vanished conmon without an exit file means it died with it.
   */
  private stateOf(c: ContainerRecord): ContainerState {
    if (c.exitCode !== undefined) return 'exited';
    this.refresh(c);
    if (c.exitCode !== undefined) return 'exited';
    return c.startedAt !== undefined ? 'running' : 'created';
  }

  /** Records the exit once it happened; emits `exited`. */
  private refresh(c: ContainerRecord): void {
    if (c.exitCode !== undefined || !this.containers.has(c.id) || this.starting.has(c.id)) return;
    const bundle = join(this.dirs.containers, c.id);
    let code: number | undefined;
    let at: number | undefined;
    for (const f of [join(this.dirs.exits, c.id), join(bundle, EXIT_FILE)]) {
      // existsSync first: while the container runs the files are missing, and a read that throws
      // ENOENT costs an Error with a stack trace, once per status query
      if (!existsSync(f)) continue;
      try {
        const text = readFileSync(f, 'utf8').trim();
        if (!text) continue;
        code = Number(text);
        at = statSync(f).mtimeMs;
        break;
      } catch {
        /* not yet */
      }
    }
    if (code === undefined) {
      // conmon writes the exit file before it goes (and the exit dir is watched), so a conmon that
      // vanished without one (killed, reboot) is looked for at most once a second per container
      const now = Date.now();
      if (now - (this.conmonSeenAt.get(c.id) ?? -Infinity) < CONMON_CHECK_MS) return;
      if (isLiveConmon(c.conmonPid)) {
        this.conmonSeenAt.set(c.id, now);
        return;
      }
      // conmon may have written the file just before exiting
      if (existsSync(join(this.dirs.exits, c.id)) || existsSync(join(bundle, EXIT_FILE))) return this.refresh(c);
      code = EXIT_CODE_UNKNOWN;
      at = this.clock.now();
      c.message = 'the container monitor (conmon) is gone and left no exit status';
    }
    const oom = existsSync(join(bundle, OOM_FILE));
    c.exitCode = Number.isFinite(code) ? code : EXIT_CODE_UNKNOWN;
    c.finishedAt = Math.max(Math.round(at ?? this.clock.now()), c.startedAt ?? 0);
    if (c.startedAt === undefined && c.exitCode !== EXIT_CODE_UNKNOWN) c.startedAt = c.finishedAt;
    c.reason = oom ? 'OOMKilled' : c.exitCode === 0 ? 'Completed' : 'Error';
    this.save(c);
    this.emit('exited', c);
  }

  private async waitExit(c: ContainerRecord, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.stateOf(c) === 'exited') return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async kill(id: string, signal: 'TERM' | 'KILL'): Promise<void> {
    try {
      await this.runProgram(this.runcPath, ['--root', this.runcRoot, 'kill', id, signal]);
    } catch (e) {
      // "container not running" / "does not exist": it is already gone
      if (!(e instanceof CommandError)) throw e;
    }
  }

  /** Persists the sandbox record unless its dir is gone (removed by another runtime on the same state dir). */
  private saveSandbox(s: SandboxRecord): void {
    const dir = join(this.dirs.sandboxes, s.id);
    if (existsSync(dir)) writeJsonAtomic(join(dir, 'sandbox.json'), s);
  }

  private save(c: ContainerRecord): void {
    const dir = join(this.dirs.containers, c.id);
    if (existsSync(dir)) writeJsonAtomic(join(dir, 'container.json'), c);
  }

  private async destroySandboxFiles(id: string, hostNetwork: boolean): Promise<void> {
    const p = sandboxPaths(join(this.dirs.sandboxes, id));
    await this.withdrawHostPorts(id).catch(() => undefined);
    if (!hostNetwork) await this.opts.network.tearDown(id).catch(() => undefined);
    await unmountAll([p.utsNs, p.ipcNs], this.runProgram); // one umount for both namespace files
    await rm(p.dir, { recursive: true, force: true });
  }

  private statusOf(c: ContainerRecord): ContainerStatus {
    const state = this.stateOf(c);
    return {
      id: c.id,
      sandboxId: c.sandboxId,
      podUid: c.podUid,
      metadata: { ...c.config.metadata },
      state,
      createdAt: c.createdAt,
      ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
      ...(c.exitCode !== undefined ? { finishedAt: c.finishedAt!, exitCode: c.exitCode, reason: c.reason! } : {}),
      ...(c.message ? { message: c.message } : {}),
      image: c.config.image,
      imageRef: c.imageId,
      labels: { ...c.config.labels },
      annotations: { ...c.config.annotations },
    };
  }

  private emit(type: ContainerEvent['type'], c: ContainerRecord): void {
    const e: ContainerEvent = { type, containerId: c.id, sandboxId: c.sandboxId, podUid: c.podUid, at: this.clock.now() };
    for (const l of this.listeners) l(e);
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }
}

function sandboxStatus(s: SandboxRecord): PodSandboxStatus {
  return {
    id: s.id,
    metadata: { ...s.config.metadata },
    state: s.state,
    createdAt: s.createdAt,
    ...(s.ip && s.state === 'ready' ? { ip: s.ip, ips: [s.ip] } : {}),
    hostNetwork: s.config.hostNetwork === true,
    labels: { ...s.config.labels },
    annotations: { ...s.config.annotations },
  };
}

/** Durations of the steps of one operation, for the log line (`network=12ms files=3ms total=15ms`). */
function stopwatch(): { lap(step: string): void; text(): string } {
  const t0 = performance.now();
  let last = t0;
  const laps: string[] = [];
  return {
    lap(step) {
      const now = performance.now();
      laps.push(`${step}=${Math.round(now - last)}ms`);
      last = now;
    },
    text: () => `${laps.join(' ')} total=${Math.round(last - t0)}ms`,
  };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function findBinary(name: string, candidates: readonly string[]): string {
  return candidates.find((p) => existsSync(p)) ?? name;
}

/** A sandbox's port mappings that publish a hostPort. */
function publishedPorts(config: PodSandboxConfig): PublishedPort[] {
  return (config.portMappings ?? []).flatMap((pm) =>
    pm.hostPort ? [{ protocol: pm.protocol, hostPort: pm.hostPort, containerPort: pm.containerPort, ...(pm.hostIP ? { hostIP: pm.hostIP } : {}) }] : [],
  );
}

/** `namespace/name` of a sandbox's pod. */
function podKey(config: PodSandboxConfig): string {
  return `${config.metadata.namespace}/${config.metadata.name}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
