/*
** tls.h: the fake impCloud's credentials and TLS server contexts.
** Owns the CA and certificates made at start-up with OpenSSL's API, the
** key log (NSS format) and server-side handshakes. The only harness module
** that includes OpenSSL headers, apart from the SHA-256 helper.
*/
#ifndef IMPCERT_TLS_H
#define IMPCERT_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* The server name the good certificate carries (the DUT's --server-name). */
#define TLS_SERVER_NAME "cloud.impcert.test"
#define TLS_WRONG_NAME "rogue.impcert.test"

/* TLS_CERT_OLD_TLS: the good certificate on a server that speaks only
** TLS 1.1 (SEC-006); the device must refuse it. */
enum tls_cert_kind {
  TLS_CERT_GOOD,
  TLS_CERT_ROGUE,
  TLS_CERT_WRONG_NAME,
  TLS_CERT_OLD_TLS,
  TLS_CERT_KINDS
};

struct tls_creds;   /* CAs, keys and certificates for one run */
struct tls_conn;    /* one server-side TLS session */

/* Make a trusted CA, a server certificate it signs for TLS_SERVER_NAME,
** one for TLS_WRONG_NAME, and a rogue CA signing a TLS_SERVER_NAME cert;
** write the trusted CA as PEM to ca_path. NULL with d on failure. */
struct tls_creds *tls_creds_create(const char *ca_path, struct ic_diag *d);
void tls_creds_destroy(struct tls_creds *c);

/* Server handshake on connected socket fd (non-blocking is fine) with the
** chosen certificate, within timeout_ms. Key material is appended to
** keylog_path (NULL: none). On success returns the connection; on failure
** NULL with d saying why and *refused set if the peer aborted the
** handshake (as a device refusing our certificate does). The SNI the
** client sent is kept either way: *sni (caller frees with ic_free). */
struct tls_conn *tls_accept(struct tls_creds *c, enum tls_cert_kind which,
                            int fd, unsigned timeout_ms,
                            const char *keylog_path, char **sni,
                            bool *refused, struct ic_diag *d);

/* Read up to cap bytes, waiting at most timeout_ms. Returns bytes read
** (>0), 0 on timeout, -1 when the session is closed or broken (d says
** which). */
long tls_read(struct tls_conn *t, void *buf, size_t cap, unsigned timeout_ms,
              struct ic_diag *d);

/* Bytes already decrypted and waiting (read them without polling). */
bool tls_pending(struct tls_conn *t);

/* Write all n bytes within timeout_ms. Returns 0 or -1 with d. */
int tls_write(struct tls_conn *t, const void *buf, size_t n,
              unsigned timeout_ms, struct ic_diag *d);

/* The socket, for poll(). */
int tls_fd(const struct tls_conn *t);
/* True if the client resumed an earlier TLS session (SSL_session_reused). */
bool tls_resumed(const struct tls_conn *t);

/* Send close_notify (best effort), close the socket, free t. */
void tls_close(struct tls_conn *t);

/* SHA-256 of n bytes. */
void tls_sha256(const void *data, size_t n, unsigned char out[32]);

#endif
