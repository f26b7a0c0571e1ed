/*
** ident.h: the device's factory identity: its MAC address and device ID.
** Owns their format and the rule deriving the ID from the MAC; storing
** them is store.c's job, choosing when is boot.c's.
*/
#ifndef REFIMP_CORE_IDENT_H
#define REFIMP_CORE_IDENT_H

#include <stdbool.h>

#include "core/rf.h"

#define IDENT_OUI "0c2a69" /* Electric Imp's OUI, the default MAC prefix */

/* Check that s is 12 hex digits; out gets them in lower case.
** Returns false (out untouched) otherwise. */
bool ident_parse_mac(const char *s, char out[13]);

/* A default MAC: IDENT_OUI and 6 random hex digits (hal_entropy).
** RF_OK or RF_EIO (no entropy; out is then IDENT_OUI "000001"). */
enum rf_status ident_default_mac(char out[13]);

/* The device ID of a MAC: the first 8 bytes of
** SHA-256("refimp-device-id:" + mac) as 16 lower-case hex digits. */
void ident_device_id(const char *mac, char out[17]);

#endif
