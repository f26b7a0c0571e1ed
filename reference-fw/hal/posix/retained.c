/*
** retained.c: the POSIX board's retained RAM (what survives deep sleep but
** not power loss: the RTC and the nv table) as the file DIR/retained.bin
** beside the flash, and the cause of this start (IMPCERT_WAKE).
*/
#include "hal/posix/hal_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* GLOBAL: where retained RAM lives and why the board started; written once
** by hal_posix_retained_config, main thread only. */
static struct {
  char path[PATH_MAX];
  enum hal_wake cause;
} ret = {"", HAL_WAKE_POWER_ON};

enum hal_status hal_posix_retained_config(const char *dir,
                                          enum hal_wake cause, char *why,
                                          size_t why_cap) {
  if (snprintf(ret.path, sizeof(ret.path), "%s/retained.bin", dir) >=
      (int)sizeof(ret.path)) {
    snprintf(why, why_cap, "--flash %s: path too long", dir);
    ret.path[0] = '\0';
    return HAL_EIO;
  }
  ret.cause = cause;
  /* a power-on or a reset: whatever the last sleep kept is lost */
  if (cause == HAL_WAKE_POWER_ON || cause == HAL_WAKE_HW_RESET)
    hal_retained_clear();
  return HAL_OK;
}

enum hal_wake hal_wake_cause(void) {
  return ret.cause;
}

enum hal_status hal_retained_load(void *buf, size_t cap, size_t *n) {
  *n = 0;
  if (!ret.path[0])
    return HAL_ENOTSUP;
  int fd = open(ret.path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? HAL_EAGAIN : HAL_EIO;
  ssize_t r;
  while ((r = read(fd, (char *)buf + *n, cap - *n)) > 0 && *n + (size_t)r < cap)
    *n += (size_t)r;
  if (r > 0)
    *n += (size_t)r;
  close(fd);
  return r < 0 ? HAL_EIO : HAL_OK;
}

enum hal_status hal_retained_save(const void *buf, size_t n) {
  char tmp[PATH_MAX + 8];
  if (!ret.path[0])
    return HAL_ENOTSUP;
  snprintf(tmp, sizeof(tmp), "%s.new", ret.path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return HAL_EIO;
  const char *p = buf;
  size_t left = n;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      close(fd);
      unlink(tmp);
      return HAL_EIO;
    }
    p += w;
    left -= (size_t)w;
  }
  /* the new contents replace the old in one step */
  if (close(fd) != 0 || rename(tmp, ret.path) != 0) {
    unlink(tmp);
    return HAL_EIO;
  }
  return HAL_OK;
}

void hal_retained_clear(void) {
  if (ret.path[0])
    unlink(ret.path);
}
