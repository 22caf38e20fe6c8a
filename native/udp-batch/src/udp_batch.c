// skiff-udp-batch: batched datagram I/O for a UDP server in Node.js (Linux).
//
// A channel is one non-blocking UDP socket bound by open() and watched by a libuv poll handle on
// the loop of the calling Node.js environment (napi_get_uv_event_loop). When the socket is
// readable, up to BATCH datagrams are taken with one recvmmsg(2) and handed to JavaScript in ONE
// call, onBatch(batch, count), packed into one new Buffer:
//
//   batch = count records of RECORD_BYTES, then the datagrams' bytes
//   record i (little-endian): u32 offset of datagram i in batch, u32 its length,
//                             u32 peer address length, PEER_BYTES of the peer's sockaddr
//
// The batch Buffer belongs to JavaScript (it may keep subarrays of it). onBatch writes replies
// into the `out` Buffer given to open() in the same record layout (offset and length into `out`,
// the peer copied from the query's record) and returns how many it wrote; they leave with one
// sendmmsg(2) after it returns. flush(ch, n) sends n records of `out` at once (when `out` is full
// mid-batch); sendTo(ch, data, peer) sends one datagram (a reply that is ready later).
//
// A readable socket is drained by at most MAX_BATCHES_PER_WAKEUP batches before the loop gets
// control back, so timers and other sockets are not starved. Each onBatch runs through
// napi_make_callback, so promise jobs and process.nextTick callbacks queued by it run after it, as
// they do after a node:dgram 'message' event. An exception thrown by onBatch is reported as an
// uncaught exception (as from an event handler).
//
// close(ch) stops the poll handle and closes the socket before it returns (the port is free at
// once); the memory goes when libuv has closed the handle and JavaScript has dropped the channel.
// A send on a closed channel is ignored. A datagram that cannot be sent (EAGAIN with a full send
// buffer, an unreachable peer) is dropped and counted in stats().sendErrors, as UDP allows.
#include <node_api.h>
#include <uv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SLOT_BYTES 65536 /* larger than any UDP payload, so no datagram is cut */
#define PEER_BYTES 28    /* sizeof(struct sockaddr_in6), the largest peer we serve */
#define RECORD_BYTES 40  /* 4 + 4 + 4 + PEER_BYTES */
#define MAX_BATCHES_PER_WAKEUP 16

typedef struct {
  napi_env env;
  uv_poll_t poll;
  int fd;
  int closed;        /* close() ran: no more reads or sends */
  int handle_closed; /* libuv is done with poll */
  int finalized;     /* JavaScript dropped the channel object */
  napi_ref on_batch;
  napi_ref out_ref;
  napi_async_context async;
  uint8_t *out;
  size_t out_len;
  uint8_t *slots;
  struct mmsghdr rmsg[BATCH];
  struct iovec riov[BATCH];
  struct sockaddr_in6 rpeer[BATCH];
  struct mmsghdr smsg[BATCH];
  struct iovec siov[BATCH];
  double datagrams, batches, replies, send_errors;
} channel;

static uint32_t get_u32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

/* Throws an Error with .code (errno name, as Node's) and .syscall; returns NULL for the caller to return. */
static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_value msg, code, error, sc;
  char text[256];
  snprintf(text, sizeof text, "%s %s: %s", syscall, uv_err_name(uv_translate_sys_error(err)), strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, uv_err_name(uv_translate_sys_error(err)), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_set_named_property(env, error, "code", code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static void free_if_done(channel *c) {
  if (c->handle_closed && c->finalized) {
    free(c->slots);
    free(c);
  }
}

static void on_handle_closed(uv_handle_t *h) {
  channel *c = h->data;
  c->handle_closed = 1;
  free_if_done(c);
}

/* Stops reading, closes the socket and drops the references to JavaScript values. */
static void close_channel(channel *c) {
  if (c->closed) return;
  c->closed = 1;
  uv_close((uv_handle_t *)&c->poll, on_handle_closed); /* stops polling now (the fd leaves epoll), frees later */
  close(c->fd);
  c->fd = -1;
  if (c->on_batch) napi_delete_reference(c->env, c->on_batch);
  if (c->out_ref) napi_delete_reference(c->env, c->out_ref);
  if (c->async) napi_async_destroy(c->env, c->async);
  c->on_batch = c->out_ref = NULL;
  c->async = NULL;
  c->out = NULL;
}

static void on_finalize(napi_env env, void *data, void *hint) {
  channel *c = data;
  close_channel(c);
  c->finalized = 1;
  free_if_done(c);
}

/* Sends `count` records of `out` with sendmmsg; records that do not fit in `out` are skipped. */
static void send_records(channel *c, uint32_t count) {
  uint32_t i = 0;
  while (i < count && !c->closed) {
    int k = 0;
    for (; k < BATCH && i + k < count; k++) {
      const uint8_t *r = c->out + (size_t)(i + k) * RECORD_BYTES;
      uint32_t off = get_u32(r), len = get_u32(r + 4), alen = get_u32(r + 8);
      if ((size_t)(i + k + 1) * RECORD_BYTES > c->out_len || off > c->out_len || len > c->out_len - off || alen > PEER_BYTES) alen = 0, len = 0;
      c->siov[k].iov_base = c->out + off;
      c->siov[k].iov_len = len;
      memset(&c->smsg[k].msg_hdr, 0, sizeof c->smsg[k].msg_hdr);
      c->smsg[k].msg_hdr.msg_name = (void *)(r + 12);
      c->smsg[k].msg_hdr.msg_namelen = alen;
      c->smsg[k].msg_hdr.msg_iov = &c->siov[k];
      c->smsg[k].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(c->fd, c->smsg, k, MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) { /* send buffer full: the rest of this batch is dropped */
        c->send_errors += k;
        i += k;
      } else { /* this one datagram cannot go (bad peer, unreachable): drop it, go on */
        c->send_errors += 1;
        i += 1;
      }
      continue;
    }
    c->replies += sent;
    i += sent;
  }
}

/* One batch of `n` received datagrams to JavaScript, then its replies out. */
static void deliver(channel *c, int n) {
  napi_env env = c->env;
  size_t total = (size_t)n * RECORD_BYTES;
  for (int i = 0; i < n; i++) total += c->rmsg[i].msg_len;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  void *data;
  napi_value batch, argv[2], fn, recv, result;
  if (napi_create_buffer(env, total, &data, &batch) != napi_ok) goto done;
  uint8_t *p = data, *body = p + (size_t)n * RECORD_BYTES;
  uint32_t at = (uint32_t)n * RECORD_BYTES;
  for (int i = 0; i < n; i++) {
    uint8_t *r = p + (size_t)i * RECORD_BYTES;
    uint32_t len = c->rmsg[i].msg_len, alen = c->rmsg[i].msg_hdr.msg_namelen;
    if (alen > PEER_BYTES) alen = PEER_BYTES;
    put_u32(r, at);
    put_u32(r + 4, len);
    put_u32(r + 8, alen);
    memset(r + 12, 0, PEER_BYTES);
    memcpy(r + 12, &c->rpeer[i], alen);
    memcpy(body, c->slots + (size_t)i * SLOT_BYTES, len);
    body += len;
    at += len;
  }
  napi_create_uint32(env, (uint32_t)n, &argv[1]);
  argv[0] = batch;
  napi_get_reference_value(env, c->on_batch, &fn);
  napi_get_global(env, &recv); /* napi_make_callback wants an object as `this` */
  napi_status st = napi_make_callback(env, c->async, recv, fn, 2, argv, &result);
  if (st == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
    goto done;
  }
  uint32_t replies = 0;
  if (st == napi_ok && !c->closed && napi_get_value_uint32(env, result, &replies) == napi_ok && replies > 0) send_records(c, replies);
done:
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  channel *c = h->data;
  if (status < 0) return;
  for (int round = 0; round < MAX_BATCHES_PER_WAKEUP && !c->closed; round++) {
    for (int i = 0; i < BATCH; i++) {
      c->rmsg[i].msg_hdr.msg_namelen = sizeof c->rpeer[i];
      c->rmsg[i].msg_hdr.msg_flags = 0;
      c->rmsg[i].msg_len = 0;
    }
    int n = recvmmsg(c->fd, c->rmsg, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return; /* EAGAIN: drained; another error was consumed by the read */
    c->datagrams += n;
    c->batches += 1;
    deliver(c, n);
    if (n < BATCH) return;
  }
}

static int parse_address(const char *host, uint32_t port, int family, struct sockaddr_storage *sa, socklen_t *len) {
  memset(sa, 0, sizeof *sa);
  if (family == 6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    *len = sizeof *s6;
    return inet_pton(AF_INET6, host, &s6->sin6_addr) == 1 ? 0 : -1;
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
  s4->sin_family = AF_INET;
  s4->sin_port = htons((uint16_t)port);
  *len = sizeof *s4;
  return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
}

static int get_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t got;
  return napi_get_value_string_utf8(env, v, buf, size, &got) == napi_ok ? 0 : -1;
}

static channel *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_unwrap(env, v, &p) != napi_ok) return NULL;
  return p;
}

/*
 * The arguments of a call on a channel: up to `capacity` into argv, the channel from argv[0].
 * NULL, with a TypeError `usage` thrown, when fewer than `need` arguments came or the first is no
 * channel.
 */
static channel *channel_call(napi_env env, napi_callback_info info, napi_value *argv, size_t capacity, size_t need, const char *usage) {
  size_t argc = capacity;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  channel *c = argc >= need ? unwrap(env, argv[0]) : NULL;
  if (!c) throw_type(env, usage);
  return c;
}

/* open(family 4|6, host (IP literal), port, recvBufferBytes (0 = system default), out Buffer, onBatch) → channel */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6], self;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) return throw_type(env, "open(family, host, port, recvBufferBytes, out, onBatch)");
  uint32_t family, port, rcvbuf;
  char host[64];
  bool is_buffer;
  napi_valuetype fn_type;
  if (napi_get_value_uint32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) return throw_type(env, "family must be 4 or 6");
  if (get_string(env, argv[1], host, sizeof host) != 0) return throw_type(env, "host must be a string");
  if (napi_get_value_uint32(env, argv[2], &port) != napi_ok || port > 65535) return throw_type(env, "port must be 0..65535");
  if (napi_get_value_uint32(env, argv[3], &rcvbuf) != napi_ok) return throw_type(env, "recvBufferBytes must be a number");
  napi_is_buffer(env, argv[4], &is_buffer);
  if (!is_buffer) return throw_type(env, "out must be a Buffer");
  napi_typeof(env, argv[5], &fn_type);
  if (fn_type != napi_function) return throw_type(env, "onBatch must be a function");
  void *out;
  size_t out_len;
  napi_get_buffer_info(env, argv[4], &out, &out_len);

  struct sockaddr_storage sa;
  socklen_t sa_len;
  if (parse_address(host, port, (int)family, &sa, &sa_len) != 0) return throw_type(env, "host must be an IP literal of the family");
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf); /* capped by net.core.rmem_max */
  if (bind(fd, (struct sockaddr *)&sa, sa_len) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }

  channel *c = calloc(1, sizeof *c);
  uint8_t *slots = c ? malloc((size_t)BATCH * SLOT_BYTES) : NULL;
  if (!slots) {
    free(c);
    close(fd);
    return throw_errno(env, ENOMEM, "malloc");
  }
  c->env = env;
  c->fd = fd;
  c->slots = slots;
  c->out = out;
  c->out_len = out_len;
  for (int i = 0; i < BATCH; i++) {
    c->riov[i].iov_base = slots + (size_t)i * SLOT_BYTES;
    c->riov[i].iov_len = SLOT_BYTES;
    c->rmsg[i].msg_hdr.msg_name = &c->rpeer[i];
    c->rmsg[i].msg_hdr.msg_iov = &c->riov[i];
    c->rmsg[i].msg_hdr.msg_iovlen = 1;
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &c->poll, fd);
  if (rc != 0) {
    close(fd);
    free(slots);
    free(c);
    return throw_errno(env, -rc, "uv_poll_init");
  }
  c->poll.data = c;
  napi_value resource_name;
  napi_create_string_utf8(env, "SkiffUdpBatch", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &c->async);
  napi_create_reference(env, argv[5], 1, &c->on_batch);
  napi_create_reference(env, argv[4], 1, &c->out_ref);
  napi_create_object(env, &self);
  napi_wrap(env, self, c, on_finalize, NULL, NULL);
  uv_poll_start(&c->poll, UV_READABLE, on_readable);
  return self;
}

/* flush(ch, count): sends `count` records of `out` now. */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  channel *c = channel_call(env, info, argv, 2, 1, "not a channel");
  uint32_t count;
  if (!c) return NULL;
  if (napi_get_value_uint32(env, argv[1], &count) != napi_ok) return throw_type(env, "count must be a number");
  if (!c->closed) send_records(c, count);
  return NULL;
}

/* sendTo(ch, data Buffer, peer Buffer (u32 address length + sockaddr, as in a record from byte 8)) */
static napi_value js_send_to(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  channel *c = channel_call(env, info, argv, 3, 3, "sendTo(ch, data, peer)");
  if (!c) return NULL;
  void *data, *peer;
  size_t len, plen;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok || napi_get_buffer_info(env, argv[2], &peer, &plen) != napi_ok) return throw_type(env, "data and peer must be Buffers");
  if (plen < 4 || get_u32(peer) > PEER_BYTES || plen < 4 + get_u32(peer)) return throw_type(env, "bad peer");
  if (c->closed) return NULL;
  ssize_t r;
  do r = sendto(c->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)((uint8_t *)peer + 4), get_u32(peer));
  while (r < 0 && errno == EINTR);
  if (r < 0) c->send_errors += 1;
  else c->replies += 1;
  return NULL;
}

/* peer(host, port) → Buffer(4 + PEER_BYTES): the address in the layout of a record's peer field */
static napi_value js_peer(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char host[64];
  uint32_t port;
  if (argc < 2 || get_string(env, argv[0], host, sizeof host) != 0 || napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535) return throw_type(env, "peer(host, port)");
  struct sockaddr_storage sa;
  socklen_t sa_len;
  if (parse_address(host, port, strchr(host, ':') ? 6 : 4, &sa, &sa_len) != 0) return throw_type(env, "host must be an IP literal");
  void *data;
  napi_create_buffer(env, 4 + PEER_BYTES, &data, &result);
  memset(data, 0, 4 + PEER_BYTES);
  put_u32(data, (uint32_t)sa_len);
  memcpy((uint8_t *)data + 4, &sa, sa_len);
  return result;
}

/* localPort(ch) → the bound port */
static napi_value js_local_port(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  channel *c = channel_call(env, info, argv, 1, 1, "not a channel");
  if (!c) return NULL;
  if (c->closed) return throw_errno(env, EBADF, "getsockname");
  struct sockaddr_storage sa;
  socklen_t len = sizeof sa;
  if (getsockname(c->fd, (struct sockaddr *)&sa, &len) != 0) return throw_errno(env, errno, "getsockname");
  uint16_t port = sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port : ((struct sockaddr_in *)&sa)->sin_port;
  napi_create_uint32(env, ntohs(port), &result);
  return result;
}

static void set_number(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  napi_create_double(env, v, &n);
  napi_set_named_property(env, obj, name, n);
}

/* stats(ch) → { datagrams, batches, replies, sendErrors } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], result;
  channel *c = channel_call(env, info, argv, 1, 1, "not a channel");
  if (!c) return NULL;
  napi_create_object(env, &result);
  set_number(env, result, "datagrams", c->datagrams);
  set_number(env, result, "batches", c->batches);
  set_number(env, result, "replies", c->replies);
  set_number(env, result, "sendErrors", c->send_errors);
  return result;
}

/* close(ch): idempotent */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  channel *c = channel_call(env, info, argv, 1, 1, "not a channel");
  if (!c) return NULL;
  close_channel(c);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"peer", NULL, js_peer, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localPort", NULL, js_local_port, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value constants;
  napi_create_object(env, &constants);
  set_number(env, constants, "BATCH", BATCH);
  set_number(env, constants, "RECORD_BYTES", RECORD_BYTES);
  set_number(env, constants, "PEER_BYTES", PEER_BYTES);
  napi_set_named_property(env, exports, "constants", constants);
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
