/*
** rf.h: refimp's program-wide helpers: status codes, the diagnostic
** buffer, the allocator every core module uses, and the log line.
** Knows nothing of the protocol, the store or the board beyond hal.h.
*/
#ifndef REFIMP_CORE_RF_H
#define REFIMP_CORE_RF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* One list makes the enum and its texts (never renumber; retire a code by
** keeping its slot). */
#define RF_STATUS_LIST(X)                                      \
  X(RF_OK, "ok")                                               \
  X(RF_ENOMEM, "out of memory")                                \
  X(RF_EIO, "flash or network I/O failed")                     \
  X(RF_EPROTO, "peer broke the wire protocol")                 \
  X(RF_ETIMEOUT, "deadline passed")                            \
  X(RF_ECORRUPT, "stored record failed its check")             \
  X(RF_EAGAIN, "nothing available yet")                        \
  X(RF_ECLOSED, "the peer closed the connection")              \
  X(RF_EINVAL, "invalid argument")                             \
  X(RF_ENOSPC, "does not fit its flash area")                  \
  X(RF_ENOTSUP, "not supported by this board")                 \
  X(RF_ECERT, "the server's certificate was refused")          \
  X(RF_ESTOP, "the board is shutting down")                   \
  X(RF_ENOPROXY, "cannot connect through the proxy")           \
  X(RF_EPROXYAUTH, "the proxy refused the credentials")

enum rf_status {
#define X(code, text) code,
  RF_STATUS_LIST(X)
#undef X
};

/* The text of a status (never NULL). */
const char *rf_status_text(enum rf_status st);

/* A message a person must read, naming the place (frame number, flash
** slot). Empty string when there is nothing to say. */
struct rf_diag {
  char msg[256];
};

/* Set d->msg (printf style); d may be NULL. */
void rf_diag_set(struct rf_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The one allocator of core/ (through hal_mem_alloc), so a test can fail
** the Nth allocation. rf_free(NULL) does nothing. */
void *rf_malloc(size_t n);
void rf_free(void *p);

/* The allocator handed to protobuf-c (uses rf_malloc). */
extern ProtobufCAllocator rf_pb_allocator;

/* Log one line through hal_log (printf style, truncated at 512 bytes). */
void rf_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void rf_hex(const uint8_t *p, size_t n, char *out);

#endif
