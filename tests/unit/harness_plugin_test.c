/* harness_plugin_test.c: the plugin loader refuses what it must. */
#include <stdlib.h>
#include <string.h>

#include "cu_main.h"
#include "plugin.h"

static char *plug(const char *name) {
  static char path[512];
  const char *b = getenv("BUILD");
  snprintf(path, sizeof path, "%s/tests/plugins/%s.so", b ? b : "build",
           name);
  return path;
}

static void loads_good(void) {
  struct plugin p;
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(plugin_load(plug("good"), &p, &d), 0);
  CU_ASSERT_STRING_EQUAL(p.info->name, "good");
  CU_ASSERT_EQUAL(p.info->ncases, 2);
  CU_ASSERT_STRING_EQUAL(p.info->cases[1].needs, "jig");
  plugin_unload(&p);
}

static void refuses_missing_entry(void) {
  struct plugin p;
  struct ic_diag d;
  CU_ASSERT_EQUAL(plugin_load(plug("noentry"), &p, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "noentry.so"));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "impcert_plugin_entry"));
}

static void refuses_other_abi(void) {
  struct plugin p;
  struct ic_diag d;
  CU_ASSERT_EQUAL(plugin_load(plug("badabi"), &p, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "badabi.so"));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "ABI 8"));
}

static void refuses_duplicate_ids(void) {
  struct plugin p;
  struct ic_diag d;
  CU_ASSERT_EQUAL(plugin_load(plug("dupids"), &p, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "T-001"));
}

static void refuses_missing_file(void) {
  struct plugin p;
  struct ic_diag d;
  CU_ASSERT_EQUAL(plugin_load("/nonexistent/x.so", &p, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "/nonexistent/x.so"));
}

static void dir_counts_refusals(void) {
  struct plugin *ps;
  int n, nbad;
  struct ic_diag d;
  char dir[512];
  snprintf(dir, sizeof dir, "%s", plug("good"));
  *strrchr(dir, '/') = '\0';
  CU_ASSERT_EQUAL_FATAL(plugin_load_dir(dir, &ps, &n, &nbad, &d), 0);
  CU_ASSERT_EQUAL(n, 2); /* certcases.so and good.so, in name order */
  CU_ASSERT_EQUAL(nbad, 3);
  CU_ASSERT_STRING_EQUAL(ps[0].info->name, "certcases");
  CU_ASSERT_STRING_EQUAL(ps[1].info->name, "good");
  plugin_unload_all(ps, n);
  CU_ASSERT_EQUAL(plugin_load_dir("/nonexistent", &ps, &n, &nbad, &d), -1);
}

static const struct cu_test tests[] = {
    {"loads a good plugin", loads_good},
    {"refuses a missing entry point", refuses_missing_entry},
    {"refuses another ABI", refuses_other_abi},
    {"refuses duplicate case IDs", refuses_duplicate_ids},
    {"refuses a missing file", refuses_missing_file},
    {"loads a folder, counting refusals", dir_counts_refusals},
    {NULL, NULL}};
static const struct cu_suite suites[] = {{"plugin loader", tests}};
CU_MAIN(suites)
