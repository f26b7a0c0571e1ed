/*
** cellular.c: conformance tests of a cellular device (impC001): it reaches
** the cloud on port 52753 alone, never on the WiFi/Ethernet ports 31314,
** 993, 443 (NET-002), and its board has the cellular API surface: no WiFi
** calls, no MAC address, a "cell" interface, and none of the sampler, the
** fixed-frequency DAC or the pulse counter.
**
** The harness stands in for the ports: on a profile with `network =
** cellular` it listens on a port standing for 52753
** (IMPCERT_PORT_CELLULAR) and keeps the three WiFi stand-ins open as
** decoys, counting every connection made to them (docs/profiles.md).
** Requirement IDs: specs/requirements.md.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

static const char *const wifi_port_names[] = {"31314", "993", "443"};

/* The harness offers the stand-in for 52753 only on a profile saying
** `network = cellular`; without it these tests cannot run. */
static void need_cellular_port(impcert_fx *fx) {
  if (!impcert_dut_cellular(fx))
    IMPCERT_ERROR_NOW(fx, "the profile declares 'cellular' without "
                          "'network = cellular': the harness has no port "
                          "standing for 52753 (docs/profiles.md)");
}

/* NET-002: no connection so far on any of the WiFi/Ethernet decoys. */
static void check_no_wifi_dials(impcert_fx *fx, const char *when) {
  for (int i = 0; i < 3; i++) {
    int n = impcert_cloud_port_dials(fx, i);
    IMPCERT_CHECK_MSG(fx, n == 0,
                      "%s the device dialled the stand-in for port %s %d "
                      "time(s): a cellular device uses 52753 alone", when,
                      wifi_port_names[i], n);
  }
}

/* A session is up: it must be on the cellular port. */
static void check_cellular_session(impcert_fx *fx, const char *when) {
  int port = impcert_cloud_session_port(fx);
  IMPCERT_CHECK_MSG(fx, port == IMPCERT_PORT_CELLULAR,
                    "%s the device came in on the stand-in for port %s, "
                    "not 52753", when,
                    port >= 0 && port < 3 ? wifi_port_names[port] : "?");
}

/* Activation, device state and code hash of the first boot. */
static void activate(impcert_fx *fx) {
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
}

/* NET-002: after BlinkUp (which carries a WiFi SSID the cellular device
** has no use for) the device opens its session on 52753, and again after
** the cloud drops it; the WiFi ports see nothing. */
static void cellular_port(impcert_fx *fx) {
  need_cellular_port(fx);
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session on any port after BlinkUp");
  check_cellular_session(fx, "after BlinkUp");
  activate(fx);
  impcert_cloud_close(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no new session after the cloud closed the first");
  check_cellular_session(fx, "after a lost session");
  check_no_wifi_dials(fx, "meanwhile");
}

/* NET-002: with 52753 refused the device keeps retrying 52753 and never
** falls back to a WiFi port; once the port opens it connects there. */
static void no_wifi_fallback(impcert_fx *fx) {
  need_cellular_port(fx);
  impcert_cloud_close_port(fx, IMPCERT_PORT_CELLULAR);
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  /* three rounds of the one-second back-off (NET-004) */
  impcert_device_wait(fx, 3500);
  check_no_wifi_dials(fx, "with 52753 refused");
  IMPCERT_REQUIRE(fx, impcert_cloud_open_port(fx, IMPCERT_PORT_CELLULAR) ==
                          0);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session once 52753 was open again");
  check_cellular_session(fx, "once 52753 was open again");
  check_no_wifi_dials(fx, "in the end");
}

/* ---- the board: what an impC001's Squirrel sees ------------------------ */

static const Impwire__Value *slot(const Impwire__Value *t, const char *k) {
  if (!t || t->kind_case != IMPWIRE__VALUE__KIND_TABLE)
    return NULL;
  for (size_t i = 0; i < t->table->n_slots; i++) {
    const Impwire__ValueSlot *s = t->table->slots[i];
    if (s->key->kind_case == IMPWIRE__VALUE__KIND_STR &&
        strcmp(s->key->str, k) == 0)
      return s->value;
  }
  return NULL;
}

static bool is_bool(const Impwire__Value *v, bool want) {
  return v && v->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
         v->boolean == want;
}

static const char *str_of(const Impwire__Value *v) {
  return v && v->kind_case == IMPWIRE__VALUE__KIND_STR ? v->str : "?";
}

/* Deploy code, then the table it sends as agent message "r". */
static const Impwire__Value *run_code(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  activate(fx);
  impcert_send_answer(fx, false, code, false);
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  if (strcmp(m->name, "r") != 0)
    IMPCERT_FAIL_NOW(fx, "expected agent message 'r', got '%s'", m->name);
  return m->data;
}

/* HW-001, CAP-008, NET-027: imp.info().type, the one "cell" interface
** (no MAC address, no ipv4 table) and no WiFi calls. */
static void cellular_api(impcert_fx *fx) {
  const Impwire__Value *r = run_code(fx,
      "local r = {type = imp.info().type};\n"
      "foreach (k in [\"scanwifinetworks\", \"setwificonfiguration\",\n"
      "    \"getssid\", \"getmacaddress\", \"getcountry\"])\n"
      "  r[\"imp.\" + k] <- k in imp;\n"
      "foreach (k in [\"getwifihints\", \"setwifihints\", \"counters\",\n"
      "    \"configurewps\"])\n"
      "  r[\"imp.net.\" + k] <- k in imp.net;\n"
      "r.scanthrows <- false;\n"
      "try { imp.scanwifinetworks(); } catch (e) { r.scanthrows = true; }\n"
      "local i = imp.net.info();\n"
      "r.ninterfaces <- i.interface.len();\n"
      "r.itype <- i.interface.len() ? i.interface[0].type : \"\";\n"
      "r.mac <- i.interface.len() > 0 && \"macaddress\" in i.interface[0];\n"
      "r.ipv4 <- \"ipv4\" in i;\n"
      "r.active <- \"active\" in i;\n"
      "agent.send(\"r\", r);\n");
  IMPCERT_CHECK_MSG(fx, strcmp(str_of(slot(r, "type")), "impC001") == 0,
                    "HW-001: imp.info().type is '%s', not 'impC001'",
                    str_of(slot(r, "type")));
  static const char *const absent[] = {
      "imp.scanwifinetworks", "imp.setwificonfiguration", "imp.getssid",
      "imp.getmacaddress",    "imp.getcountry",  "imp.net.getwifihints",
      "imp.net.setwifihints", "imp.net.counters", "imp.net.configurewps"};
  for (size_t k = 0; k < sizeof absent / sizeof absent[0]; k++)
    IMPCERT_CHECK_MSG(fx, is_bool(slot(r, absent[k]), false),
                      "NET-027: %s exists on a cellular device", absent[k]);
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "scanthrows"), true),
                    "NET-027: imp.scanwifinetworks() did not throw");
  const Impwire__Value *n = slot(r, "ninterfaces");
  IMPCERT_CHECK_MSG(fx, n && n->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
                            n->integer == 1 &&
                            !strcmp(str_of(slot(r, "itype")), "cell"),
                    "CAP-008: imp.net.info().interface is not one entry of "
                    "type \"cell\" (first type '%s')",
                    str_of(slot(r, "itype")));
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "mac"), false),
                    "NET-027: the cell interface has a macaddress");
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "ipv4"), false),
                    "NET-027: imp.net.info() has ipv4 on a cellular device");
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "active"), true),
                    "NET-016: imp.net.info() has no 'active' while "
                    "connected");
}

/* AUDIO-001, AUDIO-007, AUDIO-012 (seeds/000 Known Issues): no sampler, no
** fixed-frequency DAC, no pulse counter: using them throws. */
static void missing_features(impcert_fx *fx) {
  const Impwire__Value *r = run_code(fx,
      "local r = {};\n"
      "r.sampler <- false;\n"
      "try { hardware.sampler.configure(hardware.pinA, 1000,\n"
      "    [blob(2000)], function(b, l) {}); }\n"
      "catch (e) { r.sampler = true; }\n"
      "r.dac <- false;\n"
      "try { hardware.fixedfrequencydac.configure(hardware.pinA, 1000,\n"
      "    [blob(2000)], function(b) {}); }\n"
      "catch (e) { r.dac = true; }\n"
      "r.pulse <- false;\n"
      "try { hardware.pinW.configure(PULSE_COUNTER, 0.1); }\n"
      "catch (e) { r.pulse = true; }\n"
      /* the wake pin itself works: the throw is the counter's */
      "r.wake <- true;\n"
      "try { hardware.pinW.configure(DIGITAL_IN_WAKEUP); }\n"
      "catch (e) { r.wake = false; }\n"
      "agent.send(\"r\", r);\n");
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "sampler"), true),
                    "AUDIO-001: hardware.sampler.configure() did not throw");
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "dac"), true),
                    "AUDIO-007: hardware.fixedfrequencydac.configure() did "
                    "not throw");
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "pulse"), true),
                    "AUDIO-012: PULSE_COUNTER on pinW did not throw");
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "wake"), true),
                    "HW-017: DIGITAL_IN_WAKEUP on pinW threw, so the pulse "
                    "counter's throw proves nothing");
}

static const struct impcert_case cases[] = {
    {"NET-002", "a cellular device reaches the cloud on 52753 alone",
     "NET-002", "net,cellular", "jig,cellular", 0, cellular_port},
    {"NET-002b", "with 52753 refused no WiFi port is tried", "NET-002,NET-004",
     "net,cellular", "jig,cellular", 0, no_wifi_fallback},
    {"CELL-API", "impC001: a cell interface and no WiFi calls",
     "HW-001,CAP-008,NET-027,NET-016", "cellular",
     "jig,squirrel,cellular,board:impC001", 0, cellular_api},
    {"CELL-MISSING", "impC001: sampler, DAC and pulse counter throw",
     "AUDIO-001,AUDIO-007,AUDIO-012,HW-017", "cellular,hwapi",
     "jig,squirrel,board:impC001", 0, missing_features},
};

IMPCERT_PLUGIN("cellular", cases)
