/*
** sign.c: Ed25519 through OpenSSL's EVP interface, and file hashing.
** Ed25519 signs the message itself (no separate digest), so the whole
** certificate is passed to EVP_DigestSign in one call.
*/
#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* The last OpenSSL error as text, for messages. */
static const char *ssl_reason(void) {
  static char buf[256];
  unsigned long e = ERR_get_error();
  if (!e)
    return "not an Ed25519 key";
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

void sign_hex(const uint8_t *b, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[b[i] >> 4];
    out[2 * i + 1] = digits[b[i] & 15];
  }
  out[2 * n] = '\0';
}

/* Read a PEM key of either kind; private selects which. */
static EVP_PKEY *read_key(const char *path, int private, struct ic_diag *d) {
  FILE *f = fopen(path, "r");
  if (!f) {
    ic_fail(d, "%s: %s", path, strerror(errno));
    return NULL;
  }
  EVP_PKEY *k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
                        : PEM_read_PUBKEY(f, NULL, NULL, NULL);
  fclose(f);
  if (!k) {
    ic_fail(d, "%s: not a PEM %s key: %s", path,
            private ? "private" : "public", ssl_reason());
    return NULL;
  }
  if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
    ic_fail(d, "%s: the key is not an Ed25519 key (make one with "
               "'impcert keygen')", path);
    EVP_PKEY_free(k);
    return NULL;
  }
  return k;
}

static int raw_public(EVP_PKEY *k, uint8_t pub[SIGN_PUB_SIZE]) {
  size_t n = SIGN_PUB_SIZE;
  return EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == SIGN_PUB_SIZE
             ? 0
             : -1;
}

/* Create path exclusively with mode and write k's PEM to it. */
static int write_pem(const char *path, EVP_PKEY *k, int private, mode_t mode,
                     struct ic_diag *d) {
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
  if (fd < 0)
    return ic_fail(d, "%s: %s%s", path, strerror(errno),
                   errno == EEXIST ? " (keys are never overwritten)" : "");
  FILE *f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    return ic_fail(d, "%s: %s", path, strerror(errno));
  }
  int ok = private ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL)
                   : PEM_write_PUBKEY(f, k);
  if (fclose(f) != 0 || !ok)
    return ic_fail(d, "%s: cannot write the key", path);
  return 0;
}

int sign_keygen(const char *priv_path, const char *pub_path,
                struct ic_diag *d) {
  EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  if (!k)
    return ic_fail(d, "cannot make an Ed25519 key: %s", ssl_reason());
  int rc = write_pem(priv_path, k, 1, 0600, d);
  if (rc == 0 && (rc = write_pem(pub_path, k, 0, 0644, d)) < 0)
    unlink(priv_path);
  EVP_PKEY_free(k);
  return rc;
}

int sign_key_public(const char *priv_path, uint8_t pub[SIGN_PUB_SIZE],
                    struct ic_diag *d) {
  EVP_PKEY *k = read_key(priv_path, 1, d);
  if (!k)
    return -1;
  int rc = raw_public(k, pub);
  EVP_PKEY_free(k);
  return rc < 0 ? ic_fail(d, "%s: cannot read its public key", priv_path) : 0;
}

int sign_write_public(const char *priv_path, const char *pub_path,
                      struct ic_diag *d) {
  EVP_PKEY *k = read_key(priv_path, 1, d);
  if (!k)
    return -1;
  int rc = write_pem(pub_path, k, 0, 0644, d);
  EVP_PKEY_free(k);
  return rc;
}

int sign_data(const char *priv_path, const void *data, size_t n,
              uint8_t sig[SIGN_SIG_SIZE], struct ic_diag *d) {
  EVP_PKEY *k = read_key(priv_path, 1, d);
  if (!k)
    return -1;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  size_t len = SIGN_SIG_SIZE;
  int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
           EVP_DigestSign(ctx, sig, &len, data, n) == 1 &&
           len == SIGN_SIG_SIZE;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(k);
  return ok ? 0 : ic_fail(d, "%s: signing failed: %s", priv_path,
                          ssl_reason());
}

int sign_check(const char *pub_path, const void *data, size_t n,
               const uint8_t sig[SIGN_SIG_SIZE], uint8_t pub[SIGN_PUB_SIZE],
               struct ic_diag *d) {
  EVP_PKEY *k = read_key(pub_path, 0, d);
  if (!k)
    return -1;
  if (raw_public(k, pub) < 0) {
    EVP_PKEY_free(k);
    return ic_fail(d, "%s: cannot read the public key", pub_path);
  }
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int r = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1
              ? EVP_DigestVerify(ctx, sig, SIGN_SIG_SIZE, data, n)
              : -1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(k);
  ERR_clear_error();
  if (r < 0)
    return ic_fail(d, "%s: cannot check signatures with this key", pub_path);
  return r == 1 ? 0 : 1;
}

int sign_file_sha256(const char *path, char hex[65], long long *size,
                     struct ic_diag *d) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return ic_fail(d, "%s: %s", path, strerror(errno));
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
  unsigned char buf[65536];
  size_t n;
  long long total = 0;
  while (ok && (n = fread(buf, 1, sizeof buf, f)) > 0) {
    ok = EVP_DigestUpdate(ctx, buf, n) == 1;
    total += (long long)n;
  }
  ok = ok && !ferror(f);
  fclose(f);
  uint8_t md[32];
  unsigned mdlen = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
  EVP_MD_CTX_free(ctx);
  if (!ok)
    return ic_fail(d, "%s: cannot read it to hash it", path);
  sign_hex(md, 32, hex);
  if (size)
    *size = total;
  return 0;
}
