/*
** i2c.c: the board's I2C buses (hardware.i2c89, hardware.i2cAB, ...) with
** target devices the jig plays (HW-026, jig.md "Peripherals"): each
** target is 256 byte registers behind a register pointer. write(addr, s)
** sets the pointer to s[0] and writes the rest from there; read(addr, s,
** n) sets the pointer to s[0] (when s is not empty) and reads n bytes on.
** A transfer to an address nobody plays fails with a negative
** readerror(). Every transfer is reported to the jig (I2cTransfer).
** Addresses in the API are 8-bit (the 7-bit address shifted left).
*/
#include "api/api_int.h"

#include <string.h>

/* readerror() codes (constants.md "I2C"; tests check only the sign) */
#define I2C_NO_ERROR 0
#define I2C_ADDRESS_NAK (-2)
#define I2C_NOT_ENABLED (-13)

static const char i2c_tag;

static struct api_i2c *bus_of(sq_vm *vm, const char *fn) {
  struct api_i2c *b = sq_getinstanceup(vm, 1, &i2c_tag);
  if (!b)
    sq_error(vm, "i2c.%s: not an I2C bus", fn);
  return b;
}

static int bus_index(const struct api *a, const struct api_i2c *b) {
  return (int)(b - a->i2cs);
}

static struct api_i2c_target *find_target(struct api *a, int bus,
                                          uint8_t address) {
  for (size_t i = 0; i < API_I2C_TARGETS; i++)
    if (a->targets[i].present && a->target_bus[i] == bus &&
        a->targets[i].address == address)
      return &a->targets[i];
  return NULL;
}

/* The 8-bit address at idx as a 7-bit one (or -1 after an error). */
static int address_at(sq_vm *vm, const struct api_i2c *b, int idx) {
  int32_t addr;
  if (sq_checkint(vm, idx, &addr) < 0)
    return -1;
  if (addr < 0 || addr > 255) {
    sq_error(vm, "%s: address 0x%x is not an 8-bit I2C address", b->name,
             (unsigned)addr);
    return -1;
  }
  return addr >> 1;
}

static void report(struct api *a, const struct api_i2c *b, int address,
                   const uint8_t *w, size_t wn, size_t rn, int32_t result) {
  struct api_event ev = {.kind = API_EV_I2C, .bus = b->name,
                         .address = (uint32_t)address, .data = w, .len = wn,
                         .read_len = (uint32_t)rn, .number = result};
  api_observe(a, &ev);
}

/* configure(speed): CLOCK_SPEED_10_KHZ ... CLOCK_SPEED_400_KHZ (Hz). */
static int i2c_configure(sq_vm *vm) {
  struct api_i2c *b = bus_of(vm, "configure");
  int32_t speed;
  if (!b || sq_checkint(vm, 2, &speed) < 0)
    return -1;
  if (speed != 10000 && speed != 50000 && speed != 100000 &&
      speed != 400000)
    return sq_error(vm, "%s.configure: %d is not a CLOCK_SPEED_* constant",
                    b->name, (int)speed);
  b->configured = true;
  b->error = I2C_NO_ERROR;
  return 0;
}

static int i2c_disable(sq_vm *vm) {
  struct api_i2c *b = bus_of(vm, "disable");
  if (!b)
    return -1;
  b->configured = false;
  return 0;
}

/* write(address, registerAndData) -> 0 or a negative error code */
static int i2c_write(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_i2c *b = bus_of(vm, "write");
  const char *s;
  size_t n;
  int addr;
  if (!b || (addr = address_at(vm, b, 2)) < 0 || sq_checkstr(vm, 3, &s, &n) < 0)
    return -1;
  const uint8_t *w = (const uint8_t *)s;
  struct api_i2c_target *t =
      b->configured ? find_target(a, bus_index(a, b), (uint8_t)addr) : NULL;
  if (!b->configured)
    b->error = I2C_NOT_ENABLED;
  else if (!t)
    b->error = I2C_ADDRESS_NAK;
  else {
    b->error = I2C_NO_ERROR;
    if (n)
      t->ptr = w[0];
    for (size_t i = 1; i < n; i++)
      t->regs[t->ptr++] = w[i]; /* the pointer wraps at 256 */
  }
  report(a, b, addr, w, n, 0, b->error);
  sq_pushint(vm, b->error);
  return 1;
}

/* read(address, registerAddress, n) -> a string of n bytes, or null */
static int i2c_read(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_i2c *b = bus_of(vm, "read");
  const char *s;
  size_t n;
  int32_t len;
  int addr;
  if (!b || (addr = address_at(vm, b, 2)) < 0 ||
      sq_checkstr(vm, 3, &s, &n) < 0 || sq_checkint(vm, 4, &len) < 0)
    return -1;
  if (len < 0 || len > 256)
    return sq_error(vm, "%s.read: %d bytes: 0 to 256 at a time", b->name,
                    (int)len);
  struct api_i2c_target *t =
      b->configured ? find_target(a, bus_index(a, b), (uint8_t)addr) : NULL;
  b->error = !b->configured ? I2C_NOT_ENABLED
             : !t           ? I2C_ADDRESS_NAK
                            : I2C_NO_ERROR;
  report(a, b, addr, (const uint8_t *)s, n, (size_t)len, b->error);
  if (!t)
    return 0; /* null */
  if (n)
    t->ptr = (uint8_t)s[0];
  uint8_t out[256];
  for (int32_t i = 0; i < len; i++)
    out[i] = t->regs[t->ptr++];
  sq_pushstring(vm, (const char *)out, (size_t)len);
  return 1;
}

static int i2c_readerror(sq_vm *vm) {
  struct api_i2c *b = bus_of(vm, "readerror");
  if (!b)
    return -1;
  sq_pushint(vm, b->error);
  return 1;
}

static const struct sq_reg i2c_fns[] = {
    {"configure", i2c_configure, 2},
    {"disable", i2c_disable, 1},
    {"write", i2c_write, 3},
    {"read", i2c_read, 4},
    {"readerror", i2c_readerror, 1},
    {NULL, NULL, 0}};

int api_i2c_open(struct api *a) {
  int st;
  for (size_t i = 0; i < BOARD_MAX_BUSES && a->board->i2cs[i]; i++) {
    a->i2cs[i].name = a->board->i2cs[i];
    if ((st = api_hw_object(a, a->board->i2cs[i], &i2c_tag, i2c_fns,
                            &a->i2cs[i])) != SQ_OK)
      return st;
  }
  return SQ_OK;
}

bool api_i2c_target(struct api *a, const char *bus, uint32_t address,
                    bool present, const uint8_t *regs, size_t n) {
  if (!a || a->stopped || address < 0x08 || address > 0x77 || n > 256)
    return false;
  int bi = -1;
  for (size_t i = 0; i < BOARD_MAX_BUSES && a->i2cs[i].name; i++)
    if (strcmp(a->i2cs[i].name, bus) == 0)
      bi = (int)i;
  if (bi < 0)
    return false;
  struct api_i2c_target *t = find_target(a, bi, (uint8_t)address);
  if (!present) {
    if (t)
      t->present = false;
    return true;
  }
  for (size_t i = 0; !t && i < API_I2C_TARGETS; i++)
    if (!a->targets[i].present) {
      t = &a->targets[i];
      a->target_bus[i] = bi;
    }
  if (!t)
    return false; /* every slot plays a target already */
  memset(t, 0, sizeof *t);
  t->present = true;
  t->address = (uint8_t)address;
  if (n)
    memcpy(t->regs, regs, n);
  return true;
}
