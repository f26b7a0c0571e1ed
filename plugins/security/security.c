/*
** security.c: conformance tests of what a device must refuse (wire.md
** "Transport" and "The boot conversation"): servers it cannot verify, and
** code whose hash does not check out, in the shapes real slips take
** (missing hash, a hash of the wrong length, a device that already has
** code). The first tests of the same requirements are in plugins/boot.
*/
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0005-security"
#define TOKEN "token-sec-5150"
#define CODE_A "server.log(\"trusted code\");"
#define CODE_EVIL "server.log(\"injected code\");"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

static bool hash_of(const Impwire__CodeHash *h, const char *code) {
  uint8_t want[32];
  impcert_sha256(code, strlen(code), want);
  return h->sha256.len == 32 && memcmp(h->sha256.data, want, 32) == 0;
}

/* Power on a fresh device, BlinkUp, activate, deploy CODE_A and confirm
** with a Reload that the device reports it. */
static void device_with_code(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, CODE_A, false);
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  if (!hash_of(h, CODE_A))
    IMPCERT_ERROR_NOW(fx, "set-up: the device did not take the first code");
}

/* Send CODE_EVIL with the given code_hash (NULL: none). */
static void send_code_with_hash(impcert_fx *fx, const uint8_t *hash,
                                size_t hash_len) {
  Impwire__CloudAnswer a = IMPWIRE__CLOUD_ANSWER__INIT;
  a.has_code = 1;
  a.code.data = (uint8_t *)CODE_EVIL;
  a.code.len = strlen(CODE_EVIL);
  if (hash) {
    a.has_code_hash = 1;
    a.code_hash.data = (uint8_t *)hash;
    a.code_hash.len = hash_len;
  }
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER;
  e.cloud_answer = &a;
  impcert_send(fx, &e);
}

/* The refused answer closes the session; the device comes back with the
** old code, in the next session and after a power cycle. */
static void old_code_kept(impcert_fx *fx, const char *what) {
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device kept the session after %s", what);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not reconnect after %s", what);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, hash_of(h, CODE_A),
                    "after %s the device no longer reports its old code",
                    what);
  impcert_send_answer(fx, true, NULL, false);
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  enum impcert_session s = IMPCERT_SESSION_TIMEOUT;
  for (int i = 0; i < 3 && s != IMPCERT_SESSION_OK; i++)
    if ((s = impcert_cloud_accept(fx, WAIT)) == IMPCERT_SESSION_TIMEOUT)
      break;
  if (s != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not connect after power-on");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  h = impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, hash_of(h, CODE_A),
                    "after %s and a power cycle the device reports another "
                    "code", what);
}

/* SEC-004: a hash of other code, on a device that already has code. */
static void mismatch_keeps_old_code(impcert_fx *fx) {
  device_with_code(fx);
  uint8_t other[32];
  impcert_sha256(CODE_A, strlen(CODE_A), other); /* the old code's hash */
  send_code_with_hash(fx, other, sizeof other);
  old_code_kept(fx, "new code under the old code's hash");
}

/* SEC-004: code with no code_hash at all. */
static void missing_hash(impcert_fx *fx) {
  device_with_code(fx);
  send_code_with_hash(fx, NULL, 0);
  old_code_kept(fx, "code without code_hash");
}

/* SEC-004: a code_hash of 31 bytes, the right hash cut short: comparing
** only the bytes sent would accept it. */
static void short_hash(impcert_fx *fx) {
  device_with_code(fx);
  uint8_t right[32];
  impcert_sha256(CODE_EVIL, strlen(CODE_EVIL), right);
  send_code_with_hash(fx, right, 31);
  old_code_kept(fx, "a 31-byte code_hash");
}

/* SEC-004: a 33-byte code_hash whose first 32 bytes are right. */
static void long_hash(impcert_fx *fx) {
  device_with_code(fx);
  uint8_t right[33];
  impcert_sha256(CODE_EVIL, strlen(CODE_EVIL), right);
  right[32] = 0;
  send_code_with_hash(fx, right, sizeof right);
  old_code_kept(fx, "a 33-byte code_hash");
}

/* One session attempt against a server the device must not trust:
** refused, or at least no frame sent. */
static void untrusted(impcert_fx *fx, enum impcert_cert which,
                      const char *what) {
  impcert_cloud_use_cert(fx, which);
  enum impcert_session s = impcert_cloud_accept(fx, WAIT);
  IMPCERT_CHECK_MSG(fx, s != IMPCERT_SESSION_TIMEOUT,
                    "the device did not try the server with %s", what);
  if (s == IMPCERT_SESSION_OK) {
    const Impwire__Envelope *e = impcert_next_frame(fx, 1000);
    IMPCERT_CHECK_MSG(fx, e == NULL,
                      "the device sent %s to a server with %s",
                      !e ? "nothing"
                      : e->msg_case ==
                              IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST
                          ? "its plan ID and enrollment token"
                          : "a frame",
                      what);
    IMPCERT_CHECK_MSG(fx, false, "the device completed a handshake with a "
                                 "server with %s", what);
  }
}

/* SEC-007, SEC-001, SEC-003: plan ID and token go only to a verified
** server: not to one with the wrong name nor one of an unknown CA. */
static void credentials_only_to_verified(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_cloud_use_cert(fx, IMPCERT_CERT_WRONG_NAME);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  untrusted(fx, IMPCERT_CERT_WRONG_NAME, "a certificate for another name");
  untrusted(fx, IMPCERT_CERT_ROGUE, "a certificate of an unknown CA");
  impcert_cloud_use_cert(fx, IMPCERT_CERT_GOOD);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  const Impwire__Envelope *e =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  IMPCERT_CHECK(fx, strcmp(e->activation_request->plan_id, PLAN) == 0);
}

/* SEC-001, SEC-003: an activated device with code does not tell an
** unverified server its state or code hash either. */
static void activated_device_refuses(impcert_fx *fx) {
  device_with_code(fx);
  impcert_cloud_use_cert(fx, IMPCERT_CERT_ROGUE);
  impcert_cloud_close(fx);
  untrusted(fx, IMPCERT_CERT_ROGUE, "a certificate of an unknown CA");
  untrusted(fx, IMPCERT_CERT_WRONG_NAME, "a certificate for another name");
  impcert_cloud_use_cert(fx, IMPCERT_CERT_GOOD);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
}

static const struct impcert_case cases[] = {
    {"SEC-004b", "a wrong hash on a device with code keeps the old code",
     "SEC-004", "security", "jig,jig-power", 0, mismatch_keeps_old_code},
    {"SEC-004c", "code without code_hash is refused", "SEC-004", "security",
     "jig,jig-power", 0, missing_hash},
    {"SEC-004d", "a code_hash cut to 31 bytes is refused", "SEC-004",
     "security", "jig,jig-power", 0, short_hash},
    {"SEC-004e", "a 33-byte code_hash is refused", "SEC-004", "security",
     "jig,jig-power", 0, long_hash},
    {"SEC-007", "plan ID and token go only to a verified server",
     "SEC-007,SEC-001,SEC-003", "security,tls", "jig", 0,
     credentials_only_to_verified},
    {"SEC-001b", "an activated device sends nothing to unverified servers",
     "SEC-001,SEC-003", "security,tls", "jig", 0, activated_device_refuses},
};

IMPCERT_PLUGIN("security", cases)
