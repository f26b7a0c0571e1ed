/*
** wifi.c: the simulated radio [WIFI-001..027, REG-001, REG-016, REG-021,
** REG-026, REG-036, REG-042]. Sections: events to the jig, the networks in
** range, joining (hints, scan, association, DHCP, WPS), the application's
** scans, settings. Every duration is device time: under --time virtual
** the ten seconds of DHCP pass as the harness says.
*/
#include "core/wifi.h"

#include <stdio.h>
#include <string.h>

/* The network of earlier editions, joined whenever a link is wanted when
** the jig plays no surroundings: it carries the stored SSID. */
#define DEFAULT_BSSID "02f0c0a80001"
#define DEFAULT_CHANNEL 6u
#define DEFAULT_SSID "refimp-default"

/* ---- events to the jig ---------------------------------------------------- */

struct event {
  Impjig__WifiEvent__Kind kind;
  const struct wifi_net *net; /* ssid, bssid, channel; or NULL */
  const char *ssid;           /* overrides net->ssid */
  int hinted;                 /* -1: absent */
  int reason, count, on;      /* -1: absent */
};

static void send_event(struct wifi *w, uint64_t now, const struct event *e) {
  if (!w->simulated)
    return; /* the default network is silent, as in earlier editions */
  Impjig__WifiEvent ev = IMPJIG__WIFI_EVENT__INIT;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  ev.kind = e->kind;
  ev.at_ms = now;
  if (e->net) {
    ev.ssid = (char *)e->net->ssid;
    ev.bssid = (char *)e->net->bssid;
    ev.has_channel = true;
    ev.channel = e->net->channel;
  }
  if (e->ssid)
    ev.ssid = (char *)e->ssid;
  ev.has_hinted = e->hinted >= 0;
  ev.hinted = e->hinted > 0;
  ev.has_reason = e->reason >= 0;
  ev.reason = e->reason >= 0 ? (uint32_t)e->reason : 0;
  ev.has_count = e->count >= 0;
  ev.count = e->count >= 0 ? (uint32_t)e->count : 0;
  ev.has_on = e->on >= 0;
  ev.on = e->on > 0;
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_WIFI_EVENT;
  env.wifi_event = &ev;
  jig_send(w->jig, &env);
}

static void event(struct wifi *w, uint64_t now, Impjig__WifiEvent__Kind k,
                  const struct wifi_net *net) {
  struct event e = {k, net, NULL, -1, -1, -1, -1};
  send_event(w, now, &e);
}

/* The radio's power save follows the application's wish, except while it
** joins (impOS 38 forces it off then) or is off. */
static void update_powersave(struct wifi *w, uint64_t now) {
  bool on = w->ps_wanted && w->phase == WIFI_UP;
  if (on == w->ps_on)
    return;
  w->ps_on = on;
  struct event e = {IMPJIG__WIFI_EVENT__KIND__POWERSAVE, NULL, NULL, -1,
                    -1, -1, on};
  send_event(w, now, &e);
}

static void count_tx(struct wifi *w, uint32_t frames, uint32_t bytes) {
  w->txframe += frames;
  w->txbyte += bytes;
}

/* ---- the networks in range -------------------------------------------------- */

bool wifi_bssid_ok(const char *bssid) {
  if (!bssid || strlen(bssid) != 12)
    return false;
  for (size_t i = 0; i < 12; i++)
    if (!((bssid[i] >= '0' && bssid[i] <= '9') ||
          (bssid[i] >= 'a' && bssid[i] <= 'f')))
      return false;
  return true;
}

bool wifi_channel_ok(int64_t channel) {
  return (channel >= 1 && channel <= 13) || (channel >= 36 && channel <= 165);
}

static bool pin_ok(const char *pin) {
  if (strlen(pin) != 8)
    return false;
  for (size_t i = 0; i < 8; i++)
    if (pin[i] < '0' || pin[i] > '9')
      return false;
  return true;
}

const char *wifi_check_network(const Impjig__WifiNetwork *n) {
  if (!n->ssid || strlen(n->ssid) > STORE_SSID_MAX)
    return "ssid longer than 32 bytes";
  if (!wifi_bssid_ok(n->bssid))
    return "bssid is not 12 lower-case hex digits";
  if (!wifi_channel_ok(n->channel))
    return "channel not in 1-13 or 36-165";
  if (n->password && strlen(n->password) > STORE_PASSWORD_MAX)
    return "password longer than 64 bytes";
  if (n->wps_pin && !pin_ok(n->wps_pin))
    return "wps_pin is not 8 decimal digits";
  return NULL;
}

static const struct wifi_net *find_bssid(const struct wifi *w,
                                         const char *bssid) {
  for (size_t i = 0; i < w->nnets; i++)
    if (strcmp(w->nets[i].bssid, bssid) == 0)
      return &w->nets[i];
  return NULL;
}

static void link_down(struct wifi *w, uint64_t now, const char *why) {
  rf_log("wifi: link to \"%s\" down: %s", w->target.ssid, why);
  event(w, now, IMPJIG__WIFI_EVENT__KIND__LINK_DOWN, &w->target);
}

void wifi_set_networks(struct wifi *w, const Impjig__WifiNetworks *m,
                       uint64_t now) {
  if (!w->simulated)
    rf_log("wifi: the jig plays the WiFi surroundings from now on");
  w->simulated = true;
  w->have_list = true;
  w->nnets = 0;
  for (size_t i = 0; i < m->n_networks; i++) {
    const Impjig__WifiNetwork *n = m->networks[i];
    const char *bad = wifi_check_network(n);
    if (bad) {
      rf_log("jig: WifiNetworks network %zu: %s; dropped", i, bad);
      continue;
    }
    if (w->nnets == WIFI_MAX_NETWORKS) {
      rf_log("jig: WifiNetworks: more than %u networks; the rest dropped",
             WIFI_MAX_NETWORKS);
      break;
    }
    struct wifi_net *d = &w->nets[w->nnets++];
    memset(d, 0, sizeof(*d));
    snprintf(d->ssid, sizeof(d->ssid), "%s", n->ssid);
    snprintf(d->bssid, sizeof(d->bssid), "%s", n->bssid);
    d->channel = n->channel;
    d->open = n->open;
    snprintf(d->password, sizeof(d->password), "%s",
             n->password ? n->password : "");
    d->reachable = !n->has_reachable || n->reachable;
    d->rssi = n->has_rssi ? n->rssi : -50;
    d->dhcp_delay_ms = n->has_dhcp_delay_ms ? n->dhcp_delay_ms : 0;
    d->wps = n->has_wps && n->wps;
    snprintf(d->wps_pin, sizeof(d->wps_pin), "%s",
             n->wps_pin ? n->wps_pin : "");
  }
  rf_log("wifi: %zu networks in range", w->nnets);
  if (w->phase == WIFI_UP) {
    const struct wifi_net *n = find_bssid(w, w->target.bssid);
    /* an AP that went, or changed its SSID or security, drops us */
    if (!n || !n->reachable || strcmp(n->ssid, w->target.ssid) != 0 ||
        n->open != w->target.open ||
        strcmp(n->password, w->target.password) != 0) {
      link_down(w, now, "the access point is gone");
      w->phase = WIFI_RETRY;
      w->phase_at = now;
      update_powersave(w, now);
    }
  }
}

/* ---- joining -------------------------------------------------------------- */

static void fail(struct wifi *w, uint64_t now, int reason, const char *why) {
  rf_log("wifi: join of \"%s\" failed: %s; retrying in %u ms",
         w->store->cfg.ssid, why, WIFI_RETRY_MS);
  struct event e = {IMPJIG__WIFI_EVENT__KIND__JOIN_FAILED, NULL,
                    w->store->cfg.ssid, -1, reason, -1, -1};
  send_event(w, now, &e);
  w->last_error = reason;
  w->phase = WIFI_RETRY;
  w->phase_at = now + WIFI_RETRY_MS;
  w->txerror++;
}

static void attempt(struct wifi *w, uint64_t now, const struct wifi_net *n,
                    bool hinted) {
  struct event e = {IMPJIG__WIFI_EVENT__KIND__JOIN_ATTEMPT, n, NULL, hinted,
                    -1, -1, -1};
  rf_log("wifi: joining \"%s\" at %s channel %u%s", n->ssid, n->bssid,
         n->channel, hinted ? " (from the hints)" : "");
  send_event(w, now, &e);
  count_tx(w, 2, 120); /* authentication and association requests */
}

static void refuse_open(struct wifi *w, uint64_t now,
                        const struct wifi_net *n) {
  rf_log("wifi: \"%s\" at %s is open but a password is stored: refused",
         n->ssid, n->bssid);
  event(w, now, IMPJIG__WIFI_EVENT__KIND__REFUSED_OPEN, n);
}

/* [WIFI-003, REG-001, REG-036] Whether the stored credentials may join n;
** why says why not. An open network is never joined when a password is
** stored for its SSID. */
static bool security_ok(const struct wifi *w, const struct wifi_net *n,
                        const char **why) {
  const char *key = w->store->cfg.password;
  if (n->open && key[0]) {
    *why = "open network, password stored";
    return false;
  }
  if (!n->open && !key[0]) {
    *why = "secured network, no password stored";
    return false;
  }
  if (!n->open && n->password[0] && strcmp(n->password, key) != 0) {
    *why = "wrong password";
    return false;
  }
  return true;
}

static void start_scan_join(struct wifi *w, uint64_t now) {
  event(w, now, IMPJIG__WIFI_EVENT__KIND__SCAN_STARTED, NULL);
  count_tx(w, 13, 13 * 60); /* a probe request per channel */
  w->phase = WIFI_SCAN_JOIN;
  w->phase_at = now + WIFI_SCAN_MS;
}

/* Begin a join: WPS when armed, else the hints, else a scan. */
static void start_join(struct wifi *w, uint64_t now) {
  const struct store_config *c = &w->store->cfg;
  if (c->wps_armed) {
    rf_log("wifi: WPS (%s)", c->wps_pin[0] ? "PIN" : "push button");
    event(w, now, IMPJIG__WIFI_EVENT__KIND__WPS_STARTED, NULL);
    w->phase = WIFI_WPS;
    w->phase_at = now + WIFI_WPS_MS;
    return;
  }
  if (!c->ssid[0]) {
    /* [REG-042] no settings: no join attempt, BlinkUp sensing on */
    if (w->phase != WIFI_NO_CONFIG) {
      rf_log("wifi: no WiFi settings: no join; BlinkUp sensing on");
      event(w, now, IMPJIG__WIFI_EVENT__KIND__NO_CONFIG, NULL);
    }
    w->phase = WIFI_NO_CONFIG;
    return;
  }
  if (c->hint_bssid[0] && c->hint_channel) {
    /* [WIFI-015] straight to the AP of the last join */
    memset(&w->target, 0, sizeof(w->target));
    snprintf(w->target.ssid, sizeof(w->target.ssid), "%s", c->ssid);
    snprintf(w->target.bssid, sizeof(w->target.bssid), "%s", c->hint_bssid);
    w->target.channel = c->hint_channel;
    attempt(w, now, &w->target, true);
    w->phase = WIFI_HINT_JOIN;
    w->phase_at = now + WIFI_ASSOC_MS;
    return;
  }
  start_scan_join(w, now);
}

/* Associate with n (found by a scan or the hints): DHCP next, or fail. */
static void associate(struct wifi *w, uint64_t now, const struct wifi_net *n) {
  const char *why = NULL;
  w->target = *n;
  if (!n->reachable) {
    fail(w, now, WIFI_NO_WIFI, "the access point does not answer");
    w->txretrans += 3;
    return;
  }
  if (!security_ok(w, n, &why)) {
    if (n->open)
      refuse_open(w, now, n);
    fail(w, now, WIFI_NO_WIFI, why);
    return;
  }
  /* [WIFI-013] DHCP answers after its delay, or we give up at 10 s */
  w->phase = WIFI_DHCP;
  w->phase_at = now + (n->dhcp_delay_ms < WIFI_DHCP_TIMEOUT_MS
                           ? n->dhcp_delay_ms
                           : WIFI_DHCP_TIMEOUT_MS);
  count_tx(w, 1, 300); /* DHCP discover */
}

/* The scan for the stored SSID is done: the best AP that may be joined. */
static void finish_scan_join(struct wifi *w, uint64_t now) {
  const struct store_config *c = &w->store->cfg;
  const struct wifi_net *best = NULL;
  const char *why = "not in range";
  struct event e = {IMPJIG__WIFI_EVENT__KIND__SCAN_DONE, NULL, NULL, -1, -1,
                    (int)w->nnets, -1};
  send_event(w, now, &e);
  for (size_t i = 0; i < w->nnets; i++) {
    const struct wifi_net *n = &w->nets[i];
    if (strcmp(n->ssid, c->ssid) != 0)
      continue;
    if (!security_ok(w, n, &why)) {
      if (n->open)
        refuse_open(w, now, n);
      continue;
    }
    if (!best || (n->reachable && !best->reachable) ||
        (n->reachable == best->reachable && n->rssi > best->rssi))
      best = n;
  }
  if (!best) {
    fail(w, now, WIFI_NO_WIFI, why); /* [WIFI-014] */
    return;
  }
  attempt(w, now, best, false);
  w->target = *best;
  w->phase = WIFI_ASSOC;
  w->phase_at = now + WIFI_ASSOC_MS;
}

/* [WIFI-019] The hinted AP: joined as it is, or only a scan is lost. */
static void finish_hint_join(struct wifi *w, uint64_t now) {
  const struct wifi_net *n = find_bssid(w, w->target.bssid);
  if (!n || n->channel != w->target.channel ||
      strcmp(n->ssid, w->store->cfg.ssid) != 0) {
    rf_log("wifi: no \"%s\" at hint %s channel %u: scanning",
           w->store->cfg.ssid, w->target.bssid, w->target.channel);
    w->txretrans++;
    start_scan_join(w, now);
    return;
  }
  associate(w, now, n);
}

/* [WIFI-015, WIFI-019] Record the AP joined as the hints if they differ. */
static void record_hints(struct wifi *w) {
  struct store_config c = w->store->cfg;
  struct rf_diag d = {""};
  if (strcmp(c.hint_bssid, w->target.bssid) == 0 &&
      c.hint_channel == w->target.channel)
    return;
  snprintf(c.hint_bssid, sizeof(c.hint_bssid), "%s", w->target.bssid);
  c.hint_channel = w->target.channel;
  if (store_save_config(w->store, &c, &d) != RF_OK)
    rf_log("wifi: could not store the hints: %s", d.msg);
  else
    rf_log("wifi: hints %s channel %u stored", c.hint_bssid,
           c.hint_channel);
}

static void finish_dhcp(struct wifi *w, uint64_t now) {
  if (w->target.dhcp_delay_ms >= WIFI_DHCP_TIMEOUT_MS) {
    rf_log("wifi: no DHCP answer within %u ms", WIFI_DHCP_TIMEOUT_MS);
    event(w, now, IMPJIG__WIFI_EVENT__KIND__DHCP_TIMEOUT, &w->target);
    fail(w, now, WIFI_NO_IP_ADDRESS, "no IP address");
    return;
  }
  rf_log("wifi: joined \"%s\" at %s channel %u", w->target.ssid,
         w->target.bssid, w->target.channel);
  w->phase = WIFI_UP;
  w->last_error = 0;
  event(w, now, IMPJIG__WIFI_EVENT__KIND__JOINED, &w->target);
  record_hints(w);
}

/* [WIFI-020..022] The WPS exchange ended: take the credentials of an AP
** whose enrolment is open (with our PIN, or push button), then join. WPS
** is disarmed and the PIN cleared either way. */
static void finish_wps(struct wifi *w, uint64_t now) {
  struct store_config c = w->store->cfg;
  struct rf_diag d = {""};
  const struct wifi_net *got = NULL;
  for (size_t i = 0; i < w->nnets && !got; i++) {
    const struct wifi_net *n = &w->nets[i];
    if (n->wps && n->reachable && strcmp(n->wps_pin, c.wps_pin) == 0)
      got = n;
  }
  c.wps_armed = false;
  memset(c.wps_pin, 0, sizeof(c.wps_pin));
  if (got) {
    snprintf(c.ssid, sizeof(c.ssid), "%s", got->ssid);
    snprintf(c.password, sizeof(c.password), "%s",
             got->open ? "" : got->password);
    memset(c.hint_bssid, 0, sizeof(c.hint_bssid));
    c.hint_channel = 0;
  }
  if (store_save_config(w->store, &c, &d) != RF_OK)
    rf_log("wifi: could not store the WPS outcome: %s", d.msg);
  if (got) {
    rf_log("wifi: WPS gave the credentials of \"%s\"", got->ssid);
    event(w, now, IMPJIG__WIFI_EVENT__KIND__WPS_DONE, got);
  } else {
    rf_log("wifi: WPS failed: no access point enrols us");
    event(w, now, IMPJIG__WIFI_EVENT__KIND__WPS_FAILED, NULL);
  }
  start_join(w, now);
}

/* ---- the step ------------------------------------------------------------- */

void wifi_init(struct wifi *w, struct jig *j, struct store *s,
               bool simulated) {
  memset(w, 0, sizeof(*w));
  w->jig = j;
  w->store = s;
  w->simulated = simulated;
  if (simulated)
    rf_log("wifi: the jig plays the WiFi surroundings; no join before its "
           "WifiNetworks");
}

void wifi_restart(struct wifi *w, uint64_t now) {
  if (w->phase == WIFI_UP)
    link_down(w, now, "starting over");
  w->phase = WIFI_IDLE;
  update_powersave(w, now);
}

uint64_t wifi_step(struct wifi *w, uint64_t now, bool wanted) {
  w->wanted = wanted;
  uint64_t next = w->scan_running ? w->scan_done_at : UINT64_MAX;
  if (!w->simulated || !w->have_list)
    return next;
  if (!wanted) {
    if (w->phase == WIFI_UP)
      link_down(w, now, "WiFi powered down");
    w->phase = WIFI_IDLE;
    update_powersave(w, now);
    return next;
  }
  for (int guard = 0; guard < 8; guard++) {
    enum wifi_phase was = w->phase;
    if (w->phase == WIFI_IDLE ||
        (w->phase == WIFI_NO_CONFIG &&
         (w->store->cfg.ssid[0] || w->store->cfg.wps_armed))) {
      start_join(w, now);
    } else if (w->phase == WIFI_NO_CONFIG || w->phase == WIFI_UP) {
      break;
    } else if (now < w->phase_at) {
      if (w->phase_at < next)
        next = w->phase_at;
      break;
    } else {
      switch (w->phase) {
      case WIFI_RETRY: start_join(w, now); break;
      case WIFI_WPS: finish_wps(w, now); break;
      case WIFI_HINT_JOIN: finish_hint_join(w, now); break;
      case WIFI_SCAN_JOIN: finish_scan_join(w, now); break;
      case WIFI_ASSOC: associate(w, now, &w->target); break;
      case WIFI_DHCP: finish_dhcp(w, now); break;
      default: break;
      }
    }
    if (w->phase == was && w->phase == WIFI_NO_CONFIG)
      break;
  }
  update_powersave(w, now);
  if (w->phase != WIFI_UP && w->phase != WIFI_NO_CONFIG &&
      w->phase != WIFI_IDLE && w->phase_at < next)
    next = w->phase_at;
  return next;
}

bool wifi_up(const struct wifi *w) {
  return !w->simulated || w->phase == WIFI_UP;
}

bool wifi_needs_blinkup(const struct wifi *w) {
  return w->simulated && w->phase == WIFI_NO_CONFIG;
}

bool wifi_radio_on(const struct wifi *w) {
  return w->simulated ? w->phase == WIFI_UP : w->wanted;
}

const char *wifi_joined_ssid(const struct wifi *w) {
  if (!w->simulated)
    return w->wanted ? w->store->cfg.ssid : NULL;
  return w->phase == WIFI_UP ? w->target.ssid : NULL;
}

uint32_t wifi_joined_channel(const struct wifi *w) {
  if (!w->simulated)
    return w->wanted ? DEFAULT_CHANNEL : 0;
  return w->phase == WIFI_UP ? w->target.channel : 0;
}

/* ---- the application's scans ------------------------------------------------ */

size_t wifi_scan_now(struct wifi *w, uint64_t now, struct wifi_net *out,
                     size_t cap) {
  size_t n = 0;
  if (!w->simulated) {
    if (cap) {
      memset(out, 0, sizeof(*out));
      snprintf(out->ssid, sizeof(out->ssid), "%s",
               w->store->cfg.ssid[0] ? w->store->cfg.ssid : DEFAULT_SSID);
      snprintf(out->bssid, sizeof(out->bssid), "%s", DEFAULT_BSSID);
      out->channel = DEFAULT_CHANNEL;
      out->open = !w->store->cfg.password[0];
      out->reachable = true;
      out->rssi = -40;
      n = 1;
    }
    return n;
  }
  for (size_t i = 0; i < w->nnets && n < cap; i++)
    out[n++] = w->nets[i];
  count_tx(w, 13, 13 * 60);
  struct event e = {IMPJIG__WIFI_EVENT__KIND__SCAN_DONE, NULL, NULL, -1, -1,
                    (int)n, -1};
  event(w, now, IMPJIG__WIFI_EVENT__KIND__SCAN_STARTED, NULL);
  send_event(w, now, &e);
  return n;
}

bool wifi_scan_start(struct wifi *w, uint64_t now) {
  if (w->scan_running)
    return false;
  w->scan_running = true;
  w->scan_done_at = now + WIFI_SCAN_MS;
  event(w, now, IMPJIG__WIFI_EVENT__KIND__SCAN_STARTED, NULL);
  return true;
}

bool wifi_scan_take(struct wifi *w, uint64_t now, struct wifi_net *out,
                    size_t cap, size_t *n) {
  if (!w->scan_running || now < w->scan_done_at)
    return false;
  /* [WIFI-010, REG-026] independent of any join under way */
  w->scan_running = false;
  if (!w->simulated) {
    *n = wifi_scan_now(w, now, out, cap);
    return true;
  }
  *n = 0;
  for (size_t i = 0; i < w->nnets && *n < cap; i++)
    out[(*n)++] = w->nets[i];
  count_tx(w, 13, 13 * 60);
  struct event e = {IMPJIG__WIFI_EVENT__KIND__SCAN_DONE, NULL, NULL, -1, -1,
                    (int)*n, -1};
  send_event(w, now, &e);
  return true;
}

/* ---- settings ------------------------------------------------------------- */

static enum rf_status save(struct wifi *w, const struct store_config *c,
                           const char *what) {
  struct rf_diag d = {""};
  enum rf_status st = store_save_config(w->store, c, &d);
  if (st != RF_OK)
    rf_log("wifi: could not store %s: %s", what, d.msg);
  return st;
}

enum rf_status wifi_set_config(struct wifi *w, const char *ssid,
                               const char *key) {
  if (strlen(ssid) > STORE_SSID_MAX || strlen(key) > STORE_PASSWORD_MAX)
    return RF_EINVAL;
  struct store_config c = w->store->cfg;
  snprintf(c.ssid, sizeof(c.ssid), "%s", ssid);
  snprintf(c.password, sizeof(c.password), "%s", key);
  return save(w, &c, "the WiFi configuration");
}

void wifi_get_hints(const struct wifi *w, char bssid[13], int *channel) {
  const struct store_config *c = &w->store->cfg;
  bool have = c->hint_bssid[0] && c->hint_channel;
  snprintf(bssid, 13, "%s", have ? c->hint_bssid : "");
  *channel = have ? (int)c->hint_channel : -1;
}

enum rf_status wifi_set_hints(struct wifi *w, const char *bssid,
                              int channel) {
  struct store_config c = w->store->cfg;
  if (bssid && (!wifi_bssid_ok(bssid) || !wifi_channel_ok(channel)))
    return RF_EINVAL;
  snprintf(c.hint_bssid, sizeof(c.hint_bssid), "%s", bssid ? bssid : "");
  c.hint_channel = bssid ? (uint32_t)channel : 0;
  return save(w, &c, "the WiFi hints");
}

enum rf_status wifi_configure_wps(struct wifi *w, const char *pin) {
  if (pin && pin[0] && !pin_ok(pin))
    return RF_EINVAL;
  struct store_config c = w->store->cfg;
  c.wps_armed = true;
  snprintf(c.wps_pin, sizeof(c.wps_pin), "%s", pin ? pin : "");
  return save(w, &c, "the WPS setting");
}

void wifi_set_powersave(struct wifi *w, bool on, uint64_t now) {
  w->ps_wanted = on;
  update_powersave(w, now);
}

static void put32le(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

bool wifi_counters(const struct wifi *w, uint8_t out[WIFI_COUNTERS_LEN]) {
  if (!wifi_radio_on(w))
    return false;
  /* version (16 bits), length (16 bits), txframe, txbyte, txretrans,
  ** txerror (32 bits each), little-endian: docs/refimp.md "WiFi" */
  out[0] = 1;
  out[1] = 0;
  out[2] = WIFI_COUNTERS_LEN;
  out[3] = 0;
  put32le(out + 4, w->txframe);
  put32le(out + 8, w->txbyte);
  put32le(out + 12, w->txretrans);
  put32le(out + 16, w->txerror);
  return true;
}
