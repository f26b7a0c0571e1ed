/*
** wifi.c: conformance tests of WiFi joining, scanning, hints, WPS and
** power save [WIFI-001..027] and the WiFi fixes of the release notes
** [REG-001, REG-007, REG-013, REG-016, REG-021, REG-026, REG-036,
** REG-042]. The jig plays the networks in range (impcert_jig_wifi_networks)
** and reports what the radio does (WifiEvent, specs/jig.md "WiFi");
** deployed Squirrel reports what the API returns.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define LAB "impcert-lab"
#define KEY "secret-pass"
#define LAB_BSSID "0a1b2c3d4e01"
#define WAIT 8000
#define SSID32 "impcert-ssid-of-exactly-32-bytes" /* 32 bytes */

#define EV(k) IMPJIG__WIFI_EVENT__KIND__##k

static bool g_step; /* this test steps device time (see "device time") */

static const struct impcert_wifi_net lab = {
    .ssid = LAB, .bssid = LAB_BSSID, .channel = 6, .password = KEY,
    .rssi = -40};
static const struct impcert_wifi_net other = {
    .ssid = "impcert-other", .bssid = "0a1b2c3d4e02", .channel = 36,
    .open = true, .rssi = -70};

/* ---- helpers -------------------------------------------------------------- */

static void ev_require(impcert_fx *fx, const Impjig__WifiEvent *e,
                       const char *what) {
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no WifiEvent %s within %d ms", what, WAIT);
}

static const Impjig__WifiEvent *ev_stepping(impcert_fx *fx, int kind,
                                            const char *what);
static void note_event(const Impjig__WifiEvent *e);

static const Impjig__WifiEvent *wait_ev(impcert_fx *fx, int kind,
                                        const char *what) {
  if (g_step)
    return ev_stepping(fx, kind, what);
  const Impjig__WifiEvent *e = impcert_jig_wifi_event(fx, kind, WAIT);
  ev_require(fx, e, what);
  note_event(e);
  return e;
}

/* ---- device time ----------------------------------------------------------
** On a real-time DUT the joins, scans and retries below simply take their
** time. On the virtual clock a test that calls stepping() has device time
** stand still from each power-on and moves it on itself, 100 ms at a time
** (every delay of refimp's radio and of the code here is a multiple of
** that, so each falls due at the end of a step). An advance does not end
** while the DUT waits in a connection attempt the harness is not
** accepting (jig.md "Device time"), so while device time is stepped the
** cloud's ports stay closed (a connection attempt fails at once) until a
** session is wanted; then the DUT's next round of ports, 1 s (wire.md's
** back-off) after the failed one at its join, falls exactly at the end of
** an advance and is accepted (accept_session). Tests that do not call
** stepping() run as on a real-time DUT. */

static bool g_ports_closed;  /* the cloud's ports refuse (stepping only) */
static bool g_joined;        /* a JOINED came since the last power-on */
static uint64_t g_joined_at; /* its device time */

static void stepping(impcert_fx *fx) { g_step = impcert_clock_virtual(fx); }

static void ports_closed(impcert_fx *fx, bool closed) {
  if (closed == g_ports_closed)
    return;
  for (int i = 0; i < 3; i++) {
    if (closed)
      impcert_cloud_close_port(fx, i);
    else if (impcert_cloud_open_port(fx, i) != 0)
      IMPCERT_ERROR_NOW(fx, "cannot open cloud port %d again", i);
  }
  g_ports_closed = closed;
}

/* Stop device time where it is (virtual clock; nothing elsewhere). */
static void freeze_time(impcert_fx *fx) { impcert_device_wait(fx, 0); }

static void note_event(const Impjig__WifiEvent *e) {
  if (e && e->kind == EV(JOINED)) {
    g_joined = true;
    g_joined_at = e->at_ms;
  }
}

/* The next WifiEvent of `kind` (-1: any), device time moving on in
** 100 ms steps while none has come (at most WAIT ms of it). Only where
** the DUT cannot be blocked in a connection attempt meanwhile. */
static const Impjig__WifiEvent *ev_stepping(impcert_fx *fx, int kind,
                                            const char *what) {
  for (unsigned t = 0;; t += 100) {
    const Impjig__WifiEvent *e = impcert_jig_wifi_event(fx, kind, 0);
    note_event(e);
    if (e || t >= WAIT) {
      ev_require(fx, e, what);
      return e;
    }
    impcert_device_wait(fx, 100);
  }
}

/* The next frame from the cloud, device time stepped while none comes
** when this test steps it. NULL after WAIT ms. */
static const Impwire__Envelope *next_frame(impcert_fx *fx) {
  if (!g_step)
    return impcert_next_frame(fx, WAIT);
  for (unsigned t = 0;; t += 100) {
    const Impwire__Envelope *e = impcert_next_frame(fx, 10);
    if (e || t >= WAIT)
      return e;
    impcert_device_wait(fx, 100);
  }
}

/* Power on; when stepping, with the ports closed and device time still. */
static void power_on(impcert_fx *fx) {
  g_joined = false;
  if (g_step)
    ports_closed(fx, true);
  impcert_dut_power_on(fx);
  if (g_step)
    freeze_time(fx);
}

/* A BlinkUp; when stepping, the ports close first (the DUT joins anew). */
static void blinkup(impcert_fx *fx, const char *ssid, const char *key) {
  if (g_step) {
    ports_closed(fx, true);
    g_joined = false;
  }
  impcert_jig_blinkup(fx, ssid, key, PLAN, TOKEN);
}

/* The networks in range change; when stepping, the ports close first
** (the DUT may join anew). */
static void networks(impcert_fx *fx, const struct impcert_wifi_net *nets,
                     size_t n) {
  if (g_step && impcert_dut_running(fx)) {
    ports_closed(fx, true);
    g_joined = false;
  }
  impcert_jig_wifi_networks(fx, nets, n);
}

/* Wait up to WAIT ms for the DUT's session (see above when stepping). */
static bool accept_session(impcert_fx *fx) {
  if (g_step && g_ports_closed) {
    if (!g_joined)
      ev_stepping(fx, EV(JOINED), "JOINED before the session");
    /* one step more: the round at the join has failed by its end */
    impcert_device_wait(fx, 100);
    ports_closed(fx, false);
    uint64_t due = g_joined_at + 1000, now = impcert_clock_now(fx);
    if (due > now)
      impcert_device_wait(fx, due - now);
  }
  return impcert_cloud_accept(fx, WAIT) == IMPCERT_SESSION_OK;
}

/* ms of device time without a session: a connection made meanwhile
** waits to be taken, so it is still seen after the wait. */
static void no_session_for(impcert_fx *fx, unsigned ms, const char *why) {
  ports_closed(fx, false);
  impcert_device_wait(fx, ms);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_accept(fx, 200) ==
                            IMPCERT_SESSION_TIMEOUT,
                    "the DUT reached the cloud although %s", why);
}

/* Steps 1-4 after a BlinkUp, code deployed in step 4 (code may be NULL:
** none). */
static void activate(impcert_fx *fx, const char *code) {
  if (!accept_session(fx))
    IMPCERT_FAIL_NOW(fx, "the DUT opened no session after joining");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, code == NULL, code, false);
}

/* The networks in range, power on, BlinkUp with ssid/key, activation, and
** `code` deployed. */
static void bring_up(impcert_fx *fx, const struct impcert_wifi_net *nets,
                     size_t n, const char *ssid, const char *key,
                     const char *code) {
  networks(fx, nets, n);
  power_on(fx);
  blinkup(fx, ssid, key);
  activate(fx, code);
}

/* A session after a restart: steps 2-4 with the code current. */
static void online_again(impcert_fx *fx) {
  if (!accept_session(fx))
    IMPCERT_FAIL_NOW(fx, "the DUT opened no session after the restart");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
}

/* Forget the WifiEvents of this power-on, then cut the power and start
** again: waits after this see only the new boot's events. */
static void power_cycle(impcert_fx *fx) {
  while (impcert_jig_wifi_event(fx, -1, 0))
    ;
  impcert_dut_power_off(fx);
  power_on(fx);
}

/* The text of the next Log containing needle (other frames skipped). */
static const char *wait_log(impcert_fx *fx, const char *needle) {
  for (;;) {
    const Impwire__Envelope *e = next_frame(fx);
    if (!e)
      IMPCERT_FAIL_NOW(fx, "no Log with '%s' within %d ms", needle, WAIT);
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        strstr(e->log->text, needle))
      return e->log->text;
  }
}

static bool str_is(const char *s, const char *want) {
  return s && strcmp(s, want) == 0;
}

/* ---- credentials ---------------------------------------------------------- */

/* WIFI-001: BlinkUp credentials are used for joins, after power loss too. */
static void blinkup_creds_used(impcert_fx *fx) {
  stepping(fx);
  networks(fx, (struct impcert_wifi_net[]){other, lab}, 2);
  power_on(fx);
  blinkup(fx, LAB, KEY);
  const Impjig__WifiEvent *e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  IMPCERT_CHECK_MSG(fx, str_is(e->ssid, LAB), "joined '%s', not '%s'",
                    e->ssid ? e->ssid : "", LAB);
  wait_ev(fx, EV(JOINED), "JOINED");
  activate(fx, "server.log(\"up\");");
  power_cycle(fx);
  e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT after power loss");
  IMPCERT_CHECK_MSG(fx, str_is(e->ssid, LAB),
                    "after power loss joined '%s', not '%s'",
                    e->ssid ? e->ssid : "", LAB);
  online_again(fx);
}

/* WIFI-002, REG-016: a 32-byte SSID joins and is reported unchanged. */
static void ssid_32(impcert_fx *fx) {
  stepping(fx);
  struct impcert_wifi_net n = lab;
  n.ssid = SSID32;
  bring_up(fx, &n, 1, SSID32, KEY,
           "local i = imp.net.info().interface[0];"
           "server.log(\"ssid [\" + imp.getssid() + \"] [\" + i.ssid + "
           "\"] [\" + i.storedssid + \"]\");");
  const char *t = wait_log(fx, "ssid [");
  char want[160];
  snprintf(want, sizeof want, "ssid [%s] [%s] [%s]", SSID32, SSID32, SSID32);
  IMPCERT_CHECK_MSG(fx, strcmp(t, want) == 0, "got '%s', want '%s'", t,
                    want);
}

/* WIFI-003, REG-001: BlinkUp with a password, the SSID is open: refused. */
static void open_refused_after_blinkup(impcert_fx *fx) {
  stepping(fx);
  struct impcert_wifi_net n = lab;
  n.open = true;
  n.password = NULL;
  networks(fx, &n, 1);
  power_on(fx);
  blinkup(fx, LAB, KEY);
  wait_ev(fx, EV(REFUSED_OPEN), "REFUSED_OPEN");
  const Impjig__WifiEvent *e = wait_ev(fx, EV(JOIN_FAILED), "JOIN_FAILED");
  IMPCERT_CHECK_MSG(fx, e->has_reason && e->reason == 1,
                    "JOIN_FAILED reason %u, want NO_WIFI (1)", e->reason);
  no_session_for(fx, 3000,
                 "the only network is open and a password is stored");
}

/* REG-036: stored credentials with a password; the network turns open. */
static void open_refused_later(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, &lab, 1, LAB, KEY, "server.log(\"up\");");
  wait_log(fx, "up");
  struct impcert_wifi_net n = lab;
  n.open = true;
  n.password = NULL;
  networks(fx, &n, 1);
  wait_ev(fx, EV(LINK_DOWN), "LINK_DOWN");
  wait_ev(fx, EV(REFUSED_OPEN), "REFUSED_OPEN");
  IMPCERT_CHECK(fx, impcert_cloud_wait_closed(fx, WAIT));
  no_session_for(fx, 3000,
                 "the network is now open and a password is stored");
}

/* WIFI-004: imp.setwificonfiguration() is used after a cold boot; key ""
** joins an open network. */
static void setwificonfiguration_used(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, (struct impcert_wifi_net[]){lab, other}, 2, LAB, KEY,
           "imp.setwificonfiguration(\"impcert-other\", \"\");"
           "server.log(\"set \" + imp.getssid());");
  IMPCERT_CHECK(fx, strcmp(wait_log(fx, "set "), "set impcert-other") == 0);
  power_cycle(fx);
  const Impjig__WifiEvent *e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  IMPCERT_CHECK_MSG(fx, str_is(e->ssid, "impcert-other"),
                    "joined '%s' after the cold boot", e->ssid ? e->ssid : "");
  wait_ev(fx, EV(JOINED), "JOINED with an empty key on the open network");
  online_again(fx);
}

/* WIFI-005: a BlinkUp overwrites imp.setwificonfiguration(). */
static void blinkup_overwrites(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, &lab, 1, LAB, KEY,
           "imp.setwificonfiguration(\"impcert-nowhere\", \"x12345678\");"
           "server.log(\"set\");");
  wait_log(fx, "set");
  blinkup(fx, LAB, KEY);
  const Impjig__WifiEvent *e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  IMPCERT_CHECK_MSG(fx, str_is(e->ssid, LAB),
                    "after BlinkUp the DUT joins '%s', not '%s'",
                    e->ssid ? e->ssid : "", LAB);
}

/* WIFI-006: getssid(), net.info() ssid and storedssid. */
static void ssid_reported(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, &lab, 1, LAB, KEY,
           "local i = imp.net.info().interface[0];"
           "imp.setwificonfiguration(\"impcert-next\", \"abcdefgh\");"
           "local j = imp.net.info().interface[0];"
           "server.log(\"ids \" + i.ssid + \" \" + i.storedssid + \" \" + "
           "j.ssid + \" \" + j.storedssid + \" \" + imp.getssid());");
  const char *t = wait_log(fx, "ids ");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "ids " LAB " " LAB " " LAB
                                  " impcert-next impcert-next") == 0,
                    "got '%s'", t);
}

/* ---- scans ---------------------------------------------------------------- */

#define SCAN_FMT                                                           \
  "function fmt(r) { local s = \"n=\" + r.len() + \";\";"                  \
  "  foreach (n in r) s += n.ssid + \"/\" + n.bssid + \"/\" + n.channel +" \
  "  \"/\" + n.rssi + \"/\" + n.open + \";\"; return s; }"

/* WIFI-007, WIFI-012: a blocking scan lists what is in range. */
static void scan_blocking(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, (struct impcert_wifi_net[]){lab, other}, 2, LAB, KEY,
           SCAN_FMT "server.log(\"scan \" + fmt(imp.scanwifinetworks()));");
  const char *t = wait_log(fx, "scan ");
  IMPCERT_CHECK_MSG(fx, strstr(t, "n=2;") != NULL, "scan: '%s'", t);
  IMPCERT_CHECK_MSG(fx, strstr(t, LAB "/" LAB_BSSID "/6/-40/false;") != NULL,
                    "lab network missing or wrong in '%s'", t);
  IMPCERT_CHECK_MSG(fx, strstr(t, "impcert-other/0a1b2c3d4e02/36/-70/true;")
                            != NULL,
                    "5 GHz open network missing or wrong in '%s'", t);
}

/* WIFI-007: nothing in range: an empty array (seen on a pin: no cloud). */
static void scan_empty(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, &lab, 1, LAB, KEY,
           "hardware.pin1.configure(DIGITAL_OUT, 0);"
           "function tick() { hardware.pin1.write("
           "  imp.scanwifinetworks().len() == 0 ? 1 : 0);"
           "  imp.wakeup(0.2, tick); }"
           "tick(); server.log(\"up\");");
  wait_log(fx, "up");
  networks(fx, NULL, 0);
  for (unsigned t = 0;; t += 100) {
    const Impjig__JigEnvelope *m = impcert_jig_next(
        fx, IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE, g_step ? 0 : WAIT);
    if (!m && g_step && t < WAIT) {
      impcert_device_wait(fx, 100); /* the next scan */
      continue;
    }
    if (!m)
      IMPCERT_FAIL_NOW(fx, "pin1 never went high: the scan with nothing "
                           "in range did not return an empty array");
    if (m->pin_state->level == 1)
      return;
  }
}

/* WIFI-008: with a callback the call returns at once, the result later. */
static void scan_async(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, (struct impcert_wifi_net[]){lab, other}, 2, LAB, KEY,
           SCAN_FMT
           "imp.scanwifinetworks(function(r) { server.log(\"cb \" + fmt(r));"
           "});"
           "server.log(\"returned\");");
  const Impwire__Envelope *e = next_frame(fx);
  while (e && e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
    e = next_frame(fx);
  IMPCERT_REQUIRE(fx, e != NULL);
  IMPCERT_CHECK_MSG(fx, strcmp(e->log->text, "returned") == 0,
                    "first Log is '%s': the scan did not return at once",
                    e->log->text);
  const char *t = wait_log(fx, "cb ");
  IMPCERT_CHECK_MSG(fx, strstr(t, "n=2;") && strstr(t, LAB "/"),
                    "callback got '%s'", t);
}

/* WIFI-009: a second scan while one runs throws the published text. */
static void scan_twice(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, &lab, 1, LAB, KEY,
           "imp.scanwifinetworks(function(r) {});"
           "try { imp.scanwifinetworks(function(r) {});"
           "  server.log(\"second: no error\"); }"
           "catch (e) { server.log(\"second: \" + e); }");
  const char *t = wait_log(fx, "second: ");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "second: scan already running in "
                                  "imp.scanwifinetworks(callback)") == 0,
                    "got '%s'", t);
}

/* Code that scans again 0.1 s after each scan's callback, which toggles
** pin1, and a timer that toggles pin2 every 0.3 s. */
#define TOGGLE_CODE                                                        \
  "hardware.pin1.configure(DIGITAL_OUT, 0);"                               \
  "hardware.pin2.configure(DIGITAL_OUT, 0);"                               \
  "local a = 0, b = 0;"                                                    \
  "function scan() { imp.scanwifinetworks(function(r) {"                  \
  "  a = 1 - a; hardware.pin1.write(a); imp.wakeup(0.1, scan); }); }"      \
  "function tick() { b = 1 - b; hardware.pin2.write(b);"                   \
  "  imp.wakeup(0.3, tick); }"                                             \
  "scan(); tick(); server.log(\"up\");"

/* WIFI-010, REG-026 (pin1), REG-021 (pin2): while the DUT keeps trying to
** join an access point that is not in range, application scans complete
** and timers run on time. */
static void scan_while_joining(impcert_fx *fx, const char *pin,
                               unsigned max_gap_ms) {
  stepping(fx);
  bring_up(fx, &lab, 1, LAB, KEY, TOGGLE_CODE);
  wait_log(fx, "up");
  /* from here on the DUT has no network: device time can be stepped */
  freeze_time(fx);
  networks(fx, &other, 1); /* the lab AP goes away */
  ev_stepping(fx, EV(LINK_DOWN), "LINK_DOWN");
  ev_stepping(fx, EV(JOIN_FAILED), "JOIN_FAILED");
  /* toggles of `pin` from the next attempt on (the jig messages before
  ** it were passed over while waiting for it) */
  uint64_t since =
      ev_stepping(fx, EV(JOIN_ATTEMPT), "a second join attempt")->at_ms;
  unsigned seen = 0;
  uint64_t last = since;
  for (unsigned t = 0; t < WAIT && seen < 4;) {
    const Impjig__JigEnvelope *m =
        impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE, 0);
    if (!m) { /* device time moves on until the next change */
      impcert_device_wait(fx, 100);
      t += 100;
      continue;
    }
    const Impjig__PinState *p = m->pin_state;
    if (strcmp(p->pin, pin) != 0 || p->at_ms < since)
      continue;
    IMPCERT_CHECK_MSG(fx, p->at_ms - last <= max_gap_ms,
                      "%s: %llu ms between changes while joining (at most "
                      "%u expected)", pin,
                      (unsigned long long)(p->at_ms - last), max_gap_ms);
    last = p->at_ms;
    seen++;
  }
  IMPCERT_CHECK_MSG(fx, seen >= 4, "%s changed only %u times while the DUT "
                    "tried to join an absent network", pin, seen);
  IMPCERT_CHECK(fx, impcert_dut_running(fx));
}

static void scan_during_join(impcert_fx *fx) {
  scan_while_joining(fx, "pin1", 3000);
}

static void timers_during_join(impcert_fx *fx) {
  scan_while_joining(fx, "pin2", 1000);
}

/* WIFI-011, WIFI-026: a scan after server.disconnect(); counters are
** empty with WiFi off and hold wwd_wifi while it is up. */
static void scan_disconnected(impcert_fx *fx) {
  bring_up(fx, (struct impcert_wifi_net[]){lab, other}, 2, LAB, KEY,
           "local c = imp.net.counters();"
           "server.log(\"on \" + typeof c.wwd_wifi + \" \" + "
           "c.wwd_wifi.len());"
           "server.flush(5); server.disconnect();"
           "local off = imp.net.counters().len();"
           "imp.scanwifinetworks(function(r) {"
           "  server.connect();" /* SUSPEND_ON_ERROR: blocks until online */
           "  server.log(\"off \" + off + \" scan \" + r.len()); });");
  const char *t = wait_log(fx, "on ");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "on blob 20") == 0,
                    "counters while up: '%s'", t);
  online_again(fx);
  t = wait_log(fx, "off ");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "off 0 scan 2") == 0,
                    "while disconnected: '%s'", t);
}

/* ---- joining -------------------------------------------------------------- */

/* WIFI-013: DHCP within 10 s joins; none within 10 s is NO_IP_ADDRESS.
** Device time comes from the events (virtual clock: fast). */
static void dhcp(impcert_fx *fx, unsigned delay, bool joins) {
  struct impcert_wifi_net n = lab;
  n.dhcp_delay_ms = delay;
  networks(fx, &n, 1);
  /* no cloud: after the join the DUT's connects are refused at once, so
  ** no advance waits on a connection attempt (jig.md "Device time") */
  for (int i = 0; i < 3; i++)
    impcert_cloud_close_port(fx, i);
  power_on(fx);
  impcert_clock_advance(fx, 0); /* device time moves only as we say */
  blinkup(fx, LAB, KEY);
  wait_ev(fx, EV(SCAN_STARTED), "SCAN_STARTED");
  impcert_clock_advance(fx, 1000); /* the scan, the attempt, association */
  const Impjig__WifiEvent *a = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  uint64_t t0 = a->at_ms;
  for (int i = 0; i < 11; i++)
    impcert_clock_advance(fx, 1000);
  const Impjig__WifiEvent *e = wait_ev(fx, -1, "after the join attempt");
  if (joins) {
    IMPCERT_CHECK_MSG(fx, e->kind == EV(JOINED), "event %d, want JOINED",
                      (int)e->kind);
    IMPCERT_CHECK_MSG(fx, e->at_ms - t0 >= delay,
                      "joined %llu ms after the attempt, before DHCP (%u)",
                      (unsigned long long)(e->at_ms - t0), delay);
  } else {
    IMPCERT_CHECK_MSG(fx, e->kind == EV(DHCP_TIMEOUT),
                      "event %d, want DHCP_TIMEOUT", (int)e->kind);
    IMPCERT_CHECK_MSG(fx, e->at_ms - t0 >= 10000 && e->at_ms - t0 <= 11000,
                      "DHCP gave up %llu ms after the attempt, not 10 s",
                      (unsigned long long)(e->at_ms - t0));
    e = wait_ev(fx, EV(JOIN_FAILED), "JOIN_FAILED");
    IMPCERT_CHECK_MSG(fx, e->has_reason && e->reason == 2,
                      "JOIN_FAILED reason %u, want NO_IP_ADDRESS (2)",
                      e->reason);
  }
}

static void dhcp_in_time(impcert_fx *fx) { dhcp(fx, 9500, true); }
static void dhcp_too_late(impcert_fx *fx) { dhcp(fx, 30000, false); }

/* WIFI-014: an SSID not in range fails with NO_WIFI. */
static void not_in_range(impcert_fx *fx) {
  stepping(fx);
  networks(fx, &other, 1);
  power_on(fx);
  blinkup(fx, LAB, KEY);
  const Impjig__WifiEvent *e = wait_ev(fx, EV(JOIN_FAILED), "JOIN_FAILED");
  IMPCERT_CHECK_MSG(fx, e->has_reason && e->reason == 1,
                    "JOIN_FAILED reason %u, want NO_WIFI (1)", e->reason);
  no_session_for(fx, 2000, "its network is not in range");
}

#define HINTS_LOG                                                          \
  "local h = imp.net.getwifihints();"                                      \
  "server.log(\"hints \" + h.bssid + \" \" + h.channel);"

/* WIFI-015, WIFI-018: the first join records the hints; the next join
** after a restart goes straight there; a BlinkUp forgets them. */
static void hints_recorded(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, (struct impcert_wifi_net[]){other, lab}, 2, LAB, KEY,
           HINTS_LOG);
  const char *t = wait_log(fx, "hints ");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "hints " LAB_BSSID " 6") == 0, "got '%s'",
                    t);
  power_cycle(fx);
  const Impjig__WifiEvent *e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  IMPCERT_CHECK_MSG(fx, e->has_hinted && e->hinted &&
                            str_is(e->bssid, LAB_BSSID) && e->channel == 6,
                    "after the restart the join was not from the hints "
                    "(hinted %d, bssid %s, channel %u)", (int)e->hinted,
                    e->bssid ? e->bssid : "", e->channel);
  online_again(fx);
  blinkup(fx, LAB, KEY);
  e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT after BlinkUp");
  IMPCERT_CHECK_MSG(fx, e->has_hinted && !e->hinted,
                    "after a BlinkUp the join still used hints");
}

/* WIFI-016, WIFI-017: no hints gives "" and -1; setwifihints replaces,
** null clears. */
static void hints_api(impcert_fx *fx) {
  power_on(fx);
  blinkup(fx, LAB, KEY);
  activate(fx,
           "local a = imp.net.getwifihints();"
           "imp.net.setwifihints(\"0a0b0c0d0e0f\", 11);"
           "local b = imp.net.getwifihints();"
           "imp.net.setwifihints(null);"
           "local c = imp.net.getwifihints();"
           "server.log(\"h [\" + a.bssid + \"] \" + a.channel + \" [\" + "
           "b.bssid + \"] \" + b.channel + \" [\" + c.bssid + \"] \" + "
           "c.channel);");
  const char *t = wait_log(fx, "h [");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "h [] -1 [0a0b0c0d0e0f] 11 [] -1") == 0,
                    "got '%s'", t);
}

/* WIFI-019: a wrong hint costs a scan; the right AP is joined and
** recorded. */
static void wrong_hint(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, &lab, 1, LAB, KEY,
           "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
           "  imp.net.setwifihints(\"0a1b2c3d4eff\", 11);"
           "  server.log(\"set\"); }");
  wait_log(fx, "set");
  power_cycle(fx);
  const Impjig__WifiEvent *e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  IMPCERT_CHECK_MSG(fx, e->hinted && str_is(e->bssid, "0a1b2c3d4eff"),
                    "the first attempt did not use the stored hint");
  e = wait_ev(fx, EV(JOIN_ATTEMPT), "a second JOIN_ATTEMPT after a scan");
  IMPCERT_CHECK_MSG(fx, !e->hinted && str_is(e->bssid, LAB_BSSID) &&
                            e->channel == 6,
                    "second attempt: hinted %d bssid %s channel %u",
                    (int)e->hinted, e->bssid ? e->bssid : "", e->channel);
  online_again(fx);
  power_cycle(fx);
  e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  IMPCERT_CHECK_MSG(fx, e->hinted && str_is(e->bssid, LAB_BSSID),
                    "the corrected hint was not recorded (bssid %s)",
                    e->bssid ? e->bssid : "");
}

/* ---- WPS ------------------------------------------------------------------ */

/* WIFI-020, WIFI-021: WPS armed survives a cold boot, gives the network's
** credentials, and is disarmed after. */
static void wps_join(impcert_fx *fx) {
  stepping(fx);
  struct impcert_wifi_net w = {.ssid = "impcert-wps",
                               .bssid = "0a1b2c3d4e03", .channel = 11,
                               .password = "wps-given-key", .wps = true,
                               .wps_pin = "12345670"};
  bring_up(fx, (struct impcert_wifi_net[]){lab, w}, 2, LAB, KEY,
           "if (imp.getssid() == \"" LAB "\") {"
           "  imp.net.configurewps(\"12345670\"); server.log(\"armed\"); }"
           "else server.log(\"now \" + imp.getssid());");
  wait_log(fx, "armed");
  power_cycle(fx);
  wait_ev(fx, EV(WPS_STARTED), "WPS_STARTED after the cold boot");
  const Impjig__WifiEvent *e = wait_ev(fx, EV(WPS_DONE), "WPS_DONE");
  IMPCERT_CHECK(fx, str_is(e->ssid, "impcert-wps"));
  e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  IMPCERT_CHECK_MSG(fx, str_is(e->ssid, "impcert-wps"),
                    "joined '%s' after WPS", e->ssid ? e->ssid : "");
  online_again(fx);
  IMPCERT_CHECK(fx, strcmp(wait_log(fx, "now "), "now impcert-wps") == 0);
  power_cycle(fx);
  e = wait_ev(fx, -1, "the first WifiEvent after the next power-on");
  IMPCERT_CHECK_MSG(fx, e->kind == EV(JOIN_ATTEMPT) &&
                            str_is(e->ssid, "impcert-wps"),
                    "WPS still armed or credentials lost (event %d)",
                    (int)e->kind);
}

/* WIFI-022: a failed WPS disarms too; the old credentials join. */
static void wps_failed(impcert_fx *fx) {
  stepping(fx);
  /* armed once: the code runs again at every boot */
  bring_up(fx, &lab, 1, LAB, KEY,
           "if (hardware.wakereason() == WAKEREASON_BLINKUP) {"
           "  imp.net.configurewps(); server.log(\"armed\"); }");
  wait_log(fx, "armed");
  power_cycle(fx);
  wait_ev(fx, EV(WPS_FAILED), "WPS_FAILED (no AP enrols)");
  const Impjig__WifiEvent *e = wait_ev(fx, EV(JOIN_ATTEMPT), "JOIN_ATTEMPT");
  IMPCERT_CHECK(fx, str_is(e->ssid, LAB));
  online_again(fx);
  power_cycle(fx);
  e = wait_ev(fx, -1, "the first WifiEvent after the next power-on");
  IMPCERT_CHECK_MSG(fx, e->kind == EV(JOIN_ATTEMPT),
                    "WPS still armed after a failed attempt (event %d)",
                    (int)e->kind);
}

/* WIFI-023: a PIN that is not 8 decimal digits throws. */
static void wps_pin_checked(impcert_fx *fx) {
  power_on(fx);
  blinkup(fx, LAB, KEY);
  activate(fx,
           "local r = \"\";"
           "foreach (p in [\"1234\", \"1234567a\", \"123456789\"]) {"
           "  try { imp.net.configurewps(p); r += \"ok \"; }"
           "  catch (e) { r += \"throw \"; } }"
           "imp.net.configurewps(\"12345670\"); r += \"good\";"
           "server.log(\"wps \" + r);");
  const char *t = wait_log(fx, "wps ");
  IMPCERT_CHECK_MSG(fx, strcmp(t, "wps throw throw throw good") == 0,
                    "got '%s'", t);
}

/* ---- power save, counters, country ---------------------------------------- */

/* WIFI-024, REG-007: power save off at boot and after a Squirrel reload. */
static void powersave_reset(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, &lab, 1, LAB, KEY,
           "server.log(\"ps \" + imp.getpowersave());"
           "imp.setpowersave(true);"
           "server.log(\"ps now \" + imp.getpowersave());");
  IMPCERT_CHECK(fx, strcmp(wait_log(fx, "ps "), "ps false") == 0);
  IMPCERT_CHECK(fx, strcmp(wait_log(fx, "ps now"), "ps now true") == 0);
  const Impjig__WifiEvent *e = wait_ev(fx, EV(POWERSAVE), "POWERSAVE on");
  IMPCERT_CHECK(fx, e->on);
  impcert_send_reload(fx);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, "server.log(\"ps2 \" + imp.getpowersave());",
                      false);
  IMPCERT_CHECK(fx, strcmp(wait_log(fx, "ps2 "), "ps2 false") == 0);
  e = wait_ev(fx, EV(POWERSAVE), "POWERSAVE off at the reload");
  IMPCERT_CHECK_MSG(fx, !e->on, "the radio kept power save on across "
                                "a Squirrel reload");
}

/* WIFI-025: power save on is forced off during a join and back after. */
static void powersave_after_join(impcert_fx *fx) {
  stepping(fx);
  bring_up(fx, (struct impcert_wifi_net[]){lab, other}, 2, LAB, KEY,
           "imp.setpowersave(true); server.log(\"ps \" + "
           "imp.getpowersave());");
  IMPCERT_CHECK(fx, strcmp(wait_log(fx, "ps "), "ps true") == 0);
  const Impjig__WifiEvent *e = wait_ev(fx, EV(POWERSAVE), "POWERSAVE on");
  IMPCERT_CHECK(fx, e->on);
  struct impcert_wifi_net moved = lab;
  moved.bssid = "0a1b2c3d4e09"; /* the AP is replaced: a new join */
  networks(fx, &moved, 1);
  e = wait_ev(fx, EV(POWERSAVE), "POWERSAVE off while joining");
  IMPCERT_CHECK(fx, !e->on);
  wait_ev(fx, EV(JOINED), "JOINED");
  e = wait_ev(fx, EV(POWERSAVE), "POWERSAVE on after the join");
  IMPCERT_CHECK(fx, e->on);
}

/* WIFI-027: imp.getcountry() is 8 hex digits. */
static void country(impcert_fx *fx) {
  power_on(fx);
  blinkup(fx, LAB, KEY);
  activate(fx, "server.log(\"cc \" + imp.getcountry());");
  const char *t = wait_log(fx, "cc ");
  bool ok = strlen(t) == 11;
  for (size_t i = 3; ok && i < 11; i++)
    ok = strchr("0123456789ABCDEFabcdef", t[i]) != NULL;
  IMPCERT_CHECK_MSG(fx, ok, "imp.getcountry() gave '%s'", t + 3);
}

/* ---- BlinkUp robustness and no settings ------------------------------------ */

/* REG-013: malformed and repeated BlinkUps do not crash the device. */
static void blinkup_malformed(impcert_fx *fx) {
  stepping(fx);
  networks(fx, &lab, 1);
  power_on(fx);
  impcert_jig_blinkup(fx, "impcert-ssid-of-more-than-32-bytes-long", KEY,
                      PLAN, TOKEN);
  impcert_jig_blinkup(fx, LAB, KEY, "", TOKEN);
  impcert_jig_blinkup(fx, LAB, KEY, PLAN, "");
  for (int i = 0; i < 10; i++)
    blinkup(fx, LAB, KEY);
  IMPCERT_CHECK(fx, impcert_dut_running(fx));
  activate(fx, "server.log(\"alive\");");
  wait_log(fx, "alive");
}

/* REG-042: no WiFi settings: no join attempt, BlinkUp sensing (LED
** flashing orange); a BlinkUp with settings then joins. */
static void no_settings(impcert_fx *fx) {
  stepping(fx);
  networks(fx, &lab, 1);
  power_on(fx);
  blinkup(fx, NULL, NULL);
  const Impjig__WifiEvent *e = wait_ev(fx, -1, "a WifiEvent after BlinkUp");
  IMPCERT_CHECK_MSG(fx, e->kind == EV(NO_CONFIG),
                    "first event %d, want NO_CONFIG", (int)e->kind);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wait_led(fx, IMPJIG__LED__COLOUR__ORANGE,
                                             true, 2000),
                    "the LED does not flash orange (BlinkUp sensing)");
  impcert_device_wait(fx, 1500);
  IMPCERT_CHECK_MSG(fx, impcert_jig_wifi_event(fx, EV(JOIN_ATTEMPT), 0) ==
                            NULL,
                    "a join was attempted with no WiFi settings");
  no_session_for(fx, 500, "it has no WiFi settings");
  blinkup(fx, LAB, KEY);
  wait_ev(fx, EV(JOINED), "JOINED after a BlinkUp with settings");
  activate(fx, NULL);
}

/* The next AppState (jig-app), or the test fails naming what was awaited. */
static const Impjig__AppState *next_app(impcert_fx *fx, const char *what) {
  const Impjig__JigEnvelope *m =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_APP_STATE, WAIT);
  if (!m)
    IMPCERT_FAIL_NOW(fx, "no AppState (%s)", what);
  return m->app_state;
}

static void advance_s(impcert_fx *fx, int s) {
  for (int i = 0; i < s; i++)
    impcert_clock_advance(fx, 1000);
}

/* REG-024: with no WiFi credentials stored, a Squirrel error still
** restarts the code (as a reboot: ten seconds without the cloud, then the
** code again with WAKEREASON_SQUIRREL_ERROR). */
static void error_without_creds(impcert_fx *fx) {
  bring_up(fx, &lab, 1, LAB, KEY,
           "if (imp.getssid() != \"\") {"
           "  imp.setwificonfiguration(\"\", \"\"); server.log(\"cleared\"); }"
           "else imp.wakeup(1, function() { throw \"impcert-boom\"; });");
  wait_log(fx, "cleared");
  power_cycle(fx);
  impcert_clock_advance(fx, 0); /* device time moves only as we say */
  wait_ev(fx, EV(NO_CONFIG), "NO_CONFIG (no credentials stored)");
  advance_s(fx, 11); /* the ten-second rule starts the code */
  const Impjig__AppState *a = next_app(fx, "the code after ten seconds");
  IMPCERT_REQUIRE(fx, a->running);
  advance_s(fx, 2); /* the timer throws */
  a = next_app(fx, "the code torn down by the error");
  IMPCERT_CHECK_MSG(fx, !a->running, "AppState says running after the "
                                     "error");
  advance_s(fx, 11);
  a = next_app(fx, "the code back after the error");
  IMPCERT_CHECK_MSG(fx, a->running && a->has_wake_reason &&
                            a->wake_reason == 5,
                    "after the error: running %d, wake reason %u (want "
                    "WAKEREASON_SQUIRREL_ERROR, 5)", (int)a->running,
                    a->wake_reason);
}

#define J "jig,jig-wifi,squirrel"
static const struct impcert_case cases[] = {
    {"WIFI-001", "BlinkUp credentials are used for joins, after power loss",
     "WIFI-001", "wifi", "jig,jig-wifi,jig-power", 0, blinkup_creds_used},
    {"WIFI-002", "a 32-byte SSID joins and is reported unchanged",
     "WIFI-002,REG-016", "wifi,regress", J, 0, ssid_32},
    {"WIFI-003", "an open network is refused when a password is stored",
     "WIFI-003,REG-001", "wifi,security,regress", "jig,jig-wifi", 0,
     open_refused_after_blinkup},
    {"WIFI-003b", "a stored network that turns open is not joined",
     "WIFI-003,REG-036", "wifi,security,regress", J, 0, open_refused_later},
    {"WIFI-004", "imp.setwificonfiguration() is used after a cold boot",
     "WIFI-004", "wifi", J ",jig-power", 0, setwificonfiguration_used},
    {"WIFI-005", "a BlinkUp overwrites imp.setwificonfiguration()",
     "WIFI-005", "wifi", J, 0, blinkup_overwrites},
    {"WIFI-006", "imp.getssid() and imp.net.info() ssid and storedssid",
     "WIFI-006", "wifi", J, 0, ssid_reported},
    {"WIFI-007", "a blocking scan lists the networks in range",
     "WIFI-007,WIFI-012", "wifi", J, 0, scan_blocking},
    {"WIFI-007b", "a scan with nothing in range returns an empty array",
     "WIFI-007", "wifi", J ",jig-pins", 0, scan_empty},
    {"WIFI-008", "a scan with a callback returns at once",
     "WIFI-008", "wifi", J, 0, scan_async},
    {"WIFI-009", "a second scan while one runs throws", "WIFI-009", "wifi",
     J, 0, scan_twice},
    {"WIFI-010", "scans complete while joining an absent AP",
     "WIFI-010,REG-026", "wifi,regress", J ",jig-pins", 0,
     scan_during_join},
    {"WIFI-011", "a scan and counters after server.disconnect()",
     "WIFI-011,WIFI-026", "wifi", J, 0, scan_disconnected},
    {"WIFI-013", "DHCP within 10 s of device time joins", "WIFI-013",
     "wifi", "jig,jig-wifi,virtual-clock", 0, dhcp_in_time},
    {"WIFI-013b", "no DHCP answer within 10 s fails with NO_IP_ADDRESS",
     "WIFI-013", "wifi", "jig,jig-wifi,virtual-clock", 0, dhcp_too_late},
    {"WIFI-014", "an SSID not in range fails with NO_WIFI", "WIFI-014",
     "wifi", "jig,jig-wifi", 0, not_in_range},
    {"WIFI-015", "hints recorded, used after a restart, lost on BlinkUp",
     "WIFI-015,WIFI-018", "wifi", J ",jig-power", 0, hints_recorded},
    {"WIFI-016", "getwifihints/setwifihints without a jig list",
     "WIFI-016,WIFI-017", "wifi", "jig,squirrel,wifi", 0, hints_api},
    {"WIFI-019", "a wrong hint only costs a scan", "WIFI-019", "wifi",
     J ",jig-power", 0, wrong_hint},
    {"WIFI-020", "WPS armed across a cold boot gives credentials",
     "WIFI-020,WIFI-021", "wifi", J ",jig-power,wps", 0, wps_join},
    {"WIFI-022", "a failed WPS disarms WPS", "WIFI-022", "wifi",
     J ",jig-power,wps", 0, wps_failed},
    {"WIFI-023", "configurewps() refuses a PIN not of 8 digits", "WIFI-023",
     "wifi", "jig,squirrel,wps", 0, wps_pin_checked},
    {"WIFI-024", "power save off at boot and after a Squirrel reload",
     "WIFI-024,REG-007", "wifi,regress", J, 0, powersave_reset},
    {"WIFI-025", "power save forced off while joining, back after",
     "WIFI-025", "wifi", J, 0, powersave_after_join},
    {"WIFI-027", "imp.getcountry() is 8 hex digits", "WIFI-027", "wifi",
     "jig,squirrel,wifi", 0, country},
    {"REG-013b", "malformed BlinkUps under a jig WiFi list do not crash",
     "REG-013", "wifi,regress", J, 0, blinkup_malformed},
    {"REG-021", "timers run on time while joining an absent AP", "REG-021",
     "wifi,regress", J ",jig-pins", 0, timers_during_join},
    {"REG-042", "no WiFi settings: no join, BlinkUp sensing", "REG-042",
     "wifi,regress", "jig,jig-wifi", 0, no_settings},
    {"REG-024", "a Squirrel error restarts the code with no WiFi "
     "credentials", "REG-024", "wifi,regress",
     "jig,jig-wifi,jig-app,jig-power,squirrel,virtual-clock", 0,
     error_without_creds},
};

IMPCERT_PLUGIN("wifi", cases)
