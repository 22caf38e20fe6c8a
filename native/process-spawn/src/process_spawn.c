/*
 * skiff-process-spawn: starts a program with posix_spawn(3) — glibc's clone(CLONE_VM |
 * CLONE_VFORK), so the parent's page tables are not copied — and reports its exit through a
 * pidfd polled on the Node.js event loop. Node's child_process forks: from the ~50 MB process
 * helper of skiff's runtime (src/runtime/runc/process-helper.ts) a fork costs ~1 ms of CPU in
 * copying page tables and the JavaScript side of a ChildProcess as much again, per program, and
 * the helper starts two or three per pod.
 *
 * spawn(file, args, env, cwd, stdio, setsid, onExit) -> { pid, fds }
 *   file    program, searched in PATH when it has no '/' (posix_spawnp)
 *   args    argv, argv[0] included
 *   env     array of "NAME=value" strings: the program's whole environment
 *   cwd     working directory, or null for this process's
 *   stdio   for the child's fds 0..n-1 (n <= 8): 0 = /dev/null, 1 = a pipe; fds[i] is this
 *           process's end of pipe i (write end for fd 0, read ends for the others; close-on-exec,
 *           blocking; hand them to net.Socket), -1 for /dev/null
 *   setsid  the program starts a session of its own (detached from this process's terminal and
 *           process group)
 *   onExit  called once on the event loop with (code, signal): the exit status, or -1 and the
 *           signal number that ended it. The process is reaped then (waitid on the pidfd).
 * Every signal disposition is reset to default and the signal mask cleared in the program (Node
 * ignores SIGPIPE). Other fds of this process are not inherited (Node opens them close-on-exec).
 * While a program runs its poll handle keeps the event loop alive.
 * Throws an Error with the errno text (and `.code` = errno name) when the program cannot be
 * started (ENOENT, EACCES, ...); nothing is left running then. Linux >= 5.3 (pidfd_open): on an
 * older kernel loading the addon throws.
 *
 * startMonitor(file, args, env, cwd, timeoutMs, done)
 *   What src/runtime/runc/process-start.ts' startMonitor does, on a thread of its own, so that a
 *   container's monitor (skiff-monitor or conmon) is started straight from the server without
 *   blocking its event loop and without a round trip through the process helper: starts `file`
 *   (posix_spawnp, a session of its own, stdin and stdout /dev/null, stderr and fd 3 pipes, env
 *   the whole environment, cwd the working directory), then reads fd 3 up to and including the
 *   first `}` (the monitor's sync message). `done` is called once on the event loop with
 *   { message, stderr } (stderr: what had arrived), or, when fd 3 closed without a message,
 *   { code, stderr } (the exit status, null when killed; stderr read to its end or for 500 ms),
 *   or { error, stderr } (could not start; nothing reported within timeoutMs). The started
 *   process (a monitor that forked and exits, or the monitor itself with skiff-monitor's --sync)
 *   is reaped when it exits, through a pidfd polled on the event loop that does not keep it alive.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#define MAX_STDIO 8
/* pipe ends are kept above the child's stdio fds, so a dup2 never maps an fd onto itself */
#define MIN_FD MAX_STDIO

extern char **environ;

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int pidfd;
  napi_ref on_exit;
  napi_async_context async;
} child;

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, text, error;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  const char *name = err == ENOENT ? "ENOENT" : err == EACCES ? "EACCES" : err == ENOEXEC ? "ENOEXEC" : err == ENOTDIR ? "ENOTDIR" : "ESPAWN";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, text, &error);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* A JavaScript string as a malloc'd C string (NULL on failure). */
static char *string_of(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s && napi_get_value_string_utf8(env, v, s, len + 1, &len) != napi_ok) {
    free(s);
    return NULL;
  }
  return s;
}

/* A JavaScript array of strings as a NULL-terminated, malloc'd vector (NULL on failure). */
static char **strings_of(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **v = calloc((size_t)n + 1, sizeof *v);
  for (uint32_t i = 0; v && i < n; i++) {
    napi_value e;
    napi_get_element(env, arr, i, &e);
    if (!(v[i] = string_of(env, e))) {
      for (uint32_t j = 0; j < i; j++) free(v[j]);
      free(v);
      return NULL;
    }
  }
  return v;
}

static void free_strings(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

static void on_closed(uv_handle_t *h) {
  free(h->data);
}

static void on_exit_ready(uv_poll_t *h, int status, int events) {
  child *c = h->data;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &si, WEXITED | WNOHANG) != 0 || si.si_pid == 0) return; /* not yet */
  int code = si.si_code == CLD_EXITED ? si.si_status : -1;
  int sig = si.si_code == CLD_EXITED ? 0 : si.si_status;
  uv_poll_stop(&c->poll);
  close(c->pidfd);
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) == napi_ok) {
    napi_value fn, recv, argv[2], result;
    napi_create_int32(env, code, &argv[0]);
    napi_create_int32(env, sig, &argv[1]);
    napi_get_reference_value(env, c->on_exit, &fn);
    napi_get_global(env, &recv);
    if (napi_make_callback(env, c->async, recv, fn, 2, argv, &result) == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
    napi_close_handle_scope(env, scope);
  }
  napi_delete_reference(env, c->on_exit);
  napi_async_destroy(env, c->async);
  uv_close((uv_handle_t *)&c->poll, on_closed);
}

/* A pipe whose ends are both >= MIN_FD and close-on-exec. */
static int make_pipe(int fds[2]) {
  int raw[2];
  if (pipe2(raw, O_CLOEXEC) != 0) return -1;
  for (int i = 0; i < 2; i++) {
    fds[i] = raw[i] >= MIN_FD ? raw[i] : fcntl(raw[i], F_DUPFD_CLOEXEC, MIN_FD);
    if (fds[i] < 0) {
      int err = errno;
      close(raw[0]);
      close(raw[1]);
      if (i == 1) close(fds[0]);
      errno = err;
      return -1;
    }
    if (fds[i] != raw[i]) close(raw[i]);
  }
  return 0;
}

/*
 * Every signal back to its default disposition and none blocked in the program, and a session of
 * its own when `setsid_`. glibc's sigfillset leaves out its internal signals (32, 33), which its
 * posix_spawn would then leave ignored in the program; a set with every bit has them.
 */
static void set_spawn_flags(posix_spawnattr_t *attr, int setsid_) {
  sigset_t all, none;
  memset(&all, 0xff, sizeof all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(attr, &all);
  posix_spawnattr_setsigmask(attr, &none);
  posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (setsid_ ? POSIX_SPAWN_SETSID : 0));
}

static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 7) return throw_type(env, "spawn(file, args, env, cwd, stdio, setsid, onExit)");
  napi_valuetype t;
  napi_typeof(env, argv[6], &t);
  if (t != napi_function) return throw_type(env, "onExit must be a function");
  uint32_t nstdio;
  if (napi_get_array_length(env, argv[4], &nstdio) != napi_ok || nstdio > MAX_STDIO) return throw_type(env, "stdio must be an array of at most 8 entries");
  bool setsid_;
  if (napi_get_value_bool(env, argv[5], &setsid_) != napi_ok) return throw_type(env, "setsid must be a boolean");
  napi_typeof(env, argv[3], &t);

  char *file = string_of(env, argv[0]);
  char **args = strings_of(env, argv[1]);
  char **envv = strings_of(env, argv[2]);
  char *cwd = t == napi_string ? string_of(env, argv[3]) : NULL;
  int parent_end[MAX_STDIO], child_end[MAX_STDIO];
  for (int i = 0; i < MAX_STDIO; i++) parent_end[i] = child_end[i] = -1;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  napi_value result = NULL;
  int err = 0;
  char what[512] = "spawn";
  if (!file || !args || !envv || (t == napi_string && !cwd)) {
    err = ENOMEM;
    goto out;
  }
  for (uint32_t i = 0; i < nstdio; i++) {
    napi_value e;
    uint32_t kind;
    napi_get_element(env, argv[4], i, &e);
    if (napi_get_value_uint32(env, e, &kind) != napi_ok) kind = 0;
    if (kind == 1) {
      int p[2];
      if (make_pipe(p) != 0) {
        err = errno;
        strcpy(what, "pipe");
        goto out;
      }
      parent_end[i] = i == 0 ? p[1] : p[0];
      child_end[i] = i == 0 ? p[0] : p[1];
      posix_spawn_file_actions_adddup2(&fa, child_end[i], (int)i);
    } else {
      posix_spawn_file_actions_addopen(&fa, (int)i, "/dev/null", O_RDWR, 0);
    }
  }
  if (cwd) posix_spawn_file_actions_addchdir_np(&fa, cwd);
  set_spawn_flags(&attr, setsid_);

  pid_t pid;
  err = posix_spawnp(&pid, file, &fa, &attr, args, envv);
  if (err != 0) {
    snprintf(what, sizeof what, "%s", file);
    goto out;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  child *c = pidfd >= 0 ? calloc(1, sizeof *c) : NULL;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (!c || uv_poll_init(loop, &c->poll, pidfd) != 0) {
    /* cannot watch it: do not leave it running unreported */
    err = pidfd < 0 ? errno : ENOMEM;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (pidfd >= 0) close(pidfd);
    free(c);
    strcpy(what, "pidfd_open");
    goto out;
  }
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  c->env = env;
  c->pidfd = pidfd;
  c->poll.data = c;
  napi_value name;
  napi_create_string_utf8(env, "SkiffProcessSpawn", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &c->async);
  napi_create_reference(env, argv[6], 1, &c->on_exit);
  uv_poll_start(&c->poll, UV_READABLE, on_exit_ready);

  napi_value obj, jpid, jfds;
  napi_create_object(env, &obj);
  napi_create_int32(env, pid, &jpid);
  napi_create_array_with_length(env, nstdio, &jfds);
  for (uint32_t i = 0; i < nstdio; i++) {
    napi_value fd;
    napi_create_int32(env, parent_end[i], &fd);
    napi_set_element(env, jfds, i, fd);
    parent_end[i] = -1; /* handed over */
  }
  napi_set_named_property(env, obj, "pid", jpid);
  napi_set_named_property(env, obj, "fds", jfds);
  result = obj;
out:
  for (int i = 0; i < MAX_STDIO; i++) {
    if (child_end[i] >= 0) close(child_end[i]);
    if (parent_end[i] >= 0) close(parent_end[i]);
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(file);
  free(cwd);
  free_strings(args);
  free_strings(envv);
  if (!result) return throw_errno(env, err, what);
  return result;
}

/* ---- startMonitor ---- */

#define SYNC_MAX 65536
#define STDERR_MAX 65536
#define STDERR_DRAIN_MS 500

typedef struct {
  char *file, *cwd;
  char **args, **envv;
  int timeout_ms;
  napi_threadsafe_function done;
  /* the outcome */
  char *message; /* up to and including the first '}' */
  int has_code, code;
  char *error;
  char stderr_text[STDERR_MAX + 1];
  size_t stderr_len;
  pid_t pid; /* the started process, when still to be reaped */
} monitor_req;

/* Reaps a process when it exits: its pidfd polled on the event loop. */
typedef struct {
  uv_poll_t poll;
  int pidfd;
} reaper;

static void on_reapable(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  reaper *rp = h->data;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int rc = waitid((idtype_t)P_PIDFD, (id_t)rp->pidfd, &si, WEXITED | WNOHANG);
  if (rc == 0 && si.si_pid == 0) return; /* not yet */
  /* reaped (or reaped by someone else: ECHILD) */
  uv_poll_stop(&rp->poll);
  close(rp->pidfd);
  uv_close((uv_handle_t *)&rp->poll, on_closed);
}

/* From the event loop's thread: reap `pid` when it exits, without keeping the loop alive. */
static void reap_later(napi_env env, pid_t pid) {
  if (waitpid(pid, NULL, WNOHANG) != 0) return; /* gone already */
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  reaper *rp = pidfd >= 0 ? calloc(1, sizeof *rp) : NULL;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (!rp || uv_poll_init(loop, &rp->poll, pidfd) != 0) {
    if (pidfd >= 0) close(pidfd);
    free(rp);
    return; /* left to init once this process exits */
  }
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  rp->pidfd = pidfd;
  rp->poll.data = rp;
  uv_poll_start(&rp->poll, UV_READABLE, on_reapable);
  uv_unref((uv_handle_t *)&rp->poll);
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Appends what can be read from fd now (non-blocking) to the stderr text; 0 at its end. */
static int read_stderr(monitor_req *r, int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      size_t room = STDERR_MAX - r->stderr_len;
      size_t take = (size_t)n < room ? (size_t)n : room;
      memcpy(r->stderr_text + r->stderr_len, buf, take);
      r->stderr_len += take;
      continue;
    }
    if (n == 0) return 0;
    return errno == EAGAIN || errno == EINTR ? 1 : 0;
  }
}

static void set_error(monitor_req *r, const char *fmt, const char *a) {
  char text[1024];
  snprintf(text, sizeof text, fmt, a);
  r->error = strdup(text);
}

/* Starts the monitor and waits for its report; returns its pid (to reap) or -1. */
static pid_t run_monitor(monitor_req *r) {
  int err_pipe[2], sync_pipe[2];
  if (make_pipe(err_pipe) != 0) {
    set_error(r, "pipe: %s", strerror(errno));
    return -1;
  }
  if (make_pipe(sync_pipe) != 0) {
    set_error(r, "pipe: %s", strerror(errno));
    close(err_pipe[0]);
    close(err_pipe[1]);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_RDWR, 0);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_adddup2(&fa, sync_pipe[1], 3);
  if (r->cwd) posix_spawn_file_actions_addchdir_np(&fa, r->cwd);
  set_spawn_flags(&attr, 1);
  pid_t pid;
  /* posix_spawnp reads PATH, which JavaScript may change meanwhile: only for a bare name */
  int err = strchr(r->file, '/') ? posix_spawn(&pid, r->file, &fa, &attr, r->args, r->envv) : posix_spawnp(&pid, r->file, &fa, &attr, r->args, r->envv);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(err_pipe[1]);
  close(sync_pipe[1]);
  if (err != 0) {
    char what[600];
    snprintf(what, sizeof what, "%s: %s", r->file, strerror(err));
    set_error(r, "%s", what);
    close(err_pipe[0]);
    close(sync_pipe[0]);
    return -1;
  }
  fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
  fcntl(sync_pipe[0], F_SETFL, O_NONBLOCK);
  char *sync = malloc(SYNC_MAX + 1);
  size_t sync_len = 0;
  int sync_open = sync != NULL, err_open = 1;
  if (!sync) set_error(r, "startMonitor: %s", strerror(ENOMEM));
  long deadline = now_ms() + r->timeout_ms;
  while (sync_open) {
    long left = deadline - now_ms();
    if (left <= 0) {
      char ms[32];
      snprintf(ms, sizeof ms, "%d", r->timeout_ms);
      set_error(r, "no report within %s ms", ms);
      /* it is given up: stopped with the runtime it may have started (its process group) */
      kill(-pid, SIGKILL);
      break;
    }
    struct pollfd p[2] = {{.fd = sync_pipe[0], .events = POLLIN}, {.fd = err_open ? err_pipe[0] : -1, .events = POLLIN}};
    if (poll(p, 2, (int)left) < 0 && errno != EINTR) {
      set_error(r, "poll: %s", strerror(errno));
      break;
    }
    if (p[1].revents) err_open = read_stderr(r, err_pipe[0]);
    if (!p[0].revents) continue;
    ssize_t n = read(sync_pipe[0], sync + sync_len, SYNC_MAX - sync_len);
    if (n > 0) {
      sync_len += (size_t)n;
      sync[sync_len] = '\0';
      char *end = memchr(sync, '}', sync_len);
      if (end) {
        end[1] = '\0';
        r->message = sync;
        sync = NULL;
        break;
      }
      if (sync_len == SYNC_MAX) {
        set_error(r, "%s", "no end to the sync message within 64 KiB");
        break;
      }
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      sync_open = 0;
    }
  }
  if (!r->message && !r->error) {
    /* fd 3 closed without a message: the exit status (a monitor that closed fd 3 is exiting; one
       still running after 5 s is reaped later), and stderr to its end (bounded: a forked monitor
       may still hold it) */
    int st = 0;
    pid_t got = 0;
    for (long end = now_ms() + 5000; (got = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < end;) {
      struct timespec ms = {.tv_sec = 0, .tv_nsec = 5000000};
      nanosleep(&ms, NULL);
    }
    r->has_code = 1;
    r->code = got == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    long drain_end = now_ms() + STDERR_DRAIN_MS;
    while (err_open && now_ms() < drain_end) {
      struct pollfd p = {.fd = err_pipe[0], .events = POLLIN};
      if (poll(&p, 1, (int)(drain_end - now_ms())) <= 0) break;
      err_open = read_stderr(r, err_pipe[0]);
    }
    if (got == pid) pid = -1; /* reaped */
  } else if (err_open) {
    read_stderr(r, err_pipe[0]);
  }
  free(sync);
  close(err_pipe[0]);
  close(sync_pipe[0]);
  return pid;
}

static void monitor_req_free(monitor_req *r) {
  free(r->file);
  free(r->cwd);
  free_strings(r->args);
  free_strings(r->envv);
  free(r->message);
  free(r->error);
  free(r);
}

static void call_monitor_done(napi_env env, napi_value fn, void *context, void *data) {
  (void)context;
  monitor_req *r = data;
  if (env && fn) {
    napi_value obj, v, recv, result;
    napi_create_object(env, &obj);
    if (r->message) {
      napi_create_string_utf8(env, r->message, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, obj, "message", v);
    }
    if (r->has_code) {
      if (r->code >= 0) napi_create_int32(env, r->code, &v);
      else napi_get_null(env, &v);
      napi_set_named_property(env, obj, "code", v);
    }
    if (r->error) {
      napi_create_string_utf8(env, r->error, NAPI_AUTO_LENGTH, &v);
      napi_set_named_property(env, obj, "error", v);
    }
    napi_create_string_utf8(env, r->stderr_text, r->stderr_len, &v);
    napi_set_named_property(env, obj, "stderr", v);
    napi_get_global(env, &recv);
    if (r->pid > 0) reap_later(env, r->pid);
    napi_call_function(env, recv, fn, 1, &obj, &result);
  }
  monitor_req_free(r);
}

static void *monitor_thread(void *p) {
  monitor_req *r = p;
  /* the started process (a monitor that forked and exits, or the monitor itself) is reaped from
     the event loop when it exits */
  r->pid = run_monitor(r);
  napi_threadsafe_function done = r->done;
  napi_call_threadsafe_function(done, r, napi_tsfn_blocking); /* r is freed on the loop */
  napi_release_threadsafe_function(done, napi_tsfn_release);
  return NULL;
}

static napi_value js_start_monitor(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) return throw_type(env, "startMonitor(file, args, env, cwd, timeoutMs, done)");
  napi_valuetype t;
  napi_typeof(env, argv[5], &t);
  if (t != napi_function) return throw_type(env, "done must be a function");
  int32_t timeout;
  if (napi_get_value_int32(env, argv[4], &timeout) != napi_ok || timeout <= 0) return throw_type(env, "timeoutMs must be a positive number");
  napi_typeof(env, argv[3], &t);
  monitor_req *r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "startMonitor");
  r->file = string_of(env, argv[0]);
  r->args = strings_of(env, argv[1]);
  r->envv = strings_of(env, argv[2]);
  r->cwd = t == napi_string ? string_of(env, argv[3]) : NULL;
  r->timeout_ms = timeout;
  if (!r->file || !r->args || !r->envv || (t == napi_string && !r->cwd)) {
    monitor_req_free(r);
    return throw_type(env, "file must be a string, args and env arrays of strings, cwd a string or null");
  }
  napi_value name;
  napi_create_string_utf8(env, "SkiffStartMonitor", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[5], NULL, name, 0, 1, NULL, NULL, NULL, call_monitor_done, &r->done) != napi_ok) {
    monitor_req_free(r);
    return throw_errno(env, ENOMEM, "napi_create_threadsafe_function");
  }
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  int err = pthread_create(&thread, &attr, monitor_thread, r);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    set_error(r, "pthread_create: %s", strerror(err));
    napi_call_threadsafe_function(r->done, r, napi_tsfn_blocking);
    napi_release_threadsafe_function(r->done, napi_tsfn_release);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  /* without pidfds (Linux < 5.3) the addon does not load, and its users take their fallback */
  int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (self < 0) return throw_errno(env, errno, "pidfd_open");
  close(self);
  napi_value fn;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, js_spawn, NULL, &fn);
  napi_set_named_property(env, exports, "spawn", fn);
  napi_create_function(env, "startMonitor", NAPI_AUTO_LENGTH, js_start_monitor, NULL, &fn);
  napi_set_named_property(env, exports, "startMonitor", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
