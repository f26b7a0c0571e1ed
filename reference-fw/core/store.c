/*
** store.c: records on flash with a CRC32 and a sequence number, two copies
** per area [STORE-025, BOOT-005, BOOT-012]. An update never touches the
** current copy: it writes the other slot, payload first and header last,
** so a power cut at any byte leaves either the old copy current or a
** complete new one.
*/
#include "core/store.h"

#include <string.h>

#include "hal/hal.h"

#define STORE_MAGIC 0x52465331u /* "RFS1" */

/* A decoded slot header (64 bytes on flash, big-endian):
**   0 magic, 4 kind, 8 seq, 12 payload length, 16 payload CRC32,
**   20..51 aux (the code's SHA-256; zero elsewhere), 52..59 zero,
**   60 CRC32 of bytes 0..59. */
struct hdr {
  uint32_t kind, seq, len, crc;
  uint8_t aux[32];
};

enum slot_verdict { SLOT_EMPTY, SLOT_VALID, SLOT_CORRUPT };

struct area {
  const char *name;
  uint32_t off;   /* slot A; B follows at off + size */
  uint32_t size;  /* header + largest payload */
  enum store_kind kind;
  uint32_t page;  /* the payload is written in pages of this size; 0: at
                     once */
};

static const struct area config_area = {"config", STORE_CONFIG_OFF,
                                        STORE_CONFIG_SLOT,
                                        STORE_KIND_CONFIG, 0};
static const struct area code_area = {"code", STORE_CODE_OFF,
                                      STORE_CODE_SLOT, STORE_KIND_CODE,
                                      STORE_CODE_PAGE};
static const struct area os_area = {"os", STORE_OS_OFF, STORE_OS_SLOT,
                                    STORE_KIND_OS, 0};
static const struct area userconf_area = {"user configuration",
                                          STORE_USERCONF_OFF,
                                          STORE_USERCONF_SLOT,
                                          STORE_KIND_USERCONF, 0};

/* ---- CRC-32 ---------------------------------------------------------- */

uint32_t store_crc32(uint32_t crc, const void *p, size_t n) {
  const uint8_t *b = p;
  crc = ~crc;
  for (size_t i = 0; i < n; i++) {
    crc ^= b[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* True if sequence number a is newer than b (wraps around). */
static bool seq_newer(uint32_t a, uint32_t b) {
  return (int32_t)(a - b) > 0;
}

static uint32_t slot_off(const struct area *a, int slot) {
  return a->off + (uint32_t)slot * a->size;
}

/* ---- reading slots -------------------------------------------------- */

/* A read that fails is tried again: a bad read on a flaky bus is
** transient (impOS 38.x: "more robust against bad SPI reads"). */
#define STORE_READ_TRIES 3

static enum hal_status flash_read(uint32_t off, void *buf, size_t n) {
  enum hal_status st = HAL_EIO;
  for (int i = 0; i < STORE_READ_TRIES && st != HAL_OK; i++)
    st = hal_flash_read(off, buf, n);
  return st;
}

/* CRC of len payload bytes of a slot, read in pieces. */
static enum rf_status payload_crc(uint32_t off, uint32_t len,
                                  uint32_t *crc) {
  uint8_t buf[1024];
  uint32_t c = 0;
  for (uint32_t done = 0; done < len;) {
    uint32_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
    if (flash_read(off + done, buf, n) != HAL_OK)
      return RF_EIO;
    c = store_crc32(c, buf, n);
    done += n;
  }
  *crc = c;
  return RF_OK;
}

static enum rf_status read_slot(const struct area *a, int slot,
                                enum slot_verdict *v, struct hdr *h,
                                struct rf_diag *d) {
  uint8_t raw[STORE_HDR_SIZE];
  uint32_t off = slot_off(a, slot);
  if (flash_read(off, raw, sizeof(raw)) != HAL_OK) {
    rf_diag_set(d, "store: %s slot %c: flash read failed at 0x%06x",
                a->name, 'A' + slot, off);
    return RF_EIO;
  }
  bool erased = true;
  for (size_t i = 0; i < sizeof(raw); i++)
    erased = erased && raw[i] == 0xff;
  if (erased) {
    *v = SLOT_EMPTY;
    return RF_OK;
  }
  *v = SLOT_CORRUPT;
  if (get32(raw) != STORE_MAGIC ||
      get32(raw + 60) != store_crc32(0, raw, 60))
    return RF_OK;
  h->kind = get32(raw + 4);
  h->seq = get32(raw + 8);
  h->len = get32(raw + 12);
  h->crc = get32(raw + 16);
  memcpy(h->aux, raw + 20, 32);
  if (h->kind != a->kind || h->len > a->size - STORE_HDR_SIZE)
    return RF_OK;
  uint32_t crc;
  if (payload_crc(off + STORE_HDR_SIZE, h->len, &crc) != RF_OK) {
    rf_diag_set(d, "store: %s slot %c: flash read failed", a->name,
                'A' + slot);
    return RF_EIO;
  }
  if (crc == h->crc)
    *v = SLOT_VALID;
  return RF_OK;
}

/* Find the newest valid copy of an area; count and name corrupt ones. */
static enum rf_status pick_slot(struct store *s, const struct area *a,
                                struct store_slot *at, struct hdr *cur,
                                struct rf_diag *note) {
  at->slot = -1;
  at->unreadable = 0;
  for (int slot = 0; slot < 2; slot++) {
    enum slot_verdict v;
    struct hdr h;
    struct rf_diag why = {""};
    if (read_slot(a, slot, &v, &h, &why) != RF_OK) {
      /* [STORE-027] still unreadable after the retries: treated as a
      ** bad copy, so the device boots with the settings absent */
      s->corrupt++;
      at->unreadable |= 1u << slot;
      rf_diag_set(note, "%s; ignored", why.msg);
      continue;
    }
    if (v == SLOT_CORRUPT) {
      s->corrupt++;
      rf_diag_set(note, "store: %s slot %c failed its check; ignored",
                  a->name, 'A' + slot);
    }
    if (v == SLOT_VALID && (at->slot < 0 || seq_newer(h.seq, at->seq))) {
      at->slot = slot;
      at->seq = h.seq;
      at->len = h.len;
      *cur = h;
    }
  }
  return RF_OK;
}

/* ---- the configuration record ------------------------------------------
** Payload: a list of tag (1 byte), length (2 bytes BE), value. Unknown
** tags are skipped, so later versions can add fields. */
enum cfg_tag {
  TAG_MAC = 1,
  TAG_DEVICE_ID = 2,
  TAG_SSID = 3,
  TAG_PASSWORD = 4,
  TAG_PLAN_ID = 5,
  TAG_TOKEN = 6,
  TAG_ACTIVATED = 7,
  TAG_BOOT_COUNT = 8,
  TAG_HOST = 9,
  TAG_OS_VERSION = 10,
  TAG_RESCUE_PIN = 11,  /* level (1 byte), then the pin's name */
  /* WiFi (core/wifi.c); 40-49 keep clear of the other areas' tags */
  TAG_HINT_BSSID = 40,
  TAG_HINT_CHANNEL = 41,
  TAG_WPS_ARMED = 42,
  TAG_WPS_PIN = 43
};

struct writer {
  uint8_t *p;
  size_t cap, len;
  bool overflow;
};

static void put_field(struct writer *w, enum cfg_tag tag, const void *v,
                      size_t n) {
  if (n > 0xffff || w->cap - w->len < 3 + n) {
    w->overflow = true;
    return;
  }
  w->p[w->len] = (uint8_t)tag;
  w->p[w->len + 1] = (uint8_t)(n >> 8);
  w->p[w->len + 2] = (uint8_t)n;
  memcpy(w->p + w->len + 3, v, n);
  w->len += 3 + n;
}

static void put_str(struct writer *w, enum cfg_tag tag, const char *s) {
  if (s[0])
    put_field(w, tag, s, strlen(s));
}

static void encode_config(const struct store_config *c, struct writer *w) {
  uint8_t count[4];
  put_str(w, TAG_MAC, c->mac);
  put_str(w, TAG_DEVICE_ID, c->device_id);
  put_str(w, TAG_SSID, c->ssid);
  put_str(w, TAG_PASSWORD, c->password);
  put_str(w, TAG_PLAN_ID, c->plan_id);
  put_str(w, TAG_TOKEN, c->token);
  if (c->activated)
    put_field(w, TAG_ACTIVATED, "\1", 1);
  put32(count, c->boot_count);
  put_field(w, TAG_BOOT_COUNT, count, 4);
  for (size_t i = 0; i < c->nhosts && i < STORE_HOSTS_MAX; i++)
    put_field(w, TAG_HOST, c->hosts[i], strlen(c->hosts[i]));
  put_str(w, TAG_OS_VERSION, c->os_version);
  if (c->rescue_pin[0]) {
    uint8_t v[1 + STORE_PIN_NAME_MAX];
    size_t n = strlen(c->rescue_pin);
    v[0] = c->rescue_level;
    memcpy(v + 1, c->rescue_pin, n);
    put_field(w, TAG_RESCUE_PIN, v, 1 + n);
  }
  put_str(w, TAG_HINT_BSSID, c->hint_bssid);
  if (c->hint_channel) {
    put32(count, c->hint_channel);
    put_field(w, TAG_HINT_CHANNEL, count, 4);
  }
  if (c->wps_armed)
    put_field(w, TAG_WPS_ARMED, "\1", 1);
  put_str(w, TAG_WPS_PIN, c->wps_pin);
}

/* Copy a string field; one too long for its buffer is dropped. */
static void get_str(char *dst, size_t cap, const uint8_t *v, size_t n) {
  if (n < cap && !memchr(v, '\0', n)) {
    memcpy(dst, v, n);
    dst[n] = '\0';
  }
}

static void decode_config(const uint8_t *p, size_t len,
                          struct store_config *c) {
  memset(c, 0, sizeof(*c));
  for (size_t i = 0; len - i >= 3;) {
    enum cfg_tag tag = p[i];
    size_t n = (size_t)p[i + 1] << 8 | p[i + 2];
    const uint8_t *v = p + i + 3;
    if (n > len - i - 3)
      break; /* cannot happen past a good CRC; stop rather than overrun */
    switch (tag) {
    case TAG_MAC: get_str(c->mac, sizeof(c->mac), v, n); break;
    case TAG_DEVICE_ID:
      get_str(c->device_id, sizeof(c->device_id), v, n);
      break;
    case TAG_SSID: get_str(c->ssid, sizeof(c->ssid), v, n); break;
    case TAG_PASSWORD:
      get_str(c->password, sizeof(c->password), v, n);
      break;
    case TAG_PLAN_ID: get_str(c->plan_id, sizeof(c->plan_id), v, n); break;
    case TAG_TOKEN: get_str(c->token, sizeof(c->token), v, n); break;
    case TAG_ACTIVATED: c->activated = n == 1 && v[0] == 1; break;
    case TAG_BOOT_COUNT:
      if (n == 4)
        c->boot_count = get32(v);
      break;
    case TAG_OS_VERSION:
      get_str(c->os_version, sizeof(c->os_version), v, n);
      break;
    case TAG_RESCUE_PIN:
      if (n >= 2 && v[0] <= 1) {
        get_str(c->rescue_pin, sizeof(c->rescue_pin), v + 1, n - 1);
        c->rescue_level = v[0];
      }
      break;
    case TAG_HINT_BSSID:
      get_str(c->hint_bssid, sizeof(c->hint_bssid), v, n);
      break;
    case TAG_HINT_CHANNEL:
      if (n == 4)
        c->hint_channel = get32(v);
      break;
    case TAG_WPS_ARMED: c->wps_armed = n == 1 && v[0] == 1; break;
    case TAG_WPS_PIN: get_str(c->wps_pin, sizeof(c->wps_pin), v, n); break;
    case TAG_HOST:
      if (c->nhosts < STORE_HOSTS_MAX) {
        get_str(c->hosts[c->nhosts], STORE_HOST_MAX + 1, v, n);
        if (c->hosts[c->nhosts][0])
          c->nhosts++;
      }
      break;
    }
    i += 3 + n;
  }
}

/* ---- writing slots -------------------------------------------------- */

enum rf_status store_damage_config(struct store *s, unsigned copies,
                                   struct rf_diag *d) {
  for (int slot = 0; slot < 2; slot++) {
    if (copies < 2 && slot != s->cfg_at.slot)
      continue;
    uint32_t off = slot_off(&config_area, slot);
    uint8_t hdr[12];
    if (flash_read(off, hdr, sizeof(hdr)) != HAL_OK) {
      rf_diag_set(d, "store: config slot %c: flash read failed", 'A' + slot);
      return RF_EIO;
    }
    if (get32(hdr) == 0xffffffffu)
      continue; /* erased: no copy here */
    /* flip the sequence number's low byte: the header CRC then fails */
    hdr[11] = (uint8_t)~hdr[11];
    if (hal_flash_write(off + 11, hdr + 11, 1) != HAL_OK) {
      rf_diag_set(d, "store: config slot %c: flash write failed", 'A' + slot);
      return RF_EIO;
    }
  }
  return hal_flash_sync() == HAL_OK ? RF_OK : RF_EIO;
}

/* Write payload then header into the slot that is not current. */
/* Write a slot's payload at off: at once, or page by page when the area
** has pages (code: page k is payload bytes k*page..k*page+page-1, the last
** one as long as what is left; REG-028: a payload that fills its last
** page exactly has no empty page after it). */
static enum hal_status write_payload(const struct area *a, uint32_t off,
                                     const uint8_t *payload, uint32_t len) {
  if (!a->page)
    return hal_flash_write(off, payload, len);
  for (uint32_t done = 0; done < len;) {
    uint32_t n = len - done < a->page ? len - done : a->page;
    enum hal_status st = hal_flash_write(off + done, payload + done, n);
    if (st != HAL_OK)
      return st;
    done += n;
  }
  return HAL_OK;
}

static enum rf_status write_slot(const struct area *a,
                                 const struct store_slot *cur,
                                 const uint8_t *payload, uint32_t len,
                                 const uint8_t aux[32],
                                 struct store_slot *out,
                                 struct rf_diag *d) {
  int slot = cur->slot == 0 ? 1 : 0;
  uint32_t seq = cur->slot < 0 ? 1 : cur->seq + 1;
  uint32_t off = slot_off(a, slot);
  uint8_t raw[STORE_HDR_SIZE];
  memset(raw, 0, sizeof(raw));
  put32(raw, STORE_MAGIC);
  put32(raw + 4, a->kind);
  put32(raw + 8, seq);
  put32(raw + 12, len);
  put32(raw + 16, store_crc32(0, payload, len));
  if (aux)
    memcpy(raw + 20, aux, 32);
  put32(raw + 60, store_crc32(0, raw, 60));
  if (write_payload(a, off + STORE_HDR_SIZE, payload, len) != HAL_OK ||
      hal_flash_sync() != HAL_OK ||
      hal_flash_write(off, raw, sizeof(raw)) != HAL_OK ||
      hal_flash_sync() != HAL_OK) {
    rf_diag_set(d, "store: %s slot %c: flash write failed at 0x%06x",
                a->name, 'A' + slot, off);
    return RF_EIO;
  }
  /* [STORE-027] the other copy could not be read at open, so its sequence
  ** number is unknown: wipe its magic so that it can never come back
  ** over this newer copy once reads work again */
  int other = 1 - slot;
  if (cur->unreadable & (1u << other)) {
    static const uint8_t zero[4] = {0, 0, 0, 0};
    (void)hal_flash_write(slot_off(a, other), zero, sizeof(zero));
    (void)hal_flash_sync();
  }
  out->unreadable = 0;
  out->slot = slot;
  out->seq = seq;
  out->len = len;
  return RF_OK;
}

/* ---- the user configuration ------------------------------------------
** Payload: one byte (1: data follows, 0: cleared by a null write), then
** the data. An area never written, or with no valid copy, is "none". */

static enum rf_status open_userconf(struct store *s, struct rf_diag *note) {
  struct hdr h;
  uint8_t buf[1 + STORE_USERCONF_MAX];
  s->userconf_len = -1;
  enum rf_status st = pick_slot(s, &userconf_area, &s->uc_at, &h, note);
  if (st != RF_OK || s->uc_at.slot < 0)
    return st;
  uint32_t off = slot_off(&userconf_area, s->uc_at.slot) + STORE_HDR_SIZE;
  if (s->uc_at.len < 1 || s->uc_at.len > sizeof(buf) ||
      flash_read(off, buf, s->uc_at.len) != HAL_OK) {
    /* [STORE-027] unreadable now: treated as absent, as the config is */
    rf_diag_set(note, "store: user configuration: flash read failed at "
                "0x%06x; ignored", off);
    s->corrupt++;
    s->uc_at.unreadable |= 1u << s->uc_at.slot;
    s->uc_at.slot = -1;
    return RF_OK;
  }
  if (buf[0] == 1) {
    s->userconf_len = (int)(s->uc_at.len - 1);
    memcpy(s->userconf, buf + 1, s->uc_at.len - 1);
  }
  return RF_OK;
}

enum rf_status store_save_userconf(struct store *s, const uint8_t *data,
                                   size_t n, struct rf_diag *d) {
  static uint8_t buf[1 + STORE_USERCONF_MAX];
  struct store_slot at;
  if (!data)
    n = 0;
  if (n > STORE_USERCONF_MAX) {
    rf_diag_set(d, "store: user configuration of %zu bytes exceeds %u", n,
                STORE_USERCONF_MAX);
    return RF_ENOSPC;
  }
  buf[0] = data ? 1 : 0;
  if (n)
    memcpy(buf + 1, data, n);
  enum rf_status st = write_slot(&userconf_area, &s->uc_at, buf,
                                 (uint32_t)(1 + n), NULL, &at, d);
  if (st != RF_OK)
    return st;
  s->uc_at = at;
  s->userconf_len = data ? (int)n : -1;
  if (n)
    memmove(s->userconf, data, n);
  return RF_OK;
}

/* ---- public ---------------------------------------------------------- */

enum rf_status store_open(struct store *s, struct rf_diag *note,
                          struct rf_diag *d) {
  struct hdr h;
  enum rf_status st;
  uint8_t buf[STORE_CONFIG_SLOT];
  memset(s, 0, sizeof(*s));
  s->userconf_len = -1;
  if (note)
    note->msg[0] = '\0';
  if (hal_flash_size() < STORE_END) {
    rf_diag_set(d, "store: flash of %u bytes is smaller than %u",
                hal_flash_size(), STORE_END);
    return RF_EIO;
  }
  if ((st = pick_slot(s, &config_area, &s->cfg_at, &h, note)) != RF_OK)
    return st;
  if (s->cfg_at.slot >= 0) {
    uint32_t off = slot_off(&config_area, s->cfg_at.slot) + STORE_HDR_SIZE;
    if (flash_read(off, buf, s->cfg_at.len) != HAL_OK) {
      /* [STORE-027] read fine a moment ago: now treated as absent */
      rf_diag_set(note, "store: config: flash read failed at 0x%06x; "
                  "ignored", off);
      s->corrupt++;
      s->cfg_at.unreadable |= 1u << s->cfg_at.slot;
      s->cfg_at.slot = -1;
    } else {
      decode_config(buf, s->cfg_at.len, &s->cfg);
    }
  }
  if ((st = open_userconf(s, note)) != RF_OK)
    return st;
  if ((st = pick_slot(s, &code_area, &s->code_at, &h, note)) != RF_OK)
    return st;
  if (s->code_at.slot >= 0)
    memcpy(s->code_hash, h.aux, 32);
  if ((st = pick_slot(s, &os_area, &s->os_at, &h, note)) != RF_OK)
    return st;
  if (s->os_at.slot >= 0) {
    /* payload: version length (1 byte), version, image */
    uint8_t v[1 + STORE_OS_VERSION_MAX];
    uint32_t off = slot_off(&os_area, s->os_at.slot) + STORE_HDR_SIZE;
    if (flash_read(off, v, sizeof(v)) != HAL_OK) {
      /* [STORE-027] as for the config: an unreadable image is absent */
      rf_diag_set(note, "store: os: flash read failed at 0x%06x; ignored",
                  off);
      s->corrupt++;
      s->os_at.unreadable |= 1u << s->os_at.slot;
      s->os_at.slot = -1;
      return RF_OK;
    }
    memcpy(s->os_hash, h.aux, 32);
    if (v[0] >= 1 && v[0] <= STORE_OS_VERSION_MAX && 1u + v[0] <= h.len)
      get_str(s->os_image_version, sizeof(s->os_image_version), v + 1, v[0]);
    if (!s->os_image_version[0])
      s->os_at.slot = -1; /* cannot happen past a good CRC */
  }
  return RF_OK;
}

enum rf_status store_save_config(struct store *s,
                                 const struct store_config *c,
                                 struct rf_diag *d) {
  uint8_t buf[STORE_CONFIG_SLOT - STORE_HDR_SIZE];
  struct writer w = {buf, sizeof(buf), 0, false};
  struct store_slot at;
  encode_config(c, &w);
  if (w.overflow) {
    rf_diag_set(d, "store: config record exceeds %zu bytes", sizeof(buf));
    return RF_ENOSPC;
  }
  enum rf_status st =
      write_slot(&config_area, &s->cfg_at, buf, (uint32_t)w.len, NULL, &at,
                 d);
  if (st != RF_OK)
    return st;
  s->cfg_at = at;
  if (&s->cfg != c)
    s->cfg = *c;
  return RF_OK;
}

enum rf_status store_erase_credentials(struct store *s, struct rf_diag *d) {
  struct store_config c = s->cfg;
  memset(c.ssid, 0, sizeof(c.ssid));
  memset(c.password, 0, sizeof(c.password));
  memset(c.plan_id, 0, sizeof(c.plan_id));
  memset(c.token, 0, sizeof(c.token));
  c.activated = false;
  return store_save_config(s, &c, d);
}

enum rf_status store_clear_configuration(struct store *s, unsigned what,
                                         struct rf_diag *d) {
  const unsigned named = STORE_CLEAR_WIFI | STORE_CLEAR_STATIC_NETWORK |
                         STORE_CLEAR_PROXY;
  if (what != STORE_CLEAR_ALL && (what == 0 || (what & ~named))) {
    rf_diag_set(d, "store: clear configuration: unknown action 0x%x", what);
    return RF_EINVAL;
  }
  struct store_config c = s->cfg;
  if (what & STORE_CLEAR_WIFI) {
    memset(c.ssid, 0, sizeof(c.ssid));
    memset(c.password, 0, sizeof(c.password));
    /* constants.md: CONFIG_WIFI clears the WiFi hints too */
    memset(c.hint_bssid, 0, sizeof(c.hint_bssid));
    c.hint_channel = 0;
  }
  /* refimp keeps no static IP or proxy settings: nothing to erase for
  ** STORE_CLEAR_STATIC_NETWORK and STORE_CLEAR_PROXY */
  if (what == STORE_CLEAR_ALL) {
    memset(c.plan_id, 0, sizeof(c.plan_id));
    memset(c.token, 0, sizeof(c.token));
    c.activated = false;
  }
  return store_save_config(s, &c, d);
}

bool store_has_code(const struct store *s) {
  return s->code_at.slot >= 0;
}

uint32_t store_code_len(const struct store *s) {
  return s->code_at.slot >= 0 ? s->code_at.len : 0;
}

enum rf_status store_save_code(struct store *s, const uint8_t *code,
                               size_t n, const uint8_t hash[32],
                               struct rf_diag *d) {
  struct store_slot at;
  if (n > STORE_CODE_MAX) {
    rf_diag_set(d, "store: code of %zu bytes exceeds %u", n,
                STORE_CODE_MAX);
    return RF_ENOSPC;
  }
  enum rf_status st =
      write_slot(&code_area, &s->code_at, code, (uint32_t)n, hash, &at, d);
  if (st != RF_OK)
    return st;
  s->code_at = at;
  memcpy(s->code_hash, hash, 32);
  return RF_OK;
}

enum rf_status store_save_os(struct store *s, const char *version,
                             const uint8_t *image, size_t n,
                             const uint8_t hash[32], struct rf_diag *d) {
  struct store_slot at;
  size_t vn = strlen(version);
  if (vn == 0 || vn > STORE_OS_VERSION_MAX) {
    rf_diag_set(d, "store: OS version of %zu bytes (1..%d)", vn,
                STORE_OS_VERSION_MAX);
    return RF_EINVAL;
  }
  if (n > STORE_OS_MAX - 1 - vn) {
    rf_diag_set(d, "store: OS image of %zu bytes exceeds %zu", n,
                (size_t)STORE_OS_MAX - 1 - vn);
    return RF_ENOSPC;
  }
  /* from the heap, not a static buffer: 192 KiB of static RAM would not
  ** fit the bare-metal core's budget (docs/cross.md) */
  uint8_t *buf = rf_malloc(1 + vn + n);
  if (!buf) {
    rf_diag_set(d, "store: no memory for an OS image of %zu bytes", n);
    return RF_ENOMEM;
  }
  buf[0] = (uint8_t)vn;
  memcpy(buf + 1, version, vn);
  memcpy(buf + 1 + vn, image, n);
  enum rf_status st = write_slot(&os_area, &s->os_at, buf,
                                 (uint32_t)(1 + vn + n), hash, &at, d);
  rf_free(buf);
  if (st != RF_OK)
    return st;
  s->os_at = at;
  memcpy(s->os_hash, hash, 32);
  memcpy(s->os_image_version, version, vn + 1);
  return RF_OK;
}

enum rf_status store_read_code(const struct store *s, uint8_t *buf,
                               size_t cap, struct rf_diag *d) {
  uint8_t raw[STORE_HDR_SIZE];
  if (s->code_at.slot < 0 || cap < s->code_at.len) {
    rf_diag_set(d, "store: no code, or %zu bytes too small for it", cap);
    return RF_EINVAL;
  }
  uint32_t off = slot_off(&code_area, s->code_at.slot);
  if (flash_read(off, raw, sizeof(raw)) != HAL_OK ||
      flash_read(off + STORE_HDR_SIZE, buf, s->code_at.len) != HAL_OK) {
    rf_diag_set(d, "store: code: flash read failed at 0x%06x", off);
    return RF_EIO;
  }
  if (get32(raw + 8) != s->code_at.seq ||
      get32(raw + 16) != store_crc32(0, buf, s->code_at.len)) {
    rf_diag_set(d, "store: code slot %c changed or decayed since boot",
                'A' + s->code_at.slot);
    return RF_ECORRUPT;
  }
  return RF_OK;
}
