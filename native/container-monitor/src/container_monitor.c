/*
 * skiff-monitor: the per-container monitor of skiff's node runtime (src/runtime/runc), in place of
 * conmon. One runs beside each container for as long as it lives, detached from skiff, so that
 * containers keep running (and keep their logs) while skiff is stopped or restarted.
 *
 * It takes the part of conmon's command line that skiff passes (src/runtime/runc/conmon.ts) and
 * leaves the same files, so the runtime reads either monitor the same way:
 *
 *   skiff-monitor -c ID -u ATTACH_ID -b BUNDLE --persist-dir DIR -r RUNTIME [--runtime-arg ARG]...
 *       --exit-dir DIR --socket-dir-path DIR -l k8s-file:LOG -p CONTAINER_PIDFILE
 *       -P MONITOR_PIDFILE [-t | -i [--leave-stdin-open]] [-n NAME] [--api-version N]
 *       [--log-level LEVEL] [--mount-overlay LOWER] [--run-detached] [--sync]
 *   environment: _OCI_SYNCPIPE=FD, the pipe the result is reported on
 *
 * What it does, in order:
 *  1. forks; the first process exits 0 at once, the second (the monitor) starts a session of its
 *     own, becomes a child subreaper and writes its pid to MONITOR_PIDFILE. With --sync (as
 *     conmon's) it does not fork: the process started is the monitor, its starter reaps it;
 *  2. makes the attach socket: the link SOCKET_DIR/ATTACH_ID -> BUNDLE, and a SOCK_SEQPACKET
 *     socket bound at SOCKET_DIR/ATTACH_ID/attach (= BUNDLE/attach; the short path keeps it under
 *     the 108-byte limit of a socket address); and the FIFO BUNDLE/ctl;
 *  3. with --mount-overlay mounts the container's root (as native/oci-wrapper does, without its
 *     exec): makes BUNDLE/rootfs, BUNDLE/upper and BUNDLE/work where missing and mounts the
 *     overlay of LOWER (read-only) and BUNDLE/upper (workdir BUNDLE/work) on BUNDLE/rootfs; a
 *     failure is reported as in 4 and nothing is run. Then runs
 *     `RUNTIME ARG... create --bundle BUNDLE --pid-file CONTAINER_PIDFILE
 *     [--console-socket S] ID` (with --run-detached `run --detach` in place of `create`: one
 *     runtime process creates and starts the container) with the container's stdio: pipes for
 *     stdout and stderr, a pipe for stdin with -i (else /dev/null); with -t a terminal instead,
 *     whose master the runtime sends on the console socket S (SCM_RIGHTS);
 *  4. reports on the sync pipe, as conmon's API version 1 does: `{"data": PID}` (the container's
 *     pid, from CONTAINER_PIDFILE) when the runtime succeeded, else `{"data": -1, "message": M}`
 *     with (the end of) what the runtime wrote on stderr, `{` and `}` escaped, and exits 1. A
 *     runtime still running after 25 s is killed and reported so. When the report cannot be
 *     written (the starter gave up), the container is killed and the monitor exits 1;
 *  5. until the container (its child, as subreaper) exits: writes its output to LOG (its
 *     directory made when missing) in the CRI format (`<RFC 3339 nano, UTC> <stdout|stderr>
 *     <F|P> <text>`, P for a line without its newline yet); sends it to attach clients as packets of one stream byte (2 stdout, 3 stderr)
 *     and up to 8192 bytes; writes what attach clients send to the container's stdin (a client
 *     going away closes stdin, unless --leave-stdin-open); obeys ctl lines `1 HEIGHT WIDTH`
 *     (terminal size) and `2` (reopen LOG); notes an OOM kill in its cgroup (cgroup v1:
 *     memory.oom_control's event and oom_kill count; v2: memory.events' oom_kill count);
 *  6. once the container exited and its output is drained (at most 1 s more): removes the ctl
 *     FIFO, the attach socket and its link, writes the file `oom` in the persist dir when the
 *     cgroup saw an OOM kill, then the exit status as decimal text (the exit code, or 128 + the
 *     signal that killed it) to PERSIST_DIR/exit and EXIT_DIR/ID, and exits 0. (Should it ever
 *     be unable to watch the container, it exits 2 without exit files: the runtime then reports
 *     the monitor gone, not a made-up status.)
 * Input from attach clients is queued for a container that does not read its stdin (up to 1 MiB,
 * then the clients are not read), and output for each attach client that takes it slowly (up to
 * 1 MiB, then that client is dropped), so the monitor never blocks on either: a stalled client
 * costs neither the container nor the other clients their output.
 *
 * It is a small static program (no dynamic loader, no libraries to map): conmon's start-up, most
 * of it the dynamic loading of glib and systemd's library, cost ~5 ms of CPU per container on the
 * 2-core VM skiff is measured on.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE 8192
#define MAX_CLIENTS 16
#define STDOUT_PIPE 2 /* the stream byte of attach packets, as conmon's */
#define STDERR_PIPE 3
#define DRAIN_MS 1000
/* output held for one attach client that takes it slower than the container writes; a client
   further behind is dropped (the container and the other clients never wait for it) */
#define CLIENT_QUEUE_MAX (1 << 20)
/* a client's emptied queue keeps this much memory for the next packets, and gives back more */
#define QUEUE_KEEP (4 * (BUF_SIZE + 3))
/* how long the runtime may take to create the container (skiff waits 30 s for the report) */
#define RUNTIME_TIMEOUT_MS 25000
/* input from attach clients held for a container that does not read its stdin */
#define STDIN_BUF_MAX (1 << 20)
#define CGROUP2_MAGIC 0x63677270

static struct {
  const char *id, *attach_id, *bundle, *persist_dir, *runtime, *exit_dir, *socket_dir, *log_path;
  const char *container_pidfile, *monitor_pidfile;
  const char **runtime_args;
  int n_runtime_args;
  int terminal, stdin_open, leave_stdin_open;
  const char *overlay_lower;
  int run_detached, sync;
} opt;

extern char **environ;
static int sync_fd = -1;
static int log_fd = -1;
/* one attach client: its socket (non-blocking) and the packets it has not taken yet, each as a
   2-byte length and the packet, in q[q_off, q_len) */
struct client {
  int fd;
  char *q;
  size_t q_off, q_len, q_cap;
};
static struct client clients[MAX_CLIENTS];
static int n_clients;
/* no more clients could be accepted (fd limit): the socket is not polled until one goes */
static int attach_paused;

/* ---- small helpers ---- */

static void path_join(char *out, size_t size, const char *dir, const char *name) {
  if (snprintf(out, size, "%s/%s", dir, name) >= (int)size) out[0] = '\0';
}

/* Writes all of buf (retrying short writes and EINTR); -1 on error. */
static int write_all(int fd, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, buf, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Creates (or truncates) `path` with `text` in one write: a reader sees it empty or whole. */
static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)write_all(fd, text, strlen(text));
  close(fd);
}

/* Reads a small file into buf (NUL-terminated); length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = '\0';
  return n;
}

/* ---- the sync pipe ---- */

/* {"data": -1, "message": "..."} with msg escaped as a JSON string, then exit 1. */
static void fail(const char *fmt, ...) {
  char msg[BUF_SIZE];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (sync_fd >= 0) {
    char out[6 * BUF_SIZE + 64];
    size_t n = (size_t)snprintf(out, sizeof out, "{\"data\": -1, \"message\": \"");
    for (const unsigned char *p = (const unsigned char *)msg; *p && n < sizeof out - 16; p++) {
      if (*p == '"' || *p == '\\') {
        out[n++] = '\\';
        out[n++] = (char)*p;
      } else if (*p < 0x20 || *p == '{' || *p == '}') {
        /* braces escaped too: the reader takes the message up to its first '}' */
        n += (size_t)snprintf(out + n, sizeof out - n, "\\u%04x", *p);
      } else {
        out[n++] = (char)*p;
      }
    }
    n += (size_t)snprintf(out + n, sizeof out - n, "\"}\n");
    (void)write_all(sync_fd, out, n);
  } else {
    fprintf(stderr, "skiff-monitor: %s\n", msg);
  }
  _exit(1);
}

/* ---- the CRI log ---- */

/* mkdir -p of the directories above `path` */
static void make_parents(const char *path) {
  char dir[PATH_MAX];
  if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) return;
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(dir, 0755);
    *p = '/';
  }
}

/* Opens LOG for appending, its directory made when missing. */
static void open_log(void) {
  int fd = open(opt.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0 && errno == ENOENT) {
    make_parents(opt.log_path);
    fd = open(opt.log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  }
  if (fd < 0) return; /* keep the old one (reopen) or write no log */
  if (log_fd >= 0) close(log_fd);
  log_fd = fd;
}

/* One record per line of buf (F), the rest without its newline as a partial one (P). */
static void write_log(int stream, const char *buf, size_t n) {
  if (log_fd < 0 || n == 0) return;
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char prefix[64];
  int plen = snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ %s ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec, stream == STDERR_PIPE ? "stderr" : "stdout");
  /* every record of this read in one write: buf with a prefix and a tag per line */
  size_t lines = 1;
  for (size_t i = 0; i < n; i++)
    if (buf[i] == '\n') lines++;
  char *out = malloc(n + lines * ((size_t)plen + 3) + 1);
  if (!out) return;
  size_t o = 0, start = 0;
  while (start < n) {
    const char *nl = memchr(buf + start, '\n', n - start);
    size_t end = nl ? (size_t)(nl - buf) : n;
    memcpy(out + o, prefix, (size_t)plen);
    o += (size_t)plen;
    out[o++] = nl ? 'F' : 'P';
    out[o++] = ' ';
    memcpy(out + o, buf + start, end - start);
    o += end - start;
    out[o++] = '\n';
    start = end + 1;
  }
  (void)write_all(log_fd, out, o);
  free(out);
}

/* ---- the container's stdin ---- */

static char *in_buf; /* input not yet taken by the container (stdin is non-blocking) */
static size_t in_len, in_cap;

/* Writes what it can of the pending input; -1 when stdin is gone (the input is dropped). */
static int flush_stdin(int fd) {
  while (in_len > 0) {
    ssize_t w = write(fd, in_buf, in_len);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 0;
      in_len = 0;
      return -1;
    }
    memmove(in_buf, in_buf + w, in_len - (size_t)w);
    in_len -= (size_t)w;
  }
  return 0;
}

/* Queues input for the container and writes what it can now; -1 when stdin is gone. */
static int queue_stdin(int fd, const char *data, size_t n) {
  if (in_len + n > in_cap) {
    size_t cap = in_len + n + BUF_SIZE;
    char *b = realloc(in_buf, cap);
    if (!b) return 0; /* dropped: out of memory */
    in_buf = b;
    in_cap = cap;
  }
  memcpy(in_buf + in_len, data, n);
  in_len += n;
  return flush_stdin(fd);
}

/* ---- attach clients ---- */

static void drop_client(int i) {
  close(clients[i].fd);
  free(clients[i].q);
  clients[i] = clients[--n_clients];
  attach_paused = 0;
}

/* Whether any client has output it has not taken yet. */
static int clients_behind(void) {
  for (int i = 0; i < n_clients; i++)
    if (clients[i].q_len > clients[i].q_off) return 1;
  return 0;
}

/* Sends client i's queued packets until its socket is full; -1 when the client is gone. */
static int flush_client(struct client *c) {
  while (c->q_off < c->q_len) {
    size_t len = (size_t)(unsigned char)c->q[c->q_off] << 8 | (unsigned char)c->q[c->q_off + 1];
    if (send(c->fd, c->q + c->q_off + 2, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
    c->q_off += 2 + len;
  }
  c->q_off = c->q_len = 0;
  /* all taken: memory a burst made the queue grow to goes back */
  if (c->q_cap > QUEUE_KEEP) {
    free(c->q);
    c->q = NULL;
    c->q_cap = 0;
  }
  return 0;
}

/* Queues one packet for a client; -1 when the client is too far behind (it is to be dropped). */
static int queue_packet(struct client *c, const char *packet, size_t len) {
  if (c->q_off > 0 && (c->q_off * 2 >= c->q_len || c->q_len + len + 2 > c->q_cap)) {
    memmove(c->q, c->q + c->q_off, c->q_len - c->q_off);
    c->q_len -= c->q_off;
    c->q_off = 0;
  }
  if (c->q_len - c->q_off + len + 2 > CLIENT_QUEUE_MAX) return -1;
  if (c->q_len + len + 2 > c->q_cap) {
    size_t cap = c->q_cap ? c->q_cap : QUEUE_KEEP;
    while (cap < c->q_len + len + 2) cap *= 2;
    char *q = realloc(c->q, cap);
    if (!q) return -1;
    c->q = q;
    c->q_cap = cap;
  }
  c->q[c->q_len] = (char)(len >> 8);
  c->q[c->q_len + 1] = (char)(len & 0xff);
  memcpy(c->q + c->q_len + 2, packet, len);
  c->q_len += len + 2;
  return 0;
}

static void send_to_clients(int stream, const char *buf, size_t n) {
  char packet[BUF_SIZE + 1];
  for (size_t off = 0; off < n; off += BUF_SIZE) {
    size_t len = n - off < BUF_SIZE ? n - off : BUF_SIZE;
    packet[0] = (char)stream;
    memcpy(packet + 1, buf + off, len);
    for (int i = 0; i < n_clients;) {
      if (queue_packet(&clients[i], packet, len + 1) != 0 || flush_client(&clients[i]) != 0) drop_client(i);
      else i++;
    }
  }
}

/* ---- OOM ---- */

static char oom_counter_path[PATH_MAX]; /* memory.oom_control (v1) or memory.events (v2) */
static int oom_watch_fd = -1;           /* eventfd (v1) or inotify (v2) */
static int oom_seen;

/* The container's memory cgroup from /proc/PID/cgroup; sets up the watch. Best effort. */
static void watch_oom(pid_t pid) {
  char path[64], text[8192], dir[PATH_MAX];
  snprintf(path, sizeof path, "/proc/%d/cgroup", (int)pid);
  if (read_file(path, text, sizeof text) < 0) return;
  struct statfs fs;
  int v2 = statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_MAGIC;
  dir[0] = '\0';
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *c1 = strchr(line, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2) continue;
    *c2 = '\0';
    const char *controllers = c1 + 1, *cg = c2 + 1;
    if (v2 && strcmp(line, "0") == 0 && controllers[0] == '\0') {
      snprintf(dir, sizeof dir, "/sys/fs/cgroup%s", cg);
      break;
    }
    if (!v2) {
      char list[256];
      snprintf(list, sizeof list, ",%s,", controllers);
      if (strstr(list, ",memory,")) {
        snprintf(dir, sizeof dir, "/sys/fs/cgroup/memory%s", cg);
        break;
      }
    }
  }
  if (!dir[0]) return;
  if (v2) {
    path_join(oom_counter_path, sizeof oom_counter_path, dir, "memory.events");
    oom_watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (oom_watch_fd >= 0 && inotify_add_watch(oom_watch_fd, oom_counter_path, IN_MODIFY) < 0) {
      close(oom_watch_fd);
      oom_watch_fd = -1;
    }
    return;
  }
  path_join(oom_counter_path, sizeof oom_counter_path, dir, "memory.oom_control");
  char control[PATH_MAX];
  path_join(control, sizeof control, dir, "cgroup.event_control");
  int ofd = open(oom_counter_path, O_RDONLY | O_CLOEXEC);
  int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ofd >= 0 && efd >= 0) {
    char line[64];
    snprintf(line, sizeof line, "%d %d", efd, ofd);
    int cfd = open(control, O_WRONLY | O_CLOEXEC);
    if (cfd >= 0 && write_all(cfd, line, strlen(line)) == 0) oom_watch_fd = efd;
    if (cfd >= 0) close(cfd);
  }
  if (ofd >= 0) close(ofd); /* the registration holds its own reference */
  if (oom_watch_fd < 0 && efd >= 0) close(efd);
}

/* Whether the cgroup's oom_kill count is above zero. */
static int oom_killed(void) {
  char text[4096];
  if (!oom_counter_path[0] || read_file(oom_counter_path, text, sizeof text) < 0) return 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
    if (strncmp(line, "oom_kill ", 9) == 0) return atol(line + 9) > 0;
  return 0;
}

static void note_oom(void) {
  if (oom_seen) return;
  oom_seen = 1;
  char path[PATH_MAX];
  path_join(path, sizeof path, opt.persist_dir, "oom");
  write_file(path, "");
}

/* ---- starting the container ---- */

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The terminal master sent on one connection of the console socket (SCM_RIGHTS), or -1. */
static int receive_fd(int listen_fd, long deadline) {
  int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (conn < 0) return -1;
  struct pollfd p = {.fd = conn, .events = POLLIN};
  long left = deadline - now_ms();
  if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
    close(conn);
    return -1;
  }
  char data[256];
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  close(conn);
  if (n < 0) return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      int fd;
      memcpy(&fd, CMSG_DATA(c), sizeof fd);
      return fd;
    }
  return -1;
}

/*
 * Waits for the runtime to exit (within RUNTIME_TIMEOUT_MS: else it is killed and the start
 * fails), receiving the terminal master meanwhile when `listen_fd` is the console socket. Only the
 * runtime is reaped here; SIGCHLDs are consumed, so the caller sweeps for other children after.
 * Resolves the runtime's exit status (128 + signal when killed).
 */
static int wait_runtime(pid_t runtime_pid, int sig_fd, int listen_fd, int *master) {
  long deadline = now_ms() + RUNTIME_TIMEOUT_MS;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(runtime_pid, &st, WNOHANG | __WALL);
    if (r == runtime_pid || (r < 0 && errno != EINTR)) {
      /* a master sent just before the exit may still wait in the backlog */
      if (listen_fd >= 0 && *master < 0) {
        struct pollfd p = {.fd = listen_fd, .events = POLLIN};
        if (poll(&p, 1, 0) > 0) *master = receive_fd(listen_fd, now_ms() + 100);
      }
      if (r < 0) return 127;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    long left = deadline - now_ms();
    if (left <= 0) {
      kill(runtime_pid, SIGKILL);
      while (waitpid(runtime_pid, NULL, __WALL) < 0 && errno == EINTR) {
      }
      fail("the runtime did not finish creating the container within %d s", RUNTIME_TIMEOUT_MS / 1000);
    }
    struct pollfd p[2] = {{.fd = sig_fd, .events = POLLIN}, {.fd = listen_fd >= 0 && *master < 0 ? listen_fd : -1, .events = POLLIN}};
    if (poll(p, 2, (int)(left < 100 ? left : 100)) < 0 && errno != EINTR) continue;
    if (p[0].revents) {
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) > 0) {
      }
    }
    if (p[1].revents) {
      int fd = receive_fd(listen_fd, deadline);
      if (fd >= 0) *master = fd;
    }
  }
}

/* What the runtime wrote on stderr (the pipe read to its end or to EAGAIN), the last part kept. */
static void read_tail(int fd, char *out, size_t size) {
  size_t len = 0;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    /* n <= sizeof buf < size - 1: room is made by dropping the oldest bytes */
    if (len + (size_t)n > size - 1) {
      size_t drop = len + (size_t)n - (size - 1);
      memmove(out, out + drop, len - drop);
      len -= drop;
    }
    memcpy(out + len, buf, (size_t)n);
    len += (size_t)n;
  }
  out[len] = '\0';
  while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' ')) out[--len] = '\0';
}

static void usage_error(const char *what) { fail("skiff-monitor: %s", what); }

static void parse_args(int argc, char **argv) {
  enum { API_VERSION = 256, PERSIST_DIR, RUNTIME_ARG, EXIT_DIR, SOCKET_DIR, LOG_LEVEL, LEAVE_STDIN_OPEN, MOUNT_OVERLAY, RUN_DETACHED, SYNC };
  static const struct option longs[] = {
      {"api-version", required_argument, 0, API_VERSION},
      {"cid", required_argument, 0, 'c'},
      {"cuuid", required_argument, 0, 'u'},
      {"name", required_argument, 0, 'n'},
      {"bundle", required_argument, 0, 'b'},
      {"persist-dir", required_argument, 0, PERSIST_DIR},
      {"runtime", required_argument, 0, 'r'},
      {"runtime-arg", required_argument, 0, RUNTIME_ARG},
      {"exit-dir", required_argument, 0, EXIT_DIR},
      {"socket-dir-path", required_argument, 0, SOCKET_DIR},
      {"log-path", required_argument, 0, 'l'},
      {"container-pidfile", required_argument, 0, 'p'},
      {"conmon-pidfile", required_argument, 0, 'P'},
      {"log-level", required_argument, 0, LOG_LEVEL},
      {"terminal", no_argument, 0, 't'},
      {"stdin", no_argument, 0, 'i'},
      {"leave-stdin-open", no_argument, 0, LEAVE_STDIN_OPEN},
      {"mount-overlay", required_argument, 0, MOUNT_OVERLAY},
      {"run-detached", no_argument, 0, RUN_DETACHED},
      {"sync", no_argument, 0, SYNC},
      {0, 0, 0, 0},
  };
  opt.runtime_args = calloc((size_t)argc, sizeof *opt.runtime_args);
  if (!opt.runtime_args) usage_error("out of memory");
  int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "c:u:n:b:r:l:p:P:ti", longs, NULL)) != -1) {
    switch (c) {
      case 'c': opt.id = optarg; break;
      case 'u': opt.attach_id = optarg; break;
      case 'n': case API_VERSION: case LOG_LEVEL: break;
      case 'b': opt.bundle = optarg; break;
      case PERSIST_DIR: opt.persist_dir = optarg; break;
      case 'r': opt.runtime = optarg; break;
      case RUNTIME_ARG: opt.runtime_args[opt.n_runtime_args++] = optarg; break;
      case EXIT_DIR: opt.exit_dir = optarg; break;
      case SOCKET_DIR: opt.socket_dir = optarg; break;
      case 'l':
        if (strncmp(optarg, "k8s-file:", 9) != 0) usage_error("only k8s-file: logs are supported");
        opt.log_path = optarg + 9;
        break;
      case 'p': opt.container_pidfile = optarg; break;
      case 'P': opt.monitor_pidfile = optarg; break;
      case 't': opt.terminal = 1; break;
      case 'i': opt.stdin_open = 1; break;
      case LEAVE_STDIN_OPEN: opt.leave_stdin_open = 1; break;
      case MOUNT_OVERLAY: opt.overlay_lower = optarg; break;
      case RUN_DETACHED: opt.run_detached = 1; break;
      case SYNC: opt.sync = 1; break;
      default: fail("skiff-monitor: unknown option %s", argv[optind - 1]);
    }
  }
  if (!opt.id || !opt.bundle || !opt.runtime || !opt.log_path || !opt.container_pidfile)
    usage_error("-c, -b, -r, -l and -p are required");
  if (!opt.attach_id) opt.attach_id = opt.id;
  if (!opt.persist_dir) opt.persist_dir = opt.bundle;
}

/* SOCKET_DIR/ATTACH_ID -> BUNDLE, and the listening attach socket through it; -1 on failure. */
static int make_attach_socket(void) {
  if (!opt.socket_dir) return -1;
  char link_path[PATH_MAX];
  path_join(link_path, sizeof link_path, opt.socket_dir, opt.attach_id);
  unlink(link_path);
  if (symlink(opt.bundle, link_path) != 0) return -1;
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (snprintf(addr.sun_path, sizeof addr.sun_path, "%s/attach", link_path) >= (int)sizeof addr.sun_path) return -1;
  char in_bundle[PATH_MAX];
  path_join(in_bundle, sizeof in_bundle, opt.bundle, "attach");
  unlink(in_bundle);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 10) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* The console socket the runtime sends the terminal's master on (SOCKET_DIR/ATTACH_ID-tty). */
static int make_console_socket(char *path, size_t size) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if (snprintf(path, size, "%s/%s-tty", opt.socket_dir ? opt.socket_dir : opt.bundle, opt.attach_id) >= (int)size ||
      strlen(path) >= sizeof addr.sun_path)
    fail("console socket path too long: %s", path);
  strcpy(addr.sun_path, path);
  unlink(path);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 1) != 0)
    fail("console socket %s: %s", path, strerror(errno));
  return fd;
}

/* The container's root: BUNDLE/rootfs, BUNDLE/upper and BUNDLE/work made (where missing), then
   the overlay of LOWER and BUNDLE/upper (workdir BUNDLE/work) mounted on BUNDLE/rootfs. */
static void mount_overlay(const char *lower) {
  char target[PATH_MAX], upper[PATH_MAX], work[PATH_MAX], options[3 * PATH_MAX + 64];
  path_join(target, sizeof target, opt.bundle, "rootfs");
  path_join(upper, sizeof upper, opt.bundle, "upper");
  path_join(work, sizeof work, opt.bundle, "work");
  const char *dirs[] = {target, upper, work};
  for (int i = 0; i < 3; i++)
    if (mkdir(dirs[i], 0755) != 0 && errno != EEXIST) fail("mkdir %s: %s", dirs[i], strerror(errno));
  snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
  if (!lower[0] || mount("overlay", target, "overlay", 0, options) != 0) fail("mount: %s: %s", target, strerror(errno));
}

static void set_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

int main(int argc, char **argv) {
  const char *sync_env = getenv("_OCI_SYNCPIPE");
  if (sync_env) {
    sync_fd = atoi(sync_env);
    if (fcntl(sync_fd, F_SETFD, FD_CLOEXEC) != 0) sync_fd = -1;
  }
  unsetenv("_OCI_SYNCPIPE");
  parse_args(argc, argv);
  /* nothing of the starter's but stdio and the sync pipe reaches the runtime */
  if (sync_fd < 0) close_range(3, ~0U, 0);
  else {
    if (sync_fd > 3) close_range(3, (unsigned)sync_fd - 1, 0);
    close_range((unsigned)sync_fd + 1, ~0U, 0);
  }

  /* 1. detach: the starter sees the first process exit; the monitor lives on in its own session
     (with --sync the starter's child is the monitor itself, and the starter reaps it) */
  if (!opt.sync) {
    pid_t first = fork();
    if (first < 0) fail("fork: %s", strerror(errno));
    if (first > 0) _exit(0);
  }
  setsid();
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sig_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sig_fd < 0) fail("signalfd: %s", strerror(errno));
  if (opt.monitor_pidfile) {
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    write_file(opt.monitor_pidfile, pid);
  }

  /* 2. attach socket and ctl FIFO */
  int attach_fd = make_attach_socket();
  char ctl_path[PATH_MAX];
  path_join(ctl_path, sizeof ctl_path, opt.bundle, "ctl");
  unlink(ctl_path);
  int ctl_fd = mkfifo(ctl_path, 0600) == 0 ? open(ctl_path, O_RDWR | O_NONBLOCK | O_CLOEXEC) : -1;
  open_log();

  /* 3. the root, and the runtime with the container's stdio */
  if (opt.overlay_lower) mount_overlay(opt.overlay_lower);
  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
  if (pipe2(err_pipe, O_CLOEXEC) != 0) fail("pipe: %s", strerror(errno));
  if (!opt.terminal && pipe2(out_pipe, O_CLOEXEC) != 0) fail("pipe: %s", strerror(errno));
  if (!opt.terminal && opt.stdin_open && pipe2(in_pipe, O_CLOEXEC) != 0) fail("pipe: %s", strerror(errno));
  char console_path[PATH_MAX] = "";
  int console_fd = opt.terminal ? make_console_socket(console_path, sizeof console_path) : -1;

  const char **args = calloc((size_t)opt.n_runtime_args + 12, sizeof *args);
  if (!args) fail("out of memory");
  int n = 0;
  args[n++] = opt.runtime;
  for (int i = 0; i < opt.n_runtime_args; i++) args[n++] = opt.runtime_args[i];
  if (opt.run_detached) {
    args[n++] = "run";
    args[n++] = "--detach";
  } else {
    args[n++] = "create";
  }
  args[n++] = "--bundle";
  args[n++] = opt.bundle;
  args[n++] = "--pid-file";
  args[n++] = opt.container_pidfile;
  if (opt.terminal) {
    args[n++] = "--console-socket";
    args[n++] = console_path;
  }
  args[n++] = opt.id;
  args[n] = NULL;

  /* posix_spawn: glibc's clone(CLONE_VM | CLONE_VFORK), no copy of this process's page tables */
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, in_pipe[0] >= 0 ? in_pipe[0] : null_fd, 0);
  posix_spawn_file_actions_adddup2(&fa, opt.terminal ? err_pipe[1] : out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addchdir_np(&fa, opt.bundle);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t runtime_pid;
  int spawn_err = posix_spawn(&runtime_pid, opt.runtime, &fa, &attr, (char *const *)args, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (null_fd >= 0) close(null_fd);
  if (spawn_err != 0) fail("%s: %s", opt.runtime, strerror(spawn_err));
  close(err_pipe[1]);
  if (out_pipe[1] >= 0) close(out_pipe[1]);
  if (in_pipe[0] >= 0) close(in_pipe[0]);
  set_nonblock(err_pipe[0]);
  if (out_pipe[0] >= 0) set_nonblock(out_pipe[0]);

  int master = -1;
  int status = wait_runtime(runtime_pid, sig_fd, console_fd, &master);
  if (opt.terminal) {
    close(console_fd);
    unlink(console_path);
  }

  /* 4. report */
  char text[BUF_SIZE];
  if (status != 0) {
    read_tail(err_pipe[0], text, sizeof text);
    fail("%s", text[0] ? text : "the runtime failed and said nothing");
  }
  if (opt.terminal && master < 0) fail("the runtime sent no terminal on the console socket");
  if (read_file(opt.container_pidfile, text, sizeof text) <= 0 || atoi(text) <= 0)
    fail("the runtime wrote no container pid to %s", opt.container_pidfile);
  pid_t container = (pid_t)atoi(text);
  watch_oom(container);
  if (master >= 0) set_nonblock(master);
  if (sync_fd >= 0) {
    char msg[64];
    int len = snprintf(msg, sizeof msg, "{\"data\": %d}\n", (int)container);
    if (write_all(sync_fd, msg, (size_t)len) != 0) {
      /* the starter gave up (timed out, or is gone): nobody will own this container */
      kill(container, SIGKILL);
      _exit(1);
    }
    close(sync_fd);
    sync_fd = -1;
  }
  null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    if (null_fd > 2) close(null_fd);
  }

  /* 5. the container's life */
  int stdout_fd = opt.terminal ? master : out_pipe[0];
  int stderr_fd = opt.terminal ? -1 : err_pipe[0];
  if (opt.terminal) close(err_pipe[0]);
  int stdin_fd = opt.terminal ? (master >= 0 ? master : -1) : in_pipe[1];
  if (stdin_fd >= 0) set_nonblock(stdin_fd);
  int exited = 0, exit_status = 0, sweep = 1;
  struct timespec exited_at = {0};
  char buf[BUF_SIZE];
  for (;;) {
    if (exited) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      long ms = (now.tv_sec - exited_at.tv_sec) * 1000 + (now.tv_nsec - exited_at.tv_nsec) / 1000000;
      /* drained: the pipes' ends reached and every client served (or the time is up) */
      if ((stdout_fd < 0 && stderr_fd < 0 && !clients_behind()) || ms >= DRAIN_MS) break;
    }
    struct pollfd p[7 + MAX_CLIENTS];
    int np = 0;
    /* input waiting for the container: no more is read from clients while a lot is */
    int taking_input = in_len < STDIN_BUF_MAX;
    p[np++] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
    p[np++] = (struct pollfd){.fd = stdout_fd, .events = POLLIN};
    p[np++] = (struct pollfd){.fd = stderr_fd, .events = POLLIN};
    p[np++] = (struct pollfd){.fd = exited || attach_paused ? -1 : attach_fd, .events = POLLIN};
    p[np++] = (struct pollfd){.fd = exited ? -1 : ctl_fd, .events = POLLIN};
    p[np++] = (struct pollfd){.fd = exited ? -1 : oom_watch_fd, .events = POLLIN};
    p[np++] = (struct pollfd){.fd = !exited && in_len > 0 ? stdin_fd : -1, .events = POLLOUT};
    /* clients: input while it is taken (not after the exit), and room for the output they are behind on */
    for (int i = 0; i < n_clients; i++) {
      short ev = (short)((exited || !taking_input ? 0 : POLLIN) | (clients[i].q_len > clients[i].q_off ? POLLOUT : 0));
      p[np++] = (struct pollfd){.fd = ev ? clients[i].fd : -1, .events = ev};
    }
    if (!sweep && poll(p, (nfds_t)np, exited ? 50 : -1) < 0) {
      if (errno == EINTR) continue;
      _exit(2); /* cannot watch the container: no exit status is better than a wrong one */
    }
    if (sweep || p[0].revents) {
      /* the first time round: the container may have exited while the runtime ran */
      if (sweep) {
        sweep = 0;
        for (int i = 0; i < np; i++) p[i].revents = 0;
      }
      struct signalfd_siginfo si;
      while (read(sig_fd, &si, sizeof si) > 0) {
      }
      int st = 0;
      pid_t pid;
      while ((pid = waitpid(-1, &st, WNOHANG | __WALL)) > 0)
        if (pid == container && !exited) {
          exited = 1;
          exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
          clock_gettime(CLOCK_MONOTONIC, &exited_at);
        }
    }
    for (int k = 1; k <= 2; k++) {
      int *fd = k == 1 ? &stdout_fd : &stderr_fd;
      if (*fd < 0 || !p[k].revents) continue;
      ssize_t got = read(*fd, buf, sizeof buf);
      if (got > 0) {
        int stream = k == 1 ? STDOUT_PIPE : STDERR_PIPE;
        write_log(stream, buf, (size_t)got);
        send_to_clients(stream, buf, (size_t)got);
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        /* end of output (EIO: the terminal's last user is gone); the master stays for stdin */
        if (*fd != master) close(*fd);
        *fd = -1;
      }
    }
    if (p[3].revents) {
      int c = accept4(attach_fd, NULL, NULL, SOCK_CLOEXEC);
      if (c >= 0 && n_clients < MAX_CLIENTS) {
        clients[n_clients++] = (struct client){.fd = c};
      } else if (c >= 0) {
        close(c);
      } else if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
        attach_paused = 1; /* no spinning on a socket that stays readable: again once a client goes */
      }
    }
    if (p[4].revents) {
      char line[256];
      ssize_t got = read(ctl_fd, line, sizeof line - 1);
      if (got > 0) {
        line[got] = '\0';
        for (char *l = strtok(line, "\n"); l; l = strtok(NULL, "\n")) {
          int type = 0, height = 0, width = 0;
          int fields = sscanf(l, "%d %d %d", &type, &height, &width);
          if (fields < 1) continue;
          if (type == 1 && fields == 3 && master >= 0) {
            struct winsize ws = {.ws_row = (unsigned short)height, .ws_col = (unsigned short)width};
            ioctl(master, TIOCSWINSZ, &ws);
          } else if (type == 2) {
            open_log();
          }
        }
      }
    }
    if (p[5].revents) {
      char drain[256];
      while (read(oom_watch_fd, drain, sizeof drain) > 0) {
      }
      /* v1: the event is the OOM; v2: memory.events changed, look at its count */
      if (oom_counter_path[0] && (strstr(oom_counter_path, "memory.events") == NULL || oom_killed())) note_oom();
    }
    if (p[6].revents && stdin_fd >= 0 && flush_stdin(stdin_fd) != 0 && stdin_fd != master) {
      close(stdin_fd);
      stdin_fd = -1;
    }
    for (int i = np - 1; i >= 7; i--) {
      if (!p[i].revents) continue;
      int ci = i - 7;
      /* send_to_clients above may have dropped (and moved) clients since the poll */
      if (ci >= n_clients || clients[ci].fd != p[i].fd) continue;
      if ((p[i].revents & POLLOUT) && flush_client(&clients[ci]) != 0) {
        drop_client(ci);
        continue;
      }
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = recv(clients[ci].fd, buf, sizeof buf, MSG_DONTWAIT);
      if (got > 0) {
        if (stdin_fd >= 0 && queue_stdin(stdin_fd, buf, (size_t)got) != 0 && stdin_fd != master) {
          close(stdin_fd);
          stdin_fd = -1;
        }
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        drop_client(ci);
        if (opt.stdin_open && !opt.leave_stdin_open && stdin_fd >= 0 && stdin_fd != master) {
          close(stdin_fd);
          stdin_fd = -1;
        }
      }
    }
  }

  /* 6. the end: the control files go (nobody may block on a FIFO without a reader, or attach to a
     socket nobody serves), the oom marker, then the exit status */
  unlink(ctl_path);
  if (opt.socket_dir) {
    char link_path[PATH_MAX], attach_path[PATH_MAX];
    path_join(attach_path, sizeof attach_path, opt.bundle, "attach");
    unlink(attach_path);
    path_join(link_path, sizeof link_path, opt.socket_dir, opt.attach_id);
    unlink(link_path);
  }
  if (oom_killed()) note_oom();
  char code[32], path[PATH_MAX];
  snprintf(code, sizeof code, "%d", exit_status);
  path_join(path, sizeof path, opt.persist_dir, "exit");
  write_file(path, code);
  if (opt.exit_dir) {
    path_join(path, sizeof path, opt.exit_dir, opt.id);
    write_file(path, code);
  }
  for (int i = 0; i < n_clients; i++) close(clients[i].fd);
  return 0;
}
