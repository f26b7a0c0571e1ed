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
#include "core/sendbuf.h"
#include "hal/hal.h"
#include "wire.pb-c.h"

/* The send buffer at boot (research imp-api 4.14) [SEND-020]. */
#define SESSION_SENDBUF_DEFAULT 3456u

struct session {
  struct hal_conn *conn;      /* NULL when closed */
  struct frame_reader rd;
  struct sendbuf out;         /* frames not yet taken by the connection */
  uint32_t sent;              /* frames sent in this session */
  uint16_t port;
};

/* Set up a closed session (send buffer SESSION_SENDBUF_DEFAULT). */
void session_init(struct session *s);
/* Free the send buffer (after session_close, at the end). */
void session_fini(struct session *s);

/* True while the session is open. */
bool session_is_open(const struct session *s);

/*
** Connect to ep (TCP + TLS, hal_conn_open). Returns RF_OK, RF_ECERT (the
** certificate was refused), RF_EIO / RF_ETIMEOUT (d has the reason),
** RF_ESTOP, RF_ENOMEM.
*/
enum rf_status session_open(struct session *s, const struct hal_endpoint *ep,
                            struct rf_diag *d);

/* Send one envelope of the boot conversation: into the send buffer
** whatever its limit, then as much to the connection as it takes; logs
** "sent frame N: Name". RF_OK, RF_EIO, RF_ECLOSED, RF_EINVAL (too large),
** RF_ENOMEM. */
enum rf_status session_send(struct session *s, const Impwire__Envelope *env,
                            struct rf_diag *d);

/* An application envelope: as session_send, but RF_EAGAIN (nothing
** queued) when its frame does not fit in the send buffer's free space
** (an empty buffer takes any frame unless strict); *need gets the
** frame's size. */
enum rf_status session_queue(struct session *s, const Impwire__Envelope *env,
                             bool strict, size_t *need, struct rf_diag *d);

/* Hand waiting bytes to the connection without blocking. RF_OK (some may
** still wait: the peer is not reading), RF_EIO, RF_ECLOSED. */
enum rf_status session_drain(struct session *s, struct rf_diag *d);

/* Bytes waiting in the send buffer; its free space (tcpsendfree). */
size_t session_unsent(const struct session *s);
size_t session_send_free(const struct session *s);
/* The send buffer size (imp.setsendbuffersize); kept across sessions. */
void session_set_sendbuf(struct session *s, size_t limit);

/*
** Read without blocking. RF_OK with *out (free with frame_free); RF_EAGAIN
** when no whole frame is in yet; RF_ECLOSED (peer closed between frames),
** RF_EIO (I/O error or closed mid-frame), RF_EPROTO (bad frame: d names
** its number and the reason), RF_ENOMEM. After any error the caller
** closes the session.
*/
enum rf_status session_poll(struct session *s, Impwire__Envelope **out,
                            struct rf_diag *d);

/* Close (idempotent); logs "session closed: why" when open. Bytes still
** in the send buffer are lost. */
void session_close(struct session *s, const char *why);

#endif
