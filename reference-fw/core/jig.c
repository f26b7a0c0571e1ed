/*
** jig.c: the jig conversation of specs/jig.md over hal_jig_* [BOOT-030,
** WIRE-019, WIRE-020].
*/
#include "core/jig.h"

#include <string.h>

#include "hal/hal.h"

void jig_close(struct jig *j, const char *why) {
  if (j->up) {
    hal_jig_close();
    rf_log("jig closed: %s", why);
  }
  j->up = false;
  frame_reader_fini(&j->rd);
}

/* The jig went wrong: drop it and run on without one (jig.md). */
static void drop(struct jig *j, const char *why) {
  if (j->up) {
    rf_log("jig dropped: %s; running without a jig", why);
    hal_jig_close();
  }
  j->up = false;
  frame_reader_fini(&j->rd);
}

void jig_open(struct jig *j, const char *board, const char *os_version,
              const char *const *features, size_t nfeatures) {
  char why[256] = "";
  memset(j, 0, sizeof(*j));
  frame_reader_init(&j->rd, FRAME_JIG_MAX);
  enum hal_status st = hal_jig_open(why, sizeof(why));
  if (st == HAL_ENOTSUP) {
    rf_log("no jig on this board");
    return;
  }
  if (st != HAL_OK) {
    rf_log("jig: %s; running without a jig",
           why[0] ? why : hal_status_text(st));
    return;
  }
  j->up = true;
  rf_log("jig connected");
  /* jig.md step 1: Hello first */
  Impjig__Hello hello = IMPJIG__HELLO__INIT;
  /* Hello.features lists exactly the jig-* features offered (CAP-002,
  ** specs/capabilities.md); BlinkUp, Led and BootState are the jig
  ** itself. */
  hello.board = (char *)board;
  hello.os_version = (char *)os_version;
  hello.n_features = nfeatures;
  hello.features = (char **)features;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_HELLO;
  env.hello = &hello;
  jig_send(j, &env);
}

/* Write what the batch holds. */
static void flush(struct jig *j) {
  enum hal_status st = HAL_OK;
  if (j->up && j->batch_len)
    st = hal_jig_send(j->batch, j->batch_len);
  j->batch_len = 0;
  if (st != HAL_OK)
    drop(j, hal_status_text(st));
}

void jig_batch_begin(struct jig *j) {
  j->batching = true;
}

void jig_batch_end(struct jig *j) {
  j->batching = false;
  flush(j);
}

void jig_send(struct jig *j, const Impjig__JigEnvelope *env) {
  struct rf_diag d = {""};
  uint8_t *buf;
  size_t n;
  if (!j->up)
    return;
  if (frame_encode(&env->base, FRAME_JIG_MAX, &buf, &n, &d) != RF_OK) {
    rf_log("jig: cannot encode %s: %s", frame_msg_name(&env->base), d.msg);
    return;
  }
  if (j->batching && n <= sizeof(j->batch)) {
    if (n > sizeof(j->batch) - j->batch_len)
      flush(j);
    memcpy(j->batch + j->batch_len, buf, n);
    j->batch_len += n;
  } else {
    flush(j);
    enum hal_status st = j->up ? hal_jig_send(buf, n) : HAL_ECLOSED;
    if (st != HAL_OK)
      drop(j, hal_status_text(st));
  }
  rf_free(buf);
  if (!j->up)
    return;
  j->sent++;
  rf_log("jig: sent frame %u: %s", j->sent, frame_msg_name(&env->base));
}

void jig_send_boot_state(struct jig *j, Impjig__BootState__State state) {
  Impjig__BootState bs = IMPJIG__BOOT_STATE__INIT;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  bs.state = state;
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE;
  env.boot_state = &bs;
  jig_send(j, &env);
}

void jig_send_led(struct jig *j, Impjig__Led__Colour colour, bool flashing) {
  Impjig__Led led = IMPJIG__LED__INIT;
  Impjig__JigEnvelope env = IMPJIG__JIG_ENVELOPE__INIT;
  led.colour = colour;
  led.flashing = flashing;
  env.msg_case = IMPJIG__JIG_ENVELOPE__MSG_LED;
  env.led = &led;
  jig_send(j, &env);
}

enum rf_status jig_poll(struct jig *j, Impjig__JigEnvelope **out) {
  uint8_t buf[1024];
  struct rf_diag d = {""};
  *out = NULL;
  while (j->up) {
    size_t want = frame_reader_want(&j->rd), got = 0, used;
    if (want > sizeof(buf))
      want = sizeof(buf);
    enum hal_status hs = hal_jig_recv(buf, want, &got);
    if (hs == HAL_EAGAIN)
      return RF_EAGAIN;
    if (hs == HAL_ECLOSED) {
      if (frame_reader_eof(&j->rd, &d) == RF_ECLOSED)
        drop(j, "the jig closed the connection");
      else
        drop(j, d.msg);
      break;
    }
    if (hs != HAL_OK) {
      drop(j, hal_status_text(hs));
      break;
    }
    enum rf_status st = frame_reader_feed(&j->rd, buf, got, &used, &d);
    if (st == RF_EAGAIN)
      continue;
    if (st != RF_OK) {
      drop(j, d.msg);
      break;
    }
    uint32_t len, number;
    uint8_t *body = frame_reader_take(&j->rd, &len, &number);
    ProtobufCMessage *m;
    st = frame_decode(&impjig__jig_envelope__descriptor, NULL, body, len,
                      number, &m, &d);
    rf_free(body);
    if (st != RF_OK) {
      drop(j, d.msg);
      break;
    }
    rf_log("jig: received frame %u: %s", number, frame_msg_name(m));
    *out = (Impjig__JigEnvelope *)m;
    return RF_OK;
  }
  return RF_ECLOSED;
}
