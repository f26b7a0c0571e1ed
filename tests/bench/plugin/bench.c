/*
** bench.c: the empty conformance test of `make bench` (tests/bench/
** overhead.sh): the least a test can do. Power the DUT on, BlinkUp, accept
** its TLS session, read its first frame, check it, stop. Its median time
** against the bare floor (tests/bench/floor.c) is the per-test overhead of
** the harness. Not part of the suite: built into build/bench/plugins/.
*/
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-bench"
#define TOKEN "token-bench"
#define WAIT 8000

static void empty_test(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "bench-lab", "bench-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  const Impwire__ActivationRequest *a =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT)
          ->activation_request;
  IMPCERT_CHECK(fx, strcmp(a->plan_id, PLAN) == 0);
  IMPCERT_CHECK(fx, strcmp(a->enrollment_token, TOKEN) == 0);
}

static const struct impcert_case cases[] = {
    {"BENCH-EMPTY", "power on, BlinkUp, TLS session, one frame, stop",
     "BOOT-001", "bench", "jig", 0, empty_test},
};
IMPCERT_PLUGIN("bench", cases)
