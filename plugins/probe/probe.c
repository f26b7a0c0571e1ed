/*
** probe.c: the capability self-check (specs/capabilities.md). Each case
** probes one capability, named by its `needs`, and is tagged "probe":
** pass means the DUT shows the capability, fail means it does not (the
** message is the evidence), inconclusive means the probe could not get the
** DUT into the state it needs. In `impcert run` a probe runs only when the
** profile declares its capability (a failed one breaks a CAP requirement);
** `impcert certify` runs every probe, declared or not, and compares.
** Only what this edition can observe is probed: the jig socket and its
** features (pins, PWM, flash faults; the others by Hello.features alone),
** AppState, the virtual clock, the board, power cuts, Squirrel, deep
** sleep and nv.
*/
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define CODE "server.log(\"impcert-probe\");"
#define JIG_WAIT 5000 /* capabilities.md: the jig within 5 s */
#define WAIT 8000
/* Real time a DUT gets to show what it did when device time moved on (or
** stood still): it acts right after an advance. */
#define SETTLE_MS 300

/* Power on and wait for the jig's Hello; NULL if none came. */
static const Impjig__Hello *power_on_hello(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  const Impjig__JigEnvelope *m =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_HELLO, JIG_WAIT);
  return m ? m->hello : NULL;
}

/* The next frame of `kind`, skipping Log frames; while setting up a probe
** anything else means the DUT could not be brought where the probe needs
** it, so the verdict is inconclusive, not fail. */
static const Impwire__Envelope *setup_expect(impcert_fx *fx,
                                             Impwire__Envelope__MsgCase kind,
                                             const char *what) {
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_INCONCLUSIVE_NOW(fx, "no %s from the DUT: the probe cannot "
                                   "reach the state it needs", what);
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG)
      continue;
    if (e->msg_case != kind)
      IMPCERT_INCONCLUSIVE_NOW(fx, "expected %s, the DUT sent message %d: "
                                   "the probe cannot reach the state it "
                                   "needs", what, (int)e->msg_case);
    return e;
  }
}

/* BlinkUp, activation and the device state of the first boot. Needs the
** jig (this edition has no factory provisioning without it). */
static const Impwire__DeviceState *bring_online(impcert_fx *fx) {
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the DUT opened no session after BlinkUp");
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST,
               "ActivationRequest");
  impcert_send_activation_result(fx, true);
  return setup_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, "DeviceState")
      ->device_state;
}

/* CAP-001: the jig socket, Hello with board and OS version, then BootState
** and Led. */
static void probe_jig(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_FAIL_NOW(fx, "no Hello on the jig socket within %d ms of "
                         "power-on: the DUT shows no jig", JIG_WAIT);
  IMPCERT_CHECK_MSG(fx, h->board && *h->board, "Hello.board is empty");
  IMPCERT_CHECK_MSG(fx, h->os_version && *h->os_version,
                    "Hello.os_version is empty");
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx,
                        IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE, JIG_WAIT),
                    "no BootState on the jig after Hello");
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_LED,
                                         JIG_WAIT),
                    "no Led on the jig after Hello");
}

/* CAP-003: Hello.board and DeviceState.imp_type name the board. */
static void probe_board(impcert_fx *fx, const char *board) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: without the jig this "
                                 "edition cannot bring the DUT online to "
                                 "read its board");
  if (strcmp(h->board, board) != 0)
    IMPCERT_FAIL_NOW(fx, "Hello.board is '%s', not '%s'", h->board, board);
  const Impwire__DeviceState *s = bring_online(fx);
  IMPCERT_CHECK_MSG(fx, strcmp(s->imp_type, board) == 0,
                    "DeviceState.imp_type is '%s', not '%s'", s->imp_type,
                    board);
}

#define BOARD_PROBE(fn, name) \
  static void fn(impcert_fx *fx) { probe_board(fx, name); }
BOARD_PROBE(board_imp001, "imp001")
BOARD_PROBE(board_imp002, "imp002")
BOARD_PROBE(board_imp003, "imp003")
BOARD_PROBE(board_imp004m, "imp004m")
BOARD_PROBE(board_imp005, "imp005")
BOARD_PROBE(board_imp006, "imp006")
BOARD_PROBE(board_impC001, "impC001")

/* True if Hello offers `feature`. */
static bool offers(const Impjig__Hello *h, const char *feature) {
  for (size_t i = 0; i < h->n_features; i++)
    if (strcmp(h->features[i], feature) == 0)
      return true;
  return false;
}

/* CAP-002: jig-app: Hello offers it, and deployed code that starts is
** reported with AppState{running, sha256 of the code}. */
static void probe_app(impcert_fx *fx) {
  uint8_t want[32];
  impcert_sha256(CODE, strlen(CODE), want);
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: AppState cannot be seen");
  if (!offers(h, "jig-app"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-app'");
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, false, CODE, false);
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no AppState within %d ms of deploying code", WAIT);
  IMPCERT_CHECK_MSG(fx, e->app_state->running,
                    "the first AppState after deploying says not running");
  IMPCERT_CHECK_MSG(fx, e->app_state->has_sha256 &&
                            e->app_state->sha256.len == 32 &&
                            memcmp(e->app_state->sha256.data, want, 32) == 0,
                    "AppState.sha256 is not that of the deployed code");
}

/* CAP-006: device time moves only when the harness advances it. This
** edition observes it through the ten-second rule (seeds/003): with code
** stored and a cloud that never answers, the code starts (AppState, so
** jig-app is needed) after exactly ten seconds of device time. */
static void probe_clock(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: the clock is driven over "
                                 "the jig");
  if (!offers(h, "virtual-clock"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'virtual-clock'");
  if (!offers(h, "jig-app"))
    IMPCERT_INCONCLUSIVE_NOW(fx, "this edition watches device time through "
                                 "AppState, and Hello does not offer "
                                 "'jig-app'");
  impcert_clock_advance(fx, 0); /* from here time stands still */
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, false, CODE, false);
  if (!impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT))
    IMPCERT_INCONCLUSIVE_NOW(fx, "no AppState after deploying code");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no session after the power came back");
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, "DeviceState");
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  /* The cloud stays silent from here on: the code starts only after ten
  ** seconds of device time, and real time passes while it stands still */
  if (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, SETTLE_MS))
    IMPCERT_FAIL_NOW(fx, "the stored code started while the harness held "
                         "device time still");
  impcert_clock_advance(fx, 9999);
  if (impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, SETTLE_MS))
    IMPCERT_FAIL_NOW(fx, "the stored code started after 9999 ms of device "
                         "time, before the ten seconds");
  impcert_clock_advance(fx, 1);
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx,
                        IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT) != NULL,
                    "the stored code did not start when the harness "
                    "advanced device time to ten seconds");
}

/* ---- probes that run Squirrel ------------------------------------------ */

/* With the jig's Hello (the jig is needed to bring the DUT online),
** activate and deploy code. */
static void deploy_after(impcert_fx *fx, const Impjig__Hello *h,
                         const char *code) {
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: without the jig this "
                                 "edition cannot bring the DUT online");
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, false, code, false);
}

static void deploy(impcert_fx *fx, const char *code) {
  deploy_after(fx, power_on_hello(fx), code);
}

/* The text after `prefix` of the next Log that starts with it, or NULL
** if none comes within ms. Other frames are skipped. */
static const char *log_after(impcert_fx *fx, const char *prefix,
                             unsigned ms) {
  size_t n = strlen(prefix);
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, ms);
    if (!e)
      return NULL;
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        strncmp(e->log->text, prefix, n) == 0)
      return e->log->text + n;
  }
}

/* The code's first log: without it Squirrel is not running, and a probe
** that needs Squirrel cannot decide. */
static void wait_ready(impcert_fx *fx) {
  if (!log_after(fx, "impcert-ready", WAIT))
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code did not log "
                             "'impcert-ready': it needs Squirrel");
}

/* CAP-004: deployed code runs: its server.log() line arrives. */
static void probe_squirrel(impcert_fx *fx) {
  deploy(fx, "server.log(\"impcert-probe \" + imp.info().type);");
  const char *type = log_after(fx, "impcert-probe ", 5000);
  if (!type)
    IMPCERT_FAIL_NOW(fx, "the deployed code's server.log() line did not "
                         "arrive within 5000 ms: the DUT runs no code");
  impcert_note(fx, "imp.info().type is '%s'", type);
}

/* CAP-008: imp.net.info().interface lists an interface of `type`. The
** code logs every interface's type, space-separated. */
static void probe_interface(impcert_fx *fx, const char *type) {
  deploy(fx, "local s = \"impcert-net\";"
             "foreach (i in imp.net.info().interface) s += \" \" + i.type;"
             "server.log(s);");
  const char *types = log_after(fx, "impcert-net", WAIT);
  if (!types)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code did not log the interface "
                                 "types: it needs Squirrel");
  char want[32];
  snprintf(want, sizeof want, " %s ", type);
  char have[512];
  snprintf(have, sizeof have, "%s ", types);
  IMPCERT_CHECK_MSG(fx, strstr(have, want) != NULL,
                    "imp.net.info().interface has no entry of type \"%s\" "
                    "(types:%s)", type, types);
}

static void probe_wifi(impcert_fx *fx) { probe_interface(fx, "wifi"); }
static void probe_ethernet(impcert_fx *fx) {
  probe_interface(fx, "ethernet");
}

/* CAP-008 cellular: an interface of type "cell", and the session on the
** port standing for 52753 (a profile with `network = cellular` gives the
** DUT that stand-in as {cell_port}; without it the port does not exist
** and the check fails), with no connection to the WiFi ports. */
static void probe_cellular(impcert_fx *fx) {
  probe_interface(fx, "cell");
  int port = impcert_cloud_session_port(fx);
  IMPCERT_CHECK_MSG(fx, port == IMPCERT_PORT_CELLULAR,
                    "the session came in on port index %d, not on the "
                    "stand-in for 52753%s", port,
                    impcert_dut_cellular(fx)
                        ? ""
                        : " (the profile has no 'network = cellular')");
  for (int i = 0; i < 3; i++)
    IMPCERT_CHECK_MSG(fx, impcert_cloud_port_dials(fx, i) <= 0,
                      "the DUT also dialled WiFi port index %d", i);
}
/* CAP-009 jig-wifi: the jig offers two networks; a blocking scan in the
** probe code lists both with the offered SSID, BSSID and channel. */
static void probe_wifi_jig(impcert_fx *fx) {
  static const struct impcert_wifi_net nets[] = {
      {.ssid = "impcert-lab", .bssid = "0a1b2c3d4e01", .channel = 6,
       .password = "secret-pass"},
      {.ssid = "impcert-probe", .bssid = "0a1b2c3d4e02", .channel = 40,
       .open = true}};
  const Impjig__Hello *h = power_on_hello(fx);
  if (h && !offers(h, "jig-wifi"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-wifi'");
  impcert_jig_wifi_networks(fx, nets, 2);
  deploy_after(fx, h,
               "local s = \"\";"
               "foreach (n in imp.scanwifinetworks())"
               "  s += n.ssid + \"/\" + n.bssid + \"/\" + n.channel + \";\";"
               "server.log(\"impcert-scan \" + s);");
  const char *t = log_after(fx, "impcert-scan ", WAIT);
  if (!t)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code's scan was not logged");
  IMPCERT_CHECK_MSG(fx, strstr(t, "impcert-lab/0a1b2c3d4e01/6;") &&
                            strstr(t, "impcert-probe/0a1b2c3d4e02/40;"),
                    "the scan shows '%s', not the jig's two networks", t);
}

/* CAP-005 wps: imp.net.configurewps exists. */
static void probe_wps(impcert_fx *fx) {
  deploy(fx, "server.log(\"impcert-wps \" + (\"configurewps\" in imp.net));");
  const char *t = log_after(fx, "impcert-wps ", WAIT);
  if (!t)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code's line was not logged");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "true") == 0,
                    "\"configurewps\" in imp.net is %s", t);
}

/* CAP-005 proxy: the harness's proxy; the probe code sets it, drops the
** session and connects again: the new session comes through the proxy
** and server.connect says SERVER_CONNECTED. */
static void probe_proxy(impcert_fx *fx) {
  int port = impcert_proxy_start(fx, NULL, NULL);
  char code[512];
  snprintf(code, sizeof code,
           "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, 10);"
           "imp.wakeup(0.2, function() {"
           "  imp.setproxy(PROXY_TYPE_HTTP, \"127.0.0.1\", %d);"
           "  server.disconnect();"
           "  server.connect(function(r) {"
           "    server.log(\"impcert-proxy \" + r); }, 10);"
           "});", port);
  deploy(fx, code);
  if (!impcert_cloud_wait_closed(fx, WAIT))
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code's server.disconnect() did "
                                 "not close the session");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session after imp.setproxy()");
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, "DeviceState");
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, true, NULL, false);
  int st = 0;
  unsigned n = impcert_proxy_last(fx, &st, NULL, 0);
  IMPCERT_CHECK_MSG(fx, n >= 1 && st == 200,
                    "the session did not come through the proxy (%u "
                    "requests, last answered %d)", n, st);
  const char *t = log_after(fx, "impcert-proxy ", WAIT);
  IMPCERT_CHECK_MSG(fx, t && strcmp(t, "5") == 0,
                    "server.connect through the proxy reported %s",
                    t ? t : "nothing");
}

/* Pins the probes use: the numbered pins of imp001/imp002, else the
** lettered ones of later modules. */
static bool numbered_pins(const Impjig__Hello *h) {
  return !strcmp(h->board, "imp001") || !strcmp(h->board, "imp002");
}

/* CAP-009 jig-pins: a DIGITAL_OUT level reaches the jig, and a level the
** jig drives reaches the code. */
static void probe_pins(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (h && !offers(h, "jig-pins"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-pins'");
  bool num = !h || numbered_pins(h);
  const char *out = num ? "pin9" : "pinA", *in = num ? "pin2" : "pinB";
  char code[512];
  snprintf(code, sizeof code,
           "hardware.%s.configure(DIGITAL_OUT, 1);"
           "hardware.%s.configure(DIGITAL_IN, function() {"
           "  server.log(\"impcert-pin \" + hardware.%s.read()); });"
           "server.log(\"impcert-ready\");", out, in, in);
  deploy_after(fx, h, code);
  wait_ready(fx);
  bool seen = false;
  const Impjig__JigEnvelope *m;
  while (!seen &&
         (m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE, WAIT)))
    seen = !strcmp(m->pin_state->pin, out) && m->pin_state->level == 1;
  if (!seen)
    IMPCERT_FAIL_NOW(fx, "the jig saw no PinState %s level 1 after the code "
                         "set it", out);
  impcert_jig_drive_pin(fx, in, 1);
  const char *level = log_after(fx, "impcert-pin ", WAIT);
  IMPCERT_CHECK_MSG(fx, level && !strcmp(level, "1"),
                    "after the jig drove %s high the code read %s", in,
                    level ? level : "nothing (no callback)");
}

/* CAP-009 jig-pwm: a PWM output reaches the jig with its period and duty
** cycle. */
static void probe_pwm(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (h && !offers(h, "jig-pwm"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-pwm'");
  const char *pin = !h || numbered_pins(h) ? "pin7" : "pinE";
  char code[256];
  snprintf(code, sizeof code,
           "hardware.%s.configure(PWM_OUT, 0.001, 0.25);"
           "server.log(\"impcert-ready\");", pin);
  deploy_after(fx, h, code);
  wait_ready(fx);
  const Impjig__JigEnvelope *m =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PWM_STATE, WAIT);
  if (!m)
    IMPCERT_FAIL_NOW(fx, "the jig saw no PwmState after the code started "
                         "PWM on %s", pin);
  const Impjig__PwmState *p = m->pwm_state;
  IMPCERT_CHECK_MSG(fx, !strcmp(p->pin, pin) &&
                            p->period_s > 0.00099f && p->period_s < 0.00101f &&
                            p->duty > 0.2475f && p->duty < 0.2525f,
                    "PwmState %s period %g s duty %g, not %s 0.001 s 0.25",
                    p->pin, (double)p->period_s, (double)p->duty, pin);
}

/* Squirrel: log "impcert-ready <name>" for the first (sorted) hardware
** member whose name starts with the prefix, and keep it in `bus`. */
#define FIRST_BUS(prefix)                                                 \
  "local names = [];\n"                                                   \
  "foreach (k, v in hardware) if (typeof k == \"string\" && "            \
  "k.find(\"" prefix "\") == 0) names.append(k);\n"                     \
  "names.sort();\n"                                                       \
  "local bus = hardware[names[0]];\n"                                     \
  "server.log(\"impcert-ready \" + names[0]);\n"

/* CAP-009 jig-uart: a UART at 115200 8N1 writes "impcert" to the jig, and
** the "ok" the jig sends back reaches the code. */
static void probe_uart(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (h && !offers(h, "jig-uart"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-uart'");
  deploy_after(fx, h,
               "local got = \"\";\n"
               "imp.wakeup(0, function() {\n"
               FIRST_BUS("uart")
               "bus.configure(115200, 8, PARITY_NONE, 1, NO_CTSRTS, "
               "function() {\n"
               "  got += bus.readstring();\n"
               "  if (got.len() >= 2) server.log(\"impcert-uart \" + got);\n"
               "});\n"
               "bus.write(\"impcert\");\n"
               "});\n");
  const char *name = log_after(fx, "impcert-ready ", WAIT);
  if (!name)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code did not log "
                                 "'impcert-ready': it needs Squirrel");
  char bus[32];
  snprintf(bus, sizeof bus, "%s", name);
  const Impjig__JigEnvelope *m;
  bool seen = false;
  while (!seen &&
         (m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_UART_TX, WAIT)))
    seen = !strcmp(m->uart_tx->uart, bus) && m->uart_tx->data.len == 7 &&
           !memcmp(m->uart_tx->data.data, "impcert", 7);
  if (!seen)
    IMPCERT_FAIL_NOW(fx, "the jig received no \"impcert\" on %s", bus);
  Impjig__UartRx rx = IMPJIG__UART_RX__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  rx.uart = bus;
  rx.data.data = (uint8_t *)"ok";
  rx.data.len = 2;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_UART_RX;
  e.uart_rx = &rx;
  impcert_jig_send(fx, &e);
  const char *got = log_after(fx, "impcert-uart ", WAIT);
  IMPCERT_CHECK_MSG(fx, got && !strcmp(got, "ok"),
                    "the code read %s from %s", got ? got : "nothing", bus);
}

/* CAP-009 jig-i2c: the jig plays a target at 0x42 whose register 0 holds
** 0x5a; the code reads it. */
static void probe_i2c(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (h && !offers(h, "jig-i2c"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-i2c'");
  deploy_after(fx, h,
               FIRST_BUS("i2c")
               "bus.configure(CLOCK_SPEED_100_KHZ);\n"
               "function poll(n) {\n"
               "  local s = bus.read(0x84, \"\\x00\", 1);\n"
               "  if (s != null) server.log(format(\"impcert-i2c %02x\", "
               "s[0]));\n"
               "  else if (n > 0) imp.wakeup(0.01, function() { "
               "poll(n - 1); });\n"
               "  else server.log(\"impcert-i2c none\");\n"
               "}\n"
               "poll(300);\n");
  const char *name = log_after(fx, "impcert-ready ", WAIT);
  if (!name)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code did not log "
                                 "'impcert-ready': it needs Squirrel");
  Impjig__I2cTarget t = IMPJIG__I2C_TARGET__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  char bus[32];
  snprintf(bus, sizeof bus, "%s", name);
  t.bus = bus;
  t.address = 0x42;
  t.present = true;
  t.has_registers = true;
  t.registers.data = (uint8_t *)"\x5a";
  t.registers.len = 1;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_I2C_TARGET;
  e.i2c_target = &t;
  impcert_jig_send(fx, &e);
  const char *got = log_after(fx, "impcert-i2c ", WAIT);
  IMPCERT_CHECK_MSG(fx, got && !strcmp(got, "5a"),
                    "the code read %s from the target on %s",
                    got ? got : "nothing", bus);
}

/* CAP-005 board features: `member` in hardware is true (and for the
** spiflash, size() after enable() is above 0). */
static void probe_member(impcert_fx *fx, const char *member) {
  char code[512];
  snprintf(code, sizeof code,
           "local r = \"%s\" in hardware;\n"
           "if (r && \"%s\" == \"spiflash\") {\n"
           "  hardware.spiflash.enable();\n"
           "  r = hardware.spiflash.size() > 0;\n"
           "}\n"
           "server.log(\"impcert-has \" + r);\n", member, member);
  deploy(fx, code);
  const char *got = log_after(fx, "impcert-has ", WAIT);
  if (!got)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code did not log: it needs "
                                 "Squirrel");
  IMPCERT_CHECK_MSG(fx, !strcmp(got, "true"), "\"%s\" in hardware: %s",
                    member, got);
}

#define MEMBER_PROBE(fn, name) \
  static void fn(impcert_fx *fx) { probe_member(fx, name); }
MEMBER_PROBE(has_spiflash, "spiflash")
MEMBER_PROBE(has_dac, "fixedfrequencydac")
MEMBER_PROBE(has_sampler, "sampler")
MEMBER_PROBE(has_dfsdm, "dfsdm")

/* CAP-009 jig-flash-faults: a power cut armed for the next flash write
** happens at the write BlinkUp causes. */
static void probe_flash_faults(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (!h)
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: faults are injected over "
                                 "the jig");
  if (!offers(h, "jig-flash-faults"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-flash-faults'");
  impcert_jig_flash_fault(fx, 0, 0, NULL);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  IMPCERT_CHECK_MSG(fx, impcert_dut_wait_power_cut(fx, WAIT),
                    "the DUT stored its BlinkUp credentials without losing "
                    "power at the armed flash cut");
}

/* After code that goes to deep sleep: the session ends, the DUT comes back
** with a new session; returns the wake reason of its DeviceState and
** answers that the code matches. */
static unsigned warm_boot(impcert_fx *fx) {
  if (!impcert_cloud_wait_closed(fx, WAIT))
    IMPCERT_FAIL_NOW(fx, "the session did not end at imp.deepsleepfor()");
  /* The 1 s of the sleep as device time (on a virtual clock the harness
  ** wakes the DUT at once), sent only once the DUT said DeepSleep on the
  ** jig: an advance that reached it awake would move its wake time on.
  ** Without that report real time passes, as it would anyway. */
  if (impcert_dut_asleep(fx) ||
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, JIG_WAIT))
    impcert_device_wait(fx, 1000);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session within %d ms after a 1 s deep sleep",
                     WAIT);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  return s->wake_reason;
}

#define SLEEP_ONCE                                                     \
  "else { server.log(\"impcert-ready\"); %s"                           \
  "imp.wakeup(0.1, function() { imp.deepsleepfor(1); }); }"

/* CAP-005 deep-sleep: a 1 s deep sleep ends in a warm boot with
** WAKEREASON_TIMER. */
static void probe_deep_sleep(impcert_fx *fx) {
  char code[512];
  snprintf(code, sizeof code,
           "if (hardware.wakereason() == WAKEREASON_TIMER)"
           "  server.log(\"impcert-wake timer\");" SLEEP_ONCE, "");
  deploy(fx, code);
  wait_ready(fx);
  unsigned why = warm_boot(fx);
  IMPCERT_CHECK_MSG(fx, why == IMPCERT_WAKEREASON_TIMER,
                    "DeviceState.wake_reason after deep sleep is %u, not "
                    "WAKEREASON_TIMER", why);
  IMPCERT_CHECK_MSG(fx, log_after(fx, "impcert-wake timer", WAIT) != NULL,
                    "after the wake hardware.wakereason() is not "
                    "WAKEREASON_TIMER");
}

/* CAP-005 nv: a value stored in nv before deep sleep is there after. */
static void probe_nv(impcert_fx *fx) {
  unsigned value = 1000000u + (unsigned)getpid() % 8999999u;
  char set[64], code[512], want[16];
  snprintf(set, sizeof set, "nv <- {v = %u};", value);
  snprintf(code, sizeof code,
           "if (hardware.wakereason() == WAKEREASON_TIMER)"
           "  server.log(\"impcert-nv \" + (\"nv\" in getroottable() && "
           "\"v\" in nv ? nv.v : \"missing\"));" SLEEP_ONCE, set);
  snprintf(want, sizeof want, "%u", value);
  deploy(fx, code);
  wait_ready(fx);
  warm_boot(fx);
  const char *got = log_after(fx, "impcert-nv ", WAIT);
  if (!got)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the code logged nothing after the wake");
  IMPCERT_CHECK_MSG(fx, !strcmp(got, want),
                    "nv.v after deep sleep is %s, not %s", got, want);
}

/* CAP-007: after a power cut the deployed code is still there and the
** wake reason is WAKEREASON_POWER_ON. */
static void probe_power(impcert_fx *fx) {
  uint8_t want[32];
  impcert_sha256(CODE, strlen(CODE), want);
  if (!power_on_hello(fx))
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: without the jig this "
                                 "edition cannot deploy code to check what "
                                 "a power cut keeps");
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, false, CODE, false);
  if (!impcert_jig_wait_state(fx,
                              IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                              WAIT))
    IMPCERT_INCONCLUSIVE_NOW(fx, "the DUT did not report "
                                 "ACTIVATED_WITH_CODE after the deployment");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "after the power came back the DUT opened no "
                         "session within %d ms", WAIT);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_POWER_ON,
                    "wake reason after the power cut is %u, not "
                    "WAKEREASON_POWER_ON", s->wake_reason);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, h->sha256.len == 32 &&
                            memcmp(h->sha256.data, want, 32) == 0,
                    "after the power cut the code hash is not that of the "
                    "deployed code: the flash was lost");
}

/* CAP-009 jig-reset: the jig pulses RESET_L and the DUT comes back with a
** new session whose DeviceState says WAKEREASON_HW_RESET. */
static void probe_reset(impcert_fx *fx) {
  if (!power_on_hello(fx))
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: no jig to pulse RESET_L");
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, false, CODE, false);
  if (!impcert_jig_wait_state(fx,
                              IMPJIG__BOOT_STATE__STATE__ACTIVATED_WITH_CODE,
                              WAIT))
    IMPCERT_INCONCLUSIVE_NOW(fx, "the DUT did not report "
                                 "ACTIVATED_WITH_CODE after the deployment");
  IMPCERT_REQUIRE(fx, impcert_jig_reset_pulse(fx) == 0);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "after the RESET_L pulse the DUT opened no new "
                         "session within %d ms", WAIT);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_HW_RESET,
                    "wake reason after the RESET_L pulse is %u, not "
                    "WAKEREASON_HW_RESET (8)", s->wake_reason);
}

/* CAP-005 os-update: a forced NewOs is installed: the session closes and
** the next DeviceState has the new version and WAKEREASON_NEW_FIRMWARE.
** A DUT process that ends for the restart (refimp under a jig: exit
** status 4) is powered on again, as a board's reset would. */
static void probe_os_update(impcert_fx *fx) {
  static const char image[] = "impcert probe: an impOS image";
  uint8_t h[32];
  if (!power_on_hello(fx))
    IMPCERT_INCONCLUSIVE_NOW(fx, "no jig Hello: without the jig this "
                                 "edition cannot bring the DUT online");
  bring_online(fx);
  setup_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, "CodeHash");
  impcert_send_answer(fx, true, NULL, false);
  impcert_sha256(image, strlen(image), h);
  Impwire__NewOs n = IMPWIRE__NEW_OS__INIT;
  n.version = "impcert-probe";
  n.has_image = n.has_sha256 = n.has_forced = 1;
  n.image.data = (uint8_t *)image;
  n.image.len = strlen(image);
  n.sha256.data = h;
  n.sha256.len = 32;
  n.forced = 1;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_NEW_OS;
  e.new_os = &n;
  impcert_send(fx, &e);
  if (!impcert_cloud_wait_closed(fx, WAIT))
    IMPCERT_FAIL_NOW(fx, "the session stayed open after a forced NewOs: "
                         "the DUT did not restart to install it");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session within %d ms after the OS update",
                     WAIT);
  const Impwire__DeviceState *s =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT)
          ->device_state;
  IMPCERT_CHECK_MSG(fx, strcmp(s->os_version, "impcert-probe") == 0,
                    "DeviceState.os_version after the update is '%s', not "
                    "'impcert-probe'", s->os_version);
  IMPCERT_CHECK_MSG(fx, s->wake_reason == IMPCERT_WAKEREASON_NEW_FIRMWARE,
                    "DeviceState.wake_reason after the update is %u, not "
                    "WAKEREASON_NEW_FIRMWARE", s->wake_reason);
}

/* CAP-005 bluetooth: hardware.bluetooth exists. */
static void probe_bluetooth(impcert_fx *fx) {
  deploy(fx, "server.log(\"impcert-bt \" + (\"bluetooth\" in hardware));");
  const char *has = log_after(fx, "impcert-bt ", WAIT);
  if (!has)
    IMPCERT_INCONCLUSIVE_NOW(fx, "the probe code did not log: it needs "
                                 "Squirrel");
  if (strcmp(has, "true") != 0)
    IMPCERT_FAIL_NOW(fx, "\"bluetooth\" in hardware is %s", has);
}

/* CAP-009 jig-bluetooth: the jig's peer broadcasts an advert; probe code
** scanning with hardware.bluetooth logs its data. */
static void probe_jig_bluetooth(impcert_fx *fx) {
  const Impjig__Hello *h = power_on_hello(fx);
  if (h && !offers(h, "jig-bluetooth"))
    IMPCERT_FAIL_NOW(fx, "Hello.features does not offer 'jig-bluetooth'");
  deploy_after(fx, h,
               "if (!(\"bluetooth\" in hardware)) {"
               "  server.log(\"impcert-nobt\"); return; }"
               "local fw = blob(16); fw.writestring(\"impcert-firmware\");"
               "local uart = hardware.uartFGJH;"
               "local bt = hardware.bluetooth.open(uart, fw);"
               "bt.startscan(function(adverts) {"
               "  foreach (a in adverts)"
               "    server.log(\"impcert-adv \" + a.data.tostring()); });"
               "server.log(\"impcert-ready\");");
  wait_ready(fx);
  impcert_bt_advertise(fx, IMPCERT_BT_PEER_ADDRESS, 0, IMPCERT_BT_PEER_RSSI,
                       IMPCERT_BT_ADV_NONCONN_IND, "impcert-probe", 13);
  const char *data = log_after(fx, "impcert-adv ", WAIT);
  if (!data)
    IMPCERT_FAIL_NOW(fx, "the scanning code logged no advert after the jig "
                         "broadcast one");
  IMPCERT_CHECK_MSG(fx, strcmp(data, "impcert-probe") == 0,
                    "the scanned advert's data is '%s', not 'impcert-probe'",
                    data);
}

static const struct impcert_case cases[] = {
    {"CAP-JIG", "jig: Hello, BootState and Led on the jig socket",
     "CAP-001", "probe", "jig", 0, probe_jig},
    {"CAP-JIG-APP", "jig-app: AppState reports the deployed code running",
     "CAP-002", "probe", "jig-app", 0, probe_app},
    {"CAP-VIRTUAL-CLOCK", "virtual-clock: stored code waits 10 s of harness time",
     "CAP-006", "probe", "virtual-clock", 0, probe_clock},
    {"CAP-JIG-POWER", "jig-power: code and wake reason survive a power cut",
     "CAP-007", "probe", "jig-power", 0, probe_power},
    {"CAP-BOARD-IMP001", "board:imp001: Hello and DeviceState say imp001",
     "CAP-003", "probe", "board:imp001", 0, board_imp001},
    {"CAP-BOARD-IMP002", "board:imp002: Hello and DeviceState say imp002",
     "CAP-003", "probe", "board:imp002", 0, board_imp002},
    {"CAP-BOARD-IMP003", "board:imp003: Hello and DeviceState say imp003",
     "CAP-003", "probe", "board:imp003", 0, board_imp003},
    {"CAP-BOARD-IMP004M", "board:imp004m: Hello and DeviceState say imp004m",
     "CAP-003", "probe", "board:imp004m", 0, board_imp004m},
    {"CAP-BOARD-IMP005", "board:imp005: Hello and DeviceState say imp005",
     "CAP-003", "probe", "board:imp005", 0, board_imp005},
    {"CAP-BOARD-IMP006", "board:imp006: Hello and DeviceState say imp006",
     "CAP-003", "probe", "board:imp006", 0, board_imp006},
    {"CAP-BOARD-IMPC001", "board:impC001: Hello and DeviceState say impC001",
     "CAP-003", "probe", "board:impC001", 0, board_impC001},
    {"CAP-JIG-PINS", "jig-pins: levels cross the jig both ways",
     "CAP-002,CAP-009", "probe", "jig-pins", 0, probe_pins},
    {"CAP-JIG-RESET", "jig-reset: a RESET_L pulse gives WAKEREASON_HW_RESET",
     "CAP-009", "probe,reset", "jig-reset", 0, probe_reset},
    {"CAP-JIG-PWM", "jig-pwm: PWM period and duty reach the jig",
     "CAP-002,CAP-009", "probe", "jig-pwm", 0, probe_pwm},
    {"CAP-JIG-UART", "jig-uart: bytes cross a UART both ways",
     "CAP-002,CAP-009", "probe", "jig-uart", 0, probe_uart},
    {"CAP-JIG-I2C", "jig-i2c: the code reads a target the jig plays",
     "CAP-002,CAP-009", "probe", "jig-i2c", 0, probe_i2c},
    {"CAP-SPIFLASH", "spiflash: hardware.spiflash exists, size() > 0",
     "CAP-005", "probe", "spiflash", 0, has_spiflash},
    {"CAP-DAC", "dac: hardware.fixedfrequencydac exists", "CAP-005",
     "probe", "dac", 0, has_dac},
    {"CAP-SAMPLER", "sampler: hardware.sampler exists", "CAP-005", "probe",
     "sampler", 0, has_sampler},
    {"CAP-DFSDM", "dfsdm: hardware.dfsdm exists", "CAP-005", "probe",
     "dfsdm", 0, has_dfsdm},
    {"CAP-JIG-WIFI", "jig-wifi: a scan lists the jig's two networks",
     "CAP-002,CAP-009", "probe", "jig-wifi", 0, probe_wifi_jig},
    {"CAP-WPS", "wps: imp.net.configurewps exists", "CAP-005", "probe",
     "wps", 0, probe_wps},
    {"CAP-PROXY", "proxy: the session comes through an HTTP proxy",
     "CAP-005", "probe", "proxy", 0, probe_proxy},
    {"CAP-JIG-FLASH-FAULTS", "jig-flash-faults: an armed cut cuts power",
     "CAP-002,CAP-009", "probe", "jig-flash-faults", 0, probe_flash_faults},
    {"CAP-SQUIRREL", "squirrel: deployed code's server.log() arrives",
     "CAP-004", "probe", "squirrel", 0, probe_squirrel},
    {"CAP-DEEP-SLEEP", "deep-sleep: a 1 s sleep wakes with WAKEREASON_TIMER",
     "CAP-005", "probe", "deep-sleep", 0, probe_deep_sleep},
    {"CAP-NV", "nv: a value in nv survives deep sleep", "CAP-005", "probe",
     "nv", 0, probe_nv},
    {"CAP-WIFI", "wifi: imp.net.info() lists a wifi interface", "CAP-008",
     "probe", "wifi", 0, probe_wifi},
    {"CAP-ETHERNET", "ethernet: imp.net.info() lists an ethernet interface",
     "CAP-008", "probe", "ethernet", 0, probe_ethernet},
    {"CAP-CELLULAR", "cellular: a cell interface, the session on 52753",
     "CAP-008", "probe,cellular", "cellular", 0, probe_cellular},
    {"CAP-OS-UPDATE", "os-update: a forced NewOs is installed and booted",
     "CAP-005", "probe", "os-update", 0, probe_os_update},
    {"CAP-JIG-BLUETOOTH", "jig-bluetooth: an advert from the jig is scanned",
     "CAP-002,CAP-009", "probe,bluetooth", "jig-bluetooth", 0,
     probe_jig_bluetooth},
    {"CAP-BLUETOOTH", "bluetooth: hardware.bluetooth exists", "CAP-005",
     "probe,bluetooth", "bluetooth", 0, probe_bluetooth},
};

IMPCERT_PLUGIN("probe", cases)
