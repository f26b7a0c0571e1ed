/* harness_workdir_test.c: scratch folders: made where IMPCERT_WORKDIR
** says, removed whole by nftw without following links, errors named. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cu_main.h"
#include "workdir.h"

static bool exists(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0;
}

static void sub(char *out, size_t n, const char *dir, const char *name) {
  CU_ASSERT_FATAL(strlen(dir) + strlen(name) + 2 <= n);
  strcpy(out, dir);
  strcat(out, "/");
  strcat(out, name);
}

static void touch(const char *dir, const char *name) {
  char p[512];
  sub(p, sizeof p, dir, name);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT(write(fd, "x", 1) == 1);
  close(fd);
}

static void makes_in_the_chosen_base(void) {
  char base[] = "/tmp/impcert-wdtest-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(base));
  setenv("IMPCERT_WORKDIR", base, 1);
  CU_ASSERT_STRING_EQUAL(workdir_base(), base);
  char dir[256];
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(workdir_make(dir, sizeof dir, "run", &d), 0);
  CU_ASSERT(strncmp(dir, base, strlen(base)) == 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(dir, "/run-"));
  CU_ASSERT_TRUE(exists(dir));
  /* a buffer too small for the path is refused, not overrun */
  char small[8];
  CU_ASSERT_EQUAL(workdir_make(small, sizeof small, "run", &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "too long"));
  /* a base that does not exist: mkdtemp's reason, with the base */
  setenv("IMPCERT_WORKDIR", "/nonexistent-impcert-base", 1);
  CU_ASSERT_EQUAL(workdir_make(dir, sizeof dir, "run", &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "/nonexistent-impcert-base"));
  unsetenv("IMPCERT_WORKDIR");
  CU_ASSERT_EQUAL(workdir_remove(base, &d), 0);
  CU_ASSERT_FALSE(exists(base));
}

/* A tree like a test's: nested folders, files, a socket, a FIFO, and
** links out of the tree that must not be followed. */
static void removes_a_tree_but_not_what_links_point_to(void) {
  char top[] = "/tmp/impcert-wdtest-XXXXXX";
  char keep[] = "/tmp/impcert-wdkeep-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(top));
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(keep));
  touch(keep, "precious");
  char p[512], q[512];
  sub(p, sizeof p, top, "flash");
  CU_ASSERT_EQUAL_FATAL(mkdir(p, 0755), 0);
  sub(q, sizeof q, p, "deeper");
  CU_ASSERT_EQUAL_FATAL(mkdir(q, 0755), 0);
  touch(p, "flash.bin");
  touch(q, "x");
  touch(top, "dut.log");
  sub(p, sizeof p, top, "fifo");
  CU_ASSERT_EQUAL(mkfifo(p, 0644), 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s/jig.sock", top);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  close(fd);
  sub(p, sizeof p, top, "link-to-folder");
  CU_ASSERT_EQUAL(symlink(keep, p), 0);
  sub(p, sizeof p, top, "flash/link-to-file");
  sub(q, sizeof q, keep, "precious");
  CU_ASSERT_EQUAL(symlink(q, p), 0);
  struct ic_diag d;
  CU_ASSERT_EQUAL(workdir_remove(top, &d), 0);
  CU_ASSERT_FALSE(exists(top));
  CU_ASSERT_TRUE(exists(q)); /* the links went, not their targets */
  /* gone already, and a lone file */
  CU_ASSERT_EQUAL(workdir_remove(top, &d), 0);
  CU_ASSERT_EQUAL(workdir_remove(q, &d), 0);
  CU_ASSERT_FALSE(exists(q));
  CU_ASSERT_EQUAL(workdir_remove(keep, &d), 0);
  CU_ASSERT_FALSE(exists(keep));
}

/* An entry that cannot go is named; the rest is still removed. Root
** ignores folder permissions, so there the case is an ENOTDIR path. */
static void names_what_cannot_be_removed(void) {
  char top[] = "/tmp/impcert-wdtest-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(top));
  touch(top, "file");
  char p[512];
  struct ic_diag d;
  sub(p, sizeof p, top, "file/below");
  CU_ASSERT_EQUAL(workdir_remove(p, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "file/below"));
  if (geteuid() != 0) {
    char locked[512];
    sub(locked, sizeof locked, top, "locked");
    CU_ASSERT_EQUAL_FATAL(mkdir(locked, 0755), 0);
    touch(locked, "inside");
    chmod(locked, 0555);
    CU_ASSERT_EQUAL(workdir_remove(top, &d), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "locked/inside"));
    chmod(locked, 0755);
  }
  CU_ASSERT_EQUAL(workdir_remove(top, &d), 0);
  CU_ASSERT_FALSE(exists(top));
}

static const struct cu_test tests[] = {
    {"made in the chosen base", makes_in_the_chosen_base},
    {"removes a tree, not link targets",
     removes_a_tree_but_not_what_links_point_to},
    {"names what cannot be removed", names_what_cannot_be_removed},
    {NULL, NULL}};
static const struct cu_suite suites[] = {{"workdir", tests}};
CU_MAIN(suites)
