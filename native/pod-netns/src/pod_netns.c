/*
 * skiff-pod-netns: makes a pod sandbox's namespaces and the pod side of its network without
 * starting a program. skiff's pod network (src/network/pod-network.ts) otherwise runs
 * `unshare --net=F --uts=F --ipc=F ip -batch -` per pod: two execs (and unshare's fork), ~2 ms
 * of CPU in the dynamic loader and process set-up alone, besides the kernel's own work, which
 * stays the same here.
 *
 * setUp(o, done): on a thread of its own (namespaces are per thread, and this one ends with the
 * work; done is called on the JavaScript thread), one unshare(2) of a new network namespace (and UTS / IPC namespaces when o.uts / o.ipc
 * name files), each bind-mounted on its (existing) file as `ip netns add` and util-linux
 * `unshare --net=FILE` do; then over rtnetlink, inside the new namespace, exactly what the ip
 * batch does:
 *   link add name o.podIf [mtu o.mtu] type veth peer name o.hostVeth [mtu o.mtu] netns o.nodeNetns
 *   link set dev lo up
 *   addr add o.address/o.prefixLength dev o.podIf
 *   link set dev o.podIf up
 *   route add default via o.gateway dev o.podIf
 * and, when o.bridge names the node's bridge, the host side in the node's network namespace
 * (over a netlink socket opened there before the unshare; o.nodeNetns must then be the calling
 * process's own network namespace, where the bridge is looked up), as the node-side ip batch does:
 *   link set dev o.hostVeth master o.bridge
 *   link set dev o.hostVeth type bridge_slave hairpin on
 *   link set dev o.hostVeth up
 * done(null) on success, done(message) on the first failure ("step: strerror"); what was made
 * before the failure stays (the caller removes the namespace files and the veth, as after a
 * failed ip batch). o: { netns, uts?, ipc?, nodeNetns, podIf, hostVeth, address, prefixLength,
 * gateway, mtu, bridge? } (mtu 0: the kernel's). The export `hostSide` (true) tells callers that
 * this build does the host side. Linux only.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#define PATH_BYTES 4096
#define NAME_BYTES IFNAMSIZ

typedef struct {
  char netns[PATH_BYTES], uts[PATH_BYTES], ipc[PATH_BYTES], node_netns[PATH_BYTES];
  char pod_if[NAME_BYTES], host_veth[NAME_BYTES], bridge[NAME_BYTES];
  struct in_addr address, gateway;
  uint32_t prefix_length, mtu;
  char error[PATH_BYTES + 256];
  napi_threadsafe_function done;
} request;

/* ---- a netlink message under construction ---- */

typedef struct {
  char buf[1024];
  struct nlmsghdr *h;
} message;

static void *msg_start(message *m, uint16_t type, uint16_t flags, size_t body) {
  memset(m->buf, 0, sizeof m->buf);
  m->h = (struct nlmsghdr *)m->buf;
  m->h->nlmsg_type = type;
  m->h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  m->h->nlmsg_len = NLMSG_LENGTH(body);
  return NLMSG_DATA(m->h);
}

static struct rtattr *attr_put(message *m, uint16_t type, const void *data, size_t len) {
  struct rtattr *a = (struct rtattr *)(m->buf + NLMSG_ALIGN(m->h->nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) {
    if (data) memcpy(RTA_DATA(a), data, len);
    else memset(RTA_DATA(a), 0, len); /* a header filled in by the caller */
  }
  m->h->nlmsg_len = NLMSG_ALIGN(m->h->nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}

/* Closes a nested attribute opened by attr_put(m, type, NULL, 0). */
static void attr_end(message *m, struct rtattr *nest) {
  nest->rta_len = (unsigned short)((m->buf + m->h->nlmsg_len) - (char *)nest);
}

/* Sends the message and reads its acknowledgement; 0, or the negative errno the kernel gave. */
static int talk(int fd, message *m) {
  static uint32_t seq;
  m->h->nlmsg_seq = ++seq;
  if (send(fd, m->buf, m->h->nlmsg_len, 0) < 0) return -errno;
  char reply[4096];
  for (;;) {
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != m->h->nlmsg_seq || h->nlmsg_type != NLMSG_ERROR) continue;
      return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
}

static int fail(request *r, const char *step, int err) {
  snprintf(r->error, sizeof r->error, "%s: %s", step, strerror(err));
  return -1;
}

/* RTM_NEWLINK setting IFF_UP on `index`. */
static int link_up(int fd, int index) {
  message m;
  struct ifinfomsg *i = msg_start(&m, RTM_NEWLINK, 0, sizeof *i);
  i->ifi_family = AF_UNSPEC;
  i->ifi_index = index;
  i->ifi_flags = IFF_UP;
  i->ifi_change = IFF_UP;
  return talk(fd, &m);
}

/* The veth pair: r->pod_if in this namespace, r->host_veth born in the namespace of `node_fd`. */
static int add_veth(int fd, const request *r, int node_fd) {
  message m;
  struct ifinfomsg *i = msg_start(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *i);
  i->ifi_family = AF_UNSPEC;
  attr_put(&m, IFLA_IFNAME, r->pod_if, strlen(r->pod_if) + 1);
  if (r->mtu) attr_put(&m, IFLA_MTU, &r->mtu, sizeof r->mtu);
  struct rtattr *info = attr_put(&m, IFLA_LINKINFO, NULL, 0);
  attr_put(&m, IFLA_INFO_KIND, "veth", 5);
  struct rtattr *data = attr_put(&m, IFLA_INFO_DATA, NULL, 0);
  struct rtattr *peer = attr_put(&m, VETH_INFO_PEER, NULL, sizeof(struct ifinfomsg));
  ((struct ifinfomsg *)RTA_DATA(peer))->ifi_family = AF_UNSPEC;
  attr_put(&m, IFLA_IFNAME, r->host_veth, strlen(r->host_veth) + 1);
  if (r->mtu) attr_put(&m, IFLA_MTU, &r->mtu, sizeof r->mtu);
  uint32_t ns = (uint32_t)node_fd;
  attr_put(&m, IFLA_NET_NS_FD, &ns, sizeof ns);
  attr_end(&m, peer);
  attr_end(&m, data);
  attr_end(&m, info);
  return talk(fd, &m);
}

/* r->address/r->prefix_length on interface `index`. */
static int add_address(int fd, const request *r, int index) {
  message m;
  struct ifaddrmsg *a = msg_start(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *a);
  a->ifa_family = AF_INET;
  a->ifa_prefixlen = (unsigned char)r->prefix_length;
  a->ifa_index = (unsigned)index;
  attr_put(&m, IFA_LOCAL, &r->address, sizeof r->address);
  attr_put(&m, IFA_ADDRESS, &r->address, sizeof r->address);
  return talk(fd, &m);
}

/* The default route via r->gateway out of interface `index`. */
static int add_default_route(int fd, const request *r, int index) {
  message m;
  struct rtmsg *rt = msg_start(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  attr_put(&m, RTA_GATEWAY, &r->gateway, sizeof r->gateway);
  uint32_t oif = (uint32_t)index;
  attr_put(&m, RTA_OIF, &oif, sizeof oif);
  return talk(fd, &m);
}

/* RTM_NEWLINK on the link named r->host_veth (looked up by name in the socket's namespace). */
static struct ifinfomsg *host_link_msg(message *m, const request *r) {
  struct ifinfomsg *i = msg_start(m, RTM_NEWLINK, 0, sizeof *i);
  i->ifi_family = AF_UNSPEC;
  attr_put(m, IFLA_IFNAME, r->host_veth, strlen(r->host_veth) + 1);
  return i;
}

/* link set dev r->host_veth master (index `bridge`) */
static int host_master(int fd, const request *r, int bridge) {
  message m;
  host_link_msg(&m, r);
  uint32_t master = (uint32_t)bridge;
  attr_put(&m, IFLA_MASTER, &master, sizeof master);
  return talk(fd, &m);
}

/* link set dev r->host_veth type bridge_slave hairpin on (a pod reaching itself through a Service VIP) */
static int host_hairpin(int fd, const request *r) {
  message m;
  host_link_msg(&m, r);
  struct rtattr *info = attr_put(&m, IFLA_LINKINFO, NULL, 0);
  attr_put(&m, IFLA_INFO_SLAVE_KIND, "bridge", 7);
  struct rtattr *data = attr_put(&m, IFLA_INFO_SLAVE_DATA, NULL, 0);
  uint8_t on = 1;
  attr_put(&m, IFLA_BRPORT_MODE, &on, sizeof on);
  attr_end(&m, data);
  attr_end(&m, info);
  return talk(fd, &m);
}

/* link set dev r->host_veth up */
static int host_up(int fd, const request *r) {
  message m;
  struct ifinfomsg *i = host_link_msg(&m, r);
  i->ifi_flags = IFF_UP;
  i->ifi_change = IFF_UP;
  return talk(fd, &m);
}

static int bind_namespace(request *r, const char *kind, const char *file) {
  char self[64];
  snprintf(self, sizeof self, "/proc/thread-self/ns/%s", kind);
  if (mount(self, file, NULL, MS_BIND, NULL) != 0) {
    char step[PATH_BYTES + 64];
    snprintf(step, sizeof step, "bind-mount the %s namespace on %s", kind, file);
    return fail(r, step, errno);
  }
  return 0;
}

/* Everything in the comment at the top, on the calling thread (which it leaves in the new namespaces). */
static int set_up(request *r) {
  int node = open(r->node_netns, O_RDONLY | O_CLOEXEC);
  if (node < 0) return fail(r, r->node_netns, errno);
  int flags = CLONE_NEWNET | (r->uts[0] ? CLONE_NEWUTS : 0) | (r->ipc[0] ? CLONE_NEWIPC : 0);
  int rc = -1, fd = -1, node_fd = -1, bridge = 0;
  if (r->bridge[0]) {
    /* the host side's socket and the bridge's index, in the node's namespace (this thread's until the unshare) */
    bridge = (int)if_nametoindex(r->bridge);
    if (!bridge) {
      fail(r, r->bridge, errno);
      goto out;
    }
    node_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (node_fd < 0) {
      fail(r, "netlink socket (node)", errno);
      goto out;
    }
  }
  if (unshare(flags) != 0) {
    fail(r, "unshare", errno);
    goto out;
  }
  if (bind_namespace(r, "net", r->netns) || (r->uts[0] && bind_namespace(r, "uts", r->uts)) || (r->ipc[0] && bind_namespace(r, "ipc", r->ipc))) goto out;
  fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE); /* in the new network namespace */
  if (fd < 0) {
    fail(r, "netlink socket", errno);
    goto out;
  }
  /* each step: 0, or the negative errno the kernel gave; the first failure ends the set-up */
  int err, lo = 0, pod = 0;
  const char *step = "link add (the veth pair)";
  if (!(err = add_veth(fd, r, node))) {
    step = "if_nametoindex";
    lo = (int)if_nametoindex("lo");
    pod = (int)if_nametoindex(r->pod_if);
    if (!lo || !pod) err = -errno;
  }
  if (!err) step = "link set dev lo up", err = link_up(fd, lo);
  if (!err) step = "addr add", err = add_address(fd, r, pod);
  if (!err) step = "link set dev (pod interface) up", err = link_up(fd, pod);
  if (!err) step = "route add default", err = add_default_route(fd, r, pod);
  if (!err && node_fd >= 0) {
    step = "link set dev (host veth) master", err = host_master(node_fd, r, bridge);
    if (!err) step = "link set dev (host veth) hairpin on", err = host_hairpin(node_fd, r);
    if (!err) step = "link set dev (host veth) up", err = host_up(node_fd, r);
  }
  if (err) {
    fail(r, step, -err);
    goto out;
  }
  rc = 0;
out:
  if (fd >= 0) close(fd);
  if (node_fd >= 0) close(node_fd);
  close(node);
  return rc;
}

/* Back on the JavaScript thread: done(null | message). */
static void call_done(napi_env env, napi_value done, void *context, void *data) {
  request *r = data;
  if (env) {
    napi_value recv, arg, result;
    napi_get_global(env, &recv);
    if (r->error[0]) napi_create_string_utf8(env, r->error, NAPI_AUTO_LENGTH, &arg);
    else napi_get_null(env, &arg);
    napi_call_function(env, recv, done, 1, &arg, &result);
  }
  free(r);
}

/*
 * A thread of its own per set-up, not the libuv thread pool: unshare(2) may wait for the kernel
 * to finish tearing down earlier namespaces (seconds when many pods went at once), which on the
 * pool's four threads would hold up every file operation of the process.
 */
static void *thread_main(void *p) {
  request *r = p;
  set_up(r);
  napi_threadsafe_function done = r->done;
  napi_call_threadsafe_function(done, r, napi_tsfn_blocking);
  napi_release_threadsafe_function(done, napi_tsfn_release);
  return NULL; /* the thread, and the namespaces it entered, end here */
}

/* o[name] as a string into buf; 0 when absent or undefined (optional), -1 when not a string that fits */
static int get_string(napi_env env, napi_value o, const char *name, char *buf, size_t size, int optional) {
  napi_value v;
  napi_valuetype t;
  buf[0] = '\0';
  if (napi_get_named_property(env, o, name, &v) != napi_ok) return -1;
  napi_typeof(env, v, &t);
  if (t == napi_undefined && optional) return 0;
  size_t len;
  if (t != napi_string || napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok || len + 1 >= size || len == 0) return -1;
  return 0;
}

static int get_u32(napi_env env, napi_value o, const char *name, uint32_t *out) {
  napi_value v;
  return napi_get_named_property(env, o, name, &v) == napi_ok && napi_get_value_uint32(env, v, out) == napi_ok ? 0 : -1;
}

static napi_value js_set_up(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (argc < 2 || t != napi_function) {
    napi_throw_type_error(env, NULL, "setUp(options, done)");
    return NULL;
  }
  request *r = calloc(1, sizeof *r);
  char address[64], gateway[64];
  const char *bad = NULL;
  if (!r) bad = "out of memory";
  else if (get_string(env, argv[0], "netns", r->netns, sizeof r->netns, 0)) bad = "netns must be a path";
  else if (get_string(env, argv[0], "uts", r->uts, sizeof r->uts, 1) || get_string(env, argv[0], "ipc", r->ipc, sizeof r->ipc, 1)) bad = "uts and ipc must be paths when given";
  else if (get_string(env, argv[0], "nodeNetns", r->node_netns, sizeof r->node_netns, 0)) bad = "nodeNetns must be a path";
  else if (get_string(env, argv[0], "podIf", r->pod_if, sizeof r->pod_if, 0) || get_string(env, argv[0], "hostVeth", r->host_veth, sizeof r->host_veth, 0)) bad = "podIf and hostVeth must be interface names";
  else if (get_string(env, argv[0], "address", address, sizeof address, 0) || inet_pton(AF_INET, address, &r->address) != 1) bad = "address must be an IPv4 address";
  else if (get_string(env, argv[0], "gateway", gateway, sizeof gateway, 0) || inet_pton(AF_INET, gateway, &r->gateway) != 1) bad = "gateway must be an IPv4 address";
  else if (get_u32(env, argv[0], "prefixLength", &r->prefix_length) || r->prefix_length > 32) bad = "prefixLength must be 0-32";
  else if (get_u32(env, argv[0], "mtu", &r->mtu)) bad = "mtu must be a number (0: the kernel's)";
  else if (get_string(env, argv[0], "bridge", r->bridge, sizeof r->bridge, 1)) bad = "bridge must be an interface name when given";
  if (bad) {
    free(r);
    napi_throw_type_error(env, NULL, bad);
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "SkiffPodNetns", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, NULL, NULL, NULL, call_done, &r->done) != napi_ok) {
    free(r);
    napi_throw_error(env, NULL, "napi_create_threadsafe_function failed");
    return NULL;
  }
  pthread_attr_t attr;
  pthread_t thread;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = pthread_create(&thread, &attr, thread_main, r);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    fail(r, "pthread_create", err);
    napi_call_threadsafe_function(r->done, r, napi_tsfn_blocking); /* reports the failure, then frees r */
    napi_release_threadsafe_function(r->done, napi_tsfn_release);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "setUp", NAPI_AUTO_LENGTH, js_set_up, NULL, &fn);
  napi_set_named_property(env, exports, "setUp", fn);
  napi_value yes;
  napi_get_boolean(env, 1, &yes);
  napi_set_named_property(env, exports, "hostSide", yes);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
