/*
** gatt.c: the GATT server model (gatt.h): UUIDs in canonical form, the
** service and characteristic table, permission checks and values.
*/
#include "api/gatt.h"

#include <string.h>

/* The Bluetooth base UUID after its first 8 digits (0000xxxx-...). */
static const char base_tail[] = "00001000800000805f9b34fb";

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool gatt_uuid(const char *s, size_t n, char out[GATT_UUID_SIZE]) {
  static const char digits[] = "0123456789abcdef";
  char hex[GATT_UUID_SIZE];
  size_t k = 0;
  if (!s || (n != 4 && n != 32 && n != 36))
    return false;
  for (size_t i = 0; i < n; i++) {
    if (n == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (s[i] != '-')
        return false;
      continue;
    }
    int v = hexval(s[i]);
    if (v < 0)
      return false;
    hex[k++] = digits[v];
  }
  hex[k] = '\0';
  /* one UUID, one spelling: the base form shrinks to its 16 bits */
  if (k == 32 && memcmp(hex, "0000", 4) == 0 &&
      memcmp(hex + 8, base_tail, 24) == 0) {
    memmove(hex, hex + 4, 4);
    hex[4] = '\0';
  }
  memcpy(out, hex, strlen(hex) + 1);
  return true;
}

void gatt_init(struct gatt *g, gatt_allocfn alloc, void *ud) {
  memset(g, 0, sizeof(*g));
  g->alloc = alloc;
  g->ud = ud;
}

void gatt_clear(struct gatt *g) {
  for (size_t i = 0; i < g->nchars; i++)
    if (g->chars[i].value)
      g->alloc(g->ud, g->chars[i].value, g->chars[i].len, 0);
  gatt_init(g, g->alloc, g->ud);
}

static int find_service(const struct gatt *g, const char *service) {
  for (size_t i = 0; i < g->nservices; i++)
    if (strcmp(g->services[i], service) == 0)
      return (int)i;
  return -1;
}

int gatt_add_service(struct gatt *g, const char *service) {
  if (find_service(g, service) >= 0)
    return GATT_EDUP;
  if (g->nservices == GATT_MAX_SERVICES)
    return GATT_EFULL;
  memcpy(g->services[g->nservices++], service, strlen(service) + 1);
  return 0;
}

static int find_char(const struct gatt *g, const char *service,
                     const char *uuid) {
  for (size_t i = 0; i < g->nchars; i++)
    if (strcmp(g->chars[i].service, service) == 0 &&
        strcmp(g->chars[i].uuid, uuid) == 0)
      return (int)i;
  return -1;
}

/* A copy of n bytes (NULL for none); *ok false when out of memory. */
static uint8_t *copy_value(struct gatt *g, const void *v, size_t n,
                           bool *ok) {
  *ok = true;
  if (n == 0)
    return NULL;
  uint8_t *p = g->alloc(g->ud, NULL, 0, n);
  if (!p) {
    *ok = false;
    return NULL;
  }
  memcpy(p, v, n);
  return p;
}

int gatt_add_char(struct gatt *g, const char *service, const char *uuid,
                  uint32_t flags, const void *value, size_t len,
                  int read_cb, int write_cb) {
  if (find_service(g, service) < 0)
    return GATT_ENOSERVICE;
  if (find_char(g, service, uuid) >= 0)
    return GATT_EDUP;
  if (g->nchars == GATT_MAX_CHARS)
    return GATT_EFULL;
  if (flags & ~(uint32_t)GATT_FLAGS_ALL)
    return GATT_EFLAGS;
  if (len > GATT_VALUE_MAX)
    return GATT_ETOOLONG;
  bool ok;
  uint8_t *copy = copy_value(g, value, len, &ok);
  if (!ok)
    return GATT_ENOMEM;
  struct gatt_char *c = &g->chars[g->nchars];
  memcpy(c->service, service, strlen(service) + 1);
  memcpy(c->uuid, uuid, strlen(uuid) + 1);
  c->flags = flags;
  c->read_cb = read_cb;
  c->write_cb = write_cb;
  c->value = copy;
  c->len = len;
  return (int)g->nchars++;
}

uint32_t gatt_default_flags(bool has_value, bool has_read, bool has_write) {
  uint32_t f = 0;
  if (has_value || has_read)
    f |= GATT_READ;
  if (has_write)
    f |= GATT_WRITE;
  return f;
}

int gatt_find(const struct gatt *g, const char *service, const char *uuid) {
  char s[GATT_UUID_SIZE], u[GATT_UUID_SIZE];
  if (!service || !uuid || !gatt_uuid(service, strlen(service), s) ||
      !gatt_uuid(uuid, strlen(uuid), u))
    return -1;
  return find_char(g, s, u);
}

uint32_t gatt_check(const struct gatt *g, int ci, enum gatt_op op,
                    size_t wlen) {
  if (ci < 0 || (size_t)ci >= g->nchars)
    return GATT_ATT_NOT_FOUND;
  uint32_t f = g->chars[ci].flags;
  if (op == GATT_OP_READ)
    return f & GATT_READ ? GATT_ATT_OK : GATT_ATT_READ_NOT_PERMITTED;
  if (!(f & (GATT_WRITE | GATT_WRITE_NO_RESPONSE)))
    return GATT_ATT_WRITE_NOT_PERMITTED;
  return wlen > GATT_VALUE_MAX ? GATT_ATT_INVALID_LENGTH : GATT_ATT_OK;
}

int gatt_set_value(struct gatt *g, int ci, const void *v, size_t n) {
  if (n > GATT_VALUE_MAX)
    return GATT_ETOOLONG;
  bool ok;
  uint8_t *copy = copy_value(g, v, n, &ok);
  if (!ok)
    return GATT_ENOMEM;
  struct gatt_char *c = &g->chars[ci];
  if (c->value)
    g->alloc(g->ud, c->value, c->len, 0);
  c->value = copy;
  c->len = n;
  return 0;
}
