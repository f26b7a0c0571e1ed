/*
** sendpolicy.c: conformance tests of the send policies and the connection
** API (research imp-api 2.2-2.7, 4.14; seeds/000 "Optional No Blocking or
** Disconnection on Send Error"): SUSPEND_ON_ERROR, RETURN_ON_ERROR and
** RETURN_ON_ERROR_NO_DISCONNECT, WAIT_TIL_SENT and WAIT_FOR_ACK, send
** timeouts, the send buffer and tcpsendfree, server.flush, server.connect
** with callback and timeout, server.disconnect and isconnected.
** Each case deploys a small program in step 4; the program reports with
** a Log line "R ..." that the case parses. A cloud that stops reading
** (impcert_cloud_pause) fills the device's send buffer.
** Requirement IDs: specs/requirements.md.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0070-send"
#define TOKEN "token-send-7070"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

/* ---- helpers ------------------------------------------------------------- */

/* The cloud's ports: ports 0-2, and the stand-in for 52753 too on a
** cellular DUT (NET-002), so closing them all leaves no way in. */
static int cloud_ports(impcert_fx *fx) {
  return impcert_dut_cellular(fx) ? IMPCERT_PORT_CELLULAR + 1 : 3;
}

/* BlinkUp, activate and deploy `code` in step 4. */
static void deploy(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
}

/* The device's next session: steps 2-4 with a match ("why" names it). */
static void reconnected(impcert_fx *fx, unsigned timeout_ms,
                        const char *why) {
  if (impcert_cloud_accept(fx, timeout_ms) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "the device did not reconnect (%s)", why);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
}

/* Frames until a Log whose text starts with `prefix` (others are skipped
** and kept in the transcript); fails the test when none comes. */
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

/* The report line t = "R v1 v2 ...": its integers into v (n of them), or
** the test fails naming the line. true/false count as 1/0. */
static void parse_report(impcert_fx *fx, const char *t, long *v, int n) {
  const char *p = t + 2;
  for (int i = 0; i < n; i++) {
    char *end;
    if (strncmp(p, "true", 4) == 0) {
      v[i] = 1;
      end = (char *)p + 4;
    } else if (strncmp(p, "false", 5) == 0) {
      v[i] = 0;
      end = (char *)p + 5;
    } else {
      v[i] = strtol(p, &end, 10);
      if (end == p)
        IMPCERT_FAIL_NOW(fx, "report '%s': value %d is not a number", t,
                         i + 1);
    }
    p = end;
    while (*p == ' ')
      p++;
  }
  impcert_note(fx, "report: %s", t);
}

static void report(impcert_fx *fx, long *v, int n) {
  parse_report(fx, find_log(fx, "R "), v, n);
}

static const char *find_log_stepping(impcert_fx *fx, const char *prefix,
                                     unsigned max_ms);

/* The report when the code's timers need device time to send it. */
static void report_stepping(impcert_fx *fx, long *v, int n) {
  parse_report(fx, find_log_stepping(fx, "R ", WAIT), v, n);
}


/* Stop device time where it is (virtual clock; nothing elsewhere): what
** the device does next happens at a known device time, and every later
** wait for device time is an impcert_device_wait. */
static void cloud_back(impcert_fx *fx);
static void cloud_gone(impcert_fx *fx);

static void freeze_time(impcert_fx *fx) { impcert_device_wait(fx, 0); }

/* Let device time pass in steps of 100 ms until the DUT reports the LED
** `colour`/`flashing` (its session state: solid green online, off when
** no session is wanted), at most max_ms; true once it does. A wait for
** an event that only device time brings about (a send timeout). */
static bool led_within(impcert_fx *fx, int colour, bool flashing,
                       unsigned max_ms) {
  for (unsigned t = 0; t < max_ms; t += 100) {
    if (impcert_jig_wait_led(fx, colour, flashing, 0))
      return true;
    impcert_device_wait(fx, 100);
  }
  return impcert_jig_wait_led(fx, colour, flashing, 0);
}

static void agent_go(impcert_fx *fx, const char *name);

/* Agent "go" to code whose handler calls later(): once its "going" has
** come the cloud stops reading and device time stands still, so the
** flood starts 200 ms of device time on with the cloud paused whatever
** the real time the device took to get there. */
static void start_flood(impcert_fx *fx) {
  agent_go(fx, "go");
  find_log(fx, "going");
  impcert_cloud_pause(fx, true);
  freeze_time(fx);
}

/* Frames until a Log starting with `prefix`, letting device time pass in
** 100 ms steps while none comes (the code's timers retry), at most
** max_ms of it; the test fails when none comes. */
static const char *find_log_stepping(impcert_fx *fx, const char *prefix,
                                     unsigned max_ms) {
  for (unsigned t = 0;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, 100);
    if (e) {
      if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
          strncmp(e->log->text, prefix, strlen(prefix)) == 0)
        return e->log->text;
      continue;
    }
    if (t >= max_ms)
      IMPCERT_FAIL_NOW(fx, "no Log starting '%s' within %u ms of device "
                           "time", prefix, max_ms);
    impcert_device_wait(fx, 100);
    t += 100;
  }
}

/* Send the device the agent message `name` (no data). */
static void agent_go(impcert_fx *fx, const char *name) {
  Impwire__AgentMessage m = IMPWIRE__AGENT_MESSAGE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  m.name = (char *)name;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  env.agent_message = &m;
  if (impcert_send(fx, &env) != 0)
    IMPCERT_FAIL_NOW(fx, "the session ended before '%s' was sent", name);
}

static void send_ack(impcert_fx *fx, uint32_t seq) {
  Impwire__Ack ack = IMPWIRE__ACK__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  ack.seq = seq;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_ACK;
  env.ack = &ack;
  impcert_send(fx, &env);
}

/* Squirrel: `s` is a 600-byte string, `flood(limit)` logs numbered lines
** until one returns non-zero (or limit lines); returns [count, code].
** `later(f)` logs "going" and runs f 200 ms of device time later (see
** start_flood). */
#define FLOOD_FN                                                          \
  "local s = \"\"; for (local i = 0; i < 60; i++) s += \"0123456789\";\n" \
  "function flood(limit) {\n"                                             \
  "  local n = 0, rc = 0;\n"                                              \
  "  while (n < limit) {\n"                                               \
  "    rc = server.log(\"F \" + n + \" \" + s);\n"                        \
  "    if (rc != 0) break;\n"                                             \
  "    n++;\n"                                                            \
  "  }\n"                                                                 \
  "  return [n, rc];\n"                                                   \
  "}\n"                                                                   \
  "function fill(then) {\n"                                               \
  "  local total = 0, idle = 0;\n"                                        \
  "  function round() {\n"                                                \
  "    local f = flood(3000);\n"                                        \
  "    total += f[0];\n"                                                  \
  "    idle = f[0] == 0 ? idle + 1 : 0;\n"                                \
  "    if (idle >= 3 || f[1] != 4) then(total, f[1]);\n"                  \
  "    else imp.wakeup(0.1, round);\n"                                    \
  "  }\n"                                                                 \
  "  round();\n"                                                          \
  "}\n"                                                                   \
  "function later(f) {\n"                                                \
  "  server.log(\"going\");\n"                                            \
  "  imp.wakeup(0.2, f);\n"                                               \
  "}\n"                                                                   \
  "function sendfree() {\n"                                               \
  "  local i = imp.net.info();\n"                                         \
  "  return (\"ipv4\" in i) ? i.ipv4.server.tcpsendfree : -1;\n"          \
  "}\n"

/* ---- SUSPEND_ON_ERROR and the defaults ----------------------------------- */

/* SEND-001, SEND-002: with no policy set, sends return 0, agent.send asks
** for no Ack (WAIT_TIL_SENT) and a send after server.disconnect() brings
** the session back and is delivered (SUSPEND_ON_ERROR). */
static void defaults(impcert_fx *fx) {
  deploy(fx, "local a = agent.send(\"d1\", 1);\n"
             "local l = server.log(\"d2\");\n"
             "server.disconnect();\n"
             "local b = server.log(\"after\");\n"
             "server.log(\"R \" + a + \" \" + l + \" \" + b);\n");
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  IMPCERT_CHECK_MSG(fx, !m->has_seq,
                    "agent.send under the default policy asked for an Ack "
                    "(seq %u): the default wait policy is WAIT_TIL_SENT",
                    m->seq);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  reconnected(fx, WAIT, "a send under the default SUSPEND_ON_ERROR");
  find_log(fx, "after");
  long v[3];
  report(fx, v, 3);
  IMPCERT_CHECK_MSG(fx, v[0] == 0 && v[1] == 0,
                    "agent.send / server.log returned %ld / %ld, not 0",
                    v[0], v[1]);
  IMPCERT_CHECK_MSG(fx, v[2] == 0,
                    "a send after server.disconnect() returned %ld: the "
                    "default policy must reconnect (SUSPEND_ON_ERROR)",
                    v[2]);
}

/* SEND-011: under SUSPEND_ON_ERROR a send with the session gone blocks
** Squirrel while the device reconnects, then delivers the data. The cloud
** closes the session and its ports (a device reconnects at once after a
** loss, wire.md: with the ports open it would be back before Squirrel saw
** the session gone); its first round fails, and the session comes back
** at the second, after the 1 s back-off, so the send is held for about
** that much device time. */
static void suspend_blocks(impcert_fx *fx) {
  deploy(fx, "local done = false;\n"
             "function tick() {\n"
             "  if (!server.isconnected() && !done) {\n"
             "    done = true;\n"
             "    local t0 = hardware.millis();\n"
             "    local rc = server.log(\"suspended\");\n"
             "    server.log(\"R \" + rc + \" \" + (hardware.millis() - t0));\n"
             "  }\n"
             "  imp.wakeup(0.02, tick);\n"
             "}\n"
             "server.log(\"ready\");\n"
             "tick();\n");
  find_log(fx, "ready");
  freeze_time(fx); /* the loss falls at a known device time */
  cloud_gone(fx);
  impcert_device_wait(fx, 500); /* between the two rounds */
  cloud_back(fx);
  impcert_device_wait(fx, 500); /* the second round falls due */
  reconnected(fx, WAIT, "SUSPEND_ON_ERROR after a lost session");
  find_log(fx, "suspended");
  long v[2];
  report(fx, v, 2);
  IMPCERT_CHECK_MSG(fx, v[0] == 0, "the suspended send returned %ld", v[0]);
  IMPCERT_CHECK_MSG(fx, v[1] >= 900,
                    "the send returned after %ld ms: Squirrel must stay "
                    "suspended until the session is back (1 s back-off)",
                    v[1]);
}

/* NET-011: under SUSPEND_ON_ERROR server.connect() blocks until the
** session is up and ignores its callback and timeout. Every cloud port
** refuses at first, so the device's first round fails and the session
** comes back only at its second round, 1 s (its back-off) later. */
static void suspend_connect(impcert_fx *fx) {
  deploy(fx, "server.log(\"ready\");\n"
             "agent.on(\"go\", function(d) {\n"
             "  server.disconnect();\n"
             "  local t0 = hardware.millis();\n"
             "  server.connect(function(r) { server.log(\"CB \" + r); }, 0.5);\n"
             "  local ms = hardware.millis() - t0;\n"
             "  server.log(\"R \" + server.isconnected() + \" \" + ms);\n"
             "  imp.wakeup(0.2, function() { server.log(\"end\"); });\n"
             "});\n");
  find_log(fx, "ready");
  for (int i = 0; i < cloud_ports(fx); i++)
    impcert_cloud_close_port(fx, i);
  freeze_time(fx); /* the first round falls at a known device time */
  agent_go(fx, "go");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  impcert_device_wait(fx, 500); /* past the 0.5 s timeout, between rounds */
  cloud_back(fx);
  impcert_device_wait(fx, 500); /* the second round falls due */
  reconnected(fx, WAIT, "server.connect() under SUSPEND_ON_ERROR");
  long v[2];
  report(fx, v, 2);
  IMPCERT_CHECK_MSG(fx, v[0] == 1, "isconnected() after the blocking "
                                   "server.connect() is false");
  IMPCERT_CHECK_MSG(fx, v[1] >= 900,
                    "server.connect() returned after %ld ms, before the "
                    "session was up (its 0.5 s timeout must be ignored)",
                    v[1]);
  impcert_device_wait(fx, 300); /* the timer that logs "end" */
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_FAIL_NOW(fx, "no 'end' Log");
    if (e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
      continue;
    IMPCERT_CHECK_MSG(fx, strncmp(e->log->text, "CB ", 3) != 0,
                      "the callback of server.connect() was called under "
                      "SUSPEND_ON_ERROR ('%s')", e->log->text);
    if (strcmp(e->log->text, "end") == 0)
      break;
  }
}

/* SEND-023: the send buffer size is back to 3456 after a warm boot. */
static void buffer_after_boot(impcert_fx *fx) {
  deploy(fx, "local p = imp.setsendbuffersize(20000);\n"
             "local warm = hardware.wakereason() == WAKEREASON_TIMER;\n"
             "server.log(\"R \" + (warm ? 2 : 1) + \" \" + p);\n"
             "if (!warm) imp.wakeup(0.1, function() { imp.deepsleepfor(1); });\n");
  long v[2];
  report(fx, v, 2);
  IMPCERT_CHECK_MSG(fx, v[0] == 1 && v[1] == 3456,
                    "first boot: setsendbuffersize returned %ld", v[1]);
  freeze_time(fx);
  impcert_device_wait(fx, 100); /* the timer: imp.deepsleepfor(1) */
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the session did not end at imp.deepsleepfor()");
  const Impjig__JigEnvelope *s =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, WAIT);
  if (!s)
    IMPCERT_FAIL_NOW(fx, "no DeepSleep at imp.deepsleepfor(1)");
  impcert_device_wait(fx, s->deep_sleep->wake_in_ms); /* the sleep */
  reconnected(fx, WAIT, "after the deep sleep");
  report(fx, v, 2);
  IMPCERT_CHECK_MSG(fx, v[0] == 2, "the second run was not a warm boot");
  IMPCERT_CHECK_MSG(fx, v[1] == 3456,
                    "after a warm boot the send buffer is %ld bytes, not "
                    "3456", v[1]);
}

/* ---- the send buffer under a cloud that stops reading --------------------- */

/* SEND-014, SEND-025, SEND-015: under RETURN_ON_ERROR_NO_DISCONNECT with a
** cloud that does not read, 600-byte logs (smaller than the buffer) go
** until the buffer's free space is too small: then WOULDBLOCK at once,
** tcpsendfree below 600, the session up; once the cloud reads again a
** retried log returns 0 and every line arrives once, in order, whole. */
static void fill_wouldblock(impcert_fx *fx) {
  deploy(fx, FLOOD_FN
             "server.setsendtimeoutpolicy(RETURN_ON_ERROR_NO_DISCONNECT, "
             "WAIT_TIL_SENT, 5);\n"
             "local r;\n"
             "function retry() {\n"
             "  if (server.log(\"retried\") != 0) {\n"
             "    imp.wakeup(0.05, retry); return;\n"
             "  }\n"
             "  server.log(\"R \" + r[0] + \" \" + r[1] + \" \" + r[2] + \" \" +\n"
             "             r[3] + \" \" + r[4] + \" \" + r[5]);\n"
             "}\n"
             "agent.on(\"go\", function(d) { later(function() {\n"
             "  local free0 = sendfree();\n"
             "  local t0 = hardware.millis();\n"
             "  local f = flood(3000);\n"
             "  local ms = hardware.millis() - t0;\n"
             "  r = [f[0], f[1], free0, sendfree(), server.isconnected(), ms];\n"
             "  imp.wakeup(0.05, retry);\n"
             "}); });\n"
             "server.log(\"ready\");\n");
  find_log(fx, "ready");
  start_flood(fx);
  impcert_device_wait(fx, 300); /* the flood (at once) and a retry */
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx),
                    "the device died while the cloud did not read");
  impcert_cloud_pause(fx, false);
  /* the lines first, then the report; read the report's numbers after */
  long v[6];
  report_stepping(fx, v, 6);
  impcert_note(fx, "%ld lines before WOULDBLOCK", v[0]);
  IMPCERT_CHECK_MSG(fx, v[1] == 4,
                    "the flood ended with code %ld after %ld lines, not "
                    "SEND_ERROR_WOULDBLOCK (4)", v[1], v[0]);
  IMPCERT_CHECK_MSG(fx, v[2] == 3456,
                    "tcpsendfree with an empty buffer is %ld, not 3456",
                    v[2]);
  IMPCERT_CHECK_MSG(fx, v[3] >= 0 && v[3] < 610,
                    "tcpsendfree at WOULDBLOCK is %ld: a 600-byte log was "
                    "refused, so less than its frame must be free", v[3]);
  IMPCERT_CHECK_MSG(fx, v[4] == 1, "the session was dropped at WOULDBLOCK");
  IMPCERT_CHECK_MSG(fx, v[5] < 1500,
                    "the flood took %ld ms: WOULDBLOCK must come at once, "
                    "not after the 5 s timeout", v[5]);
}

/* SEND-014 and the order of what was queued, checked line by line: the
** same flood, then every line 0..n-1 arrives once, whole, in order. */
static void fill_lines_intact(impcert_fx *fx) {
  deploy(fx, FLOOD_FN
             "server.setsendtimeoutpolicy(RETURN_ON_ERROR_NO_DISCONNECT, "
             "WAIT_TIL_SENT, 5);\n"
             "local f;\n"
             "function retry() {\n"
             "  if (server.log(\"R \" + f[0] + \" \" + f[1]) != 0)\n"
             "    imp.wakeup(0.05, retry);\n"
             "}\n"
             "agent.on(\"go\", function(d) { later(function() {\n"
             "  f = flood(3000);\n"
             "  imp.wakeup(0.05, retry);\n"
             "}); });\n"
             "server.log(\"ready\");\n");
  find_log(fx, "ready");
  start_flood(fx);
  impcert_device_wait(fx, 300); /* the flood (at once) and a retry */
  impcert_cloud_pause(fx, false);
  /* count the lines as they come; the report tells how many were due
  ** (device time moves on while nothing comes: the retries) */
  long n = 0;
  const char *rep = NULL;
  unsigned idle_ms = 0;
  while (!rep) {
    const Impwire__Envelope *e = impcert_next_frame(fx, 100);
    if (!e && idle_ms >= WAIT)
      IMPCERT_FAIL_NOW(fx, "no report after %ld flood lines", n);
    if (!e) {
      impcert_device_wait(fx, 100);
      idle_ms += 100;
      continue;
    }
    if (e->msg_case != IMPWIRE__ENVELOPE__MSG_LOG)
      continue;
    const char *t = e->log->text;
    if (strncmp(t, "R ", 2) == 0) {
      rep = t;
      break;
    }
    if (strncmp(t, "F ", 2) != 0)
      continue;
    char *end;
    long k = strtol(t + 2, &end, 10);
    if (k != n)
      IMPCERT_FAIL_NOW(fx, "flood line %ld arrived where %ld was due", k, n);
    IMPCERT_CHECK_MSG(fx, strlen(end) == 601, "flood line %ld cut (%zu)", k,
                      strlen(end));
    n++;
  }
  long want = strtol(rep + 2, NULL, 10);
  IMPCERT_CHECK_MSG(fx, n == want,
                    "%ld flood lines arrived, the device queued %ld", n,
                    want);
}

/* SEND-007, SEND-009, SEND-010, SEND-017: under RETURN_ON_ERROR a full
** buffer blocks the call for the send timeout (1.5 s), no longer; then it
** returns SEND_ERROR_TIMEOUT, the code runs on, the session is dropped
** and stays down until server.connect() (1.5 s later). Device time moves
** in 100 ms steps from a standstill and every delay of the code is a
** multiple of that, so on the virtual clock each deadline ends a step
** (the device confirms the step, then connects: jig.md "Device time"). */
static void return_timeout(impcert_fx *fx) {
  deploy(fx, FLOOD_FN
             "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, "
             "1.5);\n"
             "agent.on(\"go\", function(d) {\n"
             "  local t0 = hardware.millis();\n"
             "  local f = flood(3000);\n"
             "  local ms = hardware.millis() - t0;\n"
             "  local after = server.isconnected();\n"
             "  imp.wakeup(1.5, function() {\n"
             "    local later = server.isconnected();\n"
             "    server.connect(function(reason) {\n"
             "      server.log(\"R \" + f[1] + \" \" + ms + \" \" + after +\n"
             "                 \" \" + later + \" \" + reason);\n"
             "    }, 10);\n"
             "  });\n"
             "});\n"
             "server.log(\"ready\");\n");
  find_log(fx, "ready");
  impcert_cloud_pause(fx, true);
  freeze_time(fx);
  agent_go(fx, "go");
  /* the buffers fill, the last call times out (1.5 s) and the session
  ** is dropped: the LED goes off (no session wanted) */
  led_within(fx, IMPJIG__LED__COLOUR__OFF, false, 4000);
  impcert_cloud_pause(fx, false);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the device did not drop the session after "
                    "SEND_ERROR_TIMEOUT");
  impcert_device_wait(fx, 1000);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_accept(fx, 100) ==
                        IMPCERT_SESSION_TIMEOUT,
                    "the device reconnected by itself after a send error "
                    "under RETURN_ON_ERROR");
  impcert_device_wait(fx, 500); /* the code's server.connect() */
  reconnected(fx, WAIT, "server.connect() after the send error");
  long v[5];
  report(fx, v, 5);
  IMPCERT_CHECK_MSG(fx, v[0] == 2, "the blocked send returned %ld, not "
                                   "SEND_ERROR_TIMEOUT (2)", v[0]);
  IMPCERT_CHECK_MSG(fx, v[1] >= 1400 && v[1] < 6000,
                    "the flood ended after %ld ms; the last call must block "
                    "for the 1.5 s timeout and no longer", v[1]);
  IMPCERT_CHECK_MSG(fx, v[2] == 0, "isconnected() right after "
                                   "SEND_ERROR_TIMEOUT is true");
  IMPCERT_CHECK_MSG(fx, v[3] == 0, "the device was connected again 1.5 s"
                                   " after the error, before "
                                   "server.connect()");
  IMPCERT_CHECK_MSG(fx, v[4] == 5, "the connect callback got %ld", v[4]);
}

/* SEND-008: under RETURN_ON_ERROR a call blocked on a full buffer when
** the session is lost returns SEND_ERROR_DISCONNECTED. */
static void return_disconnected(impcert_fx *fx) {
  deploy(fx, FLOOD_FN
             "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, "
             "20);\n"
             "agent.on(\"go\", function(d) { later(function() {\n"
             "  local f = flood(3000);\n"
             "  imp.wakeup(0.5, function() {\n"
             "    server.connect(function(reason) {\n"
             "      server.log(\"R \" + f[1] + \" \" + reason);\n"
             "    }, 10);\n"
             "  });\n"
             "}); });\n"
             "server.log(\"ready\");\n");
  find_log(fx, "ready");
  start_flood(fx);
  impcert_device_wait(fx, 300); /* the flood blocks (timeout 20 s) */
  /* the loss with the ports closed: the device's round at once fails
  ** (with them open it would be back before the code asked) */
  cloud_gone(fx);
  impcert_device_wait(fx, 500); /* the code asks for a session */
  cloud_back(fx);
  /* it comes at the next round, after the 1 s back-off from the loss */
  impcert_device_wait(fx, 500);
  reconnected(fx, WAIT, "server.connect() after the lost session");
  long v[2];
  report(fx, v, 2);
  IMPCERT_CHECK_MSG(fx, v[0] == 3,
                    "the send blocked when the session was lost returned "
                    "%ld, not SEND_ERROR_DISCONNECTED (3)", v[0]);
  IMPCERT_CHECK_MSG(fx, v[1] == 5, "the connect callback got %ld", v[1]);
}

/* SEND-024: server.flush() is false while the cloud does not read (the
** session stays up) and true once it has read everything. */
static void flush(impcert_fx *fx) {
  deploy(fx, FLOOD_FN
             "server.setsendtimeoutpolicy(RETURN_ON_ERROR_NO_DISCONNECT, "
             "WAIT_TIL_SENT, 5);\n"
             "local empty = server.flush(2);\n"
             "agent.on(\"go\", function(d) { later(function() {\n"
             "  fill(function(n, rc) {\n"
             "    local f1 = server.flush(0.5);\n"
             "    local c1 = server.isconnected();\n"
             "    imp.wakeup(0.1, function() {\n"
             "      local f2 = server.flush(10);\n"
             "      server.log(\"R \" + empty + \" \" + rc + \" \" + f1 + \" \" +\n"
             "                 c1 + \" \" + f2);\n"
             "    });\n"
             "  });\n"
             "}); });\n"
             "server.log(\"ready\");\n");
  find_log(fx, "ready");
  start_flood(fx);
  /* the flood at 200 ms, rounds 100 ms apart until three add nothing
  ** (the network's buffers fill too), flush(0.5) returns, flush(10)
  ** starts 100 ms later */
  impcert_device_wait(fx, 3000);
  impcert_cloud_pause(fx, false);
  long v[5];
  report_stepping(fx, v, 5);
  IMPCERT_CHECK_MSG(fx, v[0] == 1, "server.flush() with nothing to send "
                                   "returned false");
  IMPCERT_CHECK_MSG(fx, v[1] == 4, "the flood did not end in WOULDBLOCK "
                                   "(%ld)", v[1]);
  IMPCERT_CHECK_MSG(fx, v[2] == 0, "server.flush(0.5) returned true while "
                                   "the cloud read nothing");
  IMPCERT_CHECK_MSG(fx, v[3] == 1, "a false server.flush() closed the "
                                   "session");
  IMPCERT_CHECK_MSG(fx, v[4] == 1, "server.flush(10) returned false after "
                                   "the cloud read everything");
}

/* ---- WAIT_FOR_ACK -------------------------------------------------------- */

/* SEND-018, SEND-019, SEND-002: under WAIT_FOR_ACK agent.send() sets seq
** and returns 0 only once the Ack comes (700 ms later here); without an
** Ack it returns SEND_ERROR_TIMEOUT after the timeout (RETURN_ON_ERROR). */
static void wait_for_ack(impcert_fx *fx) {
  deploy(fx, "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_FOR_ACK, "
             "2);\n"
             "imp.wakeup(0.2, function() {\n"
             "  local t0 = hardware.millis();\n"
             "  local a = agent.send(\"a1\", 1);\n"
             "  local ms1 = hardware.millis() - t0;\n"
             "  t0 = hardware.millis();\n"
             "  local b = agent.send(\"a2\", 2);\n"
             "  local ms2 = hardware.millis() - t0;\n"
             "  server.connect(function(reason) {\n"
             "    server.log(\"R \" + a + \" \" + ms1 + \" \" + b + \" \" + ms2);\n"
             "  }, 10);\n"
             "});\n");
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  IMPCERT_REQUIRE(fx, strcmp(m->name, "a1") == 0);
  IMPCERT_CHECK_MSG(fx, m->has_seq && m->seq != 0,
                    "agent.send under WAIT_FOR_ACK carries no seq");
  uint32_t seq = m->seq;
  freeze_time(fx);
  impcert_device_wait(fx, 700);
  IMPCERT_CHECK_MSG(fx, impcert_next_frame(fx, 0) == NULL,
                    "the device sent on before the Ack of a1 came");
  send_ack(fx, seq);
  m = impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  IMPCERT_REQUIRE(fx, strcmp(m->name, "a2") == 0);
  /* no Ack for a2: the device gives up after 2 s and drops the session */
  impcert_device_wait(fx, 2000);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "the session stayed up after the Ack timeout");
  reconnected(fx, WAIT, "server.connect() after the Ack timeout");
  long v[4];
  report(fx, v, 4);
  IMPCERT_CHECK_MSG(fx, v[0] == 0, "the acknowledged send returned %ld",
                    v[0]);
  IMPCERT_CHECK_MSG(fx, v[1] >= 600,
                    "the acknowledged send returned after %ld ms, before "
                    "its Ack (sent after 700 ms)", v[1]);
  IMPCERT_CHECK_MSG(fx, v[2] == 2, "the unacknowledged send returned %ld, "
                                   "not SEND_ERROR_TIMEOUT (2)", v[2]);
  IMPCERT_CHECK_MSG(fx, v[3] >= 1900 && v[3] < 6000,
                    "the unacknowledged send returned after %ld ms; the "
                    "timeout is 2 s", v[3]);
}

/* ---- connections ---------------------------------------------------------- */

/* NET-009, NET-010, NET-017, NET-021: under RETURN_ON_ERROR with every
** cloud port refusing, a second server.connect() replaces the first's
** callback, the callback gets NO_SERVER after its timeout (and
** imp.net.info().lasterror holds it), and timers run meanwhile.
** Then the ports open again and a third server.connect() succeeds. */
static void connect_timeout(impcert_fx *fx) {
  deploy(fx, "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, "
             "10);\n"
             "local ticks = 0, first = 0, reason = -1, t0 = 0, ms = 0;\n"
             "local lasterr = -2;\n"
             "function tick() { ticks++; imp.wakeup(0.1, tick); }\n"
             "agent.on(\"go\", function(d) {\n"
             "  server.disconnect();\n"
             "  tick();\n"
             "  t0 = hardware.millis();\n"
             "  server.connect(function(r) { first++; }, 5);\n"
             "  server.connect(function(r) {\n"
             "    reason = r; ms = hardware.millis() - t0;\n"
             "    local i = imp.net.info();\n"
             "    lasterr = (\"lasterror\" in i) ? i.lasterror : -1;\n"
             "    local n = ticks;\n"
             "    imp.wakeup(0.5, function() {\n"
             "      server.connect(function(r3) {\n"
             "        server.log(\"R \" + reason + \" \" + ms + \" \" + n + \" \" +\n"
             "                   first + \" \" + r3 + \" \" + lasterr);\n"
             "      }, 10);\n"
             "    });\n"
             "  }, 1.5);\n"
             "});\n"
             "server.log(\"ready\");\n");
  find_log(fx, "ready");
  for (int i = 0; i < cloud_ports(fx); i++)
    impcert_cloud_close_port(fx, i);
  freeze_time(fx); /* the attempts start at a known device time */
  agent_go(fx, "go");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  impcert_device_wait(fx, 1500); /* the second connect's timeout */
  cloud_back(fx);
  impcert_device_wait(fx, 500); /* the third connect, 0.5 s later */
  reconnected(fx, WAIT, "the third server.connect()");
  long v[6];
  report(fx, v, 6);
  IMPCERT_CHECK_MSG(fx, v[0] == 4, "the connect callback got %ld, not "
                                   "NO_SERVER (4)", v[0]);
  IMPCERT_CHECK_MSG(fx, v[5] == v[0],
                    "after the failed attempt imp.net.info().lasterror is "
                    "%ld (-1: absent), not the callback's reason %ld", v[5],
                    v[0]);
  IMPCERT_CHECK_MSG(fx, v[1] >= 1300 && v[1] < 4500,
                    "the callback came after %ld ms; the timeout was "
                    "1.5 s", v[1]);
  IMPCERT_CHECK_MSG(fx, v[2] >= 8,
                    "only %ld timer ticks (every 100 ms) ran during the "
                    "1.5 s connection attempt", v[2]);
  IMPCERT_CHECK_MSG(fx, v[3] == 0, "the replaced callback was called %ld "
                                   "times", v[3]);
  IMPCERT_CHECK_MSG(fx, v[4] == 5, "the third connect got %ld", v[4]);
}

/* NET-012, NET-013, NET-015, NET-016: server.disconnect() closes the
** session; isconnected() and imp.net.info().active follow it; under
** SUSPEND_ON_ERROR the next server.log() reconnects and delivers. */
static void disconnect_isconnected(impcert_fx *fx) {
  deploy(fx, "imp.wakeup(0.2, function() {\n"
             "  local c0 = server.isconnected();\n"
             "  local a0 = \"active\" in imp.net.info();\n"
             "  server.disconnect();\n"
             "  local c1 = server.isconnected();\n"
             "  local a1 = \"active\" in imp.net.info();\n"
             "  server.log(\"back\");\n"
             "  server.log(\"R \" + c0 + \" \" + a0 + \" \" + c1 + \" \" + a1 +\n"
             "             \" \" + server.isconnected());\n"
             "});\n");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  reconnected(fx, WAIT, "server.log() after server.disconnect()");
  find_log(fx, "back");
  long v[5];
  report(fx, v, 5);
  IMPCERT_CHECK_MSG(fx, v[0] == 1 && v[1] == 1,
                    "in a session isconnected()=%ld, 'active' in "
                    "imp.net.info()=%ld", v[0], v[1]);
  IMPCERT_CHECK_MSG(fx, v[2] == 0 && v[3] == 0,
                    "after server.disconnect() isconnected()=%ld, 'active' "
                    "in imp.net.info()=%ld", v[2], v[3]);
  IMPCERT_CHECK_MSG(fx, v[4] == 1, "isconnected() is false after the "
                                   "automatic reconnection");
}

/* NET-024: server.expectonlinein() returns 0 and closes the session. */
static void expect_online(impcert_fx *fx) {
  deploy(fx, "imp.wakeup(0.2, function() {\n"
             "  local r = server.expectonlinein(60);\n"
             "  local c = server.isconnected();\n"
             "  server.log(\"R \" + r + \" \" + c);\n"
             "});\n");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.expectonlinein() did not close the session");
  reconnected(fx, WAIT, "server.log() after server.expectonlinein()");
  long v[2];
  report(fx, v, 2);
  IMPCERT_CHECK_MSG(fx, v[0] == 0, "server.expectonlinein() returned %ld",
                    v[0]);
  IMPCERT_CHECK_MSG(fx, v[1] == 0, "isconnected() right after "
                                   "server.expectonlinein() is true");
}

/* NET-025: an Unactivated device does not contact the cloud. */
static void unactivated_silent(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  /* 3 s of device time; a connection made meanwhile waits to be taken */
  impcert_device_wait(fx, 3000);
  IMPCERT_CHECK_MSG(fx, impcert_cloud_accept(fx, 200) ==
                        IMPCERT_SESSION_TIMEOUT,
                    "an Unactivated device opened a session with the cloud");
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx), "the device stopped");
}

/* ---- device time (virtual clock): the one-minute rules ------------------- */

/* Deploy `code` with device time standing still from power-on. */
static void deploy_still(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_clock_advance(fx, 0);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
  find_log(fx, "ready");
}

/* The cloud goes away: every port refuses and the session closes. */
static void cloud_gone(impcert_fx *fx) {
  for (int i = 0; i < cloud_ports(fx); i++)
    impcert_cloud_close_port(fx, i);
  impcert_cloud_close(fx);
}

/* Device time moves on in 500 ms steps until the device opens a session
** (steps 2-4 then done). Its rounds of ports fall on those steps (they
** start 1000 ms after a step), and a device confirms a step before it
** connects, so no advance waits on a device blocked in a connection. */
static void stepped_reconnect(impcert_fx *fx, const char *why) {
  for (int i = 0; i < 8; i++) {
    impcert_clock_advance(fx, 500);
    if (impcert_cloud_accept(fx, 400) == IMPCERT_SESSION_OK) {
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
      impcert_send_answer(fx, true, NULL, false);
      return;
    }
  }
  IMPCERT_FAIL_NOW(fx, "the device did not reconnect within 4 s of device "
                       "time (%s)", why);
}

static void cloud_back(impcert_fx *fx) {
  for (int i = 0; i < cloud_ports(fx); i++)
    if (impcert_cloud_open_port(fx, i) != 0)
      IMPCERT_ERROR_NOW(fx, "cannot open cloud port %d again", i);
}

/* SEND-012: under SUSPEND_ON_ERROR a send with no server reachable keeps
** trying for one minute of device time, then the device deep-sleeps for
** nine minutes, and after them tries again. */
static void suspend_sleeps(impcert_fx *fx) {
  deploy_still(fx, "server.log(\"ready\");\n"
                   "imp.wakeup(1, function() { server.log(\"blocked\"); });\n");
  cloud_gone(fx);
  impcert_clock_advance(fx, 1000); /* the timer: the send blocks */
  impcert_clock_advance(fx, 58000);
  IMPCERT_CHECK_MSG(fx, !impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP,
                                          300),
                    "the device went to sleep before a minute of trying");
  impcert_clock_advance(fx, 2500);
  const Impjig__JigEnvelope *e =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, WAIT);
  if (!e)
    IMPCERT_FAIL_NOW(fx, "no deep sleep after a minute without a server");
  IMPCERT_CHECK_MSG(fx, e->deep_sleep->wake_in_ms >= 539000 &&
                            e->deep_sleep->wake_in_ms <= 541000,
                    "the device sleeps %llu ms, not nine minutes",
                    (unsigned long long)e->deep_sleep->wake_in_ms);
  cloud_back(fx);
  /* the wake ends the advance: the device connects at once */
  impcert_clock_advance(fx, e->deep_sleep->wake_in_ms);
  reconnected(fx, WAIT, "after the nine-minute sleep");
  find_log(fx, "ready");
}

/* Squirrel for the onunexpecteddisconnect cases: `calls` counts handler
** calls; agent "q" asks for the report "R calls reason ms" (ms: device
** time from "ready" to the first call). */
#define UNEXPECTED_CODE(policy)                                            \
  "server.setsendtimeoutpolicy(" policy ", WAIT_TIL_SENT, 10);\n"         \
  "local calls = 0, reason = -1, ms = -1, t0 = hardware.millis();\n"      \
  "server.onunexpecteddisconnect(function(r) {\n"                         \
  "  calls++;\n"                                                          \
  "  if (calls == 1) { reason = r; ms = hardware.millis() - t0; }\n"      \
  "  server.connect(function(c) {}, 30);\n"                               \
  "});\n"                                                                 \
  "agent.on(\"q\", function(d) {\n"                                       \
  "  server.log(\"R \" + calls + \" \" + reason + \" \" + ms);\n"         \
  "});\n"                                                                 \
  "server.log(\"ready\");\n"

/* NET-018: under RETURN_ON_ERROR a session lost and not back within 60 s
** calls the handler with a reason, at 60 s and not before. */
static void unexpected_after_minute(impcert_fx *fx) {
  deploy_still(fx, UNEXPECTED_CODE("RETURN_ON_ERROR"));
  cloud_gone(fx);
  for (int i = 0; i < 60; i++)
    impcert_clock_advance(fx, 1000);
  /* open the ports between two rounds, never on one */
  impcert_clock_advance(fx, 500);
  cloud_back(fx);
  stepped_reconnect(fx, "server.connect() from the handler");
  agent_go(fx, "q");
  long v[3];
  report(fx, v, 3);
  IMPCERT_CHECK_MSG(fx, v[0] == 1, "the handler was called %ld times", v[0]);
  IMPCERT_CHECK_MSG(fx, v[1] >= 0 && v[1] != 5,
                    "the handler got reason %ld", v[1]);
  IMPCERT_CHECK_MSG(fx, v[2] >= 59000 && v[2] <= 62000,
                    "the handler was called %ld ms after the loss, not "
                    "after 60 s", v[2]);
}

/* NET-019: under RETURN_ON_ERROR a session lost and restored by the
** device within 60 s does not call the handler. */
static void unexpected_not_when_back(impcert_fx *fx) {
  deploy_still(fx, UNEXPECTED_CODE("RETURN_ON_ERROR"));
  impcert_cloud_close(fx);
  reconnected(fx, WAIT, "the device's own retry (at once, wire.md)");
  /* a report first: the device has taken the answer before time moves */
  agent_go(fx, "q");
  long v[3];
  report(fx, v, 3);
  for (int i = 0; i < 7; i++)
    impcert_clock_advance(fx, 10000);
  agent_go(fx, "q");
  report(fx, v, 3);
  IMPCERT_CHECK_MSG(fx, v[0] == 0, "the handler was called %ld times for "
                                   "a loss repaired in a second", v[0]);
}

/* NET-020: under SUSPEND_ON_ERROR the handler is never called. */
static void unexpected_not_suspend(impcert_fx *fx) {
  deploy_still(fx, UNEXPECTED_CODE("SUSPEND_ON_ERROR"));
  cloud_gone(fx);
  for (int i = 0; i < 7; i++)
    impcert_clock_advance(fx, 10000);
  impcert_clock_advance(fx, 500); /* between two rounds of ports */
  cloud_back(fx);
  stepped_reconnect(fx, "SUSPEND_ON_ERROR reconnecting by itself");
  agent_go(fx, "q");
  long v[3];
  report(fx, v, 3);
  IMPCERT_CHECK_MSG(fx, v[0] == 0, "the handler was called %ld times "
                                   "under SUSPEND_ON_ERROR", v[0]);
}

/* ---- regressions ---------------------------------------------------------- */

/* REG-049 (impOS 36.x): server.disconnect() and server.connect() in a
** tight loop do not crash the device; a last connect works. */
static void connect_loop(impcert_fx *fx) {
  deploy(fx, "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, "
             "10);\n"
             "imp.wakeup(0.2, function() {\n"
             "  for (local i = 0; i < 200; i++) {\n"
             "    server.disconnect();\n"
             "    server.connect(function(r) {}, 5);\n"
             "  }\n"
             "  server.disconnect();\n"
             "  server.connect(function(r) { server.log(\"R \" + r); }, 10);\n"
             "});\n");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  reconnected(fx, WAIT, "the last server.connect()");
  long v[1];
  report(fx, v, 1);
  IMPCERT_CHECK_MSG(fx, v[0] == 5, "the last connect callback got %ld",
                    v[0]);
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx), "the device stopped");
}

/* REG-050 (impOS 36.x): large agent.send() transfers arrive whole: 24
** messages of 8 KiB each with a bigger send buffer, in order. */
static void large_transfers(impcert_fx *fx) {
  deploy(fx, "imp.setsendbuffersize(30000);\n"
             "local s = \"\";\n"
             "for (local i = 0; i < 1024; i++) s += \"abcdefgh\";\n"
             "for (local k = 0; k < 24; k++) agent.send(\"big\", k + s);\n");
  for (int k = 0; k < 24; k++) {
    const Impwire__AgentMessage *m =
        impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
            ->agent_message;
    const Impwire__Value *v = m->data;
    IMPCERT_REQUIRE(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_STR);
    char head[8];
    int hl = snprintf(head, sizeof head, "%d", k);
    size_t len = strlen(v->str);
    IMPCERT_CHECK_MSG(fx, len == (size_t)hl + 8192 &&
                              strncmp(v->str, head, (size_t)hl) == 0,
                      "message %d arrived as %zu bytes starting '%.8s'", k,
                      len, v->str);
    bool intact = true;
    for (size_t i = (size_t)hl; i < len; i++)
      if (v->str[i] != "abcdefgh"[(i - (size_t)hl) % 8])
        intact = false;
    IMPCERT_CHECK_MSG(fx, intact, "message %d is damaged", k);
  }
}

static const struct impcert_case cases[] = {
    {"SEND-DEFAULT", "default policy: sends return 0, no Ack asked, a send "
                     "reconnects",
     "SEND-001,SEND-002", "send", "jig,squirrel", 0, defaults},
    {"SEND-SUSPEND", "SUSPEND_ON_ERROR: a send blocks until the session is "
                     "back, then goes",
     "SEND-011", "send", "jig,squirrel", 0, suspend_blocks},
    {"SEND-BUFBOOT", "the send buffer is 3456 again after a warm boot",
     "SEND-023", "send", "jig,squirrel,deep-sleep", 0, buffer_after_boot},
    {"SEND-FILL", "NO_DISCONNECT: a full buffer gives WOULDBLOCK at once, "
                  "tcpsendfree shows it",
     "SEND-014,SEND-025,SEND-015,SEND-013", "send", "jig,squirrel", 0,
     fill_wouldblock},
    {"SEND-FILL-ORDER", "NO_DISCONNECT: what was queued arrives once, whole, "
                        "in order",
     "SEND-014,SEND-005,REG-050", "send", "jig,squirrel", 0,
     fill_lines_intact},
    {"SEND-TIMEOUT", "RETURN_ON_ERROR: a full buffer blocks for the timeout, "
                     "then TIMEOUT and offline",
     "SEND-007,SEND-009,SEND-010,SEND-017", "send", "jig,squirrel", 0,
     return_timeout},
    {"SEND-LOST", "RETURN_ON_ERROR: a session lost during a blocked send "
                  "gives DISCONNECTED",
     "SEND-008,SEND-009", "send", "jig,squirrel", 0, return_disconnected},
    {"SEND-FLUSH", "server.flush(): false while the cloud does not read, "
                   "true after",
     "SEND-024", "send", "jig,squirrel", 0, flush},
    {"SEND-ACK", "WAIT_FOR_ACK: agent.send waits for its Ack, else TIMEOUT",
     "SEND-018,SEND-019,SEND-002", "send", "jig,squirrel", 0, wait_for_ack},
    {"NET-CONNECT", "server.connect: replaced callback, NO_SERVER after the "
                    "timeout, timers run",
     "NET-009,NET-010,NET-017,NET-021", "net,send", "jig,squirrel", 0,
     connect_timeout},
    {"NET-SUSPENDCONNECT", "SUSPEND_ON_ERROR: server.connect blocks, "
                           "arguments ignored",
     "NET-011", "net,send", "jig,squirrel", 0, suspend_connect},
    {"NET-ISCONNECTED", "disconnect: isconnected and net.info().active "
                        "follow; a log reconnects",
     "NET-012,NET-013,NET-015,NET-016", "net,send", "jig,squirrel", 0,
     disconnect_isconnected},
    {"NET-EXPECTONLINE", "server.expectonlinein returns 0 and disconnects",
     "NET-024", "net,send", "jig,squirrel", 0, expect_online},
    {"NET-UNACTIVATED", "an Unactivated device does not contact the cloud",
     "NET-025", "net", "", 0, unactivated_silent},
    {"TIME-SEND-012", "SUSPEND_ON_ERROR: a minute of tries, then nine "
                      "minutes of deep sleep",
     "SEND-012", "send,time", "jig,squirrel,virtual-clock,deep-sleep", 0,
     suspend_sleeps},
    {"TIME-NET-018", "RETURN_ON_ERROR: onunexpecteddisconnect after 60 s "
                     "offline",
     "NET-018", "net,time", "jig,squirrel,virtual-clock", 0,
     unexpected_after_minute},
    {"TIME-NET-019", "RETURN_ON_ERROR: a loss repaired within 60 s calls "
                     "no handler",
     "NET-019", "net,time", "jig,squirrel,virtual-clock", 0,
     unexpected_not_when_back},
    {"TIME-NET-020", "SUSPEND_ON_ERROR: onunexpecteddisconnect is never "
                     "called",
     "NET-020", "net,time", "jig,squirrel,virtual-clock", 0,
     unexpected_not_suspend},
    {"REG-049", "impOS 36.x: disconnect/connect in a tight loop does not "
                "crash",
     "REG-049", "regress,net", "jig,squirrel", 0, connect_loop},
    {"REG-050", "impOS 36.x: large agent.send transfers arrive whole",
     "REG-050", "regress,send", "jig,squirrel", 0, large_transfers},
};

IMPCERT_PLUGIN("sendpolicy", cases)
