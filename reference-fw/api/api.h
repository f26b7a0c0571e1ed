/*
** api.h: the imp application layer. Owns the Squirrel VM that runs the
** deployed code, its event loop (imp.wakeup timers, agent.on handlers,
** onidle, connect callbacks), the instruction budget, uncaught errors and
** the bindings (server, agent, imp, hardware, nv, crypto).
** Everything outside goes through ONE interface, struct api_host: the
** host (refimp's main loop under the cloud, or `refimp run`) sends frames,
** connects, keeps retained storage and carries out the requests (deep
** sleep, reset, restart) that end the VM. api/ never reads a clock itself
** and knows nothing of POSIX.
*/
#ifndef REFIMP_API_API_H
#define REFIMP_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jig.pb-c.h"
#include "wire.pb-c.h"

/* Wake reasons (specs/constants.md; same numbers as enum boot_wake). */
enum api_wake {
  API_WAKE_POWER_ON = 0,
  API_WAKE_TIMER = 1,
  API_WAKE_SW_RESET = 2,
  API_WAKE_PIN = 3,
  API_WAKE_NEW_SQUIRREL = 4,
  API_WAKE_SQUIRREL_ERROR = 5,
  API_WAKE_NEW_FIRMWARE = 6,
  API_WAKE_SNOOZE = 7,
  API_WAKE_HW_RESET = 8,
  API_WAKE_BLINKUP = 9,
  API_WAKE_SW_RESTART = 10,
  API_WAKE_POWER_RESTORED = 11
};

/* Send error codes returned by server.log/error and agent.send. */
enum api_send_error {
  API_SEND_OK = 0,
  API_SEND_ERROR_NOT_CONNECTED = 1,
  API_SEND_ERROR_TIMEOUT = 2,
  API_SEND_ERROR_DISCONNECTED = 3,
  API_SEND_ERROR_WOULDBLOCK = 4
};

/* Not a send error: SUSPEND_ON_ERROR found no server for a minute; the
** api then deep-sleeps for API_SUSPEND_SLEEP_MS [SEND-012]. */
#define API_SEND_SLEEP (-1)
#define API_SUSPEND_RETRY_MS 60000u   /* SUSPEND_ON_ERROR tries this long */
#define API_SUSPEND_SLEEP_MS 540000u  /* then sleeps nine minutes */
#define API_CONNECT_TIMEOUT_MS 60000u /* server.connect's default timeout */

/* The policy a send is made under (server.setsendtimeoutpolicy) and
** the send buffer it fills. */
enum api_error_policy {
  API_SUSPEND_ON_ERROR = 0,
  API_RETURN_ON_ERROR = 1,
  API_RETURN_ON_ERROR_NO_DISCONNECT = 2
};
struct api_send_policy {
  enum api_error_policy error;
  bool wait_for_ack;        /* WAIT_FOR_ACK (else WAIT_TIL_SENT) */
  uint32_t timeout_ms;      /* the send timeout */
  uint32_t buffer;          /* imp.setsendbuffersize */
  uint32_t seq;             /* WAIT_FOR_ACK agent.send: the Ack to await;
                               0: none */
};

/* Connection reasons (server.connect callback, onunexpecteddisconnect). */
enum api_conn_reason {
  API_NOT_CONNECTED = 0,
  API_NO_WIFI = 1,
  API_NO_IP_ADDRESS = 2,
  API_NOT_RESOLVED = 3,
  API_NO_SERVER = 4,
  API_SERVER_CONNECTED = 5,
  API_NO_PROXY = 6,        /* REG-010: the proxy is unreachable */
  API_NOT_AUTHORISED = 7   /* REG-010: the proxy refused the credentials */
};

/* Shutdown reasons passed to the server.onshutdown() handler. */
enum api_shutdown {
  API_SHUTDOWN_NEWSQUIRREL = 1,
  API_SHUTDOWN_NEWFIRMWARE = 2
};

/* ---- what the application asks of the OS --------------------------------
** Each request ends the VM: after host->request() returns, the api runs no
** more Squirrel (api_step does nothing) and the host destroys it.
*/
enum api_request_kind {
  API_REQ_DEEP_SLEEP,   /* imp.deepsleepfor/until, server.sleepfor/until:
                           warm boot at wake_at_ms, WAKEREASON_TIMER (or
                           PIN if the wake pin rises); nv retained */
  API_REQ_RESET,        /* imp.reset() or out of memory: cold start,
                           WAKEREASON_SW_RESET, nv lost */
  API_REQ_RESTART,      /* server.restart(): reload the VM; the host picks
                           NEW_SQUIRREL / NEW_FIRMWARE / SW_RESTART */
  API_REQ_ERROR_RESTART /* uncaught error: restart the code with
                           WAKEREASON_SQUIRREL_ERROR */
};

struct api_request {
  enum api_request_kind kind;
  uint64_t wake_at_ms;     /* DEEP_SLEEP: host time of the timer wake */
  bool wake_pin_armed;     /* DEEP_SLEEP: DIGITAL_IN_WAKEUP configured */
  bool snooze;             /* DEEP_SLEEP: the SUSPEND_ON_ERROR back-off
                              (its timer wake is WAKEREASON_SNOOZE) */
  const uint8_t *nv;       /* DEEP_SLEEP: packed impwire.Value (the nv
                              table) valid during the call; NULL: no nv */
  size_t nv_len;
  bool out_of_memory;      /* RESET: caused by out of memory */
  const char *why;         /* a short text for the log ("imp.reset()") */
};

/* ---- what the application does that a jig or a person can observe ------
** Sends to the cloud are not events: they go through host->send.
*/
enum api_event_kind {
  API_EV_PIN,          /* pin: level of a digital output (level, mode) */
  API_EV_PWM,          /* pin: PWM output (period_s, duty) */
  API_EV_PIN_MODE,     /* pin: configured (mode: the Squirrel constant) */
  API_EV_SHUTDOWN,     /* onshutdown handler called (number: reason) */
  API_EV_UNCAUGHT,     /* uncaught error (text: message, stack: frames) */
  API_EV_NO_HANDLER,   /* agent message with no agent.on handler (text) */
  API_EV_PRINT,        /* print() output (text, one line) */
  API_EV_WATCHDOG,     /* the budget ran out (text) */
  API_EV_UART_CONFIG,  /* bus: configured (number: baud, 0 disabled;
                          word_size, parity, stop_bits, flags) */
  API_EV_UART_TX,      /* bus: bytes written (data, len) */
  API_EV_I2C,          /* bus: a transfer (address 7-bit, data/len written,
                          read_len, number: result 0 or negative) */
  API_EV_DAC           /* bus: output name; a buffer played (data/len,
                          rate Hz) */
};

struct api_event {
  enum api_event_kind kind;
  const char *pin;     /* "pin1", "pinA" ... or NULL */
  int32_t level;
  int32_t mode;
  float period_s, duty;
  int32_t number;
  const char *text;
  const char *stack;   /* "  at NAME (CHUNK:LINE)\n" lines, or "" */
  /* peripherals (UART, I2C, DAC) */
  const char *bus;     /* "uart57", "i2c89", "pin5", "pwmpairKD" */
  const uint8_t *data;
  size_t len;
  uint32_t word_size, parity, stop_bits, flags, address, read_len;
  float rate;
  uint64_t at_ms;      /* API_EV_DAC: host time the buffer started */
};

/* ---- the WiFi interface (api/wifi.c binds it) -----------------------------
** Optional in struct api_host: a host without one (`refimp run`) has no
** WiFi, and the WiFi calls throw. Strings returned live until the next
** call into the host. */
struct api_wifi_net {
  char ssid[33];
  char bssid[13];      /* 12 lower-case hex digits */
  int channel;
  int rssi;
  bool open;
};

struct api_wifi_ops {
  /* The networks a scan sees now (at most cap). */
  size_t (*scan)(void *ctx, struct api_wifi_net *out, size_t cap);
  /* Start an asynchronous scan; false when one runs. The host gives the
  ** result to api_wifi_scan_done() later. */
  bool (*scan_start)(void *ctx);
  /* Store credentials (key "": open); false when the store failed. */
  bool (*set_config)(void *ctx, const char *ssid, const char *key);
  const char *(*stored_ssid)(void *ctx);
  /* The SSID joined and its channel; NULL while not joined. */
  const char *(*joined_ssid)(void *ctx, int *channel);
  /* The connection reason of the last failed join, 0 if none. */
  int (*last_error)(void *ctx);
  void (*get_hints)(void *ctx, char bssid[13], int *channel);
  /* bssid NULL clears; false when the store failed. */
  bool (*set_hints)(void *ctx, const char *bssid, int channel);
  /* pin "" for push button; false when the store failed. */
  bool (*configure_wps)(void *ctx, const char *pin);
  /* The counters blob into buf; 0 while the radio is off. */
  size_t (*counters)(void *ctx, uint8_t *buf, size_t cap);
  /* The application's power-save wish. */
  void (*powersave)(void *ctx, bool on);
};

/* ---- the host -----------------------------------------------------------
** Every member must be set except those marked optional. Strings and
** buffers passed in are only valid during the call.
*/
struct api_host {
  void *ctx;
  /* Host time in ms (virtual under `refimp run` and the jig clock). */
  uint64_t (*now_ms)(void *ctx);
  /* Let `ms` of device time pass while Squirrel is blocked (imp.sleep). */
  void (*sleep_ms)(void *ctx, uint32_t ms);
  /* Send one Envelope (Log, AgentMessage, Restart) for the cloud under
  ** the send policy (specs/constants.md "Send policies"): may block
  ** Squirrel (WAIT_TIL_SENT with a full buffer, WAIT_FOR_ACK, a
  ** SUSPEND_ON_ERROR reconnection). Returns an enum api_send_error, or
  ** API_SEND_SLEEP. */
  int (*send)(void *ctx, const Impwire__Envelope *env,
              const struct api_send_policy *pol);
  bool (*is_connected)(void *ctx);
  /* Start connecting. block false (RETURN_ON_ERROR): report the outcome
  ** with api_connection(), SERVER_CONNECTED or, after timeout_ms without
  ** a session, another reason; returns false. block true
  ** (SUSPEND_ON_ERROR): return once connected (true) or after timeout_ms
  ** (false: the caller deep-sleeps, API_SEND_SLEEP). */
  bool (*connect)(void *ctx, uint32_t timeout_ms, bool block);
  /* Optional. server.flush(): true once everything sent is acknowledged,
  ** false after timeout_ms (NULL: the host never holds data back). */
  bool (*flush)(void *ctx, uint32_t timeout_ms);
  /* Optional. Free bytes of a send buffer of `size` bytes while
  ** connected (tcpsendfree; NULL: always all of it). */
  uint32_t (*send_free)(void *ctx, uint32_t size);
  /* server.disconnect(): drop the session, power the interface off. */
  void (*disconnect)(void *ctx);
  /* Something observable happened (see enum api_event_kind). */
  void (*observe)(void *ctx, const struct api_event *ev);
  /* Deep sleep, reset, restart (see enum api_request_kind). */
  void (*request)(void *ctx, const struct api_request *req);
  /* User configuration (kept in flash, up to 4096 bytes). get copies it
  ** into buf (cap bytes) and returns its length, or -1 when none is
  ** stored; set stores n bytes (data NULL: clear) and returns false when
  ** the store failed. */
  int (*userconf_get)(void *ctx, uint8_t *buf, size_t cap);
  bool (*userconf_set)(void *ctx, const uint8_t *data, size_t n);
  /* Optional (NULL: no jig): send one jig message the API produces
  ** (hardware.bluetooth's radio, specs/jig.md "Bluetooth"). */
  void (*jig)(void *ctx, const Impjig__JigEnvelope *m);
  /* imp.clearconfiguration(): erase the settings the CONFIG_* bits of a
  ** checked action name (never the user configuration); false when the
  ** store failed. Optional: NULL keeps no settings to erase. */
  bool (*clear_configuration)(void *ctx, unsigned action);
  /* imp.setrescuepin(): record pin ("pin1"...; NULL: none) and the level
  ** it idles at; false when the store failed. Optional: NULL records
  ** nothing (a host without cold boots). */
  bool (*set_rescue_pin)(void *ctx, const char *pin, int level);
  /* imp.setproxy() [REG-010]: connect through the HTTP proxy at addr and
  ** port from the next connection on (user and password may be empty);
  ** false when the values are refused. Optional: NULL, imp.setproxy
  ** throws. */
  bool (*set_proxy)(void *ctx, const char *addr, uint16_t port,
                    const char *user, const char *password);
  /* Optional: the user area of the SPI flash (hardware.spiflash), `size`
  ** bytes that outlive the VM (erased: 0xff); NULL when the host has
  ** none (spiflash.enable() then throws). */
  uint8_t *(*spiflash)(void *ctx, uint32_t size);
  /* Optional: bytes [off, off + n) of that area changed; the host keeps
  ** them as flash keeps them (across power cycles and deep sleep, HW-033).
  ** False when they could not be stored. */
  bool (*spiflash_wrote)(void *ctx, uint32_t off, uint32_t n);
  /* Optional: the WiFi interface (NULL: none). */
  const struct api_wifi_ops *wifi;
};

/* A zombie PWM output that runs on while the VM is replaced (HW-013,
** HW-014): the host keeps it from one VM to the next. */
struct api_zombie {
  const char *pin;            /* board pin name (static storage) */
  float period_s, duty;
};
#define API_MAX_ZOMBIES 8

/* What the VM is started with. Strings must outlive the api. */
struct api_config {
  const char *board;          /* "imp001" ... "impC001" (api_board_known) */
  const char *os_version;     /* imp.getsoftwareversion() */
  const char *mac;            /* 12 lower-case hex digits */
  const char *device_id;      /* 16 lower-case hex digits */
  uint32_t wake_reason;       /* enum api_wake, hardware.wakereason() */
  const uint8_t *nv;          /* retained nv (packed impwire.Value) or NULL;
                                 copied by api_create */
  size_t nv_len;
  const Impwire__Value *configparams;  /* imp.configparams or NULL */
  uint64_t rtc_unix_ms;       /* RTC at boot (0: not set: time() is 0) */
  size_t mem_limit;           /* VM heap in bytes; 0: API_DEFAULT_MEM */
  uint64_t budget;            /* VM steps per callback; 0: API_DEFAULT_BUDGET */
  const struct api_zombie *zombies; /* zombie PWM still running, or NULL */
  size_t nzombies;
  bool no_ethernet, no_wifi;  /* imp005 without that interface (NET-026) */
};

#define API_DEFAULT_MEM (256u * 1024u)
#define API_DEFAULT_BUDGET 20000000u
#define API_USERCONF_MAX 4096u
#define API_NV_MAX 4000u

/* Outcome of api_start. */
enum api_start_status {
  API_STARTED,       /* main body ran (maybe with an uncaught error that
                        the api already handled) */
  API_SYNTAX_ERROR,  /* not compiled: api_lasterror() has
                        "chunk:line:column: message" */
  API_NO_MEMORY      /* the VM could not be created */
};

struct api;

/* Is this a board name the api knows? */
bool api_board_known(const char *board);
/* The space-separated list of board names, for messages. */
const char *api_board_list(void);

/* Create the VM with the bindings; NULL when out of memory. */
struct api *api_create(const struct api_host *host,
                       const struct api_config *cfg);
/* Compile and run the code's main body ("chunk" names it in messages). */
enum api_start_status api_start(struct api *a, const char *src, size_t n,
                                const char *chunk);
/* Text of the last syntax error. */
const char *api_lasterror(const struct api *a);
/* Run what is due at host time now (timers, pending callbacks, onidle).
** Returns the next deadline: <= now means call again at once,
** UINT64_MAX means only an outside event can make progress. */
uint64_t api_step(struct api *a, uint64_t now);
/* True when the VM was ended by a request (or never started). */
bool api_stopped(const struct api *a);
/* True when something could still happen: a timer, onidle, an agent.on
** handler, a pin callback, a connect callback or a shutdown handler. */
bool api_has_work(const struct api *a);
/* The error policy in force (server.setsendtimeoutpolicy). */
enum api_error_policy api_error_policy(const struct api *a);
/* True when an uncaught error occurred with no onunhandledexception. */
bool api_had_unhandled_error(const struct api *a);
/* An AgentMessage (to agent.on handlers) or Ack from the cloud. */
void api_frame(struct api *a, const Impwire__Envelope *env);
/* The cloud announced new Squirrel or a new OS: calls the onshutdown
** handler and returns true, or returns false when there is none (the
** host then applies the update at once). */
bool api_shutdown_notice(struct api *a, enum api_shutdown reason);
/* The host's session came up (reason API_SERVER_CONNECTED) or failed or
** dropped (another reason): connect callbacks, onunexpecteddisconnect. */
void api_connection(struct api *a, bool up, int reason);
/* A jig/stand-in drives an input pin to level (edge callbacks). False
** when the board has no such pin or it is an output (nothing done). */
bool api_pin_input(struct api *a, const char *pin, int level);
/* A Bluetooth message from the jig's peer (JigEnvelope cases 50-59);
** answered through host->jig. */
void api_bt_jig(struct api *a, const Impjig__JigEnvelope *m);
/* The jig's peripheral inputs (jig.md "Peripherals"). Each returns false
** (nothing done) when the board has no such bus or pin, or the value is
** out of range. */
bool api_uart_input(struct api *a, const char *uart, const uint8_t *data,
                    size_t n);
bool api_i2c_target(struct api *a, const char *bus, uint32_t address,
                    bool present, const uint8_t *regs, size_t n);
bool api_analog_input(struct api *a, const char *pin, uint32_t millivolts);
bool api_pdm_input(struct api *a, uint32_t clock_hz, const uint8_t *bits,
                   size_t n);
/* A train of `count` pulses on `pin`, rising edges period_us apart from
** device time at_ms on (jig.md "Pulse trains"); false when the pin or a
** value is not acceptable or the pin holds 8 trains still to end. */
bool api_pulse_input(struct api *a, const char *pin, uint32_t count,
                     uint32_t period_us, uint64_t at_ms);
/* The VM is about to be torn down (reload, restart, OS update): every
** configured pin is released (an API_EV_PIN_MODE with mode 0) except
** zombie PWM outputs, which are copied to out (up to cap) to hand to the
** next VM. Returns how many were copied. */
size_t api_release_pins(struct api *a, struct api_zombie *out, size_t cap);
/* [HW-019] The board goes into deep sleep: every pin but an armed wake pin
** (DIGITAL_IN_WAKEUP) is tri-stated now and reported so (mode 0), zombie
** PWM included (the sleep stops it); the wake pin keeps its mode. Call it
** before api_release_pins, which then has nothing left to report. */
void api_sleep_pins(struct api *a);
/* [WIFI-008] The asynchronous scan finished: its callback runs at the
** next api_step with an array of n tables. */
void api_wifi_scan_done(struct api *a, const struct api_wifi_net *nets,
                        size_t n);
void api_destroy(struct api *a);

#endif
