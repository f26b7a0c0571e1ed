/*
** benchexec.c: runs one command and measures it, for the scripts in tests/bench/.
**   benchexec [-o OUT] [-e ERR] -- CMD [ARGS...]
** The command's stdout goes to OUT and its stderr to ERR (default: both to
** /dev/null, so printing costs the same for every program measured). Prints
** one line: "wall=SECONDS cpu=SECONDS maxrss=KIB status=N" where cpu is
** user + system time of the command and its children and status its exit
** status (128+signal when killed). Exit: 0 when measured, 2 on bad usage or
** when the command cannot be started.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv(struct timeval t) {
  return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static int openout(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    fprintf(stderr, "benchexec: cannot open '%s': %s\n", path,
            strerror(errno));
  return fd;
}

int main(int argc, char **argv) {
  const char *outp = "/dev/null", *errp = "/dev/null";
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      i++;
      break;
    }
    if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-e") == 0) &&
        i + 1 < argc) {
      *(argv[i][1] == 'o' ? &outp : &errp) = argv[i + 1];
      i++;
      continue;
    }
    fprintf(stderr, "benchexec: unknown option '%s'\n"
                    "usage: benchexec [-o OUT] [-e ERR] -- CMD [ARGS...]\n",
            argv[i]);
    return 2;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: benchexec [-o OUT] [-e ERR] -- CMD [ARGS...]\n");
    return 2;
  }
  int ofd = openout(outp), efd = openout(errp);
  if (ofd < 0 || efd < 0)
    return 2;
  int gate[2]; /* tells the parent whether exec failed */
  if (pipe(gate) != 0 || fcntl(gate[1], F_SETFD, FD_CLOEXEC) != 0) {
    perror("benchexec: pipe");
    return 2;
  }
  double t0 = now();
  pid_t pid = fork();
  if (pid < 0) {
    perror("benchexec: fork");
    return 2;
  }
  if (pid == 0) {
    close(gate[0]);
    dup2(ofd, 1);
    dup2(efd, 2);
    execvp(argv[i], argv + i);
    int e = errno;
    if (write(gate[1], &e, sizeof e) < 0)
      _exit(127);
    _exit(127);
  }
  close(gate[1]);
  int e = 0;
  ssize_t got = read(gate[0], &e, sizeof e);
  int st;
  struct rusage ru;
  while (wait4(pid, &st, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("benchexec: wait4");
      return 2;
    }
  }
  double wall = now() - t0;
  if (got == (ssize_t)sizeof e) {
    fprintf(stderr, "benchexec: cannot run '%s': %s\n", argv[i], strerror(e));
    return 2;
  }
  int status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  printf("wall=%.6f cpu=%.6f maxrss=%ld status=%d\n", wall,
         tv(ru.ru_utime) + tv(ru.ru_stime), ru.ru_maxrss, status);
  return 0;
}
