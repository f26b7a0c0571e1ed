/*
** refimp_flashfault_test.c: the store under the jig's flash faults
** (jig.md "Flash faults") [STORE-027, REG-030]: bad reads at boot
** (transient ones are retried, persistent ones leave the settings absent,
** never a failed boot), a damaged configuration page (the other copy, or
** the factory state), and the next save after either works.
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
  char dir[] = "/tmp/refimp_fault_XXXXXX";
  char why[256];
  CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
  hal_flash_fault_clear();
  CU_ASSERT_FATAL(hal_posix_flash_open(dir, why, sizeof(why)) == HAL_OK);
  char path[sizeof(dir) + 16];
  snprintf(path, sizeof(path), "%s/flash.bin", dir);
  unlink(path);
  rmdir(dir);
}

/* Two saves: copy A holds "old" (boot 1), copy B "new" (boot 2). */
static void two_copies(struct store *s) {
  struct rf_diag note, d;
  struct store_config c;
  fresh_flash();
  CU_ASSERT_FATAL(store_open(s, &note, &d) == RF_OK);
  c = s->cfg;
  strcpy(c.mac, "0c2a69000001");
  strcpy(c.plan_id, "old");
  c.boot_count = 1;
  CU_ASSERT_FATAL(store_save_config(s, &c, &d) == RF_OK);
  strcpy(c.plan_id, "new");
  c.boot_count = 2;
  c.activated = true;
  CU_ASSERT_FATAL(store_save_config(s, &c, &d) == RF_OK);
  static const uint8_t code[] = "server.log(1)";
  uint8_t hash[32];
  hal_sha256(code, sizeof(code), hash);
  CU_ASSERT_FATAL(store_save_code(s, code, sizeof(code), hash, &d) ==
                  RF_OK);
}

static void test_transient_read_errors_retried(void) {
  struct store s;
  struct rf_diag note, d;
  for (uint32_t n = 1; n <= 2; n++) {
    two_copies(&s);
    hal_flash_fault_read_errors(n);
    CU_ASSERT_EQUAL(store_open(&s, &note, &d), RF_OK);
    CU_ASSERT_STRING_EQUAL(s.cfg.plan_id, "new");
    CU_ASSERT(s.cfg.activated);
    CU_ASSERT(store_has_code(&s));
    CU_ASSERT_EQUAL(s.corrupt, 0u);
  }
}

/* Every read failing: the device still boots, settings absent, and the
** note says why; a save afterwards (reads work again) is kept. */
static void test_persistent_read_errors_boot_empty(void) {
  struct store s;
  struct rf_diag note, d;
  two_copies(&s);
  hal_flash_fault_read_errors(1000);
  CU_ASSERT_EQUAL(store_open(&s, &note, &d), RF_OK);
  CU_ASSERT_EQUAL(s.cfg.plan_id[0], '\0');
  CU_ASSERT_FALSE(s.cfg.activated);
  CU_ASSERT_FALSE(store_has_code(&s));
  CU_ASSERT(s.corrupt >= 2);
  CU_ASSERT(strstr(note.msg, "flash read failed") != NULL);
  hal_flash_fault_read_errors(0);
  struct store_config c = s.cfg;
  strcpy(c.plan_id, "after");
  CU_ASSERT_EQUAL(store_save_config(&s, &c, &d), RF_OK);
  CU_ASSERT_EQUAL(store_open(&s, &note, &d), RF_OK);
  CU_ASSERT_STRING_EQUAL(s.cfg.plan_id, "after");
}

/* Errors that end in the middle of the reads: whatever is read is a
** valid copy or absent, never a crash or a failed open. */
static void test_read_errors_any_count(void) {
  struct store s;
  struct rf_diag note, d;
  for (uint32_t n = 0; n <= 40; n++) {
    two_copies(&s);
    hal_flash_fault_read_errors(n);
    CU_ASSERT_EQUAL_FATAL(store_open(&s, &note, &d), RF_OK);
    CU_ASSERT(!strcmp(s.cfg.plan_id, "new") || !strcmp(s.cfg.plan_id, "old") ||
              s.cfg.plan_id[0] == '\0');
  }
  hal_flash_fault_read_errors(0);
}

static void test_damage_current_copy(void) {
  struct store s;
  struct rf_diag note, d;
  two_copies(&s);
  CU_ASSERT_EQUAL(store_damage_config(&s, 1, &d), RF_OK);
  CU_ASSERT_EQUAL(store_open(&s, &note, &d), RF_OK);
  CU_ASSERT_STRING_EQUAL(s.cfg.plan_id, "old"); /* the other copy */
  CU_ASSERT_EQUAL(s.corrupt, 1u);
  CU_ASSERT(strstr(note.msg, "config slot B failed its check") != NULL);
  CU_ASSERT(store_has_code(&s)); /* code is another page */
}

static void test_damage_every_copy(void) {
  struct store s;
  struct rf_diag note, d;
  two_copies(&s);
  CU_ASSERT_EQUAL(store_damage_config(&s, 2, &d), RF_OK);
  CU_ASSERT_EQUAL(store_open(&s, &note, &d), RF_OK);
  CU_ASSERT_EQUAL(s.cfg.plan_id[0], '\0'); /* factory state */
  CU_ASSERT_EQUAL(s.cfg_at.slot, -1);
  CU_ASSERT_EQUAL(s.corrupt, 2u);
  CU_ASSERT(store_has_code(&s));
  struct store_config c = s.cfg;
  strcpy(c.plan_id, "again");
  CU_ASSERT_EQUAL(store_save_config(&s, &c, &d), RF_OK);
  CU_ASSERT_EQUAL(store_open(&s, &note, &d), RF_OK);
  CU_ASSERT_STRING_EQUAL(s.cfg.plan_id, "again");
}

static void test_damage_erased_flash(void) {
  struct store s;
  struct rf_diag note, d;
  fresh_flash();
  CU_ASSERT_FATAL(store_open(&s, &note, &d) == RF_OK);
  CU_ASSERT_EQUAL(store_damage_config(&s, 2, &d), RF_OK);
  CU_ASSERT_EQUAL(store_open(&s, &note, &d), RF_OK);
  CU_ASSERT_EQUAL(s.corrupt, 0u); /* nothing was there to damage */
}

static const struct cu_test tests[] = {
    {"one or two bad reads are retried", test_transient_read_errors_retried},
    {"persistent bad reads: boot with settings absent",
     test_persistent_read_errors_boot_empty},
    {"0..40 bad reads: a valid copy or absent", test_read_errors_any_count},
    {"damaged current config copy: the other one is used",
     test_damage_current_copy},
    {"every config copy damaged: factory state, next save kept",
     test_damage_every_copy},
    {"damaging an erased flash changes nothing", test_damage_erased_flash},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"store under flash faults", tests}};
CU_MAIN(suites)
