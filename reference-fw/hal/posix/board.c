/*
** board.c: the POSIX board's clock, event wait, log, heap, entropy and
** stop request (SIGTERM/SIGINT through a self-pipe).
*/
#include "hal/posix/hal_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "hal/posix/posix_internal.h"

/* GLOBAL: the stop request. Written by the signal handler (any thread
** that takes the signal; refimp has one), read by the main loop. */
static volatile sig_atomic_t stop_flag;
/* GLOBAL: the self-pipe the handler writes so that poll() wakes up.
** Written once by hal_posix_signals_init before handlers exist. */
static int stop_pipe[2] = {-1, -1};

static const char *const hal_texts[] = {
#define X(code, text) text,
    HAL_STATUS_LIST(X)
#undef X
};

const char *hal_status_text(enum hal_status st) {
  if ((size_t)st >= sizeof(hal_texts) / sizeof(hal_texts[0]))
    return "unknown hal status";
  return hal_texts[st];
}

/* GLOBAL: the virtual clock (main thread only): on, its time, and how far
** the jig lets it run. */
static struct {
  bool on;
  uint64_t now, allowed;
} vclock;

void hal_posix_clock_virtual(uint64_t start_ms) {
  vclock.on = true;
  vclock.now = vclock.allowed = start_ms;
}

bool hal_clock_virtual(void) {
  return vclock.on;
}

void hal_clock_allow(uint64_t until_ms) {
  if (until_ms > vclock.allowed)
    vclock.allowed = until_ms;
}

uint64_t hal_now_ms(void) {
  struct timespec ts;
  if (vclock.on)
    return vclock.now;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_stop_signal(int sig) {
  int saved = errno;
  char c = (char)sig;
  stop_flag = 1;
  if (stop_pipe[1] >= 0 && write(stop_pipe[1], &c, 1) < 0) {
    /* the pipe is full: a wake-up is already pending */
  }
  errno = saved;
}

enum hal_status hal_posix_signals_init(char *why, size_t why_cap) {
  struct sigaction sa;
  if (stop_pipe[0] < 0) {
    if (pipe(stop_pipe) != 0) {
      snprintf(why, why_cap, "pipe: %s", strerror(errno));
      return HAL_EIO;
    }
    for (int i = 0; i < 2; i++) {
      fcntl(stop_pipe[i], F_SETFL, O_NONBLOCK);
      fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC);
    }
  }
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_stop_signal; /* no SA_RESTART: interrupt blocking calls */
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
  return HAL_OK;
}

bool hal_posix_stop_requested(void) {
  return stop_flag != 0;
}

int posix_stop_fd(void) {
  return stop_pipe[0];
}

int posix_wait_fd(int fd, short events, int timeout_ms) {
  struct pollfd p[2] = {{fd, events, 0}, {stop_pipe[0], POLLIN, 0}};
  if (stop_flag)
    return -1;
  int n = poll(p, stop_pipe[0] >= 0 ? 2 : 1, timeout_ms);
  if (stop_flag || n < 0)
    return -1;
  return n > 0 && p[0].revents ? 1 : 0;
}

int posix_write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN) {
      if (posix_wait_fd(fd, POLLOUT, 10000) != 1)
        return -1;
      continue;
    }
    if (w <= 0)
      return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

enum hal_status hal_wait_event(uint64_t until_ms) {
  struct pollfd p[3];
  nfds_t n = 0;
  int timeout = -1;
  if (stop_flag)
    return HAL_ESTOP;
  if (posix_net_pending())
    return HAL_OK;
  if (vclock.on) {
    /* Jump to the deadline, or to the limit the jig set: the main loop
    ** then runs once at that time before anything blocks. */
    if (until_ms <= vclock.allowed || vclock.now < vclock.allowed) {
      uint64_t to = until_ms <= vclock.allowed ? until_ms : vclock.allowed;
      if (to > vclock.now)
        vclock.now = to;
      return HAL_OK;
    }
    /* at the limit: only an event (a jig message) can move time on */
  } else if (until_ms != UINT64_MAX) {
    uint64_t now = hal_now_ms();
    uint64_t left = until_ms > now ? until_ms - now : 0;
    timeout = left > INT_MAX ? INT_MAX : (int)left;
  }
  int fds[3] = {posix_stop_fd(), posix_net_fd(), posix_jig_fd()};
  for (int i = 0; i < 3; i++)
    if (fds[i] >= 0)
      p[n++] = (struct pollfd){fds[i], POLLIN, 0};
  if (poll(p, n, timeout) < 0 && errno != EINTR)
    return HAL_EIO;
  return stop_flag ? HAL_ESTOP : HAL_OK;
}

void hal_log(const char *msg) {
  char line[640];
  int n = snprintf(line, sizeof(line), "refimp: %s\n", msg);
  if (n < 0)
    return;
  if ((size_t)n >= sizeof(line)) {
    n = (int)sizeof(line) - 1;
    line[n - 1] = '\n';
  }
  /* one write per line, so lines from a crash-killed process stay whole */
  (void)posix_write_all(STDERR_FILENO, line, (size_t)n);
}

void *hal_mem_alloc(size_t n) {
  return malloc(n);
}

void hal_mem_free(void *p) {
  free(p);
}

enum hal_status hal_entropy(void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = getrandom(p, n, 0);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return HAL_EIO;
    p += r;
    n -= (size_t)r;
  }
  return HAL_OK;
}
