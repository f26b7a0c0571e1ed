/*
** sendpol.c: the send policies under the cloud (sendpol.h). A send puts
** its frame into the session's send buffer; what happens when it does
** not fit, when the session is gone or when an Ack is awaited depends on
** the policy [SEND-006..019]:
**   SUSPEND_ON_ERROR: wait; a session that is gone (or stays full for the
**     send timeout) is reconnected for a minute while Squirrel waits,
**     then the device deep-sleeps nine minutes (API_SEND_SLEEP).
**   RETURN_ON_ERROR: no session: SEND_ERROR_NOT_CONNECTED; full for the
**     whole timeout: the session is dropped, SEND_ERROR_TIMEOUT; lost
**     while waiting: SEND_ERROR_DISCONNECTED. No reconnection until
**     server.connect().
**   RETURN_ON_ERROR_NO_DISCONNECT: as RETURN_ON_ERROR, but data that does
**     not fit returns SEND_ERROR_WOULDBLOCK at once and the session stays.
*/
#include "api/sendpol.h"

#include "core/rf.h"
#include "hal/hal.h"

#define SENDPOL_ACK_POLL_MS 20u /* server.flush: looks for TCP acks */

/* What a wait waits for. */
enum want { WANT_ONLINE, WANT_ROOM, WANT_ACK, WANT_FLUSHED };

struct waiter {
  struct app *a;
  enum want want;
  size_t need;     /* WANT_ROOM: bytes */
  uint32_t seq;    /* WANT_ACK */
};

static bool done(const struct waiter *w) {
  struct boot *b = w->a->boot;
  switch (w->want) {
  case WANT_ONLINE:
    return boot_online(b);
  case WANT_ROOM:
    return boot_online(b) && (boot_app_unsent(b) == 0 ||
                              boot_app_send_free(b) >= w->need);
  case WANT_ACK:
    return boot_online(b) && w->a->acked_seq >= w->seq;
  case WANT_FLUSHED:
    return boot_online(b) && boot_app_unsent(b) == 0 &&
           boot_app_unacked(b) == 0 && w->a->acked_seq >= w->a->flush_seq;
  }
  return false;
}

/* Keep the session going until w is done (true), the deadline passes,
** the session is lost while waiting for room or an Ack, or the main loop
** has a frame or jig message to handle (false). */
static bool wait_for(const struct waiter *w, uint64_t deadline) {
  struct boot *b = w->a->boot;
  for (;;) {
    if (done(w))
      return true;
    uint64_t now = hal_now_ms();
    if (now >= deadline || boot_pump_held(b) ||
        (w->want != WANT_ONLINE && !boot_online(b)))
      return false;
    uint64_t next = boot_pump(b, now);
    if (done(w))
      return true;
    /* the cloud's TCP acknowledging is no event the board can wait for:
    ** while bytes are unacknowledged a flush looks again soon */
    if (w->want == WANT_FLUSHED && boot_app_unacked(b) &&
        next > now + SENDPOL_ACK_POLL_MS)
      next = now + SENDPOL_ACK_POLL_MS;
    if (next > deadline)
      next = deadline;
    if (next > now && hal_wait_event(next) == HAL_ESTOP)
      return false;
  }
}

bool sendpol_connect_wait(struct app *a, uint32_t timeout_ms) {
  struct waiter w = {a, WANT_ONLINE, 0, 0};
  uint64_t now = hal_now_ms();
  if (!boot_online(a->boot) && a->boot->phase == BOOT_PHASE_IDLE)
    boot_connect(a->boot, now); /* [NET-013, BOOT-017] */
  return wait_for(&w, now + timeout_ms);
}

/* Under SUSPEND_ON_ERROR: drop a session that cannot take the data and
** connect again at once. */
static void reconnect(struct app *a, const char *why) {
  boot_app_drop(a->boot, why);
  boot_connect(a->boot, hal_now_ms());
}

int sendpol_send(struct app *a, const Impwire__Envelope *env,
                 const struct api_send_policy *pol) {
  struct boot *b = a->boot;
  bool suspend = pol->error == API_SUSPEND_ON_ERROR;
  boot_app_set_sendbuf(b, pol->buffer);
  /* an Ack [WIRE-017] belongs to the session it answers, a Restart to
  ** the session up now (offline, boot_app_restart connects after the
  ** restart, with its wake reason): whatever the buffer holds, never
  ** connecting for them */
  if (env->msg_case == IMPWIRE__ENVELOPE__MSG_ACK ||
      env->msg_case == IMPWIRE__ENVELOPE__MSG_RESTART)
    return boot_app_send(b, env, hal_now_ms()) == RF_OK
               ? API_SEND_OK
               : API_SEND_ERROR_NOT_CONNECTED;
  /* each round: get a session, queue, wait for the Ack; SUSPEND_ON_ERROR
  ** starts again after a loss (its data went with the session) */
  for (;;) {
    if (!boot_online(b)) {
      if (!suspend)
        return API_SEND_ERROR_NOT_CONNECTED; /* [SEND-006] */
      if (!sendpol_connect_wait(a, API_SUSPEND_RETRY_MS)) /* [SEND-011] */
        return boot_pump_held(b) ? API_SEND_ERROR_DISCONNECTED
                                 : API_SEND_SLEEP; /* [SEND-012] */
    }
    size_t need = 0;
    enum rf_status st = boot_app_queue(
        b, env, hal_now_ms(),
        pol->error == API_RETURN_ON_ERROR_NO_DISCONNECT, &need);
    if (st == RF_EAGAIN) {
      if (pol->error == API_RETURN_ON_ERROR_NO_DISCONNECT)
        return API_SEND_ERROR_WOULDBLOCK; /* [SEND-013, SEND-014] */
      /* [SEND-017] WAIT_TIL_SENT: block until there is room */
      struct waiter w = {a, WANT_ROOM, need, 0};
      if (wait_for(&w, hal_now_ms() + pol->timeout_ms))
        continue;
      if (boot_pump_held(b))
        return API_SEND_ERROR_DISCONNECTED;
      if (!boot_online(b)) {
        if (!suspend)
          return API_SEND_ERROR_DISCONNECTED; /* [SEND-008] */
        continue;
      }
      if (!suspend) { /* [SEND-007, SEND-010] */
        boot_app_drop(b, "send timeout (RETURN_ON_ERROR)");
        return API_SEND_ERROR_TIMEOUT;
      }
      reconnect(a, "send timeout (SUSPEND_ON_ERROR)");
      continue;
    }
    if (st == RF_EIO) { /* the session broke on this write */
      if (!suspend)
        return API_SEND_ERROR_DISCONNECTED;
      continue;
    }
    if (st == RF_ECLOSED)
      continue;
    if (st != RF_OK)
      return API_SEND_ERROR_TIMEOUT; /* a frame that can never go */
    if (!pol->seq)
      return API_SEND_OK;
    /* [SEND-018, SEND-019] WAIT_FOR_ACK */
    a->flush_seq = pol->seq;
    struct waiter w = {a, WANT_ACK, 0, pol->seq};
    if (wait_for(&w, hal_now_ms() + pol->timeout_ms))
      return API_SEND_OK;
    if (boot_pump_held(b))
      return API_SEND_ERROR_DISCONNECTED;
    if (!boot_online(b)) {
      if (!suspend)
        return API_SEND_ERROR_DISCONNECTED;
      continue;
    }
    if (pol->error == API_RETURN_ON_ERROR_NO_DISCONNECT)
      return API_SEND_ERROR_TIMEOUT; /* the session stays */
    if (!suspend) {
      boot_app_drop(b, "no Ack within the send timeout (RETURN_ON_ERROR)");
      return API_SEND_ERROR_TIMEOUT;
    }
    reconnect(a, "no Ack within the send timeout (SUSPEND_ON_ERROR)");
  }
}

/* [API-008] imp.sleep on the virtual clock: device time moves only with
** the jig's clock messages, which boot_pump reads, so the sleep keeps the
** session going as any blocking wait does until ms of device time pass. */
void sendpol_sleep(struct app *a, uint32_t ms) {
  struct boot *b = a->boot;
  uint64_t until = hal_now_ms() + ms;
  for (;;) {
    uint64_t now = hal_now_ms();
    if (now >= until)
      return;
    uint64_t next = boot_pump(b, now);
    if (next > until || next <= now) /* now: a frame held for later */
      next = until;
    if (hal_wait_event(next) == HAL_ESTOP)
      return;
  }
}

bool sendpol_flush(struct app *a, uint32_t timeout_ms) {
  struct waiter w = {a, WANT_FLUSHED, 0, 0};
  return wait_for(&w, hal_now_ms() + timeout_ms);
}
