/*
** spiflash.c: hardware.spiflash, the user area of the board's SPI flash
** (imp003 and later, HW-020): NOR semantics (a write only clears bits,
** erasesector() sets 4 KiB to 0xff, HW-021), SPIFLASH_PREVERIFY refusing
** a write that needs a 1 (HW-022). The bytes belong to the host (they
** outlive the VM, and each change goes to the host's flash so they
** outlive a power cycle, HW-033) and are apart from impOS's own store
** (HW-023). Nothing
** here depends on the network, so it works while a connection is being
** made (HW-024, REG-008, REG-044).
*/
#include "api/api_int.h"

#include <string.h>

#define SPIFLASH_SIZE 0x80000u     /* 512 KiB user area (constants.md) */
#define SPIFLASH_SECTOR 0x1000u
#define SPIFLASH_CHIPID 0xef4017   /* decided: a 64 Mbit part's JEDEC id */
#define SPIFLASH_POSTVERIFY 1
#define SPIFLASH_PREVERIFY 2

static const char spiflash_tag;

/* The api, once the caller is the spiflash object and it is enabled. */
static struct api *enabled(sq_vm *vm, const char *fn) {
  struct api *a = sq_getinstanceup(vm, 1, &spiflash_tag);
  if (!a) {
    sq_error(vm, "spiflash.%s: not the spiflash object", fn);
    return NULL;
  }
  if (!a->spiflash_enabled || !a->spiflash) {
    sq_error(vm, "spiflash.%s: the flash is not enabled (call "
                 "spiflash.enable() first)", fn);
    return NULL;
  }
  return a;
}

/* Is [addr, addr + n) inside the user area? Throws when not. */
static bool in_range(sq_vm *vm, const struct api *a, const char *fn,
                     int32_t addr, int32_t n) {
  if (addr < 0 || n < 0 || (uint32_t)addr > a->spiflash_size ||
      (uint32_t)n > a->spiflash_size - (uint32_t)addr) {
    sq_error(vm, "spiflash.%s: %d bytes at 0x%x are outside the %u-byte "
                 "user area", fn, (int)n, (unsigned)addr,
             (unsigned)a->spiflash_size);
    return false;
  }
  return true;
}

static int sf_enable(sq_vm *vm) {
  struct api *a = sq_getinstanceup(vm, 1, &spiflash_tag);
  if (!a)
    return sq_error(vm, "spiflash.enable: not the spiflash object");
  if (!a->spiflash && a->host.spiflash)
    a->spiflash = a->host.spiflash(a->host.ctx, SPIFLASH_SIZE);
  if (!a->spiflash)
    return sq_error(vm, "spiflash.enable: this board has no flash store "
                        "for the user area");
  a->spiflash_size = SPIFLASH_SIZE;
  a->spiflash_enabled = true;
  return 0;
}

static int sf_disable(sq_vm *vm) {
  struct api *a = sq_getinstanceup(vm, 1, &spiflash_tag);
  if (a)
    a->spiflash_enabled = false;
  return 0;
}

static int sf_size(sq_vm *vm) {
  struct api *a = enabled(vm, "size");
  if (!a)
    return -1;
  sq_pushint(vm, (int32_t)a->spiflash_size);
  return 1;
}

static int sf_chipid(sq_vm *vm) {
  if (!enabled(vm, "chipid"))
    return -1;
  sq_pushint(vm, SPIFLASH_CHIPID);
  return 1;
}

/* setspeed(hz): the model has one speed; returns the speed asked for
** rounded down to a whole MHz, at least 1 MHz. */
static int sf_setspeed(sq_vm *vm) {
  int32_t hz;
  if (!enabled(vm, "setspeed") || sq_checkint(vm, 2, &hz) < 0)
    return -1;
  if (hz < 1000000)
    return sq_error(vm, "spiflash.setspeed: %d Hz is below 1 MHz", (int)hz);
  sq_pushint(vm, hz / 1000000 * 1000000);
  return 1;
}

/* Hand changed bytes to the host's flash; throws when it failed. */
static int stored(sq_vm *vm, struct api *a, const char *fn, uint32_t off,
                  uint32_t n) {
  if (a->host.spiflash_wrote && !a->host.spiflash_wrote(a->host.ctx, off, n))
    return sq_error(vm, "spiflash.%s: the flash did not take the write", fn);
  return 0;
}

/* read(address, n) -> blob */
static int sf_read(sq_vm *vm) {
  struct api *a = enabled(vm, "read");
  int32_t addr, n;
  if (!a || sq_checkint(vm, 2, &addr) < 0 || sq_checkint(vm, 3, &n) < 0 ||
      !in_range(vm, a, "read", addr, n))
    return -1;
  if (sq_newblob(vm, a->spiflash + addr, (size_t)n) != SQ_OK)
    return sq_error(vm, "spiflash.read: out of memory");
  return 1;
}

/* readintoblob(address, blob, n): n bytes at the blob's start */
static int sf_readintoblob(sq_vm *vm) {
  struct api *a = enabled(vm, "readintoblob");
  int32_t addr, n;
  uint8_t *data;
  size_t len;
  if (!a || sq_checkint(vm, 2, &addr) < 0 || sq_checkint(vm, 4, &n) < 0)
    return -1;
  if (sq_getblob(vm, 3, &data, &len) < 0)
    return sq_error(vm, "spiflash.readintoblob: argument 2 must be a blob");
  if (!in_range(vm, a, "readintoblob", addr, n))
    return -1;
  if ((size_t)n > len)
    return sq_error(vm, "spiflash.readintoblob: %d bytes do not fit a "
                        "%u-byte blob", (int)n, (unsigned)len);
  memcpy(data, a->spiflash + addr, (size_t)n);
  return 0;
}

/* write(address, data[, flags[, start[, end]]]) -> 0, or 1 when a verify
** failed. data is a blob or a string; start/end select part of it. */
static int sf_write(sq_vm *vm) {
  struct api *a = enabled(vm, "write");
  int32_t addr, flags = 0, start = 0, end = -1;
  const uint8_t *src;
  size_t len;
  int top = sq_gettop(vm);
  if (!a || sq_checkint(vm, 2, &addr) < 0)
    return -1;
  uint8_t *bd;
  if (sq_getblob(vm, 3, &bd, &len) == 0) {
    src = bd;
  } else {
    const char *s;
    if (sq_checkstr(vm, 3, &s, &len) < 0)
      return -1;
    src = (const uint8_t *)s;
  }
  if ((top >= 4 && sq_checkint(vm, 4, &flags) < 0) ||
      (top >= 5 && sq_checkint(vm, 5, &start) < 0) ||
      (top >= 6 && sq_checkint(vm, 6, &end) < 0))
    return -1;
  if (end < 0)
    end = (int32_t)len;
  if (start < 0 || start > end || (size_t)end > len)
    return sq_error(vm, "spiflash.write: start %d / end %d do not fit the "
                        "%u bytes of data", (int)start, (int)end,
                    (unsigned)len);
  int32_t n = end - start;
  if (!in_range(vm, a, "write", addr, n))
    return -1;
  src += start;
  uint8_t *dst = a->spiflash + addr;
  if (flags & SPIFLASH_PREVERIFY) { /* HW-022: would a 0 have to rise? */
    for (int32_t i = 0; i < n; i++)
      if ((dst[i] & src[i]) != src[i]) {
        sq_pushint(vm, 1);
        return 1;
      }
  }
  for (int32_t i = 0; i < n; i++)
    dst[i] &= src[i]; /* NOR: programming only clears bits (HW-021) */
  if (stored(vm, a, "write", (uint32_t)addr, (uint32_t)n) < 0)
    return -1;
  if (flags & SPIFLASH_POSTVERIFY && memcmp(dst, src, (size_t)n) != 0) {
    sq_pushint(vm, 1);
    return 1;
  }
  sq_pushint(vm, 0);
  return 1;
}

/* erasesector(address): the 4 KiB sector starting there to 0xff. */
static int sf_erasesector(sq_vm *vm) {
  struct api *a = enabled(vm, "erasesector");
  int32_t addr;
  if (!a || sq_checkint(vm, 2, &addr) < 0 ||
      !in_range(vm, a, "erasesector", addr, SPIFLASH_SECTOR))
    return -1;
  if (addr % SPIFLASH_SECTOR)
    return sq_error(vm, "spiflash.erasesector: 0x%x is not on a 4096-byte "
                        "sector boundary", (unsigned)addr);
  memset(a->spiflash + addr, 0xff, SPIFLASH_SECTOR);
  return stored(vm, a, "erasesector", (uint32_t)addr, SPIFLASH_SECTOR);
}

static const struct sq_reg spiflash_fns[] = {
    {"enable", sf_enable, 1},
    {"disable", sf_disable, 1},
    {"size", sf_size, 1},
    {"chipid", sf_chipid, 1},
    {"setspeed", sf_setspeed, 2},
    {"read", sf_read, 3},
    {"readintoblob", sf_readintoblob, 4},
    {"write", sf_write, -3},
    {"erasesector", sf_erasesector, 2},
    {NULL, NULL, 0}};

int api_spiflash_open(struct api *a) {
  if (!(a->board->features & BOARD_HAS_SPIFLASH))
    return SQ_OK; /* HW-020: "spiflash" in hardware is false */
  return api_hw_object(a, "spiflash", &spiflash_tag, spiflash_fns, a);
}
