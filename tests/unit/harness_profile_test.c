/* harness_profile_test.c: DUT profiles: good ones load, bad ones are
** refused with file:line and the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cu_main.h"
#include "dut.h"
#include "profile.h"

static const char *write_tmp(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/impcert-prof-XXXXXX");
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

static void loads_shipped_profile(void) {
  struct profile p;
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(
      profile_load("harness/duts/refimp-native.conf", &p, &d), 0);
  CU_ASSERT_STRING_EQUAL(p.name, "refimp-native");
  CU_ASSERT_TRUE(profile_has(&p, "jig"));
  CU_ASSERT_FALSE(profile_has(&p, "bluetooth"));
  char miss[64];
  CU_ASSERT_TRUE(profile_missing(&p, "jig, bluetooth", miss, sizeof miss));
  CU_ASSERT_STRING_EQUAL(miss, "bluetooth");
  CU_ASSERT_FALSE(profile_missing(&p, "", miss, sizeof miss));
  /* "!cap" excludes: native is no cellular device, but it has wifi */
  CU_ASSERT_FALSE(profile_missing(&p, "jig,!cellular", miss, sizeof miss));
  CU_ASSERT_TRUE(profile_missing(&p, "jig, !wifi", miss, sizeof miss));
  CU_ASSERT_STRING_EQUAL(miss, "!wifi");
  CU_ASSERT_EQUAL(p.timeout_scale, 1u);
  CU_ASSERT_EQUAL(p.code_page_bytes, 4096u); /* REG-028 */
  profile_fini(&p);
  /* the cross profiles scale the tests' own limits for emulation */
  CU_ASSERT_EQUAL_FATAL(
      profile_load("harness/duts/refimp-armhf.conf", &p, &d), 0);
  CU_ASSERT_EQUAL(p.timeout_scale, 4u);
  CU_ASSERT_PTR_NOT_NULL(p.wrapper);
  profile_fini(&p);
}

/* The commented third-party example parses, with what it declares. */
static void loads_example_profile(void) {
  struct profile p;
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(
      profile_load("harness/duts/example-third-party.conf", &p, &d), 0);
  CU_ASSERT_STRING_EQUAL(p.name, "acme-widget-sim");
  CU_ASSERT_FALSE(profile_has(&p, "jig"));
  CU_ASSERT_TRUE(profile_has(&p, "board:imp003"));
  CU_ASSERT_EQUAL(p.time, PROFILE_TIME_REAL);
  CU_ASSERT_EQUAL(p.startup_ms, 20000u);
  profile_fini(&p);
}

/* Each bad profile must fail naming the line and the problem. */
static void refuses_bad(void) {
  static const struct {
    const char *text, *want;
  } bad[] = {
      {"command = x\nbogus = 1\n", ":2: unknown key 'bogus'"},
      {"command = x\nno equals sign\n", ":2: expected 'key = value'"},
      {"command = x {nope}\n", ":1: unknown placeholder {nope}"},
      {"name = a\n", "no 'command' key"},
      {"command = x\ntime = sometimes\n", ":2: time must be"},
      {"command = x\ntest_timeout_ms = -5\n", ":2: test_timeout_ms must be"},
      {"command = x\ncommand = y\n", ":2: 'command' given twice"},
      {"command = x\ncapabilities = jig, b@d\n", ":2: unknown capability 'b@d'"},
      {"command = x\ncapabilities = bluetoth\n", ":2: unknown capability"},
      {"command = x\ncapabilities = board:imp001\ncapabilities = board:imp005\n",
       ":3: two boards declared"},
      {"command =\n", ":1: 'command' has no value"},
      {"command = x\ntimeout_scale = 0\n", ":2: timeout_scale must be"},
      {"command = x\ntimeout_scale = 2x\n", ":2: timeout_scale must be"},
      {"command = x\ntimeout_scale = 101\n", ":2: timeout_scale must be"},
      {"command = x\ncode_page_bytes = 63\n", ":2: code_page_bytes must be"},
      {"command = x\ncode_page_bytes = 4k\n", ":2: code_page_bytes must be"},
      {"command = x\ncode_page_bytes = 65537\n", ":2: code_page_bytes must be"},
      {"command = x\nnetwork = lte\n", ":2: network must be 'wifi'"},
      {"command = x\nnetwork = cellular\ncapabilities = cellular\n",
       ":1: network = cellular but the command has no {cell_port}"},
      {"command = x --p {cell_port}\n", ":1: {cell_port} in the command "
                                           "needs 'network = cellular'"},
      {"command = x {cell_port}\nnetwork = cellular\n",
       "capability 'cellular' is not declared"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *path = write_tmp(bad[i].text);
    struct profile p;
    struct ic_diag d;
    CU_ASSERT_EQUAL(profile_load(path, &p, &d), -1);
    if (!strstr(d.msg, bad[i].want) || !strstr(d.msg, path))
      fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, d.msg,
              bad[i].want);
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, bad[i].want));
    CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, path));
    unlink(path);
  }
  struct profile p;
  struct ic_diag d;
  CU_ASSERT_EQUAL(profile_load("/nonexistent.conf", &p, &d), -1);
}

static void expands_command(void) {
  const char *path = write_tmp(
      "command = {bindir}/dev --flash '{flash}/x y' --ports {ports}\n"
      "wrapper = qemu-arm -L /usr/arm-linux-gnueabihf\n");
  struct profile p;
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(profile_load(path, &p, &d), 0);
  struct dut_env env = {.bindir = "/b", .flash = "/f", .ports = "1,2,3"};
  char *cmd = dut_command_line(&p, &env, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
  CU_ASSERT_STRING_EQUAL(cmd, "qemu-arm -L /usr/arm-linux-gnueabihf /b/dev "
                              "--flash /f/x y --ports 1,2,3");
  ic_free(cmd);
  profile_fini(&p);
  unlink(path);
}

/* The cellular profile: network, the capability and {cell_port}. */
static void loads_cellular_profile(void) {
  struct profile p;
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(
      profile_load("harness/duts/refimp-impC001.conf", &p, &d), 0);
  CU_ASSERT_EQUAL(p.network, PROFILE_NET_CELLULAR);
  CU_ASSERT_TRUE(profile_has(&p, "cellular"));
  CU_ASSERT_FALSE(profile_has(&p, "wifi"));
  struct dut_env env = {.bindir = "/b", .flash = "/f", .ports = "1,2,3",
                        .cell_port = "4"};
  char *cmd = dut_command_line(&p, &env, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cmd);
  CU_ASSERT_PTR_NOT_NULL(strstr(cmd, "--ports 1,2,3 --cell-port 4 "));
  ic_free(cmd);
  profile_fini(&p);
  /* the others stay WiFi/Ethernet */
  CU_ASSERT_EQUAL_FATAL(
      profile_load("harness/duts/refimp-native.conf", &p, &d), 0);
  CU_ASSERT_EQUAL(p.network, PROFILE_NET_WIFI);
  profile_fini(&p);
}

static const struct cu_test tests[] = {
    {"loads the cellular profile", loads_cellular_profile},
    {"loads the shipped refimp profile", loads_shipped_profile},
    {"loads the commented third-party example", loads_example_profile},
    {"refuses bad profiles with file:line", refuses_bad},
    {"expands the command template", expands_command},
    {NULL, NULL}};
static const struct cu_suite suites[] = {{"DUT profiles", tests}};
CU_MAIN(suites)
