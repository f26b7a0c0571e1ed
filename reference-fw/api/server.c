/*
** server.c: the `server` and `agent` objects: logs and agent messages to
** the cloud through host->send, the send timeout policy, connect and
** disconnect, deep sleep through the server, restart and the shutdown
** handler (seeds/002), and their constants (specs/constants.md).
*/
#include "api/api_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/value.h"
#include "core/frame.h"
#include "core/rf.h"

#define MAX_SLEEP_S 2419198 /* WAKE-019 */

static void deep_sleep(struct api *a, uint64_t wake_at, bool snooze,
                       const char *why);

/* Seconds (already checked >= 0) to host milliseconds, at most a day. */
static uint32_t ms_of(float s) {
  return s >= 86400.0f ? 86400000u : (uint32_t)lroundf(s * 1000.0f);
}

/* Send one Envelope under the policy; returns the send error code.
** The host does the waiting the policy asks for (specs/constants.md
** "Send policies"). A message larger than the whole send buffer can
** never fit: under RETURN_ON_ERROR_NO_DISCONNECT it returns
** SEND_ERROR_WOULDBLOCK at once [SEND-013, SEND-016]. seq: the Ack a
** WAIT_FOR_ACK agent.send awaits (0: none). */
int api_send(struct api *a, Impwire__Envelope *env, uint32_t seq) {
  struct api_send_policy pol = {
      .error = (enum api_error_policy)a->policy.error,
      .wait_for_ack = a->policy.wait == 1,
      .timeout_ms = ms_of(a->policy.timeout_s),
      .buffer = a->send_buffer, .seq = seq};
  if (a->policy.error == API_RETURN_ON_ERROR_NO_DISCONNECT &&
      impwire__envelope__get_packed_size(env) > a->send_buffer)
    return API_SEND_ERROR_WOULDBLOCK;
  int rc = a->host.send(a->host.ctx, env, &pol);
  if (rc == API_SEND_SLEEP) {
    /* [SEND-012] no server for a minute: sleep nine, then try again */
    deep_sleep(a, api_now(a) + API_SUSPEND_SLEEP_MS, true,
               "SUSPEND_ON_ERROR: no server for a minute");
    return API_SEND_OK; /* the VM stops: nobody sees it */
  }
  return rc;
}

static int send_env(struct api *a, Impwire__Envelope *env) {
  return api_send(a, env, 0);
}

static int send_log(sq_vm *vm, Impwire__Log__Level level) {
  struct api *a = API_OF(vm);
  if (a->stopped)
    return 0;
  if (sq_tostring(vm, 2) != SQ_OK)
    return -1;
  size_t len;
  const char *s = sq_tostr(vm, -1, &len);
  Impwire__Log log = IMPWIRE__LOG__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  log.level = level;
  log.text = (char *)s;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_LOG;
  env.log = &log;
  sq_pushint(vm, send_env(a, &env));
  return 1;
}

/* server.log(message): SEND-003 */
static int server_log(sq_vm *vm) {
  return send_log(vm, IMPWIRE__LOG__LEVEL__LOG);
}
static int server_error(sq_vm *vm) {
  return send_log(vm, IMPWIRE__LOG__LEVEL__ERROR);
}

static int server_isconnected(sq_vm *vm) {
  struct api *a = API_OF(vm);
  sq_pushbool(vm, a->host.is_connected(a->host.ctx));
  return 1;
}

/* server.connect([callback[, timeout]]) [NET-008..011]: under
** SUSPEND_ON_ERROR it blocks until connected, ignoring its arguments;
** otherwise it returns at once and the callback gets the outcome (a
** second call replaces the callback and restarts the timeout). */
static int server_connect(sq_vm *vm) {
  struct api *a = API_OF(vm);
  int n = sq_gettop(vm);
  float t = API_CONNECT_TIMEOUT_MS / 1000.0f;
  if (a->stopped)
    return 0;
  if (n >= 2 && sq_gettype(vm, 2) != SQ_TNULL &&
      sq_gettype(vm, 2) != SQ_TCLOSURE && sq_gettype(vm, 2) != SQ_TNATIVE)
    return sq_error(vm, "server.connect: the callback must be a function");
  if (n >= 3 && sq_checkfloat(vm, 3, &t) < 0)
    return sq_error(vm, "server.connect: the timeout must be a number");
  if (!(t >= 0 && t <= 86400))
    return sq_error(vm, "server.connect: timeout must be 0 to 86400 s");
  if (a->policy.error == API_SUSPEND_ON_ERROR) {
    if (!a->host.is_connected(a->host.ctx) &&
        !a->host.connect(a->host.ctx, API_SUSPEND_RETRY_MS, true))
      deep_sleep(a, api_now(a) + API_SUSPEND_SLEEP_MS, true,
                 "SUSPEND_ON_ERROR: no server for a minute");
    return 0;
  }
  if (n >= 2)
    api_setref(a, &a->connect_cb, 2);
  if (a->host.is_connected(a->host.ctx)) {
    /* already connected: the callback still learns the state */
    if (a->connect_cb >= 0) {
      struct api_pending p = {.fn = a->connect_cb, .arg = -1,
                              .has_int = true,
                              .int_arg = API_SERVER_CONNECTED};
      a->connect_cb = -1;
      api_queue(a, &p);
    }
    return 0;
  }
  a->connect_wanted = true;
  a->host.connect(a->host.ctx, ms_of(t), false);
  return 0;
}

static int server_disconnect(sq_vm *vm) {
  struct api *a = API_OF(vm);
  if (a->stopped)
    return 0;
  a->was_connected = false;
  a->host.disconnect(a->host.ctx);
  return 0;
}

/* server.expectonlinein(seconds) [NET-024]: tell the cloud (nothing on
** wire edition 1: decided in constants.md), then disconnect; returns 0,
** or SEND_ERROR_NOT_CONNECTED when there was no session. */
static int server_expectonlinein(sq_vm *vm) {
  struct api *a = API_OF(vm);
  float t;
  if (sq_checkfloat(vm, 2, &t) < 0)
    return -1;
  if (!(t >= 0 && t <= MAX_SLEEP_S))
    return sq_error(vm, "server.expectonlinein: seconds must be 0 to %d",
                    MAX_SLEEP_S);
  bool up = a->host.is_connected(a->host.ctx);
  if (!a->stopped) {
    a->was_connected = false;
    a->host.disconnect(a->host.ctx);
  }
  sq_pushint(vm, up ? API_SEND_OK : API_SEND_ERROR_NOT_CONNECTED);
  return 1;
}

/* server.flush(timeout) [SEND-024]: true once everything sent has been
** acknowledged within the timeout; false leaves the session up. */
static int server_flush(sq_vm *vm) {
  struct api *a = API_OF(vm);
  float t;
  if (sq_checkfloat(vm, 2, &t) < 0 ||
      api_bt_no_suspend(vm, "server.flush") < 0)
    return -1;
  if (!(t >= 0 && t <= 86400))
    return sq_error(vm, "server.flush: timeout must be 0 to 86400 s");
  if (!a->host.is_connected(a->host.ctx))
    sq_pushbool(vm, false);
  else if (a->host.flush)
    sq_pushbool(vm, a->host.flush(a->host.ctx, ms_of(t)));
  else
    sq_pushbool(vm, true);
  return 1;
}

/* Deep sleep until host time wake_at (server.* flushes first); snooze:
** the SUSPEND_ON_ERROR back-off, which wakes as WAKEREASON_SNOOZE
** [WAKE-011]. */
static void deep_sleep(struct api *a, uint64_t wake_at, bool snooze,
                       const char *why) {
  char err[128] = "";
  struct api_request r = {.kind = API_REQ_DEEP_SLEEP, .wake_at_ms = wake_at,
                          .snooze = snooze, .why = why};
  for (size_t i = 0; i < a->board->npins; i++)
    if (a->pins[i].def->caps & BOARD_CAP_WAKE && a->pins[i].mode == 4)
      r.wake_pin_armed = true;
  rf_free(a->req_nv);
  a->req_nv = api_nv_save(a, &r.nv_len, err, sizeof err);
  r.nv = a->req_nv;
  if (err[0]) {
    struct api_event ev = {.kind = API_EV_PRINT, .text = err};
    a->host.observe(a->host.ctx, &ev);
  }
  api_stop(a, &r);
}

/* Seconds argument of the sleep calls: 0 .. MAX_SLEEP_S. */
static int sleep_seconds(sq_vm *vm, int idx, const char *fn, double *s) {
  float f;
  if (sq_checkfloat(vm, idx, &f) < 0)
    return -1;
  if (!(f >= 0 && f <= MAX_SLEEP_S))
    return sq_error(vm, "%s: seconds must be 0 to %d", fn, MAX_SLEEP_S);
  *s = f;
  return 0;
}

/* imp005 has no deep sleep (research imp-api 2.10): the calls throw
** there (decided in specs/constants.md). */
static int check_deep_sleep(sq_vm *vm, const char *fn) {
  struct api *a = API_OF(vm);
  if (!a->board->deep_sleep)
    return sq_error(vm, "%s: %s has no deep sleep", fn, a->board->name);
  return 0;
}

int api_sleepfor(sq_vm *vm, const char *fn) {
  struct api *a = API_OF(vm);
  double s = 0;
  if (check_deep_sleep(vm, fn) < 0 || sleep_seconds(vm, 2, fn, &s) < 0)
    return -1;
  if (a->stopped)
    return 0;
  deep_sleep(a, api_now(a) + (uint64_t)llround(s * 1000.0), false, fn);
  return 0;
}

/* hour, minute[, second[, dayOfWeek]] in UTC from the RTC. */
int api_sleepuntil(sq_vm *vm, const char *fn) {
  struct api *a = API_OF(vm);
  int32_t h, m, s = 0, dow = -1;
  int n = sq_gettop(vm);
  if (check_deep_sleep(vm, fn) < 0)
    return -1;
  if (sq_checkint(vm, 2, &h) < 0 || sq_checkint(vm, 3, &m) < 0 ||
      (n >= 4 && sq_checkint(vm, 4, &s) < 0) ||
      (n >= 5 && sq_checkint(vm, 5, &dow) < 0))
    return -1;
  if (h < 0 || h > 23 || m < 0 || m > 60 || s < 0 || s > 60 || dow < -1 ||
      dow > 6)
    return sq_error(vm, "%s: bad time %d:%d:%d day %d", fn, (int)h, (int)m,
                    (int)s, (int)dow);
  if (a->stopped)
    return 0;
  uint64_t now = api_now(a);
  uint64_t rtc_s = (a->cfg.rtc_unix_ms + (now - a->boot_ms)) / 1000;
  uint64_t day = rtc_s / 86400, target = 0;
  for (uint64_t d = day; d < day + 8; d++) {
    uint64_t t = d * 86400 + (uint64_t)h * 3600 + (uint64_t)m * 60 +
                 (uint64_t)s;
    int wd = (int)((d + 4) % 7); /* 1 Jan 1970 was a Thursday */
    if (t > rtc_s && (dow < 0 || wd == dow)) {
      target = t;
      break;
    }
  }
  deep_sleep(a, now + (target - rtc_s) * 1000, false, fn);
  return 0;
}

static int server_sleepfor(sq_vm *vm) {
  return api_sleepfor(vm, "server.sleepfor");
}
static int server_sleepuntil(sq_vm *vm) {
  return api_sleepuntil(vm, "server.sleepuntil");
}

/* server.restart(): POLITE-007 */
static int server_restart(sq_vm *vm) {
  struct api *a = API_OF(vm);
  if (a->stopped)
    return 0;
  Impwire__Restart rs = IMPWIRE__RESTART__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_RESTART;
  env.restart = &rs;
  send_env(a, &env);
  struct api_request r = {.kind = API_REQ_RESTART,
                          .why = "server.restart()"};
  api_stop(a, &r);
  return 0;
}

static int check_handler(sq_vm *vm, int idx, const char *fn) {
  enum sq_type t = sq_gettype(vm, idx);
  if (t != SQ_TNULL && t != SQ_TCLOSURE && t != SQ_TNATIVE)
    return sq_error(vm, "%s: the handler must be a function or null", fn);
  return 0;
}

static int server_onshutdown(sq_vm *vm) {
  struct api *a = API_OF(vm);
  if (check_handler(vm, 2, "server.onshutdown") < 0)
    return -1;
  api_setref(a, &a->onshutdown, 2);
  return 0;
}

static int server_onunexpecteddisconnect(sq_vm *vm) {
  struct api *a = API_OF(vm);
  if (check_handler(vm, 2, "server.onunexpecteddisconnect") < 0)
    return -1;
  api_setref(a, &a->onunexpected, 2);
  return 0;
}

/* server.setsendtimeoutpolicy(error, wait, timeout): SEND-029 */
static int server_setsendtimeoutpolicy(sq_vm *vm) {
  struct api *a = API_OF(vm);
  int32_t e, w;
  float t;
  if (sq_checkint(vm, 2, &e) < 0 || sq_checkint(vm, 3, &w) < 0 ||
      sq_checkfloat(vm, 4, &t) < 0)
    return -1;
  if (e < 0 || e > 2)
    return sq_error(vm, "server.setsendtimeoutpolicy: unknown error "
                        "policy %d", (int)e);
  if (w < 0 || w > 1)
    return sq_error(vm, "server.setsendtimeoutpolicy: unknown wait "
                        "policy %d", (int)w);
  if (!(t >= 0))
    return sq_error(vm, "server.setsendtimeoutpolicy: negative timeout");
  a->policy.error = e;
  a->policy.wait = w;
  a->policy.timeout_s = t;
  return 0;
}

/* agent.send(name, data): SEND-004, SEND-028 */
static int agent_send(sq_vm *vm) {
  struct api *a = API_OF(vm);
  const char *name;
  size_t len;
  char why[200];
  if (sq_checkstr(vm, 2, &name, &len) < 0)
    return -1;
  if (a->stopped)
    return 0;
  Impwire__Value *v = value_from_sq(vm, 3, why, sizeof why);
  if (!v)
    return sq_error(vm, "agent.send: %s", why);
  Impwire__AgentMessage m = IMPWIRE__AGENT_MESSAGE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  m.name = (char *)name;
  m.data = v;
  if (a->policy.wait == 1) { /* WAIT_FOR_ACK: SEND-018 */
    m.has_seq = true;
    m.seq = ++a->ack_seq;
  }
  env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  env.agent_message = &m;
  /* [WIRE-011] a message too long for one frame (a blob shared by several
  ** slots is sent once per slot) is not sent: the call throws and the
  ** session stays up */
  size_t n = impwire__envelope__get_packed_size(&env);
  if (n > FRAME_WIRE_MAX) {
    value_free(v);
    return sq_error(vm, "agent.send: the message is %zu bytes, over the "
                        "frame maximum of %u", n, FRAME_WIRE_MAX);
  }
  int rc = api_send(a, &env, m.has_seq ? m.seq : 0);
  value_free(v);
  sq_pushint(vm, rc);
  return 1;
}

/* agent.on(name, callback): SEND-027 (a second one replaces the first);
** a null callback removes the handler. */
static int agent_on(sq_vm *vm) {
  struct api *a = API_OF(vm);
  const char *name;
  size_t len;
  if (sq_checkstr(vm, 2, &name, &len) < 0 ||
      check_handler(vm, 3, "agent.on") < 0)
    return -1;
  struct api_handler *h = NULL, *free_slot = NULL;
  for (int i = 0; i < API_MAX_HANDLERS; i++) {
    if (a->handlers[i].name && strcmp(a->handlers[i].name, name) == 0)
      h = &a->handlers[i];
    else if (!a->handlers[i].name && !free_slot)
      free_slot = &a->handlers[i];
  }
  if (sq_gettype(vm, 3) == SQ_TNULL) {
    if (h) {
      sq_unref(vm, h->fn);
      rf_free(h->name);
      h->name = NULL;
    }
    return 0;
  }
  if (!h) {
    if (!free_slot)
      return sq_error(vm, "agent.on: more than %d handlers",
                      API_MAX_HANDLERS);
    h = free_slot;
    if (!(h->name = rf_malloc(len + 1)))
      return sq_error(vm, "out of memory");
    memcpy(h->name, name, len + 1);
    h->fn = -1;
  }
  if (h->fn >= 0)
    sq_unref(vm, h->fn);
  h->fn = sq_ref(vm, 3);
  return 0;
}

static const struct sq_reg server_fns[] = {
    {"log", server_log, 2},
    {"error", server_error, 2},
    {"isconnected", server_isconnected, 1},
    {"connect", server_connect, -1},
    {"disconnect", server_disconnect, 1},
    {"expectonlinein", server_expectonlinein, 2},
    {"flush", server_flush, 2},
    {"sleepfor", server_sleepfor, 2},
    {"sleepuntil", server_sleepuntil, -3},
    {"restart", server_restart, 1},
    {"onshutdown", server_onshutdown, 2},
    {"onunexpecteddisconnect", server_onunexpecteddisconnect, 2},
    {"setsendtimeoutpolicy", server_setsendtimeoutpolicy, 4},
    {NULL, NULL, 0}};

static const struct sq_reg agent_fns[] = {
    {"send", agent_send, 3}, {"on", agent_on, 3}, {NULL, NULL, 0}};

static const struct api_const server_consts[] = {
    {"SEND_ERROR_NOT_CONNECTED", API_SEND_ERROR_NOT_CONNECTED},
    {"SEND_ERROR_TIMEOUT", API_SEND_ERROR_TIMEOUT},
    {"SEND_ERROR_DISCONNECTED", API_SEND_ERROR_DISCONNECTED},
    {"SEND_ERROR_WOULDBLOCK", API_SEND_ERROR_WOULDBLOCK},
    {"NOT_CONNECTED", 0}, {"NO_WIFI", 1}, {"NO_LINK", 1},
    {"NO_IP_ADDRESS", 2}, {"NOT_RESOLVED", 3}, {"NO_SERVER", 4},
    {"SERVER_CONNECTED", 5}, {"NO_PROXY", 6}, {"NOT_AUTHORISED", 7},
    {"NO_MODEM", 8}, {"SIM_ERROR", 9}, {"NO_REGISTRATION", 10},
    {"REGISTRATION_DENIED", 11},
    {"SUSPEND_ON_ERROR", 0}, {"RETURN_ON_ERROR", 1},
    {"RETURN_ON_ERROR_NO_DISCONNECT", 2},
    {"WAIT_TIL_SENT", 0}, {"WAIT_FOR_ACK", 1},
    {"SHUTDOWN_NEWSQUIRREL", 1}, {"SHUTDOWN_NEWFIRMWARE", 2},
    {"SHUTDOWN_OTHER", 3},
    {NULL, 0}};

int api_server_open(struct api *a) {
  int st;
  if ((st = api_newlib(a, "server", server_fns)) != SQ_OK ||
      (st = api_newlib(a, "agent", agent_fns)) != SQ_OK)
    return st;
  return api_setconsts(a, server_consts);
}
