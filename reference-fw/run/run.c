/*
** run.c: the `refimp run` driver: command line, the virtual clock, the
** stand-in cloud (the api_host of this mode), scheduled outside events
** (--send, --wake-pin-at, --power-cycle-at) and the boots: cold, warm
** (deep sleep), restarts after errors, resets and power cycles.
*/
#include "run/run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/board.h"
#include "api/value.h"
#include "core/rf.h"
#include "run/json.h"
#include "sq.h"

#define MAX_EVENTS 256
#define MAX_BOOTS 1000          /* a program that keeps failing ends here */
#define ERROR_RESTART_MS 1000u  /* device time an error restart takes */
#define WAKE_PULSE_MS 10u       /* --wake-pin-at drives the pin this long */
#define DEFAULT_FOR_MS (86400ull * 1000ull) /* one device day */
#define RUN_EPOCH_MS 1767225600000ull /* RTC at the start: 2026-01-01 UTC */

enum ext_kind {
  EXT_SEND, EXT_WAKE_PIN, EXT_WAKE_PIN_LOW, EXT_POWER_CYCLE, EXT_RELOAD
};

struct ext {
  uint64_t at;
  enum ext_kind kind;
  char *name;               /* EXT_SEND */
  Impwire__Value *data;     /* EXT_SEND */
  size_t order;
};

struct run {
  uint8_t *spiflash;       /* hardware.spiflash's user area, or NULL */
  uint32_t spiflash_size;
  const char *path;
  const char *board;
  bool json;
  uint64_t for_ms;
  uint64_t now;
  struct ext ext[MAX_EVENTS];
  size_t next_ext, next_order;
  size_t n_ext;
  struct api *api;
  bool connected;
  uint32_t boots;
  bool unhandled;           /* an uncaught error without a handler */
  bool reload_deferred;     /* a shutdown handler took a --reload-at */
  /* retained */
  uint8_t *nv;
  size_t nv_len;
  uint8_t userconf[API_USERCONF_MAX];
  int userconf_len;         /* -1: none */
  /* the request the code made */
  bool have_req;
  struct api_request req;
  uint8_t *req_nv;
  char req_why[128];
};

/* ---- output ------------------------------------------------------------- */

static void stamp(struct run *r, const char *event) {
  unsigned long long s = r->now / 1000, ms = r->now % 1000;
  if (r->json)
    printf("{\"t\":%llu.%03llu,\"event\":\"%s\"", s, ms, event);
  else
    printf("%llu.%03llu %s", s, ms, event);
}

static void end_line(void) { fputc('\n', stdout); }

/* One field: text mode prints " value" (or " key=value"), JSON ,"key":v */
static void field_str(struct run *r, const char *key, const char *v,
                      bool keyed) {
  if (r->json) {
    printf(",\"%s\":", key);
    json_write_string(stdout, v, strlen(v));
  } else if (keyed) {
    printf(" %s=%s", key, v);
  } else {
    printf(" %s", v);
  }
}

static void field_num(struct run *r, const char *key, const char *num) {
  if (r->json)
    printf(",\"%s\":%s", key, num);
  else
    printf(" %s=%s", key, num);
}

static void field_value(struct run *r, const char *key,
                        const Impwire__Value *v) {
  if (r->json)
    printf(",\"%s\":", key);
  else
    fputc(' ', stdout);
  json_write(stdout, v);
}

static void simple(struct run *r, const char *event) {
  stamp(r, event);
  if (r->json)
    fputc('}', stdout);
  end_line();
}

static void close_line(struct run *r) {
  if (r->json)
    fputc('}', stdout);
  end_line();
}

static const char *const wake_names[] = {
    "WAKEREASON_POWER_ON", "WAKEREASON_TIMER", "WAKEREASON_SW_RESET",
    "WAKEREASON_PIN", "WAKEREASON_NEW_SQUIRREL", "WAKEREASON_SQUIRREL_ERROR",
    "WAKEREASON_NEW_FIRMWARE", "WAKEREASON_SNOOZE", "WAKEREASON_HW_RESET",
    "WAKEREASON_BLINKUP", "WAKEREASON_SW_RESTART",
    "WAKEREASON_POWER_RESTORED"};

static const char *const mode_names[] = {
    "?", "DIGITAL_IN", "DIGITAL_IN_PULLUP", "DIGITAL_IN_PULLDOWN",
    "DIGITAL_IN_WAKEUP", "DIGITAL_OUT", "DIGITAL_OUT_OD",
    "DIGITAL_OUT_OD_PULLUP", "ANALOG_IN", "ANALOG_OUT", "PWM_OUT",
    "PWM_OUT_STEPS", "PULSE_COUNTER"};

static void fmt_float(char *buf, size_t cap, float x) {
  snprintf(buf, cap, "%.7g", (double)x);
}

/* ---- the host: stand-in cloud and board ---------------------------------- */

static uint64_t h_now(void *ctx) { return ((struct run *)ctx)->now; }

static void h_sleep(void *ctx, uint32_t ms) {
  ((struct run *)ctx)->now += ms;
}

static void do_connect(struct run *r) {
  if (r->connected)
    return;
  r->connected = true;
  simple(r, "connect");
}

static void do_disconnect(struct run *r) {
  if (!r->connected)
    return;
  r->connected = false;
  simple(r, "disconnect");
}

/* The stand-in takes and acknowledges every send at once. */
static int h_send(void *ctx, const Impwire__Envelope *env,
                  const struct api_send_policy *pol) {
  struct run *r = ctx;
  if (!r->connected) {
    if (pol->error != API_SUSPEND_ON_ERROR)
      return API_SEND_ERROR_NOT_CONNECTED;
    do_connect(r);
  }
  switch (env->msg_case) {
  case IMPWIRE__ENVELOPE__MSG_LOG:
    stamp(r, env->log->level == IMPWIRE__LOG__LEVEL__ERROR ? "server.error"
                                                           : "server.log");
    field_str(r, "text", env->log->text, false);
    close_line(r);
    break;
  case IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE:
    stamp(r, "agent.send");
    field_str(r, "name", env->agent_message->name, false);
    field_value(r, "data", env->agent_message->data);
    close_line(r);
    break;
  default: /* Restart: the request that follows prints the line */
    break;
  }
  return API_SEND_OK;
}

static bool h_is_connected(void *ctx) {
  return ((struct run *)ctx)->connected;
}

static bool h_connect(void *ctx, uint32_t timeout_ms, bool block) {
  struct run *r = ctx;
  (void)timeout_ms; /* the stand-in always answers */
  do_connect(r);
  if (!block)
    api_connection(r->api, true, API_SERVER_CONNECTED);
  return true;
}

static void h_disconnect(void *ctx) { do_disconnect(ctx); }

static void h_observe(void *ctx, const struct api_event *ev) {
  struct run *r = ctx;
  char a[32], b[32];
  switch (ev->kind) {
  case API_EV_PIN:
    stamp(r, "pin");
    field_str(r, "pin", ev->pin, false);
    snprintf(a, sizeof a, "%d", (int)ev->level);
    if (r->json)
      field_num(r, "level", a);
    else
      printf(" %s", a);
    close_line(r);
    break;
  case API_EV_PWM:
    stamp(r, "pwm");
    field_str(r, "pin", ev->pin, false);
    fmt_float(a, sizeof a, ev->period_s);
    fmt_float(b, sizeof b, ev->duty);
    field_num(r, "period", a);
    field_num(r, "duty", b);
    close_line(r);
    break;
  case API_EV_UART_CONFIG:
    stamp(r, "uart.configure");
    field_str(r, "uart", ev->bus, false);
    snprintf(a, sizeof a, "%d", (int)ev->number);
    field_num(r, "baud", a);
    close_line(r);
    break;
  case API_EV_UART_TX:
  case API_EV_DAC:
    stamp(r, ev->kind == API_EV_DAC ? "dac" : "uart.write");
    field_str(r, ev->kind == API_EV_DAC ? "output" : "uart", ev->bus,
              false);
    snprintf(a, sizeof a, "%u", (unsigned)ev->len);
    field_num(r, "bytes", a);
    close_line(r);
    break;
  case API_EV_I2C:
    stamp(r, "i2c");
    field_str(r, "bus", ev->bus, false);
    snprintf(a, sizeof a, "%u", (unsigned)ev->address);
    field_num(r, "address", a);
    snprintf(b, sizeof b, "%d", (int)ev->number);
    field_num(r, "result", b);
    close_line(r);
    break;
  case API_EV_PIN_MODE:
    stamp(r, "pin.configure");
    field_str(r, "pin", ev->pin, false);
    field_str(r, "mode",
              ev->mode > 0 && ev->mode <= 12 ? mode_names[ev->mode]
              : ev->mode == 0                ? "released"
                                             : "?",
              false);
    close_line(r);
    break;
  case API_EV_SHUTDOWN:
    stamp(r, "shutdown-handler");
    field_str(r, "reason",
              ev->number == API_SHUTDOWN_NEWSQUIRREL ? "SHUTDOWN_NEWSQUIRREL"
                                                     : "SHUTDOWN_NEWFIRMWARE",
              false);
    close_line(r);
    break;
  case API_EV_UNCAUGHT: {
    stamp(r, "uncaught");
    field_str(r, "error", ev->text, false);
    if (r->json) {
      printf(",\"stack\":[");
      bool first = true;
      for (const char *p = ev->stack; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        while (n && *p == ' ')
          p++, n--;
        if (n) {
          if (!first)
            fputc(',', stdout);
          json_write_string(stdout, p, n);
          first = false;
        }
        p += n + (nl ? 1 : 0);
      }
      printf("]}\n");
    } else {
      end_line();
      /* continuation lines: the stack, indented */
      for (const char *p = ev->stack; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        while (n && *p == ' ')
          p++, n--;
        if (n)
          printf("    %.*s\n", (int)n, p);
        p += n + (nl ? 1 : 0);
      }
    }
    break;
  }
  case API_EV_NO_HANDLER:
    stamp(r, "agent.nohandler");
    field_str(r, "name", ev->text, false);
    close_line(r);
    break;
  case API_EV_PRINT:
    stamp(r, "note");
    field_str(r, "text", ev->text, false);
    close_line(r);
    break;
  case API_EV_WATCHDOG:
    stamp(r, "watchdog");
    field_str(r, "text", ev->text, false);
    close_line(r);
    break;
  }
}

static void h_request(void *ctx, const struct api_request *req) {
  struct run *r = ctx;
  r->have_req = true;
  r->req = *req;
  rf_free(r->req_nv);
  r->req_nv = NULL;
  if (req->nv && req->nv_len && (r->req_nv = rf_malloc(req->nv_len)))
    memcpy(r->req_nv, req->nv, req->nv_len);
  r->req.nv = r->req_nv;
  snprintf(r->req_why, sizeof r->req_why, "%s", req->why ? req->why : "");
  r->req.why = r->req_why;
}

static int h_userconf_get(void *ctx, uint8_t *buf, size_t cap) {
  struct run *r = ctx;
  if (r->userconf_len < 0)
    return -1;
  size_t n = (size_t)r->userconf_len < cap ? (size_t)r->userconf_len : cap;
  memcpy(buf, r->userconf, n);
  return (int)n;
}

static bool h_userconf_set(void *ctx, const uint8_t *data, size_t n) {
  struct run *r = ctx;
  if (!data) {
    r->userconf_len = -1;
    return true;
  }
  if (n > sizeof r->userconf)
    return false;
  memcpy(r->userconf, data, n);
  r->userconf_len = (int)n;
  return true;
}

/* ---- scheduled outside events -------------------------------------------- */

static int ext_cmp(const void *x, const void *y) {
  const struct ext *a = x, *b = y;
  if (a->at != b->at)
    return a->at < b->at ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

static bool ext_add(struct run *r, uint64_t at, enum ext_kind kind,
                    char *name, Impwire__Value *data) {
  if (r->n_ext == MAX_EVENTS)
    return false;
  struct ext *e = &r->ext[r->n_ext++];
  e->at = at;
  e->kind = kind;
  e->name = name;
  e->data = data;
  e->order = r->next_order++;
  /* keep the pending part sorted (events are few) */
  qsort(r->ext + r->next_ext, r->n_ext - r->next_ext, sizeof(r->ext[0]),
        ext_cmp);
  return true;
}

static uint64_t ext_next(const struct run *r) {
  return r->next_ext < r->n_ext ? r->ext[r->next_ext].at : UINT64_MAX;
}

/* ---- the command line ------------------------------------------------------ */

static int usage_error(const char *opt, const char *msg) {
  fprintf(stderr, "refimp run: %s: %s\nrefimp run: try refimp run --help\n",
          opt, msg);
  return 2;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: refimp run APP.nut [--board TYPE] [--for SECONDS]\n"
          "                  [--send NAME=JSON@SECONDS]... "
          "[--wake-pin-at SECONDS]...\n"
          "                  [--power-cycle-at SECONDS]... "
          "[--reload-at SECONDS]...\n"
          "                  [--json]\n\n"
          "Runs APP.nut as the deployed code of a simulated board in "
          "virtual time,\nwith a stand-in cloud that accepts every send, "
          "and prints one line per\nobservable event "
          "(docs/refimp-run.md).\n\n"
          "  --board TYPE        %s (default imp001)\n"
          "  --for SECONDS       stop at this device time (default 86400)\n"
          "  --send NAME=JSON@S  the agent sends NAME with the JSON value "
          "at S\n"
          "  --wake-pin-at S     drive the wake pin high for 10 ms at S\n"
          "  --power-cycle-at S  cut the power at S and power on again\n"
          "  --reload-at S       the cloud announces new Squirrel (the same "
          "code) at S\n"
          "  --json              print JSON lines\n"
          "Exit status: 0 ok, 1 uncaught error without "
          "imp.onunhandledexception,\n2 bad usage, unreadable file or "
          "syntax error.\n",
          board_names());
}

/* Seconds (a non-negative decimal number) into ms. */
static bool parse_seconds(const char *s, uint64_t *ms) {
  char *end;
  errno = 0;
  if (!*s || *s == '-' || *s == '+' || *s == ' ')
    return false;
  double d = strtod(s, &end);
  if (errno || *end || !isfinite(d) || d < 0 || d > 1e9)
    return false;
  *ms = (uint64_t)llround(d * 1000.0);
  return true;
}

/* NAME=JSON@SECONDS: the last '@' splits off the time. */
static int parse_send(struct run *r, const char *arg) {
  const char *eq = strchr(arg, '=');
  const char *at = strrchr(arg, '@');
  uint64_t ms;
  char why[200], msg[300];
  if (!eq || eq == arg || !at || at < eq)
    return usage_error("--send", "expected NAME=JSON@SECONDS");
  if (!parse_seconds(at + 1, &ms)) {
    snprintf(msg, sizeof msg, "'%s' is not a number of seconds", at + 1);
    return usage_error("--send", msg);
  }
  size_t nlen = (size_t)(eq - arg), jlen = (size_t)(at - eq - 1);
  char *name = rf_malloc(nlen + 1), *json = rf_malloc(jlen + 1);
  if (!name || !json) {
    rf_free(name);
    rf_free(json);
    return usage_error("--send", "out of memory");
  }
  memcpy(name, arg, nlen);
  name[nlen] = '\0';
  memcpy(json, eq + 1, jlen);
  json[jlen] = '\0';
  Impwire__Value *v = json_parse(json, why, sizeof why);
  rf_free(json);
  if (!v) {
    rf_free(name);
    snprintf(msg, sizeof msg, "'%s': bad JSON %s", arg, why);
    return usage_error("--send", msg);
  }
  if (!ext_add(r, ms, EXT_SEND, name, v)) {
    rf_free(name);
    value_free(v);
    return usage_error("--send", "too many scheduled events");
  }
  return 0;
}

static int parse_args(struct run *r, int argc, char **argv, bool *done) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    char msg[300];
    uint64_t ms;
    if (strcmp(a, "--help") == 0) {
      usage(stdout);
      *done = true;
      return 0;
    }
    if (strcmp(a, "--json") == 0) {
      r->json = true;
      continue;
    }
    if (a[0] != '-' || a[1] != '-') {
      if (r->path)
        return usage_error(a, "only one program file may be given");
      r->path = a;
      continue;
    }
    static const char *const with_value[] = {
        "--board", "--for", "--send", "--wake-pin-at", "--power-cycle-at",
        "--reload-at"};
    size_t k = 0;
    while (k < 6 && strcmp(a, with_value[k]) != 0)
      k++;
    if (k == 6)
      return usage_error(a, "unknown option");
    if (i + 1 >= argc)
      return usage_error(a, "needs a value");
    const char *v = argv[++i];
    switch (k) {
    case 0:
      if (!board_find(v)) {
        snprintf(msg, sizeof msg, "unknown board '%s' (known: %s)", v,
                 board_names());
        return usage_error(a, msg);
      }
      r->board = v;
      break;
    case 1: case 3: case 4: case 5:
      if (!parse_seconds(v, &ms)) {
        snprintf(msg, sizeof msg, "'%s' is not a number of seconds", v);
        return usage_error(a, msg);
      }
      if (k == 1)
        r->for_ms = ms;
      else if (!ext_add(r, ms,
                        k == 3   ? EXT_WAKE_PIN
                        : k == 4 ? EXT_POWER_CYCLE
                                 : EXT_RELOAD,
                        NULL, NULL))
        return usage_error(a, "too many scheduled events");
      break;
    case 2:
      if (parse_send(r, v))
        return 2;
      break;
    }
  }
  if (!r->path)
    return usage_error("APP.nut", "missing (the program to run)");
  return 0;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap)
      break;
    char *nb = cap < (64u << 20) ? realloc(buf, cap * 2 + 1) : NULL;
    if (!nb) {
      free(buf);
      buf = NULL;
      errno = EFBIG;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
    errno = EIO;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    *len = n;
  }
  return buf;
}

/* ---- boots ------------------------------------------------------------------ */

struct boot_plan {
  uint32_t wake;
  bool keep_nv;
};

/* hardware.spiflash's user area, kept across the boots of the run. */
static uint8_t *h_spiflash(void *ctx, uint32_t size) {
  struct run *r = ctx;
  if (!r->spiflash && (r->spiflash = rf_malloc(size))) {
    memset(r->spiflash, 0xff, size);
    r->spiflash_size = size;
  }
  return r->spiflash_size == size ? r->spiflash : NULL;
}

static const struct api_host run_host = {
    .now_ms = h_now, .sleep_ms = h_sleep, .send = h_send,
    .is_connected = h_is_connected, .connect = h_connect,
    .disconnect = h_disconnect, .observe = h_observe,
    .request = h_request, .userconf_get = h_userconf_get,
    .userconf_set = h_userconf_set, .spiflash = h_spiflash};

/* Start the code; false on a syntax error (printed) or no memory. */
static int boot(struct run *r, const char *src, size_t n, uint32_t wake) {
  struct api_host host = run_host;
  host.ctx = r;
  struct api_config cfg = {
      .board = r->board, .os_version = "38.0 refimp 0.1",
      .mac = "0c2a69000001", .device_id = "0123456789abcdef",
      .wake_reason = wake, .nv = r->nv, .nv_len = r->nv_len,
      .rtc_unix_ms = RUN_EPOCH_MS + r->now};
  r->boots++;
  r->reload_deferred = false; /* the new VM registers its handler anew */
  stamp(r, "boot");
  field_str(r, "wakereason", wake_names[wake], true);
  close_line(r);
  /* a cold boot or a restart connects before the code runs (seeds/003);
  ** a warm boot does not until the code asks */
  if (wake != API_WAKE_TIMER && wake != API_WAKE_PIN &&
      wake != API_WAKE_SNOOZE)
    do_connect(r);
  r->api = api_create(&host, &cfg);
  rf_free(r->nv);
  r->nv = NULL;
  r->nv_len = 0;
  if (!r->api) {
    fprintf(stderr, "refimp run: out of memory creating the VM\n");
    return 2;
  }
  if (api_start(r->api, src, n, r->path) == API_SYNTAX_ERROR) {
    fprintf(stderr, "%s\n", api_lasterror(r->api));
    return 2;
  }
  return 0;
}

static void end_api(struct run *r) {
  if (r->api && api_had_unhandled_error(r->api))
    r->unhandled = true;
  api_destroy(r->api);
  r->api = NULL;
}

/* Deliver one outside event while the code runs. */
static void deliver(struct run *r, struct ext *e) {
  if (e->kind == EXT_SEND) {
    if (!r->connected) {
      stamp(r, "agent.dropped");
      field_str(r, "name", e->name, false);
      close_line(r);
      return;
    }
    stamp(r, "agent.on");
    field_str(r, "name", e->name, false);
    field_value(r, "data", e->data);
    close_line(r);
    Impwire__AgentMessage m = IMPWIRE__AGENT_MESSAGE__INIT;
    Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
    m.name = e->name;
    m.data = e->data;
    env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
    env.agent_message = &m;
    api_frame(r->api, &env);
  } else if (e->kind == EXT_WAKE_PIN || e->kind == EXT_WAKE_PIN_LOW) {
    const struct board *b = board_find(r->board);
    const struct board_pin *wp = board_wake_pin(b);
    int level = e->kind == EXT_WAKE_PIN;
    if (!wp)
      return;
    stamp(r, "input");
    field_str(r, "pin", wp->name, false);
    if (r->json)
      field_num(r, "level", level ? "1" : "0");
    else
      printf(" %d", level);
    close_line(r);
    api_pin_input(r->api, wp->name, level);
    if (level)
      ext_add(r, e->at + WAKE_PULSE_MS, EXT_WAKE_PIN_LOW, NULL, NULL);
  }
}

/* Deep sleep until the timer, a wake pin edge, a power cycle or the end.
** Returns the next boot (wake reason) or -1 at the end of the run. */
static int sleep_until_wake(struct run *r, bool *power_cycle) {
  uint64_t wake_at = r->req.wake_at_ms;
  for (;;) {
    uint64_t t = ext_next(r);
    uint64_t stop = r->for_ms;
    if (wake_at <= t && wake_at <= stop) {
      r->now = wake_at;
      return r->req.snooze ? API_WAKE_SNOOZE : API_WAKE_TIMER; /* WAKE-011 */
    }
    if (stop < t) {
      r->now = stop;
      return -1;
    }
    struct ext *e = &r->ext[r->next_ext++];
    r->now = e->at;
    if (e->kind == EXT_POWER_CYCLE) {
      *power_cycle = true;
      return API_WAKE_POWER_ON;
    }
    if (e->kind == EXT_WAKE_PIN && r->req.wake_pin_armed)
      return API_WAKE_PIN;
    if (e->kind == EXT_SEND) {
      stamp(r, "agent.dropped");
      field_str(r, "name", e->name, false);
      close_line(r);
    } else if (e->kind == EXT_RELOAD) {
      simple(r, "reload.missed"); /* asleep: offline, nothing to reload */
    }
  }
}

static void power_cycle_line(struct run *r) {
  simple(r, "power-cycle");
  r->connected = false;
}

/* Act on the request the code made; returns the next wake reason, or -1
** when the run ends during a deep sleep. */
static int handle_request(struct run *r) {
  struct api_request q = r->req;
  r->have_req = false;
  end_api(r);
  switch (q.kind) {
  case API_REQ_DEEP_SLEEP: {
    char at[32];
    snprintf(at, sizeof at, "%llu.%03llu",
             (unsigned long long)(q.wake_at_ms / 1000),
             (unsigned long long)(q.wake_at_ms % 1000));
    stamp(r, "deepsleep");
    field_num(r, "until", at);
    field_str(r, "nv", q.nv ? "kept" : "none", true);
    close_line(r);
    do_disconnect(r);
    bool pc = false;
    int wake = sleep_until_wake(r, &pc);
    if (wake < 0)
      return -1;
    if (pc) {
      power_cycle_line(r);
      rf_free(r->req_nv);
      r->req_nv = NULL;
      return API_WAKE_POWER_ON;
    }
    stamp(r, "wake");
    field_str(r, "by", wake == API_WAKE_PIN ? "pin" : "timer", true);
    close_line(r);
    r->nv = r->req_nv; /* nv survives deep sleep */
    r->nv_len = q.nv_len;
    r->req_nv = NULL;
    return wake;
  }
  case API_REQ_RESET:
    stamp(r, "reset");
    field_str(r, "why", q.why ? q.why : "", true);
    close_line(r);
    do_disconnect(r);
    return API_WAKE_SW_RESET; /* a cold start: nv lost */
  case API_REQ_RESTART:
  case API_REQ_ERROR_RESTART:
    stamp(r, "restart");
    field_str(r, "why", q.why ? q.why : "", true);
    close_line(r);
    if (q.kind == API_REQ_ERROR_RESTART)
      r->now += ERROR_RESTART_MS;
    if (q.kind == API_REQ_ERROR_RESTART)
      return API_WAKE_SQUIRREL_ERROR;
    /* [POLITE-008] a restart after a deferred reload loads new Squirrel */
    if (r->reload_deferred) {
      r->reload_deferred = false;
      return API_WAKE_NEW_SQUIRREL;
    }
    return API_WAKE_SW_RESTART;
  }
  return -1;
}

static void *check_alloc(void *ud, void *p, size_t oldsize, size_t newsize) {
  (void)ud;
  (void)oldsize;
  if (newsize == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, newsize);
}

/* Compile once before the first boot, so that a syntax error is reported
** (file:line:column) before any event. Returns 0 or the exit code 2. */
static int syntax_check(const char *path, const char *src, size_t n) {
  sq_vm *vm = sq_open(check_alloc, NULL, 0);
  if (!vm) {
    fprintf(stderr, "refimp run: out of memory\n");
    return 2;
  }
  int st = sq_compile(vm, src, n, path);
  if (st != SQ_OK)
    fprintf(stderr, "%s\n", st == SQ_ERRSYNTAX ? sq_lasterror(vm)
                                               : sq_status_text(st));
  sq_close(vm);
  return st == SQ_OK ? 0 : 2;
}

/* Run the code from the first boot to the end. Returns the exit code. */
static int run_loop(struct run *r, const char *src, size_t n) {
  uint32_t wake = API_WAKE_POWER_ON;
  const char *why_end = "idle";
  for (;;) {
    if (r->boots >= MAX_BOOTS) {
      why_end = "boot-limit";
      break;
    }
    int rc = boot(r, src, n, wake);
    if (rc)
      return rc;
    int next_wake = -2; /* -2: still running */
    while (next_wake == -2) {
      if (r->have_req) {
        next_wake = handle_request(r);
        if (next_wake < 0)
          why_end = "for";
        break;
      }
      uint64_t due = api_step(r->api, r->now);
      if (r->have_req)
        continue;
      if (due <= r->now)
        continue;
      uint64_t t = ext_next(r);
      if (due == UINT64_MAX && t == UINT64_MAX) {
        why_end = "idle";
        next_wake = -1;
        break;
      }
      uint64_t at = due < t ? due : t;
      if (at > r->for_ms) {
        r->now = r->for_ms;
        why_end = "for";
        next_wake = -1;
        break;
      }
      r->now = at;
      while (!r->have_req && ext_next(r) <= r->now) {
        struct ext *e = &r->ext[r->next_ext++];
        if (e->kind == EXT_RELOAD) {
          simple(r, "reload");
          if (r->connected && api_shutdown_notice(r->api,
                                                  API_SHUTDOWN_NEWSQUIRREL)) {
            r->reload_deferred = true; /* [POLITE-002] */
            continue;
          }
          if (!r->connected) {
            simple(r, "reload.missed"); /* offline: the cloud cannot say */
            continue;
          }
          end_api(r); /* [POLITE-001] no handler: at once */
          stamp(r, "restart");
          field_str(r, "why", "new Squirrel", true);
          close_line(r);
          next_wake = API_WAKE_NEW_SQUIRREL;
          break;
        }
        if (e->kind == EXT_POWER_CYCLE) {
          end_api(r);
          power_cycle_line(r);
          rf_free(r->nv); /* nv lost; user configuration kept */
          r->nv = NULL;
          next_wake = API_WAKE_POWER_ON;
          break;
        }
        deliver(r, e);
      }
    }
    if (next_wake < 0)
      break;
    wake = (uint32_t)next_wake;
  }
  end_api(r);
  stamp(r, "end");
  field_str(r, "reason", why_end, true);
  close_line(r);
  return r->unhandled ? 1 : 0;
}

int run_main(int argc, char **argv) {
  struct run *r = rf_malloc(sizeof(*r));
  bool done = false;
  int rc;
  if (!r) {
    fprintf(stderr, "refimp run: out of memory\n");
    return 2;
  }
  memset(r, 0, sizeof(*r));
  r->board = "imp001";
  r->for_ms = DEFAULT_FOR_MS;
  r->userconf_len = -1;
  rc = parse_args(r, argc, argv, &done);
  if (!rc && !done) {
    size_t n = 0;
    char *src = read_file(r->path, &n);
    if (!src) {
      fprintf(stderr, "refimp run: %s: %s\n", r->path, strerror(errno));
      rc = 2;
    } else {
      rc = syntax_check(r->path, src, n);
      if (!rc)
        rc = run_loop(r, src, n);
      free(src);
    }
  }
  fflush(stdout);
  end_api(r);
  for (size_t i = 0; i < r->n_ext; i++) {
    rf_free(r->ext[i].name);
    value_free(r->ext[i].data);
  }
  rf_free(r->nv);
  rf_free(r->req_nv);
  rf_free(r->spiflash);
  rf_free(r);
  return rc;
}
