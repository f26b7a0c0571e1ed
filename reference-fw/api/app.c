/*
** app.c: api/ under the cloud. Sends go out as wire frames on the boot's
** session (SEND-003, SEND-004), AgentMessages come in to agent.on, a
** Reload is offered to server.onshutdown, and what ends the VM (uncaught
** error, server.restart(), imp.reset(), out of memory) goes back to core/
** once the VM has unwound (boot_app_restart, boot_app_reset).
*/
#include "api/app.h"

#include <stdio.h>
#include <string.h>

#include "api/sendpol.h"
#include "core/jig.h"
#include "core/rf.h"
#include "hal/hal.h"

/* ---- the host of api/ ------------------------------------------------ */

static uint64_t h_now(void *ctx) {
  (void)ctx;
  return hal_now_ms();
}

/* imp.sleep(): the board waits. Under the jig's virtual clock device
** time moves only with the jig's clock messages, so the wait reads them
** (sendpol_sleep) [API-008]. */
static void h_sleep(void *ctx, uint32_t ms) {
  if (hal_clock_virtual()) {
    sendpol_sleep(ctx, ms);
    return;
  }
  uint64_t until = hal_now_ms() + ms;
  while (hal_now_ms() < until)
    if (hal_wait_event(until) == HAL_ESTOP)
      break;
}

static int h_send(void *ctx, const Impwire__Envelope *env,
                  const struct api_send_policy *pol) {
  return sendpol_send(ctx, env, pol);
}

static bool h_is_connected(void *ctx) {
  return boot_online(((struct app *)ctx)->boot);
}

static bool h_connect(void *ctx, uint32_t timeout_ms, bool block) {
  struct app *a = ctx;
  if (block)
    return sendpol_connect_wait(a, timeout_ms);
  /* answered by app_step: online, or the timeout [NET-008, NET-009] */
  a->connect_wanted = true;
  a->connect_deadline = hal_now_ms() + timeout_ms;
  a->lost = false;
  boot_connect(a->boot, hal_now_ms()); /* after a disconnect [NET-014] */
  return false;
}

static bool h_flush(void *ctx, uint32_t timeout_ms) {
  return sendpol_flush(ctx, timeout_ms);
}

/* [SEND-025] tcpsendfree */
static uint32_t h_send_free(void *ctx, uint32_t size) {
  struct app *a = ctx;
  boot_app_set_sendbuf(a->boot, size);
  return (uint32_t)boot_app_send_free(a->boot);
}

static void h_disconnect(void *ctx) {
  struct app *a = ctx;
  a->lost = false;
  boot_app_disconnect(a->boot, hal_now_ms());
}

/* One Log frame at level ERROR. */
static void log_error(struct app *a, const char *text) {
  Impwire__Log log = IMPWIRE__LOG__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  log.level = IMPWIRE__LOG__LEVEL__ERROR;
  log.text = (char *)text;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_LOG;
  env.log = &log;
  boot_app_send(a->boot, &env, hal_now_ms());
}

/* Pins to the jig (jig.md "Pins"): PinState for a configure or a level
** change (the event carries the pin's mode), PwmState for PWM. */
static void jig_pin(struct app *a, const struct api_event *ev) {
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  Impjig__PinState ps = IMPJIG__PIN_STATE__INIT;
  Impjig__PwmState pw = IMPJIG__PWM_STATE__INIT;
  uint64_t now = hal_now_ms();
  /* outputs (5-7) and PWM (10, 11): the PinState or PwmState that
  ** follows the configure says it all */
  if (ev->kind == API_EV_PIN_MODE &&
      ((ev->mode >= 5 && ev->mode <= 7) || ev->mode == 10 || ev->mode == 11))
    return;
  if (ev->kind == API_EV_PWM) {
    pw.pin = (char *)ev->pin;
    pw.period_s = ev->period_s;
    pw.duty = ev->duty;
    pw.at_ms = now;
    env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_PWM_STATE;
    env.pwm_state = &pw;
  } else {
    ps.pin = (char *)ev->pin;
    ps.mode = (uint32_t)ev->mode;
    ps.level = ev->kind == API_EV_PIN ? (uint32_t)ev->level : 0;
    ps.at_ms = now;
    env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE;
    env.pin_state = &ps;
  }
  jig_send(&a->boot->jig, &env);
}

/* UART, I2C and DAC output to the jig (jig.md "Peripherals"). */
static void jig_periph(struct app *a, const struct api_event *ev) {
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  Impjig__UartConfig uc = IMPJIG__UART_CONFIG__INIT;
  Impjig__UartTx tx = IMPJIG__UART_TX__INIT;
  Impjig__I2cTransfer it = IMPJIG__I2C_TRANSFER__INIT;
  Impjig__DacOutput dac = IMPJIG__DAC_OUTPUT__INIT;
  uint64_t now = hal_now_ms();
  ProtobufCBinaryData data = {ev->len, (uint8_t *)ev->data};
  switch (ev->kind) {
  case API_EV_UART_CONFIG:
    uc.uart = (char *)ev->bus;
    uc.baud = (uint32_t)ev->number;
    uc.word_size = ev->word_size;
    uc.parity = ev->parity;
    uc.stop_bits = ev->stop_bits;
    uc.flags = ev->flags;
    uc.at_ms = now;
    env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_UART_CONFIG;
    env.uart_config = &uc;
    break;
  case API_EV_UART_TX:
    tx.uart = (char *)ev->bus;
    tx.data = data;
    tx.at_ms = now;
    env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_UART_TX;
    env.uart_tx = &tx;
    break;
  case API_EV_I2C:
    it.bus = (char *)ev->bus;
    it.address = ev->address;
    it.has_written = true;
    it.written = data;
    it.read_len = ev->read_len;
    it.result = ev->number;
    it.at_ms = now;
    env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_I2C_TRANSFER;
    env.i2c_transfer = &it;
    break;
  default: /* API_EV_DAC */
    dac.output = (char *)ev->bus;
    dac.sample_rate = ev->rate;
    dac.samples = data;
    dac.at_ms = ev->at_ms;
    env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_DAC_OUTPUT;
    env.dac_output = &dac;
    break;
  }
  jig_send(&a->boot->jig, &env);
}

static void h_observe(void *ctx, const struct api_event *ev) {
  struct app *a = ctx;
  char line[600];
  switch (ev->kind) {
  case API_EV_UNCAUGHT:
    /* [API-005] the message line, then the stack, as the cloud log shows */
    log_error(a, ev->text);
    for (const char *p = ev->stack; p && *p;) {
      const char *nl = strchr(p, '\n');
      size_t n = nl ? (size_t)(nl - p) : strlen(p);
      snprintf(line, sizeof line, "%.*s", (int)n, p);
      if (n)
        log_error(a, line);
      p += n + (nl ? 1 : 0);
    }
    rf_log("uncaught error: %s", ev->text);
    break;
  case API_EV_NO_HANDLER:
    /* [SEND-026] the text of constants.md */
    snprintf(line, sizeof line, "no handler for device.send(): \"%s\"",
             ev->text);
    log_error(a, line);
    break;
  case API_EV_PIN:
  case API_EV_PIN_MODE:
  case API_EV_PWM:
    jig_pin(a, ev);
    break;
  case API_EV_UART_CONFIG:
  case API_EV_UART_TX:
  case API_EV_I2C:
  case API_EV_DAC:
    jig_periph(a, ev);
    break;
  case API_EV_SHUTDOWN:
    rf_log("calling the shutdown handler (reason %d)", (int)ev->number);
    break;
  case API_EV_PRINT:
  case API_EV_WATCHDOG:
    rf_log("%s", ev->text);
    break;
  }
}

/* hardware.bluetooth's reports to the jig (jig.md "Bluetooth"). */
static void h_jig(void *ctx, const Impjig__JigEnvelope *m) {
  struct app *a = ctx;
  jig_send(&a->boot->jig, m);
}

/* Called once the VM has unwound; acted on in app_step. */
static void h_request(void *ctx, const struct api_request *req) {
  struct app *a = ctx;
  a->have_req = true;
  a->req = *req;
  a->req.why = NULL;
  rf_free(a->nv);
  a->nv = NULL;
  a->nv_len = 0;
  if (req->kind == API_REQ_DEEP_SLEEP && req->nv && req->nv_len &&
      (a->nv = rf_malloc(req->nv_len))) {
    memcpy(a->nv, req->nv, req->nv_len);
    a->nv_len = req->nv_len;
  }
  a->req.nv = NULL;
  rf_log("application request: %s", req->why ? req->why : "?");
}

/* [STORE-012..017] The user configuration is the store's: on flash,
** untouched by BlinkUp, new code, clearconfiguration and OS updates. */
static int h_userconf_get(void *ctx, uint8_t *buf, size_t cap) {
  const struct store *s = &((struct app *)ctx)->boot->store;
  if (s->userconf_len < 0)
    return -1;
  size_t n = (size_t)s->userconf_len < cap ? (size_t)s->userconf_len : cap;
  memcpy(buf, s->userconf, n);
  return (int)n;
}

static bool h_userconf_set(void *ctx, const uint8_t *data, size_t n) {
  struct rf_diag d = {""};
  struct app *a = ctx;
  if (store_save_userconf(&a->boot->store, data, n, &d) == RF_OK)
    return true;
  rf_log("imp.setuserconfiguration: %s", d.msg);
  return false;
}

static bool h_clear_configuration(void *ctx, unsigned action) {
  struct rf_diag d = {""};
  struct app *a = ctx;
  if (boot_app_clear_configuration(a->boot, action, &d) == RF_OK)
    return true;
  rf_log("imp.clearconfiguration: %s", d.msg);
  return false;
}

static bool h_set_rescue_pin(void *ctx, const char *pin, int level) {
  struct rf_diag d = {""};
  struct app *a = ctx;
  if (boot_app_set_rescue_pin(a->boot, pin, level, &d) == RF_OK)
    return true;
  rf_log("imp.setrescuepin: %s", d.msg);
  return false;
}

static bool h_set_proxy(void *ctx, const char *addr, uint16_t port,
                        const char *user, const char *password) {
  struct rf_diag d = {""};
  struct app *a = ctx;
  if (boot_app_set_proxy(a->boot, addr, port, user, password, &d) == RF_OK)
    return true;
  rf_log("imp.setproxy: %s", d.msg);
  return false;
}

/* [REG-010] The reason a connection failed, for the application: the
** proxy's if it was the proxy, else no server. */
static enum api_conn_reason failed_reason(const struct app *a) {
  switch (boot_last_connect(a->boot)) {
  case RF_ENOPROXY: return API_NO_PROXY;
  case RF_EPROXYAUTH: return API_NOT_AUTHORISED;
  default: return API_NO_SERVER;
  }
}

/* ---- the hooks of core/boot.c ---------------------------------------- */

/* The user area of hardware.spiflash: a RAM copy of the board's SPI
** flash file, read on first use; without one (refimp run) erased RAM. */
static uint8_t *h_spiflash(void *ctx, uint32_t size) {
  struct app *a = ctx;
  if (a->spiflash && a->spiflash_size == size)
    return a->spiflash;
  rf_free(a->spiflash);
  a->spiflash_size = 0;
  if (!(a->spiflash = rf_malloc(size)))
    return NULL;
  memset(a->spiflash, 0xff, size);
  if (hal_spiflash_size() >= size &&
      hal_spiflash_read(0, a->spiflash, size) != HAL_OK) {
    rf_log("spiflash: the user area could not be read");
    rf_free(a->spiflash);
    a->spiflash = NULL;
    return NULL;
  }
  a->spiflash_size = size;
  return a->spiflash;
}

/* Changed bytes of the user area to the flash file (HW-033). */
static bool h_spiflash_wrote(void *ctx, uint32_t off, uint32_t n) {
  struct app *a = ctx;
  if (!a->spiflash || off > a->spiflash_size || n > a->spiflash_size - off)
    return false;
  if (hal_spiflash_size() < a->spiflash_size)
    return true; /* RAM only: nothing more to keep */
  return hal_spiflash_write(off, a->spiflash + off, n) == HAL_OK;
}

static void code_stop(void *ctx) {
  struct app *a = ctx;
  /* pins are released, zombie PWM runs on into the next VM (HW-013) */
  a->nzombies = a->api ? api_release_pins(a->api, a->zombies,
                                          API_MAX_ZOMBIES)
                       : a->nzombies;
  api_destroy(a->api);
  a->api = NULL;
  a->connect_wanted = false;
  a->acked_seq = a->flush_seq = 0; /* seqs start again with the VM */
  a->lost = false;
}

static void code_start(void *ctx, const uint8_t *code, size_t n,
                       const Impwire__Value *configparams) {
  struct app *a = ctx;
  struct boot *b = a->boot;
  code_stop(a);
  /* [REG-007] power save is off for every new VM */
  wifi_set_powersave(&b->wifi, false, hal_now_ms());
  struct api_host host = {
      .ctx = a, .now_ms = h_now, .sleep_ms = h_sleep, .send = h_send,
      .is_connected = h_is_connected, .connect = h_connect,
      .flush = h_flush, .send_free = h_send_free,
      .disconnect = h_disconnect, .observe = h_observe,
      .request = h_request, .userconf_get = h_userconf_get,
      .userconf_set = h_userconf_set, .jig = h_jig,
      .clear_configuration = h_clear_configuration,
      .set_rescue_pin = h_set_rescue_pin, .set_proxy = h_set_proxy,
      .spiflash = h_spiflash,
      .spiflash_wrote = h_spiflash_wrote,
      .wifi = &app_wifi_ops};
  uint64_t now = hal_now_ms();
  /* nv only for the first VM of a warm boot (it survives deep sleep, not
  ** restarts: specs/constants.md) */
  bool give_nv = b->warm && !a->nv_taken && b->ret.nv_len;
  a->nv_taken = true;
  struct api_config cfg = {
      .board = b->cfg.board, .os_version = b->cfg.os_version,
      .mac = b->store.cfg.mac, .device_id = b->store.cfg.device_id,
      .wake_reason = boot_wake_reason(b),
      .nv = give_nv ? b->ret.nv : NULL,
      .nv_len = give_nv ? b->ret.nv_len : 0,
      .configparams = configparams,
      .no_ethernet = b->cfg.no_ethernet, .no_wifi = b->cfg.no_wifi,
      .rtc_unix_ms = b->rtc_set ? b->rtc_unix_ms + (now - b->rtc_at) : 0,
      .zombies = a->zombies, .nzombies = a->nzombies};
  a->reload_deferred = false;
  a->api = api_create(&host, &cfg);
  if (!a->api) {
    rf_log("no memory for the Squirrel VM");
    return;
  }
  /* [API-005] the cloud's name for the code */
  if (api_start(a->api, (const char *)code, n, "device_code") ==
      API_SYNTAX_ERROR) {
    rf_log("the code does not compile: %s", api_lasterror(a->api));
    log_error(a, api_lasterror(a->api));
  }
}

static void app_frame(void *ctx, const Impwire__Envelope *env) {
  struct app *a = ctx;
  if (env->msg_case == IMPWIRE__ENVELOPE__MSG_ACK && env->ack) {
    if (env->ack->seq > a->acked_seq) /* [SEND-018] */
      a->acked_seq = env->ack->seq;
    return;
  }
  if (a->api)
    api_frame(a->api, env);
}

static bool shutdown_notice(void *ctx, uint32_t reason) {
  struct app *a = ctx;
  if (!a->api || !api_shutdown_notice(a->api, (enum api_shutdown)reason))
    return false;
  a->reload_deferred = reason == API_SHUTDOWN_NEWSQUIRREL;
  return true;
}

/* Peripheral inputs from the jig (jig.md "Peripherals"); false when the
** code cannot take them (logged by the caller). */
static bool jig_periph_input(struct app *a, const Impjig__JigEnvelope *m,
                             const char **what) {
  switch (m->msg_case) {
  case IMPJIG__JIG_ENVELOPE__MSG_UART_RX:
    *what = "UartRx: no such UART configured for receiving";
    return api_uart_input(a->api, m->uart_rx->uart, m->uart_rx->data.data,
                          m->uart_rx->data.len);
  case IMPJIG__JIG_ENVELOPE__MSG_I2C_TARGET:
    *what = "I2cTarget: no such bus, a bad address or too many targets";
    return api_i2c_target(a->api, m->i2c_target->bus,
                          m->i2c_target->address, m->i2c_target->present,
                          m->i2c_target->registers.data,
                          m->i2c_target->has_registers
                              ? m->i2c_target->registers.len : 0);
  case IMPJIG__JIG_ENVELOPE__MSG_ANALOG_DRIVE:
    *what = "AnalogDrive: no such pin or above the 3300 mV supply";
    return api_analog_input(a->api, m->analog_drive->pin,
                            m->analog_drive->millivolts);
  case IMPJIG__JIG_ENVELOPE__MSG_PULSE_TRAIN:
    *what = "PulseTrain: no such pin, a count, period or at_ms out of range, "
            "or 8 trains pending";
    return api_pulse_input(a->api, m->pulse_train->pin,
                           m->pulse_train->count, m->pulse_train->period_us,
                           m->pulse_train->has_at_ms ? m->pulse_train->at_ms
                                                     : hal_now_ms());
  case IMPJIG__JIG_ENVELOPE__MSG_PDM_STREAM:
    *what = "PdmStream: no dfsdm on this board, or an empty stream";
    return api_pdm_input(a->api, m->pdm_stream->clock_hz,
                         m->pdm_stream->bits.data, m->pdm_stream->bits.len);
  default:
    *what = "not for the application";
    return false;
  }
}

/* PinDrive, the peripheral inputs (jig.md "Pins", "Peripherals") and the
** Bluetooth peer (50-59) from the jig. */
static void jig_message(void *ctx, const Impjig__JigEnvelope *m) {
  struct app *a = ctx;
  const char *what = "";
  if (!a->api) {
    rf_log("jig: message %d: no code running; ignored", (int)m->msg_case);
    return;
  }
  if (m->msg_case >= IMPJIG__JIG_ENVELOPE__MSG_BT_RADIO &&
      m->msg_case <= IMPJIG__JIG_ENVELOPE__MSG_BT_NOTIFY) {
    api_bt_jig(a->api, m);
    return;
  }
  if (m->msg_case != IMPJIG__JIG_ENVELOPE__MSG_PIN_DRIVE) {
    if (!jig_periph_input(a, m, &what))
      rf_log("jig: %s; ignored", what);
    return;
  }
  const Impjig__PinDrive *d = m->pin_drive;
  if (!api_pin_input(a->api, d->pin, d->level ? 1 : 0))
    rf_log("jig: PinDrive %s: no such input pin; ignored", d->pin);
}

void app_init(struct app *a, struct boot *b) {
  memset(a, 0, sizeof(*a));
  a->boot = b;
}

struct boot_hooks app_hooks(struct app *a) {
  struct boot_hooks h = {.ctx = a, .code_start = code_start,
                         .code_stop = code_stop, .app_frame = app_frame,
                         .shutdown_notice = shutdown_notice,
                         .jig_message = jig_message};
  return h;
}

/* Act on what the code asked for once its VM unwound. */
static void act(struct app *a, uint64_t now) {
  struct api_request q = a->req;
  a->have_req = false;
  switch (q.kind) {
  case API_REQ_ERROR_RESTART: /* [BOOT-016] */
    boot_app_restart(a->boot, API_WAKE_SQUIRREL_ERROR, now);
    break;
  case API_REQ_RESTART: /* [POLITE-007, POLITE-008] */
    boot_app_restart(a->boot,
                     a->reload_deferred ? API_WAKE_NEW_SQUIRREL
                                        : API_WAKE_SW_RESTART,
                     now);
    break;
  case API_REQ_RESET: /* [HW-029] imp.reset() and out of memory */
    boot_app_reset(a->boot, API_WAKE_SW_RESET, now);
    break;
  case API_REQ_DEEP_SLEEP:
    /* [WAKE-002] core/ keeps RTC and nv in retained RAM and powers down;
    ** [HW-019] every pin but the wake pin tri-stated first */
    if (a->api)
      api_sleep_pins(a->api);
    if (boot_deep_sleep(a->boot, now, q.wake_at_ms, q.wake_pin_armed,
                        q.snooze, a->nv,
                        a->nv_len) != RF_OK) {
      rf_log("deep sleep failed: the code restarts instead");
      boot_app_restart(a->boot, API_WAKE_SW_RESTART, now);
    }
    rf_free(a->nv);
    a->nv = NULL;
    a->nv_len = 0;
    break;
  }
}

/* The session's ups and downs for the application: the server.connect
** callback [NET-008, NET-009], and under RETURN_ON_ERROR a loss not
** repaired within APP_UNEXPECTED_MS [NET-018, NET-019]. Returns the next
** deadline. */
static uint64_t watch_session(struct app *a, uint64_t now) {
  bool online = boot_online(a->boot);
  uint64_t next = UINT64_MAX;
  if (a->connect_wanted && online) {
    a->connect_wanted = false;
    api_connection(a->api, true, API_SERVER_CONNECTED);
  } else if (a->connect_wanted && now >= a->connect_deadline) {
    a->connect_wanted = false;
    boot_app_drop(a->boot, "server.connect() timed out");
    api_connection(a->api, false, failed_reason(a));
  } else if (a->connect_wanted) {
    next = a->connect_deadline;
  }
  /* counted by boot: a loss and a reconnect may both fall between two
  ** app_steps */
  if (a->boot->sessions_lost != a->seen_lost && !a->lost &&
      api_error_policy(a->api) != API_SUSPEND_ON_ERROR) {
    a->lost = true; /* the device retries meanwhile */
    a->lost_at = now;
  }
  a->seen_lost = a->boot->sessions_lost;
  if (online || a->boot->phase == BOOT_PHASE_IDLE)
    a->lost = false; /* back (or given up by the application) */
  if (a->lost && now >= a->lost_at + APP_UNEXPECTED_MS) {
    a->lost = false;
    boot_app_drop(a->boot, "no session for 60 s (RETURN_ON_ERROR)");
    api_connection(a->api, false, API_NO_SERVER);
  } else if (a->lost && a->lost_at + APP_UNEXPECTED_MS < next) {
    next = a->lost_at + APP_UNEXPECTED_MS;
  }
  return next;
}

uint64_t app_step(struct app *a, uint64_t now) {
  if (!a->api)
    return UINT64_MAX;
  uint64_t watch = watch_session(a, now);
  enum boot_phase phase = a->boot->phase;
  uint64_t wifi_next = app_wifi_step(a, now);
  uint64_t next = api_step(a->api, now);
  if (wifi_next < next)
    next = wifi_next;
  if (a->have_req) {
    /* a send may have blocked: time moved on inside api_step */
    now = hal_now_ms();
    act(a, now);
    return now;
  }
  if (a->boot->phase != phase)
    return now; /* the code connected or dropped: boot_step's turn */
  if (boot_app_unsent(a->boot) && next > now + BOOT_DRAIN_MS)
    next = now + BOOT_DRAIN_MS; /* bytes the connection did not take */
  return watch < next ? watch : next;
}

void app_fini(struct app *a) {
  code_stop(a);
  rf_free(a->nv);
  a->nv = NULL;
  rf_free(a->spiflash);
  a->spiflash = NULL;
}
