/*
** wifi.c: the WiFi members of `imp` and `imp.net` [WIFI-002..027]:
** setwificonfiguration, getssid, scanwifinetworks (with and without a
** callback), setpowersave/getpowersave, getcountry, net.configurewps,
** net.getwifihints/setwifihints, net.counters, and the WiFi keys of
** net.info(). Everything goes through host.wifi (struct api_wifi_ops);
** names and values: specs/constants.md.
*/
#include <stdio.h>
#include <string.h>

#include "api/api_int.h"
#include "core/rf.h"

#define SCAN_MAX 32 /* networks reported by one scan */

static const struct api_wifi_ops *ops_or_throw(sq_vm *vm, const char *fn) {
  const struct api_wifi_ops *o = API_OF(vm)->host.wifi;
  if (!o)
    sq_error(vm, "%s: this host has no WiFi", fn);
  return o;
}

/* Boards without a WiFi radio (constants.md "Board names"), and an imp005
** built without its antenna (--no-wifi, NET-026). */
static bool board_has_wifi(const struct api *a) {
  return strcmp(a->board->name, "impC001") != 0 && !a->cfg.no_wifi;
}

/* [WIFI-012] Push one scan entry as a table. */
static int push_net(sq_vm *vm, const struct api_wifi_net *n) {
  int st;
  if ((st = sq_newtable(vm)) != SQ_OK)
    return st;
  sq_pushstring(vm, "ssid", SIZE_MAX);
  sq_pushstring(vm, n->ssid, SIZE_MAX);
  sq_newslot(vm, -3);
  sq_pushstring(vm, "bssid", SIZE_MAX);
  sq_pushstring(vm, n->bssid, SIZE_MAX);
  sq_newslot(vm, -3);
  sq_pushstring(vm, "channel", SIZE_MAX);
  sq_pushint(vm, n->channel);
  sq_newslot(vm, -3);
  sq_pushstring(vm, "rssi", SIZE_MAX);
  sq_pushint(vm, n->rssi);
  sq_newslot(vm, -3);
  sq_pushstring(vm, "open", SIZE_MAX);
  sq_pushbool(vm, n->open);
  return sq_newslot(vm, -3);
}

static int push_nets(sq_vm *vm, const struct api_wifi_net *nets, size_t n) {
  int st;
  if ((st = sq_newarray(vm, 0)) != SQ_OK)
    return st;
  for (size_t i = 0; i < n; i++) {
    if ((st = push_net(vm, &nets[i])) != SQ_OK ||
        (st = sq_arrayappend(vm, -2)) != SQ_OK)
      return st;
  }
  return SQ_OK;
}

/* imp.scanwifinetworks([callback]) [WIFI-007..011] */
static int imp_scanwifinetworks(sq_vm *vm) {
  struct api *a = API_OF(vm);
  const struct api_wifi_ops *o = ops_or_throw(vm, "imp.scanwifinetworks");
  if (!o)
    return -1;
  bool async = sq_gettop(vm) >= 2 && sq_gettype(vm, 2) != SQ_TNULL;
  if (async && sq_gettype(vm, 2) != SQ_TCLOSURE &&
      sq_gettype(vm, 2) != SQ_TNATIVE)
    return sq_error(vm, "imp.scanwifinetworks: the callback must be a "
                        "function");
  /* [WIFI-009] the published text */
  if (a->scan_cb >= 0)
    return sq_error(vm, "scan already running in "
                        "imp.scanwifinetworks(callback)");
  if (!async) {
    struct api_wifi_net nets[SCAN_MAX];
    size_t n = o->scan(a->host.ctx, nets, SCAN_MAX);
    if (push_nets(vm, nets, n) != SQ_OK)
      return sq_error(vm, "imp.scanwifinetworks: out of memory");
    return 1;
  }
  if (!o->scan_start(a->host.ctx))
    return sq_error(vm, "scan already running in "
                        "imp.scanwifinetworks(callback)");
  a->scan_cb = sq_ref(vm, 2);
  if (a->scan_cb < 0)
    return sq_error(vm, "imp.scanwifinetworks: out of memory");
  return 0;
}

void api_wifi_scan_done(struct api *a, const struct api_wifi_net *nets,
                        size_t n) {
  if (a->stopped || a->scan_cb < 0)
    return;
  struct api_pending p = {.fn = a->scan_cb, .arg = -1};
  int top = sq_gettop(a->vm);
  a->scan_cb = -1;
  if (push_nets(a->vm, nets, n) == SQ_OK)
    p.arg = sq_ref(a->vm, -1);
  sq_settop(a->vm, top);
  if (p.arg < 0) {
    struct api_event ev = {.kind = API_EV_UNCAUGHT,
                           .text = "imp.scanwifinetworks: out of memory",
                           .stack = ""};
    a->host.observe(a->host.ctx, &ev);
    sq_unref(a->vm, p.fn);
    return;
  }
  api_queue(a, &p);
}

/* imp.setwificonfiguration(ssid, key) [WIFI-002, WIFI-004] */
static int imp_setwificonfiguration(sq_vm *vm) {
  struct api *a = API_OF(vm);
  const char *ssid, *key;
  size_t ns, nk;
  const struct api_wifi_ops *o =
      ops_or_throw(vm, "imp.setwificonfiguration");
  if (!o || sq_checkstr(vm, 2, &ssid, &ns) < 0 ||
      sq_checkstr(vm, 3, &key, &nk) < 0)
    return -1;
  if (ns > 32 || strlen(ssid) != ns)
    return sq_error(vm, "imp.setwificonfiguration: the SSID must be at "
                        "most 32 bytes");
  if (nk > 64 || strlen(key) != nk)
    return sq_error(vm, "imp.setwificonfiguration: the key must be at "
                        "most 64 bytes");
  if (!o->set_config(a->host.ctx, ssid, key))
    return sq_error(vm, "imp.setwificonfiguration: the store failed");
  return 0;
}

/* imp.getssid() [WIFI-006]: the stored SSID. */
static int imp_getssid(sq_vm *vm) {
  struct api *a = API_OF(vm);
  const struct api_wifi_ops *o = ops_or_throw(vm, "imp.getssid");
  if (!o)
    return -1;
  sq_pushstring(vm, o->stored_ssid(a->host.ctx), SIZE_MAX);
  return 1;
}

/* imp.setpowersave(bool) [WIFI-024, WIFI-025] */
static int imp_setpowersave(sq_vm *vm) {
  struct api *a = API_OF(vm);
  if (sq_checktype(vm, 2, SQ_TBOOL) < 0)
    return -1;
  a->powersave = sq_truthy(vm, 2);
  if (a->host.wifi)
    a->host.wifi->powersave(a->host.ctx, a->powersave);
  return 0;
}

static int imp_getpowersave(sq_vm *vm) {
  sq_pushbool(vm, API_OF(vm)->powersave);
  return 1;
}

/* imp.getcountry() [WIFI-027]: the region refimp's radio is set to
** (constants.md "Region codes"): rest of the world, or global on imp005. */
static int imp_getcountry(sq_vm *vm) {
  struct api *a = API_OF(vm);
  sq_pushstring(vm, strcmp(a->board->name, "imp005") == 0 ? "00235A58"
                                                          : "00004247",
                SIZE_MAX);
  return 1;
}

/* imp.net.configurewps([pin]) [WIFI-020, WIFI-023] */
static int net_configurewps(sq_vm *vm) {
  struct api *a = API_OF(vm);
  const char *pin = "";
  size_t n = 0;
  const struct api_wifi_ops *o = ops_or_throw(vm, "imp.net.configurewps");
  if (!o)
    return -1;
  if (sq_gettop(vm) >= 2 && sq_gettype(vm, 2) != SQ_TNULL &&
      sq_checkstr(vm, 2, &pin, &n) < 0)
    return -1;
  bool digits = n == 8;
  for (size_t i = 0; digits && i < n; i++)
    digits = pin[i] >= '0' && pin[i] <= '9';
  if (n && !digits)
    return sq_error(vm, "imp.net.configurewps: the PIN must be 8 decimal "
                        "digits");
  if (!o->configure_wps(a->host.ctx, pin))
    return sq_error(vm, "imp.net.configurewps: the store failed");
  return 0;
}

/* imp.net.getwifihints() [WIFI-015, WIFI-016] */
static int net_getwifihints(sq_vm *vm) {
  struct api *a = API_OF(vm);
  char bssid[13];
  int channel;
  const struct api_wifi_ops *o = ops_or_throw(vm, "imp.net.getwifihints");
  if (!o)
    return -1;
  o->get_hints(a->host.ctx, bssid, &channel);
  sq_newtable(vm);
  sq_pushstring(vm, "bssid", SIZE_MAX);
  sq_pushstring(vm, bssid, SIZE_MAX);
  sq_newslot(vm, -3);
  sq_pushstring(vm, "channel", SIZE_MAX);
  sq_pushint(vm, channel);
  sq_newslot(vm, -3);
  return 1;
}

/* imp.net.setwifihints(bssid, channel), (null) clears [WIFI-017] */
static int net_setwifihints(sq_vm *vm) {
  struct api *a = API_OF(vm);
  const struct api_wifi_ops *o = ops_or_throw(vm, "imp.net.setwifihints");
  if (!o)
    return -1;
  if (sq_gettype(vm, 2) == SQ_TNULL) {
    if (!o->set_hints(a->host.ctx, NULL, -1))
      return sq_error(vm, "imp.net.setwifihints: the store failed");
    return 0;
  }
  const char *s;
  size_t n;
  int32_t channel;
  if (sq_checkstr(vm, 2, &s, &n) < 0)
    return -1;
  if (sq_gettop(vm) < 3)
    return sq_error(vm, "imp.net.setwifihints: a channel is needed with a "
                        "BSSID");
  if (sq_checkint(vm, 3, &channel) < 0)
    return -1;
  char bssid[13];
  bool ok = n == 12;
  for (size_t i = 0; ok && i < 12; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'F')
      c = (char)(c - 'A' + 'a'); /* stored lower-case, as reported */
    ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    bssid[i] = c;
  }
  bssid[12] = '\0';
  if (!ok)
    return sq_error(vm, "imp.net.setwifihints: the BSSID must be 12 hex "
                        "digits");
  if (!((channel >= 1 && channel <= 13) || (channel >= 36 && channel <= 165)))
    return sq_error(vm, "imp.net.setwifihints: channel %d is not a WiFi "
                        "channel", (int)channel);
  if (!o->set_hints(a->host.ctx, bssid, channel))
    return sq_error(vm, "imp.net.setwifihints: the store failed");
  return 0;
}

/* imp.net.counters() [WIFI-026] */
static int net_counters(sq_vm *vm) {
  struct api *a = API_OF(vm);
  uint8_t buf[64];
  const struct api_wifi_ops *o = ops_or_throw(vm, "imp.net.counters");
  if (!o)
    return -1;
  size_t n = o->counters(a->host.ctx, buf, sizeof buf);
  sq_newtable(vm);
  if (n) {
    sq_pushstring(vm, "wwd_wifi", SIZE_MAX);
    sq_newblob(vm, buf, n);
    sq_newslot(vm, -3);
  }
  return 1;
}

static const struct sq_reg always_fns[] = {
    {"setpowersave", imp_setpowersave, 2},
    {"getpowersave", imp_getpowersave, 1},
    {NULL, NULL, 0}};

static const struct sq_reg wifi_imp_fns[] = {
    {"setwificonfiguration", imp_setwificonfiguration, 3},
    {"getssid", imp_getssid, 1},
    {"scanwifinetworks", imp_scanwifinetworks, -1},
    {"getcountry", imp_getcountry, 1},
    {NULL, NULL, 0}};

static const struct sq_reg wifi_net_fns[] = {
    {"getwifihints", net_getwifihints, 1},
    {"setwifihints", net_setwifihints, -2},
    {"counters", net_counters, 1},
    {NULL, NULL, 0}};

static const struct sq_reg wps_fns[] = {
    {"configurewps", net_configurewps, -1},
    {NULL, NULL, 0}};

int api_wifi_imp(struct api *a) {
  int st = api_register(a, -1, always_fns);
  if (st == SQ_OK && board_has_wifi(a))
    st = api_register(a, -1, wifi_imp_fns);
  return st;
}

int api_wifi_net(struct api *a) {
  int st = SQ_OK;
  if (board_has_wifi(a))
    st = api_register(a, -1, wifi_net_fns);
  /* [CAP-005] no WPS on imp005 (and no WiFi on impC001) */
  if (st == SQ_OK && board_has_wifi(a) && strcmp(a->board->name, "imp005"))
    st = api_register(a, -1, wps_fns);
  return st;
}

void api_wifi_info(struct api *a) {
  sq_vm *vm = a->vm;
  const struct api_wifi_ops *o = a->host.wifi;
  if (!o || !board_has_wifi(a))
    return;
  int channel = 0;
  const char *joined = o->joined_ssid(a->host.ctx, &channel);
  sq_pushstring(vm, "storedssid", SIZE_MAX);
  sq_pushstring(vm, o->stored_ssid(a->host.ctx), SIZE_MAX);
  sq_newslot(vm, -3);
  if (joined) {
    sq_pushstring(vm, "ssid", SIZE_MAX);
    sq_pushstring(vm, joined, SIZE_MAX);
    sq_newslot(vm, -3);
    sq_pushstring(vm, "channel", SIZE_MAX);
    sq_pushint(vm, channel);
    sq_newslot(vm, -3);
  }
}

int api_wifi_lasterror(struct api *a) {
  return a->host.wifi ? a->host.wifi->last_error(a->host.ctx) : 0;
}
