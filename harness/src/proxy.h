/*
** proxy.h: the HTTP CONNECT proxy the harness plays on loopback for a test
** (specs/wire.md "Through an HTTP proxy", REG-010). Owns its listener, the
** request check and the byte relay to the fake cloud; knows nothing of TLS.
*/
#ifndef IMPCERT_PROXY_H
#define IMPCERT_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define PROXY_MAX_PORTS 8

struct proxy;

/* What the proxy lets through: CONNECT to `host` on one of `ports`, relayed
** to 127.0.0.1 on the same port. With a user, the request must carry
** Proxy-Authorization: Basic base64(user:password). */
struct proxy_config {
  const char *host;
  uint16_t ports[PROXY_MAX_PORTS];
  size_t nports;
  const char *user;     /* NULL: no credentials asked */
  const char *password;
};

/* Listen on 127.0.0.1 (a port of the system's choice) and serve in a
** thread of its own. Returns 0 with *out set, or -1 with d saying why. */
int proxy_start(const struct proxy_config *cfg, struct proxy **out,
                struct ic_diag *d);

/* The port the proxy listens on. */
uint16_t proxy_port(const struct proxy *p);

/* What happened so far: the number of requests, the status of the last
** answer (0 none yet; 200 tunnel, 400 bad request, 407 credentials, 502
** target refused or unreachable) and its request line (cap bytes). */
unsigned proxy_last(struct proxy *p, int *status, char *line, size_t cap);

/* Stop the thread, close every socket, free p (NULL is fine). */
void proxy_stop(struct proxy *p);

/* Parse a CONNECT request head ("CONNECT host:port HTTP/1.x" CRLF, header
** lines, an empty line). Returns 200 with host (host_cap bytes), *port and
** the Proxy-Authorization value (auth_cap bytes, "" if none), or 400 with
** why (why_cap bytes). Pure: tests/unit/harness_proxy_test.c. */
int proxy_parse_request(const char *head, char *host, size_t host_cap,
                        uint16_t *port, char *auth, size_t auth_cap,
                        char *why, size_t why_cap);

/* base64 of n bytes into out (cap bytes, NUL-terminated); -1 if too
** small. */
int proxy_base64(const void *data, size_t n, char *out, size_t cap);

#endif
