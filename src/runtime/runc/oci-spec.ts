// Pure builders of a container's OCI runtime config (config.json for runc) from the pod spec's
// container config, the image config and the sandbox it joins. No I/O: the caller resolves the
// user (see user.ts) and the paths.
import type { ContainerConfig, KeyValue } from '../runtime.js';
import type { RuntimeImageConfig } from './deps.js';

/** Docker's default capability set (what `docker run` grants without --cap-add). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** CFS period used for CPU limits (Kubernetes' default, 100 ms). */
export const CPU_PERIOD_US = 100_000;

/**
 * The process arguments, merged as Kubernetes does: `command` replaces the image ENTRYPOINT (and
 * then only `args` follow, never the image CMD); `args` alone replace CMD; neither: ENTRYPOINT + CMD.
 * Throws when the result is empty.
 */
export function processArgs(c: Pick<ContainerConfig, 'command' | 'args'>, image: RuntimeImageConfig): string[] {
  const command = c.command ?? [];
  const args = c.args ?? [];
  let out: string[];
  if (command.length) out = [...command, ...args];
  else out = [...(image.entrypoint ?? []), ...(args.length ? args : image.cmd ?? [])];
  if (!out.length) throw new Error('no command specified: the container has no command or args and the image no ENTRYPOINT or CMD');
  return out;
}

/** Image env overridden by the container's env, by name (order: image first, new names appended); PATH defaults. */
export function processEnv(containerEnv: readonly KeyValue[] | undefined, image: RuntimeImageConfig, extra: readonly KeyValue[] = []): string[] {
  const vars = new Map<string, string>();
  for (const e of image.env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) vars.set(e.slice(0, i), e.slice(i + 1));
    else if (e) vars.set(e, '');
  }
  if (!vars.has('PATH')) vars.set('PATH', DEFAULT_PATH.slice(5));
  for (const e of extra) vars.set(e.name, e.value);
  for (const e of containerEnv ?? []) vars.set(e.name, e.value);
  return [...vars].map(([k, v]) => `${k}=${v}`);
}

export interface SpecInput {
  readonly config: ContainerConfig;
  readonly image: RuntimeImageConfig;
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly user: { uid: number; gid: number; additionalGids?: number[] };
  /** absolute path of the container's (overlay) root */
  readonly rootfs: string;
  /** e.g. '/skiff/<id>' */
  readonly cgroupsPath: string;
  /** namespace files to join; absent: the host's (network, uts) or a new one (ipc) */
  readonly netnsPath?: string;
  readonly utsnsPath?: string;
  readonly ipcnsPath?: string;
  /**
   * with `utsnsPath`: the pod's hostname, which the OCI runtime sets in that (shared) UTS namespace
   * as each container starts — the sandbox's namespace is made without one (no process of its own)
   */
  readonly hostname?: string;
  /** the sandbox's /etc/hosts, /etc/resolv.conf, /etc/hostname */
  readonly etcFiles: { hosts: string; resolvConf: string; hostname: string };
  readonly cgroupV2: boolean;
}

interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

/** The OCI runtime spec (config.json) runc runs the container from. */
export function ociSpec(s: SpecInput): Record<string, unknown> {
  const c = s.config;
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    { destination: '/etc/hosts', type: 'bind', source: s.etcFiles.hosts, options: ['rbind', 'rprivate'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: s.etcFiles.resolvConf, options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: s.etcFiles.hostname, options: ['rbind', 'rprivate'] },
  ];
  for (const m of c.mounts ?? []) {
    mounts.push({ destination: m.containerPath, type: 'bind', source: m.hostPath, options: ['rbind', 'rprivate', ...(m.readOnly ? ['ro'] : [])] });
  }
  const namespaces: Array<{ type: string; path?: string }> = [{ type: 'pid' }, { type: 'mount' }];
  if (s.netnsPath) namespaces.push({ type: 'network', path: s.netnsPath });
  if (s.utsnsPath) namespaces.push({ type: 'uts', path: s.utsnsPath });
  namespaces.push(s.ipcnsPath ? { type: 'ipc', path: s.ipcnsPath } : { type: 'ipc' });
  const r = c.resources ?? {};
  const resources: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (r.memoryLimitBytes && r.memoryLimitBytes > 0) {
    // swap == limit: no swap on top of the limit, so exceeding it OOM-kills as Kubernetes expects.
    resources.memory = { limit: r.memoryLimitBytes, swap: r.memoryLimitBytes };
  }
  const cpu: Record<string, number> = {};
  if (r.cpuRequestMilli && r.cpuRequestMilli > 0) cpu.shares = Math.max(2, Math.floor((r.cpuRequestMilli * 1024) / 1000));
  if (r.cpuLimitMilli && r.cpuLimitMilli > 0) {
    cpu.quota = Math.max(1000, Math.floor((r.cpuLimitMilli * CPU_PERIOD_US) / 1000));
    cpu.period = CPU_PERIOD_US;
  }
  if (Object.keys(cpu).length) resources.cpu = cpu;
  const caps = [...DEFAULT_CAPABILITIES];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: c.tty === true,
      user: { uid: s.user.uid, gid: s.user.gid, ...(s.user.additionalGids?.length ? { additionalGids: s.user.additionalGids } : {}) },
      args: [...s.args],
      env: [...s.env],
      cwd: c.workingDir || s.image.workingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: false,
      oomScoreAdj: 0,
    },
    ...(s.utsnsPath && s.hostname ? { hostname: s.hostname } : {}),
    root: { path: s.rootfs, readonly: false },
    mounts,
    linux: {
      namespaces,
      cgroupsPath: s.cgroupsPath,
      resources,
      maskedPaths: [
        '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
