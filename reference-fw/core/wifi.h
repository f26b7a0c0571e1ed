/*
** wifi.h: refimp's simulated WiFi radio. Owns the networks in range (from
** the jig's WifiNetworks), joining (credentials, hints, WPS, DHCP),
** scans for the application and the radio's power save, and reports each
** step to the jig as a WifiEvent (specs/jig.md "WiFi"). Credentials,
** hints and WPS live in the store's configuration record.
** Without a jig list the radio is the one reachable default network of
** earlier editions: always joined, no events, nothing written to flash.
*/
#ifndef REFIMP_CORE_WIFI_H
#define REFIMP_CORE_WIFI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jig.h"
#include "core/store.h"

#define WIFI_MAX_NETWORKS 32
#define WIFI_DHCP_TIMEOUT_MS 10000u /* seeds/001: DHCP gives up after 10 s */
#define WIFI_SCAN_MS 500u           /* one scan of every channel */
#define WIFI_ASSOC_MS 100u          /* authentication and association */
#define WIFI_RETRY_MS 2000u         /* after a failed join */
#define WIFI_WPS_MS 1000u           /* a WPS exchange */
#define WIFI_COUNTERS_LEN 20u       /* imp.net.counters() blob */

/* Connection reasons (constants.md), as JOIN_FAILED.reason. */
#define WIFI_NO_WIFI 1
#define WIFI_NO_IP_ADDRESS 2

struct wifi_net {
  char ssid[STORE_SSID_MAX + 1];
  char bssid[13];
  uint32_t channel;
  bool open;
  char password[STORE_PASSWORD_MAX + 1];
  bool reachable;
  int32_t rssi;
  uint32_t dhcp_delay_ms;
  bool wps;
  char wps_pin[9];
};

enum wifi_phase {
  WIFI_IDLE,       /* not wanted (no session wanted, or powered down) */
  WIFI_NO_CONFIG,  /* wanted, but no WiFi settings: BlinkUp sensing */
  WIFI_WPS,        /* a WPS exchange until phase_at */
  WIFI_HINT_JOIN,  /* straight to the hinted AP until phase_at */
  WIFI_SCAN_JOIN,  /* scanning for the stored SSID until phase_at */
  WIFI_ASSOC,      /* associating with target until phase_at */
  WIFI_DHCP,       /* associated; DHCP answers (or gives up) at phase_at */
  WIFI_UP,         /* joined with an address */
  WIFI_RETRY       /* a join failed; next attempt at phase_at */
};

struct wifi {
  struct jig *jig;           /* events go here (may be down) */
  struct store *store;       /* credentials, hints, WPS */
  bool simulated;            /* the jig plays the surroundings */
  bool have_list;            /* a WifiNetworks arrived */
  struct wifi_net nets[WIFI_MAX_NETWORKS];
  size_t nnets;
  enum wifi_phase phase;
  uint64_t phase_at;
  bool wanted;               /* the last wifi_step's `wanted` */
  struct wifi_net target;    /* the AP being joined or joined */
  int last_error;            /* 0, WIFI_NO_WIFI or WIFI_NO_IP_ADDRESS */
  /* the application's asynchronous scan */
  bool scan_running;
  uint64_t scan_done_at;
  /* power save: what the application asks, what the radio does */
  bool ps_wanted, ps_on;
  /* simulated counters: frames and bytes sent, retries, errors */
  uint32_t txframe, txbyte, txretrans, txerror;
};

/*
** Start the radio. simulated: the jig will send the networks in range
** (the harness says so with IMPCERT_WIFI=jig): nothing is joined until
** its WifiNetworks arrives. Otherwise the default network of earlier
** editions is always joined.
*/
void wifi_init(struct wifi *w, struct jig *j, struct store *s,
               bool simulated);

/* [jig.md "WiFi"] The jig's WifiNetworks: replace the networks in range.
** A bad entry is dropped with a log line naming its index and field. A
** joined AP that is gone or unreachable takes the link down. */
void wifi_set_networks(struct wifi *w, const Impjig__WifiNetworks *m,
                       uint64_t now);

/* Check one network of a WifiNetworks; NULL when good, else why. */
const char *wifi_check_network(const Impjig__WifiNetwork *n);

/* Do what is due at now. wanted: the device wants a link (it connects,
** or is connected, to the cloud). Returns the next deadline (UINT64_MAX:
** none). */
uint64_t wifi_step(struct wifi *w, uint64_t now, bool wanted);

/* Start over (new credentials from BlinkUp): drop the link, join afresh
** at the next step. */
void wifi_restart(struct wifi *w, uint64_t now);

/* The link is up (always, without a jig list). */
bool wifi_up(const struct wifi *w);
/* [REG-042] No WiFi settings: no join is attempted, BlinkUp is sensed. */
bool wifi_needs_blinkup(const struct wifi *w);
/* The radio is on (counters exist): joined, or the default network
** while a link is wanted. */
bool wifi_radio_on(const struct wifi *w);
/* The SSID joined, or NULL when not joined. */
const char *wifi_joined_ssid(const struct wifi *w);
/* The channel joined, or 0. */
uint32_t wifi_joined_channel(const struct wifi *w);

/* [WIFI-007] The networks a scan sees now (at most cap into out). */
size_t wifi_scan_now(struct wifi *w, uint64_t now, struct wifi_net *out,
                     size_t cap);
/* [WIFI-008] Start an asynchronous scan; false if one runs already. */
bool wifi_scan_start(struct wifi *w, uint64_t now);
/* The asynchronous scan finished: true once, with its result. */
bool wifi_scan_take(struct wifi *w, uint64_t now, struct wifi_net *out,
                    size_t cap, size_t *n);

/* [WIFI-004] Store credentials for later joins (key "": open). RF_OK,
** RF_EINVAL (too long), RF_EIO. */
enum rf_status wifi_set_config(struct wifi *w, const char *ssid,
                               const char *key);
/* [WIFI-015..017] Hints: bssid "" and channel -1 when none. */
void wifi_get_hints(const struct wifi *w, char bssid[13], int *channel);
/* bssid NULL clears. RF_OK, RF_EINVAL (bad bssid or channel), RF_EIO. */
enum rf_status wifi_set_hints(struct wifi *w, const char *bssid,
                              int channel);
/* [WIFI-020] Arm WPS for the next joins (pin NULL or "": push button;
** else 8 decimal digits). RF_OK, RF_EINVAL, RF_EIO. */
enum rf_status wifi_configure_wps(struct wifi *w, const char *pin);
/* [WIFI-024, WIFI-025, REG-007] The application's power save. */
void wifi_set_powersave(struct wifi *w, bool on, uint64_t now);
/* [WIFI-026] The counters blob (WIFI_COUNTERS_LEN bytes): false while
** the radio is off. */
bool wifi_counters(const struct wifi *w, uint8_t out[WIFI_COUNTERS_LEN]);

/* True if bssid is 12 lower-case hex digits; channel 1-13 or 36-165. */
bool wifi_bssid_ok(const char *bssid);
bool wifi_channel_ok(int64_t channel);

#endif
