// The program conmon runs as its OCI runtime, in front of runc (or crun): skiff's small C program
// (native/oci-wrapper, package skiff-oci-wrapper) where it was built, else a small sh script that
// first mounts the container's overlay root, so no process has to be started for the mount (it
// used to be `sh -c 'mount … && exec conmon …'`), and for a container created and started in one
// step turns conmon's `create` into `run --detach` (one runtime process instead of `create` +
// `start`, as the floor `runc run -d` does).
//
// conmon calls `<wrapper> [--root=R] create --bundle B --pid-file P [--console-socket S] ID`; the
// overlay is lowerdir = the path in `B/lower`, upperdir `B/upper`, workdir `B/work`, mounted on
// `B/rootfs`. When the mount fails the wrapper exits 125 with mount's message on stderr, which
// conmon reports as the creation's error; the runtime is not run then. The C program does the same
// without the script's two extra execs (sh, then `mount`: ~5 ms of CPU per container on the 2-core
// VM, most of it in the dynamic loader); it learns the runtime and the mode from its first
// arguments, which conmon passes before its own (`--runtime-arg`).
import { loadNativePackage } from '../../api/native-package.js';

/** File in the bundle holding the overlay's lower layer (the image's rootfs path). */
export const OVERLAY_LOWER_FILE = 'lower';
/** Exit status of the wrapper when the bundle names no lower layer or the mount failed. */
export const MOUNT_FAILED = 125;

/** File names of the wrappers under `<stateDir>/runtime/`. */
export const WRAPPER_FILES = { create: 'oci-create', createAndStart: 'oci-create-start' } as const;

/** How conmon runs the wrapper: `-r path`, then `--runtime-arg` for each of `args` (before the runtime's own). */
export interface WrapperCommand {
  readonly path: string;
  readonly args: readonly string[];
}

export const OCI_WRAPPER_PACKAGE = 'skiff-oci-wrapper';
/** The C wrapper's marker argument: `create` becomes `run --detach`. */
export const RUN_DETACHED_FLAG = '--skiff-run-detached';

/** The built C wrapper's path, or undefined when it was not built (never throws; looked up once per process). */
export function nativeWrapperPath(): string | undefined {
  return loadNativePackage<{ path?: string }>(OCI_WRAPPER_PACKAGE).exports?.path;
}

/** The C wrapper in front of `runtimePath`: conmon runs `wrapper runtimePath [RUN_DETACHED_FLAG] …`. */
export function nativeWrapperCommand(wrapperPath: string, runtimePath: string, opts: { start: boolean }): WrapperCommand {
  return { path: wrapperPath, args: [runtimePath, ...(opts.start ? [RUN_DETACHED_FLAG] : [])] };
}

/** The wrapper script for `runtimePath`; `start`: create and start (`run --detach`). */
export function wrapperScript(runtimePath: string, opts: { start: boolean }): string {
  const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  return [
    '#!/bin/sh',
    `# written by skiff (src/runtime/runc/runtime-wrapper.ts): mounts the container's overlay root, then ${opts.start ? '`create` as `run --detach`' : 'the runtime'}`,
    'bundle= prev= done_=',
    'for a do',
    '  shift',
    '  [ "$prev" = --bundle ] && bundle=$a',
    '  prev=$a',
    opts.start ? '  if [ -z "$done_" ] && [ "$a" = create ]; then done_=1; set -- "$@" run --detach; else set -- "$@" "$a"; fi' : '  set -- "$@" "$a"',
    'done',
    `[ -n "$bundle" ] && read -r lower < "$bundle/${OVERLAY_LOWER_FILE}" || { echo "no overlay lower layer for bundle '$bundle'" >&2; exit ${MOUNT_FAILED}; }`,
    `mount -t overlay overlay -o "lowerdir=$lower,upperdir=$bundle/upper,workdir=$bundle/work" "$bundle/rootfs" || exit ${MOUNT_FAILED}`,
    `exec ${q(runtimePath)} "$@"`,
    '',
  ].join('\n');
}
