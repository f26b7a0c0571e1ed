/*
** sendbuf.c: the send buffer, a byte FIFO with a limit (sendbuf.h).
** Bytes sit contiguous from `start`; a push that would run past the end
** moves them to the front first, so peek always returns one block.
*/
#include "core/sendbuf.h"

#include <string.h>

void sendbuf_init(struct sendbuf *sb, size_t limit) {
  memset(sb, 0, sizeof(*sb));
  sb->limit = limit;
}

void sendbuf_fini(struct sendbuf *sb) {
  rf_free(sb->data);
  memset(sb, 0, sizeof(*sb));
}

void sendbuf_set_limit(struct sendbuf *sb, size_t limit) {
  sb->limit = limit;
}

size_t sendbuf_used(const struct sendbuf *sb) { return sb->len; }

size_t sendbuf_free(const struct sendbuf *sb) {
  return sb->len < sb->limit ? sb->limit - sb->len : 0;
}

bool sendbuf_fits(const struct sendbuf *sb, size_t n) {
  return sb->len == 0 || n <= sendbuf_free(sb);
}

/* Room for `need` bytes after the waiting ones, moving or growing. */
static bool make_room(struct sendbuf *sb, size_t need) {
  if (sb->start + sb->len + need <= sb->cap)
    return true;
  if (sb->len + need <= sb->cap) {
    memmove(sb->data, sb->data + sb->start, sb->len);
    sb->start = 0;
    return true;
  }
  size_t cap = sb->limit > sb->len + need ? sb->limit : sb->len + need;
  uint8_t *p = rf_malloc(cap);
  if (!p)
    return false;
  if (sb->len)
    memcpy(p, sb->data + sb->start, sb->len);
  rf_free(sb->data);
  sb->data = p;
  sb->cap = cap;
  sb->start = 0;
  return true;
}

enum rf_status sendbuf_push(struct sendbuf *sb, const void *p, size_t n,
                            bool force) {
  if (!force && !sendbuf_fits(sb, n))
    return RF_EAGAIN;
  if (n == 0)
    return RF_OK;
  if (!make_room(sb, n))
    return RF_ENOMEM;
  memcpy(sb->data + sb->start + sb->len, p, n);
  sb->len += n;
  return RF_OK;
}

const uint8_t *sendbuf_peek(const struct sendbuf *sb, size_t *n) {
  *n = sb->len;
  return sb->len ? sb->data + sb->start : NULL;
}

void sendbuf_consume(struct sendbuf *sb, size_t n) {
  if (n > sb->len)
    n = sb->len;
  sb->start += n;
  sb->len -= n;
  if (sb->len == 0)
    sb->start = 0;
}

void sendbuf_clear(struct sendbuf *sb) {
  sb->start = 0;
  sb->len = 0;
}
