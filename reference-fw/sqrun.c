/*
** sqrun.c: runs a Squirrel script with refimp's interpreter (our lua.c).
** The only sq program that reads files. print() goes to stdout as is,
** error() and uncaught errors to stderr.
** Exit: 0 ok, 1 runtime error (or memory / budget), 2 syntax error or
** unreadable file or bad usage.
*/
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sq.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: sqrun [OPTIONS] FILE.nut [ARGS...]\n"
          "Runs FILE.nut; ARGS reach the script as the strings in vargv.\n"
          "  --memlimit BYTES  fail with 'out of memory' beyond BYTES\n"
          "  --budget N        stop after N loop iterations and calls\n"
          "  --mem             at the end, print the heap to stderr:\n"
          "                    'sqrun: heap used=BYTES peak=BYTES' (used is\n"
          "                    after a full collection)\n"
          "  --help            show this text\n"
          "Exit status: 0 ok, 1 runtime error, 2 syntax error or bad "
          "input.\n");
}

static void *stdalloc(void *ud, void *p, size_t oldsize, size_t newsize) {
  (void)ud;
  (void)oldsize;
  if (newsize == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, newsize);
}

static void out(void *ud, int iserr, const char *s, size_t n) {
  (void)ud;
  fwrite(s, 1, n, iserr ? stderr : stdout);
}

/* Reads a whole file; NULL with errno set on failure. */
static char *readfile(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap)
      break;
    char *nb = cap < (1u << 30) ? realloc(buf, cap * 2) : NULL;
    if (!nb) {
      free(buf);
      buf = NULL;
      errno = ENOMEM;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  int err = ferror(f);
  fclose(f);
  if (buf && err) {
    free(buf);
    errno = EIO;
    return NULL;
  }
  *len = n;
  return buf;
}

static bool parsesize(const char *s, unsigned long long *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s || *end)
    return false;
  *out = v;
  return true;
}

/* The collector frees a cycle's garbage in one sweep; by default glibc
** then hands the top of the heap back to the kernel and faults it in again
** on the next allocations (a third of the time of string building went
** there). Keep a few MiB. */
static void tunemalloc(void) {
#ifdef __GLIBC__
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
  mallopt(M_TOP_PAD, 1 << 20);
#endif
}

int main(int argc, char **argv) {
  unsigned long long memlimit = 0, budget = 0;
  bool memreport = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    }
    if (strcmp(argv[i], "--mem") == 0) {
      memreport = true;
      continue;
    }
    if ((strcmp(argv[i], "--memlimit") == 0 ||
         strcmp(argv[i], "--budget") == 0) && i + 1 < argc) {
      unsigned long long *dst =
          argv[i][2] == 'm' ? &memlimit : &budget;
      if (!parsesize(argv[i + 1], dst)) {
        fprintf(stderr, "sqrun: %s: not a number: '%s'\n", argv[i],
                argv[i + 1]);
        return 2;
      }
      i++;
      continue;
    }
    fprintf(stderr, "sqrun: unknown option '%s'\n", argv[i]);
    usage(stderr);
    return 2;
  }
  if (i >= argc) {
    usage(stderr);
    return 2;
  }
  const char *path = argv[i++];
  size_t len;
  char *src = readfile(path, &len);
  if (!src) {
    fprintf(stderr, "sqrun: cannot read '%s': %s\n", path, strerror(errno));
    return 2;
  }
  tunemalloc();
  sq_vm *vm = sq_open(stdalloc, NULL, (size_t)memlimit);
  if (!vm || sq_openlibs(vm) != SQ_OK) {
    fprintf(stderr, "sqrun: cannot create the interpreter (memory)\n");
    free(src);
    sq_close(vm);
    return 1;
  }
  sq_setprint(vm, out, NULL);
  int rc = 0;
  int st = sq_compile(vm, src, len, path);
  free(src);
  if (st == SQ_ERRSYNTAX) {
    fprintf(stderr, "%s\n", sq_lasterror(vm));
    rc = 2;
  } else if (st != SQ_OK) {
    fprintf(stderr, "Error: %s\n", sq_lasterror(vm));
    rc = 1;
  } else {
    int nargs = 1;
    st = sq_pushroot(vm);
    for (; st == SQ_OK && i < argc; i++, nargs++)
      st = sq_pushstring(vm, argv[i], SIZE_MAX);
    if (st == SQ_OK) {
      sq_setbudget(vm, budget);
      st = sq_call(vm, nargs);
    }
    if (st != SQ_OK) {
      fflush(stdout);
      fprintf(stderr, "Error: %s\n", sq_lasterror(vm));
      if (*sq_traceback(vm))
        fprintf(stderr, "Call stack:\n%s", sq_traceback(vm));
      rc = 1;
    }
  }
  fflush(stdout);
  if (memreport) {
    size_t peak = sq_mempeak(vm);
    sq_collect(vm);
    fprintf(stderr, "sqrun: heap used=%zu peak=%zu\n", sq_memused(vm), peak);
  }
  sq_close(vm);
  return rc;
}
