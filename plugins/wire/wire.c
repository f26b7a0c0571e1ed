/*
** wire.c: conformance tests of framing and message handling on the wire
** (specs/wire.md, Framing and Messages at any time) and of the port order
** (seeds/003, "Communicating With The impCloud After A Cold Boot").
*/
#include <stdlib.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0002-wire"
#define TOKEN "token-wire-77"
#define CODE "imp.wakeup(1, function() { server.log(\"tick\"); });"
#define WAIT 8000

/* Power on, BlinkUp, accept, run steps 1-3 and answer "no code". */
static void activated_session(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

/* The device closes the session on bad input, survives, and reconnects
** to run the conversation from step 2 (it is activated by now). */
static void closes_and_recovers(impcert_fx *fx, const char *what) {
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device kept the session open after %s", what);
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx), "the device died on %s",
                    what);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not reconnect after %s", what);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
}

/* WIRE-001: everything the device sends is a well-formed frame. */
static void device_frames_decode(impcert_fx *fx) {
  activated_session(fx);
  impcert_send_answer(fx, false, CODE, false);
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  /* A frame that did not decode would have closed the session. */
  IMPCERT_CHECK_MSG(fx, !impcert_cloud_wait_closed(fx, 300),
                    "the session ended: a device frame did not decode");
}

/* WIRE-004: a zero length is invalid. */
static void zero_length(impcert_fx *fx) {
  activated_session(fx);
  static const uint8_t zero[4] = {0, 0, 0, 0};
  impcert_send_raw(fx, zero, sizeof zero);
  closes_and_recovers(fx, "a zero-length frame");
}

/* WIRE-005: an Envelope that carries no message. */
static void empty_envelope(impcert_fx *fx) {
  activated_session(fx);
  /* Field 15 (not in the Envelope's oneof) = 1: valid protobuf. */
  static const uint8_t frame[] = {0, 0, 0, 2, 0x78, 0x01};
  impcert_send_raw(fx, frame, sizeof frame);
  closes_and_recovers(fx, "an Envelope with no message");
}

/* WIRE-006: Values nested deeper than 32 levels. */
static void too_deep(impcert_fx *fx) {
  enum { DEPTH = 40 };
  static Impwire__Value v[DEPTH];
  static Impwire__ValueArray a[DEPTH];
  static Impwire__Value *item[DEPTH];
  for (int i = 0; i < DEPTH; i++) {
    impwire__value__init(&v[i]);
    impwire__value_array__init(&a[i]);
    if (i + 1 < DEPTH) {
      v[i].kind_case = IMPWIRE__VALUE__KIND_ARRAY;
      v[i].array = &a[i];
      item[i] = &v[i + 1];
      a[i].n_items = 1;
      a[i].items = &item[i];
    } else {
      v[i].kind_case = IMPWIRE__VALUE__KIND_INTEGER;
      v[i].integer = 7;
    }
  }
  activated_session(fx);
  Impwire__CloudAnswer ans = IMPWIRE__CLOUD_ANSWER__INIT;
  ans.match = 0;
  ans.configparams = &v[0];
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER;
  e.cloud_answer = &ans;
  impcert_send(fx, &e);
  closes_and_recovers(fx, "Values nested 40 deep");
}

/* WIRE-007: a frame cut off by the end of the session is not acted on. */
static void cut_mid_frame(impcert_fx *fx) {
  activated_session(fx);
  /* The start of a CloudAnswer carrying code: header says 200 bytes. */
  static const uint8_t part[] = {0, 0, 0, 200, 0x2a, 0x40, 0x08, 0x00};
  impcert_send_raw(fx, part, sizeof part);
  impcert_cloud_close(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not reconnect");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  static const uint8_t zero[32];
  IMPCERT_CHECK_MSG(fx, h->sha256.len == 32 && !memcmp(h->sha256.data, zero, 32),
                    "the device acted on a partial frame");
}

/* WIRE-008: an unexpected message is ignored; the session goes on. */
static void unexpected_ignored(impcert_fx *fx) {
  activated_session(fx);
  impcert_send_answer(fx, false, CODE, false);
  Impwire__ActivationRequest ar = IMPWIRE__ACTIVATION_REQUEST__INIT;
  ar.plan_id = "not for a device";
  ar.enrollment_token = "nor this";
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST;
  e.activation_request = &ar;
  impcert_send(fx, &e);
  IMPCERT_CHECK_MSG(fx, !impcert_cloud_wait_closed(fx, 500),
                    "the device closed the session on an unexpected "
                    "message");
  /* Still listening: a reload is obeyed. */
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
}

/* WIRE-009: a frame arriving one byte at a time. */
static void one_byte_at_a_time(impcert_fx *fx) {
  activated_session(fx);
  uint8_t hash[32];
  impcert_sha256(CODE, strlen(CODE), hash);
  Impwire__CloudAnswer ans = IMPWIRE__CLOUD_ANSWER__INIT;
  ans.has_code = ans.has_code_hash = 1;
  ans.code.data = (uint8_t *)CODE;
  ans.code.len = strlen(CODE);
  ans.code_hash.data = hash;
  ans.code_hash.len = 32;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER;
  e.cloud_answer = &ans;
  size_t n = impwire__envelope__get_packed_size(&e);
  uint8_t *buf = malloc(n + 4);
  IMPCERT_REQUIRE(fx, buf != NULL);
  buf[0] = (uint8_t)(n >> 24);
  buf[1] = (uint8_t)(n >> 16);
  buf[2] = (uint8_t)(n >> 8);
  buf[3] = (uint8_t)n;
  impwire__envelope__pack(&e, buf + 4);
  for (size_t i = 0; i < n + 4; i++)
    if (impcert_send_raw(fx, buf + i, 1) < 0)
      break;
  free(buf);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_state(
                            fx, IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                            WAIT),
                    "the device did not take code sent one byte at a time");
}

/* NET-001: with every port open the device uses the first. */
static void first_port(impcert_fx *fx) {
  activated_session(fx);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_session_port(fx) == 0,
                    "the device connected on port %d of the list, not the "
                    "first (31314)", impcert_cloud_session_port(fx));
}

/* NET-001, NET-003: refused ports are skipped in order. */
static void port_fallback(impcert_fx *fx) {
  for (int closed = 1; closed <= 2; closed++) {
    impcert_dut_power_off(fx);
    impcert_cloud_close_port(fx, closed - 1);
    impcert_dut_power_on(fx);
    if (closed == 1)
      impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
    if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
      IMPCERT_FAIL_NOW(fx, "no session with %d port(s) refused", closed);
    IMPCERT_CHECK_MSG(fx, impcert_cloud_session_port(fx) == closed,
                      "with the first %d port(s) refused the device came in "
                      "on port %d, not %d", closed,
                      impcert_cloud_session_port(fx), closed);
  }
}

static const struct impcert_case cases[] = {
    {"WIRE-001", "every frame the device sends decodes", "WIRE-001", "wire",
     "jig", 0, device_frames_decode},
    {"WIRE-004", "a zero-length frame closes the session", "WIRE-004",
     "wire,robustness", "jig", 0, zero_length},
    {"WIRE-005", "an Envelope with no message closes the session",
     "WIRE-005", "wire,robustness", "jig", 0, empty_envelope},
    {"WIRE-006", "Values nested deeper than 32 close the session",
     "WIRE-006", "wire,robustness", "jig", 0, too_deep},
    {"WIRE-007", "a frame cut off by a closed session is not acted on",
     "WIRE-007", "wire,robustness", "jig", 0, cut_mid_frame},
    {"WIRE-008", "an unexpected message is ignored", "WIRE-008", "wire",
     "jig", 0, unexpected_ignored},
    {"WIRE-009", "a frame sent one byte at a time is understood", "WIRE-009",
     "wire", "jig", 0, one_byte_at_a_time},
    {"NET-001", "the first port of the list is used first", "NET-001", "net",
     "jig", 0, first_port},
    {"NET-003", "refused ports are skipped in order", "NET-001,NET-003",
     "net", "jig,jig-power", 0, port_fallback},
};

IMPCERT_PLUGIN("wire", cases)
