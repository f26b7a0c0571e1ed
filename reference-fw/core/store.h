/*
** store.h: refimp's persistent configuration on (simulated) flash.
** Owns the flash layout, the record format (CRC32 + sequence number, two
** copies A/B), crash-safe updates and credential erase. Knows nothing of
** the wire protocol or of Squirrel values. Flash is reached only through
** hal_flash_read/write/sync.
*/
#ifndef REFIMP_CORE_STORE_H
#define REFIMP_CORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rf.h"

/* ---- layout (docs/refimp.md, "Store layout") -----------------------------
** Every area is two slots, A then B; a slot is a 64-byte header and its
** payload. Areas marked reserved are not used yet but keep their place so
** that later work (user configuration, nv table) changes no offsets. */
#define STORE_FLASH_SIZE 0x100000u  /* 1 MiB */
#define STORE_HDR_SIZE 64u
#define STORE_CONFIG_OFF 0x000000u  /* config A, B: 4 KiB each */
#define STORE_CONFIG_SLOT 0x1000u
#define STORE_USERCONF_OFF 0x002000u /* user configuration A, B */
#define STORE_USERCONF_SLOT 0x2000u  /* 4 KiB data + header, rounded */
#define STORE_USERCONF_MAX 4096u     /* research imp-api 4.15 [STORE-007] */
#define STORE_NV_OFF 0x006000u       /* reserved: nv table A, B */
#define STORE_NV_SLOT 0x2000u
#define STORE_CODE_OFF 0x00a000u     /* code A, B */
#define STORE_CODE_SLOT (0x1000u + STORE_CODE_MAX)
#define STORE_CODE_MAX 0x40000u      /* 256 KiB of application code */
#define STORE_CODE_PAGE 4096u        /* code is written a page at a time
                                        (specs/wire.md "Code pages") */
#define STORE_CODE_PAGE 4096u        /* code is written a page at a time
                                        (specs/wire.md "Code pages") */
#define STORE_OS_OFF (STORE_CODE_OFF + 2 * STORE_CODE_SLOT) /* OS A, B */
#define STORE_OS_MAX 0x30000u        /* 192 KiB: version + image */
#define STORE_OS_SLOT (0x1000u + STORE_OS_MAX)
#define STORE_END (STORE_OS_OFF + 2 * STORE_OS_SLOT)
#define STORE_OS_VERSION_MAX 64

/* Record kinds (in each header). Never renumbered. */
enum store_kind {
  STORE_KIND_CONFIG = 1,
  STORE_KIND_CODE = 2,
  STORE_KIND_USERCONF = 3, /* imp.setuserconfiguration() data */
  STORE_KIND_NV = 4,       /* reserved */
  STORE_KIND_OS = 5        /* the last OS image downloaded */
};

#define STORE_SSID_MAX 32
#define STORE_PASSWORD_MAX 64
#define STORE_PLAN_MAX 128
#define STORE_TOKEN_MAX 128
#define STORE_HOST_MAX 253
#define STORE_HOSTS_MAX 8
#define STORE_PIN_NAME_MAX 15

/* What store_clear_configuration() erases (bits; the values of the
** CONFIG_* constants in specs/constants.md). */
#define STORE_CLEAR_WIFI 0x01u           /* ssid, password (and hints) */
#define STORE_CLEAR_STATIC_NETWORK 0x02u /* none stored by refimp */
#define STORE_CLEAR_PROXY 0x04u          /* none stored by refimp */
#define STORE_CLEAR_ALL 0xFFu            /* all above + plan ID, token */

/* The configuration record: factory identity, credentials, server list,
** boot count. Strings are NUL-terminated; "" means absent. */
struct store_config {
  char mac[13];        /* 12 lower-case hex digits */
  char device_id[17];  /* 16 lower-case hex digits */
  char ssid[STORE_SSID_MAX + 1];
  char password[STORE_PASSWORD_MAX + 1];
  char plan_id[STORE_PLAN_MAX + 1];
  char token[STORE_TOKEN_MAX + 1];
  bool activated;
  uint32_t boot_count;
  size_t nhosts;
  char hosts[STORE_HOSTS_MAX][STORE_HOST_MAX + 1];
  char os_version[STORE_OS_VERSION_MAX + 1]; /* installed OS; "": factory */
  /* [BOOT-020, BOOT-023] imp.setrescuepin(): the pin ("" none) and the
  ** level it idles at; held at the other level at power-on, it rescues */
  char rescue_pin[STORE_PIN_NAME_MAX + 1];
  uint8_t rescue_level;
  /* WiFi (core/wifi.c): connection hints and WPS, kept across boots */
  char hint_bssid[13];       /* 12 hex digits; "": no hints */
  uint32_t hint_channel;     /* 0: no hints */
  bool wps_armed;            /* imp.net.configurewps() awaits a join */
  char wps_pin[9];           /* "": push button */
};

/* Where the current copy of an area is. */
struct store_slot {
  int slot;       /* 0 = A, 1 = B, -1 = none valid */
  uint32_t seq;
  uint32_t len;
  unsigned unreadable; /* bit per slot that could not be read at open */
};

struct store {
  struct store_config cfg;   /* the current configuration */
  struct store_slot cfg_at;
  struct store_slot code_at;
  uint8_t code_hash[32];     /* valid when code_at.slot >= 0 */
  struct store_slot os_at;   /* the last OS image downloaded */
  uint8_t os_hash[32];       /* its SHA-256, valid when os_at.slot >= 0 */
  char os_image_version[STORE_OS_VERSION_MAX + 1]; /* its version */
  struct store_slot uc_at;   /* the user configuration record */
  int userconf_len;          /* -1: none stored (null) */
  uint8_t userconf[STORE_USERCONF_MAX];
  unsigned corrupt;          /* corrupt copies seen by store_open */
};

/*
** Read both copies of each area and keep the newest valid one. A copy that
** fails its check is counted in s->corrupt and named in note->msg (which
** is left empty otherwise); the other copy is used. Erased slots are not
** corruption. A read that fails is retried; a copy still unreadable counts
** as corrupt [STORE-027]. With no valid configuration, s->cfg is all empty
** (factory state). Returns RF_OK or RF_EIO (flash smaller than the layout).
*/
enum rf_status store_open(struct store *s, struct rf_diag *note,
                          struct rf_diag *d);

/*
** Replace the configuration with *c: written to the slot not holding the
** current copy, with the next sequence number, then synced. A power cut at
** any byte leaves the old or the new configuration. Returns RF_OK,
** RF_ENOSPC (c does not fit a slot), RF_EIO (s is unchanged).
*/
enum rf_status store_save_config(struct store *s,
                                 const struct store_config *c,
                                 struct rf_diag *d);

/* Erase ssid, password, plan ID, token and the activated flag; keep the
** factory identity, server list, boot count and code. Same returns as
** store_save_config. */
enum rf_status store_erase_credentials(struct store *s, struct rf_diag *d);

/*
** [STORE-019, STORE-020, STORE-023] imp.clearconfiguration(): erase what
** the STORE_CLEAR_* bits in `what` name, keep everything else (the user
** configuration, code, identity, server list, rescue pin). Same returns
** as store_save_config; RF_EINVAL for a `what` that is neither
** STORE_CLEAR_ALL nor a non-zero combination of the three named bits.
*/
enum rf_status store_clear_configuration(struct store *s, unsigned what,
                                         struct rf_diag *d);

/*
** [STORE-007, STORE-009, STORE-012] The user configuration: n bytes
** (n <= STORE_USERCONF_MAX; data NULL: none, as imp.setuserconfiguration
** (null)) replace what was stored, crash-safely as store_save_config
** does. s->userconf and s->userconf_len hold the current value. Returns
** RF_OK, RF_ENOSPC (too long), RF_EIO (s unchanged).
*/
enum rf_status store_save_userconf(struct store *s, const uint8_t *data,
                                   size_t n, struct rf_diag *d);

/* True if application code is stored. */
bool store_has_code(const struct store *s);

/* Length of the stored code (0 if none). */
uint32_t store_code_len(const struct store *s);

/*
** Store code (n <= STORE_CODE_MAX bytes) and its SHA-256 crash-safely, as
** store_save_config does. Returns RF_OK, RF_ENOSPC, RF_EIO.
*/
enum rf_status store_save_code(struct store *s, const uint8_t *code,
                               size_t n, const uint8_t hash[32],
                               struct rf_diag *d);

/* Copy the stored code into buf (cap bytes). RF_OK, RF_EINVAL (no code or
** cap too small), RF_EIO, RF_ECORRUPT (it changed on flash since open). */
enum rf_status store_read_code(const struct store *s, uint8_t *buf,
                               size_t cap, struct rf_diag *d);

/* The jig's "corrupted configuration page" (jig.md "Flash faults"):
** damage one byte of the current configuration copy (copies 1) or of
** every copy on flash (2), as a failing flash cell would. Slots that are
** erased are left alone. s is unchanged: the damage shows at the next
** store_open. Returns RF_OK or RF_EIO. */
enum rf_status store_damage_config(struct store *s, unsigned copies,
                                   struct rf_diag *d);

/*
** [OSUPD-001] Store a downloaded OS image (version 1..64 bytes, image
** with version <= STORE_OS_MAX bytes) and its SHA-256 into the OS slot
** that is not current, crash-safely as store_save_config does; it becomes
** the current image (installing it is the config's os_version). Returns
** RF_OK, RF_ENOSPC, RF_EINVAL (bad version), RF_EIO (a flash write failed:
** the current image is untouched and the next attempt starts afresh).
*/
enum rf_status store_save_os(struct store *s, const char *version,
                             const uint8_t *image, size_t n,
                             const uint8_t hash[32], struct rf_diag *d);

/* CRC-32 (IEEE 802.3), exposed for tests. */
uint32_t store_crc32(uint32_t crc, const void *p, size_t n);

#endif
