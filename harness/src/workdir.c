/*
** workdir.c: scratch folders: where they go, and their removal by nftw()
** (no `rm -rf` through a shell: no process per folder, no quoting).
*/
#include "workdir.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *workdir_base(void) {
  const char *e = getenv("IMPCERT_WORKDIR");
  if (e && *e)
    return e;
  struct stat st;
  if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
      access("/dev/shm", W_OK | X_OK) == 0)
    return "/dev/shm";
  e = getenv("TMPDIR");
  return e && *e ? e : "/tmp";
}

int workdir_make(char *buf, size_t n, const char *prefix, struct ic_diag *d) {
  const char *base = workdir_base();
  int len = snprintf(buf, n, "%s/%s-XXXXXX", base, prefix);
  if (len < 0 || (size_t)len >= n)
    return ic_fail(d, "work folder base '%s' is too long (IMPCERT_WORKDIR, "
                      "TMPDIR)", base);
  if (!mkdtemp(buf))
    return ic_fail(d, "cannot make a work folder in %s: %s", base,
                   strerror(errno));
  return 0;
}

/* nftw() passes no user pointer: the first failure is kept here.
** GLOBAL: written only during workdir_remove's walk, on the calling
** thread; the harness removes folders from its main thread only. */
static struct {
  int err;
  char path[256];
} first_failure;

static int remove_entry(const char *p, const struct stat *sb, int flag,
                        struct FTW *ftw) {
  (void)sb, (void)ftw;
  /* FTW_DNR: a folder we cannot read; rmdir then fails and says so */
  int r = flag == FTW_DP || flag == FTW_DNR ? rmdir(p) : unlink(p);
  if (r != 0 && errno != ENOENT && !first_failure.err) {
    first_failure.err = errno;
    snprintf(first_failure.path, sizeof first_failure.path, "%s", p);
  }
  return 0; /* go on: remove what can be removed */
}

int workdir_remove(const char *path, struct ic_diag *d) {
  struct stat st;
  if (lstat(path, &st) != 0)
    return errno == ENOENT ? 0
                           : ic_fail(d, "%s: %s", path, strerror(errno));
  if (!S_ISDIR(st.st_mode)) /* a file or a link: just that */
    return unlink(path) == 0 || errno == ENOENT
               ? 0
               : ic_fail(d, "%s: %s", path, strerror(errno));
  first_failure.err = 0;
  if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
    return ic_fail(d, "%s: %s", path, strerror(errno));
  if (first_failure.err)
    return ic_fail(d, "cannot remove %s: %s", first_failure.path,
                   strerror(first_failure.err));
  return 0;
}
