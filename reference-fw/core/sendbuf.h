/*
** sendbuf.h: the device's send buffer (imp.setsendbuffersize, research
** imp-api 4.14): a FIFO of frame bytes waiting for the TCP connection.
** Its limit is what the application may fill; a frame that does not fit
** waits (or fails) by the send policy, which is api/'s business. Only a
** frame larger than the whole limit is taken, and only into an empty
** buffer, so memory stays bounded by max(limit, largest frame).
*/
#ifndef REFIMP_CORE_SENDBUF_H
#define REFIMP_CORE_SENDBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/rf.h"

struct sendbuf {
  uint8_t *data;   /* rf_malloc'd; NULL until the first push */
  size_t cap;      /* bytes allocated */
  size_t start;    /* first unsent byte */
  size_t len;      /* unsent bytes from start */
  size_t limit;    /* the send buffer size */
};

/* An empty buffer of `limit` bytes (nothing allocated yet). */
void sendbuf_init(struct sendbuf *sb, size_t limit);
void sendbuf_fini(struct sendbuf *sb);
/* Set the limit (the waiting bytes stay, even above a smaller limit). */
void sendbuf_set_limit(struct sendbuf *sb, size_t limit);
/* Bytes waiting to be sent. */
size_t sendbuf_used(const struct sendbuf *sb);
/* Free bytes: limit - used, 0 when over the limit (tcpsendfree). */
size_t sendbuf_free(const struct sendbuf *sb);
/* Would n more bytes be taken? (they fit in the free space, or the
** buffer is empty) */
bool sendbuf_fits(const struct sendbuf *sb, size_t n);
/* Append n bytes: RF_OK, RF_EAGAIN (does not fit: nothing taken) or
** RF_ENOMEM. force takes them whatever the limit (the boot conversation's
** own frames, which are small and come on an empty buffer). */
enum rf_status sendbuf_push(struct sendbuf *sb, const void *p, size_t n,
                            bool force);
/* The waiting bytes (contiguous), *n of them; NULL when empty. */
const uint8_t *sendbuf_peek(const struct sendbuf *sb, size_t *n);
/* Drop the first n waiting bytes (they were sent). */
void sendbuf_consume(struct sendbuf *sb, size_t n);
/* Drop everything waiting (the session closed: unsent data is lost). */
void sendbuf_clear(struct sendbuf *sb);

#endif
