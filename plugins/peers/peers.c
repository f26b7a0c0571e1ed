/*
** peers.c: conformance tests of a device against a misbehaving cloud
** beyond the framing cases of plugins/wire and plugins/boot: a stream of
** garbage, a frame body cut by the close at every length, and a cloud
** that stops reading. The device must close or ride out the session,
** never crash, and get back to a working session.
** Requirement IDs are those of specs/requirements.md.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0003-peers"
#define TOKEN "token-peers-5"
#define WAIT 8000

/* Power on, BlinkUp, accept, run steps 1-3. */
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

/* The session ended (the device closed it, or the cloud did after a
** garbage send): the device is alive and comes back at step 2. */
static void recovers(impcert_fx *fx, const char *what) {
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx), "the device died on %s",
                    what);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not reconnect after %s", what);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
}

/* PEER-001 [WIRE-002, WIRE-003, WIRE-016]: ten streams of pseudo-random
** bytes (fixed seeds, so a failure replays), each up to 4 KiB: whatever
** length the first four bytes say, the device closes the session and
** reconnects at step 2. */
static void garbage_streams(impcert_fx *fx) {
  uint8_t junk[4096];
  activated_session(fx);
  impcert_send_answer(fx, true, NULL, false);
  for (unsigned seed = 1; seed <= 10; seed++) {
    char what[64];
    unsigned x = seed * 2654435761u;
    size_t n = 64 + (x >> 8) % (sizeof junk - 64);
    for (size_t i = 0; i < n; i++) {
      x = x * 1103515245u + 12345u;
      junk[i] = (uint8_t)(x >> 16);
    }
    /* a length of 8..1023, so that the body does arrive and must be
    ** refused as undecodable (a bad length is WIRE-002's case) */
    junk[0] = junk[1] = 0;
    junk[2] &= 3;
    junk[3] |= 8;
    snprintf(what, sizeof what, "garbage stream %u (%zu bytes)", seed, n);
    impcert_send_raw(fx, junk, n);
    if (!impcert_cloud_wait_closed(fx, WAIT)) {
      /* a body that happens to decode is the device's right to accept;
      ** the cloud hangs up on it itself */
      impcert_note(fx, "%s: session kept; the cloud closes it", what);
      impcert_cloud_close(fx);
    }
    recovers(fx, what);
  }
}

/* PEER-002 [WIRE-007, WIRE-016]: a CloudAnswer-sized frame whose body is
** cut by the close after 0, 1, half and all but one of its bytes: never
** acted on, the device reconnects. */
static void cut_at_every_length(impcert_fx *fx) {
  static const uint8_t head[4] = {0, 0, 0, 40};
  uint8_t body[40];
  memset(body, 0x2a, sizeof body);
  activated_session(fx);
  impcert_send_answer(fx, true, NULL, false);
  const size_t cuts[] = {0, 1, 20, 39};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    char what[64];
    snprintf(what, sizeof what, "a frame cut after %zu of 40 bytes",
             cuts[i]);
    impcert_send_raw(fx, head, sizeof head);
    if (cuts[i])
      impcert_send_raw(fx, body, cuts[i]);
    impcert_cloud_close(fx);
    recovers(fx, what);
  }
}

/* PEER-003 [SEND-005, WIRE-016]: code that logs 800 KiB a second; the
** cloud stops reading until the connection's buffers are full (the code
** sees its send buffer too full for the next log and raises pin1 for the
** jig; the log after that has to wait), then reads again. The device must
** not crash; the logs that reach the cloud afterwards come in the order
** made, or the device drops the stalled session and comes back at step 2.
** The stall is what the buffers take to fill, not a fixed time. */
#define FLOOD_CODE                                                       \
  "local s = \"x\"; for (local i = 0; i < 10; i++) s += s;\n"            \
  "local n = 0;\n"                                                       \
  "hardware.pin1.configure(DIGITAL_OUT, 0);\n"                           \
  "function sendfree() {\n"                                              \
  "  local i = imp.net.info();\n"                                        \
  "  return (\"ipv4\" in i) ? i.ipv4.server.tcpsendfree : 0;\n"          \
  "}\n"                                                                  \
  "function flood() {\n"                                                 \
  "  for (local i = 0; i < 40; i++) {\n"                                 \
  "    if (sendfree() < 1100) hardware.pin1.write(1); /* full */\n"      \
  "    n++; server.log(n + \" \" + s);\n"                                \
  "  }\n"                                                                \
  "  imp.wakeup(0.05, flood);\n"                                         \
  "}\n"                                                                  \
  "flood();\n"

/* Wait up to timeout_ms for pin1 to go high (PinStates of other pins
** and levels are skipped). */
static bool pin1_raised(impcert_fx *fx, unsigned timeout_ms) {
  const Impjig__JigEnvelope *m;
  while ((m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE,
                               timeout_ms)) != NULL)
    if (strcmp(m->pin_state->pin, "pin1") == 0 && m->pin_state->level == 1)
      return true;
  return false;
}

static void stalled_cloud(impcert_fx *fx) {
  activated_session(fx);
  impcert_send_answer(fx, false, FLOOD_CODE, false);
  impcert_cloud_pause(fx, true);
  IMPCERT_CHECK_MSG(fx, pin1_raised(fx, WAIT),
                    "the send buffer never filled while the cloud did not "
                    "read for %d ms (tcpsendfree stayed at 1100 or more)",
                    WAIT);
  /* the device now waits for room: a moment for it to break, if it does */
  (void)impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_FLASH_FAULT, 300);
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx),
                    "the device died while the cloud did not read");
  impcert_cloud_pause(fx, false);
  long last = 0;
  int logs = 0;
  const Impwire__Envelope *e;
  while (logs < 100 && (e = impcert_next_frame(fx, WAIT)) != NULL) {
    if (e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
      continue;
    long k = strtol(e->log->text, NULL, 10);
    IMPCERT_CHECK_MSG(fx, k > last, "log %ld came after log %ld", k, last);
    last = k;
    logs++;
  }
  impcert_note(fx, "%d logs in order after the stall (up to log %ld)", logs,
               last);
  if (logs < 100) {
    impcert_note(fx, "the stalled session ended after %d logs", logs);
    recovers(fx, "a cloud that stopped reading");
  }
}

static const struct impcert_case cases[] = {
    {"PEER-001", "ten garbage streams: the device recovers from each",
     "WIRE-002,WIRE-003,WIRE-016", "wire,robustness", "jig", 60000,
     garbage_streams},
    {"PEER-002", "a frame cut by the close at any length is not acted on",
     "WIRE-007,WIRE-016", "wire,robustness", "jig", 0, cut_at_every_length},
    {"PEER-003", "a cloud that stops reading: logs in order or a reconnect",
     "SEND-005,WIRE-016", "wire,robustness", "jig,jig-pins,squirrel", 60000,
     stalled_cloud},
};

IMPCERT_PLUGIN("peers", cases)
