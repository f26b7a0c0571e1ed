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
** BENCH-SEND (tests/bench/api.sh): the application sends SEND_COUNT blobs
** of SEND_SIZE bytes with agent.send; each is checked byte for byte; the
** note "bench: send_bytes=N send_ms=T" gives the bytes after the first
** message and the time from the first to the last.
** BENCH-BOOT (tests/bench/api.sh): BOOT_RUNS cold boots of an activated
** device with code, the cloud answering "match" at once; each note
** "bench: boot_us=N" is the time from power on to the Log frame of the
** application's first statement.
*/
#include <stdbool.h>
#include <stdint.h>
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

/* BlinkUp, activate and deploy code in step 4. */
static void deploy(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "bench-lab", "bench-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
}

#define SEND_SIZE 16384
#define SEND_COUNT 64

/* True if m is message k of BENCH-SEND: a blob whose byte 0 is k and byte
** i (i > 0) is i & 0xff. */
static bool send_ok(const Impwire__AgentMessage *m, int k) {
  if (strcmp(m->name, "bench") != 0 || !m->data ||
      m->data->kind_case != IMPWIRE__VALUE__KIND_BLOB ||
      m->data->blob.len != SEND_SIZE)
    return false;
  const uint8_t *b = m->data->blob.data;
  if (b[0] != (uint8_t)k)
    return false;
  for (size_t i = 1; i < SEND_SIZE; i++)
    if (b[i] != (uint8_t)(i & 0xff))
      return false;
  return true;
}

static void send_throughput(impcert_fx *fx) {
  char code[512];
  snprintf(code, sizeof code,
           "local b = blob(%d);\n"
           "for (local i = 0; i < %d; i++) b.writen(i & 0xff, 'b');\n"
           "for (local k = 0; k < %d; k++) {\n"
           "  b[0] = k & 0xff;\n"
           "  agent.send(\"bench\", b);\n"
           "}\n",
           SEND_SIZE, SEND_SIZE, SEND_COUNT);
  deploy(fx, code);
  double first = 0, last = 0;
  for (int k = 0; k < SEND_COUNT;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_FAIL_NOW(fx, "%d of %d messages arrived", k, SEND_COUNT);
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG)
      continue;
    if (e->msg_case != IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE)
      IMPCERT_FAIL_NOW(fx, "message %d: a frame of case %d, not an "
                       "AgentMessage", k, (int)e->msg_case);
    if (!send_ok(e->agent_message, k))
      IMPCERT_FAIL_NOW(fx, "message %d is not the blob that was sent", k);
    last = now_ms();
    if (k == 0)
      first = last;
    k++;
  }
  impcert_note(fx, "bench: send_bytes=%d send_ms=%.3f",
               (SEND_COUNT - 1) * SEND_SIZE, last - first);
}

#define BOOT_RUNS 5

static void boot_to_first_statement(impcert_fx *fx) {
  deploy(fx, "server.log(\"bench first statement\");");
  const Impwire__Envelope *e =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_LOG, WAIT);
  IMPCERT_REQUIRE(fx, strcmp(e->log->text, "bench first statement") == 0);
  for (int r = 0; r < BOOT_RUNS; r++) {
    impcert_dut_power_off(fx);
    double t0 = now_ms();
    impcert_dut_power_on(fx);
    if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
      IMPCERT_FAIL_NOW(fx, "cold boot %d: no session", r + 1);
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
    impcert_send_answer(fx, true, NULL, false);
    e = impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_LOG, WAIT);
    double t1 = now_ms();
    IMPCERT_REQUIRE(fx, strcmp(e->log->text, "bench first statement") == 0);
    impcert_note(fx, "bench: boot_us=%.0f", (t1 - t0) * 1000);
  }
}

static const struct impcert_case cases[] = {
    {"BENCH-EMPTY", "power on, BlinkUp, TLS session, one frame, stop",
     "BOOT-001", "bench", "jig", 0, empty_test},
    {"BENCH-IDLE", "activate, deploy $IMPCERT_BENCH_APP, idle for 2 s",
     "BOOT-004", "bench", "jig,squirrel", 0, idle_with_app},
    {"BENCH-SEND", "agent.send of 64 blobs of 16 KiB, checked",
     "SEND-004", "bench", "jig,squirrel", 0, send_throughput},
    {"BENCH-BOOT", "cold boot to the first Squirrel statement, 5 times",
     "BOOT-014", "bench", "jig,jig-power,squirrel", 0,
     boot_to_first_statement},
};
IMPCERT_PLUGIN("bench", cases)
