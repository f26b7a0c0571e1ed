/*
** boot.h: the boot state machine of seeds/003 and the cloud conversation
** of wire.md: the four states, BlinkUp, connecting port by port, steps 1-5
** and the messages that may come at any time. Owns the device's runtime
** state; flash is store.c's, frames are session.c's and jig.c's, running
** Squirrel is api/'s (through struct boot_hooks). Never reads a clock:
** every call gets "now" from the main loop.
*/
#ifndef REFIMP_CORE_BOOT_H
#define REFIMP_CORE_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jig.h"
#include "core/retained.h"
#include "core/rf.h"
#include "core/session.h"
#include "core/store.h"
#include "core/wifi.h"
#include "wire.pb-c.h"

#define BOOT_MAX_PORTS 8
#define BOOT_RETRY_MS 1000u  /* back-off after the last port (wire.md) */
/* seeds/003: after a cold boot, stored code runs once the cloud confirms
** it or this long after the device began to connect, whichever is first */
#define BOOT_CODE_WAIT_MS 10000u
/* How often the board looks again at a connection that would not take
** its waiting bytes (the cloud is not reading). */
#define BOOT_DRAIN_MS 10u

/* Wake reasons, hardware.wakereason() (research/imp-api.md 1.5). */
enum boot_wake {
  BOOT_WAKE_POWER_ON = 0,
  BOOT_WAKE_TIMER = 1,
  BOOT_WAKE_SW_RESET = 2,
  BOOT_WAKE_PIN = 3,
  BOOT_WAKE_NEW_SQUIRREL = 4,
  BOOT_WAKE_SQUIRREL_ERROR = 5,
  BOOT_WAKE_NEW_FIRMWARE = 6,
  BOOT_WAKE_SNOOZE = 7,
  BOOT_WAKE_HW_RESET = 8,
  BOOT_WAKE_BLINKUP = 9,
  BOOT_WAKE_SW_RESTART = 10,
  BOOT_WAKE_POWER_RESTORED = 11
};

/* The four states of seeds/003 (same numbers as impjig.BootState). */
enum boot_state {
  BOOT_UNACTIVATED = 0,
  BOOT_PENDING_ACTIVATION = 1,
  BOOT_ACTIVATED_NO_CODE = 2,
  BOOT_ACTIVATED_WITH_CODE = 3
};

/* Where the conversation is. */
enum boot_phase {
  BOOT_PHASE_WAIT_BLINKUP,    /* Unactivated: no session, BlinkUp awaited */
  BOOT_PHASE_CONNECT,         /* next port at connect_at */
  BOOT_PHASE_WAIT_ACTIVATION, /* step 1 sent */
  BOOT_PHASE_WAIT_ANSWER,     /* steps 2 and 3 sent */
  BOOT_PHASE_ONLINE,          /* step 5 done: application traffic */
  BOOT_PHASE_IDLE,            /* warm boot: code runs, no session until
                                 the application asks (boot_connect) */
  BOOT_PHASE_ASLEEP,          /* deep sleep requested: main ends the
                                 process (the board powers down) */
  BOOT_PHASE_REBOOT           /* an OS image is stored to be installed:
                                 main restarts the board, whose power-on
                                 installs it (OSUPD-001); or RESET_L was
                                 pulsed (hw_reset, WAKE-012) */
};

/* A pin the jig holds at a level when the power comes (jig.md "Pins"). */
struct boot_pin_level {
  const char *pin;           /* "pin1", "pinA" ... */
  int level;                 /* 0 or 1 */
};

/* What main() learnt from the command line. Strings are not copied: they
** must outlive the struct boot. */
struct boot_config {
  const char *server_name;   /* SNI and certificate name */
  const char *server_addr;   /* numeric address */
  uint16_t ports[BOOT_MAX_PORTS];
  size_t nports;
  const char *board;         /* "imp001" ... "impC001" */
  bool cellular;             /* the board reaches the cloud over cellular
                                (impC001): ports holds the stand-in for
                                52753 alone, and there is no WiFi radio */
  const char *os_version;
  const char *mac;           /* 12 hex digits, or NULL for the default */
  const char *const *jig_features; /* Hello.features (CAP-002) */
  size_t njig_features;
  const struct boot_pin_level *held_pins; /* at power-on; may be NULL */
  size_t nheld_pins;
  bool wifi_jig;             /* IMPCERT_WIFI=jig: the jig plays the WiFi
                                networks; no join before its list */
  bool no_ethernet, no_wifi; /* an imp005 built without that interface
                                (NET-026: --no-ethernet, --no-wifi) */
};

/* Hooks api/ installs to run the application; any member may be NULL. */
struct boot_hooks {
  void *ctx;
  /* Step 5: run this code (configparams may be NULL). */
  void (*code_start)(void *ctx, const uint8_t *code, size_t n,
                     const Impwire__Value *configparams);
  /* Tear the VM down (reload, BlinkUp, erase). */
  void (*code_stop)(void *ctx);
  /* AgentMessage or Ack from the cloud, once online. */
  void (*app_frame)(void *ctx, const Impwire__Envelope *env);
  /* A Reload (reason 1, SHUTDOWN_NEWSQUIRREL) or NewOs (2,
  ** SHUTDOWN_NEWFIRMWARE) arrived while the code runs: return true when
  ** the application's server.onshutdown handler took it (the VM goes on
  ** until server.restart()), false to act at once [POLITE-001..003]. */
  bool (*shutdown_notice)(void *ctx, uint32_t reason);
  /* A jig message boot.c does not handle (PinDrive...). */
  void (*jig_message)(void *ctx, const Impjig__JigEnvelope *m);
};

struct boot_led {
  Impjig__Led__Colour colour;
  bool flashing;
};

struct boot {
  struct boot_config cfg;
  struct boot_hooks hooks;
  struct store store;
  struct jig jig;
  struct session sess;
  struct wifi wifi;            /* the radio (core/wifi.c) */
  enum boot_phase phase;
  uint32_t wake_reason;        /* enum boot_wake */
  size_t server_ix;            /* server (of boot_server) being tried */
  size_t port_ix;              /* next port to try on it */
  uint64_t connect_at;
  bool backoff_pending;        /* a round just failed: back off from the
                                  next turn's now */
  bool round_failed;           /* every port failed since last success */
  bool reported;               /* state and LED were sent once */
  enum boot_state state_sent;
  struct boot_led led_sent;
  bool rtc_set;
  uint64_t rtc_unix_ms, rtc_at; /* RTC = rtc_unix_ms + (now - rtc_at) */
  uint8_t *configparams;       /* packed impwire.Value, or NULL */
  size_t configparams_len;
  /* the virtual clock: the last ClockSet/ClockAdvance not yet answered */
  bool clock_pending;
  uint64_t clock_goal;
  uint32_t clock_seq;
  /* the application */
  bool code_running;
  uint64_t code_wait_until;    /* the 10-second rule; UINT64_MAX: none */
  /* retained RAM: the nv table this boot found (warm boot), and the
  ** sleep being entered */
  struct retained ret;
  bool warm;                   /* this boot is a warm boot */
  bool hw_reset;               /* [WAKE-012] REBOOT for a RESET_L pulse:
                                  main restarts with HAL_WAKE_HW_RESET */
  bool fast_start;             /* [BOOT-020] this cold boot started the
                                  code at once, with no session */
  /* OS updates: cfg.os_version points at os_running */
  char os_running[STORE_OS_VERSION_MAX + 1];
  bool os_pending;             /* downloaded, deferred by the application's
                                  shutdown handler */
  uint32_t sessions_lost;      /* counts session_lost (a session that
                                  ended without being asked to) */
  /* what boot_pump read but left for the main loop (one of each) */
  Impwire__Envelope *held_frame;
  Impjig__JigEnvelope *held_jig;
  /* [REG-010] imp.setproxy(): the HTTP proxy connections go through (in
  ** RAM until a restart), and how the last connection attempt ended */
  bool use_proxy;
  struct hal_proxy proxy;      /* points into the three texts below */
  char proxy_addr[64], proxy_user[64], proxy_password[64];
  enum rf_status last_connect;
};

/*
** Power on: open the store, fix the factory identity at first boot, count
** the boot, connect the jig (Hello, BootState, Led), and choose the first
** phase. wake reason WAKEREASON_POWER_ON. hooks may be NULL.
** Returns RF_OK, or RF_EIO when the flash cannot be read or written
** (d says where).
*/
enum rf_status boot_init(struct boot *b, const struct boot_config *cfg,
                         const struct boot_hooks *hooks, uint64_t now,
                         struct rf_diag *d);

/*
** Do everything that is due at `now`. Returns the next deadline:
** <= now means call again at once, UINT64_MAX means only an event (frame,
** jig message) can make progress.
*/
uint64_t boot_step(struct boot *b, uint64_t now);

/* [BOOT-016, BOOT-017] The application asks for a session (server.connect
** or a send) after a warm boot: connect now; the conversation starts at
** step 2. Does nothing when a session exists or is being made. */
void boot_connect(struct boot *b, uint64_t now);

/* [WAKE-002, WAKE-005, WAKE-016, STORE-001, STORE-006] Deep sleep until
** device time wake_at (or the wake pin when wake_pin): the code is
** stopped, the session closed, RTC and nv (n bytes, packed impwire.Value,
** may be NULL) kept in retained RAM, the jig told (DeepSleep); the phase
** becomes ASLEEP and main ends the process. RF_OK, or RF_EIO when retained
** RAM could not be written (logged; the device then stays awake).
** snooze: the SUSPEND_ON_ERROR back-off, whose timer wake reports
** WAKEREASON_SNOOZE [WAKE-011]. */
enum rf_status boot_deep_sleep(struct boot *b, uint64_t now,
                               uint64_t wake_at, bool wake_pin, bool snooze,
                               const uint8_t *nv, size_t n);

/* The state of seeds/003 as the store says. */
enum boot_state boot_state_of(const struct boot *b);

/* Close the session and the jig, free memory. */
void boot_fini(struct boot *b);

/* ---- for the application layer (api/cloud.c) ----------------------------
** Never called from inside a hook: the caller has left the VM. */
/* Step 5 is done and the session is up. */
bool boot_online(const struct boot *b);
/* Send an application Envelope (Log, AgentMessage, Restart). RF_OK,
** RF_ECLOSED when not online, RF_EIO when the send failed (the session is
** then lost and reconnected as for any failure). */
enum rf_status boot_app_send(struct boot *b, const Impwire__Envelope *env,
                             uint64_t now);
/* Tear the VM down and go back to step 2 on this session with this wake
** reason (uncaught error, server.restart()) [BOOT-016, POLITE-007]. */
void boot_app_restart(struct boot *b, uint32_t wake_reason, uint64_t now);
/* An application envelope through the send buffer [SEND-013]: RF_OK
** (queued), RF_EAGAIN (no room: nothing queued, the session stays; strict:
** even into an empty buffer when larger than it; *need: its size),
** RF_ECLOSED (not online), RF_EIO (the session was lost: reconnecting),
** RF_EINVAL / RF_ENOMEM (this frame cannot be sent). */
enum rf_status boot_app_queue(struct boot *b, const Impwire__Envelope *env,
                              uint64_t now, bool strict, size_t *need);
/* Close the session for the application (a send error under
** RETURN_ON_ERROR, a connect timeout): no new one until it asks. */
void boot_app_drop(struct boot *b, const char *why);
/* The send buffer: its size, bytes waiting, free bytes (tcpsendfree). */
void boot_app_set_sendbuf(struct boot *b, size_t size);
size_t boot_app_unsent(const struct boot *b);
size_t boot_app_send_free(const struct boot *b);
/* Bytes the connection took that the cloud's TCP has not acknowledged. */
size_t boot_app_unacked(const struct boot *b);
/* While Squirrel is blocked in a send, connect, flush: keep the session
** going without touching the VM: connect port by port, steps 2-4 when the
** answer only confirms the running code, drain the send buffer, pass Acks
** on (hooks.app_frame), follow the jig's clock. Any other frame or jig
** message is held for the main loop (boot_pump_held then says so: the
** wait should end). Returns the next deadline as boot_step does. */
uint64_t boot_pump(struct boot *b, uint64_t now);
bool boot_pump_held(const struct boot *b);
/* server.disconnect(): close the session; no new one until the
** application asks (boot_connect), as after a warm boot [NET-012]. */
void boot_app_disconnect(struct boot *b, uint64_t now);
/* A cold start without a power cycle (imp.reset(), out of memory): the
** VM is torn down, the session closed, the boot starts again from
** connecting with this wake reason [HW-029]. */
void boot_app_reset(struct boot *b, uint32_t wake_reason, uint64_t now);
/* The wake reason of this boot as the board reports it (DeviceState,
** AppState, hardware.wakereason()) [WAKE-014]. */
uint32_t boot_wake_reason(const struct boot *b);
/* [STORE-019..023] imp.clearconfiguration(): erase what `what` (the
** STORE_CLEAR_* bits) names on flash now; the session goes on (STORE-021)
** but, once it ends, a device left without enrollment opens no other
** until a BlinkUp (STORE-022). RF_OK, RF_EINVAL (bad action), RF_EIO. */
enum rf_status boot_app_clear_configuration(struct boot *b, unsigned what,
                                            struct rf_diag *d);
/* [BOOT-020, BOOT-023] imp.setrescuepin(): record pin (NULL: none) and its
** idle level on flash; fast start applies from the next power-on.
** RF_OK, RF_EINVAL (name too long, level not 0/1), RF_EIO. */
enum rf_status boot_app_set_rescue_pin(struct boot *b, const char *pin,
                                       int level, struct rf_diag *d);
/* [REG-010] imp.setproxy(): connect through the HTTP proxy at addr
** (numeric) and port from the next connection on, with user and password
** (NULL or "": none); addr NULL: directly again (CONFIG_PROXY). Kept in
** RAM until the device restarts. RF_OK, RF_EINVAL (a text over 63 bytes,
** port 0). */
enum rf_status boot_app_set_proxy(struct boot *b, const char *addr,
                                  uint16_t port, const char *user,
                                  const char *password, struct rf_diag *d);
/* How the last connection attempt ended: RF_OK, RF_ENOPROXY,
** RF_EPROXYAUTH, ... (the reason server.connect reports). */
enum rf_status boot_last_connect(const struct boot *b);

#endif
