/*
** sign.h: Ed25519 keys and signatures, and SHA-256 of files, for signed
** certificates. The one module besides tls.c that calls OpenSSL: tls.c
** owns the TLS side, this one the certificate's cryptography (EVP only).
*/
#ifndef IMPCERT_SIGN_H
#define IMPCERT_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define SIGN_SIG_SIZE 64  /* an Ed25519 signature */
#define SIGN_PUB_SIZE 32  /* an Ed25519 public key, raw */

/* Make a key pair: the private key as PKCS#8 PEM at priv_path (mode 0600),
** the public key as SubjectPublicKeyInfo PEM at pub_path. Refuses to
** overwrite either file. 0, or -1 with d. */
int sign_keygen(const char *priv_path, const char *pub_path,
                struct ic_diag *d);

/* Check that priv_path holds an Ed25519 private key; its raw public key
** goes to pub. 0, or -1 with d naming the file and the problem. */
int sign_key_public(const char *priv_path, uint8_t pub[SIGN_PUB_SIZE],
                    struct ic_diag *d);

/* Write the public key of the private key at priv_path to pub_path (PEM).
** 0, or -1 with d. */
int sign_write_public(const char *priv_path, const char *pub_path,
                      struct ic_diag *d);

/* Sign data[0..n) with the private key at priv_path. 0, or -1 with d. */
int sign_data(const char *priv_path, const void *data, size_t n,
              uint8_t sig[SIGN_SIG_SIZE], struct ic_diag *d);

/* Check sig over data[0..n) with the public key PEM at pub_path; its raw
** key goes to pub. Returns 0 if the signature holds, 1 if it does not, -1
** if the key cannot be read (d says why). */
int sign_check(const char *pub_path, const void *data, size_t n,
               const uint8_t sig[SIGN_SIG_SIZE], uint8_t pub[SIGN_PUB_SIZE],
               struct ic_diag *d);

/* SHA-256 of the file at path as 64 lower-case hex digits (+ NUL) and its
** size. 0, or -1 with d. */
int sign_file_sha256(const char *path, char hex[65], long long *size,
                     struct ic_diag *d);

/* n bytes as lower-case hex into out (2n + 1 bytes). */
void sign_hex(const uint8_t *b, size_t n, char *out);

#endif
