/*
** proxy.c: the harness's HTTP CONNECT proxy (proxy.h). One thread per
** proxy serves one tunnel at a time: it reads a request head, checks it,
** answers, and relays bytes both ways until either side closes or a new
** request arrives (a device that reconnects drops its old tunnel first).
*/
#include "proxy.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define HEAD_MAX 8192       /* a longer request head is refused (400) */
#define HEAD_WAIT_MS 5000   /* for the whole head to arrive */

struct proxy {
  struct proxy_config cfg;
  char *host, *user, *password;   /* copies behind cfg's pointers */
  int listen_fd;
  int stop_pipe[2];
  uint16_t port;
  pthread_t thread;
  bool running;                   /* the thread was started */
  pthread_mutex_t lock;           /* guards the three fields below */
  unsigned requests;
  int last_status;
  char last_line[256];
};

int proxy_base64(const void *data, size_t n, char *out, size_t cap) {
  static const char abc[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *b = data;
  if (cap < (n + 2) / 3 * 4 + 1)
    return -1;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)b[i] << 16;
    if (i + 1 < n)
      v |= (unsigned)b[i + 1] << 8;
    if (i + 2 < n)
      v |= b[i + 2];
    out[o++] = abc[(v >> 18) & 63];
    out[o++] = abc[(v >> 12) & 63];
    out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? abc[v & 63] : '=';
  }
  out[o] = '\0';
  return 0;
}

/* Copy the line of s that starts at s into out (cap bytes), without CRLF. */
static void first_line(const char *s, char *out, size_t cap) {
  size_t n = strcspn(s, "\r\n");
  if (n >= cap)
    n = cap - 1;
  memcpy(out, s, n);
  out[n] = '\0';
}

int proxy_parse_request(const char *head, char *host, size_t host_cap,
                        uint16_t *port, char *auth, size_t auth_cap,
                        char *why, size_t why_cap) {
  char line[512];
  auth[0] = '\0';
  const char *eol = strstr(head, "\r\n");
  if (!eol || (size_t)(eol - head) >= sizeof line) {
    snprintf(why, why_cap, "the request line does not end in CRLF");
    return 400;
  }
  first_line(head, line, sizeof line);
  /* "CONNECT host:port HTTP/1.x": exactly three words, single spaces */
  char *sp1 = strchr(line, ' ');
  char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
  if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) {
    snprintf(why, why_cap, "'%s' is not METHOD TARGET VERSION", line);
    return 400;
  }
  *sp1 = *sp2 = '\0';
  const char *target = sp1 + 1, *version = sp2 + 1;
  if (strcmp(line, "CONNECT") != 0) {
    snprintf(why, why_cap, "method '%s', not CONNECT", line);
    return 400;
  }
  if (strcmp(version, "HTTP/1.1") != 0 && strcmp(version, "HTTP/1.0") != 0) {
    snprintf(why, why_cap, "version '%s', not HTTP/1.1 or HTTP/1.0",
             version);
    return 400;
  }
  const char *colon = strrchr(target, ':');
  char *end;
  unsigned long p = colon ? strtoul(colon + 1, &end, 10) : 0;
  if (!colon || colon == target || !colon[1] || *end || p < 1 ||
      p > 65535 || (size_t)(colon - target) >= host_cap ||
      colon[1] < '0' || colon[1] > '9') {
    snprintf(why, why_cap, "target '%s' is not host:port", target);
    return 400;
  }
  memcpy(host, target, (size_t)(colon - target));
  host[colon - target] = '\0';
  *port = (uint16_t)p;
  /* header lines up to the empty one: "Name: value" each */
  for (const char *h = eol + 2; strncmp(h, "\r\n", 2) != 0;) {
    const char *next = strstr(h, "\r\n");
    const char *c = memchr(h, ':', next ? (size_t)(next - h) : 0);
    if (!next || !c || c == h) {
      snprintf(why, why_cap, "a header line is not 'Name: value'");
      return 400;
    }
    static const char pa[] = "Proxy-Authorization:";
    if ((size_t)(c + 1 - h) == sizeof pa - 1 &&
        strncasecmp(h, pa, sizeof pa - 1) == 0) {
      const char *v = c + 1;
      while (*v == ' ')
        v++;
      size_t n = (size_t)(next - v);
      if (n >= auth_cap)
        n = auth_cap - 1;
      memcpy(auth, v, n);
      auth[n] = '\0';
    }
    h = next + 2;
  }
  return 200;
}

/* Send all of s; errors are the peer's business (it will see a close). */
static void send_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

static void record(struct proxy *p, int status, const char *head) {
  pthread_mutex_lock(&p->lock);
  p->requests++;
  p->last_status = status;
  first_line(head, p->last_line, sizeof p->last_line);
  pthread_mutex_unlock(&p->lock);
}

static bool port_allowed(const struct proxy *p, uint16_t port) {
  for (size_t i = 0; i < p->cfg.nports; i++)
    if (p->cfg.ports[i] == port)
      return true;
  return false;
}

/* Read a request head from fd into head (HEAD_MAX + 1 bytes) up to the
** empty line; bytes after it are the start of the tunnel: *extra of them
** are left at head + *head_len. Returns 0, or -1 (closed, timeout, too
** long: then *too_long says which). */
static int read_head(struct proxy *p, int fd, char *head, size_t *head_len,
                     size_t *extra, bool *too_long) {
  size_t n = 0;
  *too_long = false;
  for (;;) {
    struct pollfd pf[2] = {{fd, POLLIN, 0}, {p->stop_pipe[0], POLLIN, 0}};
    if (poll(pf, 2, HEAD_WAIT_MS) <= 0 || pf[1].revents)
      return -1;
    ssize_t r = recv(fd, head + n, HEAD_MAX - n, 0);
    if (r <= 0)
      return -1;
    n += (size_t)r;
    head[n] = '\0';
    char *end = strstr(head, "\r\n\r\n");
    if (end) {
      *head_len = (size_t)(end + 4 - head);
      *extra = n - *head_len;
      return 0;
    }
    if (n == HEAD_MAX) {
      *too_long = true;
      return -1;
    }
  }
}

/* Check the head and answer it; returns the upstream socket of a tunnel
** (the 200 is sent) or -1 (the answer is sent, the client is to close). */
static int answer(struct proxy *p, int fd, const char *head) {
  char host[256], auth[512], why[300], text[600];
  uint16_t port = 0;
  int st = proxy_parse_request(head, host, sizeof host, &port, auth,
                               sizeof auth, why, sizeof why);
  if (st == 200 && p->user) {
    char pair[300], b64[420], want[430];
    snprintf(pair, sizeof pair, "%s:%s", p->user,
             p->password ? p->password : "");
    proxy_base64(pair, strlen(pair), b64, sizeof b64);
    snprintf(want, sizeof want, "Basic %s", b64);
    if (strcmp(auth, want) != 0) {
      st = 407;
      snprintf(why, sizeof why, "%s", auth[0] ? "wrong credentials"
                                              : "no Proxy-Authorization");
    }
  }
  if (st == 200 && (strcasecmp(host, p->host) != 0 || !port_allowed(p, port))) {
    st = 502;
    snprintf(why, sizeof why, "%s:%u is not the cloud", host, port);
  }
  int up = -1;
  if (st == 200) {
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    up = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (up < 0 || connect(up, (struct sockaddr *)&a, sizeof a) < 0) {
      if (up >= 0)
        close(up);
      up = -1;
      st = 502;
      snprintf(why, sizeof why, "the cloud's port %u refused: %s", port,
               strerror(errno));
    }
  }
  record(p, st, head);
  if (st == 200) {
    static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
    send_all(fd, ok, sizeof ok - 1);
    return up;
  }
  const char *reason = st == 407   ? "Proxy Authentication Required"
                       : st == 502 ? "Bad Gateway"
                                   : "Bad Request";
  int n = snprintf(text, sizeof text,
                   "HTTP/1.1 %d %s\r\n%sContent-Length: 0\r\n"
                   "X-Impcert-Reason: %s\r\n\r\n",
                   st, reason,
                   st == 407 ? "Proxy-Authenticate: Basic realm=\"impcert\"\r\n"
                             : "",
                   why);
  send_all(fd, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
  return -1;
}

/* Relay between a and b until either closes, the proxy stops, or a new
** client knocks on the listener (returned as 1: accept it next). */
static int relay(struct proxy *p, int a, int b) {
  char buf[16384];
  for (;;) {
    struct pollfd pf[4] = {{a, POLLIN, 0},
                           {b, POLLIN, 0},
                           {p->stop_pipe[0], POLLIN, 0},
                           {p->listen_fd, POLLIN, 0}};
    if (poll(pf, 4, -1) < 0) {
      if (errno == EINTR)
        continue;
      return 0;
    }
    if (pf[2].revents)
      return 0;
    for (int i = 0; i < 2; i++) {
      if (!pf[i].revents)
        continue;
      ssize_t r = recv(pf[i].fd, buf, sizeof buf, 0);
      if (r <= 0)
        return 0;
      send_all(pf[1 - i].fd, buf, (size_t)r);
    }
    if (pf[3].revents)
      return 1;
  }
}

static void *serve(void *arg) {
  struct proxy *p = arg;
  char *head = malloc(HEAD_MAX + 1);
  if (!head)
    return NULL;
  for (;;) {
    struct pollfd pf[2] = {{p->listen_fd, POLLIN, 0},
                           {p->stop_pipe[0], POLLIN, 0}};
    if (poll(pf, 2, -1) < 0 && errno != EINTR)
      break;
    if (pf[1].revents)
      break;
    if (!pf[0].revents)
      continue;
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    while (fd >= 0) {
      size_t len = 0, extra = 0;
      bool too_long;
      int next = 0;
      if (read_head(p, fd, head, &len, &extra, &too_long) < 0) {
        if (too_long) {
          record(p, 400, head);
          static const char big[] = "HTTP/1.1 400 Bad Request\r\n"
                                    "X-Impcert-Reason: request head over "
                                    "8192 bytes\r\n\r\n";
          send_all(fd, big, sizeof big - 1);
        }
      } else {
        char keep = head[len];
        head[len] = '\0';
        int up = answer(p, fd, head);
        head[len] = keep;
        if (up >= 0) {
          send_all(up, head + len, extra); /* early tunnel bytes */
          next = relay(p, fd, up);
          close(up);
        }
      }
      close(fd);
      fd = next ? accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC) : -1;
    }
  }
  free(head);
  return NULL;
}

int proxy_start(const struct proxy_config *cfg, struct proxy **out,
                struct ic_diag *d) {
  *out = NULL;
  if (!cfg->host || cfg->nports == 0 || cfg->nports > PROXY_MAX_PORTS)
    return ic_fail(d, "proxy: a host and 1 to %d ports are needed",
                   PROXY_MAX_PORTS);
  struct proxy *p = ic_calloc(1, sizeof *p);
  if (!p)
    return ic_fail(d, "proxy: out of memory");
  p->listen_fd = p->stop_pipe[0] = p->stop_pipe[1] = -1;
  p->cfg = *cfg;
  p->host = ic_strdup(cfg->host);
  p->user = cfg->user ? ic_strdup(cfg->user) : NULL;
  p->password = cfg->password ? ic_strdup(cfg->password) : NULL;
  p->cfg.host = p->host;
  pthread_mutex_init(&p->lock, NULL);
  struct sockaddr_in a = {0};
  socklen_t alen = sizeof a;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!p->host || (cfg->user && !p->user) ||
      (cfg->password && !p->password) ||
      pipe(p->stop_pipe) < 0 ||
      (p->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
      bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) < 0 ||
      listen(p->listen_fd, 8) < 0 ||
      getsockname(p->listen_fd, (struct sockaddr *)&a, &alen) < 0) {
    ic_fail(d, "proxy: cannot listen on 127.0.0.1: %s", strerror(errno));
    proxy_stop(p);
    return -1;
  }
  p->port = ntohs(a.sin_port);
  if (pthread_create(&p->thread, NULL, serve, p) != 0) {
    ic_fail(d, "proxy: cannot start its thread");
    proxy_stop(p);
    return -1;
  }
  p->running = true;
  *out = p;
  return 0;
}

uint16_t proxy_port(const struct proxy *p) { return p->port; }

unsigned proxy_last(struct proxy *p, int *status, char *line, size_t cap) {
  pthread_mutex_lock(&p->lock);
  unsigned n = p->requests;
  if (status)
    *status = p->last_status;
  if (line && cap)
    snprintf(line, cap, "%s", p->last_line);
  pthread_mutex_unlock(&p->lock);
  return n;
}

void proxy_stop(struct proxy *p) {
  if (!p)
    return;
  if (p->running) { /* wake the thread and wait for it */
    (void)!write(p->stop_pipe[1], "x", 1);
    pthread_join(p->thread, NULL);
  }
  if (p->listen_fd >= 0)
    close(p->listen_fd);
  if (p->stop_pipe[0] >= 0) {
    close(p->stop_pipe[0]);
    close(p->stop_pipe[1]);
  }
  pthread_mutex_destroy(&p->lock);
  ic_free(p->host);
  ic_free(p->user);
  ic_free(p->password);
  ic_free(p);
}
