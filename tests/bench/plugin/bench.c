/*
** bench.c: the tests `make bench` runs (not part of the suite: built into
** build/bench/plugins/).
** BENCH-EMPTY (tests/bench/overhead.sh): the least a test can do. Power the
** DUT on, BlinkUp, accept its TLS session, read its first frame, check it,
** stop. Its median time against the bare floor (tests/bench/floor.c) is the
** per-test overhead of the harness.
** BENCH-IDLE (tests/bench/memory.sh): activate the DUT, deploy the
** application in the file $IMPCERT_BENCH_APP, then leave the session idle
** for 2 s while the script reads the DUT's memory from /proc.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The whole file at path, NUL-terminated, or NULL. */
static char *readall(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  size_t n = 0;
  if (fseek(f, 0, SEEK_END) == 0) {
    long len = ftell(f);
    if (len >= 0 && len < (1L << 20) && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)len + 1)) != NULL) {
      n = fread(buf, 1, (size_t)len, f);
      buf[n] = 0;
      if (n != (size_t)len) {
        free(buf);
        buf = NULL;
      }
    }
  }
  fclose(f);
  return buf;
}

static void idle_with_app(impcert_fx *fx) {
  const char *path = getenv("IMPCERT_BENCH_APP");
  if (!path || !*path)
    impcert_end_at(fx, IMPCERT_SKIP, __FILE__, __LINE__,
                   "IMPCERT_BENCH_APP names no application file");
  char *code = readall(path);
  if (!code)
    IMPCERT_ERROR_NOW(fx, "cannot read IMPCERT_BENCH_APP '%s'", path);
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "bench-lab", "bench-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK) {
    free(code);
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  }
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
  free(code);
  impcert_note(fx, "bench: application deployed, idle from now");
  /* Idle: whatever the application sends is recorded, nothing answered. */
  double end = now_ms() + 2000;
  for (double left; (left = end - now_ms()) > 0;)
    if (!impcert_next_frame(fx, (unsigned)left + 1) &&
        !impcert_dut_running(fx))
      break;
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx),
                    "the DUT stopped while idle with the application");
  impcert_note(fx, "bench: idle done");
}

static const struct impcert_case cases[] = {
    {"BENCH-EMPTY", "power on, BlinkUp, TLS session, one frame, stop",
     "BOOT-001", "bench", "jig", 0, empty_test},
    {"BENCH-IDLE", "activate, deploy $IMPCERT_BENCH_APP, idle for 2 s",
     "BOOT-004", "bench", "jig", 0, idle_with_app},
};
IMPCERT_PLUGIN("bench", cases)
