/*
** security.c: conformance tests of what a device must refuse (wire.md
** "Transport" and "The boot conversation"): servers it cannot verify, and
** code whose hash does not check out, in the shapes real slips take
** (missing hash, a hash of the wrong length, a device that already has
** code). The first tests of the same requirements are in plugins/boot.
*/
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0005-security"
#define TOKEN "token-sec-5150"
#define CODE_A "server.log(\"trusted code\");"
#define CODE_EVIL "server.log(\"injected code\");"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */
/* Real time a DUT gets to show what it did when device time moved on (a
** session it should not close): on a virtual clock the DUT acts right
** after the advance. */
#define SETTLE_MS 300

/* True when the DUT keeps its session through ms of device time (plus
** SETTLE_MS of real time): a clock advance on a virtual clock, so every
** later device-time wait of the test must be one too. */
static bool session_kept_for(impcert_fx *fx, uint64_t ms) {
  impcert_device_wait(fx, ms);
  return !impcert_cloud_wait_closed(fx, SETTLE_MS);
}

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

/* The frames that follow a refused CloudAnswer up to the session's end:
** true if one was a Log at level ERROR starting "code hash mismatch".
** *closed says whether the session ended within WAIT. */
static bool mismatch_logged(impcert_fx *fx, bool *closed) {
  bool logged = false;
  const Impwire__Envelope *e;
  while ((e = impcert_next_frame(fx, WAIT)) != NULL)
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        e->log->level == IMPWIRE__LOG__LEVEL__ERROR &&
        strncmp(e->log->text, "code hash mismatch", 18) == 0)
      logged = true;
  *closed = impcert_cloud_wait_closed(fx, 0);
  return logged;
}

/* SEC-005: after refusing code under a wrong hash the device reports the
** mismatch (Log ERROR "code hash mismatch...", wire.md) and then closes
** the session; likewise for a code_hash of the wrong length. */
static void mismatch_reported(impcert_fx *fx) {
  device_with_code(fx);
  uint8_t other[32];
  impcert_sha256(CODE_A, strlen(CODE_A), other);
  send_code_with_hash(fx, other, sizeof other);
  bool closed;
  IMPCERT_CHECK_MSG(fx, mismatch_logged(fx, &closed),
                    "no Log at level ERROR starting 'code hash mismatch' "
                    "after code under another code's hash");
  IMPCERT_CHECK_MSG(fx, closed, "the session stayed open after the "
                                "mismatch");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not reconnect after the mismatch");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  uint8_t right[32];
  impcert_sha256(CODE_EVIL, strlen(CODE_EVIL), right);
  send_code_with_hash(fx, right, 31);
  IMPCERT_CHECK_MSG(fx, mismatch_logged(fx, &closed),
                    "no Log at level ERROR starting 'code hash mismatch' "
                    "after a 31-byte code_hash");
  IMPCERT_CHECK_MSG(fx, closed, "the session stayed open after a 31-byte "
                                "code_hash");
}

/* SEC-006: a server that offers only TLS 1.1 is refused before any
** application data; the device then completes TLS 1.2 or later (the
** cloud accepts nothing older) with the real server. */
static void old_tls_refused(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_cloud_use_cert(fx, IMPCERT_CERT_OLD_TLS);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  untrusted(fx, IMPCERT_CERT_OLD_TLS, "only TLS 1.1 on offer");
  impcert_cloud_use_cert(fx, IMPCERT_CERT_GOOD);
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
}

/* True if the string occurs in any string or blob of v, at any depth. */
static bool value_contains(const Impwire__Value *v, const char *needle) {
  if (!v)
    return false;
  size_t n = strlen(needle);
  switch (v->kind_case) {
  case IMPWIRE__VALUE__KIND_STR:
    return strstr(v->str, needle) != NULL;
  case IMPWIRE__VALUE__KIND_BLOB:
    for (size_t i = 0; i + n <= v->blob.len; i++)
      if (memcmp(v->blob.data + i, needle, n) == 0)
        return true;
    return false;
  case IMPWIRE__VALUE__KIND_ARRAY:
    for (size_t i = 0; i < v->array->n_items; i++)
      if (value_contains(v->array->items[i], needle))
        return true;
    return false;
  case IMPWIRE__VALUE__KIND_TABLE:
    for (size_t i = 0; i < v->table->n_slots; i++)
      if (value_contains(v->table->slots[i]->key, needle) ||
          value_contains(v->table->slots[i]->value, needle))
        return true;
    return false;
  default:
    return false;
  }
}

#define WIFI_SSID "impcert-sec-net"
#define WIFI_PASS "pw-5ec8-impcert-Q"
/* What the imp API offers the code, collected into one table and sent:
** every function of imp, imp.net, hardware and server whose name starts
** "get" or is "info", called with no arguments (errors caught and kept),
** the plain values of those objects (constants) and imp.configparams. */
#define DUMP_CODE                                                          \
  "local out = {};\n"                                                      \
  "foreach (tname, t in {imp = imp, net = imp.net, hardware = hardware,\n" \
  "                      server = server}) {\n"                            \
  "  foreach (k, v in t) {\n"                                              \
  "    local tv = typeof v;\n"                                             \
  "    if (tv == \"table\" || tv == \"class\" || tv == \"instance\") {\n"  \
  "      if (k == \"configparams\") out[tname + \".\" + k] <- v;\n"         \
  "      continue;\n"                                                       \
  "    }\n"                                                                 \
  "    if (tv != \"function\") { out[tname + \".\" + k] <- v; continue; }\n" \
  "    if (k.find(\"get\") != 0 && k != \"info\") continue;\n"             \
  "    try { out[tname + \".\" + k + \"()\"] <- v.call(t); }\n"            \
  "    catch (e) { out[tname + \".\" + k + \"() error\"] <- e; }\n"        \
  "  }\n"                                                                  \
  "}\n"                                                                    \
  "agent.send(\"impcert-dump\", out);\n"

/* SEC-008: the stored WiFi password appears in no value the API's getters
** (and constants) give the code; the SSID, which is not secret, may. The
** check covers every frame of the session, Logs included. */
static void password_not_revealed(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, WIFI_SSID, WIFI_PASS, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, DUMP_CODE, false);
  const Impwire__Envelope *e;
  while ((e = impcert_next_frame(fx, WAIT)) != NULL) {
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG)
      IMPCERT_CHECK_MSG(fx, strstr(e->log->text, WIFI_PASS) == NULL,
                        "a Log reveals the WiFi password: %s", e->log->text);
    if (e->msg_case != IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE)
      continue;
    const Impwire__Value *v = e->agent_message->data;
    IMPCERT_REQUIRE(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_TABLE);
    IMPCERT_CHECK_MSG(fx, v->table->n_slots >= 5,
                      "the code found only %zu API values to look at",
                      v->table->n_slots);
    for (size_t i = 0; i < v->table->n_slots; i++) {
      const Impwire__ValueSlot *sl = v->table->slots[i];
      IMPCERT_CHECK_MSG(fx, !value_contains(sl->value, WIFI_PASS),
                        "%s reveals the stored WiFi password",
                        sl->key->kind_case == IMPWIRE__VALUE__KIND_STR
                            ? sl->key->str
                            : "a value");
    }
    return;
  }
  IMPCERT_FAIL_NOW(fx, "no AgentMessage with the API's values");
}

#define OS_IMAGE "impcert OS image for the security tests"

/* Send NewOs{version, OS_IMAGE, hash (hash_len bytes), forced}. */
static void offer_os(impcert_fx *fx, const char *version,
                     const uint8_t *hash, size_t hash_len, bool forced) {
  Impwire__NewOs n = IMPWIRE__NEW_OS__INIT;
  n.version = (char *)version;
  n.has_image = n.has_sha256 = 1;
  n.image.data = (uint8_t *)OS_IMAGE;
  n.image.len = strlen(OS_IMAGE);
  n.sha256.data = (uint8_t *)hash;
  n.sha256.len = hash_len;
  n.has_forced = forced;
  n.forced = forced;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_NEW_OS;
  e.new_os = &n;
  impcert_send(fx, &e);
}

/* The os_version of the next session's DeviceState (power cycles the
** DUT first when cycle is true). */
static char *next_os_version(impcert_fx *fx, bool cycle, char *buf,
                             size_t cap) {
  impcert_cloud_close(fx);
  if (cycle) {
    impcert_dut_power_off(fx);
    impcert_dut_power_on(fx);
  }
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not come back%s",
                     cycle ? " after a power cycle" : "");
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  snprintf(buf, cap, "%s", s->os_version);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  return buf;
}

/* SEC-009: forced NewOs offers whose image does not match sha256 (a wrong
** hash, the right hash cut to 31 bytes) are refused: the device keeps its
** OS and reports the old version, in the next session and after a power
** cycle (a device that stored the bad image and boots it at power-on
** fails here). */
static void bad_os_refused(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  char old[128];
  snprintf(old, sizeof old, "%s",
           impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
               ->device_state->os_version);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, CODE_A, false);
  uint8_t h[32];
  impcert_sha256(OS_IMAGE, strlen(OS_IMAGE), h);
  uint8_t wrong[32];
  memcpy(wrong, h, 32);
  wrong[31] ^= 0x01;
  offer_os(fx, "impcert-bad-1", wrong, sizeof wrong, true);
  IMPCERT_CHECK_MSG(fx, session_kept_for(fx, 1200),
                    "the device restarted for a forced image with a wrong "
                    "sha256");
  offer_os(fx, "impcert-bad-2", h, 31, true);
  IMPCERT_CHECK_MSG(fx, session_kept_for(fx, 1200),
                    "the device restarted for an image with a 31-byte "
                    "sha256");
  char v[128];
  next_os_version(fx, false, v, sizeof v);
  IMPCERT_CHECK_MSG(fx, strcmp(v, old) == 0,
                    "after refused images the device reports OS '%s', not "
                    "its own '%s'", v, old);
  next_os_version(fx, true, v, sizeof v);
  IMPCERT_CHECK_MSG(fx, strcmp(v, old) == 0,
                    "after refused images and a power cycle the device "
                    "reports OS '%s', not its own '%s'", v, old);
}

static const struct impcert_case cases[] = {
    {"SEC-005", "a code hash mismatch is logged as an ERROR, then closed",
     "SEC-005", "security", "jig", 0, mismatch_reported},
    {"SEC-006", "a server offering only TLS 1.1 is refused", "SEC-006",
     "security,tls", "jig", 0, old_tls_refused},
    {"SEC-008", "no API value reveals the stored WiFi password", "SEC-008",
     "security,squirrel", "jig,squirrel", 0, password_not_revealed},
    {"SEC-009", "a NewOs image that fails its sha256 is never installed",
     "SEC-009", "security,osupd", "jig,jig-power", 0, bad_os_refused},
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
