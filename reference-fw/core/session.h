/*
** session.h: one TLS session with the impCloud, seen as whole frames.
** Owns the connection handle, the frame reader and the per-direction frame
** counts, and logs every frame sent or received by name. What the frames
** mean is boot.c's business.
*/
#ifndef REFIMP_CORE_SESSION_H
#define REFIMP_CORE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/frame.h"
#include "core/rf.h"
#include "hal/hal.h"
#include "wire.pb-c.h"

struct session {
  struct hal_conn *conn;      /* NULL when closed */
  struct frame_reader rd;
  uint32_t sent;              /* frames sent in this session */
  uint16_t port;
};

/* Set up a closed session. */
void session_init(struct session *s);

/* True while the session is open. */
bool session_is_open(const struct session *s);

/*
** Connect to ep (TCP + TLS, hal_conn_open). Returns RF_OK, RF_ECERT (the
** certificate was refused), RF_EIO / RF_ETIMEOUT (d has the reason),
** RF_ESTOP, RF_ENOMEM.
*/
enum rf_status session_open(struct session *s, const struct hal_endpoint *ep,
                            struct rf_diag *d);

/* Send one envelope; logs "sent frame N: Name". RF_OK, RF_EIO, RF_ECLOSED,
** RF_EINVAL (too large), RF_ENOMEM. */
enum rf_status session_send(struct session *s, const Impwire__Envelope *env,
                            struct rf_diag *d);

/*
** Read without blocking. RF_OK with *out (free with frame_free); RF_EAGAIN
** when no whole frame is in yet; RF_ECLOSED (peer closed between frames),
** RF_EIO (I/O error or closed mid-frame), RF_EPROTO (bad frame: d names
** its number and the reason), RF_ENOMEM. After any error the caller
** closes the session.
*/
enum rf_status session_poll(struct session *s, Impwire__Envelope **out,
                            struct rf_diag *d);

/* Close (idempotent); logs "session closed: why" when open. */
void session_close(struct session *s, const char *why);

#endif
