/*
** boot.c: seeds/003 as a state machine [BOOT-001..013, BOOT-026..031],
** the boot conversation of wire.md, BlinkUp from the jig [BOOT-011,
** BOOT-029], connection retries [NET-001, NET-003, NET-004]. Sections:
** reporting, identity, connecting, conversation, frames at any time, the
** jig, the step function.
*/
#include "core/boot.h"

#include <stdio.h>
#include <string.h>

#include "core/ident.h"
#include "hal/hal.h"

static const char *const state_names[] = {
    "Unactivated", "Pending Activation", "Activated: No Squirrel",
    "Activated: Has Squirrel"};

enum boot_state boot_state_of(const struct boot *b) {
  const struct store_config *c = &b->store.cfg;
  if (!c->plan_id[0] || !c->token[0])
    return BOOT_UNACTIVATED;
  if (!c->activated)
    return BOOT_PENDING_ACTIVATION;
  return store_has_code(&b->store) ? BOOT_ACTIVATED_WITH_CODE
                                   : BOOT_ACTIVATED_NO_CODE;
}

/* ---- reporting: BootState and Led to the jig, on change --------------- */

/* The BlinkUp status LED for the current state and phase. */
static struct boot_led wanted_led(const struct boot *b) {
  struct boot_led led = {IMPJIG__LED__COLOUR__GREEN, true};
  if (boot_state_of(b) == BOOT_UNACTIVATED) {
    /* [BOOT-007] seeds/003: flashing orange while Unactivated */
    led.colour = IMPJIG__LED__COLOUR__ORANGE;
  } else if (b->phase == BOOT_PHASE_IDLE || b->phase == BOOT_PHASE_ASLEEP) {
    led.colour = IMPJIG__LED__COLOUR__OFF; /* no connection wanted */
    led.flashing = false;
  } else if (wifi_needs_blinkup(&b->wifi)) {
    /* [REG-042] no WiFi settings: BlinkUp sensing, as when unactivated */
    led.colour = IMPJIG__LED__COLOUR__ORANGE;
  } else if (b->phase == BOOT_PHASE_CONNECT) {
    if (b->round_failed)
      led.colour = IMPJIG__LED__COLOUR__RED;
  } else {
    led.flashing = false; /* connected: solid green */
  }
  return led;
}

static void report_led(struct boot *b, struct boot_led led) {
  if (!b->reported || led.colour != b->led_sent.colour ||
      led.flashing != b->led_sent.flashing) {
    jig_send_led(&b->jig, led.colour, led.flashing);
    b->led_sent = led;
  }
}

/* [BOOT-008, BOOT-030, BOOT-031] Send BootState and Led if they changed
** (always the first time), in one write. The first report is BootState
** then Led (jig.md); later the Led goes first, so that whoever sees a new
** state has already seen the LED that goes with it. */
static void report(struct boot *b) {
  enum boot_state st = boot_state_of(b);
  struct boot_led led = wanted_led(b);
  jig_batch_begin(&b->jig);
  if (b->reported)
    report_led(b, led);
  if (!b->reported || st != b->state_sent) {
    if (b->reported)
      rf_log("state: %s -> %s", state_names[b->state_sent],
             state_names[st]);
    else
      rf_log("state: %s", state_names[st]);
    jig_send_boot_state(&b->jig, (Impjig__BootState__State)st);
    b->state_sent = st;
  }
  report_led(b, led);
  b->reported = true;
  jig_batch_end(&b->jig);
}

static void save_config(struct boot *b, const struct store_config *c,
                        const char *what) {
  struct rf_diag d = {""};
  enum rf_status st = store_save_config(&b->store, c, &d);
  if (st != RF_OK)
    rf_log("could not store %s: %s: %s", what, rf_status_text(st), d.msg);
}

/* ---- the application ---------------------------------------------------- */

/* [BOOT-014..017] Tell the jig (feature jig-app) that the code started or
** stopped, with its hash and the wake reason it sees. */
static void report_app(struct boot *b) {
  Impjig__AppState as = IMPJIG__APP_STATE__INIT;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  as.running = b->code_running;
  if (b->code_running) {
    as.has_sha256 = 1;
    as.sha256.len = 32;
    as.sha256.data = b->store.code_hash;
    as.has_wake_reason = 1;
    as.wake_reason = boot_wake_reason(b);
  }
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_APP_STATE;
  env.app_state = &as;
  jig_send(&b->jig, &env);
}

/* Run the stored code (configparams may be NULL): through the hooks when
** an interpreter is installed; reported to the jig either way. */
static void run_code(struct boot *b, const Impwire__Value *configparams) {
  struct rf_diag d = {""};
  uint32_t n = store_code_len(&b->store);
  if (!store_has_code(&b->store) || b->code_running)
    return;
  b->code_running = true;
  b->code_wait_until = UINT64_MAX;
  rf_log("starting the stored code (%u bytes, wake reason %u)%s", n,
         b->wake_reason, b->hooks.code_start ? "" : "; no interpreter yet");
  report_app(b);
  if (!b->hooks.code_start)
    return;
  uint8_t *code = rf_malloc(n);
  if (!code) {
    rf_log("no memory to load %u bytes of code", n);
    return;
  }
  if (store_read_code(&b->store, code, n, &d) == RF_OK)
    b->hooks.code_start(b->hooks.ctx, code, n, configparams);
  else
    rf_log("code not started: %s", d.msg);
  rf_free(code);
}

/* Tear the VM down (reload, BlinkUp, erase, new code). */
static void stop_code(struct boot *b) {
  if (!b->code_running)
    return;
  if (b->hooks.code_stop)
    b->hooks.code_stop(b->hooks.ctx);
  b->code_running = false;
  rf_log("code stopped");
  report_app(b);
}

/* ---- identity and boot count ------------------------------------------ */

/* [HW-003] The MAC and device ID are fixed at the first boot. */
static void fix_identity(struct boot *b, struct store_config *c) {
  char mac[13];
  if (c->mac[0]) {
    if (b->cfg.mac && ident_parse_mac(b->cfg.mac, mac) &&
        strcmp(mac, c->mac) != 0)
      rf_log("--mac %s ignored: factory MAC %s is already stored", mac,
             c->mac);
  } else {
    if (!(b->cfg.mac && ident_parse_mac(b->cfg.mac, mac)) &&
        ident_default_mac(mac) != RF_OK)
      rf_log("no entropy for a default MAC; using %s", mac);
    memcpy(c->mac, mac, sizeof(mac));
    ident_device_id(c->mac, c->device_id);
    rf_log("factory identity: mac %s device_id %s", c->mac, c->device_id);
  }
  if (!c->device_id[0])
    ident_device_id(c->mac, c->device_id);
}

/* ---- connecting --------------------------------------------------------- */

static void start_conversation(struct boot *b, uint64_t now);

/* [NET-005, NET-006] The servers to try, in order: the list the cloud
** sent (stored), else the built-in one (--server-name). Every name is
** reached at --server-addr (the board's resolver under impcert) and
** checked as its own name (SNI and certificate). */
static size_t server_count(const struct boot *b) {
  return b->store.cfg.nhosts ? b->store.cfg.nhosts : 1;
}

static const char *server_name(const struct boot *b, size_t i) {
  return b->store.cfg.nhosts ? b->store.cfg.hosts[i] : b->cfg.server_name;
}

static void wait_blinkup(struct boot *b, const char *why);
static void connect_now(struct boot *b, uint64_t now);

/* Back to connecting after a lost session: at once, from the first port
** (wire.md, Transport: the BOOT_RETRY_MS back-off is for a round whose
** every port failed, not for a session that was up). */
static void session_lost(struct boot *b, uint64_t now, const char *why) {
  if (b->phase == BOOT_PHASE_ONLINE)
    b->sessions_lost++;
  session_close(&b->sess, why);
  if (boot_state_of(b) == BOOT_UNACTIVATED) {
    wait_blinkup(b, "the enrollment was cleared"); /* [STORE-022] */
    return;
  }
  connect_now(b, now);
  rf_log("reconnecting from the first port");
  report(b);
}

/* [STORE-022] No enrollment on flash (imp.clearconfiguration()): no
** session, not even when the application asks, until a BlinkUp. */
static void wait_blinkup(struct boot *b, const char *why) {
  b->phase = BOOT_PHASE_WAIT_BLINKUP;
  rf_log("%s: no session until a BlinkUp", why);
  report(b);
}

/* Start connecting now from the first port (cold start of the link). */
static void connect_now(struct boot *b, uint64_t now) {
  b->phase = BOOT_PHASE_CONNECT;
  b->backoff_pending = false;
  b->server_ix = 0;
  b->port_ix = 0;
  b->connect_at = now;
  b->round_failed = false;
}

/* [NET-001, NET-003..006] Try the next port of the current server; after
** its last port the next server; after the last server, back off and
** restart from the first. */
static void try_port(struct boot *b, uint64_t now) {
  struct rf_diag d = {""};
  if (b->server_ix >= server_count(b)) /* the list changed meanwhile */
    b->server_ix = 0;
  struct hal_endpoint ep = {server_name(b, b->server_ix), b->cfg.server_addr,
                            b->cfg.ports[b->port_ix],
                            b->use_proxy ? &b->proxy : NULL};
  rf_log("connecting to %s (%s) port %u", ep.host, ep.addr, ep.port);
  enum rf_status st = session_open(&b->sess, &ep, &d);
  b->last_connect = st;
  if (st == RF_OK) {
    rf_log("connected to %s port %u%s", ep.host, ep.port,
           hal_conn_resumed(b->sess.conn) ? " (TLS session resumed)" : "");
    b->round_failed = false;
    start_conversation(b, now);
    return;
  }
  rf_log("port %u failed: %s", ep.port, d.msg);
  if (st == RF_ESTOP)
    return;
  if (++b->port_ix < b->cfg.nports)
    return;
  b->port_ix = 0;
  if (++b->server_ix < server_count(b))
    return;
  b->server_ix = 0;
  /* the back-off counts from the failure, which may be well after `now`
  ** (the attempt blocks): the next turn sets connect_at from its now */
  b->backoff_pending = true;
  b->connect_at = now + BOOT_RETRY_MS;
  b->round_failed = true;
  if (server_count(b) > 1)
    rf_log("all %zu servers failed on all %zu ports; retrying in %u ms",
           server_count(b), b->cfg.nports, BOOT_RETRY_MS);
  else
    rf_log("all %zu ports failed; retrying in %u ms", b->cfg.nports,
           BOOT_RETRY_MS);
  report(b);
}

/* ---- the conversation (wire.md, steps 1-5) ------------------------------ */

static bool send_env(struct boot *b, const Impwire__Envelope *env,
                     uint64_t now) {
  struct rf_diag d = {""};
  enum rf_status st = session_send(&b->sess, env, &d);
  if (st == RF_OK)
    return true;
  rf_log("send failed: %s: %s", rf_status_text(st), d.msg);
  session_lost(b, now, "send failed");
  return false;
}

/* [BOOT-002, BOOT-003] Steps 2 and 3: DeviceState, then CodeHash; then
** wait for step 4. */
static void send_state_and_hash(struct boot *b, uint64_t now) {
  const struct store_config *c = &b->store.cfg;
  static const uint8_t zero[32];
  Impwire__DeviceState ds = IMPWIRE__DEVICE_STATE__INIT;
  Impwire__CodeHash ch = IMPWIRE__CODE_HASH__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  ds.mac = (char *)c->mac;
  ds.device_id = (char *)c->device_id;
  ds.imp_type = (char *)b->cfg.board;
  ds.os_version = (char *)b->cfg.os_version;
  ds.wake_reason = boot_wake_reason(b);
  ds.boot_count = c->boot_count;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_DEVICE_STATE;
  env.device_state = &ds;
  if (!send_env(b, &env, now))
    return;
  /* [BOOT-003] 32 zero bytes when there is no code */
  ch.sha256.len = 32;
  ch.sha256.data = (uint8_t *)(store_has_code(&b->store)
                                   ? b->store.code_hash
                                   : zero);
  env.msg_case = IMPWIRE__ENVELOPE__MSG_CODE_HASH;
  env.code_hash = &ch;
  if (!send_env(b, &env, now))
    return;
  b->phase = BOOT_PHASE_WAIT_ANSWER;
}

static void start_conversation(struct boot *b, uint64_t now) {
  const struct store_config *c = &b->store.cfg;
  b->phase = BOOT_PHASE_WAIT_ANSWER;
  report(b);
  if (boot_state_of(b) != BOOT_PENDING_ACTIVATION) {
    send_state_and_hash(b, now);
    return;
  }
  /* [BOOT-001, BOOT-009] Step 1, only while Pending Activation */
  Impwire__ActivationRequest ar = IMPWIRE__ACTIVATION_REQUEST__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  ar.plan_id = (char *)c->plan_id;
  ar.enrollment_token = (char *)c->token;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST;
  env.activation_request = &ar;
  if (send_env(b, &env, now))
    b->phase = BOOT_PHASE_WAIT_ACTIVATION;
}

/* [BOOT-009, BOOT-010] */
static void on_activation_result(struct boot *b,
                                 const Impwire__ActivationResult *r,
                                 uint64_t now) {
  if (r->activated) {
    struct store_config c = b->store.cfg;
    c.activated = true;
    save_config(b, &c, "the activated flag");
    rf_log("activated");
  } else {
    rf_log("activation refused: %s", r->reason ? r->reason : "(no reason)");
  }
  report(b);
  /* the conversation continues either way (seeds/003 step 1) */
  send_state_and_hash(b, now);
}

/* [BOOT-006, BOOT-028] erase_credentials: back to Unactivated, no step 5,
** no session until a new BlinkUp. */
static void erase_and_wait(struct boot *b) {
  struct rf_diag d = {""};
  rf_log("the cloud asked to erase credentials");
  stop_code(b);
  if (store_erase_credentials(&b->store, &d) != RF_OK)
    rf_log("could not erase credentials: %s", d.msg);
  session_close(&b->sess, "credentials erased");
  b->code_wait_until = UINT64_MAX;
  b->phase = BOOT_PHASE_WAIT_BLINKUP;
  report(b);
  rf_log("unactivated: waiting for BlinkUp%s",
         b->jig.up ? "" : " (no jig: idle)");
}

/* [SEC-005] Tell the cloud why its code was refused: a Log at level
** ERROR starting "code hash mismatch" (wire.md), sent before the session
** closes. A send that fails changes nothing: the session is closing. */
static void refuse_code(struct boot *b, uint64_t now, const char *text) {
  Impwire__Log lg = IMPWIRE__LOG__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  struct rf_diag d = {""};
  rf_log("%s", text);
  lg.level = IMPWIRE__LOG__LEVEL__ERROR;
  lg.text = (char *)text;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_LOG;
  env.log = &lg;
  (void)session_send(&b->sess, &env, &d);
  session_lost(b, now, "code hash mismatch");
}

/* [SEC-004, SEC-005, BOOT-004] Check and store new code. False: the
** session was closed. */
static bool take_code(struct boot *b, const Impwire__CloudAnswer *a,
                      uint64_t now) {
  struct rf_diag d = {""};
  uint8_t h[32];
  char got[65], want[65], text[200];
  if (!a->has_code_hash || a->code_hash.len != 32) {
    refuse_code(b, now, "code hash mismatch: code_hash missing or not 32 "
                        "bytes; keeping old code");
    return false;
  }
  hal_sha256(a->code.data, a->code.len, h);
  if (memcmp(h, a->code_hash.data, 32) != 0) {
    rf_hex(a->code_hash.data, 32, got);
    rf_hex(h, 32, want);
    snprintf(text, sizeof text, "code hash mismatch: code_hash %s, SHA-256 "
             "of code %s; keeping old code", got, want);
    refuse_code(b, now, text);
    return false;
  }
  enum rf_status st =
      store_save_code(&b->store, a->code.data, a->code.len, h, &d);
  if (st != RF_OK) {
    rf_log("code not stored: %s: %s; keeping old code", rf_status_text(st),
           d.msg);
    session_lost(b, now, "code not stored");
    return false;
  }
  rf_log("code stored (%zu bytes)", a->code.len);
  return true;
}

/* Keep RTC and configparams in memory for the application. */
static void keep_answer_data(struct boot *b, const Impwire__CloudAnswer *a,
                             uint64_t now) {
  if (a->has_rtc_unix_ms) {
    b->rtc_set = true;
    b->rtc_unix_ms = a->rtc_unix_ms;
    b->rtc_at = now;
    rf_log("RTC set to %llu ms", (unsigned long long)a->rtc_unix_ms);
  }
  rf_free(b->configparams);
  b->configparams = NULL;
  b->configparams_len = 0;
  if (a->configparams) {
    size_t n = protobuf_c_message_get_packed_size(&a->configparams->base);
    b->configparams = rf_malloc(n);
    if (b->configparams) {
      protobuf_c_message_pack(&a->configparams->base, b->configparams);
      b->configparams_len = n;
    } else {
      rf_log("no memory to keep configparams (%zu bytes)", n);
    }
  }
}

static void on_answer(struct boot *b, const Impwire__CloudAnswer *a,
                      uint64_t now) {
  if (a->has_erase_credentials && a->erase_credentials) {
    erase_and_wait(b);
    return;
  }
  bool new_code = false;
  if (!a->match && a->has_code) {
    if (!take_code(b, a, now))
      return;
    new_code = true;
  } else if (a->has_code) {
    rf_log("code sent with match=true; ignored");
  } else if (!a->match) {
    rf_log("no match and no code in the answer; nothing new to run");
  } else if (store_has_code(&b->store)) {
    rf_log("code current (%u bytes)", store_code_len(&b->store));
  }
  keep_answer_data(b, a, now);
  b->phase = BOOT_PHASE_ONLINE;
  b->code_wait_until = UINT64_MAX;
  report(b);
  /* [BOOT-017] code already running (10-second rule, warm boot) goes on
  ** unless step 4 brought new code */
  if (new_code)
    stop_code(b);
  run_code(b, a->configparams);
}

/* ---- frames at any time ------------------------------------------------- */

/* [NET-006, NET-007, STORE-025] The list replaces the built-in one (or
** the last list), persists, and is used from the next connection on. */
static void on_server_list(struct boot *b, const Impwire__ServerList *sl) {
  struct store_config c = b->store.cfg;
  if (sl->n_hosts > STORE_HOSTS_MAX) {
    rf_log("ServerList of %zu hosts exceeds %d; ignored", sl->n_hosts,
           STORE_HOSTS_MAX);
    return;
  }
  for (size_t i = 0; i < sl->n_hosts; i++) {
    size_t n = strlen(sl->hosts[i]);
    if (n == 0 || n > STORE_HOST_MAX) {
      rf_log("ServerList host %zu has length %zu (1..%d); list ignored",
             i + 1, n, STORE_HOST_MAX);
      return;
    }
    memcpy(c.hosts[i], sl->hosts[i], n + 1);
  }
  c.nhosts = sl->n_hosts;
  save_config(b, &c, "the server list");
  rf_log("server list stored (%zu hosts, first %s); used from the next "
         "connection", c.nhosts, c.nhosts ? c.hosts[0] : "(none)");
}

/* [OSUPD-001, OSUPD-004, WAKE-008, REG-048] The verified image is
** stored: restart the board into it. Only the power-on that follows
** installs it (boot_init: the config's version written, nv dropped, wake
** reason NEW_FIRMWARE, code and credentials kept, connect at once), so a
** power cut anywhere on the way leaves the old OS or the new one. */
static void reboot_into_os(struct boot *b) {
  b->os_pending = false;
  rf_log("OS %s stored: restarting the board to install it",
         b->store.os_image_version);
  stop_code(b);
  session_close(&b->sess, "OS update: restarting");
  b->phase = BOOT_PHASE_REBOOT;
  b->code_wait_until = UINT64_MAX;
}

/* [REG-040] imp003 and imp004m upgrade impROM from SPI flash, showing a
** solid green LED meanwhile (impOS 36.x). */
static bool upgrades_from_spi(const struct boot *b) {
  return strcmp(b->cfg.board, "imp003") == 0 ||
         strcmp(b->cfg.board, "imp004m") == 0;
}

/* The application's shutdown handler takes the update (polite
** deployment, seeds/002); a forced update is never deferred. */
static bool os_deferred(struct boot *b, const Impwire__NewOs *nos) {
  if (nos->has_forced && nos->forced) {
    rf_log("NewOs %s is forced: the shutdown handler is not asked",
           nos->version); /* [POLITE-011, OSUPD-006] */
    return false;
  }
  return b->code_running && b->hooks.shutdown_notice &&
         b->hooks.shutdown_notice(b->hooks.ctx, 2 /* SHUTDOWN_NEWFIRMWARE */);
}

/* [OSUPD-001, OSUPD-002, OSUPD-007, POLITE-001, POLITE-003, POLITE-011,
** REG-027] NewOs: verify the image, download it into the inactive OS
** slot, then install it at once; a shutdown handler defers it (the cloud
** offers it again after server.restart(), POLITE-009; a power cycle
** installs it, POLITE-012). */
static void on_new_os(struct boot *b, const Impwire__NewOs *nos,
                      uint64_t now) {
  struct rf_diag d = {""};
  uint8_t h[32];
  char got[65], want[65];
  if (!nos->has_image) {
    /* [OSUPD-002] no image: the OS stays; back to step 2 for it */
    rf_log("NewOs %s without an image", nos->version);
    if (os_deferred(b, nos)) {
      rf_log("NewOs: deferred by the application's shutdown handler");
      return;
    }
    if (b->phase == BOOT_PHASE_ONLINE) {
      stop_code(b);
      send_state_and_hash(b, now);
    }
    return;
  }
  if (strcmp(nos->version, b->os_running) == 0) {
    rf_log("NewOs %s: already running it; ignored", nos->version);
    return;
  }
  if (!nos->has_sha256 || nos->sha256.len != 32) {
    rf_log("NewOs %s refused: no 32-byte SHA-256; keeping OS %s",
           nos->version, b->os_running);
    return;
  }
  hal_sha256(nos->image.data, nos->image.len, h);
  if (memcmp(h, nos->sha256.data, 32) != 0) {
    rf_hex(nos->sha256.data, 32, got);
    rf_hex(h, 32, want);
    rf_log("NewOs %s refused: sha256 %s, SHA-256 of the image %s; keeping "
           "OS %s", nos->version, got, want, b->os_running);
    return;
  }
  enum rf_status st = store_save_os(&b->store, nos->version, nos->image.data,
                                    nos->image.len, h, &d);
  if (st != RF_OK) {
    /* [REG-027] nothing sticks: the current image is untouched and the
    ** next offer writes the inactive slot afresh */
    rf_log("NewOs %s not stored: %s: %s; keeping OS %s", nos->version,
           rf_status_text(st), d.msg, b->os_running);
    return;
  }
  rf_log("NewOs %s: image of %zu bytes verified and stored", nos->version,
         nos->image.len);
  if (os_deferred(b, nos)) {
    b->os_pending = true;
    rf_log("NewOs %s: deferred by the application's shutdown handler (until "
           "offered again after server.restart(), or the next power-on)",
           nos->version);
    return;
  }
  reboot_into_os(b);
}

static void on_reload(struct boot *b, const Impwire__Reload *reload,
                      uint64_t now) {
  if (b->phase != BOOT_PHASE_ONLINE && b->phase != BOOT_PHASE_WAIT_ANSWER) {
    /* WAIT_ACTIVATION; the other phases have no session */
    rf_log("Reload before the activation result; ignored");
    return;
  }
  /* [POLITE-002] a shutdown handler defers the reload to server.restart();
  ** [POLITE-019] not a forced one (the device moved device group) */
  bool forced = reload->has_forced && reload->forced;
  if (forced)
    rf_log("reload is forced: the shutdown handler is not asked");
  if (!forced && b->code_running && b->hooks.shutdown_notice &&
      b->hooks.shutdown_notice(b->hooks.ctx, 1)) {
    rf_log("reload: deferred by the application's shutdown handler");
    return;
  }
  /* [BOOT-026, WAKE-006] tear the VM down, back to step 2 on this session */
  stop_code(b);
  b->wake_reason = BOOT_WAKE_NEW_SQUIRREL;
  rf_log("reload: back to step 2 (wake reason %u)", b->wake_reason);
  send_state_and_hash(b, now);
}

/* [WIRE-008] logged and ignored; the session stays open */
static void unexpected(const Impwire__Envelope *env, const char *why) {
  rf_log("%s from the cloud %s; ignored", frame_msg_name(&env->base), why);
}

static void on_frame(struct boot *b, const Impwire__Envelope *env,
                     uint64_t now) {
  switch (env->msg_case) {
  case IMPWIRE__ENVELOPE__MSG_ACTIVATION_RESULT:
    if (b->phase == BOOT_PHASE_WAIT_ACTIVATION)
      on_activation_result(b, env->activation_result, now);
    else
      unexpected(env, "when no activation was asked");
    break;
  case IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER:
    if (b->phase == BOOT_PHASE_WAIT_ANSWER)
      on_answer(b, env->cloud_answer, now);
    else
      unexpected(env, "outside step 4");
    break;
  case IMPWIRE__ENVELOPE__MSG_RELOAD:
    on_reload(b, env->reload, now);
    break;
  case IMPWIRE__ENVELOPE__MSG_SERVER_LIST:
    on_server_list(b, env->server_list);
    break;
  case IMPWIRE__ENVELOPE__MSG_NEW_OS:
    on_new_os(b, env->new_os, now);
    break;
  case IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE:
  case IMPWIRE__ENVELOPE__MSG_ACK:
    if (b->hooks.app_frame && b->phase == BOOT_PHASE_ONLINE) {
      b->hooks.app_frame(b->hooks.ctx, env);
      break;
    }
    unexpected(env, "with no application running");
    if (env->msg_case == IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE &&
        env->agent_message->has_seq) {
      /* [WIRE-017] dropped, so acknowledged at once */
      Impwire__Ack ack = IMPWIRE__ACK__INIT;
      Impwire__Envelope out = IMPWIRE__ENVELOPE__INIT;
      ack.seq = env->agent_message->seq;
      out.msg_case = IMPWIRE__ENVELOPE__MSG_ACK;
      out.ack = &ack;
      send_env(b, &out, now);
    }
    break;
  case IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST:
  case IMPWIRE__ENVELOPE__MSG_DEVICE_STATE:
  case IMPWIRE__ENVELOPE__MSG_CODE_HASH:
  case IMPWIRE__ENVELOPE__MSG_LOG:
  case IMPWIRE__ENVELOPE__MSG_RESTART:
    unexpected(env, "(a device-to-cloud message)");
    break;
  case IMPWIRE__ENVELOPE__MSG__NOT_SET:
  case _IMPWIRE__ENVELOPE__MSG__CASE_IS_INT_SIZE:
    unexpected(env, "(no message set)"); /* frame_decode refuses these */
    break;
  }
}

/* Hand waiting bytes to the connection; false when the session was lost
** (then reconnecting). */
static bool drain(struct boot *b, uint64_t now) {
  struct rf_diag d = {""};
  if (session_drain(&b->sess, &d) == RF_OK)
    return true;
  rf_log("send failed: %s", d.msg);
  session_lost(b, now, "send failed");
  return false;
}

/* Next turn: at once when frames wait to be read, a little later when
** bytes wait for a cloud that is not reading (the board polls its
** socket), else when something arrives. */
static uint64_t session_next(struct boot *b, uint64_t now, uint64_t next) {
  if (session_is_open(&b->sess) && session_unsent(&b->sess) &&
      next > now + BOOT_DRAIN_MS)
    return now + BOOT_DRAIN_MS;
  return next;
}

/* Read and handle what the cloud sent (a frame the pump held first). */
static uint64_t poll_session(struct boot *b, uint64_t now) {
  if (b->held_frame) {
    Impwire__Envelope *env = b->held_frame;
    b->held_frame = NULL;
    on_frame(b, env, now);
    frame_free(&env->base);
    return now;
  }
  if (!drain(b, now))
    return now;
  for (int i = 0; i < 64; i++) {
    struct rf_diag d = {""};
    Impwire__Envelope *env;
    enum rf_status st = session_poll(&b->sess, &env, &d);
    if (st == RF_EAGAIN)
      return session_next(b, now, UINT64_MAX);
    if (st != RF_OK) {
      /* [WIRE-002..007, WIRE-016] bad frames and lost sessions close with
      ** a reason; reconnect as for a lost connection */
      session_lost(b, now, st == RF_ECLOSED ? "the cloud closed the session"
                                            : d.msg);
      return now;
    }
    on_frame(b, env, now);
    frame_free(&env->base);
    if (!session_is_open(&b->sess))
      return now;
  }
  return now; /* more may be waiting: let the jig have a turn first */
}

/* ---- the jig ------------------------------------------------------------ */

static bool blinkup_ok(const Impjig__BlinkUp *bu) {
  const char *bad = NULL;
  if (!bu->plan_id[0] || strlen(bu->plan_id) > STORE_PLAN_MAX)
    bad = "plan_id empty or too long";
  else if (!bu->enrollment_token[0] ||
           strlen(bu->enrollment_token) > STORE_TOKEN_MAX)
    bad = "enrollment_token empty or too long";
  else if (bu->ssid && strlen(bu->ssid) > STORE_SSID_MAX)
    bad = "ssid longer than 32 bytes";
  else if (bu->password && strlen(bu->password) > STORE_PASSWORD_MAX)
    bad = "password longer than 64 bytes";
  if (bad)
    rf_log("BlinkUp refused: %s", bad);
  return !bad;
}

/* [BOOT-011, BOOT-029, WAKE-009] Store what BlinkUp delivered, Pending
** Activation, cold-start
** the connection with WAKEREASON_BLINKUP. */
static void on_blinkup(struct boot *b, const Impjig__BlinkUp *bu,
                       uint64_t now) {
  if (!blinkup_ok(bu))
    return;
  wifi_restart(&b->wifi, now); /* join afresh with the new credentials */
  struct store_config c = b->store.cfg;
  /* [WIFI-018] BlinkUp forgets the WiFi hints */
  memset(c.hint_bssid, 0, sizeof(c.hint_bssid));
  c.hint_channel = 0;
  /* [NET-002] a cellular board has no WiFi radio: BlinkUp still brings
  ** the plan ID and enrollment token (seeds/003), any SSID and password
  ** are not kept (specs/constants.md "Cellular boards") */
  bool wifi = !b->cfg.cellular;
  if (!wifi && ((bu->ssid && bu->ssid[0]) ||
                (bu->password && bu->password[0])))
    rf_log("cellular board: the BlinkUp's WiFi SSID and password are "
           "ignored");
  snprintf(c.ssid, sizeof(c.ssid), "%s", wifi && bu->ssid ? bu->ssid : "");
  snprintf(c.password, sizeof(c.password), "%s",
           wifi && bu->password ? bu->password : "");
  snprintf(c.plan_id, sizeof(c.plan_id), "%s", bu->plan_id);
  snprintf(c.token, sizeof(c.token), "%s", bu->enrollment_token);
  c.activated = false;
  save_config(b, &c, "the BlinkUp credentials");
  rf_log("BlinkUp: credentials stored (ssid \"%s\", plan %s)", c.ssid,
         c.plan_id);
  stop_code(b);
  session_close(&b->sess, "BlinkUp: starting over");
  b->wake_reason = BOOT_WAKE_BLINKUP;
  b->code_wait_until = UINT64_MAX;
  connect_now(b, now);
  report(b);
}

/* [CAP-006] ClockSet (set) or ClockAdvance: let the virtual clock run to
** the new goal; ClockDone answers once everything due there is done. */
static void on_clock(struct boot *b, uint64_t now, bool set, uint64_t ms,
                     uint32_t seq) {
  if (!hal_clock_virtual()) {
    rf_log("jig: clock messages need the virtual clock (--time virtual); "
           "ignored");
    return;
  }
  uint64_t base = b->clock_pending ? b->clock_goal : now;
  uint64_t goal = set ? ms : base + ms;
  if (set && ms < base) {
    rf_log("jig: ClockSet %llu is before device time %llu; time does not "
           "go back", (unsigned long long)ms, (unsigned long long)base);
    goal = base;
  } else if (!set && ms > UINT64_MAX / 2 - base) {
    rf_log("jig: ClockAdvance %llu ms is out of range; ignored",
           (unsigned long long)ms);
    goal = base;
  }
  b->clock_pending = true;
  b->clock_goal = goal;
  b->clock_seq = seq;
  hal_clock_allow(goal);
}

/* The clock reached its goal: ClockDone, before what is due at the goal
** is done (it may be a connection the harness has to answer). */
static void clock_done(struct boot *b, uint64_t now) {
  if (!b->clock_pending || now < b->clock_goal)
    return;
  Impjig__ClockDone cd = IMPJIG__CLOCK_DONE__INIT;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  cd.now_ms = now;
  cd.seq = b->clock_seq;
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_CLOCK_DONE;
  env.clock_done = &cd;
  b->clock_pending = false;
  jig_send(&b->jig, &env);
}

/* [STORE-027, STORE-028] The jig's flash faults (jig.md "Flash faults"):
** arm a power cut, damage the configuration page, then answer with how
** many bytes this boot has written so far. */
static void on_flash_fault(struct boot *b, const Impjig__FlashFault *ff) {
  struct rf_diag d = {""};
  uint64_t written = hal_flash_bytes_written();
  if (ff->has_corrupt_config && ff->corrupt_config > 0) {
    if (store_damage_config(&b->store, ff->corrupt_config, &d) == RF_OK)
      rf_log("jig: configuration page damaged (%s)",
             ff->corrupt_config > 1 ? "every copy" : "the current copy");
    else
      rf_log("jig: %s", d.msg);
  }
  if (ff->has_cut_after_bytes) {
    if (hal_flash_fault_power_cut_after(ff->cut_after_bytes) == HAL_OK)
      rf_log("jig: power cut armed after %llu more flash bytes",
             (unsigned long long)ff->cut_after_bytes);
    else
      rf_log("jig: this board cannot cut its power");
  }
  Impjig__FlashStatus fs = IMPJIG__FLASH_STATUS__INIT;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  fs.seq = ff->seq;
  fs.bytes_written = written;
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_FLASH_STATUS;
  env.flash_status = &fs;
  jig_send(&b->jig, &env);
}

/* [WAKE-012] RESET_L pulsed (imp003 and later): the board restarts at
** once as a cold boot reporting WAKEREASON_HW_RESET; what survives is
** what a power-on keeps (flash: credentials, code, the configuration;
** not retained RAM: nv, the RTC). imp001 and imp002 have no RESET_L. */
static void on_reset_pulse(struct boot *b) {
  if (strcmp(b->cfg.board, "imp001") == 0 ||
      strcmp(b->cfg.board, "imp002") == 0) {
    rf_log("jig: ResetPulse: an %s has no RESET_L line; ignored",
           b->cfg.board);
    return;
  }
  rf_log("jig: RESET_L pulsed: restarting the board");
  stop_code(b);
  session_close(&b->sess, "RESET_L pulsed");
  b->phase = BOOT_PHASE_REBOOT;
  b->hw_reset = true;
  b->code_wait_until = UINT64_MAX;
}

static void on_jig(struct boot *b, const Impjig__JigEnvelope *je,
                   uint64_t now) {
  if (je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_BLINKUP)
    on_blinkup(b, je->blinkup, now);
  else if (je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_CLOCK_SET)
    on_clock(b, now, true, je->clock_set->now_ms, je->clock_set->seq);
  else if (je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_CLOCK_ADVANCE)
    on_clock(b, now, false, je->clock_advance->ms, je->clock_advance->seq);
  else if ((je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_PIN_DRIVE ||
            je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_UART_RX ||
            je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_I2C_TARGET ||
            je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_ANALOG_DRIVE ||
            je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_PDM_STREAM ||
            je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_PULSE_TRAIN) &&
           b->hooks.jig_message)
    b->hooks.jig_message(b->hooks.ctx, je); /* to api/ */
  else if (je->msg_case >= IMPJIG__JIG_ENVELOPE__MSG_BT_RADIO &&
           je->msg_case <= IMPJIG__JIG_ENVELOPE__MSG_BT_NOTIFY &&
           b->hooks.jig_message)
    b->hooks.jig_message(b->hooks.ctx, je); /* the Bluetooth peer */
  else if (je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_FLASH_FAULT)
    on_flash_fault(b, je->flash_fault);
  else if (je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_WIFI_NETWORKS)
    wifi_set_networks(&b->wifi, je->wifi_networks, now);
  else if (je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_RESET_PULSE)
    on_reset_pulse(b);
  else
    rf_log("jig: %s is not for the device; ignored",
           frame_msg_name(&je->base));
}

static void poll_jig(struct boot *b, uint64_t now) {
  Impjig__JigEnvelope *je;
  if (b->held_jig) {
    je = b->held_jig;
    b->held_jig = NULL;
    on_jig(b, je, now);
    frame_free(&je->base);
  }
  while (jig_poll(&b->jig, &je) == RF_OK) {
    on_jig(b, je, now);
    frame_free(&je->base);
  }
}

/* ---- deep sleep and warm boot ------------------------------------------- */

/* [BOOT-016, WAKE-002, WAKE-005, WAKE-011, STORE-001, STORE-006] A wake
** from deep sleep with the retained record of that sleep: wake reason
** TIMER (SNOOZE after the SUSPEND_ON_ERROR back-off) or PIN, RTC and nv
** as they were (the RTC advanced by the time slept), no session. False:
** a cold boot (power-on, or nothing retained). */
static bool warm_boot(struct boot *b, uint64_t now) {
  static uint8_t raw[RETAINED_MAX];
  size_t n = 0;
  enum hal_wake cause = hal_wake_cause();
  if (cause == HAL_WAKE_POWER_ON || cause == HAL_WAKE_HW_RESET)
    return false;
  enum hal_status st = hal_retained_load(raw, sizeof(raw), &n);
  hal_retained_clear(); /* the record belongs to this one wake */
  if (st != HAL_OK || !retained_decode(raw, n, &b->ret)) {
    rf_log("wake without a good retained record (%s); cold boot",
           st == HAL_OK ? "bad checksum or length" : hal_status_text(st));
    memset(&b->ret, 0, sizeof(b->ret));
    return false;
  }
  if (boot_state_of(b) != BOOT_ACTIVATED_WITH_CODE) {
    rf_log("wake with no code to run; cold boot");
    memset(&b->ret, 0, sizeof(b->ret));
    return false;
  }
  b->warm = true;
  b->wake_reason = cause == HAL_WAKE_PIN ? BOOT_WAKE_PIN
                   : b->ret.snooze      ? BOOT_WAKE_SNOOZE
                                        : BOOT_WAKE_TIMER;
  if (b->ret.rtc_set) {
    b->rtc_set = true;
    b->rtc_unix_ms = b->ret.rtc_unix_ms +
                     (now > b->ret.slept_at ? now - b->ret.slept_at : 0);
    b->rtc_at = now;
  }
  b->phase = BOOT_PHASE_IDLE;
  rf_log("warm boot (wake reason %u): nv %u bytes, no session until the "
         "application asks", b->wake_reason, b->ret.nv_len);
  return true;
}

void boot_connect(struct boot *b, uint64_t now) {
  if (b->phase != BOOT_PHASE_IDLE)
    return;
  if (boot_state_of(b) == BOOT_UNACTIVATED) {
    wait_blinkup(b, "the application asks for a session, but the "
                    "enrollment was cleared");
    return;
  }
  rf_log("the application asks for a session");
  connect_now(b, now);
  report(b);
}

enum rf_status boot_deep_sleep(struct boot *b, uint64_t now,
                               uint64_t wake_at, bool wake_pin, bool snooze,
                               const uint8_t *nv, size_t n) {
  static uint8_t raw[RETAINED_MAX];
  struct retained *r = &b->ret;
  if (n > RETAINED_NV_MAX) {
    rf_log("deep sleep refused: nv of %zu bytes exceeds %u", n,
           RETAINED_NV_MAX);
    return RF_EINVAL;
  }
  memset(r, 0, sizeof(*r));
  r->rtc_set = b->rtc_set;
  r->rtc_unix_ms = b->rtc_set ? b->rtc_unix_ms + (now - b->rtc_at) : 0;
  r->slept_at = now;
  r->wake_at = wake_at < now ? now : wake_at;
  r->wake_pin = wake_pin;
  r->snooze = snooze;
  r->nv_len = (uint32_t)n;
  if (n)
    memcpy(r->nv, nv, n);
  if (hal_retained_save(raw, retained_encode(r, raw)) != HAL_OK) {
    rf_log("deep sleep refused: retained RAM cannot be written");
    return RF_EIO;
  }
  stop_code(b);
  session_close(&b->sess, "deep sleep");
  b->phase = BOOT_PHASE_ASLEEP;
  report(b);
  Impjig__DeepSleep ds = IMPJIG__DEEP_SLEEP__INIT;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  ds.wake_in_ms = r->wake_at - now;
  ds.wake_pin = wake_pin;
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP;
  env.deep_sleep = &ds;
  jig_send(&b->jig, &env);
  rf_log("deep sleep for %llu ms%s", (unsigned long long)ds.wake_in_ms,
         wake_pin ? " (or until the wake pin)" : "");
  return RF_OK;
}

/* ---- fast start ---------------------------------------------------------- */

/* [BOOT-020, BOOT-021, BOOT-022] With a rescue pin recorded, a power-on
** fast starts unless the jig holds that pin at the level opposite its
** idle level: then this one boot is a standard cold start. A pin the jig
** does not hold rests at its idle level (the pull the level implies). */
static bool fast_start(const struct boot *b) {
  const struct store_config *c = &b->store.cfg;
  if (!c->rescue_pin[0])
    return false;
  for (size_t i = 0; i < b->cfg.nheld_pins; i++) {
    const struct boot_pin_level *h = &b->cfg.held_pins[i];
    if (strcmp(h->pin, c->rescue_pin) == 0 && h->level != c->rescue_level) {
      rf_log("rescue pin %s held at %d: standard cold start for this boot",
             c->rescue_pin, h->level);
      return false;
    }
  }
  rf_log("rescue pin %s at its idle level %u: fast start", c->rescue_pin,
         c->rescue_level);
  return true;
}

/* ---- the step function -------------------------------------------------- */

enum rf_status boot_init(struct boot *b, const struct boot_config *cfg,
                         const struct boot_hooks *hooks, uint64_t now,
                         struct rf_diag *d) {
  struct rf_diag note = {""};
  memset(b, 0, sizeof(*b));
  b->cfg = *cfg;
  if (hooks)
    b->hooks = *hooks;
  session_init(&b->sess);
  enum rf_status st = store_open(&b->store, &note, d);
  if (st != RF_OK)
    return st;
  if (note.msg[0])
    rf_log("%s (%u corrupt copies; the other copy is used)", note.msg,
           b->store.corrupt);
  struct store_config c = b->store.cfg;
  fix_identity(b, &c);
  c.boot_count++;
  /* [WAKE-001, WAKE-012] a power-on, or a RESET_L pulse (a cold boot
  ** like it in all else: retained RAM is lost, a stored OS installed) */
  b->wake_reason = hal_wake_cause() == HAL_WAKE_HW_RESET
                       ? BOOT_WAKE_HW_RESET
                       : BOOT_WAKE_POWER_ON;
  /* [OSUPD-001, POLITE-012, REG-048] an image downloaded but not
  ** installed (the reboot into it, a shutdown handler deferring it, or a
  ** power cut before its config write) is installed at power-on, whatever
  ** the handler; a wake from deep sleep is no power-on (POLITE-013) */
  bool installing = (hal_wake_cause() == HAL_WAKE_POWER_ON ||
                     hal_wake_cause() == HAL_WAKE_HW_RESET) &&
                    b->store.os_at.slot >= 0 &&
                    strcmp(b->store.os_image_version, c.os_version) != 0;
  if (installing) {
    rf_log("installing the downloaded OS %s at power-on",
           b->store.os_image_version);
    snprintf(c.os_version, sizeof(c.os_version), "%s",
             b->store.os_image_version);
    b->wake_reason = BOOT_WAKE_NEW_FIRMWARE;
    hal_retained_clear(); /* [STORE-003] nv does not survive an update */
  }
  if ((st = store_save_config(&b->store, &c, d)) != RF_OK)
    return st;
  snprintf(b->os_running, sizeof(b->os_running), "%s",
           c.os_version[0] ? c.os_version : cfg->os_version);
  b->cfg.os_version = b->os_running;
  cfg = &b->cfg;
  rf_log("boot %u: mac %s device_id %s board %s os %s", c.boot_count,
         c.mac, c.device_id, cfg->board, cfg->os_version);
  /* [BOOT-030] Hello, then BootState and Led; [WAKE-001] */
  jig_open(&b->jig, cfg->board, cfg->os_version, cfg->jig_features,
           cfg->njig_features);
  if (installing && upgrades_from_spi(b)) {
    /* [REG-040] the upgrade runs before anything else: solid green */
    rf_log("upgrading impROM from SPI flash: LED solid green");
    report_led(b, (struct boot_led){IMPJIG__LED__COLOUR__GREEN, false});
  }
  wifi_init(&b->wifi, &b->jig, &b->store, cfg->wifi_jig && b->jig.up);
  b->code_wait_until = UINT64_MAX;
  if (warm_boot(b, now)) {
    report(b);
    run_code(b, NULL);
    return RF_OK;
  }
  if (boot_state_of(b) == BOOT_UNACTIVATED) {
    b->phase = BOOT_PHASE_WAIT_BLINKUP;
    rf_log("unactivated: waiting for BlinkUp%s",
           b->jig.up ? "" : " (no jig: idle)");
  } else if (boot_state_of(b) == BOOT_ACTIVATED_WITH_CODE &&
             fast_start(b)) {
    /* [BOOT-020] the code at once, no session until it asks */
    b->fast_start = true;
    b->phase = BOOT_PHASE_IDLE;
    report(b);
    run_code(b, NULL);
    return RF_OK;
  } else {
    connect_now(b, now);
    /* [BOOT-014, BOOT-015] the 10-second rule of a cold boot with code */
    if (boot_state_of(b) == BOOT_ACTIVATED_WITH_CODE)
      b->code_wait_until = now + BOOT_CODE_WAIT_MS;
  }
  report(b);
  return RF_OK;
}

/* What the current phase has to do at now; its next deadline. */
static uint64_t step_phase(struct boot *b, uint64_t now) {
  switch (b->phase) {
  case BOOT_PHASE_WAIT_BLINKUP:
  case BOOT_PHASE_IDLE:
  case BOOT_PHASE_ASLEEP:
  case BOOT_PHASE_REBOOT:
    return UINT64_MAX;
  case BOOT_PHASE_CONNECT:
    if (!wifi_up(&b->wifi))
      return UINT64_MAX; /* the cloud only after a join (wifi_step) */
    if (b->backoff_pending) {
      b->backoff_pending = false;
      b->connect_at = now + BOOT_RETRY_MS;
    }
    if (now < b->connect_at)
      return b->connect_at;
    try_port(b, now);
    return now;
  case BOOT_PHASE_WAIT_ACTIVATION:
  case BOOT_PHASE_WAIT_ANSWER:
  case BOOT_PHASE_ONLINE:
    if (!wifi_up(&b->wifi)) {
      session_lost(b, now, "the WiFi link went down");
      return now;
    }
    return poll_session(b, now);
  }
  return UINT64_MAX;
}

uint64_t boot_step(struct boot *b, uint64_t now) {
  poll_jig(b, now);
  clock_done(b, now);
  if (!b->code_running && now >= b->code_wait_until) {
    /* [BOOT-015] ten seconds of trying without the cloud's answer */
    rf_log("no answer from the cloud within %u ms of trying",
           BOOT_CODE_WAIT_MS);
    run_code(b, NULL);
  }
  /* [WIFI-013, WIFI-014] the radio joins while a session is wanted */
  bool link_wanted = b->phase != BOOT_PHASE_WAIT_BLINKUP &&
                     b->phase != BOOT_PHASE_IDLE &&
                     b->phase != BOOT_PHASE_ASLEEP;
  uint64_t wifi_next = wifi_step(&b->wifi, now, link_wanted);
  if (b->wifi.simulated && b->reported) {
    struct boot_led led = wanted_led(b); /* the LED follows the radio */
    if (led.colour != b->led_sent.colour ||
        led.flashing != b->led_sent.flashing)
      report(b);
  }
  uint64_t next = step_phase(b, now);
  if (b->code_wait_until < next)
    next = b->code_wait_until;
  if (wifi_next < next)
    next = wifi_next;
  return next;
}

void boot_fini(struct boot *b) {
  session_close(&b->sess, "shutting down");
  session_fini(&b->sess);
  if (b->held_frame)
    frame_free(&b->held_frame->base);
  if (b->held_jig)
    frame_free(&b->held_jig->base);
  b->held_frame = NULL;
  b->held_jig = NULL;
  jig_close(&b->jig, "shutting down");
  rf_free(b->configparams);
  b->configparams = NULL;
}

/* ---- for the application layer ------------------------------------------ */

bool boot_online(const struct boot *b) {
  return b->phase == BOOT_PHASE_ONLINE && session_is_open(&b->sess);
}

enum rf_status boot_app_send(struct boot *b, const Impwire__Envelope *env,
                             uint64_t now) {
  if (!boot_online(b))
    return RF_ECLOSED;
  return send_env(b, env, now) ? RF_OK : RF_EIO;
}

enum rf_status boot_app_queue(struct boot *b, const Impwire__Envelope *env,
                              uint64_t now, bool strict, size_t *need) {
  struct rf_diag d = {""};
  if (!boot_online(b))
    return RF_ECLOSED;
  enum rf_status st = session_queue(&b->sess, env, strict, need, &d);
  if (st == RF_OK || st == RF_EAGAIN)
    return st;
  if (st == RF_EINVAL || st == RF_ENOMEM) {
    rf_log("application frame not sent: %s", d.msg);
    return st;
  }
  rf_log("send failed: %s: %s", rf_status_text(st), d.msg);
  session_lost(b, now, "send failed");
  return RF_EIO;
}

void boot_app_drop(struct boot *b, const char *why) {
  if (b->phase == BOOT_PHASE_ASLEEP || b->phase == BOOT_PHASE_WAIT_BLINKUP)
    return;
  session_close(&b->sess, why);
  b->phase = BOOT_PHASE_IDLE;
  rf_log("%s: no session until the application asks", why);
  report(b);
}

void boot_app_set_sendbuf(struct boot *b, size_t size) {
  session_set_sendbuf(&b->sess, size);
}

size_t boot_app_unsent(const struct boot *b) {
  return session_unsent(&b->sess);
}

size_t boot_app_send_free(const struct boot *b) {
  return session_send_free(&b->sess);
}

size_t boot_app_unacked(const struct boot *b) {
  return b->sess.conn ? hal_conn_unacked(b->sess.conn) : 0;
}

/* The pump's view of a cloud frame: Acks go to the application, a step-4
** answer that only confirms the running code and a server list are
** handled; anything else is held for the main loop (it may stop the VM
** that is blocked in the pump's caller). False once a frame is held. */
static bool pump_frame(struct boot *b, Impwire__Envelope *env, uint64_t now) {
  const Impwire__CloudAnswer *a = env->cloud_answer;
  bool ok = false;
  switch (env->msg_case) {
  case IMPWIRE__ENVELOPE__MSG_ACK:
  case IMPWIRE__ENVELOPE__MSG_SERVER_LIST:
    ok = true;
    break;
  case IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER:
    ok = b->phase == BOOT_PHASE_WAIT_ANSWER && a->match && !a->has_code &&
         !(a->has_erase_credentials && a->erase_credentials);
    break;
  default:
    break;
  }
  if (!ok) {
    b->held_frame = env;
    return false;
  }
  on_frame(b, env, now);
  frame_free(&env->base);
  return true;
}

uint64_t boot_pump(struct boot *b, uint64_t now) {
  Impjig__JigEnvelope *je;
  while (!b->held_jig && jig_poll(&b->jig, &je) == RF_OK) {
    if (je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_CLOCK_SET ||
        je->msg_case == IMPJIG__JIG_ENVELOPE__MSG_CLOCK_ADVANCE) {
      on_jig(b, je, now);
      frame_free(&je->base);
    } else {
      b->held_jig = je;
    }
  }
  clock_done(b, now);
  switch (b->phase) {
  case BOOT_PHASE_CONNECT: {
    /* the radio joins meanwhile (jig WiFi surroundings) */
    uint64_t wifi_next = wifi_step(&b->wifi, now, true);
    uint64_t next = step_phase(b, now);
    return wifi_next < next ? wifi_next : next;
  }
  case BOOT_PHASE_WAIT_ACTIVATION:
  case BOOT_PHASE_WAIT_ANSWER:
  case BOOT_PHASE_ONLINE:
    if (!drain(b, now))
      return now;
    for (int i = 0; i < 64 && !b->held_frame; i++) {
      struct rf_diag d = {""};
      Impwire__Envelope *env;
      enum rf_status st = session_poll(&b->sess, &env, &d);
      if (st == RF_EAGAIN)
        return session_next(b, now, UINT64_MAX);
      if (st != RF_OK) {
        session_lost(b, now, st == RF_ECLOSED
                                 ? "the cloud closed the session"
                                 : d.msg);
        return now;
      }
      rf_log("(while the application waits)");
      if (!pump_frame(b, env, now) || !session_is_open(&b->sess))
        return now;
    }
    return session_next(b, now, UINT64_MAX);
  default:
    return UINT64_MAX;
  }
}

bool boot_pump_held(const struct boot *b) {
  return b->held_frame != NULL;
}

void boot_app_restart(struct boot *b, uint32_t wake_reason, uint64_t now) {
  stop_code(b);
  if (b->phase == BOOT_PHASE_REBOOT || b->phase == BOOT_PHASE_ASLEEP)
    return; /* the board goes down anyway */
  if (b->os_pending) {
    /* [POLITE-009] the deferred update completes: NEW_FIRMWARE */
    rf_log("application restart with OS %s pending: installing it",
           b->store.os_image_version);
    reboot_into_os(b);
    return;
  }
  b->wake_reason = wake_reason;
  rf_log("application restart: back to step 2 (wake reason %u)",
         wake_reason);
  /* [REG-012, POLITE-016] as a cold boot: the code comes back once the
  ** cloud answers or after ten seconds, and a device with no session
  ** (warm boot, server.disconnect()) connects now */
  b->warm = false;
  if (boot_state_of(b) == BOOT_ACTIVATED_WITH_CODE)
    b->code_wait_until = now + BOOT_CODE_WAIT_MS;
  if (b->phase == BOOT_PHASE_ONLINE) {
    send_state_and_hash(b, now);
  } else if (b->phase == BOOT_PHASE_IDLE) {
    connect_now(b, now);
    report(b);
  }
  /* else the conversation under way reports the new wake reason */
}

enum rf_status boot_app_clear_configuration(struct boot *b, unsigned what,
                                            struct rf_diag *d) {
  if (what & STORE_CLEAR_PROXY) /* [REG-010] the proxy set in RAM */
    (void)boot_app_set_proxy(b, NULL, 0, NULL, NULL, NULL);
  enum rf_status st = store_clear_configuration(&b->store, what, d);
  if (st == RF_OK)
    rf_log("imp.clearconfiguration(0x%02x): erased on flash; the session "
           "goes on", what);
  return st;
}

enum rf_status boot_app_set_rescue_pin(struct boot *b, const char *pin,
                                       int level, struct rf_diag *d) {
  struct store_config c = b->store.cfg;
  if (pin && (strlen(pin) > STORE_PIN_NAME_MAX || !pin[0] ||
              (level != 0 && level != 1))) {
    rf_diag_set(d, "rescue pin '%s' level %d: not a pin name and level",
                pin, level);
    return RF_EINVAL;
  }
  snprintf(c.rescue_pin, sizeof(c.rescue_pin), "%s", pin ? pin : "");
  c.rescue_level = pin ? (uint8_t)level : 0;
  enum rf_status st = store_save_config(&b->store, &c, d);
  if (st == RF_OK)
    rf_log("rescue pin %s%s: fast start %s from the next power-on",
           pin ? pin : "none", pin ? (level ? " (idle high)" : " (idle low)")
                               : "", pin ? "on" : "off");
  return st;
}

void boot_app_disconnect(struct boot *b, uint64_t now) {
  if (b->phase == BOOT_PHASE_ASLEEP || b->phase == BOOT_PHASE_WAIT_BLINKUP ||
      b->phase == BOOT_PHASE_IDLE || b->phase == BOOT_PHASE_REBOOT)
    return;
  session_close(&b->sess, "server.disconnect()");
  b->phase = BOOT_PHASE_IDLE;
  wifi_step(&b->wifi, now, false); /* [WIFI-026] the radio goes off now */
  rf_log("server.disconnect(): no session until the application asks");
  report(b);
}

void boot_app_reset(struct boot *b, uint32_t wake_reason, uint64_t now) {
  stop_code(b);
  session_close(&b->sess, "software reset");
  b->wake_reason = wake_reason;
  rf_log("software reset (wake reason %u): cold start", wake_reason);
  if (boot_state_of(b) == BOOT_UNACTIVATED) {
    b->phase = BOOT_PHASE_WAIT_BLINKUP;
  } else {
    connect_now(b, now);
    if (boot_state_of(b) == BOOT_ACTIVATED_WITH_CODE)
      b->code_wait_until = now + BOOT_CODE_WAIT_MS;
  }
  report(b);
}

/* [WAKE-014] An imp005 reports only POWER_ON, SW_RESET, NEW_SQUIRREL,
** SQUIRREL_ERROR, HW_RESET and SW_RESTART (research imp-api §1.5): its
** other restarts (after a BlinkUp, into a new impOS) show as power-ons. */
uint32_t boot_wake_reason(const struct boot *b) {
  if (strcmp(b->cfg.board, "imp005") != 0)
    return b->wake_reason;
  switch (b->wake_reason) {
  case BOOT_WAKE_POWER_ON:
  case BOOT_WAKE_SW_RESET:
  case BOOT_WAKE_NEW_SQUIRREL:
  case BOOT_WAKE_SQUIRREL_ERROR:
  case BOOT_WAKE_HW_RESET:
  case BOOT_WAKE_SW_RESTART:
    return b->wake_reason;
  default:
    return BOOT_WAKE_POWER_ON;
  }
}

enum rf_status boot_app_set_proxy(struct boot *b, const char *addr,
                                  uint16_t port, const char *user,
                                  const char *password, struct rf_diag *d) {
  if (!addr) {
    b->use_proxy = false;
    return RF_OK;
  }
  if (!addr[0] || strlen(addr) >= sizeof(b->proxy_addr) || port == 0 ||
      (user && strlen(user) >= sizeof(b->proxy_user)) ||
      (password && strlen(password) >= sizeof(b->proxy_password))) {
    rf_diag_set(d, "proxy: address, user and password 1..63 bytes, port "
                   "1..65535");
    return RF_EINVAL;
  }
  snprintf(b->proxy_addr, sizeof(b->proxy_addr), "%s", addr);
  snprintf(b->proxy_user, sizeof(b->proxy_user), "%s", user ? user : "");
  snprintf(b->proxy_password, sizeof(b->proxy_password), "%s",
           password ? password : "");
  b->proxy = (struct hal_proxy){b->proxy_addr, port, b->proxy_user,
                                b->proxy_password};
  b->use_proxy = true;
  rf_log("proxy: connections go through %s port %u%s", addr, port,
         b->proxy_user[0] ? " with credentials" : "");
  return RF_OK;
}

enum rf_status boot_last_connect(const struct boot *b) {
  return b->last_connect;
}
