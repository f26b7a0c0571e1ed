/* certcases.c: cases with known verdicts for tests/certify.sh: most need
** no DUT, so certification rules can be checked in seconds. */
#include <impcert/impcert.h>

static void pass(impcert_fx *fx) { IMPCERT_CHECK(fx, 1 + 1 == 2); }
static void fail(impcert_fx *fx) {
  IMPCERT_FAIL_NOW(fx, "this case always fails");
}
static void error(impcert_fx *fx) {
  IMPCERT_ERROR_NOW(fx, "this case always errs");
}
static void undecided(impcert_fx *fx) {
  IMPCERT_INCONCLUSIVE_NOW(fx, "this case cannot decide");
}
/* Passes only if the DUT really connects to the jig. */
static void jig_hello(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  IMPCERT_REQUIRE(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO,
                                       5000) != NULL);
}

static const struct impcert_case cases[] = {
    {"CC-PASS-1", "passes", "X-001", "cc", "", 0, pass},
    {"CC-PASS-2", "passes", "X-001", "cc", "", 0, pass},
    {"CC-PASS-3", "passes", "X-001", "cc", "", 0, pass},
    {"CC-PASS-4", "passes", "X-001", "cc", "", 0, pass},
    {"CC-PASS-5", "passes", "X-001", "cc", "", 0, pass},
    {"CC-PASS-6", "passes", "X-001", "cc", "", 0, pass},
    {"CC-PASS-7", "passes", "X-001", "cc", "", 0, pass},
    {"CC-PASS-8", "passes", "X-001", "cc", "", 0, pass},
    {"CC-FAIL", "fails", "X-002", "cc", "", 0, fail},
    {"CC-ERROR", "errs", "X-003", "cc", "", 0, error},
    {"CC-INCONCLUSIVE", "cannot decide", "X-004", "cc", "", 0, undecided},
    {"CC-SKIP", "needs a virtual clock", "X-005", "cc", "virtual-clock", 0,
     pass},
    {"CC-JIG", "sees the jig's Hello", "X-006", "cc", "jig", 0, jig_hello},
};
IMPCERT_PLUGIN("certcases", cases)
