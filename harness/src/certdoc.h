/*
** certdoc.h: certificate.json, the signed summary of a certification
** folder: what was certified, how, and the SHA-256 of every file in the
** folder. Owns writing it, signing it (certificate.sig) and verifying a
** folder against it. The only module that uses jansson.
*/
#ifndef IMPCERT_CERTDOC_H
#define IMPCERT_CERTDOC_H

#include <stdbool.h>

#include "certify.h"
#include "diag.h"

#define CERTDOC_JSON "certificate.json"
#define CERTDOC_SIG "certificate.sig"
#define CERTDOC_PUB "certificate.pub"
#define CERTDOC_FORMAT "impcert-certificate/1"

struct certdoc_file {
  const char *path, *sha256;
};

struct certdoc {
  bool certified;
  const struct cert_lines *why, *notes;
  const char *impcert_version;
  const char *plan_name, *plan_path, *plan_sha256;
  const char *profile_name, *profile_path, *profile_sha256;
  const char *firmware, *host, *started;
  bool shuffled;
  unsigned long seed;
  const char *order;        /* comma-separated IDs, or NULL */
  const struct certdoc_file *plugins;
  int nplugins;
  const struct cert_cap *caps;
  int ncaps;
  const struct cert_test *tests;
  int ntests;
  const char *signer;       /* hex of the raw public key, or NULL */
};

/* Write dir/certificate.json: the facts of c and the SHA-256 of every file
** under dir (hidden files and the certificate's own files excepted); then,
** if key is not NULL, sign it into dir/certificate.sig. 0, or -1 with d. */
int certdoc_write(const char *dir, const struct certdoc *c, const char *key,
                  struct ic_diag *d);

/* `impcert verify`: check dir/certificate.sig with the public key at
** pubkey and every file hash; print each problem (altered, missing, added
** file; bad signature) and a last line. Returns 0 if all holds, 1 if
** something was altered, 2 if the folder or key cannot be read. */
int certdoc_verify(const char *dir, const char *pubkey);

/* Every regular file under dir as a relative path, sorted, hidden files
** and the certificate's own files left out (*out, *n; free each and the
** array with ic_free). Anything else that is not a folder (a link, a
** device) is an error naming it. 0, or -1 with d. */
int certdoc_list_files(const char *dir, char ***out, int *n,
                       struct ic_diag *d);

#endif
