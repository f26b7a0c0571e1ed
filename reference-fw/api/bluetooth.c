/*
** bluetooth.c: hardware.bluetooth on the imp004m (impOS 38): open and
** close, advertising, scanning, the GATT server (its model is gatt.c),
** incoming connections and their objects, the security setting. The
** radio is the jig's simulated peer: what the code does goes out as jig
** messages, what the peer does comes in through api_bt_jig (specs/jig.md
** "Bluetooth"). Every byte of state lives in the VM's counted memory, so
** imp.getmemoryfree() sees a leak (REG-025).
*/
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include "api/gatt.h"

#define BT_DATA_MAX 31          /* advert and scan response (BT-003) */
#define BT_ADV_MIN_MS 20
#define BT_ADV_MAX_MS 10240
#define BT_SCAN_MIN_MS 3        /* setscanparams (constants.md) */
#define BT_SCAN_MAX_MS 10240
#define BT_MAX_CONNS 4
#define BT_PIN_MAX 999999

static const char bt_tag;   /* type tag of the bluetooth class */
static const char conn_tag; /* type tag of connection objects */

/* User data of a connection object (VM memory, freed with the object). */
struct bt_conn {
  uint32_t id;        /* the jig's number for it; 0 once closed */
  char address[13];   /* the peer's */
  int32_t rssi;
  int32_t security;   /* the setsecurity() mode when it connected */
  int onclose;        /* sq_ref or -1 */
};

struct bt_link {
  uint32_t id;        /* 0: free slot */
  int obj;            /* sq_ref of the connection object */
};

struct api_bt {
  int conn_cls;             /* sq_ref of the connection class */
  uint32_t gen;             /* number of the open instance (its user
                               pointer); bumped by every open() */
  bool open;
  char address[13];         /* the DUT's own: its MAC */
  bool advertising;
  uint8_t adv[BT_DATA_MAX], sr[BT_DATA_MAX];
  size_t nadv, nsr;
  bool has_sr;
  uint32_t min_ms, max_ms;
  bool scanning;
  int scan_cb;              /* sq_ref or -1 */
  bool active;
  uint32_t interval_ms, window_ms;
  int onconnect;            /* sq_ref or -1: refuse connections */
  int32_t security, pin;
  bool in_gatt;             /* a GATT callback runs (BT-009) */
  uint32_t next_conn;
  struct bt_link links[BT_MAX_CONNS];
  struct gatt gatt;
};

/* ---- the jig ------------------------------------------------------------ */

static void bt_send(struct api *a, Impjig__JigEnvelope *e) {
  if (a->host.jig)
    a->host.jig(a->host.ctx, e);
}

static void bt_log(struct api *a, const char *fmt, const char *what) {
  char line[200];
  snprintf(line, sizeof line, fmt, what);
  struct api_event ev = {.kind = API_EV_PRINT, .text = line};
  a->host.observe(a->host.ctx, &ev);
}

static void send_radio(struct api *a) {
  Impjig__BtRadio r = IMPJIG__BT_RADIO__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  r.open = a->bt->open;
  r.address = a->bt->address;
  r.at_ms = api_now(a);
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_RADIO;
  e.bt_radio = &r;
  bt_send(a, &e);
}

static void send_advertising(struct api *a) {
  struct api_bt *bt = a->bt;
  Impjig__BtAdvertising m = IMPJIG__BT_ADVERTISING__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  m.on = bt->advertising;
  m.connectable = bt->onconnect >= 0;
  m.at_ms = api_now(a);
  if (bt->advertising) {
    m.has_data = true;
    m.data.data = bt->adv;
    m.data.len = bt->nadv;
    m.has_scan_response = bt->has_sr;
    m.scan_response.data = bt->sr;
    m.scan_response.len = bt->nsr;
    m.has_min_interval_ms = m.has_max_interval_ms = true;
    m.min_interval_ms = bt->min_ms;
    m.max_interval_ms = bt->max_ms;
  }
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_ADVERTISING;
  e.bt_advertising = &m;
  bt_send(a, &e);
}

static void send_scanning(struct api *a) {
  struct api_bt *bt = a->bt;
  Impjig__BtScanning m = IMPJIG__BT_SCANNING__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  m.on = bt->scanning;
  m.at_ms = api_now(a);
  if (bt->scanning) {
    m.has_active = m.has_interval_ms = m.has_window_ms = true;
    m.active = bt->active;
    m.interval_ms = bt->interval_ms;
    m.window_ms = bt->window_ms;
  }
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_SCANNING;
  e.bt_scanning = &m;
  bt_send(a, &e);
}

static void send_disconnect(struct api *a, uint32_t id) {
  Impjig__BtDisconnect m = IMPJIG__BT_DISCONNECT__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  m.conn = id;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_DISCONNECT;
  e.bt_disconnect = &m;
  bt_send(a, &e);
}

/* ---- state helpers -------------------------------------------------------- */

static void unref(struct api *a, int *ref) {
  if (*ref >= 0)
    sq_unref(a->vm, *ref);
  *ref = -1;
}

/* Queue fn (a reference kept by the caller) with the value at arg_idx as
** its argument (0: none); the queue takes references of its own. */
static void queue_call(struct api *a, int fn, int arg_idx) {
  struct api_pending p = {.fn = -1, .arg = -1};
  sq_pushref(a->vm, fn);
  p.fn = sq_ref(a->vm, -1);
  sq_pop(a->vm, 1);
  if (arg_idx)
    p.arg = sq_ref(a->vm, arg_idx);
  if (p.fn < 0 || (arg_idx && p.arg < 0)) {
    if (p.fn >= 0)
      sq_unref(a->vm, p.fn);
    return; /* out of memory: the VM is about to be reset */
  }
  api_queue(a, &p);
}

static struct bt_link *find_link(struct api_bt *bt, uint32_t id) {
  for (int i = 0; id && i < BT_MAX_CONNS; i++)
    if (bt->links[i].id == id)
      return &bt->links[i];
  return NULL;
}

/* End connection l: the object closes, its onclose runs only when the
** peer ended it (conn.close() does not call it: research imp-api 7.7). */
static void end_link(struct api *a, struct bt_link *l, bool call_onclose) {
  sq_pushref(a->vm, l->obj);
  struct bt_conn *c = sq_getinstanceup(a->vm, -1, &conn_tag);
  if (c) {
    c->id = 0;
    if (call_onclose && c->onclose >= 0)
      queue_call(a, c->onclose, 0);
    unref(a, &c->onclose);
  }
  sq_pop(a->vm, 1);
  unref(a, &l->obj);
  l->id = 0;
}

/* Forget the GATT table and the callbacks it holds. */
static void gatt_drop(struct api *a) {
  struct gatt *g = &a->bt->gatt;
  for (size_t i = 0; i < g->nchars; i++) {
    unref(a, &g->chars[i].read_cb);
    unref(a, &g->chars[i].write_cb);
  }
  gatt_clear(g);
}

/* Everything the open radio holds goes: connections, advertising,
** scanning, callbacks, the GATT table; the jig hears each. */
static void close_radio(struct api *a) {
  struct api_bt *bt = a->bt;
  for (int i = 0; i < BT_MAX_CONNS; i++)
    if (bt->links[i].id) {
      send_disconnect(a, bt->links[i].id);
      end_link(a, &bt->links[i], false);
    }
  if (bt->advertising) {
    bt->advertising = false;
    send_advertising(a);
  }
  if (bt->scanning) {
    bt->scanning = false;
    send_scanning(a);
  }
  unref(a, &bt->scan_cb);
  unref(a, &bt->onconnect);
  gatt_drop(a);
  bt->open = false;
  send_radio(a);
}

static bool is_function(sq_vm *vm, int idx) {
  enum sq_type t = sq_gettype(vm, idx);
  return t == SQ_TCLOSURE || t == SQ_TNATIVE;
}

/* The bytes of a string or blob at idx; -1 (error set) otherwise. */
static int get_bytes(sq_vm *vm, int idx, const char *what,
                     const uint8_t **p, size_t *n) {
  const char *s = sq_tostr(vm, idx, n);
  if (s) {
    *p = (const uint8_t *)s;
    return 0;
  }
  uint8_t *b;
  if (sq_getblob(vm, idx, &b, n) == 0) {
    *p = b;
    return 0;
  }
  return sq_error(vm, "%s must be a string or a blob", what);
}

/* ---- hardware.bluetooth.open and the instance ---------------------------- */

/* The open radio behind `this`, or NULL with the error set. */
static struct api_bt *self(sq_vm *vm, const char *fn) {
  struct api *a = API_OF(vm);
  void *up = sq_getinstanceup(vm, 1, &bt_tag);
  if (!up) {
    sq_error(vm, "bluetooth.%s: call it on the object "
                 "hardware.bluetooth.open() returned", fn);
    return NULL;
  }
  if (!a->bt->open || (uintptr_t)up != a->bt->gen) {
    sq_error(vm, "bluetooth.%s: this Bluetooth object is closed", fn);
    return NULL;
  }
  return a->bt;
}

/* Is the value at idx one of the board's UART objects (hardware.uartXX)?
** The radio may be wired to any of them (seeds/000). */
static bool is_board_uart(struct api *a, int idx) {
  sq_vm *vm = a->vm;
  bool found = false;
  int top = sq_gettop(vm);
  sq_pushroot(vm);
  sq_pushstring(vm, "hardware", SIZE_MAX);
  if (sq_rawget(vm, -2) == SQ_OK)
    for (int i = 0; !found && i < BOARD_MAX_BUSES && a->board->uarts[i];
         i++) {
      sq_pushstring(vm, a->board->uarts[i], SIZE_MAX);
      if (sq_rawget(vm, -2) == SQ_OK)
        found = sq_rawequal(vm, -1, idx);
      sq_settop(vm, top + 2);
    }
  sq_settop(vm, top);
  return found;
}

/* hardware.bluetooth.open(uart, firmware): the UART is one of the
** board's; refimp's radio is simulated, so the firmware need only be not
** empty. A second open() closes the first object (REG-035: it succeeds
** every time). */
static int bt_open(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = a->bt;
  const uint8_t *fw;
  size_t nfw;
  if (!is_board_uart(a, 2))
    return sq_error(vm, "hardware.bluetooth.open: the first argument must "
                        "be the UART wired to the Bluetooth radio (one of "
                        "the board's hardware.uartXX)");
  if (get_bytes(vm, 3, "hardware.bluetooth.open: the firmware", &fw,
                &nfw) < 0)
    return -1;
  if (nfw == 0)
    return sq_error(vm, "hardware.bluetooth.open: the firmware is empty");
  if (a->stopped)
    return 0;
  if (bt->open)
    close_radio(a);
  bt->gen = bt->gen + 1 ? bt->gen + 1 : 1;
  bt->open = true;
  bt->active = false; /* research imp-api 7.7: passive, 10 ms / 10 ms */
  bt->interval_ms = bt->window_ms = 10;
  bt->security = 1;
  bt->pin = 0;
  send_radio(a);
  /* `this` is the class (or an instance of it) */
  sq_pushvalue(vm, 1);
  if (sq_gettype(vm, -1) == SQ_TINSTANCE) {
    sq_getclass(vm, -1);
    sq_remove(vm, -2);
  }
  sq_createinstance(vm, -1);
  sq_setinstanceup(vm, -1, (void *)(uintptr_t)bt->gen);
  return 1;
}

/* close(): the radio goes off; closing a closed object does nothing. */
static int bt_close(sq_vm *vm) {
  struct api *a = API_OF(vm);
  void *up = sq_getinstanceup(vm, 1, &bt_tag);
  if (!up)
    return sq_error(vm, "bluetooth.close: call it on the object "
                        "hardware.bluetooth.open() returned");
  if (!a->stopped && a->bt->open && (uintptr_t)up == a->bt->gen)
    close_radio(a);
  return 0;
}

static bool interval_ok(int32_t ms) {
  return ms >= BT_ADV_MIN_MS && ms <= BT_ADV_MAX_MS;
}

/* startadvertise(advert, minIntervalMs, maxIntervalMs[, scanResponse]) */
static int bt_startadvertise(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = self(vm, "startadvertise");
  const uint8_t *adv, *sr = NULL;
  size_t nadv, nsr = 0;
  int32_t lo, hi;
  if (!bt)
    return -1;
  if (get_bytes(vm, 2, "bluetooth.startadvertise: the advert", &adv,
                &nadv) < 0 ||
      sq_checkint(vm, 3, &lo) < 0 || sq_checkint(vm, 4, &hi) < 0)
    return -1;
  if (sq_gettop(vm) >= 5 && sq_gettype(vm, 5) != SQ_TNULL &&
      get_bytes(vm, 5, "bluetooth.startadvertise: the scan response", &sr,
                &nsr) < 0)
    return -1;
  if (nadv > BT_DATA_MAX || nsr > BT_DATA_MAX) /* BT-003 */
    return sq_error(vm, "bluetooth.startadvertise: the %s is %zu bytes, "
                        "more than %d", nadv > BT_DATA_MAX ? "advert"
                                                           : "scan response",
                    nadv > BT_DATA_MAX ? nadv : nsr, BT_DATA_MAX);
  if (!interval_ok(lo) || !interval_ok(hi))
    return sq_error(vm, "bluetooth.startadvertise: intervals must be %d to "
                        "%d ms", BT_ADV_MIN_MS, BT_ADV_MAX_MS);
  if (lo > hi)
    return sq_error(vm, "bluetooth.startadvertise: the minimum interval "
                        "%d ms is above the maximum %d ms", (int)lo,
                    (int)hi);
  if (a->stopped)
    return 0;
  if (nadv) /* an empty blob may have no bytes at all */
    memcpy(bt->adv, adv, nadv);
  bt->nadv = nadv;
  bt->has_sr = sr != NULL;
  if (nsr)
    memcpy(bt->sr, sr, nsr);
  bt->nsr = nsr;
  bt->min_ms = (uint32_t)lo;
  bt->max_ms = (uint32_t)hi;
  bt->advertising = true;
  send_advertising(a);
  return 0;
}

static int bt_stopadvertise(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = self(vm, "stopadvertise");
  if (!bt)
    return -1;
  if (!a->stopped && bt->advertising) { /* BT-005: no error when idle */
    bt->advertising = false;
    send_advertising(a);
  }
  return 0;
}

/* startscan(callback(adverts)); again: the new callback replaces it */
static int bt_startscan(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = self(vm, "startscan");
  if (!bt)
    return -1;
  if (!is_function(vm, 2))
    return sq_error(vm, "bluetooth.startscan: the callback must be a "
                        "function");
  if (a->stopped)
    return 0;
  api_setref(a, &bt->scan_cb, 2);
  bool was = bt->scanning;
  bt->scanning = true;
  if (!was)
    send_scanning(a);
  return 0;
}

static int bt_stopscan(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = self(vm, "stopscan");
  if (!bt)
    return -1;
  if (!a->stopped && bt->scanning) {
    bt->scanning = false;
    unref(a, &bt->scan_cb);
    send_scanning(a);
  }
  return 0;
}

/* setscanparams(active, intervalMs, windowMs) */
static int bt_setscanparams(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = self(vm, "setscanparams");
  int32_t iv, win;
  if (!bt || sq_checktype(vm, 2, SQ_TBOOL) < 0 ||
      sq_checkint(vm, 3, &iv) < 0 || sq_checkint(vm, 4, &win) < 0)
    return -1;
  if (iv < BT_SCAN_MIN_MS || iv > BT_SCAN_MAX_MS || win < BT_SCAN_MIN_MS ||
      win > iv)
    return sq_error(vm, "bluetooth.setscanparams: the interval must be %d "
                        "to %d ms and the window %d ms to the interval",
                    BT_SCAN_MIN_MS, BT_SCAN_MAX_MS, BT_SCAN_MIN_MS);
  if (a->stopped)
    return 0;
  bt->active = sq_truthy(vm, 2);
  bt->interval_ms = (uint32_t)iv;
  bt->window_ms = (uint32_t)win;
  if (bt->scanning)
    send_scanning(a);
  return 0;
}

/* onconnect(callback|null): a callback makes the advert connectable */
static int bt_onconnect(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = self(vm, "onconnect");
  if (!bt)
    return -1;
  if (sq_gettype(vm, 2) != SQ_TNULL && !is_function(vm, 2))
    return sq_error(vm, "bluetooth.onconnect: the callback must be a "
                        "function or null");
  if (a->stopped)
    return 0;
  bool was = bt->onconnect >= 0;
  api_setref(a, &bt->onconnect, 2);
  if (bt->advertising && was != (bt->onconnect >= 0))
    send_advertising(a);
  return 0;
}

/* setsecurity(mode[, pin]): 1, 3 or 4; a PIN 0 to 999999 */
static int bt_setsecurity(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = self(vm, "setsecurity");
  int32_t mode, pin = 0;
  if (!bt || sq_checkint(vm, 2, &mode) < 0)
    return -1;
  if (mode != 1 && mode != 3 && mode != 4)
    return sq_error(vm, "bluetooth.setsecurity: mode must be 1, 3 or 4");
  if (sq_gettop(vm) >= 3 && sq_gettype(vm, 3) != SQ_TNULL) {
    if (sq_checkint(vm, 3, &pin) < 0)
      return -1;
    if (pin < 0 || pin > BT_PIN_MAX)
      return sq_error(vm, "bluetooth.setsecurity: the PIN must be 0 to %d",
                      BT_PIN_MAX);
  }
  if (!a->stopped) {
    bt->security = mode;
    bt->pin = pin;
  }
  return 0;
}

/* ---- servegatt --------------------------------------------------------------
** servegatt([{uuid, chars: [{uuid, flags?, value? | read?, write?}]}]).
** A first pass checks everything, so a refused table leaves the old one
** serving; the second builds (only out of memory can stop it).
*/

/* Push t[name] (t at idx) and return its type; null when absent. */
static enum sq_type field(sq_vm *vm, int idx, const char *name) {
  int t = idx < 0 ? sq_gettop(vm) + idx + 1 : idx;
  sq_pushstring(vm, name, SIZE_MAX);
  if (!sq_rawin(vm, t)) {
    sq_pushnull(vm);
    return SQ_TNULL;
  }
  sq_pushstring(vm, name, SIZE_MAX);
  sq_rawget(vm, t);
  return sq_gettype(vm, -1);
}

/* The canonical UUID of field "uuid" of the table at idx, or -1. */
static int field_uuid(sq_vm *vm, int idx, const char *what,
                      char out[GATT_UUID_SIZE]) {
  size_t n;
  field(vm, idx, "uuid");
  const char *s = sq_tostr(vm, -1, &n);
  bool ok = s && gatt_uuid(s, n, out);
  sq_pop(vm, 1);
  if (!ok)
    return sq_error(vm, "bluetooth.servegatt: %s has no uuid of 4 or 32 "
                        "hex digits", what);
  return 0;
}

/* One characteristic table at idx: check it, and add it when g is set. */
static int one_char(sq_vm *vm, int idx, const char *svc, struct gatt *g) {
  char uuid[GATT_UUID_SIZE];
  const uint8_t *val = NULL;
  size_t nval = 0;
  int32_t flags = -1;
  if (sq_gettype(vm, idx) != SQ_TTABLE)
    return sq_error(vm, "bluetooth.servegatt: a characteristic must be a "
                        "table");
  if (field_uuid(vm, idx, "a characteristic", uuid) < 0)
    return -1;
  enum sq_type tf = field(vm, idx, "flags");
  if (tf != SQ_TNULL && (tf != SQ_TINTEGER ||
                         (flags = sq_toint(vm, -1)) < 0 ||
                         flags > GATT_FLAGS_ALL))
    return sq_error(vm, "bluetooth.servegatt: characteristic %s: flags "
                        "must be an integer 0 to 0x%02x", uuid,
                    GATT_FLAGS_ALL);
  enum sq_type tv = field(vm, idx, "value");
  enum sq_type tr = field(vm, idx, "read");
  enum sq_type tw = field(vm, idx, "write");
  /* stack: flags value read write */
  if (tv != SQ_TNULL &&
      get_bytes(vm, -3, "bluetooth.servegatt: a value", &val, &nval) < 0)
    return -1;
  if (nval > GATT_VALUE_MAX)
    return sq_error(vm, "bluetooth.servegatt: characteristic %s: the value "
                        "is over %d bytes", uuid, GATT_VALUE_MAX);
  if ((tr != SQ_TNULL && !is_function(vm, -2)) ||
      (tw != SQ_TNULL && !is_function(vm, -1)))
    return sq_error(vm, "bluetooth.servegatt: characteristic %s: read and "
                        "write must be functions", uuid);
  if (tv != SQ_TNULL && tr != SQ_TNULL)
    return sq_error(vm, "bluetooth.servegatt: characteristic %s has both "
                        "a value and a read function", uuid);
  if (g) {
    uint32_t f = flags >= 0 ? (uint32_t)flags
                            : gatt_default_flags(tv != SQ_TNULL,
                                                 tr != SQ_TNULL,
                                                 tw != SQ_TNULL);
    int rd = tr != SQ_TNULL ? sq_ref(vm, -2) : -1;
    int wr = tw != SQ_TNULL ? sq_ref(vm, -1) : -1;
    int r = gatt_add_char(g, svc, uuid, f, val, nval, rd, wr);
    if (r < 0) {
      if (rd >= 0)
        sq_unref(vm, rd);
      if (wr >= 0)
        sq_unref(vm, wr);
      if (r == GATT_ENOMEM)
        return sq_error(vm, "bluetooth.servegatt: out of memory");
      return sq_error(vm, "bluetooth.servegatt: characteristic %s: %s",
                      uuid, r == GATT_EDUP ? "appears twice in its service"
                                           : "one too many (at most 32)");
    }
  }
  sq_pop(vm, 4);
  return 0;
}

/* Both passes over the services array at index 2. */
static int walk_services(sq_vm *vm, struct gatt *g) {
  int32_t ns = sq_len(vm, 2);
  size_t total = 0;
  if (ns > GATT_MAX_SERVICES)
    return sq_error(vm, "bluetooth.servegatt: at most %d services",
                    GATT_MAX_SERVICES);
  for (int32_t i = 0; i < ns; i++) {
    char svc[GATT_UUID_SIZE];
    sq_arrayget(vm, 2, i);
    if (sq_gettype(vm, -1) != SQ_TTABLE)
      return sq_error(vm, "bluetooth.servegatt: service %d is not a table",
                      (int)i);
    if (field_uuid(vm, -1, "a service", svc) < 0)
      return -1;
    if (g && gatt_add_service(g, svc) < 0)
      return sq_error(vm, "bluetooth.servegatt: service %s appears twice",
                      svc);
    if (field(vm, -1, "chars") != SQ_TARRAY)
      return sq_error(vm, "bluetooth.servegatt: service %s: chars must be "
                          "an array", svc);
    int32_t nc = sq_len(vm, -1);
    total += (size_t)nc;
    if (total > GATT_MAX_CHARS)
      return sq_error(vm, "bluetooth.servegatt: at most %d characteristics "
                          "in all", GATT_MAX_CHARS);
    for (int32_t k = 0; k < nc; k++) {
      sq_arrayget(vm, -1, k);
      if (one_char(vm, sq_gettop(vm), svc, g) < 0)
        return -1;
      sq_pop(vm, 1);
    }
    sq_pop(vm, 2); /* chars, the service */
  }
  return 0;
}

static int bt_servegatt(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_bt *bt = self(vm, "servegatt");
  if (!bt || sq_checktype(vm, 2, SQ_TARRAY) < 0)
    return -1;
  int top = sq_gettop(vm);
  if (walk_services(vm, NULL) < 0)
    return -1;
  sq_settop(vm, top);
  if (a->stopped)
    return 0;
  gatt_drop(a);
  if (walk_services(vm, &bt->gatt) < 0) {
    gatt_drop(a); /* nothing half-built keeps serving */
    return -1;
  }
  return 0;
}

/* ---- connection objects ------------------------------------------------- */

static void conn_release(sq_vm *vm, void *up) {
  sq_realloc(vm, up, sizeof(struct bt_conn), 0);
}

static struct bt_conn *conn_of(sq_vm *vm) {
  struct bt_conn *c = sq_getinstanceup(vm, 1, &conn_tag);
  if (!c)
    sq_error(vm, "not a Bluetooth connection");
  return c;
}

static int conn_address(sq_vm *vm) {
  struct bt_conn *c = conn_of(vm);
  if (!c)
    return -1;
  sq_pushstring(vm, c->address, SIZE_MAX);
  return 1;
}

static int conn_rssi(sq_vm *vm) {
  struct bt_conn *c = conn_of(vm);
  if (!c)
    return -1;
  sq_pushint(vm, c->rssi);
  return 1;
}

static int conn_security(sq_vm *vm) {
  struct bt_conn *c = conn_of(vm);
  if (!c)
    return -1;
  sq_pushint(vm, c->security);
  return 1;
}

/* close(): the peer is told; onclose is not called (research 7.7) */
static int conn_close(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct bt_conn *c = conn_of(vm);
  if (!c)
    return -1;
  struct bt_link *l = find_link(a->bt, c->id);
  if (!a->stopped && l) {
    send_disconnect(a, l->id);
    end_link(a, l, false);
  }
  return 0;
}

static int conn_onclose(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct bt_conn *c = conn_of(vm);
  if (!c)
    return -1;
  if (sq_gettype(vm, 2) != SQ_TNULL && !is_function(vm, 2))
    return sq_error(vm, "connection.onclose: the callback must be a "
                        "function or null");
  if (!a->stopped && c->id)
    api_setref(a, &c->onclose, 2);
  return 0;
}

/* notify(serviceUuid, characteristicUuid, value): to the connected peer;
** the characteristic must have the notify or indicate flag. */
static int conn_notify(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct bt_conn *c = conn_of(vm);
  const char *svc, *chr;
  const uint8_t *v;
  size_t n, ns, nc;
  if (!c || sq_checkstr(vm, 2, &svc, &ns) < 0 ||
      sq_checkstr(vm, 3, &chr, &nc) < 0 ||
      get_bytes(vm, 4, "connection.notify: the value", &v, &n) < 0)
    return -1;
  if (!c->id)
    return sq_error(vm, "connection.notify: the connection is closed");
  int ci = gatt_find(&a->bt->gatt, svc, chr);
  if (ci < 0)
    return sq_error(vm, "connection.notify: no characteristic %s in "
                        "service %s", chr, svc);
  if (!(a->bt->gatt.chars[ci].flags & (GATT_NOTIFY | GATT_INDICATE)))
    return sq_error(vm, "connection.notify: characteristic %s has neither "
                        "the notify nor the indicate flag", chr);
  if (n > GATT_VALUE_MAX)
    return sq_error(vm, "connection.notify: the value is over %d bytes",
                    GATT_VALUE_MAX);
  if (a->stopped)
    return 0;
  Impjig__BtNotify m = IMPJIG__BT_NOTIFY__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  m.conn = c->id;
  m.service = a->bt->gatt.chars[ci].service;
  m.characteristic = a->bt->gatt.chars[ci].uuid;
  m.value.data = (uint8_t *)v;
  m.value.len = n;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_NOTIFY;
  e.bt_notify = &m;
  bt_send(a, &e);
  return 0;
}

/* ---- the peer's side (api_bt_jig) ----------------------------------------- */

static bool address_ok(const char *s) {
  if (!s || strlen(s) != 12)
    return false;
  for (int i = 0; i < 12; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

/* One advert for the scan callback: [{type, rssi, address, addresstype,
** data, time, rule}] (BT-006). */
static void peer_advert(struct api *a, const Impjig__BtPeerAdvert *m) {
  struct api_bt *bt = a->bt;
  sq_vm *vm = a->vm;
  if (!address_ok(m->address) || m->address_type > 1 || m->rssi < -127 ||
      m->rssi > 20 || m->data.len > BT_DATA_MAX || m->type > 4) {
    bt_log(a, "jig: BtPeerAdvert from %.20s: a field is out of range "
              "(specs/jig.md); ignored", m->address);
    return;
  }
  if (!bt->open || !bt->scanning)
    return; /* nobody listens: the advert is in the air only */
  int top = sq_gettop(vm);
  if (sq_newarray(vm, 0) != SQ_OK || sq_newtable(vm) != SQ_OK)
    goto out;
  struct {
    const char *k;
    int32_t v;
  } ints[] = {{"type", (int32_t)m->type},
              {"rssi", m->rssi},
              {"addresstype", (int32_t)m->address_type},
              {"time", (int32_t)(uint32_t)(api_now(a) - a->boot_ms)},
              {"rule", 0}};
  for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    sq_pushstring(vm, ints[i].k, SIZE_MAX);
    sq_pushint(vm, ints[i].v);
    if (sq_newslot(vm, -3) != SQ_OK)
      goto out;
  }
  sq_pushstring(vm, "address", SIZE_MAX);
  sq_pushstring(vm, m->address, SIZE_MAX);
  if (sq_newslot(vm, -3) != SQ_OK)
    goto out;
  sq_pushstring(vm, "data", SIZE_MAX);
  if (sq_newblob(vm, m->data.data, m->data.len) != SQ_OK ||
      sq_newslot(vm, -3) != SQ_OK || sq_arrayappend(vm, -2) != SQ_OK)
    goto out;
  queue_call(a, bt->scan_cb, sq_gettop(vm));
out:
  sq_settop(vm, top);
}

static void answer_connect(struct api *a, uint32_t seq, uint32_t conn) {
  Impjig__BtConnected m = IMPJIG__BT_CONNECTED__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  m.seq = seq;
  m.accepted = conn != 0;
  m.has_conn = conn != 0;
  m.conn = conn;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_CONNECTED;
  e.bt_connected = &m;
  bt_send(a, &e);
}

/* A connection object for link l (on top of the stack), or false. */
static bool new_conn(struct api *a, struct bt_link *l,
                     const Impjig__BtConnect *m) {
  sq_vm *vm = a->vm;
  struct bt_conn *c = sq_realloc(vm, NULL, 0, sizeof(*c));
  if (!c)
    return false;
  memset(c, 0, sizeof(*c));
  c->id = l->id;
  memcpy(c->address, m->address, 13);
  c->rssi = m->rssi;
  c->security = a->bt->security;
  c->onclose = -1;
  sq_pushref(vm, a->bt->conn_cls);
  if (sq_createinstance(vm, -1) != SQ_OK) {
    sq_pop(vm, 1);
    conn_release(vm, c);
    return false;
  }
  sq_remove(vm, -2);
  sq_setinstanceup(vm, -1, c);
  l->obj = sq_ref(vm, -1);
  return l->obj >= 0;
}

/* BT-007: accepted only while open, advertising and with an onconnect
** callback, and while a connection slot is free. */
static void peer_connect(struct api *a, const Impjig__BtConnect *m) {
  struct api_bt *bt = a->bt;
  struct bt_link *l = NULL;
  for (int i = 0; !l && i < BT_MAX_CONNS; i++)
    if (!bt->links[i].id)
      l = &bt->links[i];
  if (!address_ok(m->address) || m->address_type > 1 || m->rssi < -127 ||
      m->rssi > 20) {
    bt_log(a, "jig: BtConnect from %.20s: a field is out of range "
              "(specs/jig.md); refused", m->address);
    l = NULL;
  }
  if (!l || !bt->open || !bt->advertising || bt->onconnect < 0) {
    answer_connect(a, m->seq, 0);
    return;
  }
  bt->next_conn = bt->next_conn + 1 ? bt->next_conn + 1 : 1;
  l->id = bt->next_conn;
  int top = sq_gettop(a->vm);
  if (!new_conn(a, l, m)) {
    l->id = 0;
    l->obj = -1;
    sq_settop(a->vm, top);
    answer_connect(a, m->seq, 0);
    return;
  }
  answer_connect(a, m->seq, l->id);
  queue_call(a, bt->onconnect, sq_gettop(a->vm));
  sq_settop(a->vm, top);
}

static void answer_gatt(struct api *a, uint32_t seq, uint32_t status,
                        const uint8_t *v, size_t n) {
  Impjig__BtGattResponse m = IMPJIG__BT_GATT_RESPONSE__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  m.seq = seq;
  m.status = status;
  m.has_value = status == GATT_ATT_OK && v != NULL;
  m.value.data = (uint8_t *)v;
  m.value.len = n;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_GATT_RESPONSE;
  e.bt_gatt_response = &m;
  bt_send(a, &e);
}

/* Call a GATT callback now (the peer waits for the answer) with the
** connection and, for a write, the value; the result stays on the stack.
** Squirrel may not suspend meanwhile (BT-009). */
static bool call_gatt(struct api *a, int fn, struct bt_link *l,
                      const ProtobufCBinaryData *value) {
  sq_vm *vm = a->vm;
  sq_pushref(vm, fn);
  sq_pushroot(vm);
  sq_pushref(vm, l->obj);
  int nargs = 2;
  if (value) {
    if (sq_newblob(vm, value->data, value->len) != SQ_OK) {
      sq_pop(vm, 3);
      return false;
    }
    nargs++;
  }
  a->bt->in_gatt = true;
  bool ok = api_run_call_keep(a, nargs);
  a->bt->in_gatt = false;
  api_flush_request(a);
  return ok;
}

static void peer_gatt(struct api *a, const Impjig__BtGattRequest *m) {
  struct api_bt *bt = a->bt;
  struct bt_link *l = bt->open ? find_link(bt, m->conn) : NULL;
  bool write = m->op == IMPJIG__BT_GATT_REQUEST__OP__WRITE;
  size_t wlen = m->has_value ? m->value.len : 0;
  if (!l) {
    answer_gatt(a, m->seq, GATT_ATT_UNLIKELY, NULL, 0);
    return;
  }
  int ci = gatt_find(&bt->gatt, m->service, m->characteristic);
  uint32_t st = gatt_check(&bt->gatt, ci, write ? GATT_OP_WRITE
                                                 : GATT_OP_READ, wlen);
  if (st != GATT_ATT_OK) {
    answer_gatt(a, m->seq, st, NULL, 0);
    return;
  }
  struct gatt_char *c = &bt->gatt.chars[ci];
  int cb = write ? c->write_cb : c->read_cb;
  if (cb < 0) { /* the stored value answers */
    if (write && gatt_set_value(&bt->gatt, ci, m->value.data, wlen) < 0)
      st = GATT_ATT_UNLIKELY;
    answer_gatt(a, m->seq, st, c->value ? c->value : (const uint8_t *)"",
                c->len);
    return;
  }
  int top = sq_gettop(a->vm);
  const uint8_t *v = NULL;
  size_t n = 0;
  ProtobufCBinaryData none = {0, NULL};
  if (!call_gatt(a, cb, l, write ? (m->has_value ? &m->value : &none)
                                 : NULL)) {
    st = GATT_ATT_UNLIKELY; /* the error went to the log */
  } else if (write) {
    /* the callback's status, 0 when it returns nothing */
    enum sq_type t = sq_gettype(a->vm, -1);
    st = t == SQ_TNULL ? 0
         : t == SQ_TINTEGER && sq_toint(a->vm, -1) >= 0
             ? (uint32_t)sq_toint(a->vm, -1)
             : GATT_ATT_UNLIKELY;
  } else {
    const char *s = sq_tostr(a->vm, -1, &n);
    uint8_t *b;
    if (s)
      v = (const uint8_t *)s;
    else if (sq_getblob(a->vm, -1, &b, &n) == 0)
      v = b;
    if (!v || n > GATT_VALUE_MAX) {
      bt_log(a, "bluetooth: the read callback of characteristic %s must "
                "return a string or blob of at most 512 bytes",
             c->uuid);
      st = GATT_ATT_UNLIKELY;
    }
  }
  answer_gatt(a, m->seq, st, v ? v : (const uint8_t *)"", n);
  sq_settop(a->vm, top);
}

void api_bt_jig(struct api *a, const Impjig__JigEnvelope *m) {
  if (!a || a->stopped || !a->started)
    return;
  if (!a->bt) {
    bt_log(a, "jig: %s: this board has no Bluetooth; ignored",
           "a Bluetooth message");
    return;
  }
  switch (m->msg_case) {
  case IMPJIG__JIG_ENVELOPE__MSG_BT_PEER_ADVERT:
    peer_advert(a, m->bt_peer_advert);
    break;
  case IMPJIG__JIG_ENVELOPE__MSG_BT_CONNECT:
    peer_connect(a, m->bt_connect);
    break;
  case IMPJIG__JIG_ENVELOPE__MSG_BT_GATT_REQUEST:
    peer_gatt(a, m->bt_gatt_request);
    break;
  case IMPJIG__JIG_ENVELOPE__MSG_BT_DISCONNECT: {
    struct bt_link *l = find_link(a->bt, m->bt_disconnect->conn);
    if (l)
      end_link(a, l, true);
    break;
  }
  default:
    bt_log(a, "jig: %s is a message the DUT sends, not the jig; ignored",
           "a Bluetooth report");
    break;
  }
}

/* ---- registration ----------------------------------------------------------- */

int api_bt_no_suspend(sq_vm *vm, const char *fn) {
  struct api *a = API_OF(vm);
  if (a->bt && a->bt->in_gatt)
    return sq_error(vm, "%s: Squirrel cannot suspend inside a Bluetooth "
                        "GATT callback", fn);
  return 0;
}

static void *gatt_mem(void *ud, void *p, size_t oldsize, size_t newsize) {
  return sq_realloc(ud, p, oldsize, newsize);
}

static const struct sq_reg bt_fns[] = {
    {"open", bt_open, 3},
    {"close", bt_close, 1},
    {"startadvertise", bt_startadvertise, -4},
    {"stopadvertise", bt_stopadvertise, 1},
    {"startscan", bt_startscan, 2},
    {"stopscan", bt_stopscan, 1},
    {"setscanparams", bt_setscanparams, 4},
    {"onconnect", bt_onconnect, 2},
    {"servegatt", bt_servegatt, 2},
    {"setsecurity", bt_setsecurity, -2},
    {NULL, NULL, 0}};

static const struct sq_reg conn_fns[] = {
    {"address", conn_address, 1},
    {"rssi", conn_rssi, 1},
    {"security", conn_security, 1},
    {"close", conn_close, 1},
    {"onclose", conn_onclose, 2},
    {"notify", conn_notify, 4},
    {NULL, NULL, 0}};

/* BT-001: hardware.bluetooth exists on the imp004m only (constants.md
** "Boards and pins"); elsewhere "bluetooth" in hardware is false. */
int api_bluetooth_open(struct api *a) {
  sq_vm *vm = a->vm;
  int st;
  if (strcmp(a->board->name, "imp004m") != 0)
    return SQ_OK;
  struct api_bt *bt = sq_realloc(vm, NULL, 0, sizeof(*bt));
  if (!bt)
    return SQ_ERRMEM;
  memset(bt, 0, sizeof(*bt));
  bt->conn_cls = bt->scan_cb = bt->onconnect = -1;
  for (int i = 0; i < BT_MAX_CONNS; i++)
    bt->links[i].obj = -1;
  gatt_init(&bt->gatt, gatt_mem, vm);
  snprintf(bt->address, sizeof bt->address, "%s",
           a->cfg.mac ? a->cfg.mac : "000000000000");
  a->bt = bt;
  int top = sq_gettop(vm);
  if ((st = sq_newclass(vm, false)) != SQ_OK)
    goto out;
  sq_settypetag(vm, -1, &conn_tag);
  sq_setreleasehook(vm, -1, conn_release);
  if ((st = api_register(a, -1, conn_fns)) != SQ_OK)
    goto out;
  if ((bt->conn_cls = sq_ref(vm, -1)) < 0) {
    st = SQ_ERRMEM;
    goto out;
  }
  sq_pop(vm, 1);
  sq_pushroot(vm);
  sq_pushstring(vm, "hardware", SIZE_MAX);
  if ((st = sq_rawget(vm, -2)) != SQ_OK)
    goto out;
  sq_pushstring(vm, "bluetooth", SIZE_MAX);
  if ((st = sq_newclass(vm, false)) != SQ_OK)
    goto out;
  sq_settypetag(vm, -1, &bt_tag);
  if ((st = api_register(a, -1, bt_fns)) != SQ_OK)
    goto out;
  st = sq_newslot(vm, -3);
out:
  sq_settop(vm, top);
  return st;
}

void api_bt_free(struct api *a) {
  if (!a->bt)
    return;
  if (a->bt->open) /* the radio goes down with the code */
    close_radio(a);
  gatt_clear(&a->bt->gatt);
  sq_realloc(a->vm, a->bt, sizeof(*a->bt), 0);
  a->bt = NULL;
}
