/*
** cu_main.h: the shared main() of every CUnit program in tests/unit/.
** A test file defines `static const struct cu_suite suites[]` and then
** writes CU_MAIN(suites). The program runs every suite verbosely, prints
** CUnit's summary and a last line "N passed, N failed", and exits non-zero
** when a test failed or the registry could not be built.
*/
#ifndef TESTS_CU_MAIN_H
#define TESTS_CU_MAIN_H

#include <CUnit/Basic.h>
#include <stdio.h>

struct cu_test {
  const char *name;
  void (*fn)(void);
};
struct cu_suite {
  const char *name;
  const struct cu_test *tests; /* ends with {NULL, NULL} */
};

static inline int cu_run(const struct cu_suite *suites, size_t n) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 2;
  for (size_t i = 0; i < n; i++) {
    CU_pSuite s = CU_add_suite(suites[i].name, NULL, NULL);
    if (!s)
      return 2;
    for (const struct cu_test *t = suites[i].tests; t->name; t++)
      if (!CU_add_test(s, t->name, t->fn))
        return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned ran = CU_get_number_of_tests_run();
  unsigned failed = CU_get_number_of_tests_failed();
  printf("\n%u passed, %u failed\n", ran - failed, failed);
  CU_cleanup_registry();
  return failed ? 1 : 0;
}

#define CU_MAIN(suites)                                          \
  int main(void) {                                               \
    return cu_run(suites, sizeof(suites) / sizeof((suites)[0])); \
  }

#endif
