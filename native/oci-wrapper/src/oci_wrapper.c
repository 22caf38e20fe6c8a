/*
 * skiff-oci-wrapper: the program conmon runs as its OCI runtime (skiff's src/runtime/runc). It
 * mounts the container's overlay root, then execs the real runtime (runc or crun), optionally
 * turning conmon's `create` into `run --detach` (create and start in one runtime process). It
 * does what the sh script of src/runtime/runc/runtime-wrapper.ts does, without starting sh and
 * util-linux `mount` for every container: one small exec instead of three (each exec costs
 * 1-3 ms of CPU in the dynamic loader alone).
 *
 * Usage (conmon passes its --runtime-arg values first, then its own arguments):
 *   skiff-oci-wrapper RUNTIME [--skiff-run-detached] [RUNTIME_ARGS...] create --bundle B ... ID
 * The overlay is lowerdir = the first line of B/lower, upperdir = B/upper, workdir = B/work,
 * mounted on B/rootfs. Then RUNTIME is exec'd with every argument after RUNTIME (and the marker),
 * the first `create` replaced by `run --detach` when the marker was given.
 *
 * Exit status: 125 with a message on stderr when the bundle names no lower layer or the mount
 * failed (the runtime is not run then); 127 when RUNTIME cannot be exec'd; otherwise the
 * runtime's own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define MOUNT_FAILED 125
#define EXEC_FAILED 127
#define RUN_DETACHED "--skiff-run-detached"

static int fail(int status, const char *fmt, const char *a, const char *b) {
  fprintf(stderr, fmt, a, b);
  fputc('\n', stderr);
  return status;
}

/* B/lower's first line into `out` (without its newline); 0 on success. */
static int read_lower(const char *bundle, char *out, size_t size) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s/lower", bundle) >= (int)sizeof path) return -1;
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char *line = fgets(out, (int)size, f);
  fclose(f);
  if (!line) return -1;
  out[strcspn(out, "\n")] = '\0';
  return out[0] ? 0 : -1;
}

int main(int argc, char **argv) {
  if (argc < 2) return fail(EXEC_FAILED, "usage: %s RUNTIME [" RUN_DETACHED "] ARGS...%s", argv[0], "");
  const char *runtime = argv[1];
  int first = 2;
  int detached = first < argc && strcmp(argv[first], RUN_DETACHED) == 0;
  if (detached) first++;

  const char *bundle = NULL;
  for (int i = first; i + 1 < argc; i++)
    if (strcmp(argv[i], "--bundle") == 0) bundle = argv[i + 1];
  char lower[4096];
  if (!bundle || read_lower(bundle, lower, sizeof lower) != 0)
    return fail(MOUNT_FAILED, "no overlay lower layer for bundle '%s'%s", bundle ? bundle : "", "");

  char target[4096], options[3 * 4096];
  if (snprintf(target, sizeof target, "%s/rootfs", bundle) >= (int)sizeof target ||
      snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, bundle, bundle) >= (int)sizeof options)
    return fail(MOUNT_FAILED, "mount: %s: %s", bundle, "path too long");
  if (mount("overlay", target, "overlay", 0, options) != 0)
    return fail(MOUNT_FAILED, "mount: %s: %s", target, strerror(errno));

  /* RUNTIME, the arguments after the marker, with room for `run --detach` in place of `create` */
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (!args) return fail(EXEC_FAILED, "%s: %s", runtime, strerror(ENOMEM));
  int n = 0;
  args[n++] = (char *)runtime;
  for (int i = first; i < argc; i++) {
    if (detached && strcmp(argv[i], "create") == 0) {
      args[n++] = "run";
      args[n++] = "--detach";
      detached = 0;
    } else {
      args[n++] = argv[i];
    }
  }
  execv(runtime, args);
  return fail(EXEC_FAILED, "%s: %s", runtime, strerror(errno));
}
