// watch-client: N HTTPS watch streams on one epoll loop, timing each event's arrival. bench:api's
// watch-latency figure uses it so that receiving 100 streams costs the 2-core machine as little
// CPU as it can (Node spent ~45 µs per received event; this program spends a fraction of that),
// as wrk does for the create rate. bench/watch-client.ts builds and runs it.
//
// Usage: watch-client PORT CA_FILE PATH N   (token in $WATCH_TOKEN)
// It opens N connections to 127.0.0.1:PORT (TLS verified against CA_FILE for the name
// "localhost"), sends `GET PATH` with the bearer token on each, and prints "ready" once every
// stream answered 200. Then, for every event line that carries `"sent":"T"` (T: CLOCK_MONOTONIC
// in ms, as Node's process.hrtime gives it), it records now - T at the moment the line was read
// off its socket. When stdin closes, it prints "events COUNT", one latency per line in ms, and
// exits. Any error (connect, TLS, a status other than 200, a stream that ends) exits non-zero
// with a message on stderr.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES (1 << 20)

struct stream {
  int fd;
  SSL *ssl;
  int headers_done;
  // chunked transfer decoding: 0 = reading a size line, 1 = in a chunk's data, 2 = after data (CRLF)
  int state;
  size_t chunk_left;
  char size_line[32];
  size_t size_len;
  char *line;  // the event line being assembled
  size_t line_len;
  char head[8192];  // response headers
  size_t head_len;
};

static double *latencies;
static size_t latency_count, latency_cap;

static void die(const char *what) {
  fprintf(stderr, "watch-client: %s", what);
  unsigned long e = ERR_get_error();
  if (e) fprintf(stderr, ": %s", ERR_error_string(e, NULL));
  else if (errno) fprintf(stderr, ": %s", strerror(errno));
  fputc('\n', stderr);
  exit(1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void record(double ms) {
  if (latency_count == latency_cap) {
    latency_cap = latency_cap ? latency_cap * 2 : 65536;
    latencies = realloc(latencies, latency_cap * sizeof *latencies);
    if (!latencies) die("out of memory");
  }
  latencies[latency_count++] = ms;
}

// One complete event line: its latency when it carries "sent":"T".
static void on_line(const char *line, size_t len, double at) {
  static const char key[] = "\"sent\":\"";
  const char *p = memmem(line, len, key, sizeof key - 1);
  if (!p) return;
  record(at - strtod(p + sizeof key - 1, NULL));
}

// Decodes chunked body bytes into lines.
static void on_body(struct stream *s, const char *data, size_t len, double at) {
  size_t i = 0;
  while (i < len) {
    if (s->state == 0) {
      char c = data[i++];
      if (c == '\n') {
        s->size_line[s->size_len] = 0;
        s->chunk_left = strtoul(s->size_line, NULL, 16);
        s->size_len = 0;
        if (s->chunk_left == 0) die("a watch stream ended");
        s->state = 1;
      } else if (c != '\r') {
        if (s->size_len + 1 >= sizeof s->size_line) die("bad chunk size line");
        s->size_line[s->size_len++] = c;
      }
    } else if (s->state == 1) {
      size_t n = len - i < s->chunk_left ? len - i : s->chunk_left;
      for (size_t k = 0; k < n; k++) {
        char c = data[i + k];
        if (c == '\n') {
          on_line(s->line, s->line_len, at);
          s->line_len = 0;
        } else {
          if (s->line_len >= LINE_MAX_BYTES) die("event line too long");
          s->line[s->line_len++] = c;
        }
      }
      i += n;
      s->chunk_left -= n;
      if (s->chunk_left == 0) s->state = 2;
    } else {
      if (data[i++] == '\n') s->state = 0;
    }
  }
}

// Reads what the stream has; returns 1 once its headers were seen (a 200).
static int on_readable(struct stream *s) {
  char buf[65536];
  for (;;) {
    int n = SSL_read(s->ssl, buf, sizeof buf);
    if (n <= 0) {
      int err = SSL_get_error(s->ssl, n);
      if (err == SSL_ERROR_WANT_READ) return s->headers_done;
      die("a watch stream failed or closed");
    }
    double at = now_ms();
    size_t off = 0;
    if (!s->headers_done) {
      size_t room = sizeof s->head - 1 - s->head_len;
      size_t take = (size_t)n < room ? (size_t)n : room;
      memcpy(s->head + s->head_len, buf, take);
      s->head_len += take;
      s->head[s->head_len] = 0;
      char *end = strstr(s->head, "\r\n\r\n");
      if (!end) {
        if (s->head_len == sizeof s->head - 1) die("response headers too long");
        continue;
      }
      if (strncmp(s->head, "HTTP/1.1 200", 12) != 0) {
        fprintf(stderr, "watch-client: watch answered %.*s\n", (int)(strchr(s->head, '\r') - s->head), s->head);
        exit(1);
      }
      s->headers_done = 1;
      size_t head_bytes = (size_t)(end + 4 - s->head);
      off = take - (s->head_len - head_bytes);
    }
    on_body(s, buf + off, (size_t)n - off, at);
    // Nothing decrypted is left: stop here rather than spend a read() on EAGAIN. The socket is
    // watched level-triggered, so bytes still in the kernel wake the loop again.
    if ((size_t)n < sizeof buf && SSL_pending(s->ssl) == 0) return s->headers_done;
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: watch-client PORT CA_FILE PATH N  (token in $WATCH_TOKEN)\n");
    return 2;
  }
  int port = atoi(argv[1]);
  const char *ca = argv[2], *path = argv[3];
  int n = atoi(argv[4]);
  const char *token = getenv("WATCH_TOKEN");
  if (port <= 0 || n <= 0 || !token) die("bad arguments");

  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) die("loading the CA");
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

  char request[4096];
  int request_len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nAccept: application/json\r\n\r\n", path, token);
  if (request_len <= 0 || (size_t)request_len >= sizeof request) die("request too long");

  int ep = epoll_create1(0);
  struct stream *streams = calloc((size_t)n, sizeof *streams);
  if (ep < 0 || !streams) die("setup");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; i++) {
    struct stream *s = &streams[i];
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("connect");
    int one = 1;
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->ssl = SSL_new(ctx);
    s->line = malloc(LINE_MAX_BYTES);
    if (!s->ssl || !s->line) die("setup");
    SSL_set_fd(s->ssl, s->fd);
    SSL_set_tlsext_host_name(s->ssl, "localhost");
    SSL_set1_host(s->ssl, "localhost");
    if (SSL_connect(s->ssl) != 1) die("TLS handshake");
    if (SSL_write(s->ssl, request, request_len) != request_len) die("sending the request");
    fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) != 0) die("epoll_ctl");
  }
  struct epoll_event in = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &in) != 0) die("epoll_ctl stdin");

  int ready = 0;
  struct epoll_event events[256];
  for (;;) {
    int k = epoll_wait(ep, events, 256, -1);
    if (k < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int e = 0; e < k; e++) {
      struct stream *s = events[e].data.ptr;
      if (!s) {
        char b[256];
        if (read(0, b, sizeof b) > 0) continue;
        printf("events %zu\n", latency_count);
        for (size_t i = 0; i < latency_count; i++) printf("%.3f\n", latencies[i]);
        return 0;
      }
      int was = s->headers_done;
      if (on_readable(s) && !was && ++ready == n) {
        printf("ready\n");
        fflush(stdout);
      }
    }
  }
}
