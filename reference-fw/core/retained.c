/*
** retained.c: the retained-RAM record: "RFR1", rtc_set (1), rtc_unix_ms,
** slept_at, wake_at (8 each, big-endian), flags (1: bit 0 wake_pin, bit 1
** snooze), nv_len (4), nv, CRC-32 of everything before it (4).
*/
#include "core/retained.h"

#include <string.h>

#include "core/store.h"

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8)
    p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++)
    v = v << 8 | p[i];
  return v;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

size_t retained_encode(const struct retained *r, uint8_t *out) {
  uint32_t nv = r->nv_len <= RETAINED_NV_MAX ? r->nv_len : 0;
  memcpy(out, "RFR1", 4);
  out[4] = r->rtc_set;
  put64(out + 5, r->rtc_unix_ms);
  put64(out + 13, r->slept_at);
  put64(out + 21, r->wake_at);
  out[29] = (uint8_t)((r->wake_pin ? 1 : 0) | (r->snooze ? 2 : 0));
  for (int i = 0; i < 4; i++)
    out[30 + i] = (uint8_t)(nv >> (24 - 8 * i));
  memcpy(out + RETAINED_HDR, r->nv, nv);
  uint32_t crc = store_crc32(0, out, RETAINED_HDR + nv);
  for (int i = 0; i < 4; i++)
    out[RETAINED_HDR + nv + (size_t)i] = (uint8_t)(crc >> (24 - 8 * i));
  return RETAINED_HDR + nv + 4;
}

bool retained_decode(const uint8_t *in, size_t n, struct retained *r) {
  if (n < RETAINED_HDR + 4 || memcmp(in, "RFR1", 4) != 0)
    return false;
  uint32_t nv = get32(in + 30);
  if (nv > RETAINED_NV_MAX || n != RETAINED_HDR + nv + 4 ||
      get32(in + RETAINED_HDR + nv) != store_crc32(0, in, RETAINED_HDR + nv))
    return false;
  r->rtc_set = in[4] != 0;
  r->rtc_unix_ms = get64(in + 5);
  r->slept_at = get64(in + 13);
  r->wake_at = get64(in + 21);
  r->wake_pin = (in[29] & 1) != 0;
  r->snooze = (in[29] & 2) != 0;
  r->nv_len = nv;
  memcpy(r->nv, in + RETAINED_HDR, nv);
  return true;
}
