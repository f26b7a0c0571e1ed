/*
** impcert.h: the plugin SDK, the only interface a conformance test sees.
** A plugin is a shared object with one entry point, impcert_plugin_entry(),
** returning its table of cases; each case gets a fixture (impcert_fx) that
** drives the DUT, plays the impCloud and the jig, and records checks.
*/
#ifndef IMPCERT_IMPCERT_H
#define IMPCERT_IMPCERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <impcert/constants.h>
#include <impcert/jig.pb-c.h>
#include <impcert/wire.pb-c.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct below or a function's meaning changes. The
** runner refuses a plugin built against another version. */
#define IMPCERT_ABI_VERSION 1

#define IMPCERT_EXPORT __attribute__((visibility("default")))
#define IMPCERT_NORETURN __attribute__((noreturn))

/* The five verdicts (specs/junit.md says how each is written). */
enum impcert_verdict {
  IMPCERT_PASS = 0,
  IMPCERT_FAIL = 1,         /* the DUT broke a requirement */
  IMPCERT_SKIP = 2,         /* a capability the test needs is missing */
  IMPCERT_ERROR = 3,        /* the DUT or the harness broke */
  IMPCERT_INCONCLUSIVE = 4  /* the test could not decide */
};

typedef struct impcert_fx impcert_fx;

/* One test case. Strings are comma-separated lists where plural. */
struct impcert_case {
  const char *id;        /* unique in the suite, e.g. "BOOT-001" */
  const char *title;     /* one line saying what is checked */
  const char *reqs;      /* requirement IDs from specs/requirements.md */
  const char *tags;      /* free selection tags, e.g. "boot,smoke" */
  const char *needs;     /* capabilities (specs/capabilities.md); "" none;
                            "!cap": only for devices without cap */
  unsigned timeout_ms;   /* 0: the DUT profile's per-test limit */
  void (*run)(impcert_fx *fx);
};

struct impcert_plugin {
  unsigned abi;                     /* IMPCERT_ABI_VERSION when built */
  const char *name;                 /* the suite name, e.g. "boot" */
  const struct impcert_case *cases;
  size_t ncases;
};

/* Define the entry point of a plugin from a static array of cases. */
#define IMPCERT_PLUGIN(name_, cases_)                                      \
  IMPCERT_EXPORT const struct impcert_plugin *impcert_plugin_entry(void);  \
  const struct impcert_plugin *impcert_plugin_entry(void) {                \
    static const struct impcert_plugin p = {                               \
        IMPCERT_ABI_VERSION, name_, cases_,                                \
        sizeof(cases_) / sizeof((cases_)[0])};                             \
    return &p;                                                             \
  }

/* ---- the device under test ------------------------------------------- */

/* Start the DUT (power on) with its flash as the last power-off left it;
** the first start of a test has a fresh, empty flash folder.
** Returns 0, or -1 if the process could not be started (the test then
** ends with verdict error). */
IMPCERT_EXPORT int impcert_dut_power_on(impcert_fx *fx);

/* Cut the DUT's power: the process is killed at once (no clean shutdown).
** Connections it opened that the cloud has not accepted yet are dropped. */
IMPCERT_EXPORT void impcert_dut_power_off(impcert_fx *fx);

/* True while the DUT's process is alive. */
IMPCERT_EXPORT bool impcert_dut_running(impcert_fx *fx);

/* True if the DUT profile declares capability `cap` (specs/capabilities.md).
** For tests of what a device without a feature must not show (NET-026: no
** interface the board's design leaves out); `needs` covers the rest. */
IMPCERT_EXPORT bool impcert_dut_declares(impcert_fx *fx, const char *cap);

/* ---- an HTTP proxy (REG-010; specs/wire.md "Through an HTTP proxy") ---- */

/* Start the test's HTTP CONNECT proxy on 127.0.0.1 and return its port.
** It tunnels CONNECT cloud.impcert.test:P (P one of the test's cloud
** ports) to the cloud; with user non-NULL the request must carry
** Proxy-Authorization: Basic base64(user:password), else it answers 407.
** A malformed request gets 400, another host or port 502. Stopped at the
** end of the test. Ends the test with verdict error if it cannot start. */
IMPCERT_EXPORT int impcert_proxy_start(impcert_fx *fx, const char *user,
                                       const char *password);

/* How many requests the proxy answered so far; *status (may be NULL) gets
** the last answer's status (0: none yet) and line (cap bytes) its request
** line. 0 without a proxy. */
IMPCERT_EXPORT unsigned impcert_proxy_last(impcert_fx *fx, int *status,
                                           char *line, size_t cap);

/* The profile's code_page_bytes: the unit in which the DUT stores the code
** the cloud deploys (specs/wire.md "Code pages", REG-028); 0 when the
** profile declares none. */
IMPCERT_EXPORT unsigned impcert_dut_code_page_bytes(impcert_fx *fx);

/* True while the DUT is in deep sleep: it sent the jig DeepSleep and its
** process ended (specs/jig.md "Deep sleep"). The harness starts it again
** as the wake: the timer (device time passing, or impcert_clock_advance
** past the wake time) or impcert_dut_wake_pin. */
IMPCERT_EXPORT bool impcert_dut_asleep(impcert_fx *fx);

/* Drive the wake pin high: a DUT asleep with the pin armed wakes with
** WAKEREASON_PIN, and the jig holds the pin high until a PinDrive (HW-018).
** Right after the DeepSleep message it waits (up to 2 s) for the DUT's
** process to end. Returns 0, or -1 (noted) if it is not asleep or did not
** arm the pin. */
IMPCERT_EXPORT int impcert_dut_wake_pin(impcert_fx *fx);

/* ---- flash faults (needs capability "jig-flash-faults", jig.md) ---------- */

/* Send FlashFault and wait (2 s) for the DUT's FlashStatus: cut_after_bytes
** >= 0 arms a power cut after that many more flash bytes (-1: none);
** corrupt_config 1 damages the current configuration copy, 2 every copy
** (0: none). *bytes_written (may be NULL) gets the DUT's count of flash
** bytes written since power-on, as it was before the faults. Returns 0;
** ends the test with verdict error if the DUT does not answer. */
IMPCERT_EXPORT int impcert_jig_flash_fault(impcert_fx *fx,
                                           long long cut_after_bytes,
                                           unsigned corrupt_config,
                                           uint64_t *bytes_written);

/* Wait up to timeout_ms for the DUT to lose power at an armed flash cut
** (its process ends by itself). True if it did: the DUT is then off, as
** after impcert_dut_power_off. False if it is still running. */
IMPCERT_EXPORT bool impcert_dut_wait_power_cut(impcert_fx *fx,
                                               unsigned timeout_ms);

/* From the next power-on on, the DUT's first n flash reads fail (a bad
** read on the flash bus; given to the DUT as IMPCERT_FLASH_READ_ERRORS).
** 0 turns it off. */
IMPCERT_EXPORT void impcert_dut_flash_read_errors(impcert_fx *fx,
                                                  unsigned n);

/* ---- the jig (needs capability "jig") ----------------------------------- */

/* Deliver a BlinkUp to the DUT's light sensor. ssid/password may be NULL.
** Waits up to timeout_ms for the DUT to connect to the jig first.
** Returns 0, or ends the test with verdict error if the jig is absent. */
IMPCERT_EXPORT int impcert_jig_blinkup(impcert_fx *fx, const char *ssid,
                                       const char *password,
                                       const char *plan_id,
                                       const char *token);

/* Drive input pin `pin` ("pin1", "pinA") to level 0 or 1 (PinDrive,
** jig.md "Pins"; capability "jig-pins"). Returns 0, or ends the test with
** verdict error if the jig is absent. */
IMPCERT_EXPORT int impcert_jig_drive_pin(impcert_fx *fx, const char *pin,
                                         int level);

/* From the next power-on (or wake) on, the jig holds input pin `pin` at
** `level` (0 or 1) while the power comes, as a bench jig holds the rescue
** pin (jig.md "Pins": given to the DUT as IMPCERT_PIN_LEVELS; capability
** "jig-pins"); level -1 lets it go. At most 8 pins. Returns 0; ends the
** test with verdict error on a bad name or level. */
IMPCERT_EXPORT int impcert_jig_hold_pin(impcert_fx *fx, const char *pin,
                                        int level);

/* Pulse the DUT's RESET_L line (ResetPulse, jig.md "Reset line";
** capability "jig-reset"): a board that has the line (imp003 and later)
** restarts at once as a cold boot with WAKEREASON_HW_RESET; an imp001 or
** imp002 ignores it. Returns 0, or -1 (noted) if the DUT is asleep or off
** (edition 1 pulses only a running DUT); ends the test with verdict error
** if the jig is absent. */
IMPCERT_EXPORT int impcert_jig_reset_pulse(impcert_fx *fx);

/* Send any jig message to the DUT as it is (the peripheral messages of
** jig.md "Peripherals": UartRx, I2cTarget, AnalogDrive, PdmStream; the
** capability each needs is the test's business). Returns 0, or ends the
** test with verdict error if the jig is absent. */
IMPCERT_EXPORT int impcert_jig_send(impcert_fx *fx,
                                    const Impjig__JigEnvelope *msg);

/* Wait up to timeout_ms for the next jig message of `kind` from the DUT
** (IMPJIG__JIG_ENVELOPE__MSG__NOT_SET: of any kind, to follow several in
** their order); messages of other kinds are recorded and skipped. Returns
** the message
** (owned by the fixture, valid until the test ends) or NULL. */
IMPCERT_EXPORT const Impjig__JigEnvelope *
impcert_jig_next(impcert_fx *fx, Impjig__JigEnvelope__MsgCase kind,
                 unsigned timeout_ms);

/* Write raw bytes to the DUT on the jig connection as they are (bad-frame
** tests, WIRE-019); waits for the DUT to connect first. Returns 0, or -1
** if the write failed (the connection is then dropped). */
IMPCERT_EXPORT int impcert_jig_send_raw(impcert_fx *fx, const void *data,
                                        size_t n);

/* True if the DUT closes the jig connection that impcert_jig_send_raw last
** wrote to (else the current one) within timeout_ms, or it is closed
** already; a later connection of the DUT does not count as that one. */
IMPCERT_EXPORT bool impcert_jig_wait_closed(impcert_fx *fx,
                                            unsigned timeout_ms);

/* Wait up to timeout_ms until the DUT reports boot state `state`
** (IMPJIG__BOOT_STATE__STATE__*). True if it did; the last state seen so
** far counts. */
IMPCERT_EXPORT bool impcert_jig_wait_state(impcert_fx *fx, int state,
                                           unsigned timeout_ms);

/* Wait up to timeout_ms until the LED the DUT last reported has `colour`
** (IMPJIG__LED__COLOUR__*) and `flashing`. True if it does. */
IMPCERT_EXPORT bool impcert_jig_wait_led(impcert_fx *fx, int colour,
                                         bool flashing, unsigned timeout_ms);

/* The last LED state the DUT reported, or NULL if none yet. */
IMPCERT_EXPORT const Impjig__Led *impcert_jig_led(impcert_fx *fx);

/* The Bluetooth LE peer the jig plays: <impcert/bluetooth.h>. */
/* ---- WiFi surroundings (needs capability "jig-wifi", jig.md "WiFi") ------ */

/* One access point in range. Zero values are the defaults. */
struct impcert_wifi_net {
  const char *ssid;         /* 0..32 bytes (more is sent as it is) */
  const char *bssid;        /* 12 lower-case hex digits */
  unsigned channel;         /* 1..13 or 36..165 */
  bool open;                /* no security; false: WPA2 */
  const char *password;     /* the WPA2 key; NULL: any key joins */
  bool unreachable;         /* seen in scans, association fails */
  int rssi;                 /* dBm; 0: -50 */
  unsigned dhcp_delay_ms;   /* DHCP answers after this (10000+: too late) */
  bool wps;                 /* WPS enrolment open */
  const char *wps_pin;      /* NULL: push button; else the 8-digit PIN */
};

/* Replace the networks in range with these n (n <= 64): sent now if the
** DUT is on the jig, and at every later power-on or wake, which also
** starts the DUT with IMPCERT_WIFI=jig (no join before the list). Before
** the first call the DUT sees its own default network. Returns 0; ends
** the test with verdict error without a jig. */
IMPCERT_EXPORT int impcert_jig_wifi_networks(
    impcert_fx *fx, const struct impcert_wifi_net *nets, size_t n);

/* Wait up to timeout_ms for the next WifiEvent of `kind`
** (IMPJIG__WIFI_EVENT__KIND__*; -1: any kind). Jig messages passed over
** meanwhile, of any type, are skipped as impcert_jig_next() does.
** Returns the event (owned by the fixture) or NULL. */
IMPCERT_EXPORT const Impjig__WifiEvent *
impcert_jig_wifi_event(impcert_fx *fx, int kind, unsigned timeout_ms);

/* ---- device time (needs capability "virtual-clock") -------------------- */

/* Under a profile with time = virtual, device time moves only as the
** harness says (specs/jig.md, "Device time"). Until a test first calls
** impcert_clock_advance it follows real time; from then on it stands
** still between calls. */

/* Move device time on by ms and wait (up to 5 s real time) until the DUT
** confirms it has reached it (ClockDone). The DUT acts on what falls due
** at the new time right after confirming, so observe the effects with
** the usual waits. With the DUT off, only the harness's time moves (the
** next power-on starts there). A DUT that goes to deep sleep before it
** reaches the new time (DeepSleep) ends the advance there: its wake timer
** then counts from the new time. Returns 0; ends the test with verdict
** error if the profile has no virtual clock or the DUT does not answer. */
IMPCERT_EXPORT int impcert_clock_advance(impcert_fx *fx, uint64_t ms);

/* Let ms of device time pass. On a profile with the virtual clock this is
** impcert_clock_advance (no real time passes; from then on device time
** stands still between calls, so every later device-time wait must be
** one of these too); on any other DUT a real wait, serving the cloud and
** the jig meanwhile. For a wait that stands for device time (a timeout,
** a timer, a back-off, "nothing happens for 2 s"), so a test runs at full
** speed on a virtual clock and unchanged on a real one. Returns 0. */
IMPCERT_EXPORT int impcert_device_wait(impcert_fx *fx, uint64_t ms);

/* True when the profile runs the DUT on the virtual clock (time =
** virtual): impcert_device_wait then moves device time, and from its
** first call device time stands still between calls. For a test that
** must step device time through phases a real-time DUT just lives
** through (a join followed by a connection attempt). */
IMPCERT_EXPORT bool impcert_clock_virtual(impcert_fx *fx);

/* Device time as the harness last gave it (ms; 0 at the test's start). */
IMPCERT_EXPORT uint64_t impcert_clock_now(impcert_fx *fx);

/* ---- the impCloud ------------------------------------------------------- */

/* Which certificate the fake impCloud presents to the next connection. */
enum impcert_cert {
  IMPCERT_CERT_GOOD = 0,    /* signed by the CA the DUT was given */
  IMPCERT_CERT_ROGUE = 1,   /* right name, signed by a CA the DUT never saw */
  IMPCERT_CERT_WRONG_NAME = 2, /* right CA, a host name other than the DUT's */
  IMPCERT_CERT_OLD_TLS = 3  /* the good certificate, but the server offers
                               only TLS 1.1 (a device must refuse it) */
};
IMPCERT_EXPORT void impcert_cloud_use_cert(impcert_fx *fx,
                                           enum impcert_cert which);

/* How a wait for a device session ended. */
enum impcert_session {
  IMPCERT_SESSION_OK = 0,         /* TCP accepted and TLS handshake done */
  IMPCERT_SESSION_TIMEOUT = 1,    /* no connection in time */
  IMPCERT_SESSION_REFUSED = 2     /* the device connected, then broke off
                                     the handshake (e.g. refused our cert) */
};

/* Wait up to timeout_ms for the DUT to open a session with the cloud.
** A previous session, if any, is closed first. */
IMPCERT_EXPORT enum impcert_session impcert_cloud_accept(impcert_fx *fx,
                                                         unsigned timeout_ms);

/* The cloud's port indexes: 0, 1, 2 stand for 31314, 993, 443 (the WiFi
** and Ethernet ports, in order); IMPCERT_PORT_CELLULAR for 52753 exists
** only on a profile with `network = cellular` (docs/profiles.md), where
** the other three stay open as decoys. */
#define IMPCERT_PORT_CELLULAR 3

/* Stop listening on cloud port `index` (0, 1, 2: standing for 31314, 993,
** 443; IMPCERT_PORT_CELLULAR), so the device's TCP connects there are
** refused. */
IMPCERT_EXPORT void impcert_cloud_close_port(impcert_fx *fx, int index);

/* Listen again on cloud port `index` after impcert_cloud_close_port (the
** same port number). Returns 0, or -1 (noted) if it cannot. */
IMPCERT_EXPORT int impcert_cloud_open_port(impcert_fx *fx, int index);

/* The index (0, 1, 2, IMPCERT_PORT_CELLULAR) of the port the current
** session came in on, or -1. */
IMPCERT_EXPORT int impcert_cloud_session_port(impcert_fx *fx);

/* True if the profile says `network = cellular`: the device dials
** IMPCERT_PORT_CELLULAR alone, one port per server, where a WiFi or
** Ethernet device dials ports 0, 1, 2 in turn. */
IMPCERT_EXPORT bool impcert_dut_cellular(impcert_fx *fx);

/* [NET-002] How many TCP connections the device has made to port `index`
** in this test: those the cloud accepted, and those still waiting in the
** port's listen queue (counted now, then closed unanswered). -1 if the
** profile has no such port (IMPCERT_PORT_CELLULAR without `network =
** cellular`). */
IMPCERT_EXPORT int impcert_cloud_port_dials(impcert_fx *fx, int index);

/* paused true: the cloud stops reading the session (what the device sends
** piles up in the connection, as with a stalled server); false: it reads
** again. Waiting calls go on serving the jig meanwhile. */
IMPCERT_EXPORT void impcert_cloud_pause(impcert_fx *fx, bool paused);

/* True if the current session's TLS handshake resumed an earlier session
** (the device offered a session or ticket the cloud had issued). */
IMPCERT_EXPORT bool impcert_cloud_session_resumed(impcert_fx *fx);

/* The server name (SNI) the device sent in the current session, or NULL. */
IMPCERT_EXPORT const char *impcert_cloud_sni(impcert_fx *fx);

/* Close the current session from the cloud's side. */
IMPCERT_EXPORT void impcert_cloud_close(impcert_fx *fx);

/* Read frames from the device until one of `kind` arrives, skipping Log
** frames (they are kept in the transcript). Any other frame first, the
** session closing, or no frame within timeout_ms ends the test with
** verdict fail naming the caller's file:line. Returns the message, owned
** by the fixture until the test ends. Use the impcert_expect() macro. */
IMPCERT_EXPORT const Impwire__Envelope *
impcert_expect_at(impcert_fx *fx, Impwire__Envelope__MsgCase kind,
                  unsigned timeout_ms, const char *file, int line);
#define impcert_expect(fx, kind, timeout_ms) \
  impcert_expect_at((fx), (kind), (timeout_ms), __FILE__, __LINE__)

/* The next frame of any kind (Log included), or NULL if the session
** closed or nothing came within timeout_ms. Never ends the test. */
IMPCERT_EXPORT const Impwire__Envelope *impcert_next_frame(impcert_fx *fx,
                                                           unsigned timeout_ms);

/* True if the device closes the session (or it is already closed)
** within timeout_ms; frames that arrive meanwhile are recorded. */
IMPCERT_EXPORT bool impcert_cloud_wait_closed(impcert_fx *fx,
                                              unsigned timeout_ms);

/* Send one message to the device. Returns 0, or -1 if the session is
** gone (recorded in the transcript). */
IMPCERT_EXPORT int impcert_send(impcert_fx *fx, const Impwire__Envelope *msg);

/* Send raw bytes on the session as they are (malformed-frame tests).
** Returns 0, or -1 if the session is gone. */
IMPCERT_EXPORT int impcert_send_raw(impcert_fx *fx, const void *data,
                                    size_t n);

/* Conveniences for the cloud's side of the boot conversation. */
IMPCERT_EXPORT int impcert_send_activation_result(impcert_fx *fx,
                                                  bool activated);
/* Step 4: match=false with code sends the code and its SHA-256;
** erase asks the device to erase its credentials. */
IMPCERT_EXPORT int impcert_send_answer(impcert_fx *fx, bool match,
                                       const char *code, bool erase);
IMPCERT_EXPORT int impcert_send_reload(impcert_fx *fx);

/* ---- checks and verdicts -------------------------------------------- */

/* Record a check. A false condition makes the verdict fail (at least) and
** records "file:line: text"; the test goes on. Returns cond. */
IMPCERT_EXPORT bool impcert_check_at(impcert_fx *fx, bool cond,
                                     const char *file, int line,
                                     const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* End the test now with a verdict and a reason (never returns). */
IMPCERT_EXPORT IMPCERT_NORETURN void
impcert_end_at(impcert_fx *fx, enum impcert_verdict v, const char *file,
               int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define IMPCERT_CHECK(fx, cond) \
  impcert_check_at((fx), (cond), __FILE__, __LINE__, "%s", #cond)
#define IMPCERT_CHECK_MSG(fx, cond, ...) \
  impcert_check_at((fx), (cond), __FILE__, __LINE__, __VA_ARGS__)
/* A failed requirement ends the test with verdict fail. */
#define IMPCERT_REQUIRE(fx, cond)                                        \
  do {                                                                   \
    if (!(cond))                                                         \
      impcert_end_at((fx), IMPCERT_FAIL, __FILE__, __LINE__, "%s", #cond); \
  } while (0)
#define IMPCERT_FAIL_NOW(fx, ...) \
  impcert_end_at((fx), IMPCERT_FAIL, __FILE__, __LINE__, __VA_ARGS__)
#define IMPCERT_ERROR_NOW(fx, ...) \
  impcert_end_at((fx), IMPCERT_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define IMPCERT_INCONCLUSIVE_NOW(fx, ...) \
  impcert_end_at((fx), IMPCERT_INCONCLUSIVE, __FILE__, __LINE__, __VA_ARGS__)

/* Add a line to the test's transcript (JUnit system-out). */
IMPCERT_EXPORT void impcert_note(impcert_fx *fx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- utilities ---------------------------------------------------------- */

/* SHA-256 of n bytes into out. */
IMPCERT_EXPORT void impcert_sha256(const void *data, size_t n,
                                   uint8_t out[32]);

#ifdef __cplusplus
}
#endif

#include <impcert/bluetooth.h>
#endif
