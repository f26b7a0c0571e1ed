/*
** certdoc.c: writes, signs and verifies certificate.json (jansson).
** The signature (certificate.sig: 128 hex digits) covers the exact bytes
** of certificate.json, which lists the SHA-256 of every other file; so one
** signature check plus one hash per file proves the whole folder.
*/
#include "certdoc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "junit.h"
#include "result.h"
#include "sign.h"

#define MAX_FILES 100000
#define MAX_JSON (64L << 20)

/* ---- the folder's files --------------------------------------------------- */

static bool own_file(const char *rel) {
  return !strcmp(rel, CERTDOC_JSON) || !strcmp(rel, CERTDOC_SIG);
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Add every file under root/rel to the list (recursively). */
static int walk(const char *root, const char *rel, char ***v, int *n,
                struct ic_diag *d) {
  char *path = rel ? ic_asprintf("%s/%s", root, rel) : ic_strdup(root);
  DIR *dh = path ? opendir(path) : NULL;
  if (!dh) {
    int rc = ic_fail(d, "%s: %s", path ? path : root,
                     path ? strerror(errno) : "out of memory");
    ic_free(path);
    return rc;
  }
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(dh))) {
    if (e->d_name[0] == '.')
      continue; /* hidden files (e.g. .gitkeep) are not certified */
    char *child = rel ? ic_asprintf("%s/%s", rel, e->d_name)
                      : ic_strdup(e->d_name);
    char *full = child ? ic_asprintf("%s/%s", root, child) : NULL;
    struct stat st;
    if (!full)
      rc = ic_fail(d, "out of memory");
    else if (lstat(full, &st) < 0)
      rc = ic_fail(d, "%s: %s", full, strerror(errno));
    else if (S_ISDIR(st.st_mode))
      rc = walk(root, child, v, n, d);
    else if (!S_ISREG(st.st_mode))
      rc = ic_fail(d, "%s is neither a file nor a folder (a link?): a "
                      "certification folder holds only plain files", full);
    else if (!(rel == NULL && own_file(child))) {
      char **g = *n < MAX_FILES ? ic_realloc(*v, (size_t)(*n + 1) * sizeof *g)
                                : NULL;
      if (!g)
        rc = ic_fail(d, "%s: too many files or out of memory", root);
      else {
        *v = g;
        (*v)[(*n)++] = child;
        child = NULL;
      }
    }
    ic_free(child);
    ic_free(full);
  }
  closedir(dh);
  ic_free(path);
  return rc;
}

int certdoc_list_files(const char *dir, char ***out, int *n,
                       struct ic_diag *d) {
  *out = NULL;
  *n = 0;
  int rc = walk(dir, NULL, out, n, d);
  if (rc < 0) {
    for (int i = 0; i < *n; i++)
      ic_free((*out)[i]);
    ic_free(*out);
    *out = NULL;
    *n = 0;
    return -1;
  }
  if (*n)
    qsort(*out, (size_t)*n, sizeof **out, cmp_str);
  return 0;
}

static void free_list(char **v, int n) {
  for (int i = 0; i < n; i++)
    ic_free(v[i]);
  ic_free(v);
}

/* ---- writing -------------------------------------------------------------- */

static json_t *str_or_null(const char *s) {
  return s ? json_string(s) : json_null();
}

/* jansson refuses invalid UTF-8; messages come from DUTs, so clean them. */
static json_t *text(const char *s) {
  if (!s)
    return json_null();
  json_t *j = json_string(s);
  if (j)
    return j;
  char *clean = junit_clean_text(s, strlen(s));
  j = json_string(clean ? clean : "");
  ic_free(clean);
  return j;
}

static json_t *lines(const struct cert_lines *l) {
  json_t *a = json_array();
  for (int i = 0; l && i < l->n; i++)
    json_array_append_new(a, text(l->v[i]));
  return a;
}

static json_t *build(const char *dir, const struct certdoc *c,
                     struct ic_diag *d) {
  json_t *o = json_object();
  json_object_set_new(o, "format", json_string(CERTDOC_FORMAT));
  json_object_set_new(o, "verdict", json_string(c->certified
                                                    ? "certified"
                                                    : "not certified"));
  json_object_set_new(o, "reasons", lines(c->why));
  json_object_set_new(o, "notes", lines(c->notes));
  json_object_set_new(o, "impcert_version", json_string(c->impcert_version));
  json_object_set_new(o, "plan", json_pack("{s:s?, s:s?, s:s?}", "name",
                                           c->plan_name, "path", c->plan_path,
                                           "sha256", c->plan_sha256));
  json_object_set_new(o, "profile", json_pack("{s:s?, s:s?, s:s?}", "name",
                                              c->profile_name, "path",
                                              c->profile_path, "sha256",
                                              c->profile_sha256));
  json_object_set_new(o, "firmware", text(c->firmware));
  json_object_set_new(o, "host", text(c->host));
  json_object_set_new(o, "started", str_or_null(c->started));
  json_object_set_new(o, "shuffled", json_boolean(c->shuffled));
  json_object_set_new(o, "seed", json_integer((json_int_t)c->seed));
  json_t *order = json_array();
  for (const char *s = c->order; s && *s;) {
    size_t len = strcspn(s, ",");
    json_array_append_new(order, json_stringn(s, len));
    s += len + (s[len] == ',');
  }
  json_object_set_new(o, "order", order);
  json_t *plugins = json_array();
  for (int i = 0; i < c->nplugins; i++)
    json_array_append_new(plugins,
                          json_pack("{s:s, s:s}", "path", c->plugins[i].path,
                                    "sha256", c->plugins[i].sha256));
  json_object_set_new(o, "plugins", plugins);
  json_t *caps = json_array();
  for (int i = 0; i < c->ncaps; i++)
    json_array_append_new(
        caps, json_pack("{s:s, s:b, s:s, s:o}", "name", c->caps[i].name,
                        "declared", c->caps[i].declared, "status",
                        certify_cap_status_name(c->caps[i].status),
                        "evidence", text(c->caps[i].evidence)));
  json_object_set_new(o, "capabilities", caps);
  int counts[5] = {0};
  json_t *tests = json_array();
  for (int i = 0; i < c->ntests; i++) {
    const struct cert_test *t = &c->tests[i];
    if (!t->probe && (unsigned)t->verdict < 5)
      counts[t->verdict]++;
    json_array_append_new(
        tests,
        json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o}", "id", t->id,
                  "suite", t->suite,
                  "role", t->probe ? "probe" : plan_role_name(t->role),
                  "verdict", result_verdict_name(t->verdict), "flaky",
                  t->flaky, "quarantine", text(t->quarantine), "message",
                  text(t->message)));
  }
  json_object_set_new(o, "counts",
                      json_pack("{s:i, s:i, s:i, s:i, s:i}", "pass",
                                counts[IMPCERT_PASS], "fail",
                                counts[IMPCERT_FAIL], "error",
                                counts[IMPCERT_ERROR], "inconclusive",
                                counts[IMPCERT_INCONCLUSIVE], "skip",
                                counts[IMPCERT_SKIP]));
  json_object_set_new(o, "tests", tests);
  json_object_set_new(o, "signer_ed25519", str_or_null(c->signer));
  char **files;
  int n;
  if (certdoc_list_files(dir, &files, &n, d) < 0) {
    json_decref(o);
    return NULL;
  }
  json_t *fa = json_array();
  int rc = 0;
  for (int i = 0; i < n && rc == 0; i++) {
    char *full = ic_asprintf("%s/%s", dir, files[i]);
    char hex[65];
    long long size = 0;
    rc = full ? sign_file_sha256(full, hex, &size, d)
              : ic_fail(d, "out of memory");
    if (rc == 0)
      json_array_append_new(fa, json_pack("{s:s, s:s, s:I}", "path",
                                          files[i], "sha256", hex, "bytes",
                                          (json_int_t)size));
    ic_free(full);
  }
  free_list(files, n);
  json_object_set_new(o, "files", fa);
  if (rc < 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

/* Write data to dir/name through a temporary file. */
static int write_file(const char *dir, const char *name, const char *data,
                      size_t n, struct ic_diag *d) {
  char *path = ic_asprintf("%s/%s", dir, name);
  char *tmp = path ? ic_asprintf("%s.tmp", path) : NULL;
  FILE *f = tmp ? fopen(tmp, "wb") : NULL;
  int rc = 0;
  if (!f)
    rc = ic_fail(d, "%s: %s", tmp ? tmp : name,
                 tmp ? strerror(errno) : "out of memory");
  else if (fwrite(data, 1, n, f) != n || fflush(f) != 0) {
    rc = ic_fail(d, "%s: %s", tmp, strerror(errno));
    fclose(f);
  } else if (fclose(f) != 0 || rename(tmp, path) != 0)
    rc = ic_fail(d, "%s: %s", path, strerror(errno));
  if (rc < 0 && tmp)
    unlink(tmp);
  ic_free(tmp);
  ic_free(path);
  return rc;
}

int certdoc_write(const char *dir, const struct certdoc *c, const char *key,
                  struct ic_diag *d) {
  json_t *o = build(dir, c, d);
  if (!o)
    return -1;
  char *js = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  json_decref(o);
  if (!js)
    return ic_fail(d, "%s/%s: cannot encode the certificate", dir,
                   CERTDOC_JSON);
  size_t n = strlen(js);
  char *withnl = ic_asprintf("%s\n", js);
  free(js);
  if (!withnl)
    return ic_fail(d, "out of memory");
  int rc = write_file(dir, CERTDOC_JSON, withnl, n + 1, d);
  if (rc == 0 && key) {
    uint8_t sig[SIGN_SIG_SIZE];
    char hex[2 * SIGN_SIG_SIZE + 2];
    rc = sign_data(key, withnl, n + 1, sig, d);
    if (rc == 0) {
      sign_hex(sig, SIGN_SIG_SIZE, hex);
      strcat(hex, "\n");
      rc = write_file(dir, CERTDOC_SIG, hex, strlen(hex), d);
    }
  }
  ic_free(withnl);
  return rc;
}

/* ---- verifying ------------------------------------------------------------ */

/* Read a whole file up to max bytes; NULL with d. */
static char *read_all(const char *path, long max, size_t *n,
                      struct ic_diag *d) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    ic_fail(d, "%s: %s", path, strerror(errno));
    return NULL;
  }
  char *buf = ic_malloc((size_t)max + 1);
  size_t got = buf ? fread(buf, 1, (size_t)max + 1, f) : 0;
  fclose(f);
  if (!buf || got > (size_t)max) {
    ic_free(buf);
    ic_fail(d, "%s: larger than %ld bytes or out of memory", path, max);
    return NULL;
  }
  buf[got] = '\0';
  *n = got;
  return buf;
}

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                                               : -1;
}

/* A listed path must stay inside the folder. */
static bool safe_path(const char *p) {
  if (!*p || p[0] == '/' || strstr(p, "//"))
    return false;
  for (const char *s = p; *s;) {
    size_t len = strcspn(s, "/");
    if ((len == 2 && !strncmp(s, "..", 2)) || (len == 1 && *s == '.') ||
        *s == '.')
      return false;
    s += len + (s[len] == '/');
  }
  return true;
}

/* Check the signature; counts problems. -1 if the key is unusable. */
static int check_signature(const char *dir, const char *pubkey,
                           const char *json, size_t n, int *problems) {
  struct ic_diag d;
  char *sigpath = ic_asprintf("%s/%s", dir, CERTDOC_SIG);
  size_t sn = 0;
  char *sig = sigpath ? read_all(sigpath, 1024, &sn, &d) : NULL;
  ic_free(sigpath);
  if (!sig) {
    printf("verify: UNSIGNED: %s/%s cannot be read: nothing proves who "
           "wrote the certificate\n", dir, CERTDOC_SIG);
    (*problems)++;
    return 0;
  }
  uint8_t raw[SIGN_SIG_SIZE];
  bool ok = sn >= 2 * SIGN_SIG_SIZE;
  for (int i = 0; ok && i < SIGN_SIG_SIZE; i++) {
    int hi = hexval(sig[2 * i]), lo = hexval(sig[2 * i + 1]);
    ok = hi >= 0 && lo >= 0;
    raw[i] = (uint8_t)(hi << 4 | lo);
  }
  for (size_t i = 2 * SIGN_SIG_SIZE; ok && i < sn; i++)
    ok = sig[i] == '\n' || sig[i] == '\r';
  ic_free(sig);
  if (!ok) {
    printf("verify: ALTERED: %s is not 128 hex digits\n", CERTDOC_SIG);
    (*problems)++;
    return 0;
  }
  uint8_t pub[SIGN_PUB_SIZE];
  int r = sign_check(pubkey, json, n, raw, pub, &d);
  if (r < 0) {
    fprintf(stderr, "impcert verify: %s\n", d.msg);
    return -1;
  }
  if (r == 1) {
    printf("verify: ALTERED: the signature does not match %s: it was "
           "changed after signing, or signed with a key other than %s\n",
           CERTDOC_JSON, pubkey);
    (*problems)++;
  } else
    printf("verify: ok: %s is signed by %s\n", CERTDOC_JSON, pubkey);
  return 0;
}

/* Check every listed file and look for unlisted ones. */
static void check_files(const char *dir, json_t *files, int *problems,
                        int *intact) {
  char **have;
  int nhave;
  struct ic_diag d;
  if (certdoc_list_files(dir, &have, &nhave, &d) < 0) {
    printf("verify: ALTERED: %s\n", d.msg);
    (*problems)++;
    return;
  }
  bool *listed = ic_calloc((size_t)(nhave ? nhave : 1), sizeof *listed);
  size_t i;
  json_t *f;
  json_array_foreach(files, i, f) {
    const char *path = json_string_value(json_object_get(f, "path"));
    const char *want = json_string_value(json_object_get(f, "sha256"));
    if (!path || !want || !safe_path(path)) {
      printf("verify: ALTERED: files[%zu] of %s is malformed or points "
             "outside the folder\n", i, CERTDOC_JSON);
      (*problems)++;
      continue;
    }
    for (int k = 0; k < nhave; k++)
      if (!strcmp(have[k], path) && listed)
        listed[k] = true;
    char *full = ic_asprintf("%s/%s", dir, path);
    char hex[65];
    long long size = 0;
    if (!full || sign_file_sha256(full, hex, &size, &d) < 0) {
      printf("verify: MISSING: %s (listed in %s)\n", path, CERTDOC_JSON);
      (*problems)++;
    } else if (strcmp(hex, want) != 0) {
      json_int_t was = json_integer_value(json_object_get(f, "bytes"));
      printf("verify: ALTERED: %s: SHA-256 is %.16s..., the certificate "
             "says %.16s...; %lld bytes, were %lld\n", path, hex, want,
             size, (long long)was);
      (*problems)++;
    } else
      (*intact)++;
    ic_free(full);
  }
  for (int k = 0; k < nhave; k++)
    if (listed && !listed[k]) {
      printf("verify: ADDED: %s is not in %s\n", have[k], CERTDOC_JSON);
      (*problems)++;
    }
  ic_free(listed);
  free_list(have, nhave);
}

int certdoc_verify(const char *dir, const char *pubkey) {
  struct ic_diag d;
  char *path = ic_asprintf("%s/%s", dir, CERTDOC_JSON);
  size_t n = 0;
  char *json = path ? read_all(path, MAX_JSON, &n, &d) : NULL;
  ic_free(path);
  if (!json) {
    fprintf(stderr, "impcert verify: %s\n", d.msg);
    return 2;
  }
  int problems = 0, intact = 0;
  if (check_signature(dir, pubkey, json, n, &problems) < 0) {
    ic_free(json);
    return 2;
  }
  json_error_t err;
  json_t *o = json_loadb(json, n, 0, &err);
  ic_free(json);
  const char *fmt = json_string_value(json_object_get(o, "format"));
  json_t *files = json_object_get(o, "files");
  if (!o || !fmt || strcmp(fmt, CERTDOC_FORMAT) || !json_is_array(files)) {
    if (!o)
      printf("verify: ALTERED: %s:%d:%d: %s\n", CERTDOC_JSON, err.line,
             err.column, err.text);
    else
      printf("verify: ALTERED: %s is not an %s document with a files "
             "list\n", CERTDOC_JSON, CERTDOC_FORMAT);
    json_decref(o);
    printf("verify: FAILED: %d problem(s)\n", problems + 1);
    return 1;
  }
  check_files(dir, files, &problems, &intact);
  const char *verdict = json_string_value(json_object_get(o, "verdict"));
  const char *plan = json_string_value(
      json_object_get(json_object_get(o, "plan"), "name"));
  if (problems)
    printf("verify: FAILED: %d problem(s); %d file(s) intact\n", problems,
           intact);
  else
    printf("verify: OK: signature good, %d file(s) intact; the certificate "
           "says: %s (plan %s)\n", intact, verdict ? verdict : "?",
           plan ? plan : "?");
  json_decref(o);
  return problems ? 1 : 0;
}
