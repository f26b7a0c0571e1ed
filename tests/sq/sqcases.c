/*
** sqcases.c: runs the Squirrel language cases (tests/data/sq, *.case) through
** sqrun and checks stdout, exit status and stderr. The case format is in
** docs/squirrel.md. Usage: sqcases CASEDIR SQRUN [NAME-SUBSTRING...]
** Prints one line per failing case, then "N passed, N failed"; exits 1
** when a case failed.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 10000

struct buf {
  char *p;
  size_t n, cap;
};

static void bufadd(struct buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap : 256;
    while (c < b->n + n + 1)
      c *= 2;
    char *q = realloc(b->p, c);
    if (!q) {
      fprintf(stderr, "sqcases: out of memory\n");
      exit(2);
    }
    b->p = q;
    b->cap = c;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

static char *readall(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  struct buf b = { 0 };
  char tmp[4096];
  size_t got;
  while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
    bufadd(&b, tmp, got);
  fclose(f);
  if (!b.p)
    bufadd(&b, "", 0);
  if (len)
    *len = b.n;
  return b.p;
}

struct tcase {
  struct buf script, out, err, status, options, args;
  bool has_out, has_err, has_status;
};

/* Splits a case file into its sections; returns an error text or NULL. */
static const char *parsecase(char *text, struct tcase *c) {
  struct buf *cur = NULL;
  char *line = text;
  while (*line) {
    char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
    if (strncmp(line, "--- ", 4) == 0) {
      char name[32] = { 0 };
      sscanf(line + 4, "%31s", name);
      if (strcmp(name, "script") == 0)
        cur = &c->script;
      else if (strcmp(name, "stdout") == 0)
        cur = &c->out, c->has_out = true;
      else if (strcmp(name, "error") == 0)
        cur = &c->err, c->has_err = true;
      else if (strcmp(name, "status") == 0)
        cur = &c->status, c->has_status = true;
      else if (strcmp(name, "options") == 0)
        cur = &c->options;
      else if (strcmp(name, "args") == 0)
        cur = &c->args;
      else
        return "unknown section";
      bufadd(cur, "", 0);
    } else if (cur) {
      bufadd(cur, line, n);
    } else if (strspn(line, " \t\r\n") != n && line[0] != '#') {
      return "text before the first section";
    }
    line += n;
  }
  if (!c->script.p)
    return "no '--- script' section";
  return NULL;
}

static void trimnl(char *s, size_t *n) {
  size_t k = s ? strlen(s) : 0;
  while (k > 0 && (s[k - 1] == '\n' || s[k - 1] == '\r'))
    s[--k] = 0;
  if (n)
    *n = k;
}

static int parsestatus(const char *s) {
  char w[32] = { 0 };
  if (sscanf(s, "%31s", w) != 1)
    return 0;
  if (strcmp(w, "SQ_OK") == 0) return 0;
  if (strcmp(w, "SQ_ERRSYNTAX") == 0) return 2;
  if (strcmp(w, "SQ_ERRRUN") == 0 || strcmp(w, "SQ_ERRMEM") == 0 ||
      strcmp(w, "SQ_ERRBUDGET") == 0)
    return 1;
  return atoi(w);
}

/* Splits s on blanks into argv slots (modifies s). */
static int splitwords(char *s, char **argv, int max) {
  int n = 0;
  for (char *t = strtok(s, " \t\r\n"); t && n < max;
       t = strtok(NULL, " \t\r\n"))
    argv[n++] = t;
  return n;
}

static bool writefile(const char *path, const char *s, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f)
    return false;
  bool ok = fwrite(s, 1, n, f) == n;
  return fclose(f) == 0 && ok;
}

struct result {
  char *out, *err;
  int status;       /* exit code, or -1 killed by timeout, -2 by signal */
  int sig;
};

static void sleepms(long ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  nanosleep(&ts, NULL);
}

/* Runs sqrun on the script in a fresh temp dir as "main.nut". */
static bool runcase(const char *sqrun, struct tcase *c, struct result *r,
                    char *why, size_t whylen) {
  char dir[] = "/tmp/sqcase.XXXXXX";
  if (!mkdtemp(dir)) {
    snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
    return false;
  }
  char pscript[64], pout[64], perr[64];
  snprintf(pscript, sizeof pscript, "%s/main.nut", dir);
  snprintf(pout, sizeof pout, "%s/stdout", dir);
  snprintf(perr, sizeof perr, "%s/stderr", dir);
  if (!writefile(pscript, c->script.p, c->script.n)) {
    snprintf(why, whylen, "cannot write %s", pscript);
    rmdir(dir);
    return false;
  }
  char *argv[64];
  int argc = 0;
  argv[argc++] = (char *)sqrun;
  if (c->options.p)
    argc += splitwords(c->options.p, argv + argc, 20);
  argv[argc++] = "main.nut";
  if (c->args.p)
    argc += splitwords(c->args.p, argv + argc, 20);
  argv[argc] = NULL;
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(why, whylen, "fork: %s", strerror(errno));
    return false;
  }
  if (pid == 0) {
    int fo = open(pout, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(perr, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fo < 0 || fe < 0 || chdir(dir) != 0)
      _exit(127);
    dup2(fo, 1);
    dup2(fe, 2);
    execv(sqrun, argv);
    _exit(127);
  }
  int st = 0;
  long waited = 0;
  r->status = 0;
  r->sig = 0;
  for (;;) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid)
      break;
    if (w < 0 && errno != EINTR) {
      snprintf(why, whylen, "waitpid: %s", strerror(errno));
      return false;
    }
    if (waited >= TIMEOUT_MS) {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      r->status = -1;
      break;
    }
    sleepms(waited < 20 ? 1 : 5);
    waited += waited < 20 ? 1 : 5;
  }
  if (r->status != -1) {
    if (WIFEXITED(st)) {
      r->status = WEXITSTATUS(st);
    } else {
      r->status = -2;
      r->sig = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    }
  }
  r->out = readall(pout, NULL);
  r->err = readall(perr, NULL);
  unlink(pscript);
  unlink(pout);
  unlink(perr);
  rmdir(dir);
  if (!r->out || !r->err) {
    snprintf(why, whylen, "cannot read the outputs");
    return false;
  }
  return true;
}

/* Printable excerpt of s around byte 'at' (escapes control bytes). */
static void excerpt(const char *s, size_t at, char *dst, size_t cap) {
  size_t start = at > 20 ? at - 20 : 0, k = 0;
  for (size_t i = start; s[i] && i < start + 50 && k + 5 < cap; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '\n') {
      dst[k++] = '\\';
      dst[k++] = 'n';
    } else if (ch < 32 || ch > 126) {
      k += (size_t)snprintf(dst + k, cap - k, "\\x%02x", ch);
    } else {
      dst[k++] = (char)ch;
    }
  }
  dst[k] = 0;
}

static bool checkcase(const char *name, struct tcase *c, struct result *r) {
  int want = c->has_status ? parsestatus(c->status.p) : 0;
  char e1[160], e2[160];
  if (r->status == -1) {
    printf("FAIL %s: timed out after %d ms\n", name, TIMEOUT_MS);
    return false;
  }
  if (r->status == -2) {
    printf("FAIL %s: sqrun died with signal %d\n", name, r->sig);
    return false;
  }
  /* a sanitizer report fails the case whatever the exit status */
  if (strstr(r->err, "AddressSanitizer") || strstr(r->err, "LeakSanitizer")
      || strstr(r->err, "runtime error:")) {
    const char *at = strstr(r->err, "Sanitizer");
    if (!at)
      at = strstr(r->err, "runtime error:");
    excerpt(at, 0, e2, sizeof e2);
    printf("FAIL %s: sanitizer report: \"%s\"\n", name, e2);
    return false;
  }
  size_t no, ne;
  trimnl(r->out, &no);
  if (c->has_out) {
    size_t n;
    trimnl(c->out.p, &n);
    if (n != no || memcmp(c->out.p, r->out, n) != 0) {
      size_t i = 0;
      while (i < n && i < no && c->out.p[i] == r->out[i])
        i++;
      excerpt(c->out.p, i, e1, sizeof e1);
      excerpt(r->out, i, e2, sizeof e2);
      printf("FAIL %s: stdout differs at byte %zu: expected \"%s\" got "
             "\"%s\"\n", name, i, e1, e2);
      return false;
    }
  }
  if (r->status != want) {
    trimnl(r->err, &ne);
    excerpt(r->err, 0, e2, sizeof e2);
    printf("FAIL %s: exit status %d, expected %d (stderr \"%s\")\n", name,
           r->status, want, e2);
    return false;
  }
  if (c->has_err) {
    char *line = c->err.p;
    while (line && *line) {
      char *nl = strchr(line, '\n');
      if (nl)
        *nl = 0;
      if (*line && !strstr(r->err, line)) {
        excerpt(r->err, 0, e2, sizeof e2);
        printf("FAIL %s: stderr lacks \"%s\" (got \"%s\")\n", name, line,
               e2);
        return false;
      }
      line = nl ? nl + 1 : NULL;
    }
  }
  return true;
}

static int cmpstr(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* True if 'name' (without .case) is listed in DIR/DISABLED. */
static bool disabled(const char *disabledtext, const char *name) {
  if (!disabledtext)
    return false;
  size_t n = strlen(name);
  for (const char *l = disabledtext; l && *l;) {
    if (strncmp(l, name, n) == 0 && (l[n] == ' ' || l[n] == '\t' ||
                                     l[n] == ':' || l[n] == '\n'))
      return true;
    l = strchr(l, '\n');
    if (l)
      l++;
  }
  return false;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sqcases CASEDIR SQRUN [NAME-SUBSTRING...]\n");
    return 2;
  }
  char sqrun[PATH_MAX];
  if (!realpath(argv[2], sqrun)) {
    fprintf(stderr, "sqcases: %s: %s\n", argv[2], strerror(errno));
    printf("0 passed, 1 failed\n");
    return 1;
  }
  DIR *d = opendir(argv[1]);
  if (!d) {
    fprintf(stderr, "sqcases: %s: %s\n", argv[1], strerror(errno));
    printf("0 passed, 1 failed\n");
    return 1;
  }
  char **names = NULL;
  size_t nn = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name);
    if (l <= 5 || strcmp(de->d_name + l - 5, ".case") != 0)
      continue;
    if (nn == cap) {
      cap = cap ? cap * 2 : 64;
      names = realloc(names, cap * sizeof(*names));
      if (!names)
        return 2;
    }
    names[nn++] = strdup(de->d_name);
  }
  closedir(d);
  if (nn)
    qsort(names, nn, sizeof(*names), cmpstr);
  char dpath[PATH_MAX];
  snprintf(dpath, sizeof dpath, "%s/DISABLED", argv[1]);
  char *distext = readall(dpath, NULL);
  int passed = 0, failed = 0, skipped = 0;
  for (size_t k = 0; k < nn; k++) {
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(strlen(names[k]) - 5),
             names[k]);
    bool selected = argc <= 3;
    for (int a = 3; a < argc; a++)
      selected |= strstr(name, argv[a]) != NULL;
    if (!selected)
      continue;
    if (disabled(distext, name)) {
      skipped++;
      continue;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", argv[1], names[k]);
    char *text = readall(path, NULL);
    struct tcase c;
    memset(&c, 0, sizeof c);
    const char *perr = text ? parsecase(text, &c) : "cannot read";
    char why[256] = "";
    struct result r = { 0 };
    if (perr) {
      printf("FAIL %s: bad case file: %s\n", name, perr);
      failed++;
    } else if (!runcase(sqrun, &c, &r, why, sizeof why)) {
      printf("FAIL %s: %s\n", name, why);
      failed++;
    } else if (checkcase(name, &c, &r)) {
      passed++;
    } else {
      failed++;
    }
    free(r.out);
    free(r.err);
    free(c.script.p);
    free(c.out.p);
    free(c.err.p);
    free(c.status.p);
    free(c.options.p);
    free(c.args.p);
    free(text);
    free(names[k]);
  }
  free(names);
  free(distext);
  if (skipped)
    printf("(%d disabled cases skipped, see %s)\n", skipped, dpath);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
