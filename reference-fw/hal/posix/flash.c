/*
** flash.c: the simulated flash as a file, DIR/flash.bin, and its power-cut
** fault injection. Offsets are checked; the erased state is 0xff.
*/
#include "hal/posix/hal_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* GLOBAL: the board's one flash chip. Written by hal_posix_flash_open and
** the hal_flash_* calls, all on the main thread. */
static struct {
  int fd;
  uint64_t written;      /* bytes written (for tests sizing a cut) */
  bool cut_armed;        /* fault injection: power cut pending */
  uint64_t cut_left;     /* bytes that may still be written */
  bool cut;              /* the power is "off": writes fail */
  bool cut_ends_board;   /* the jig's cut: the process ends at the cut */
  uint32_t read_errors;  /* reads that will still fail */
} flash = {-1, 0, false, 0, false, false, 0};

/* GLOBAL: the user area of the SPI flash (hardware.spiflash), its own
** file DIR/spiflash.bin beside flash.bin, opened (made) on first use. */
static struct {
  int fd;
  char path[PATH_MAX];   /* empty: no flash folder */
} spi = {-1, ""};

/* mkdir -p */
static int make_dirs(const char *dir) {
  char path[PATH_MAX];
  if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  for (char *p = path + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
      return -1;
    *p = '/';
  }
  if (mkdir(path, 0777) != 0 && errno != EEXIST)
    return -1;
  return 0;
}

/* Create an erased flash file of `size` bytes atomically (temp file, then
** rename). */
static int create_flash(const char *path, uint32_t size, char *why,
                        size_t why_cap) {
  char tmp[PATH_MAX + 8];
  uint8_t page[4096];
  snprintf(tmp, sizeof(tmp), "%s.new", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    snprintf(why, why_cap, "%s: %s", tmp, strerror(errno));
    return -1;
  }
  memset(page, 0xff, sizeof(page));
  for (uint32_t off = 0; off < size; off += sizeof(page))
    if (pwrite(fd, page, sizeof(page), off) != (ssize_t)sizeof(page)) {
      snprintf(why, why_cap, "%s: %s", tmp, strerror(errno));
      close(fd);
      return -1;
    }
  if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
    snprintf(why, why_cap, "%s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

enum hal_status hal_posix_flash_open(const char *dir, char *why,
                                     size_t why_cap) {
  char path[PATH_MAX];
  struct stat st;
  hal_posix_flash_close();
  if (make_dirs(dir) != 0) {
    snprintf(why, why_cap, "--flash %s: %s", dir, strerror(errno));
    return HAL_EIO;
  }
  if (snprintf(path, sizeof(path), "%s/flash.bin", dir) >= (int)sizeof(path) ||
      snprintf(spi.path, sizeof(spi.path), "%s/spiflash.bin", dir) >=
          (int)sizeof(spi.path)) {
    snprintf(why, why_cap, "--flash %s: path too long", dir);
    return HAL_EIO;
  }
  if (stat(path, &st) != 0 &&
      create_flash(path, HAL_POSIX_FLASH_SIZE, why, why_cap) != 0)
    return HAL_EIO;
  flash.fd = open(path, O_RDWR | O_CLOEXEC);
  if (flash.fd < 0) {
    snprintf(why, why_cap, "%s: %s", path, strerror(errno));
    return HAL_EIO;
  }
  if (fstat(flash.fd, &st) != 0 || st.st_size != HAL_POSIX_FLASH_SIZE) {
    snprintf(why, why_cap, "%s: %lld bytes, expected %u", path,
             (long long)st.st_size, HAL_POSIX_FLASH_SIZE);
    hal_posix_flash_close();
    return HAL_EIO;
  }
  return HAL_OK;
}

void hal_posix_flash_close(void) {
  if (flash.fd >= 0)
    close(flash.fd);
  flash.fd = -1;
  if (spi.fd >= 0)
    close(spi.fd);
  spi.fd = -1;
  spi.path[0] = '\0';
}

uint32_t hal_flash_size(void) {
  return flash.fd >= 0 ? HAL_POSIX_FLASH_SIZE : 0;
}

static bool in_range(uint32_t off, size_t n) {
  return flash.fd >= 0 && off <= HAL_POSIX_FLASH_SIZE &&
         n <= HAL_POSIX_FLASH_SIZE - off;
}

enum hal_status hal_flash_read(uint32_t off, void *buf, size_t n) {
  if (!in_range(off, n))
    return HAL_EINVAL;
  if (flash.read_errors > 0) {
    flash.read_errors--;
    return HAL_EIO;
  }
  for (size_t done = 0; done < n;) {
    ssize_t r = pread(flash.fd, (char *)buf + done, n - done, off + done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return HAL_EIO;
    done += (size_t)r;
  }
  return HAL_OK;
}

static enum hal_status write_raw(uint32_t off, const void *buf, size_t n) {
  for (size_t done = 0; done < n;) {
    ssize_t w = pwrite(flash.fd, (const char *)buf + done, n - done,
                       off + done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return HAL_EIO;
    done += (size_t)w;
    flash.written += (uint64_t)w;
  }
  return HAL_OK;
}

enum hal_status hal_flash_write(uint32_t off, const void *buf, size_t n) {
  if (!in_range(off, n))
    return HAL_EINVAL;
  if (flash.cut)
    return HAL_EIO;
  if (flash.cut_armed && n > flash.cut_left) {
    /* the power goes at byte cut_left of this write */
    (void)write_raw(off, buf, (size_t)flash.cut_left);
    flash.cut = true;
    flash.cut_left = 0;
    if (flash.cut_ends_board) {
      /* the bytes written are in the file (the page cache keeps them
      ** when the process ends); nothing else of the board survives */
      hal_log("power cut by the jig during a flash write");
      _exit(0);
    }
    return HAL_EIO;
  }
  if (flash.cut_armed)
    flash.cut_left -= n;
  return write_raw(off, buf, n);
}

/* The board's power cut is the process ending (jig.md "Flash faults"):
** every write() that returned is in the host's page cache and survives
** it, so the write order is all a sync has to keep. fdatasync would only
** guard against the host crashing, at a cost of about a millisecond a
** call (STORE-018's 60,000 user configuration writes took minutes). */
enum hal_status hal_flash_sync(void) {
  if (flash.fd < 0 || flash.cut)
    return HAL_EIO;
  return HAL_OK;
}

enum hal_status hal_flash_fault_cut_after(uint64_t bytes) {
  flash.cut_armed = true;
  flash.cut_left = bytes;
  flash.cut = false;
  return HAL_OK;
}

enum hal_status hal_flash_fault_power_cut_after(uint64_t bytes) {
  hal_flash_fault_cut_after(bytes);
  flash.cut_ends_board = true;
  return HAL_OK;
}

enum hal_status hal_flash_fault_read_errors(uint32_t n) {
  flash.read_errors = n;
  return HAL_OK;
}

void hal_flash_fault_clear(void) {
  flash.cut_ends_board = false;
  flash.read_errors = 0;
  flash.cut_armed = false;
  flash.cut = false;
  flash.cut_left = 0;
  flash.written = 0;
}

uint64_t hal_flash_bytes_written(void) {
  return flash.written;
}

/* ---- the SPI flash user area (DIR/spiflash.bin) ------------------------ */

static bool spi_open(void) {
  char why[PATH_MAX + 64];
  struct stat st;
  if (spi.fd >= 0)
    return true;
  if (!spi.path[0])
    return false;
  if (stat(spi.path, &st) != 0 &&
      create_flash(spi.path, HAL_POSIX_SPIFLASH_SIZE, why, sizeof why) != 0) {
    hal_log(why);
    return false;
  }
  spi.fd = open(spi.path, O_RDWR | O_CLOEXEC);
  if (spi.fd < 0) {
    snprintf(why, sizeof why, "%s: %s", spi.path, strerror(errno));
    hal_log(why);
    return false;
  }
  if (fstat(spi.fd, &st) != 0 || st.st_size != HAL_POSIX_SPIFLASH_SIZE) {
    snprintf(why, sizeof why, "%s: %lld bytes, expected %u", spi.path,
             (long long)st.st_size, HAL_POSIX_SPIFLASH_SIZE);
    hal_log(why);
    close(spi.fd);
    spi.fd = -1;
    return false;
  }
  return true;
}

uint32_t hal_spiflash_size(void) {
  return spi_open() ? HAL_POSIX_SPIFLASH_SIZE : 0;
}

static bool spi_in_range(uint32_t off, size_t n) {
  return spi_open() && off <= HAL_POSIX_SPIFLASH_SIZE &&
         n <= HAL_POSIX_SPIFLASH_SIZE - off;
}

enum hal_status hal_spiflash_read(uint32_t off, void *buf, size_t n) {
  if (!spi_in_range(off, n))
    return HAL_EINVAL;
  for (size_t done = 0; done < n;) {
    ssize_t r = pread(spi.fd, (char *)buf + done, n - done, off + done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return HAL_EIO;
    done += (size_t)r;
  }
  return HAL_OK;
}

enum hal_status hal_spiflash_write(uint32_t off, const void *buf, size_t n) {
  if (!spi_in_range(off, n))
    return HAL_EINVAL;
  for (size_t done = 0; done < n;) {
    ssize_t w = pwrite(spi.fd, (const char *)buf + done, n - done,
                       off + done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return HAL_EIO;
    done += (size_t)w;
  }
  return HAL_OK;
}
