/*
** gatt.h: the GATT server model behind hardware.bluetooth's servegatt():
** services and their characteristics by UUID, permission flags, stored
** values, and the ATT status a peer's read or write gets. Knows nothing of
** Squirrel or the jig: callbacks are opaque handles the caller gives.
*/
#ifndef REFIMP_API_GATT_H
#define REFIMP_API_GATT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A UUID in canonical form (specs/constants.md "Bluetooth"): 4 lower-case
** hex digits for one on the Bluetooth base UUID, else 32; plus NUL. */
#define GATT_UUID_SIZE 33
#define GATT_MAX_SERVICES 8
#define GATT_MAX_CHARS 32     /* over all services */
#define GATT_VALUE_MAX 512    /* the longest attribute value (ATT) */

/* Characteristic property flags: the bits of a GATT characteristic
** declaration (specs/constants.md "Bluetooth"). */
enum gatt_flag {
  GATT_BROADCAST = 0x01,
  GATT_READ = 0x02,
  GATT_WRITE_NO_RESPONSE = 0x04,
  GATT_WRITE = 0x08,
  GATT_NOTIFY = 0x10,
  GATT_INDICATE = 0x20
};
#define GATT_FLAGS_ALL 0x3f

/* ATT status codes a request is answered with (0: success). */
enum gatt_att {
  GATT_ATT_OK = 0x00,
  GATT_ATT_READ_NOT_PERMITTED = 0x02,
  GATT_ATT_WRITE_NOT_PERMITTED = 0x03,
  GATT_ATT_NOT_FOUND = 0x0a,
  GATT_ATT_INVALID_LENGTH = 0x0d,
  GATT_ATT_UNLIKELY = 0x0e
};

/* Why an add failed. */
enum gatt_err {
  GATT_EFULL = -1,      /* GATT_MAX_SERVICES / GATT_MAX_CHARS reached */
  GATT_EDUP = -2,       /* the UUID is already there */
  GATT_ENOSERVICE = -3, /* no such service */
  GATT_ETOOLONG = -4,   /* value over GATT_VALUE_MAX */
  GATT_EFLAGS = -5,     /* flags outside GATT_FLAGS_ALL */
  GATT_ENOMEM = -6
};

enum gatt_op { GATT_OP_READ, GATT_OP_WRITE };

/* Memory for values, like sq_alloc: newsize 0 frees; may return NULL. */
typedef void *(*gatt_allocfn)(void *ud, void *p, size_t oldsize,
                              size_t newsize);

struct gatt_char {
  char service[GATT_UUID_SIZE];
  char uuid[GATT_UUID_SIZE];
  uint32_t flags;         /* enum gatt_flag bits */
  int read_cb, write_cb;  /* the caller's handles; -1: none */
  uint8_t *value;         /* the stored value (NULL when len is 0) */
  size_t len;
};

struct gatt {
  gatt_allocfn alloc;
  void *ud;
  size_t nservices;
  char services[GATT_MAX_SERVICES][GATT_UUID_SIZE];
  size_t nchars;
  struct gatt_char chars[GATT_MAX_CHARS];
};

/* Canonical form of the UUID s (n bytes): 4 hex digits (16-bit), 32 hex
** digits, or 36 with dashes after digits 8, 12, 16 and 20; case ignored.
** A 128-bit UUID on the Bluetooth base (0000xxxx-0000-1000-8000-
** 00805f9b34fb) becomes its 4 digits. False for anything else. */
bool gatt_uuid(const char *s, size_t n, char out[GATT_UUID_SIZE]);

/* An empty server whose values come from alloc(ud, ...). */
void gatt_init(struct gatt *g, gatt_allocfn alloc, void *ud);
/* Free every value and empty the server. */
void gatt_clear(struct gatt *g);

/* Add a service (canonical UUID). 0 or a negative enum gatt_err. */
int gatt_add_service(struct gatt *g, const char *service);
/* Add a characteristic to a service already added (canonical UUIDs),
** with a copy of value. Returns its index or a negative enum gatt_err;
** a failure changes nothing. */
int gatt_add_char(struct gatt *g, const char *service, const char *uuid,
                  uint32_t flags, const void *value, size_t len,
                  int read_cb, int write_cb);

/* The flags a characteristic gets when servegatt() names none: readable
** with a value or a read callback, writable with a write callback. */
uint32_t gatt_default_flags(bool has_value, bool has_read, bool has_write);

/* Index of the characteristic uuid in service (any accepted form), or -1
** (unknown, or not a UUID). */
int gatt_find(const struct gatt *g, const char *service, const char *uuid);

/* The ATT status of op on characteristic ci (-1: not found) with a write
** of wlen bytes: permission and length checks only. */
uint32_t gatt_check(const struct gatt *g, int ci, enum gatt_op op,
                    size_t wlen);

/* Replace the value of ci by a copy of n bytes. 0, GATT_ETOOLONG or
** GATT_ENOMEM (the old value is then kept). */
int gatt_set_value(struct gatt *g, int ci, const void *v, size_t n);

#endif
