/*
** bluetooth.h: the plugin SDK's Bluetooth LE peer (capability
** "jig-bluetooth", specs/jig.md "Bluetooth"). The jig plays one peer:
** it broadcasts adverts, hears the DUT's advertising and scanning,
** connects as a central, reads and writes characteristics, disconnects.
** Included by impcert.h; every call needs the jig.
*/
#ifndef IMPCERT_BLUETOOTH_H
#define IMPCERT_BLUETOOTH_H

#include <impcert/impcert.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The peer's own address and the RSSI it is heard with when a test does
** not care (constants.md "Bluetooth"). */
#define IMPCERT_BT_PEER_ADDRESS "c0ffee000001"
#define IMPCERT_BT_PEER_RSSI (-60)

/* Advert PDU types (BtPeerAdvert.type, the `type` of a scanned advert). */
enum impcert_bt_advert_type {
  IMPCERT_BT_ADV_IND = 0,
  IMPCERT_BT_ADV_DIRECT_IND = 1,
  IMPCERT_BT_ADV_SCAN_IND = 2,
  IMPCERT_BT_ADV_NONCONN_IND = 3,
  IMPCERT_BT_SCAN_RSP = 4
};

/* Wait up to timeout_ms until the DUT's radio is open (open true) or
** closed, as its last BtRadio said; a DUT that never reported counts as
** closed. True if it is. */
IMPCERT_EXPORT bool impcert_bt_wait_radio(impcert_fx *fx, bool open,
                                          unsigned timeout_ms);

/* The number of BtRadio reports with open = true the DUT sent so far in
** this test (each successful hardware.bluetooth.open()). */
IMPCERT_EXPORT unsigned impcert_bt_radio_opens(impcert_fx *fx);

/* Wait up to timeout_ms until the DUT's last BtAdvertising has on == on
** (never reported: off). Returns that report (owned by the fixture), or
** NULL if the state did not come; a DUT that never advertised gives NULL
** when waiting for off too, so check impcert_bt_advertising() then. */
IMPCERT_EXPORT const Impjig__BtAdvertising *
impcert_bt_wait_advertising(impcert_fx *fx, bool on, unsigned timeout_ms);

/* The DUT's last BtAdvertising report, or NULL if none yet. */
IMPCERT_EXPORT const Impjig__BtAdvertising *
impcert_bt_advertising(impcert_fx *fx);

/* The same for scanning (BtScanning). */
IMPCERT_EXPORT const Impjig__BtScanning *
impcert_bt_wait_scanning(impcert_fx *fx, bool on, unsigned timeout_ms);

/* The peer broadcasts one advert (BtPeerAdvert): address 12 lower-case
** hex digits, address_type 0 public / 1 random, rssi -127..20, type an
** enum impcert_bt_advert_type, up to 31 bytes of data. Values outside
** those ranges are sent as given (to test the DUT's checks). */
IMPCERT_EXPORT void impcert_bt_advertise(impcert_fx *fx, const char *address,
                                         unsigned address_type, int rssi,
                                         unsigned type, const void *data,
                                         size_t len);

/* The peer connects as a central (BtConnect) and waits up to timeout_ms
** for the DUT's BtConnected. Returns the connection number (> 0), 0 if
** the DUT refused, -1 (noted in the transcript) if it did not answer. */
IMPCERT_EXPORT long impcert_bt_connect(impcert_fx *fx, const char *address,
                                       int rssi, unsigned timeout_ms);

/* GATT requests on connection conn, answered by BtGattResponse within
** timeout_ms. Return the ATT status (0 success), or -1 (noted) with no
** answer. A read copies up to cap bytes of the value into buf and sets
** *len to the value's full length (buf and len may be NULL). */
IMPCERT_EXPORT int impcert_bt_read(impcert_fx *fx, uint32_t conn,
                                   const char *service,
                                   const char *characteristic, uint8_t *buf,
                                   size_t cap, size_t *len,
                                   unsigned timeout_ms);
IMPCERT_EXPORT int impcert_bt_write(impcert_fx *fx, uint32_t conn,
                                    const char *service,
                                    const char *characteristic,
                                    const void *value, size_t n,
                                    unsigned timeout_ms);

/* The peer ends connection conn (BtDisconnect to the DUT). */
IMPCERT_EXPORT void impcert_bt_disconnect(impcert_fx *fx, uint32_t conn);

/* Wait up to timeout_ms for the DUT to end connection conn (its
** BtDisconnect). True if it did. */
IMPCERT_EXPORT bool impcert_bt_wait_closed(impcert_fx *fx, uint32_t conn,
                                           unsigned timeout_ms);

/* Wait up to timeout_ms for the nth (1 for the first) notification
** (BtNotify) the DUT sent on connection conn in this test. Returns it
** (owned by the fixture) or NULL. */
IMPCERT_EXPORT const Impjig__BtNotify *
impcert_bt_wait_notify(impcert_fx *fx, uint32_t conn, unsigned nth,
                       unsigned timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
