/*
** jig.c: the bench jig as a Unix stream socket (specs/jig.md): connect
** with retries for up to 2 s, blocking sends, non-blocking receives.
*/
#include "hal/posix/hal_posix.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hal/posix/posix_internal.h"

#define JIG_CONNECT_MS 2000
#define JIG_RETRY_MS 50

/* GLOBAL: the board's jig connection. Written by main (path) and the
** hal_jig_* calls, all on the main thread. */
static struct {
  const char *path;
  int fd;
} jig = {NULL, -1};

void hal_posix_jig_config(const char *path) {
  jig.path = path;
}

int posix_jig_fd(void) {
  return jig.fd;
}

static int try_connect(const struct sockaddr_un *sa) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
    return fd;
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

enum hal_status hal_jig_open(char *why, size_t why_cap) {
  struct sockaddr_un sa;
  if (!jig.path)
    return HAL_ENOTSUP;
  hal_jig_close();
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  if (strlen(jig.path) >= sizeof(sa.sun_path)) {
    /* %.200s: the path is over-long by definition; a bound keeps gcc's
    ** format-truncation check quiet on 32-bit targets. */
    snprintf(why, why_cap, "--jig %.200s: path longer than %zu bytes",
             jig.path, sizeof(sa.sun_path) - 1);
    return HAL_EIO;
  }
  memcpy(sa.sun_path, jig.path, strlen(jig.path) + 1);
  for (int waited = 0;; waited += JIG_RETRY_MS) {
    jig.fd = try_connect(&sa);
    if (jig.fd >= 0)
      return HAL_OK;
    if (waited >= JIG_CONNECT_MS || hal_posix_stop_requested()) {
      snprintf(why, why_cap, "--jig %s: connect: %s (gave up after %d ms)",
               jig.path, strerror(errno), waited);
      return HAL_EIO;
    }
    struct timespec ts = {0, JIG_RETRY_MS * 1000000L};
    nanosleep(&ts, NULL);
  }
}

enum hal_status hal_jig_send(const void *buf, size_t n) {
  const char *p = buf;
  if (jig.fd < 0)
    return HAL_ECLOSED;
  while (n > 0) {
    ssize_t w = send(jig.fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return errno == EPIPE || errno == ECONNRESET ? HAL_ECLOSED : HAL_EIO;
    p += w;
    n -= (size_t)w;
  }
  return HAL_OK;
}

enum hal_status hal_jig_recv(void *buf, size_t cap, size_t *got) {
  *got = 0;
  if (jig.fd < 0)
    return HAL_ECLOSED;
  for (;;) {
    ssize_t r = recv(jig.fd, buf, cap, MSG_DONTWAIT);
    if (r > 0) {
      *got = (size_t)r;
      return HAL_OK;
    }
    if (r == 0)
      return HAL_ECLOSED;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return HAL_EAGAIN;
    return errno == ECONNRESET ? HAL_ECLOSED : HAL_EIO;
  }
}

void hal_jig_close(void) {
  if (jig.fd >= 0)
    close(jig.fd);
  jig.fd = -1;
}
