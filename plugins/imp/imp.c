/*
** imp.c: conformance tests of the `imp` object's own calls seen from
** deployed code: imp.sleep(), imp.net.info() and imp.getmemoryfree()
** (research imp-api, sections 4 and 5). The code reports with
** server.log() and agent.send(). Requirement IDs: specs/requirements.md.
*/
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0010-imp"
#define TOKEN "token-imp-4242"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

/* BlinkUp, activate, and deploy `code` in step 4. */
static void deploy(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "impcert-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
}

/* The text after `prefix` of the next Log starting with it, or the test
** fails naming `what`. Other frames are skipped. */
static const char *log_after(impcert_fx *fx, const char *prefix,
                             const char *what) {
  size_t n = strlen(prefix);
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_FAIL_NOW(fx, "no Log '%s...' (%s) within %d ms", prefix, what,
                       WAIT);
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        strncmp(e->log->text, prefix, n) == 0)
      return e->log->text + n;
  }
}

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

static bool is_ipv4(const Impwire__Value *v) {
  struct in_addr a;
  return v && v->kind_case == IMPWIRE__VALUE__KIND_STR &&
         inet_pton(AF_INET, v->str, &a) == 1;
}

/* API-008: imp.sleep(0.5) blocks Squirrel for 500 ms of device time: a
** timer due during it waits, and hardware.millis() has moved on 500 ms
** when it returns (and not seconds more). */
static void sleep_blocks(impcert_fx *fx) {
  deploy(fx, "imp.wakeup(0.1, function() {"
             "  server.log(\"impcert-timer\"); });\n"
             "server.log(\"impcert-start\");\n"
             "local t0 = hardware.millis();\n"
             "imp.sleep(0.5);\n"
             "server.log(\"impcert-slept \" + (hardware.millis() - t0));\n");
  /* the sleep has begun: its 500 ms (and 100 more) as device time */
  log_after(fx, "impcert-start", "before imp.sleep");
  impcert_device_wait(fx, 600);
  const char *s = log_after(fx, "impcert-", "after imp.sleep");
  IMPCERT_REQUIRE(fx, strncmp(s, "slept ", 6) == 0 ||
                          strcmp(s, "timer") == 0);
  if (strcmp(s, "timer") == 0)
    IMPCERT_FAIL_NOW(fx, "a timer due after 100 ms ran while imp.sleep(0.5) "
                         "should have held Squirrel");
  long ms = strtol(s + 6, NULL, 10);
  IMPCERT_CHECK_MSG(fx, ms >= 500,
                    "imp.sleep(0.5) returned after %ld ms of device time",
                    ms);
  /* a generous bound: the DUT may be slow, but not ten times off */
  IMPCERT_CHECK_MSG(fx, ms < 5000,
                    "imp.sleep(0.5) took %ld ms of device time", ms);
  log_after(fx, "impcert-timer", "the timer after the sleep");
}

/* API-010: imp.net.info() while online: interface, an array of tables
** each with a type, and ipv4 with address, netmask, gateway and
** dnsserver (one address or an array of them). */
static void net_info(impcert_fx *fx) {
  deploy(fx, "agent.send(\"impcert-net\", imp.net.info());");
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  const Impwire__Value *info = m->data;
  IMPCERT_REQUIRE(fx, info && info->kind_case == IMPWIRE__VALUE__KIND_TABLE);
  const Impwire__Value *ifs = slot(info, "interface");
  IMPCERT_CHECK_MSG(fx, ifs && ifs->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                            ifs->array->n_items >= 1,
                    "imp.net.info().interface is not an array of at least "
                    "one interface");
  if (ifs && ifs->kind_case == IMPWIRE__VALUE__KIND_ARRAY)
    for (size_t i = 0; i < ifs->array->n_items; i++) {
      const Impwire__Value *t = slot(ifs->array->items[i], "type");
      IMPCERT_CHECK_MSG(fx, t && t->kind_case == IMPWIRE__VALUE__KIND_STR &&
                                (!strcmp(t->str, "wifi") ||
                                 !strcmp(t->str, "ethernet") ||
                                 !strcmp(t->str, "cell")),
                        "interface %zu has no type wifi, ethernet or cell",
                        i);
    }
  const Impwire__Value *ip = slot(info, "ipv4");
  if (impcert_dut_cellular(fx)) {
    /* a cellular device holds no IP address of its own to show: no ipv4
    ** on impC001 (research imp-api 5; NET-027 checks it) */
    impcert_note(fx, "cellular device: ipv4 not expected");
    return;
  }
  IMPCERT_REQUIRE(fx, ip != NULL);
  IMPCERT_CHECK_MSG(fx, is_ipv4(slot(ip, "address")),
                    "ipv4.address is not a dotted IPv4 address");
  IMPCERT_CHECK_MSG(fx, is_ipv4(slot(ip, "netmask")),
                    "ipv4.netmask is not a dotted IPv4 address");
  IMPCERT_CHECK_MSG(fx, is_ipv4(slot(ip, "gateway")),
                    "ipv4.gateway is not a dotted IPv4 address");
  const Impwire__Value *dns = slot(ip, "dnsserver");
  bool dns_ok = is_ipv4(dns);
  if (dns && dns->kind_case == IMPWIRE__VALUE__KIND_ARRAY) {
    dns_ok = dns->array->n_items >= 1;
    for (size_t i = 0; i < dns->array->n_items; i++)
      dns_ok = dns_ok && is_ipv4(dns->array->items[i]);
  }
  IMPCERT_CHECK_MSG(fx, dns_ok, "ipv4.dnsserver is neither an IPv4 address "
                                "nor an array of them");
}

/* API-011: imp.getmemoryfree() is a positive integer that falls by at
** least half of what the code then keeps allocated (64 blobs of 256
** bytes, 16 KiB). */
static void memory_free_falls(impcert_fx *fx) {
  deploy(fx, "local before = imp.getmemoryfree();\n"
             "local keep = [];\n"
             "for (local i = 0; i < 64; i++) keep.append(blob(256));\n"
             "local after = imp.getmemoryfree();\n"
             "server.log(\"impcert-mem \" + typeof before + \" \" + before +"
             " \" \" + after + \" \" + keep.len());\n");
  const char *s = log_after(fx, "impcert-mem ", "imp.getmemoryfree()");
  char type[16] = "";
  long before = 0, after = 0, kept = 0;
  IMPCERT_REQUIRE(fx, sscanf(s, "%15s %ld %ld %ld", type, &before, &after,
                             &kept) == 4);
  IMPCERT_CHECK_MSG(fx, strcmp(type, "integer") == 0,
                    "imp.getmemoryfree() is a %s, not an integer", type);
  IMPCERT_CHECK_MSG(fx, before > 0, "imp.getmemoryfree() gave %ld", before);
  IMPCERT_CHECK_MSG(fx, before - after >= 64 * 256 / 2,
                    "keeping 16384 bytes of blobs moved imp.getmemoryfree() "
                    "from %ld to %ld", before, after);
}

/* API-009: imp.deepsleepfor() does not flush. The cloud stops reading;
** the code sends (RETURN_ON_ERROR_NO_DISCONNECT) until nothing has gone
** for 400 ms, so that the data pending on the device can no longer drain
** into the loopback's own buffers (which acknowledge whatever fits), and
** then calls imp.deepsleepfor(): the device must go to sleep at once, not
** wait the 30 s send timeout for the data to drain (server.sleepfor()
** would). */
static void deepsleep_does_not_flush(impcert_fx *fx) {
  deploy(fx, "server.setsendtimeoutpolicy(RETURN_ON_ERROR_NO_DISCONNECT,"
             " WAIT_TIL_SENT, 30);\n"
             "local b = blob(1000), stuck = 0;\n"
             "function fill() {\n"
             "  while (agent.send(\"impcert-fill\", b) == 0) stuck = 0;\n"
             "  if (++stuck < 40) { imp.wakeup(0.01, fill); return; }\n"
             "  imp.deepsleepfor(60);\n"
             "}\n"
             "agent.on(\"impcert-go\", function(d) { fill(); });\n"
             "server.log(\"impcert-ready\");\n");
  log_after(fx, "impcert-ready", "the code's first Log");
  impcert_cloud_pause(fx, true);
  Impwire__AgentMessage am = IMPWIRE__AGENT_MESSAGE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  am.name = "impcert-go";
  env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  env.agent_message = &am;
  IMPCERT_REQUIRE(fx, impcert_send(fx, &env) == 0);
  IMPCERT_CHECK_MSG(fx, impcert_jig_next(fx,
                        IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP, 15000) != NULL,
                    "the device did not go to deep sleep within 15 s while "
                    "its sends could not drain: imp.deepsleepfor() waited "
                    "for them");
}

static const struct impcert_case cases[] = {
    {"API-009", "imp.deepsleepfor() sleeps at once with data pending",
     "API-009", "api,sleep", "jig,squirrel,deep-sleep", 0,
     deepsleep_does_not_flush},
    {"API-008", "imp.sleep() holds Squirrel for that much device time",
     "API-008", "api,time", "jig,squirrel", 0, sleep_blocks},
    {"API-010", "imp.net.info(): interfaces with types, ipv4 addresses",
     "API-010", "api,net", "jig,squirrel", 0, net_info},
    {"API-011", "imp.getmemoryfree() is positive and falls on allocation",
     "API-011", "api", "jig,squirrel", 0, memory_free_falls},
};

IMPCERT_PLUGIN("imp", cases)
