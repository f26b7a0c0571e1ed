/*
** imp.c: the `imp` object (timers, onidle, reset, sleeps, identity, user
** configuration, send buffer, imp.net), the `crypto` object (also
** imp.crypto) and the retained `nv` table.
*/
#include "api/api_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api/value.h"
#include "core/rf.h"
#include "hal/hal.h"

#define MAX_WAKEUP_S 10737418.0 /* API-006 */
#define SEND_BUFFER_MAX 30720u  /* SEND-021 */

/* imp.wakeup(seconds, callback): returns the timer (an integer id). */
static int imp_wakeup(sq_vm *vm) {
  struct api *a = API_OF(vm);
  float s;
  if (sq_checkfloat(vm, 2, &s) < 0)
    return -1;
  enum sq_type t = sq_gettype(vm, 3);
  if (t != SQ_TCLOSURE && t != SQ_TNATIVE)
    return sq_error(vm, "imp.wakeup: the callback must be a function");
  if (!(s >= 0 && s <= MAX_WAKEUP_S))
    return sq_error(vm, "imp.wakeup: seconds must be 0 to 10737418");
  if (a->stopped)
    return 0;
  for (int i = 0; i < API_MAX_TIMERS; i++) {
    struct api_timer *tm = &a->timers[i];
    if (tm->id)
      continue;
    tm->fn = sq_ref(vm, 3);
    if (tm->fn < 0)
      return sq_error(vm, "out of memory");
    tm->id = a->next_timer_id++;
    tm->seq = a->timer_seq++;
    tm->due = api_now(a) + (uint64_t)llround((double)s * 1000.0);
    sq_pushint(vm, (int32_t)tm->id);
    return 1;
  }
  /* the documented failure: null, no exception */
  return 0;
}

static int imp_cancelwakeup(sq_vm *vm) {
  struct api *a = API_OF(vm);
  if (sq_gettype(vm, 2) != SQ_TINTEGER)
    return 0; /* not a timer of ours: nothing to cancel */
  uint32_t id = (uint32_t)sq_toint(vm, 2);
  for (int i = 0; i < API_MAX_TIMERS; i++)
    if (a->timers[i].id && a->timers[i].id == id) {
      a->timers[i].id = 0;
      sq_unref(vm, a->timers[i].fn);
    }
  return 0;
}

static int check_handler(sq_vm *vm, int idx, const char *fn) {
  enum sq_type t = sq_gettype(vm, idx);
  if (t != SQ_TNULL && t != SQ_TCLOSURE && t != SQ_TNATIVE)
    return sq_error(vm, "%s: the handler must be a function or null", fn);
  return 0;
}

static int imp_onidle(sq_vm *vm) {
  if (check_handler(vm, 2, "imp.onidle") < 0)
    return -1;
  api_setref(API_OF(vm), &API_OF(vm)->onidle, 2);
  return 0;
}

static int imp_onunhandledexception(sq_vm *vm) {
  if (check_handler(vm, 2, "imp.onunhandledexception") < 0)
    return -1;
  api_setref(API_OF(vm), &API_OF(vm)->onexception, 2);
  return 0;
}

/* imp.reset(): HW-029 */
static int imp_reset(sq_vm *vm) {
  struct api_request r = {.kind = API_REQ_RESET, .why = "imp.reset()"};
  api_stop(API_OF(vm), &r);
  return 0;
}

/* imp.sleep(seconds): Squirrel blocks while device time passes. */
static int imp_sleep(sq_vm *vm) {
  struct api *a = API_OF(vm);
  float s;
  if (sq_checkfloat(vm, 2, &s) < 0)
    return -1;
  if (!(s >= 0 && s <= 86400))
    return sq_error(vm, "imp.sleep: seconds must be 0 to 86400");
  if (api_bt_no_suspend(vm, "imp.sleep") < 0)
    return -1;
  if (!a->stopped)
    a->host.sleep_ms(a->host.ctx, (uint32_t)llround((double)s * 1000.0));
  return 0;
}

static int imp_deepsleepfor(sq_vm *vm) {
  return api_sleepfor(vm, "imp.deepsleepfor");
}
static int imp_deepsleepuntil(sq_vm *vm) {
  return api_sleepuntil(vm, "imp.deepsleepuntil");
}

/* imp.setrescuepin(pin|null, polarity): [BOOT-020, BOOT-023] recorded
** on flash by the host; fast start is the boot state machine's. The
** polarity is the level the pin idles at (1: pulled up, the default). */
static int imp_setrescuepin(sq_vm *vm) {
  struct api *a = API_OF(vm);
  int32_t pol = 1;
  const char *pin = NULL;
  if (sq_gettype(vm, 2) != SQ_TNULL &&
      (pin = api_pin_name(vm, 2)) == NULL)
    return sq_error(vm, "imp.setrescuepin: expected a pin or null");
  if (sq_gettop(vm) >= 3 && sq_checkint(vm, 3, &pol) < 0)
    return -1;
  if (pol != 0 && pol != 1)
    return sq_error(vm, "imp.setrescuepin: polarity must be 0 or 1");
  a->rescue_polarity = pol;
  if (a->host.set_rescue_pin &&
      !a->host.set_rescue_pin(a->host.ctx, pin, (int)pol))
    return sq_error(vm, "imp.setrescuepin: the store failed");
  return 0;
}

/* imp.clearconfiguration([action]): STORE-024 checks the action; the
** host erases (STORE-019..023). */
static int imp_clearconfiguration(sq_vm *vm) {
  struct api *a = API_OF(vm);
  int32_t act = 0xFF;
  if (sq_gettop(vm) >= 2 && sq_checkint(vm, 2, &act) < 0)
    return -1;
  if (act != 0xFF && (act <= 0 || (act & ~0x07)))
    return sq_error(vm, "imp.clearconfiguration: unknown action %d",
                    (int)act);
  if (a->host.clear_configuration &&
      !a->host.clear_configuration(a->host.ctx, (unsigned)act))
    return sq_error(vm, "imp.clearconfiguration: the store failed");
  return 0;
}

/* imp.setproxy(PROXY_TYPE_HTTP, address, port[, user, password])
** [REG-010]: the HTTP proxy the next connections go through (constants.md
** "Proxy"); imp.clearconfiguration(CONFIG_PROXY) forgets it. */
static int imp_setproxy(sq_vm *vm) {
  struct api *a = API_OF(vm);
  int32_t type, port;
  const char *addr, *user = "", *password = "";
  size_t n;
  if (sq_checkint(vm, 2, &type) < 0)
    return -1;
  if (type != 1)
    return sq_error(vm, "imp.setproxy: unknown proxy type %d (only "
                        "PROXY_TYPE_HTTP)", (int)type);
  if ((addr = sq_tostr(vm, 3, &n)) == NULL || n == 0)
    return sq_error(vm, "imp.setproxy: the address must be a string");
  if (sq_checkint(vm, 4, &port) < 0)
    return -1;
  if (port < 1 || port > 65535)
    return sq_error(vm, "imp.setproxy: port %d is not 1..65535", (int)port);
  if (sq_gettop(vm) >= 5 && sq_gettype(vm, 5) != SQ_TNULL &&
      (user = sq_tostr(vm, 5, &n)) == NULL)
    return sq_error(vm, "imp.setproxy: the user name must be a string");
  if (sq_gettop(vm) >= 6 && sq_gettype(vm, 6) != SQ_TNULL &&
      (password = sq_tostr(vm, 6, &n)) == NULL)
    return sq_error(vm, "imp.setproxy: the password must be a string");
  if (!a->host.set_proxy)
    return sq_error(vm, "imp.setproxy: not supported on this host");
  if (!a->host.set_proxy(a->host.ctx, addr, (uint16_t)port, user, password))
    return sq_error(vm, "imp.setproxy: refused (address, user and password "
                        "at most 63 bytes)");
  return 0;
}

static int imp_info(sq_vm *vm) {
  struct api *a = API_OF(vm);
  sq_newtable(vm);
  sq_pushstring(vm, "type", SIZE_MAX);
  sq_pushstring(vm, a->board->name, SIZE_MAX);
  sq_newslot(vm, -3);
  return 1;
}

static int imp_environment(sq_vm *vm) {
  sq_pushint(vm, API_OF(vm)->board->environment);
  return 1;
}

static int imp_getmacaddress(sq_vm *vm) {
  const char *m = API_OF(vm)->cfg.mac;
  sq_pushstring(vm, m ? m : "", SIZE_MAX);
  return 1;
}

static int imp_getsoftwareversion(sq_vm *vm) {
  const char *v = API_OF(vm)->cfg.os_version;
  sq_pushstring(vm, v ? v : "", SIZE_MAX);
  return 1;
}

static int imp_getmemoryfree(sq_vm *vm) {
  struct api *a = API_OF(vm);
  size_t used = sq_memused(vm);
  size_t lim = a->cfg.mem_limit;
  sq_pushint(vm, (int32_t)(used < lim ? lim - used : 0));
  return 1;
}

/* imp.setsendbuffersize(n): SEND-020..022 */
static int imp_setsendbuffersize(sq_vm *vm) {
  struct api *a = API_OF(vm);
  int32_t n;
  if (sq_checkint(vm, 2, &n) < 0)
    return -1;
  uint32_t prev = a->send_buffer;
  if (n > 0 && (uint32_t)n > a->send_buffer)
    a->send_buffer = (uint32_t)n > SEND_BUFFER_MAX ? SEND_BUFFER_MAX
                                                   : (uint32_t)n;
  sq_pushint(vm, (int32_t)prev);
  return 1;
}

/* imp.getuserconfiguration(): null or a blob (STORE-007). */
static int imp_getuserconfiguration(sq_vm *vm) {
  struct api *a = API_OF(vm);
  uint8_t buf[API_USERCONF_MAX];
  int n = a->host.userconf_get(a->host.ctx, buf, sizeof buf);
  if (n < 0)
    return 0;
  sq_newblob(vm, buf, (size_t)n);
  return 1;
}

static int imp_setuserconfiguration(sq_vm *vm) {
  struct api *a = API_OF(vm);
  const char *s;
  uint8_t *b;
  size_t n;
  bool ok;
  if (sq_gettype(vm, 2) == SQ_TNULL) {
    ok = a->host.userconf_set(a->host.ctx, NULL, 0);
  } else {
    if ((s = sq_tostr(vm, 2, &n)) != NULL)
      b = (uint8_t *)s;
    else if (sq_getblob(vm, 2, &b, &n) != 0)
      return sq_error(vm, "imp.setuserconfiguration: expected a string, a "
                          "blob or null");
    if (n > API_USERCONF_MAX) /* STORE-008: the published text */
      return sq_error(vm, "value too long in imp.setuserconfiguration"
                          "(value)");
    ok = a->host.userconf_set(a->host.ctx, b, n);
  }
  if (!ok)
    return sq_error(vm, "imp.setuserconfiguration: the store failed");
  return 0;
}

/* The cellular board (impC001): no WiFi, no MAC address, no ipv4 table
** (specs/constants.md "Cellular boards"). */
static bool cellular(const struct api *a) {
  return strcmp(a->board->name, "impC001") == 0;
}

/* ---- imp.net --------------------------------------------------------------- */

static void slot_str(sq_vm *vm, const char *k, const char *v) {
  sq_pushstring(vm, k, SIZE_MAX);
  sq_pushstring(vm, v, SIZE_MAX);
  sq_newslot(vm, -3);
}

static void slot_int(sq_vm *vm, const char *k, int32_t v) {
  sq_pushstring(vm, k, SIZE_MAX);
  sq_pushint(vm, v);
  sq_newslot(vm, -3);
}

/* One entry of imp.net.info().interface: type and MAC (the WiFi entry
** adds its ssid, storedssid, channel). */
static void net_interface(struct api *a, const char *type) {
  sq_vm *vm = a->vm;
  sq_newtable(vm);
  slot_str(vm, "type", type);
  if (strcmp(type, "cell") != 0) /* a modem has no MAC address */
    slot_str(vm, "macaddress", a->cfg.mac ? a->cfg.mac : "");
  if (strcmp(type, "wifi") == 0)
    api_wifi_info(a); /* [WIFI-006] ssid, storedssid, channel */
  sq_arrayappend(vm, -2);
}

/* imp.net.info(): the decided keys of specs/constants.md. The board's
** interfaces: WiFi, or the cell modem on impC001; an imp005 has Ethernet
** (the one it uses, index 0) and WiFi, less what its design leaves out
** [NET-026]. */
static int net_info(sq_vm *vm) {
  struct api *a = API_OF(vm);
  bool up = a->host.is_connected(a->host.ctx);
  bool imp005 = strcmp(a->board->name, "imp005") == 0;
  sq_newtable(vm);
  sq_pushstring(vm, "interface", SIZE_MAX);
  sq_newarray(vm, 0);
  if (cellular(a))
    net_interface(a, "cell");
  if (imp005 && !a->cfg.no_ethernet)
    net_interface(a, "ethernet");
  if (!(imp005 && a->cfg.no_wifi) && !cellular(a))
    net_interface(a, "wifi");
  sq_newslot(vm, -3);
  if (!up && a->lasterror >= 0)
    slot_int(vm, "lasterror", a->lasterror); /* NET-017 */
  else if (!up && api_wifi_lasterror(a))
    slot_int(vm, "lasterror", api_wifi_lasterror(a)); /* a failed join */
  if (up)
    slot_int(vm, "active", 0);
  if (up && !cellular(a)) { /* no ipv4 on impC001 (research imp-api 5) */
    sq_pushstring(vm, "ipv4", SIZE_MAX);
    sq_newtable(vm);
    /* the simulated network's addresses (decided: constants.md) */
    slot_str(vm, "address", "10.0.0.2");
    slot_str(vm, "netmask", "255.255.255.0");
    slot_str(vm, "broadcast", "10.0.0.255");
    slot_str(vm, "gateway", "10.0.0.1");
    slot_str(vm, "dhcpserver", "10.0.0.1");
    sq_pushstring(vm, "dnsserver", SIZE_MAX);
    sq_newarray(vm, 0);
    sq_pushstring(vm, "10.0.0.1", SIZE_MAX);
    sq_arrayappend(vm, -2);
    sq_newslot(vm, -3);
    sq_pushstring(vm, "server", SIZE_MAX);
    sq_newtable(vm);
    slot_int(vm, "tcpsendfree", /* SEND-025 */
             (int32_t)(a->host.send_free
                           ? a->host.send_free(a->host.ctx, a->send_buffer)
                           : a->send_buffer));
    sq_newslot(vm, -3);
    sq_newslot(vm, -3);
  }
  return 1;
}

/* ---- time() and date(): the RTC (HW-028) ------------------------------- */

static uint64_t rtc_ms(struct api *a) {
  return a->cfg.rtc_unix_ms + (api_now(a) - a->boot_ms);
}

static int base_time(sq_vm *vm) {
  sq_pushint(vm, (int32_t)(rtc_ms(API_OF(vm)) / 1000));
  return 1;
}

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian). */
static void civil(int64_t days, int *y, int *m, int *d) {
  days += 719468;
  int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  int64_t doe = days - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Days since 1970-01-01 of a civil date (the inverse of civil). */
static int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* date([t]): {year, month (0-11), day, hour, min, sec, usec, wday (0 =
** Sunday), yday (0-365), time} in UTC, as the imp's date() gives. */
static int base_date(sq_vm *vm) {
  struct api *a = API_OF(vm);
  uint64_t ms = rtc_ms(a);
  int32_t t;
  if (sq_gettop(vm) >= 2) {
    if (sq_checkint(vm, 2, &t) < 0)
      return -1;
    ms = (uint64_t)(uint32_t)t * 1000u;
  }
  uint64_t secs = ms / 1000;
  int64_t days = (int64_t)(secs / 86400);
  int y, m, d;
  civil(days, &y, &m, &d);
  int64_t jan1 = days_from_civil(y, 1, 1);
  sq_newtable(vm);
  slot_int(vm, "year", y);
  slot_int(vm, "month", m - 1);
  slot_int(vm, "day", d);
  slot_int(vm, "hour", (int32_t)(secs % 86400 / 3600));
  slot_int(vm, "min", (int32_t)(secs % 3600 / 60));
  slot_int(vm, "sec", (int32_t)(secs % 60));
  slot_int(vm, "usec", (int32_t)(ms % 1000 * 1000));
  slot_int(vm, "wday", (int32_t)((days + 4) % 7));
  slot_int(vm, "yday", (int32_t)(days - jan1));
  slot_int(vm, "time", (int32_t)secs);
  return 1;
}

/* ---- crypto ---------------------------------------------------------------- */

static int bytes_arg(sq_vm *vm, int idx, const uint8_t **p, size_t *n) {
  const char *s;
  uint8_t *b;
  if ((s = sq_tostr(vm, idx, n)) != NULL) {
    *p = (const uint8_t *)s;
    return 0;
  }
  if (sq_getblob(vm, idx, &b, n) == 0) {
    *p = b;
    return 0;
  }
  return sq_error(vm, "parameter %d: expected a string or a blob", idx - 1);
}

static int crypto_sha256(sq_vm *vm) {
  const uint8_t *p;
  size_t n;
  uint8_t out[32];
  if (bytes_arg(vm, 2, &p, &n) < 0)
    return -1;
  hal_sha256(p, n, out);
  sq_newblob(vm, out, 32);
  return 1;
}

/* HMAC-SHA-256 (RFC 2104) on hal_sha256. */
static int crypto_hmacsha256(sq_vm *vm) {
  const uint8_t *d, *k;
  size_t dn, kn;
  uint8_t key[64] = {0}, inner[32], out[32];
  if (bytes_arg(vm, 2, &d, &dn) < 0 || bytes_arg(vm, 3, &k, &kn) < 0)
    return -1;
  if (kn > 64)
    hal_sha256(k, kn, key);
  else
    memcpy(key, k, kn);
  uint8_t *buf = sq_realloc(vm, NULL, 0, 64 + (dn > 32 ? dn : 32));
  for (int i = 0; i < 64; i++)
    buf[i] = key[i] ^ 0x36;
  memcpy(buf + 64, d, dn);
  hal_sha256(buf, 64 + dn, inner);
  for (int i = 0; i < 64; i++)
    buf[i] = key[i] ^ 0x5c;
  memcpy(buf + 64, inner, 32);
  hal_sha256(buf, 64 + 32, out);
  sq_realloc(vm, buf, 64 + (dn > 32 ? dn : 32), 0);
  sq_newblob(vm, out, 32);
  return 1;
}

/* crypto.equals(a, b): time depends on the length only. */
static int crypto_equals(sq_vm *vm) {
  const uint8_t *x, *y;
  size_t xn, yn;
  if (bytes_arg(vm, 2, &x, &xn) < 0 || bytes_arg(vm, 3, &y, &yn) < 0)
    return -1;
  uint8_t diff = xn != yn;
  for (size_t i = 0; i < xn && i < yn; i++)
    diff |= x[i] ^ y[i];
  sq_pushbool(vm, diff == 0);
  return 1;
}

/* ---- nv ------------------------------------------------------------------- */

uint8_t *api_nv_save(struct api *a, size_t *n, char *why, size_t cap) {
  sq_vm *vm = a->vm;
  uint8_t *out = NULL;
  *n = 0;
  sq_pushroot(vm);
  sq_pushstring(vm, "nv", SIZE_MAX);
  if (!sq_rawin(vm, -2)) {
    sq_pop(vm, 1);
    return NULL;
  }
  sq_pushstring(vm, "nv", SIZE_MAX);
  sq_rawget(vm, -2);
  if (sq_gettype(vm, -1) == SQ_TTABLE) {
    char err[160];
    Impwire__Value *v = value_from_sq(vm, -1, err, sizeof err);
    if (!v) {
      snprintf(why, cap, "nv not kept: %s", err);
    } else {
      out = value_pack(v, n);
      value_free(v);
      if (out && *n > API_NV_MAX) {
        snprintf(why, cap, "nv not kept: %zu bytes (at most %u)", *n,
                 API_NV_MAX);
        rf_free(out);
        out = NULL;
        *n = 0;
      }
    }
  }
  sq_pop(vm, 2);
  return out;
}

int api_nv_restore(struct api *a) {
  char why[160];
  Impwire__Value *v = value_unpack(a->cfg.nv, a->cfg.nv_len);
  if (!v)
    return SQ_ERRRUN;
  int st = SQ_ERRRUN;
  if (v->kind_case == IMPWIRE__VALUE__KIND_TABLE &&
      (st = value_push(a->vm, v, why, sizeof why)) == SQ_OK)
    st = api_setglobal(a, "nv");
  value_free_unpacked(v);
  return st;
}

/* ---- registration ---------------------------------------------------------- */

static const struct sq_reg imp_fns[] = {
    {"wakeup", imp_wakeup, -3},
    {"cancelwakeup", imp_cancelwakeup, 2},
    {"onidle", imp_onidle, 2},
    {"onunhandledexception", imp_onunhandledexception, 2},
    {"reset", imp_reset, 1},
    {"sleep", imp_sleep, 2},
    {"deepsleepfor", imp_deepsleepfor, 2},
    {"deepsleepuntil", imp_deepsleepuntil, -3},
    {"setrescuepin", imp_setrescuepin, -2},
    {"clearconfiguration", imp_clearconfiguration, -1},
    {"setproxy", imp_setproxy, -4},
    {"info", imp_info, 1},
    {"environment", imp_environment, 1},
    {"getsoftwareversion", imp_getsoftwareversion, 1},
    {"getmemoryfree", imp_getmemoryfree, 1},
    {"setsendbuffersize", imp_setsendbuffersize, 2},
    {"getuserconfiguration", imp_getuserconfiguration, 1},
    {"setuserconfiguration", imp_setuserconfiguration, 2},
    {NULL, NULL, 0}};

/* imp.getmacaddress(): removed on the cellular impC001 (research imp-api
** 4.13; specs/constants.md "Cellular boards"). */
static const struct sq_reg mac_fns[] = {
    {"getmacaddress", imp_getmacaddress, 1}, {NULL, NULL, 0}};


static const struct sq_reg time_fns[] = {{"time", base_time, 1},
                                         {"date", base_date, -1},
                                         {NULL, NULL, 0}};

static const struct sq_reg net_fns[] = {{"info", net_info, 1},
                                        {NULL, NULL, 0}};

static const struct sq_reg crypto_fns[] = {
    {"sha256", crypto_sha256, 2},
    {"hmacsha256", crypto_hmacsha256, 3},
    {"equals", crypto_equals, 3},
    {NULL, NULL, 0}};

static const struct api_const imp_consts[] = {
    {"WAKEREASON_POWER_ON", 0}, {"WAKEREASON_TIMER", 1},
    {"WAKEREASON_SW_RESET", 2}, {"WAKEREASON_PIN", 3},
    {"WAKEREASON_NEW_SQUIRREL", 4}, {"WAKEREASON_SQUIRREL_ERROR", 5},
    {"WAKEREASON_NEW_FIRMWARE", 6}, {"WAKEREASON_SNOOZE", 7},
    {"WAKEREASON_HW_RESET", 8}, {"WAKEREASON_BLINKUP", 9},
    {"WAKEREASON_SW_RESTART", 10}, {"WAKEREASON_POWER_RESTORED", 11},
    {"ENVIRONMENT_CARD", 0}, {"ENVIRONMENT_MODULE", 1},
    {"ENVIRONMENT_AGENT", 2},
    {"CONFIG_WIFI", 0x01}, {"CONFIG_STATIC_NETWORK", 0x02},
    {"CONFIG_PROXY", 0x04}, {"CONFIG_ALL", 0xFF},
    {"PROXY_TYPE_HTTP", 1},
    {NULL, 0}};

/* imp.configparams: the cloud's table, or an empty one. */
static int push_configparams(struct api *a) {
  char why[160];
  if (a->cfg.configparams &&
      a->cfg.configparams->kind_case == IMPWIRE__VALUE__KIND_TABLE &&
      value_push(a->vm, a->cfg.configparams, why, sizeof why) == SQ_OK)
    return SQ_OK;
  return sq_newtable(a->vm);
}

int api_imp_open(struct api *a) {
  sq_vm *vm = a->vm;
  int st;
  if ((st = api_newlib(a, NULL, imp_fns)) != SQ_OK ||
      (!cellular(a) && (st = api_register(a, -1, mac_fns)) != SQ_OK) ||
      (st = api_wifi_imp(a)) != SQ_OK)
    return st;
  /* imp.net */
  sq_pushstring(vm, "net", SIZE_MAX);
  if ((st = api_newlib(a, NULL, net_fns)) != SQ_OK ||
      (st = api_wifi_net(a)) != SQ_OK || (st = sq_newslot(vm, -3)) != SQ_OK)
    return st;
  /* crypto, also imp.crypto (CRYPTO-005) */
  sq_pushstring(vm, "crypto", SIZE_MAX);
  if ((st = api_newlib(a, NULL, crypto_fns)) != SQ_OK)
    return st;
  sq_pushvalue(vm, -1);
  if ((st = api_setglobal(a, "crypto")) != SQ_OK ||
      (st = sq_newslot(vm, -3)) != SQ_OK)
    return st;
  sq_pushstring(vm, "configparams", SIZE_MAX);
  if ((st = push_configparams(a)) != SQ_OK ||
      (st = sq_newslot(vm, -3)) != SQ_OK)
    return st;
  if ((st = api_setglobal(a, "imp")) != SQ_OK)
    return st;
  sq_pushroot(vm);
  st = api_register(a, -1, time_fns);
  sq_pop(vm, 1);
  if (st != SQ_OK)
    return st;
  return api_setconsts(a, imp_consts);
}
