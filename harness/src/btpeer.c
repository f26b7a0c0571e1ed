/*
** btpeer.c: the SDK's Bluetooth LE peer (impcert/bluetooth.h): sends the
** jig's Bluetooth messages and reads the DUT's reports from the fixture's
** jig history (specs/jig.md "Bluetooth"). Requests carry a sequence
** number; an answer counts only with the number of its request.
*/
#include <string.h>

#include "fixture.h"

/* GLOBAL: the next request number. Each case runs in a process of its
** own, so it starts at 1 in every case. */
static uint32_t next_seq = 1;

static void send_bt(impcert_fx *fx, Impjig__JigEnvelope *e,
                    const char *what) {
  fixture_jig_send(fx, &e->base, what);
}

/* The last message of kind in the jig history, or NULL. */
static const Impjig__JigEnvelope *last_of(impcert_fx *fx,
                                          Impjig__JigEnvelope__MsgCase kind) {
  size_t n;
  Impjig__JigEnvelope *const *h = fixture_jig_history(fx, &n);
  while (n > 0)
    if (h[--n]->msg_case == kind)
      return h[n];
  return NULL;
}

IMPCERT_EXPORT bool impcert_bt_wait_radio(impcert_fx *fx, bool open,
                                          unsigned timeout_ms) {
  long long deadline = fixture_now_ms() + timeout_ms;
  for (;;) {
    const Impjig__JigEnvelope *m =
        last_of(fx, IMPJIG__JIG_ENVELOPE__MSG_BT_RADIO);
    if ((m ? m->bt_radio->open : false) == open)
      return true;
    if (fixture_now_ms() >= deadline)
      return false;
    fixture_wait(fx, deadline);
  }
}

IMPCERT_EXPORT unsigned impcert_bt_radio_opens(impcert_fx *fx) {
  size_t n;
  unsigned opens = 0;
  Impjig__JigEnvelope *const *h = fixture_jig_history(fx, &n);
  for (size_t i = 0; i < n; i++)
    if (h[i]->msg_case == IMPJIG__JIG_ENVELOPE__MSG_BT_RADIO &&
        h[i]->bt_radio->open)
      opens++;
  return opens;
}

IMPCERT_EXPORT const Impjig__BtAdvertising *
impcert_bt_advertising(impcert_fx *fx) {
  const Impjig__JigEnvelope *m =
      last_of(fx, IMPJIG__JIG_ENVELOPE__MSG_BT_ADVERTISING);
  return m ? m->bt_advertising : NULL;
}

IMPCERT_EXPORT const Impjig__BtAdvertising *
impcert_bt_wait_advertising(impcert_fx *fx, bool on, unsigned timeout_ms) {
  long long deadline = fixture_now_ms() + timeout_ms;
  for (;;) {
    const Impjig__BtAdvertising *a = impcert_bt_advertising(fx);
    if (a && a->on == on)
      return a;
    if (fixture_now_ms() >= deadline)
      return NULL;
    fixture_wait(fx, deadline);
  }
}

IMPCERT_EXPORT const Impjig__BtScanning *
impcert_bt_wait_scanning(impcert_fx *fx, bool on, unsigned timeout_ms) {
  long long deadline = fixture_now_ms() + timeout_ms;
  for (;;) {
    const Impjig__JigEnvelope *m =
        last_of(fx, IMPJIG__JIG_ENVELOPE__MSG_BT_SCANNING);
    if (m && m->bt_scanning->on == on)
      return m->bt_scanning;
    if (fixture_now_ms() >= deadline)
      return NULL;
    fixture_wait(fx, deadline);
  }
}

IMPCERT_EXPORT void impcert_bt_advertise(impcert_fx *fx, const char *address,
                                         unsigned address_type, int rssi,
                                         unsigned type, const void *data,
                                         size_t len) {
  Impjig__BtPeerAdvert a = IMPJIG__BT_PEER_ADVERT__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  a.address = (char *)address;
  a.address_type = address_type;
  a.rssi = rssi;
  a.type = type;
  a.data.data = (uint8_t *)data;
  a.data.len = len;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_PEER_ADVERT;
  e.bt_peer_advert = &a;
  send_bt(fx, &e, "BtPeerAdvert");
}

/* The DUT's message of kind answering seq (seq_of reads it), waiting up
** to timeout_ms; NULL if none came. */
static const Impjig__JigEnvelope *
wait_answer(impcert_fx *fx, Impjig__JigEnvelope__MsgCase kind,
            uint32_t (*seq_of)(const Impjig__JigEnvelope *), uint32_t seq,
            unsigned timeout_ms) {
  long long deadline = fixture_now_ms() + timeout_ms;
  for (;;) {
    size_t n;
    Impjig__JigEnvelope *const *h = fixture_jig_history(fx, &n);
    for (size_t i = 0; i < n; i++)
      if (h[i]->msg_case == kind && seq_of(h[i]) == seq)
        return h[i];
    if (fixture_now_ms() >= deadline)
      return NULL;
    fixture_wait(fx, deadline);
  }
}

static uint32_t connected_seq(const Impjig__JigEnvelope *m) {
  return m->bt_connected->seq;
}

static uint32_t gatt_seq(const Impjig__JigEnvelope *m) {
  return m->bt_gatt_response->seq;
}

IMPCERT_EXPORT long impcert_bt_connect(impcert_fx *fx, const char *address,
                                       int rssi, unsigned timeout_ms) {
  Impjig__BtConnect c = IMPJIG__BT_CONNECT__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  c.seq = next_seq++;
  c.address = (char *)address;
  c.address_type = 0;
  c.rssi = rssi;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_CONNECT;
  e.bt_connect = &c;
  send_bt(fx, &e, "BtConnect");
  const Impjig__JigEnvelope *m = wait_answer(
      fx, IMPJIG__JIG_ENVELOPE__MSG_BT_CONNECTED, connected_seq, c.seq,
      timeout_ms);
  if (!m) {
    impcert_note(fx, "bluetooth: no BtConnected for BtConnect seq %u "
                     "within %u ms", (unsigned)c.seq, timeout_ms);
    return -1;
  }
  if (!m->bt_connected->accepted)
    return 0;
  if (!m->bt_connected->has_conn || m->bt_connected->conn == 0) {
    impcert_note(fx, "bluetooth: BtConnected accepted without a "
                     "connection number");
    return -1;
  }
  return (long)m->bt_connected->conn;
}

static int gatt_request(impcert_fx *fx, uint32_t conn, bool write,
                        const char *service, const char *characteristic,
                        const void *value, size_t n, uint8_t *buf,
                        size_t cap, size_t *len, unsigned timeout_ms) {
  Impjig__BtGattRequest r = IMPJIG__BT_GATT_REQUEST__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  r.seq = next_seq++;
  r.conn = conn;
  r.op = write ? IMPJIG__BT_GATT_REQUEST__OP__WRITE
               : IMPJIG__BT_GATT_REQUEST__OP__READ;
  r.service = (char *)service;
  r.characteristic = (char *)characteristic;
  r.has_value = write;
  r.value.data = (uint8_t *)value;
  r.value.len = n;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_GATT_REQUEST;
  e.bt_gatt_request = &r;
  send_bt(fx, &e, "BtGattRequest");
  const Impjig__JigEnvelope *m = wait_answer(
      fx, IMPJIG__JIG_ENVELOPE__MSG_BT_GATT_RESPONSE, gatt_seq, r.seq,
      timeout_ms);
  if (!m) {
    impcert_note(fx, "bluetooth: no BtGattResponse for %s of %s/%s "
                     "(seq %u) within %u ms", write ? "a write" : "a read",
                 service, characteristic, (unsigned)r.seq, timeout_ms);
    return -1;
  }
  const Impjig__BtGattResponse *g = m->bt_gatt_response;
  size_t vlen = g->has_value ? g->value.len : 0;
  if (len)
    *len = vlen;
  if (buf && cap && vlen) /* no value: value.data may be NULL */
    memcpy(buf, g->value.data, vlen < cap ? vlen : cap);
  return (int)g->status;
}

IMPCERT_EXPORT int impcert_bt_read(impcert_fx *fx, uint32_t conn,
                                   const char *service,
                                   const char *characteristic, uint8_t *buf,
                                   size_t cap, size_t *len,
                                   unsigned timeout_ms) {
  return gatt_request(fx, conn, false, service, characteristic, NULL, 0,
                      buf, cap, len, timeout_ms);
}

IMPCERT_EXPORT int impcert_bt_write(impcert_fx *fx, uint32_t conn,
                                    const char *service,
                                    const char *characteristic,
                                    const void *value, size_t n,
                                    unsigned timeout_ms) {
  return gatt_request(fx, conn, true, service, characteristic, value, n,
                      NULL, 0, NULL, timeout_ms);
}

IMPCERT_EXPORT void impcert_bt_disconnect(impcert_fx *fx, uint32_t conn) {
  Impjig__BtDisconnect d = IMPJIG__BT_DISCONNECT__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  d.conn = conn;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BT_DISCONNECT;
  e.bt_disconnect = &d;
  send_bt(fx, &e, "BtDisconnect");
}

IMPCERT_EXPORT bool impcert_bt_wait_closed(impcert_fx *fx, uint32_t conn,
                                           unsigned timeout_ms) {
  long long deadline = fixture_now_ms() + timeout_ms;
  for (;;) {
    size_t n;
    Impjig__JigEnvelope *const *h = fixture_jig_history(fx, &n);
    for (size_t i = 0; i < n; i++)
      if (h[i]->msg_case == IMPJIG__JIG_ENVELOPE__MSG_BT_DISCONNECT &&
          h[i]->bt_disconnect->conn == conn)
        return true;
    if (fixture_now_ms() >= deadline)
      return false;
    fixture_wait(fx, deadline);
  }
}

IMPCERT_EXPORT const Impjig__BtNotify *
impcert_bt_wait_notify(impcert_fx *fx, uint32_t conn, unsigned nth,
                       unsigned timeout_ms) {
  long long deadline = fixture_now_ms() + timeout_ms;
  for (;;) {
    size_t n;
    unsigned seen = 0;
    Impjig__JigEnvelope *const *h = fixture_jig_history(fx, &n);
    for (size_t i = 0; i < n; i++)
      if (h[i]->msg_case == IMPJIG__JIG_ENVELOPE__MSG_BT_NOTIFY &&
          h[i]->bt_notify->conn == conn && ++seen == nth)
        return h[i]->bt_notify;
    if (fixture_now_ms() >= deadline)
      return NULL;
    fixture_wait(fx, deadline);
  }
}
