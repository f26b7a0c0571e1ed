/*
** spi.c: the board's SPI buses (hardware.spi189, hardware.spiAHSR, ...).
** Jig edition 1 has no SPI device, so the far end is modelled with MISO
** pulled high: every byte read is 0xff (docs/refimp.md). configure() may
** be called again at any time with other settings (REG-023).
*/
#include "api/api_int.h"

#include <string.h>

/* configure() flags (constants.md "SPI") */
#define SPI_KNOWN_FLAGS (1 | 2 | 4 | 8 | 16 | 32 | 64)
#define SPI_MAX_KHZ 60000
#define SPI_MAX_XFER 4096   /* bytes in one transfer */

static const char spi_tag;

static struct api_spi *spi_of(sq_vm *vm, const char *fn, bool need_config) {
  struct api_spi *s = sq_getinstanceup(vm, 1, &spi_tag);
  if (!s)
    sq_error(vm, "spi.%s: not an SPI bus", fn);
  else if (need_config && !s->configured) {
    sq_error(vm, "%s.%s: the bus is not configured", s->name, fn);
    return NULL;
  }
  return s;
}

/* configure(flags, speedKHz) -> the speed set, in kHz (the nearest at or
** below the one asked for: the model offers every whole kHz). */
static int spi_configure(sq_vm *vm) {
  struct api_spi *s = spi_of(vm, "configure", false);
  int32_t flags, khz;
  if (!s || sq_checkint(vm, 2, &flags) < 0 || sq_checkint(vm, 3, &khz) < 0)
    return -1;
  if (flags & ~SPI_KNOWN_FLAGS)
    return sq_error(vm, "%s.configure: unknown flags 0x%x", s->name,
                    (unsigned)flags);
  if (khz < 1)
    return sq_error(vm, "%s.configure: speed %d kHz", s->name, (int)khz);
  if (khz > SPI_MAX_KHZ)
    khz = SPI_MAX_KHZ;
  s->configured = true;
  s->speed_khz = (uint32_t)khz;
  sq_pushint(vm, khz);
  return 1;
}

static int spi_disable(sq_vm *vm) {
  struct api_spi *s = spi_of(vm, "disable", false);
  if (!s)
    return -1;
  s->configured = false;
  return 0;
}

/* The bytes of a string or blob argument. */
static bool data_at(sq_vm *vm, int idx, const uint8_t **d, size_t *n,
                    bool *is_blob) {
  uint8_t *b;
  *is_blob = sq_getblob(vm, idx, &b, n) == 0;
  if (*is_blob) {
    *d = b;
    return true;
  }
  const char *s;
  if (sq_checkstr(vm, idx, &s, n) < 0)
    return false;
  *d = (const uint8_t *)s;
  return true;
}

static int spi_write(sq_vm *vm) {
  const uint8_t *d;
  size_t n;
  bool blob;
  if (!spi_of(vm, "write", true) || !data_at(vm, 2, &d, &n, &blob))
    return -1;
  sq_pushint(vm, (int32_t)n);
  return 1;
}

/* Push n bytes of 0xff (what MISO pulled high reads) as a blob or a
** string. The bytes are made in a blob, so no big buffer sits on the
** stack of a small board. */
static int push_ones(sq_vm *vm, const struct api_spi *s, size_t n,
                     bool blob) {
  uint8_t *d;
  size_t len;
  if (n > SPI_MAX_XFER)
    return sq_error(vm, "%s: at most %d bytes at a time", s->name,
                    SPI_MAX_XFER);
  if (sq_newblob(vm, NULL, n) != SQ_OK || sq_getblob(vm, -1, &d, &len) < 0)
    return sq_error(vm, "%s: out of memory", s->name);
  memset(d, 0xff, len);
  if (!blob) {
    if (sq_pushstring(vm, (const char *)d, len) != SQ_OK)
      return sq_error(vm, "%s: out of memory", s->name);
    sq_remove(vm, -2);
  }
  return 1;
}

/* writeread(data) -> as many bytes read as written, of the same type. */
static int spi_writeread(sq_vm *vm) {
  const uint8_t *d;
  size_t n;
  bool blob;
  struct api_spi *s = spi_of(vm, "writeread", true);
  if (!s || !data_at(vm, 2, &d, &n, &blob))
    return -1;
  return push_ones(vm, s, n, blob);
}

static int spi_read(sq_vm *vm, bool blob) {
  int32_t n;
  struct api_spi *s = spi_of(vm, blob ? "readblob" : "readstring", true);
  if (!s || sq_checkint(vm, 2, &n) < 0)
    return -1;
  if (n < 0)
    return sq_error(vm, "%s: read %d bytes", s->name, (int)n);
  return push_ones(vm, s, (size_t)n, blob);
}

static int spi_readblob(sq_vm *vm) { return spi_read(vm, true); }
static int spi_readstring(sq_vm *vm) { return spi_read(vm, false); }

static const struct sq_reg spi_fns[] = {
    {"configure", spi_configure, 3},
    {"disable", spi_disable, 1},
    {"write", spi_write, 2},
    {"writeread", spi_writeread, 2},
    {"readblob", spi_readblob, 2},
    {"readstring", spi_readstring, 2},
    {NULL, NULL, 0}};

int api_spi_open(struct api *a) {
  int st;
  for (size_t i = 0; i < BOARD_MAX_BUSES && a->board->spis[i]; i++) {
    a->spis[i].name = a->board->spis[i];
    if ((st = api_hw_object(a, a->board->spis[i], &spi_tag, spi_fns,
                            &a->spis[i])) != SQ_OK)
      return st;
  }
  return SQ_OK;
}
