/*
** ident.c: MAC parsing, default MAC and the device ID rule.
*/
#include "core/ident.h"

#include <stdio.h>
#include <string.h>

#include "hal/hal.h"

bool ident_parse_mac(const char *s, char out[13]) {
  char tmp[13];
  if (!s || strlen(s) != 12)
    return false;
  for (int i = 0; i < 12; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'F')
      c = (char)(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
    tmp[i] = c;
  }
  tmp[12] = '\0';
  memcpy(out, tmp, sizeof(tmp));
  return true;
}

enum rf_status ident_default_mac(char out[13]) {
  uint8_t r[3];
  if (hal_entropy(r, sizeof(r)) != HAL_OK) {
    memcpy(out, IDENT_OUI "000001", 13);
    return RF_EIO;
  }
  memcpy(out, IDENT_OUI, 6);
  rf_hex(r, sizeof(r), out + 6);
  return RF_OK;
}

void ident_device_id(const char *mac, char out[17]) {
  char msg[64];
  uint8_t h[32];
  int n = snprintf(msg, sizeof(msg), "refimp-device-id:%s", mac);
  hal_sha256(msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1, h);
  rf_hex(h, 8, out);
}
