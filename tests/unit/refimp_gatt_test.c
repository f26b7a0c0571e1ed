/*
** refimp_gatt_test.c: api/gatt.h, the GATT server model behind
** hardware.bluetooth.servegatt(): UUID forms and their one canonical
** spelling, adding services and characteristics (limits, duplicates,
** failures that change nothing), default flags, lookups, the ATT status
** of reads and writes, value replacement, and that every byte allocated
** is freed (a counting allocator that can also refuse).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/gatt.h"

#include "cu_main.h"

/* GLOBAL: the counting allocator's books (tests run one at a time). */
static long live_bytes;
static int fail_next; /* refuse the next allocation */

static void *counting(void *ud, void *p, size_t oldsize, size_t newsize) {
  (void)ud;
  if (newsize == 0) {
    live_bytes -= (long)oldsize;
    free(p);
    return NULL;
  }
  if (fail_next) {
    fail_next = 0;
    return NULL;
  }
  void *n = realloc(p, newsize);
  if (n)
    live_bytes += (long)newsize - (long)oldsize;
  return n;
}

static bool uuid_is(const char *in, const char *want) {
  char out[GATT_UUID_SIZE];
  return gatt_uuid(in, strlen(in), out) && strcmp(out, want) == 0;
}

static bool uuid_bad(const char *in) {
  char out[GATT_UUID_SIZE];
  return !gatt_uuid(in, strlen(in), out);
}

static void uuid_forms(void) {
  CU_ASSERT(uuid_is("180F", "180f"));
  CU_ASSERT(uuid_is("fff1", "fff1"));
  /* the base UUID's 128-bit form is the 16-bit one */
  CU_ASSERT(uuid_is("0000180F-0000-1000-8000-00805F9B34FB", "180f"));
  CU_ASSERT(uuid_is("0000180f00001000800000805f9b34fb", "180f"));
  CU_ASSERT(uuid_is("12345678-1234-5678-1234-56789ABCDEF0",
                    "123456781234567812345678" "9abcdef0"));
  CU_ASSERT(uuid_is("123456781234567812345678" "9abcdef0",
                    "123456781234567812345678" "9abcdef0"));
  /* off the base by one digit: stays 128-bit */
  CU_ASSERT(uuid_is("0000180f-0000-1000-8000-00805f9b34fc",
                    "0000180f00001000800000805f9b34fc"));
  CU_ASSERT(uuid_is("0001180f-0000-1000-8000-00805f9b34fb",
                    "0001180f00001000800000805f9b34fb"));
}

static void uuid_refused(void) {
  CU_ASSERT(uuid_bad(""));
  CU_ASSERT(uuid_bad("180"));
  CU_ASSERT(uuid_bad("180g"));
  CU_ASSERT(uuid_bad("0x180f"));
  CU_ASSERT(uuid_bad("0000180f"));                        /* 32-bit form */
  CU_ASSERT(uuid_bad("0000180f-0000-1000-8000_00805f9b34fb")); /* dash */
  CU_ASSERT(uuid_bad("0000180f00001000-8000-00805f9b34fb-00"));
  CU_ASSERT(uuid_bad("0000180f000010008000 00805f9b34fb"));
  char out[GATT_UUID_SIZE];
  CU_ASSERT(!gatt_uuid(NULL, 4, out));
  CU_ASSERT(!gatt_uuid("180f", 3, out)); /* the length is the length */
}

static void build_and_find(void) {
  struct gatt g;
  gatt_init(&g, counting, NULL);
  CU_ASSERT_EQUAL(gatt_add_service(&g, "180f"), 0);
  CU_ASSERT_EQUAL(gatt_add_service(&g, "180f"), GATT_EDUP);
  CU_ASSERT_EQUAL(gatt_add_char(&g, "180f", "2a19", GATT_READ, "\x64", 1,
                                -1, -1), 0);
  CU_ASSERT_EQUAL(gatt_add_char(&g, "180f", "2a19", GATT_READ, NULL, 0, -1,
                                -1), GATT_EDUP);
  CU_ASSERT_EQUAL(gatt_add_char(&g, "1234", "2a19", GATT_READ, NULL, 0, -1,
                                -1), GATT_ENOSERVICE);
  CU_ASSERT_EQUAL(gatt_add_char(&g, "180f", "2a1a", 0x40, NULL, 0, -1, -1),
                  GATT_EFLAGS);
  CU_ASSERT_EQUAL(gatt_add_char(&g, "180f", "2a1a", GATT_WRITE, NULL, 0, 7,
                                9), 1);
  CU_ASSERT_EQUAL(g.nchars, 2u);
  CU_ASSERT_EQUAL(gatt_find(&g, "180F", "2A19"), 0);
  CU_ASSERT_EQUAL(gatt_find(&g, "0000180f-0000-1000-8000-00805f9b34fb",
                            "00002a1a-0000-1000-8000-00805f9b34fb"), 1);
  CU_ASSERT_EQUAL(gatt_find(&g, "180f", "2a1b"), -1);
  CU_ASSERT_EQUAL(gatt_find(&g, "180e", "2a19"), -1);
  CU_ASSERT_EQUAL(gatt_find(&g, "not a uuid", "2a19"), -1);
  CU_ASSERT_EQUAL(gatt_find(&g, NULL, "2a19"), -1);
  CU_ASSERT_EQUAL(g.chars[1].read_cb, 7);
  CU_ASSERT_EQUAL(g.chars[1].write_cb, 9);
  CU_ASSERT_EQUAL(live_bytes, 1);
  gatt_clear(&g);
  CU_ASSERT_EQUAL(g.nservices, 0u);
  CU_ASSERT_EQUAL(g.nchars, 0u);
  CU_ASSERT_EQUAL(live_bytes, 0);
}

static void limits(void) {
  struct gatt g;
  char svc[GATT_UUID_SIZE], chr[GATT_UUID_SIZE];
  gatt_init(&g, counting, NULL);
  for (int i = 0; i < GATT_MAX_SERVICES; i++) {
    snprintf(svc, sizeof svc, "%04x", 0x1800 + i);
    CU_ASSERT_EQUAL(gatt_add_service(&g, svc), 0);
  }
  CU_ASSERT_EQUAL(gatt_add_service(&g, "ffff"), GATT_EFULL);
  for (int i = 0; i < GATT_MAX_CHARS; i++) {
    snprintf(chr, sizeof chr, "%04x", 0x2a00 + i);
    CU_ASSERT_EQUAL(gatt_add_char(&g, "1800", chr, GATT_READ, "v", 1, -1,
                                  -1), i);
  }
  CU_ASSERT_EQUAL(gatt_add_char(&g, "1801", "2a00", GATT_READ, NULL, 0, -1,
                                -1), GATT_EFULL);
  static uint8_t big[GATT_VALUE_MAX + 1];
  gatt_clear(&g);
  CU_ASSERT_EQUAL(gatt_add_service(&g, "1800"), 0);
  CU_ASSERT_EQUAL(gatt_add_char(&g, "1800", "2a00", GATT_READ, big,
                                sizeof big, -1, -1), GATT_ETOOLONG);
  CU_ASSERT_EQUAL(gatt_add_char(&g, "1800", "2a00", GATT_READ, big,
                                GATT_VALUE_MAX, -1, -1), 0);
  CU_ASSERT_EQUAL(live_bytes, GATT_VALUE_MAX);
  gatt_clear(&g);
  CU_ASSERT_EQUAL(live_bytes, 0);
}

static void default_flags(void) {
  CU_ASSERT_EQUAL(gatt_default_flags(true, false, false), GATT_READ);
  CU_ASSERT_EQUAL(gatt_default_flags(false, true, false), GATT_READ);
  CU_ASSERT_EQUAL(gatt_default_flags(false, false, true), GATT_WRITE);
  CU_ASSERT_EQUAL(gatt_default_flags(false, true, true),
                  GATT_READ | GATT_WRITE);
  CU_ASSERT_EQUAL(gatt_default_flags(false, false, false), 0u);
}

static void att_status(void) {
  struct gatt g;
  gatt_init(&g, counting, NULL);
  gatt_add_service(&g, "aaaa");
  int ro = gatt_add_char(&g, "aaaa", "0001", GATT_READ, "r", 1, -1, -1);
  int wo = gatt_add_char(&g, "aaaa", "0002", GATT_WRITE, NULL, 0, -1, -1);
  int wn = gatt_add_char(&g, "aaaa", "0003", GATT_WRITE_NO_RESPONSE, NULL,
                         0, -1, -1);
  int no = gatt_add_char(&g, "aaaa", "0004", GATT_NOTIFY, NULL, 0, -1, -1);
  CU_ASSERT_EQUAL(gatt_check(&g, ro, GATT_OP_READ, 0), GATT_ATT_OK);
  CU_ASSERT_EQUAL(gatt_check(&g, ro, GATT_OP_WRITE, 1),
                  GATT_ATT_WRITE_NOT_PERMITTED);
  CU_ASSERT_EQUAL(gatt_check(&g, wo, GATT_OP_READ, 0),
                  GATT_ATT_READ_NOT_PERMITTED);
  CU_ASSERT_EQUAL(gatt_check(&g, wo, GATT_OP_WRITE, GATT_VALUE_MAX),
                  GATT_ATT_OK);
  CU_ASSERT_EQUAL(gatt_check(&g, wo, GATT_OP_WRITE, GATT_VALUE_MAX + 1),
                  GATT_ATT_INVALID_LENGTH);
  CU_ASSERT_EQUAL(gatt_check(&g, wn, GATT_OP_WRITE, 3), GATT_ATT_OK);
  CU_ASSERT_EQUAL(gatt_check(&g, no, GATT_OP_READ, 0),
                  GATT_ATT_READ_NOT_PERMITTED);
  CU_ASSERT_EQUAL(gatt_check(&g, no, GATT_OP_WRITE, 0),
                  GATT_ATT_WRITE_NOT_PERMITTED);
  CU_ASSERT_EQUAL(gatt_check(&g, -1, GATT_OP_READ, 0), GATT_ATT_NOT_FOUND);
  CU_ASSERT_EQUAL(gatt_check(&g, 4, GATT_OP_READ, 0), GATT_ATT_NOT_FOUND);
  gatt_clear(&g);
}

static void values(void) {
  struct gatt g;
  gatt_init(&g, counting, NULL);
  gatt_add_service(&g, "aaaa");
  int c = gatt_add_char(&g, "aaaa", "0001", GATT_READ | GATT_WRITE, "old",
                        3, -1, -1);
  CU_ASSERT_EQUAL(gatt_set_value(&g, c, "longer", 6), 0);
  CU_ASSERT_EQUAL(g.chars[c].len, 6u);
  CU_ASSERT(memcmp(g.chars[c].value, "longer", 6) == 0);
  CU_ASSERT_EQUAL(live_bytes, 6);
  /* out of memory keeps the old value */
  fail_next = 1;
  CU_ASSERT_EQUAL(gatt_set_value(&g, c, "x", 1), GATT_ENOMEM);
  CU_ASSERT_EQUAL(g.chars[c].len, 6u);
  CU_ASSERT(memcmp(g.chars[c].value, "longer", 6) == 0);
  static uint8_t big[GATT_VALUE_MAX + 1];
  CU_ASSERT_EQUAL(gatt_set_value(&g, c, big, sizeof big), GATT_ETOOLONG);
  CU_ASSERT_EQUAL(g.chars[c].len, 6u);
  CU_ASSERT_EQUAL(gatt_set_value(&g, c, NULL, 0), 0);
  CU_ASSERT_EQUAL(g.chars[c].len, 0u);
  CU_ASSERT_PTR_NULL(g.chars[c].value);
  CU_ASSERT_EQUAL(live_bytes, 0);
  /* an add that runs out of memory adds nothing */
  fail_next = 1;
  CU_ASSERT_EQUAL(gatt_add_char(&g, "aaaa", "0002", GATT_READ, "v", 1, -1,
                                -1), GATT_ENOMEM);
  CU_ASSERT_EQUAL(g.nchars, 1u);
  CU_ASSERT_EQUAL(gatt_find(&g, "aaaa", "0002"), -1);
  gatt_clear(&g);
  CU_ASSERT_EQUAL(live_bytes, 0);
}

static const struct cu_test gatt_tests[] = {
    {"UUID forms and the canonical spelling", uuid_forms},
    {"UUIDs refused", uuid_refused},
    {"services and characteristics, lookups", build_and_find},
    {"limits: services, characteristics, value size", limits},
    {"default flags", default_flags},
    {"ATT status of reads and writes", att_status},
    {"values replaced, out of memory changes nothing", values},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"gatt", gatt_tests}};

CU_MAIN(suites)
