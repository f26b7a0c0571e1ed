/*
** net.c: the cloud connection: TCP, then TLS >= 1.2 with OpenSSL, the
** server's chain checked against the CA file and its name against the host
** [SEC-001..003, SEC-006]. The only file of refimp that includes OpenSSL,
** hence also the home of hal_sha256.
*/
#include "hal/posix/hal_posix.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "hal/posix/posix_internal.h"

#define NET_CONNECT_MS 5000
#define NET_HANDSHAKE_MS 10000
/* The board's TCP send window: a small device's stack, not the host's
** megabytes, so a cloud that stops reading fills the send buffer in
** kilobytes (the kernel doubles the value it is given). */
#define NET_SNDBUF 8192
#define NET_SESSIONS 4 /* TLS sessions kept for resumption */

struct hal_conn {
  int fd;
  SSL *ssl;
  char host[256];
  uint16_t port;
};

/* A TLS session the server gave us, to resume the next time we connect
** to the same host and port. */
struct cached_session {
  char host[256];
  uint16_t port;
  SSL_SESSION *sess;  /* NULL: free slot */
  uint64_t used;      /* for least-recently-used replacement */
};

/* GLOBAL: the TLS context (factory CA), the open connection that
** hal_wait_event watches, and the session cache. Main thread only. */
static struct {
  SSL_CTX *ctx;
  struct hal_conn *open;
  struct cached_session cache[NET_SESSIONS];
  uint64_t clock;     /* counts cache uses */
} net;

void hal_sha256(const void *data, size_t n, uint8_t out[32]) {
  unsigned len = 32;
  if (!EVP_Digest(data, n, out, &len, EVP_sha256(), NULL))
    memset(out, 0, 32); /* cannot happen with the built-in provider */
}

/* OpenSSL's most recent error as text ("" if none). */
static void ssl_reason(char *buf, size_t cap) {
  unsigned long e = ERR_peek_last_error();
  buf[0] = '\0';
  if (e)
    ERR_error_string_n(e, buf, cap);
  ERR_clear_error();
}

/* ---- the TLS session cache [REG-019] ---------------------------------- */

static struct cached_session *cache_find(const char *host, uint16_t port) {
  for (int i = 0; i < NET_SESSIONS; i++) {
    struct cached_session *e = &net.cache[i];
    if (e->sess && e->port == port && strcmp(e->host, host) == 0)
      return e;
  }
  return NULL;
}

/* OpenSSL hands over each session (or TLS 1.3 ticket) the server sends:
** keep it for its host and port, replacing the older one for them, else
** a free slot, else the least recently used. Returns 1: the reference is
** ours now. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess) {
  struct hal_conn *c = SSL_get_app_data(ssl);
  if (!c || !SSL_SESSION_is_resumable(sess))
    return 0;
  struct cached_session *e = cache_find(c->host, c->port);
  if (!e) {
    e = &net.cache[0];
    for (int i = 0; i < NET_SESSIONS; i++) {
      if (!net.cache[i].sess) {
        e = &net.cache[i];
        break;
      }
      if (net.cache[i].used < e->used)
        e = &net.cache[i];
    }
  }
  SSL_SESSION_free(e->sess);
  e->sess = sess;
  e->port = c->port;
  snprintf(e->host, sizeof(e->host), "%s", c->host);
  e->used = ++net.clock;
  return 1;
}

static void cache_clear(void) {
  for (int i = 0; i < NET_SESSIONS; i++) {
    SSL_SESSION_free(net.cache[i].sess);
    net.cache[i].sess = NULL;
  }
}

bool hal_conn_resumed(const struct hal_conn *c) {
  return c && SSL_session_reused(c->ssl);
}

enum hal_status hal_posix_net_init(const char *ca_file, char *why,
                                   size_t why_cap) {
  char reason[200];
  hal_posix_net_fini();
  net.ctx = SSL_CTX_new(TLS_client_method());
  if (!net.ctx) {
    ssl_reason(reason, sizeof(reason));
    snprintf(why, why_cap, "TLS context: %s", reason);
    return HAL_EIO;
  }
  /* [SEC-006] TLS 1.2 or later */
  SSL_CTX_set_min_proto_version(net.ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(net.ctx, SSL_VERIFY_PEER, NULL);
  /* a TCP close without close_notify counts as a close, not an error */
  SSL_CTX_set_options(net.ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  /* [REG-019] sessions are kept by us, per host and port (on_new_session) */
  SSL_CTX_set_session_cache_mode(net.ctx, SSL_SESS_CACHE_CLIENT |
                                              SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(net.ctx, on_new_session);
  if (access(ca_file, R_OK) != 0) {
    snprintf(why, why_cap, "--ca %s: %s", ca_file, strerror(errno));
    hal_posix_net_fini();
    return HAL_EIO;
  }
  if (SSL_CTX_load_verify_locations(net.ctx, ca_file, NULL) != 1) {
    ssl_reason(reason, sizeof(reason));
    snprintf(why, why_cap, "--ca %s: cannot load: %s", ca_file, reason);
    hal_posix_net_fini();
    return HAL_EIO;
  }
  STACK_OF(X509_OBJECT) *objs =
      X509_STORE_get0_objects(SSL_CTX_get_cert_store(net.ctx));
  if (!objs || sk_X509_OBJECT_num(objs) == 0) {
    snprintf(why, why_cap, "--ca %s: no certificate in the file", ca_file);
    hal_posix_net_fini();
    return HAL_EIO;
  }
  return HAL_OK;
}

void hal_posix_net_fini(void) {
  if (net.open)
    hal_conn_close(net.open);
  cache_clear();
  SSL_CTX_free(net.ctx);
  net.ctx = NULL;
}

int posix_net_fd(void) {
  return net.open ? net.open->fd : -1;
}

bool posix_net_pending(void) {
  return net.open && SSL_pending(net.open->ssl) > 0;
}

/* TCP connect with a deadline; returns the socket (non-blocking) or -1. */
static int tcp_connect(const struct hal_endpoint *ep, char *why,
                       size_t why_cap, enum hal_status *st) {
  struct addrinfo hints, *ai = NULL;
  char port[8];
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  snprintf(port, sizeof(port), "%u", ep->port);
  int rc = getaddrinfo(ep->addr, port, &hints, &ai);
  if (rc != 0) {
    snprintf(why, why_cap, "address %s: %s", ep->addr, gai_strerror(rc));
    *st = HAL_EINVAL;
    return -1;
  }
  int fd = socket(ai->ai_family,
                  ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    snprintf(why, why_cap, "socket: %s", strerror(errno));
    freeaddrinfo(ai);
    *st = HAL_EIO;
    return -1;
  }
  int sndbuf = NET_SNDBUF;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
  freeaddrinfo(ai);
  if (rc != 0 && errno == EINPROGRESS) {
    int w = posix_wait_fd(fd, POLLOUT, NET_CONNECT_MS);
    int err = 0;
    socklen_t len = sizeof(err);
    if (w <= 0) {
      snprintf(why, why_cap, "TCP connect: %s",
               w == 0 ? "timed out" : "interrupted");
      *st = w == 0 ? HAL_ETIMEOUT : HAL_ESTOP;
      close(fd);
      return -1;
    }
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    rc = err ? -1 : 0;
    errno = err;
  }
  if (rc != 0) {
    snprintf(why, why_cap, "TCP connect: %s", strerror(errno));
    *st = HAL_EIO;
    close(fd);
    return -1;
  }
  /* frames go out as they are made (DeviceState then CodeHash must not
  ** wait for a delayed ACK) */
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

/* Wait as SSL asks after a WANT_READ / WANT_WRITE; 1 ready, else 0/-1. */
static int ssl_wait(struct hal_conn *c, int err, int timeout_ms) {
  short ev = err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  return posix_wait_fd(c->fd, ev, timeout_ms);
}

/* The handshake failed: say why, and whether the certificate was it. */
static enum hal_status handshake_failed(struct hal_conn *c, int err,
                                        char *why, size_t why_cap) {
  char reason[200];
  long vr = SSL_get_verify_result(c->ssl);
  ssl_reason(reason, sizeof(reason));
  if (vr != X509_V_OK) {
    snprintf(why, why_cap, "TLS handshake: certificate refused: %s (%s)",
             X509_verify_cert_error_string(vr), reason);
    return HAL_ECERT;
  }
  if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN)
    snprintf(why, why_cap, "TLS handshake: connection closed (%s)",
             reason[0] ? reason : errno ? strerror(errno) : "EOF");
  else
    snprintf(why, why_cap, "TLS handshake failed: %s",
             reason[0] ? reason : "unknown reason");
  return HAL_EIO;
}

static enum hal_status tls_start(struct hal_conn *c,
                                 const struct hal_endpoint *ep, char *why,
                                 size_t why_cap) {
  char reason[200];
  c->ssl = SSL_new(net.ctx);
  if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
    ssl_reason(reason, sizeof(reason));
    snprintf(why, why_cap, "TLS setup: %s", reason);
    return HAL_ENOMEM;
  }
  /* hal_conn_write: take part of a buffer, and the rest (moved) later */
  SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE |
                           SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  /* [SEC-002] the host name as SNI; [SEC-003] and as the name to check */
  X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
  X509_VERIFY_PARAM_set_hostflags(param,
                                  X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (SSL_set_tlsext_host_name(c->ssl, ep->host) != 1 ||
      X509_VERIFY_PARAM_set1_host(param, ep->host, 0) != 1) {
    ssl_reason(reason, sizeof(reason));
    snprintf(why, why_cap, "TLS setup for host %s: %s", ep->host, reason);
    return HAL_EINVAL;
  }
  /* [REG-019] resume the last session with this server if we have one */
  snprintf(c->host, sizeof(c->host), "%s", ep->host);
  c->port = ep->port;
  SSL_set_app_data(c->ssl, c);
  struct cached_session *cs = cache_find(ep->host, ep->port);
  if (cs) {
    cs->used = ++net.clock;
    SSL_set_session(c->ssl, cs->sess);
  }
  ERR_clear_error();
  for (;;) {
    int rc = SSL_connect(c->ssl);
    if (rc == 1)
      return HAL_OK;
    int err = SSL_get_error(c->ssl, rc);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
      return handshake_failed(c, err, why, why_cap);
    int w = ssl_wait(c, err, NET_HANDSHAKE_MS);
    if (w <= 0) {
      snprintf(why, why_cap, "TLS handshake: %s",
               w == 0 ? "timed out" : "interrupted");
      return w == 0 ? HAL_ETIMEOUT : HAL_ESTOP;
    }
  }
}

/* base64 of n bytes into out (cap >= 4 * ((n + 2) / 3) + 1). */
static void base64(const char *in, size_t n, char *out) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *b = (const unsigned char *)in;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)b[i] << 16 | (i + 1 < n ? b[i + 1] << 8 : 0) |
                 (i + 2 < n ? b[i + 2] : 0);
    *out++ = abc[v >> 18 & 63];
    *out++ = abc[v >> 12 & 63];
    *out++ = i + 1 < n ? abc[v >> 6 & 63] : '=';
    *out++ = i + 2 < n ? abc[v & 63] : '=';
  }
  *out = '\0';
}

/* [REG-010] Ask the proxy on fd for a tunnel to ep->host:ep->port (the
** server's name, which the proxy resolves) and read its answer head.
** HAL_OK on 200; HAL_EPROXYAUTH on 407; HAL_ENOPROXY otherwise. */
static enum hal_status proxy_tunnel(int fd, const struct hal_endpoint *ep,
                                    char *why, size_t why_cap) {
  const struct hal_proxy *px = ep->proxy;
  char req[1024], auth[400] = "";
  if (px->user && px->user[0]) {
    char pair[200], b64[280];
    int n = snprintf(pair, sizeof pair, "%s:%s", px->user,
                     px->password ? px->password : "");
    if (n < 0 || (size_t)n >= sizeof pair) {
      snprintf(why, why_cap, "proxy: credentials too long");
      return HAL_EPROXYAUTH;
    }
    base64(pair, (size_t)n, b64);
    snprintf(auth, sizeof auth, "Proxy-Authorization: Basic %s\r\n", b64);
  }
  int n = snprintf(req, sizeof req,
                   "CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n%s\r\n",
                   ep->host, ep->port, ep->host, ep->port, auth);
  for (int off = 0; off < n;) {
    if (posix_wait_fd(fd, POLLOUT, NET_CONNECT_MS) <= 0) {
      snprintf(why, why_cap, "proxy: request not sent in time");
      return HAL_ENOPROXY;
    }
    ssize_t w = send(fd, req + off, (size_t)(n - off), MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN && errno != EINTR) {
      snprintf(why, why_cap, "proxy: %s", strerror(errno));
      return HAL_ENOPROXY;
    }
    off += w > 0 ? (int)w : 0;
  }
  /* the answer head, a byte at a time: nothing of the tunnel (the
  ** server's first TLS bytes) may be read here */
  char head[1024];
  size_t got = 0;
  while (got + 1 < sizeof head) {
    if (posix_wait_fd(fd, POLLIN, NET_CONNECT_MS) <= 0) {
      snprintf(why, why_cap, "proxy: no answer in time");
      return HAL_ENOPROXY;
    }
    ssize_t r = recv(fd, head + got, 1, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
      snprintf(why, why_cap, "proxy: closed before answering");
      return HAL_ENOPROXY;
    }
    if (r < 0)
      continue;
    head[++got] = '\0';
    if (got >= 4 && memcmp(head + got - 4, "\r\n\r\n", 4) == 0)
      break;
  }
  head[got] = '\0';
  int status = 0;
  if (sscanf(head, "HTTP/1.%*1[01] %3d", &status) != 1) {
    snprintf(why, why_cap, "proxy: not an HTTP answer");
    return HAL_ENOPROXY;
  }
  if (status == 200)
    return HAL_OK;
  head[strcspn(head, "\r\n")] = '\0';
  snprintf(why, why_cap, "proxy: %s", head);
  return status == 407 ? HAL_EPROXYAUTH : HAL_ENOPROXY;
}

enum hal_status hal_conn_open(const struct hal_endpoint *ep,
                              struct hal_conn **out, char *why,
                              size_t why_cap) {
  enum hal_status st = HAL_EIO;
  *out = NULL;
  if (!net.ctx) {
    snprintf(why, why_cap, "no TLS context (CA not loaded)");
    return HAL_EINVAL;
  }
  struct hal_conn *c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(why, why_cap, "out of memory");
    return HAL_ENOMEM;
  }
  if (ep->proxy) {
    /* TCP to the proxy, a tunnel to the server, then TLS in it with the
    ** server's name as SNI, as without a proxy */
    struct hal_endpoint to_proxy = {ep->host, ep->proxy->addr,
                                    ep->proxy->port, NULL};
    c->fd = tcp_connect(&to_proxy, why, why_cap, &st);
    if (c->fd >= 0 && (st = proxy_tunnel(c->fd, ep, why, why_cap)) != HAL_OK) {
      close(c->fd);
      c->fd = -1;
    } else if (c->fd < 0 && st != HAL_ESTOP) {
      st = HAL_ENOPROXY;
    }
  } else {
    c->fd = tcp_connect(ep, why, why_cap, &st);
  }
  if (c->fd < 0) {
    free(c);
    return st;
  }
  if ((st = tls_start(c, ep, why, why_cap)) != HAL_OK) {
    /* no application data was sent: the handshake never completed */
    SSL_free(c->ssl);
    close(c->fd);
    free(c);
    return st;
  }
  net.open = c;
  *out = c;
  return HAL_OK;
}

enum hal_status hal_conn_write(struct hal_conn *c, const void *buf, size_t n,
                               size_t *wrote) {
  *wrote = 0;
  while (*wrote < n) {
    ERR_clear_error();
    size_t left = n - *wrote;
    int rc = SSL_write(c->ssl, (const char *)buf + *wrote,
                       left > 1 << 30 ? 1 << 30 : (int)left);
    if (rc > 0) {
      *wrote += (size_t)rc;
      continue;
    }
    int err = SSL_get_error(c->ssl, rc);
    if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ)
      return HAL_OK; /* full: the peer is not reading */
    return err == SSL_ERROR_ZERO_RETURN ? HAL_ECLOSED : HAL_EIO;
  }
  return HAL_OK;
}

size_t hal_conn_unacked(struct hal_conn *c) {
  int n = 0;
  if (ioctl(c->fd, SIOCOUTQ, &n) < 0 || n < 0)
    return 0;
  return (size_t)n;
}

enum hal_status hal_conn_recv(struct hal_conn *c, void *buf, size_t cap,
                              size_t *got) {
  *got = 0;
  ERR_clear_error();
  errno = 0;
  int rc = SSL_read(c->ssl, buf, cap > 1 << 30 ? 1 << 30 : (int)cap);
  if (rc > 0) {
    *got = (size_t)rc;
    return HAL_OK;
  }
  switch (SSL_get_error(c->ssl, rc)) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    return HAL_EAGAIN;
  case SSL_ERROR_ZERO_RETURN:
    return HAL_ECLOSED;
  case SSL_ERROR_SYSCALL:
    return errno == ECONNRESET || errno == 0 ? HAL_ECLOSED : HAL_EIO;
  default:
    return HAL_EIO;
  }
}

void hal_conn_close(struct hal_conn *c) {
  if (!c)
    return;
  if (net.open == c)
    net.open = NULL;
  (void)SSL_shutdown(c->ssl); /* best effort; the socket is non-blocking */
  SSL_free(c->ssl);
  close(c->fd);
  ERR_clear_error();
  free(c);
}
