/*
** refimp_store_test.c: the config store on the POSIX flash file: round
** trip, a power cut at every byte of an update (old or new, never a mix),
** corrupted copies detected, the code area filled exactly.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/store.h"
#include "hal/hal.h"
#include "hal/posix/hal_posix.h"

#include "cu_main.h"

/* A fresh, erased flash in a new temporary folder. */
static void fresh_flash(void) {
  char dir[] = "/tmp/refimp_store_XXXXXX";
  char why[256];
  CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
  hal_flash_fault_clear();
  CU_ASSERT_FATAL(hal_posix_flash_open(dir, why, sizeof(why)) == HAL_OK);
  /* the file stays open; the folder can go now */
  char path[sizeof(dir) + 16];
  snprintf(path, sizeof(path), "%s/flash.bin", dir);
  unlink(path);
  rmdir(dir);
}

static void sample_config(struct store_config *c, int variant) {
  memset(c, 0, sizeof(*c));
  strcpy(c->mac, "0c2a69abcdef");
  strcpy(c->device_id, "0123456789abcdef");
  snprintf(c->ssid, sizeof(c->ssid), "net%d", variant);
  snprintf(c->password, sizeof(c->password), "secret-%d", variant);
  snprintf(c->plan_id, sizeof(c->plan_id), "plan-%d", variant);
  snprintf(c->token, sizeof(c->token), "token-%d", variant);
  c->activated = variant % 2;
  c->boot_count = 100u + (unsigned)variant;
  c->nhosts = (size_t)variant % 3;
  for (size_t i = 0; i < c->nhosts; i++)
    snprintf(c->hosts[i], sizeof(c->hosts[i]), "h%zu.v%d.example", i,
             variant);
}

static bool config_equal(const struct store_config *a,
                         const struct store_config *b) {
  if (strcmp(a->mac, b->mac) || strcmp(a->device_id, b->device_id) ||
      strcmp(a->ssid, b->ssid) || strcmp(a->password, b->password) ||
      strcmp(a->plan_id, b->plan_id) || strcmp(a->token, b->token) ||
      a->activated != b->activated || a->boot_count != b->boot_count ||
      a->nhosts != b->nhosts)
    return false;
  for (size_t i = 0; i < a->nhosts; i++)
    if (strcmp(a->hosts[i], b->hosts[i]))
      return false;
  return true;
}

static void reopen(struct store *s) {
  struct rf_diag note, d;
  CU_ASSERT_FATAL(store_open(s, &note, &d) == RF_OK);
}

static void test_crc32(void) {
  CU_ASSERT_EQUAL(store_crc32(0, "123456789", 9), 0xcbf43926u);
  CU_ASSERT_EQUAL(store_crc32(0, "", 0), 0u);
}

static void test_factory_state(void) {
  struct store s;
  fresh_flash();
  reopen(&s);
  CU_ASSERT_EQUAL(s.cfg.mac[0], '\0');
  CU_ASSERT_EQUAL(s.cfg.plan_id[0], '\0');
  CU_ASSERT_FALSE(s.cfg.activated);
  CU_ASSERT_FALSE(store_has_code(&s));
  CU_ASSERT_EQUAL(s.corrupt, 0u);
  CU_ASSERT_EQUAL(s.cfg_at.slot, -1);
}

static void test_round_trip(void) {
  struct store s, t;
  struct store_config c;
  struct rf_diag d;
  uint8_t code[1000], back[1000], hash[32];
  fresh_flash();
  reopen(&s);
  for (int v = 1; v <= 5; v++) {
    sample_config(&c, v);
    CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
    CU_ASSERT_TRUE(config_equal(&s.cfg, &c));
    reopen(&t);
    CU_ASSERT_TRUE(config_equal(&t.cfg, &c));
    CU_ASSERT_EQUAL(t.cfg_at.seq, (uint32_t)v);
    CU_ASSERT_EQUAL(t.cfg_at.slot, (v - 1) % 2); /* alternates A, B */
    CU_ASSERT_EQUAL(t.corrupt, 0u);
  }
  for (size_t i = 0; i < sizeof(code); i++)
    code[i] = (uint8_t)(i * 7);
  hal_sha256(code, sizeof(code), hash);
  CU_ASSERT_FATAL(store_save_code(&s, code, sizeof(code), hash, &d) ==
                  RF_OK);
  reopen(&t);
  CU_ASSERT_TRUE(store_has_code(&t));
  CU_ASSERT_EQUAL(store_code_len(&t), sizeof(code));
  CU_ASSERT_EQUAL(memcmp(t.code_hash, hash, 32), 0);
  CU_ASSERT_FATAL(store_read_code(&t, back, sizeof(back), &d) == RF_OK);
  CU_ASSERT_EQUAL(memcmp(back, code, sizeof(code)), 0);
  CU_ASSERT_EQUAL(store_read_code(&t, back, 10, &d), RF_EINVAL);
  /* an empty code is still code */
  CU_ASSERT_FATAL(store_save_code(&t, code, 0, hash, &d) == RF_OK);
  reopen(&s);
  CU_ASSERT_TRUE(store_has_code(&s));
  CU_ASSERT_EQUAL(store_code_len(&s), 0u);
}

static void test_erase_credentials(void) {
  struct store s, t;
  struct store_config c;
  struct rf_diag d;
  uint8_t hash[32] = {1};
  fresh_flash();
  reopen(&s);
  sample_config(&c, 2);
  c.activated = true;
  CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
  CU_ASSERT_FATAL(store_save_code(&s, (const uint8_t *)"abc", 3, hash,
                                  &d) == RF_OK);
  CU_ASSERT_FATAL(store_erase_credentials(&s, &d) == RF_OK);
  reopen(&t);
  CU_ASSERT_STRING_EQUAL(t.cfg.mac, c.mac);
  CU_ASSERT_STRING_EQUAL(t.cfg.device_id, c.device_id);
  CU_ASSERT_EQUAL(t.cfg.boot_count, c.boot_count);
  CU_ASSERT_EQUAL(t.cfg.nhosts, c.nhosts);
  CU_ASSERT_STRING_EQUAL(t.cfg.ssid, "");
  CU_ASSERT_STRING_EQUAL(t.cfg.password, "");
  CU_ASSERT_STRING_EQUAL(t.cfg.plan_id, "");
  CU_ASSERT_STRING_EQUAL(t.cfg.token, "");
  CU_ASSERT_FALSE(t.cfg.activated);
  CU_ASSERT_TRUE(store_has_code(&t));
}

/* ---- power cuts ---------------------------------------------------------
** Each run puts the flash back into the "old" state (a snapshot of the
** bytes the update can touch), cuts the power after n bytes of the update,
** "reboots" (store_open) and demands the old or the new state; the new
** one whenever the whole update was written. */

struct snapshot {
  uint32_t off;
  size_t len;
  uint8_t *bytes;
};

static void snap_take(struct snapshot *sn, uint32_t off, size_t len) {
  sn->off = off;
  sn->len = len;
  sn->bytes = malloc(len);
  CU_ASSERT_FATAL(sn->bytes != NULL);
  CU_ASSERT_FATAL(hal_flash_read(off, sn->bytes, len) == HAL_OK);
}

static void snap_restore(const struct snapshot *sn) {
  hal_flash_fault_clear();
  CU_ASSERT_FATAL(hal_flash_write(sn->off, sn->bytes, sn->len) == HAL_OK);
}

/* Cut the config update old -> new at every byte. `prior` saves before
** the old one, so the slot being written held an older record (or, with
** 0, was erased). */
static void cut_config_everywhere(int prior) {
  struct store s;
  struct store_config old, neu, c;
  struct rf_diag d;
  struct snapshot sn;
  fresh_flash();
  reopen(&s);
  for (int v = 0; v < prior; v++) {
    sample_config(&c, 10 + v);
    CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
  }
  sample_config(&old, 1);
  sample_config(&neu, 2);
  CU_ASSERT_FATAL(store_save_config(&s, &old, &d) == RF_OK);
  snap_take(&sn, STORE_CONFIG_OFF, 2 * STORE_CONFIG_SLOT);
  hal_flash_fault_clear();
  reopen(&s);
  CU_ASSERT_FATAL(store_save_config(&s, &neu, &d) == RF_OK);
  uint64_t total = hal_flash_bytes_written();
  CU_ASSERT_FATAL(total > STORE_HDR_SIZE);
  unsigned saw_old = 0, saw_new = 0;
  for (uint64_t n = 0; n <= total; n++) {
    snap_restore(&sn);
    reopen(&s);
    CU_ASSERT_FATAL(config_equal(&s.cfg, &old));
    hal_flash_fault_cut_after(n);
    enum rf_status st = store_save_config(&s, &neu, &d);
    CU_ASSERT_EQUAL(st, n < total ? RF_EIO : RF_OK);
    hal_flash_fault_clear();
    reopen(&s);
    bool is_old = config_equal(&s.cfg, &old);
    bool is_new = config_equal(&s.cfg, &neu);
    CU_ASSERT(is_old || is_new);
    if (n == total)
      CU_ASSERT(is_new);
    saw_old += is_old;
    saw_new += is_new;
    if (!(is_old || is_new)) {
      printf("\ncut at byte %llu of %llu: neither old nor new\n",
             (unsigned long long)n, (unsigned long long)total);
      break;
    }
    /* after the reboot the next update succeeds */
    if (n % 37 == 0) {
      CU_ASSERT_EQUAL(store_save_config(&s, &neu, &d), RF_OK);
      reopen(&s);
      CU_ASSERT(config_equal(&s.cfg, &neu));
    }
  }
  CU_ASSERT(saw_old > 0 && saw_new > 0);
  free(sn.bytes);
}

static void test_cut_config_erased_slot(void) {
  cut_config_everywhere(0);
}

static void test_cut_config_used_slot(void) {
  cut_config_everywhere(3);
}

/* The first ever write, cut anywhere: factory state or the new config. */
static void test_cut_first_write(void) {
  struct store s;
  struct store_config neu;
  struct rf_diag d;
  struct snapshot sn;
  fresh_flash();
  sample_config(&neu, 4);
  snap_take(&sn, STORE_CONFIG_OFF, 2 * STORE_CONFIG_SLOT);
  reopen(&s);
  CU_ASSERT_FATAL(store_save_config(&s, &neu, &d) == RF_OK);
  uint64_t total = hal_flash_bytes_written();
  for (uint64_t n = 0; n <= total; n++) {
    snap_restore(&sn);
    reopen(&s);
    hal_flash_fault_cut_after(n);
    (void)store_save_config(&s, &neu, &d);
    hal_flash_fault_clear();
    reopen(&s);
    CU_ASSERT(config_equal(&s.cfg, &neu) ||
              (s.cfg_at.slot == -1 && s.cfg.mac[0] == '\0'));
  }
  free(sn.bytes);
}

/* Cut a code update at every byte (small code) and at sampled bytes of a
** full 256 KiB one. */
static void cut_code(size_t len, uint64_t step) {
  struct store s;
  struct rf_diag d;
  struct snapshot sa, sb;
  uint8_t old_hash[32], new_hash[32];
  uint8_t *oldc = malloc(len), *newc = malloc(len), *back = malloc(len);
  CU_ASSERT_FATAL(oldc && newc && back);
  for (size_t i = 0; i < len; i++) {
    oldc[i] = (uint8_t)(i * 13 + 1);
    newc[i] = (uint8_t)(i * 29 + 5);
  }
  hal_sha256(oldc, len, old_hash);
  hal_sha256(newc, len, new_hash);
  fresh_flash();
  reopen(&s);
  CU_ASSERT_FATAL(store_save_code(&s, newc, len, new_hash, &d) == RF_OK);
  CU_ASSERT_FATAL(store_save_code(&s, oldc, len, old_hash, &d) == RF_OK);
  /* old in B (seq 2), an older record in A: the update rewrites A */
  snap_take(&sa, STORE_CODE_OFF, STORE_HDR_SIZE + len);
  snap_take(&sb, STORE_CODE_OFF + STORE_CODE_SLOT, STORE_HDR_SIZE + len);
  hal_flash_fault_clear();
  reopen(&s);
  CU_ASSERT_FATAL(store_save_code(&s, newc, len, new_hash, &d) == RF_OK);
  uint64_t total = hal_flash_bytes_written();
  CU_ASSERT_EQUAL(total, STORE_HDR_SIZE + len);
  for (uint64_t n = 0; n <= total; n = n == total ? total + 1
                                     : n + step > total ? total : n + step) {
    snap_restore(&sa);
    snap_restore(&sb);
    /* make slot A's old record differ from the new code where it is cut */
    CU_ASSERT_FATAL(hal_flash_write(STORE_CODE_OFF + STORE_HDR_SIZE, oldc,
                                    len) == HAL_OK);
    reopen(&s);
    CU_ASSERT_EQUAL(memcmp(s.code_hash, old_hash, 32), 0);
    hal_flash_fault_cut_after(n);
    CU_ASSERT_EQUAL(store_save_code(&s, newc, len, new_hash, &d),
                    n < total ? RF_EIO : RF_OK);
    hal_flash_fault_clear();
    reopen(&s);
    CU_ASSERT_FATAL(store_has_code(&s));
    CU_ASSERT_FATAL(store_read_code(&s, back, len, &d) == RF_OK);
    bool is_old = !memcmp(s.code_hash, old_hash, 32) && !memcmp(back, oldc,
                                                                len);
    bool is_new = !memcmp(s.code_hash, new_hash, 32) && !memcmp(back, newc,
                                                                len);
    CU_ASSERT(is_old || is_new);
    if (n == total)
      CU_ASSERT(is_new);
    if (!(is_old || is_new))
      break;
  }
  free(sa.bytes);
  free(sb.bytes);
  free(oldc);
  free(newc);
  free(back);
}

static void test_cut_code_small(void) {
  cut_code(700, 1);
}

static void test_cut_code_full(void) {
  cut_code(STORE_CODE_MAX, 4093);
}

/* ---- corruption ------------------------------------------------------ */

static void flip(uint32_t off) {
  uint8_t b;
  CU_ASSERT_FATAL(hal_flash_read(off, &b, 1) == HAL_OK);
  b ^= 0x10;
  CU_ASSERT_FATAL(hal_flash_write(off, &b, 1) == HAL_OK);
}

static void test_corrupt_config(void) {
  struct store s;
  struct store_config a, b;
  struct rf_diag note, d;
  /* a flipped bit in the payload, in the header, in the header CRC */
  const uint32_t where[] = {STORE_HDR_SIZE + 5, 9, 61};
  for (size_t w = 0; w < sizeof(where) / sizeof(where[0]); w++) {
    fresh_flash();
    reopen(&s);
    sample_config(&a, 1);
    sample_config(&b, 2);
    CU_ASSERT_FATAL(store_save_config(&s, &a, &d) == RF_OK); /* A */
    CU_ASSERT_FATAL(store_save_config(&s, &b, &d) == RF_OK); /* B */
    flip(STORE_CONFIG_OFF + STORE_CONFIG_SLOT + where[w]);
    CU_ASSERT_FATAL(store_open(&s, &note, &d) == RF_OK);
    CU_ASSERT_EQUAL(s.corrupt, 1u);
    CU_ASSERT_PTR_NOT_NULL(strstr(note.msg, "config slot B"));
    CU_ASSERT(config_equal(&s.cfg, &a));
    /* the next update goes to the corrupt slot and repairs it */
    CU_ASSERT_FATAL(store_save_config(&s, &b, &d) == RF_OK);
    CU_ASSERT_FATAL(store_open(&s, &note, &d) == RF_OK);
    CU_ASSERT_EQUAL(s.corrupt, 0u);
    CU_ASSERT_EQUAL(note.msg[0], '\0');
    CU_ASSERT(config_equal(&s.cfg, &b));
    /* both copies bad: factory state, both counted */
    flip(STORE_CONFIG_OFF + where[w]);
    flip(STORE_CONFIG_OFF + STORE_CONFIG_SLOT + where[w]);
    CU_ASSERT_FATAL(store_open(&s, &note, &d) == RF_OK);
    CU_ASSERT_EQUAL(s.corrupt, 2u);
    CU_ASSERT_EQUAL(s.cfg_at.slot, -1);
    CU_ASSERT_EQUAL(s.cfg.mac[0], '\0');
  }
}

static void test_corrupt_code(void) {
  struct store s;
  struct rf_diag note, d;
  uint8_t h1[32] = {1}, h2[32] = {2}, back[64];
  fresh_flash();
  reopen(&s);
  CU_ASSERT_FATAL(store_save_code(&s, (const uint8_t *)"first", 5, h1,
                                  &d) == RF_OK);
  CU_ASSERT_FATAL(store_save_code(&s, (const uint8_t *)"second", 6, h2,
                                  &d) == RF_OK);
  flip(STORE_CODE_OFF + STORE_CODE_SLOT + STORE_HDR_SIZE + 2);
  CU_ASSERT_FATAL(store_open(&s, &note, &d) == RF_OK);
  CU_ASSERT_EQUAL(s.corrupt, 1u);
  CU_ASSERT_PTR_NOT_NULL(strstr(note.msg, "code slot B"));
  CU_ASSERT_EQUAL(store_code_len(&s), 5u);
  CU_ASSERT_EQUAL(memcmp(s.code_hash, h1, 32), 0);
  CU_ASSERT_FATAL(store_read_code(&s, back, sizeof(back), &d) == RF_OK);
  CU_ASSERT_EQUAL(memcmp(back, "first", 5), 0);
  /* decay after open is caught when the code is read */
  flip(STORE_CODE_OFF + STORE_HDR_SIZE + 1);
  CU_ASSERT_EQUAL(store_read_code(&s, back, sizeof(back), &d), RF_ECORRUPT);
}

/* ---- the code area, filled exactly -------------------------------------- */

static bool all_ff(uint32_t off, uint32_t end) {
  uint8_t buf[4096];
  for (; off < end; off += sizeof(buf)) {
    uint32_t n = end - off < sizeof(buf) ? end - off : sizeof(buf);
    if (hal_flash_read(off, buf, n) != HAL_OK)
      return false;
    for (uint32_t i = 0; i < n; i++)
      if (buf[i] != 0xff)
        return false;
  }
  return true;
}

static void test_code_area_full(void) {
  struct store s;
  struct store_config c;
  struct rf_diag d;
  uint8_t hash[32];
  size_t n = STORE_CODE_MAX;
  uint8_t *code = malloc(n + 1), *back = malloc(n);
  CU_ASSERT_FATAL(code && back);
  for (size_t i = 0; i <= n; i++)
    code[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5a);
  fresh_flash();
  reopen(&s);
  sample_config(&c, 3);
  CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
  hal_sha256(code, n, hash);
  for (int round = 0; round < 2; round++) { /* slot A, then slot B */
    CU_ASSERT_FATAL(store_save_code(&s, code, n, hash, &d) == RF_OK);
    reopen(&s);
    CU_ASSERT_EQUAL(s.code_at.slot, round);
    CU_ASSERT_EQUAL(store_code_len(&s), n);
    CU_ASSERT_FATAL(store_read_code(&s, back, n, &d) == RF_OK);
    CU_ASSERT_EQUAL(memcmp(back, code, n), 0);
  }
  /* nothing past the code area, nor the reserved areas, was touched */
  CU_ASSERT(all_ff(STORE_END, HAL_POSIX_FLASH_SIZE));
  CU_ASSERT(all_ff(STORE_USERCONF_OFF, STORE_CODE_OFF));
  CU_ASSERT(config_equal(&s.cfg, &c));
  /* one byte more is refused before anything is written */
  hal_flash_fault_clear();
  CU_ASSERT_EQUAL(store_save_code(&s, code, n + 1, hash, &d), RF_ENOSPC);
  CU_ASSERT_EQUAL(hal_flash_bytes_written(), 0u);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "exceeds"));
  free(code);
  free(back);
}

/* ---- user configuration, clearconfiguration, rescue pin --------------- */

static bool userconf_is(const struct store *s, const char *want) {
  if (!want)
    return s->userconf_len == -1;
  return s->userconf_len == (int)strlen(want) &&
         memcmp(s->userconf, want, strlen(want)) == 0;
}

/* STORE-007, STORE-009, STORE-011, STORE-012: stored, replaced whole,
** kept across a reopen (a power cycle), cleared by null; an empty value
** is not "none". */
static void test_userconf_round_trip(void) {
  struct store s;
  struct rf_diag d;
  fresh_flash();
  reopen(&s);
  CU_ASSERT(userconf_is(&s, NULL));
  CU_ASSERT_EQUAL(store_save_userconf(&s, (const uint8_t *)"long value",
                                      10, &d), RF_OK);
  CU_ASSERT_EQUAL(store_save_userconf(&s, (const uint8_t *)"ab", 2, &d),
                  RF_OK);
  reopen(&s);
  CU_ASSERT(userconf_is(&s, "ab"));
  CU_ASSERT_EQUAL(store_save_userconf(&s, (const uint8_t *)"", 0, &d),
                  RF_OK);
  reopen(&s);
  CU_ASSERT(userconf_is(&s, ""));
  CU_ASSERT_EQUAL(store_save_userconf(&s, NULL, 0, &d), RF_OK);
  reopen(&s);
  CU_ASSERT(userconf_is(&s, NULL));
  CU_ASSERT_EQUAL(s.corrupt, 0u);
}

/* STORE-007, STORE-008: 4096 bytes fit; 4097 are refused, nothing
** changes. */
static void test_userconf_limit(void) {
  static uint8_t big[STORE_USERCONF_MAX + 1];
  struct store s;
  struct rf_diag d;
  for (size_t i = 0; i < sizeof(big); i++)
    big[i] = (uint8_t)(i * 7 + 3);
  fresh_flash();
  reopen(&s);
  CU_ASSERT_EQUAL(store_save_userconf(&s, big, STORE_USERCONF_MAX, &d),
                  RF_OK);
  CU_ASSERT_EQUAL(store_save_userconf(&s, big, STORE_USERCONF_MAX + 1, &d),
                  RF_ENOSPC);
  reopen(&s);
  CU_ASSERT_EQUAL(s.userconf_len, (int)STORE_USERCONF_MAX);
  CU_ASSERT_EQUAL(memcmp(s.userconf, big, STORE_USERCONF_MAX), 0);
}

/* The user configuration is its own area: config updates (BlinkUp,
** erase, clearconfiguration) leave it alone, and it leaves them. */
static void test_userconf_independent(void) {
  struct store s;
  struct store_config c;
  struct rf_diag d;
  fresh_flash();
  reopen(&s);
  sample_config(&c, 3);
  CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
  CU_ASSERT_FATAL(store_save_userconf(&s, (const uint8_t *)"keep", 4,
                                      &d) == RF_OK);
  CU_ASSERT_FATAL(store_erase_credentials(&s, &d) == RF_OK);
  CU_ASSERT_FATAL(store_clear_configuration(&s, STORE_CLEAR_ALL, &d) ==
                  RF_OK);
  reopen(&s);
  CU_ASSERT(userconf_is(&s, "keep"));
  CU_ASSERT_STRING_EQUAL(s.cfg.mac, c.mac);
}

/* A power cut at every byte of a user configuration update leaves the
** old or the new value. */
static void test_cut_userconf(void) {
  static uint8_t oldv[3000], newv[2500];
  struct store s;
  struct rf_diag d;
  struct snapshot sn;
  memset(oldv, 'o', sizeof(oldv));
  memset(newv, 'n', sizeof(newv));
  fresh_flash();
  reopen(&s);
  CU_ASSERT_FATAL(store_save_userconf(&s, newv, 100, &d) == RF_OK);
  CU_ASSERT_FATAL(store_save_userconf(&s, oldv, sizeof(oldv), &d) == RF_OK);
  snap_take(&sn, STORE_USERCONF_OFF, 2 * STORE_USERCONF_SLOT);
  hal_flash_fault_clear();
  reopen(&s);
  CU_ASSERT_FATAL(store_save_userconf(&s, newv, sizeof(newv), &d) == RF_OK);
  uint64_t total = hal_flash_bytes_written();
  unsigned saw_old = 0, saw_new = 0;
  for (uint64_t n = 0; n <= total; n += n < 80 || n > total - 80 ? 1 : 61) {
    snap_restore(&sn);
    reopen(&s);
    hal_flash_fault_cut_after(n);
    (void)store_save_userconf(&s, newv, sizeof(newv), &d);
    hal_flash_fault_clear();
    reopen(&s);
    bool is_old = s.userconf_len == (int)sizeof(oldv) &&
                  memcmp(s.userconf, oldv, sizeof(oldv)) == 0;
    bool is_new = s.userconf_len == (int)sizeof(newv) &&
                  memcmp(s.userconf, newv, sizeof(newv)) == 0;
    CU_ASSERT(is_old || is_new);
    if (n == total)
      CU_ASSERT(is_new);
    saw_old += is_old;
    saw_new += is_new;
    if (!(is_old || is_new))
      break;
  }
  CU_ASSERT(saw_old > 0 && saw_new > 0);
  free(sn.bytes);
}

/* A damaged copy of the user configuration is detected; the other one
** is used. */
static void test_corrupt_userconf(void) {
  struct store s;
  struct rf_diag d;
  fresh_flash();
  reopen(&s);
  CU_ASSERT_FATAL(store_save_userconf(&s, (const uint8_t *)"one", 3, &d) ==
                  RF_OK);
  CU_ASSERT_FATAL(store_save_userconf(&s, (const uint8_t *)"two", 3, &d) ==
                  RF_OK);
  /* "two" is in slot B: damage its payload */
  flip(STORE_USERCONF_OFF + STORE_USERCONF_SLOT + STORE_HDR_SIZE + 1);
  reopen(&s);
  CU_ASSERT(userconf_is(&s, "one"));
  CU_ASSERT_EQUAL(s.corrupt, 1u);
}

/* STORE-019, STORE-020, STORE-023, STORE-024: what each action erases. */
static void test_clear_configuration(void) {
  struct store s;
  struct store_config c;
  struct rf_diag d;
  fresh_flash();
  reopen(&s);
  sample_config(&c, 1); /* activated */
  strcpy(c.rescue_pin, "pin1");
  c.rescue_level = 1;
  CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
  static const unsigned bad[] = {0, 8, 0x10, 0x0F, 0x7F, 0x100};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    CU_ASSERT_EQUAL(store_clear_configuration(&s, bad[i], &d), RF_EINVAL);
  CU_ASSERT_EQUAL(store_clear_configuration(&s, STORE_CLEAR_PROXY |
                                                    STORE_CLEAR_STATIC_NETWORK,
                                            &d), RF_OK);
  reopen(&s);
  CU_ASSERT(config_equal(&s.cfg, &c));
  CU_ASSERT_EQUAL(store_clear_configuration(&s, STORE_CLEAR_WIFI, &d),
                  RF_OK);
  reopen(&s);
  CU_ASSERT_STRING_EQUAL(s.cfg.ssid, "");
  CU_ASSERT_STRING_EQUAL(s.cfg.password, "");
  CU_ASSERT_STRING_EQUAL(s.cfg.plan_id, c.plan_id);
  CU_ASSERT_STRING_EQUAL(s.cfg.token, c.token);
  CU_ASSERT_TRUE(s.cfg.activated);
  CU_ASSERT_EQUAL(store_clear_configuration(&s, STORE_CLEAR_ALL, &d), RF_OK);
  reopen(&s);
  CU_ASSERT_STRING_EQUAL(s.cfg.plan_id, "");
  CU_ASSERT_STRING_EQUAL(s.cfg.token, "");
  CU_ASSERT_FALSE(s.cfg.activated);
  /* identity, server list, boot count and rescue pin stay */
  CU_ASSERT_STRING_EQUAL(s.cfg.mac, c.mac);
  CU_ASSERT_EQUAL(s.cfg.nhosts, c.nhosts);
  CU_ASSERT_EQUAL(s.cfg.boot_count, c.boot_count);
  CU_ASSERT_STRING_EQUAL(s.cfg.rescue_pin, "pin1");
}

/* BOOT-023: the rescue pin and its level are kept in the config record. */
static void test_rescue_pin_round_trip(void) {
  struct store s;
  struct store_config c;
  struct rf_diag d;
  fresh_flash();
  reopen(&s);
  sample_config(&c, 2);
  strcpy(c.rescue_pin, "pinA");
  c.rescue_level = 0;
  CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
  reopen(&s);
  CU_ASSERT_STRING_EQUAL(s.cfg.rescue_pin, "pinA");
  CU_ASSERT_EQUAL(s.cfg.rescue_level, 0);
  c.rescue_level = 1;
  CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
  reopen(&s);
  CU_ASSERT_EQUAL(s.cfg.rescue_level, 1);
  c.rescue_pin[0] = '\0';
  CU_ASSERT_FATAL(store_save_config(&s, &c, &d) == RF_OK);
  reopen(&s);
  CU_ASSERT_STRING_EQUAL(s.cfg.rescue_pin, "");
}

static void test_layout(void) {
  CU_ASSERT(STORE_END <= STORE_FLASH_SIZE);
  CU_ASSERT(STORE_FLASH_SIZE <= HAL_POSIX_FLASH_SIZE);
  CU_ASSERT_EQUAL(STORE_CONFIG_OFF + 2 * STORE_CONFIG_SLOT,
                  STORE_USERCONF_OFF);
  CU_ASSERT_EQUAL(STORE_USERCONF_OFF + 2 * STORE_USERCONF_SLOT,
                  STORE_NV_OFF);
  CU_ASSERT_EQUAL(STORE_NV_OFF + 2 * STORE_NV_SLOT, STORE_CODE_OFF);
  CU_ASSERT(STORE_USERCONF_SLOT >= 4096 + STORE_HDR_SIZE);
}

static const struct cu_test store_tests[] = {
    {"crc32 check value", test_crc32},
    {"layout: areas adjoin, fit the flash", test_layout},
    {"empty flash is the factory state", test_factory_state},
    {"round trip, copies alternate A/B", test_round_trip},
    {"erase credentials keeps identity and code", test_erase_credentials},
    {"power cut at every byte, erased slot", test_cut_config_erased_slot},
    {"power cut at every byte, used slot", test_cut_config_used_slot},
    {"power cut during the first write", test_cut_first_write},
    {"power cut at every byte of a code update", test_cut_code_small},
    {"power cut in a 256 KiB code update", test_cut_code_full},
    {"corrupt config copy detected", test_corrupt_config},
    {"corrupt code copy detected", test_corrupt_code},
    {"code area filled exactly", test_code_area_full},
    {"user configuration round trip", test_userconf_round_trip},
    {"user configuration: 4096 fit, 4097 refused", test_userconf_limit},
    {"user configuration apart from the config", test_userconf_independent},
    {"power cut in a user configuration update", test_cut_userconf},
    {"corrupt user configuration copy detected", test_corrupt_userconf},
    {"clear configuration actions", test_clear_configuration},
    {"rescue pin round trip", test_rescue_pin_round_trip},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"refimp store", store_tests}};

CU_MAIN(suites)
