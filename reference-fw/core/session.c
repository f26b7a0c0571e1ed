/*
** session.c: frames over the cloud connection [WIRE-001..011]; every
** frame sent or received is logged by name.
*/
#include "core/session.h"

#include <string.h>

void session_init(struct session *s) {
  memset(s, 0, sizeof(*s));
  frame_reader_init(&s->rd, FRAME_WIRE_MAX);
  sendbuf_init(&s->out, SESSION_SENDBUF_DEFAULT);
}

void session_fini(struct session *s) {
  session_close(s, "finished");
  sendbuf_fini(&s->out);
}

bool session_is_open(const struct session *s) {
  return s->conn != NULL;
}

static enum rf_status from_hal(enum hal_status st) {
  switch (st) {
  case HAL_OK: return RF_OK;
  case HAL_EAGAIN: return RF_EAGAIN;
  case HAL_ECLOSED: return RF_ECLOSED;
  case HAL_ETIMEOUT: return RF_ETIMEOUT;
  case HAL_ENOMEM: return RF_ENOMEM;
  case HAL_ECERT: return RF_ECERT;
  case HAL_ESTOP: return RF_ESTOP;
  case HAL_ENOTSUP: return RF_ENOTSUP;
  case HAL_EINVAL: return RF_EINVAL;
  case HAL_EIO: return RF_EIO;
  case HAL_ENOPROXY: return RF_ENOPROXY;
  case HAL_EPROXYAUTH: return RF_EPROXYAUTH;
  }
  return RF_EIO;
}

enum rf_status session_open(struct session *s, const struct hal_endpoint *ep,
                            struct rf_diag *d) {
  session_close(s, "reopening");
  frame_reader_init(&s->rd, FRAME_WIRE_MAX);
  s->sent = 0;
  s->port = ep->port;
  char why[sizeof(d->msg)] = "";
  enum hal_status st = hal_conn_open(ep, &s->conn, why, sizeof(why));
  if (st != HAL_OK) {
    s->conn = NULL;
    rf_diag_set(d, "%s", why[0] ? why : hal_status_text(st));
    return from_hal(st);
  }
  return RF_OK;
}

/* Encode env and put its frame into the send buffer (force: whatever the
** limit), then drain. */
static enum rf_status put(struct session *s, const Impwire__Envelope *env,
                          bool force, bool strict, size_t *need,
                          struct rf_diag *d) {
  uint8_t *buf;
  size_t n;
  if (!s->conn) {
    rf_diag_set(d, "send %s: session closed", frame_msg_name(&env->base));
    return RF_ECLOSED;
  }
  enum rf_status st = frame_encode(&env->base, FRAME_WIRE_MAX, &buf, &n, d);
  if (st != RF_OK)
    return st;
  if (need)
    *need = n;
  if (strict && n > sendbuf_free(&s->out))
    st = RF_EAGAIN;
  else
    st = sendbuf_push(&s->out, buf, n, force);
  rf_free(buf);
  if (st == RF_EAGAIN) {
    rf_diag_set(d, "%s of %zu bytes: %zu free in the send buffer",
                frame_msg_name(&env->base), n, sendbuf_free(&s->out));
    return st;
  }
  if (st != RF_OK) {
    rf_diag_set(d, "no memory for a frame of %zu bytes", n);
    return st;
  }
  s->sent++;
  rf_log("sent frame %u: %s (%zu bytes)", s->sent,
         frame_msg_name(&env->base), n - 4);
  return session_drain(s, d);
}

enum rf_status session_send(struct session *s, const Impwire__Envelope *env,
                            struct rf_diag *d) {
  return put(s, env, true, false, NULL, d);
}

enum rf_status session_queue(struct session *s, const Impwire__Envelope *env,
                             bool strict, size_t *need, struct rf_diag *d) {
  return put(s, env, false, strict, need, d);
}

enum rf_status session_drain(struct session *s, struct rf_diag *d) {
  size_t n, wrote = 0;
  const uint8_t *p = sendbuf_peek(&s->out, &n);
  if (!s->conn) {
    rf_diag_set(d, "session closed");
    return RF_ECLOSED;
  }
  if (!p)
    return RF_OK;
  enum hal_status hs = hal_conn_write(s->conn, p, n, &wrote);
  sendbuf_consume(&s->out, wrote);
  if (hs != HAL_OK) {
    rf_diag_set(d, "send after frame %u: %s", s->sent, hal_status_text(hs));
    return from_hal(hs);
  }
  return RF_OK;
}

size_t session_unsent(const struct session *s) {
  return sendbuf_used(&s->out);
}

size_t session_send_free(const struct session *s) {
  return sendbuf_free(&s->out);
}

void session_set_sendbuf(struct session *s, size_t limit) {
  sendbuf_set_limit(&s->out, limit);
}

enum rf_status session_poll(struct session *s, Impwire__Envelope **out,
                            struct rf_diag *d) {
  uint8_t buf[4096];
  *out = NULL;
  if (!s->conn) {
    rf_diag_set(d, "session closed");
    return RF_ECLOSED;
  }
  for (;;) {
    size_t want = frame_reader_want(&s->rd), got = 0, used;
    if (want > sizeof(buf))
      want = sizeof(buf);
    enum hal_status hs = hal_conn_recv(s->conn, buf, want, &got);
    if (hs == HAL_ECLOSED)
      return frame_reader_eof(&s->rd, d);
    if (hs != HAL_OK) {
      if (hs != HAL_EAGAIN)
        rf_diag_set(d, "receive: %s", hal_status_text(hs));
      return from_hal(hs);
    }
    enum rf_status st = frame_reader_feed(&s->rd, buf, got, &used, d);
    if (st == RF_EAGAIN)
      continue;
    if (st != RF_OK)
      return st;
    /* want never exceeds the frame's end, so nothing is left over */
    uint32_t len, number;
    uint8_t *body = frame_reader_take(&s->rd, &len, &number);
    ProtobufCMessage *m;
    st = frame_decode(&impwire__envelope__descriptor,
                      &impwire__value__descriptor, body, len, number, &m, d);
    rf_free(body);
    if (st != RF_OK)
      return st;
    *out = (Impwire__Envelope *)m;
    rf_log("received frame %u: %s (%u bytes)", number, frame_msg_name(m),
           len);
    return RF_OK;
  }
}

void session_close(struct session *s, const char *why) {
  if (s->conn) {
    hal_conn_close(s->conn);
    s->conn = NULL;
    rf_log("session closed (port %u): %s", s->port, why);
  }
  if (sendbuf_used(&s->out))
    rf_log("%zu unsent bytes dropped", sendbuf_used(&s->out));
  sendbuf_clear(&s->out);
  frame_reader_fini(&s->rd);
}
