/*
** net.c: conformance tests of the cloud connection beyond the first
** session: the server list the cloud sends (NET-005..007) and TLS session
** resumption (REG-019), and the interfaces an imp005's design leaves out
** (NET-026). Requirement IDs are those of specs/requirements.md.
*/
#include <stdio.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define WAIT 8000
#define HOME "cloud.impcert.test" /* the name the cloud's certificate has */
#define OTHER "other.impcert.test" /* a name no certificate of ours has */
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

/* Power on, BlinkUp, activate and finish step 4 (no code): online. */
static void online(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
}

static bool sni_is(impcert_fx *fx, const char *want) {
  const char *sni = impcert_cloud_sni(fx);
  return sni && strcmp(sni, want) == 0;
}

/* The device reconnects: OTHER first on every port (refused: our
** certificate is not for that name), then HOME. A cellular device has
** one port per server (52753, NET-002), the others three. */
static void walks_the_list(impcert_fx *fx, const char *when) {
  int nports = impcert_dut_cellular(fx) ? 1 : 3;
  for (int port = 0; port < nports; port++) {
    enum impcert_session s = impcert_cloud_accept(fx, WAIT);
    IMPCERT_REQUIRE(fx, s != IMPCERT_SESSION_TIMEOUT);
    IMPCERT_CHECK_MSG(fx, sni_is(fx, OTHER),
                      "%s: attempt %d named '%s', expected the first "
                      "listed server %s", when, port + 1,
                      impcert_cloud_sni(fx) ? impcert_cloud_sni(fx) : "",
                      OTHER);
    IMPCERT_CHECK_MSG(fx, s == IMPCERT_SESSION_REFUSED,
                      "%s: the device accepted a certificate for %s when "
                      "connecting to %s", when, HOME, OTHER);
  }
  IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
  IMPCERT_CHECK_MSG(fx, sni_is(fx, HOME),
                    "%s: the second listed server was not tried next", when);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
}

/* NET-005, NET-006, NET-007: the list replaces the built-in one, is
** tried in order, and survives a power cycle. */
static void server_list(impcert_fx *fx) {
  online(fx);
  Impwire__ServerList sl = IMPWIRE__SERVER_LIST__INIT;
  char *hosts[] = {OTHER, HOME};
  sl.n_hosts = 2;
  sl.hosts = hosts;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_SERVER_LIST;
  e.server_list = &sl;
  impcert_send(fx, &e);
  IMPCERT_CHECK_MSG(fx, session_kept_for(fx, 200),
                    "the device closed the session on a ServerList");
  impcert_cloud_close(fx);
  walks_the_list(fx, "after the ServerList");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  walks_the_list(fx, "after a power cycle");
}

/* REG-019: a reconnect resumes the TLS session of the last connection. */
static void session_resumed(impcert_fx *fx) {
  online(fx);
  IMPCERT_CHECK_MSG(fx, !impcert_cloud_session_resumed(fx),
                    "the first session of a fresh device claims resumption");
  /* the device reads what follows the handshake (tickets) with frames */
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  for (int round = 1; round <= 2; round++) {
    impcert_cloud_close(fx);
    IMPCERT_REQUIRE(fx, impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK);
    IMPCERT_CHECK_MSG(fx, impcert_cloud_session_resumed(fx),
                      "reconnect %d did not resume the TLS session", round);
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
    impcert_send_answer(fx, true, NULL, false);
  }
}

/* The text of the first Log starting with `prefix`, skipping other
** frames; the test fails if none comes. */
static const char *find_log(impcert_fx *fx, const char *prefix) {
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_FAIL_NOW(fx, "no Log starting '%s' within %d ms", prefix,
                       WAIT);
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        strncmp(e->log->text, prefix, strlen(prefix)) == 0)
      return e->log->text;
  }
}

/* NET-026: an imp005 lists an interface of a type exactly when its
** profile declares it: the design without an Ethernet PHY (no capability
** "ethernet") lists no Ethernet entry, and without a WiFi antenna (no
** "wifi") no WiFi entry. The probes (CAP-008) check the other way. */
static void imp005_interfaces(impcert_fx *fx) {
  static const char code[] =
      "local s = \"ifaces\";"
      "foreach (i in imp.net.info().interface) s += \" \" + i.type;"
      "server.log(s);";
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
  const char *got = find_log(fx, "ifaces");
  char have[256];
  snprintf(have, sizeof have, "%s ", got);
  static const char *const types[] = {"ethernet", "wifi"};
  int listed = 0;
  for (size_t i = 0; i < 2; i++) {
    char want[32];
    snprintf(want, sizeof want, " %s ", types[i]);
    bool has = strstr(have, want) != NULL;
    bool declared = impcert_dut_declares(fx, types[i]);
    listed += has;
    IMPCERT_CHECK_MSG(fx, has == declared,
                      "imp.net.info().interface types [%s ]: %s %s entry, "
                      "but the profile %s capability '%s'", got + 6,
                      has ? "a" : "no", types[i],
                      declared ? "declares" : "lacks", types[i]);
  }
  IMPCERT_CHECK_MSG(fx, listed > 0, "an imp005 listed neither an Ethernet "
                    "nor a WiFi interface (%s)", got);
}

static const struct impcert_case cases[] = {
    {"NET-006", "the cloud's server list is used in order and persists",
     "NET-005,NET-006,NET-007", "net", "jig,jig-power", 0, server_list},
    {"REG-019", "a reconnect resumes the cached TLS session", "REG-019",
     "net,tls", "jig", 0, session_resumed},
    {"NET-026", "imp005: no interface that its design leaves out",
     "NET-026", "net,imp005", "jig,squirrel,board:imp005", 0,
     imp005_interfaces},
};

IMPCERT_PLUGIN("net", cases)
