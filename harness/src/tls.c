/*
** tls.c: certificates made at start-up, server handshakes, TLS I/O with
** deadlines, and the NSS key log Wireshark reads.
*/
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

struct tls_creds {
  EVP_PKEY *ca_key, *rogue_ca_key, *server_key;
  X509 *ca, *rogue_ca;
  SSL_CTX *ctx[TLS_CERT_KINDS]; /* by enum tls_cert_kind */
};

struct tls_conn {
  SSL *ssl;
  int fd;
  const char *keylog_path; /* borrowed for the handshake only */
  char *sni;
};

/* ---- certificates ------------------------------------------------------- */

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value) {
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
  if (!ext)
    return -1;
  int ok = X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  return ok ? 0 : -1;
}

/* A certificate for `key` named cn, signed by issuer (NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, long serial,
                       X509 *issuer, EVP_PKEY *issuer_key) {
  X509 *x = X509_new();
  if (!x)
    return NULL;
  X509_NAME *name = X509_get_subject_name(x);
  bool ca = issuer == NULL;
  X509V3_CTX v3;
  char san[128];
  snprintf(san, sizeof san, "DNS:%s", cn);
  int ok = X509_set_version(x, 2) &&
           ASN1_INTEGER_set(X509_get_serialNumber(x), serial) &&
           X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
           X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30) &&
           X509_set_pubkey(x, key) &&
           X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                      (const unsigned char *)cn, -1, -1, 0) &&
           X509_set_issuer_name(x, ca ? name : X509_get_subject_name(issuer));
  if (ok) {
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, ca ? x : issuer, x, NULL, NULL, 0);
    ok = ca ? add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
                  add_ext(x, &v3, NID_key_usage,
                          "critical,keyCertSign,cRLSign") == 0
            : add_ext(x, &v3, NID_basic_constraints, "CA:FALSE") == 0 &&
                  add_ext(x, &v3, NID_subject_alt_name, san) == 0 &&
                  add_ext(x, &v3, NID_ext_key_usage, "serverAuth") == 0;
  }
  if (ok)
    ok = add_ext(x, &v3, NID_subject_key_identifier, "hash") == 0 &&
         X509_sign(x, ca ? key : issuer_key, EVP_sha256()) > 0;
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

/* ---- server contexts ---------------------------------------------------- */

static int conn_index(void) {
  /* GLOBAL: OpenSSL ex_data slot, set once before any fork, read-only. */
  static int idx = -1;
  if (idx < 0)
    idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
  return idx;
}

static void keylog_cb(const SSL *ssl, const char *line) {
  struct tls_conn *t = SSL_get_ex_data(ssl, conn_index());
  if (!t || !t->keylog_path)
    return;
  FILE *f = fopen(t->keylog_path, "a");
  if (f) {
    fprintf(f, "%s\n", line);
    fclose(f);
  }
}

static int sni_cb(SSL *ssl, int *alert, void *arg) {
  (void)alert;
  (void)arg;
  struct tls_conn *t = SSL_get_ex_data(ssl, conn_index());
  const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (t && name && !t->sni)
    t->sni = ic_strdup(name);
  return SSL_TLSEXT_ERR_OK;
}

/* A server context; old_tls: a server that offers TLS 1.1 and nothing
** later (security level 0, without which OpenSSL 3 refuses TLS 1.1). */
static SSL_CTX *server_ctx(X509 *cert, EVP_PKEY *key, bool old_tls) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx)
    return NULL;
  if (old_tls) {
    SSL_CTX_set_security_level(ctx, 0);
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_1_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION)) {
      SSL_CTX_free(ctx);
      return NULL;
    }
  }
  if ((!old_tls && !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) ||
      SSL_CTX_use_certificate(ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key) != 1) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_keylog_callback(ctx, keylog_cb);
  SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
  return ctx;
}

static const char *ossl_reason(void) {
  unsigned long e = ERR_peek_last_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  return r ? r : "no OpenSSL reason";
}

struct tls_creds *tls_creds_create(const char *ca_path, struct ic_diag *d) {
  struct tls_creds *c = ic_calloc(1, sizeof *c);
  if (!c) {
    ic_fail(d, "out of memory");
    return NULL;
  }
  X509 *good = NULL, *wrong = NULL, *rogue = NULL;
  c->ca_key = EVP_EC_gen("P-256");
  c->rogue_ca_key = EVP_EC_gen("P-256");
  c->server_key = EVP_EC_gen("P-256");
  if (!c->ca_key || !c->rogue_ca_key || !c->server_key)
    goto fail;
  c->ca = make_cert(c->ca_key, "impcert test CA", 1, NULL, NULL);
  c->rogue_ca = make_cert(c->rogue_ca_key, "impcert test CA", 1, NULL, NULL);
  if (!c->ca || !c->rogue_ca)
    goto fail;
  good = make_cert(c->server_key, TLS_SERVER_NAME, 2, c->ca, c->ca_key);
  wrong = make_cert(c->server_key, TLS_WRONG_NAME, 3, c->ca, c->ca_key);
  rogue = make_cert(c->server_key, TLS_SERVER_NAME, 2, c->rogue_ca,
                    c->rogue_ca_key);
  if (!good || !wrong || !rogue)
    goto fail;
  c->ctx[TLS_CERT_GOOD] = server_ctx(good, c->server_key, false);
  c->ctx[TLS_CERT_ROGUE] = server_ctx(rogue, c->server_key, false);
  c->ctx[TLS_CERT_WRONG_NAME] = server_ctx(wrong, c->server_key, false);
  c->ctx[TLS_CERT_OLD_TLS] = server_ctx(good, c->server_key, true);
  X509_free(good);
  X509_free(wrong);
  X509_free(rogue);
  good = wrong = rogue = NULL;
  if (!c->ctx[0] || !c->ctx[1] || !c->ctx[2] || !c->ctx[3])
    goto fail;
  FILE *f = fopen(ca_path, "w");
  if (!f) {
    ic_fail(d, "%s: %s", ca_path, strerror(errno));
    tls_creds_destroy(c);
    return NULL;
  }
  int ok = PEM_write_X509(f, c->ca);
  if (fclose(f) != 0 || !ok) {
    ic_fail(d, "%s: could not write the CA certificate", ca_path);
    tls_creds_destroy(c);
    return NULL;
  }
  conn_index();
  return c;
fail:
  ic_fail(d, "could not make the test certificates: %s", ossl_reason());
  X509_free(good);
  X509_free(wrong);
  X509_free(rogue);
  tls_creds_destroy(c);
  return NULL;
}

void tls_creds_destroy(struct tls_creds *c) {
  if (!c)
    return;
  for (int i = 0; i < TLS_CERT_KINDS; i++)
    SSL_CTX_free(c->ctx[i]);
  X509_free(c->ca);
  X509_free(c->rogue_ca);
  EVP_PKEY_free(c->ca_key);
  EVP_PKEY_free(c->rogue_ca_key);
  EVP_PKEY_free(c->server_key);
  ic_free(c);
}

/* ---- I/O with deadlines ------------------------------------------------- */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for the socket as OpenSSL asked; 1 ready, 0 timeout. */
static int wait_io(int fd, int ssl_err, long long deadline) {
  short ev = ssl_err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
  for (;;) {
    long long left = deadline - now_ms();
    if (left <= 0)
      return 0;
    struct pollfd p = {fd, ev, 0};
    int r = poll(&p, 1, (int)left);
    if (r > 0)
      return 1;
    if (r < 0 && errno != EINTR)
      return 1; /* let the next SSL call report it */
  }
}

struct tls_conn *tls_accept(struct tls_creds *c, enum tls_cert_kind which,
                            int fd, unsigned timeout_ms,
                            const char *keylog_path, char **sni,
                            bool *refused, struct ic_diag *d) {
  *sni = NULL;
  *refused = false;
  struct tls_conn *t = ic_calloc(1, sizeof *t);
  if (!t) {
    ic_fail(d, "out of memory");
    close(fd);
    return NULL;
  }
  t->fd = fd;
  t->keylog_path = keylog_path;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  t->ssl = SSL_new(c->ctx[which]);
  if (!t->ssl || !SSL_set_fd(t->ssl, fd) ||
      !SSL_set_ex_data(t->ssl, conn_index(), t)) {
    ic_fail(d, "SSL_new failed: %s", ossl_reason());
    tls_close(t);
    return NULL;
  }
  ERR_clear_error();
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    int r = SSL_accept(t->ssl);
    if (r == 1)
      break;
    int e = SSL_get_error(t->ssl, r);
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
        wait_io(fd, e, deadline))
      continue;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      ic_fail(d, "TLS handshake timed out after %u ms", timeout_ms);
    else {
      *refused = true;
      ic_fail(d, "TLS handshake failed: %s", ossl_reason());
    }
    *sni = t->sni;
    t->sni = NULL;
    tls_close(t);
    return NULL;
  }
  t->keylog_path = NULL;
  *sni = t->sni ? ic_strdup(t->sni) : NULL;
  return t;
}

bool tls_pending(struct tls_conn *t) { return SSL_pending(t->ssl) > 0; }

long tls_read(struct tls_conn *t, void *buf, size_t cap, unsigned timeout_ms,
              struct ic_diag *d) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    ERR_clear_error();
    int r = SSL_read(t->ssl, buf, (int)(cap > 1 << 20 ? 1 << 20 : cap));
    if (r > 0)
      return r;
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait_io(t->fd, e, deadline))
        return 0;
      continue;
    }
    if (e == SSL_ERROR_ZERO_RETURN)
      return ic_fail(d, "device closed the session (close_notify)");
    if (e == SSL_ERROR_SYSCALL)
      return ic_fail(d, "device closed the connection");
    return ic_fail(d, "TLS read failed: %s", ossl_reason());
  }
}

int tls_write(struct tls_conn *t, const void *buf, size_t n,
              unsigned timeout_ms, struct ic_diag *d) {
  long long deadline = now_ms() + timeout_ms;
  const char *p = buf;
  while (n > 0) {
    ERR_clear_error();
    int r = SSL_write(t->ssl, p, (int)(n > 1 << 20 ? 1 << 20 : n));
    if (r > 0) {
      p += r;
      n -= (size_t)r;
      continue;
    }
    int e = SSL_get_error(t->ssl, r);
    if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
        wait_io(t->fd, e, deadline))
      continue;
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return ic_fail(d, "TLS write timed out after %u ms", timeout_ms);
    return ic_fail(d, "TLS write failed: %s", ossl_reason());
  }
  return 0;
}

bool tls_resumed(const struct tls_conn *t) {
  return t && SSL_session_reused(t->ssl);
}

int tls_fd(const struct tls_conn *t) { return t->fd; }

void tls_close(struct tls_conn *t) {
  if (!t)
    return;
  if (t->ssl) {
    SSL_shutdown(t->ssl);
    SSL_free(t->ssl);
  }
  if (t->fd >= 0)
    close(t->fd);
  ic_free(t->sni);
  ic_free(t);
}

void tls_sha256(const void *data, size_t n, unsigned char out[32]) {
  SHA256(data, n, out);
}
