/*
** libblob.c: the imp's blob class: a growable byte buffer with a cursor
** (readn/writen, seek/tell/eos, readstring/writestring, readblob/
** writeblob), byte indexing and foreach. Written on sq.h alone; the
** bytes live in counted memory freed by the instance's release hook.
*/
#include "sq.h"

#include <string.h>

static const char blobtag = 0;
#define BLOBCLASSKEY "\x01" "blobclass"

struct blob {
  uint8_t *data;
  uint32_t len, cap, pos;
};

static void blob_release(sq_vm *vm, void *up) {
  struct blob *b = up;
  if (b->data)
    sq_realloc(vm, b->data, b->cap, 0);
  sq_realloc(vm, b, sizeof(*b), 0);
}

static struct blob *self(sq_vm *vm) {
  return sq_getinstanceup(vm, 1, &blobtag);
}

#define SELF(b)                                              \
  struct blob *b = self(vm);                                 \
  if (!b)                                                    \
    return sq_error(vm, "the blob is invalid (not a blob)");

/* Makes room for n bytes (len unchanged). Fails only by SQ_ERRMEM. */
static void reserve(sq_vm *vm, struct blob *b, uint32_t n) {
  if (n <= b->cap)
    return;
  uint32_t c = b->cap ? b->cap : 16;
  while (c < n)
    c = c > 0x7fffffffu / 2 ? n : c * 2;
  b->data = sq_realloc(vm, b->data, b->cap, c);
  memset(b->data + b->cap, 0, c - b->cap);
  b->cap = c;
}

static void setlen(sq_vm *vm, struct blob *b, uint32_t n) {
  reserve(vm, b, n);
  if (n > b->len)
    memset(b->data + b->len, 0, n - b->len);
  b->len = n;
  if (b->pos > n)
    b->pos = n;
}

static int blob_ctor(sq_vm *vm) {
  int32_t n = 0;
  if (sq_gettop(vm) >= 2 && sq_checkint(vm, 2, &n))
    return -1;
  if (n < 0)
    return sq_error(vm, "cannot create blob with negative size");
  struct blob *b = sq_realloc(vm, NULL, 0, sizeof(*b));
  memset(b, 0, sizeof(*b));
  sq_setinstanceup(vm, 1, b);
  setlen(vm, b, (uint32_t)n);
  return 0;
}

static int blob_len(sq_vm *vm) {
  SELF(b);
  sq_pushint(vm, (int32_t)b->len);
  return 1;
}

static int blob_tell(sq_vm *vm) {
  SELF(b);
  sq_pushint(vm, (int32_t)b->pos);
  return 1;
}

static int blob_eos(sq_vm *vm) {
  SELF(b);
  if (b->pos >= b->len)
    sq_pushint(vm, 1);
  else
    sq_pushnull(vm);
  return 1;
}

static int blob_seek(sq_vm *vm) {
  SELF(b);
  int32_t off, origin = 'b';
  if (sq_checkint(vm, 2, &off))
    return -1;
  if (sq_gettop(vm) >= 3 && sq_checkint(vm, 3, &origin))
    return -1;
  int64_t base;
  switch (origin) {
  case 'b': base = 0; break;
  case 'c': base = b->pos; break;
  case 'e': base = b->len; break;
  default: return sq_error(vm, "invalid origin");
  }
  int64_t p = base + off;
  if (p < 0 || p > b->len)
    return sq_error(vm, "seek out of bounds");
  b->pos = (uint32_t)p;
  return 0;
}

static int blob_resize(sq_vm *vm) {
  SELF(b);
  int32_t n;
  if (sq_checkint(vm, 2, &n))
    return -1;
  if (n < 0)
    return sq_error(vm, "negative size");
  setlen(vm, b, (uint32_t)n);
  return 0;
}

static int typesize(int32_t t) {
  switch (t) {
  case 'c': case 'b': return 1;
  case 's': case 'w': return 2;
  case 'i': case 'f': return 4;
  case 'd': return 8;
  default: return 0;
  }
}

static int blob_readn(sq_vm *vm) {
  SELF(b);
  int32_t t;
  if (sq_checkint(vm, 2, &t))
    return -1;
  int n = typesize(t);
  if (!n)
    return sq_error(vm, "invalid type");
  if ((uint64_t)b->pos + (uint64_t)n > b->len)
    return sq_error(vm, "io error");
  const uint8_t *p = b->data + b->pos;
  b->pos += (uint32_t)n;
  switch (t) {
  case 'c': sq_pushint(vm, (int8_t)p[0]); break;
  case 'b': sq_pushint(vm, p[0]); break;
  case 's': sq_pushint(vm, (int16_t)(p[0] | p[1] << 8)); break;
  case 'w': sq_pushint(vm, (uint16_t)(p[0] | p[1] << 8)); break;
  case 'i': {
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                 (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    sq_pushint(vm, (int32_t)u);
    break;
  }
  case 'f': {
    float f;
    memcpy(&f, p, 4);
    sq_pushfloat(vm, f);
    break;
  }
  default: {
    double d;
    memcpy(&d, p, 8);
    sq_pushfloat(vm, (float)d);
    break;
  }
  }
  return 1;
}

/* Writes n bytes at the cursor, growing the blob. */
static void put(sq_vm *vm, struct blob *b, const void *src, uint32_t n) {
  if (n == 0)
    return;
  uint32_t end = b->pos + n;
  if (end > b->len)
    setlen(vm, b, end);
  memcpy(b->data + b->pos, src, n);
  b->pos = end;
}

/* blob.writen(value, type). A value that is not a number writes as many
** zero bytes as the type takes (REG-053: impOS 36 fixed a writen that
** wrote whatever memory held), rather than throwing. */
static int blob_writen(sq_vm *vm) {
  SELF(b);
  int32_t t;
  if (sq_checkint(vm, 3, &t))
    return -1;
  uint8_t buf[8] = {0};
  int n = typesize(t);
  if (!n)
    return sq_error(vm, "invalid type");
  if (!sq_isnumber(vm, 2)) {
    /* zeros, as buf already holds */
  } else if (t == 'f') {
    float f = sq_tofloat(vm, 2);
    memcpy(buf, &f, 4);
  } else if (t == 'd') {
    double d = sq_tofloat(vm, 2);
    memcpy(buf, &d, 8);
  } else {
    uint32_t u = (uint32_t)sq_toint(vm, 2);
    for (int k = 0; k < n; k++)
      buf[k] = (uint8_t)(u >> (8 * k));
  }
  put(vm, b, buf, (uint32_t)n);
  return 0;
}

static int blob_writestring(sq_vm *vm) {
  SELF(b);
  const char *s;
  size_t n;
  if (sq_checkstr(vm, 2, &s, &n))
    return -1;
  put(vm, b, s, (uint32_t)n);
  return 0;
}

static int blob_readstring(sq_vm *vm) {
  SELF(b);
  int32_t n;
  if (sq_checkint(vm, 2, &n))
    return -1;
  if (n < 0)
    return sq_error(vm, "invalid size");
  uint32_t avail = b->len - b->pos;
  if ((uint32_t)n > avail)
    n = (int32_t)avail;
  sq_pushstring(vm, (const char *)b->data + b->pos, (size_t)n);
  b->pos += (uint32_t)n;
  return 1;
}

/* Pushes a new blob holding n bytes from src. */
static int newblob(sq_vm *vm, const void *src, size_t n) {
  int st;
  if ((st = sq_pushconsts(vm)) != SQ_OK)
    return st;
  if ((st = sq_pushstring(vm, BLOBCLASSKEY, SIZE_MAX)) != SQ_OK ||
      (st = sq_rawget(vm, -2)) != SQ_OK) {
    sq_pop(vm, 1);
    return st;
  }
  sq_remove(vm, -2);
  if ((st = sq_createinstance(vm, -1)) != SQ_OK) {
    sq_pop(vm, 1);
    return st;
  }
  sq_remove(vm, -2);
  struct blob *b = sq_realloc(vm, NULL, 0, sizeof(*b));
  if (!b) {
    sq_pop(vm, 1);
    return SQ_ERRMEM;
  }
  memset(b, 0, sizeof(*b));
  sq_setinstanceup(vm, -1, b);
  if (n) {
    if (n > 0x7fffffffu)
      return SQ_ERRMEM;
    uint8_t *d = sq_realloc(vm, NULL, 0, n);
    if (!d)
      return SQ_ERRMEM;
    if (src)
      memcpy(d, src, n);
    else
      memset(d, 0, n);
    b->data = d;
    b->cap = b->len = (uint32_t)n;
  }
  return SQ_OK;
}

static int blob_readblob(sq_vm *vm) {
  SELF(b);
  int32_t n;
  if (sq_checkint(vm, 2, &n))
    return -1;
  if (n < 0)
    return sq_error(vm, "invalid size");
  uint32_t avail = b->len - b->pos;
  if ((uint32_t)n > avail)
    n = (int32_t)avail;
  if (newblob(vm, b->data + b->pos, (size_t)n) != SQ_OK)
    return -1;
  b->pos += (uint32_t)n;
  return 1;
}

static int blob_writeblob(sq_vm *vm) {
  SELF(b);
  struct blob *src = sq_getinstanceup(vm, 2, &blobtag);
  if (!src)
    return sq_error(vm, "parameter 1 has an invalid type '%s' ; "
                    "expected: 'blob'", sq_typename(sq_gettype(vm, 2)));
  uint32_t n = src->len;
  if (src == b) {
    uint8_t tmpcopy[256];
    if (n <= sizeof tmpcopy) {
      memcpy(tmpcopy, src->data, n);
      put(vm, b, tmpcopy, n);
      return 0;
    }
    uint8_t *t = sq_realloc(vm, NULL, 0, n);
    memcpy(t, src->data, n);
    put(vm, b, t, n);
    sq_realloc(vm, t, n, 0);
    return 0;
  }
  put(vm, b, src->data, n);
  return 0;
}

static int blob_tostring(sq_vm *vm) {
  SELF(b);
  sq_pushstring(vm, (const char *)b->data, b->len);
  return 1;
}

static int blob_typeof(sq_vm *vm) {
  sq_pushstring(vm, "blob", 4);
  return 1;
}

static int blob_get(sq_vm *vm) {
  SELF(b);
  if (!sq_isnumber(vm, 2)) {
    sq_pushnull(vm);
    return sq_throw(vm);   /* not found: methods and default delegates */
  }
  int32_t i = sq_toint(vm, 2);
  if (i < 0 || (uint32_t)i >= b->len)
    return sq_error(vm, "index out of range");
  sq_pushint(vm, b->data[i]);
  return 1;
}

static int blob_set(sq_vm *vm) {
  SELF(b);
  if (!sq_isnumber(vm, 2)) {
    sq_pushnull(vm);
    return sq_throw(vm);
  }
  int32_t i = sq_toint(vm, 2);
  if (i < 0 || (uint32_t)i >= b->len)
    return sq_error(vm, "index out of range");
  int32_t v;
  if (sq_checkint(vm, 3, &v))
    return -1;
  b->data[i] = (uint8_t)v;
  sq_pushvalue(vm, 3);
  return 1;
}

static int blob_nexti(sq_vm *vm) {
  SELF(b);
  int32_t next = 0;
  if (sq_gettype(vm, 2) != SQ_TNULL)
    next = sq_toint(vm, 2) + 1;
  if ((uint32_t)next >= b->len)
    return 0;
  sq_pushint(vm, next);
  return 1;
}

static int blob_cloned(sq_vm *vm) {
  struct blob *src = sq_getinstanceup(vm, 2, &blobtag);
  if (!src)
    return 0;
  struct blob *b = sq_realloc(vm, NULL, 0, sizeof(*b));
  memset(b, 0, sizeof(*b));
  sq_setinstanceup(vm, 1, b);
  setlen(vm, b, src->len);
  if (src->len)
    memcpy(b->data, src->data, src->len);
  b->pos = src->pos;
  return 0;
}

static void swapbytes(struct blob *b, int w) {
  for (uint32_t i = 0; i + (uint32_t)w <= b->len; i += (uint32_t)w)
    for (int k = 0; k < w / 2; k++) {
      uint8_t t = b->data[i + (uint32_t)k];
      b->data[i + (uint32_t)k] = b->data[i + (uint32_t)(w - 1 - k)];
      b->data[i + (uint32_t)(w - 1 - k)] = t;
    }
}

static int blob_swap2(sq_vm *vm) {
  SELF(b);
  swapbytes(b, 2);
  return 0;
}

static int blob_swap4(sq_vm *vm) {
  SELF(b);
  swapbytes(b, 4);
  return 0;
}

static int blob_flush(sq_vm *vm) {
  (void)vm;
  return 0;
}

static const struct sq_reg blobmethods[] = {
  { "constructor", blob_ctor, -1 },
  { "len", blob_len, 1 },
  { "tell", blob_tell, 1 },
  { "eos", blob_eos, 1 },
  { "seek", blob_seek, -2 },
  { "resize", blob_resize, 2 },
  { "readn", blob_readn, 2 },
  { "writen", blob_writen, 3 },
  { "readstring", blob_readstring, 2 },
  { "writestring", blob_writestring, 2 },
  { "readblob", blob_readblob, 2 },
  { "writeblob", blob_writeblob, 2 },
  { "tostring", blob_tostring, 1 },
  { "swap2", blob_swap2, 1 },
  { "swap4", blob_swap4, 1 },
  { "flush", blob_flush, 1 },
  { "_tostring", blob_tostring, 1 },
  { "_typeof", blob_typeof, 1 },
  { "_get", blob_get, 2 },
  { "_set", blob_set, 3 },
  { "_nexti", blob_nexti, 2 },
  { "_cloned", blob_cloned, 2 },
  { NULL, NULL, 0 }
};

int sq_openbloblib(sq_vm *vm) {
  int top = sq_gettop(vm);
  int st;
  if ((st = sq_newclass(vm, false)) != SQ_OK)
    goto done;
  int c = sq_gettop(vm);
  sq_settypetag(vm, c, &blobtag);
  sq_setreleasehook(vm, c, blob_release);
  if ((st = sq_register(vm, c, blobmethods)) != SQ_OK)
    goto done;
  /* the class under a key no script can name, and as root.blob */
  if ((st = sq_pushconsts(vm)) != SQ_OK ||
      (st = sq_pushstring(vm, BLOBCLASSKEY, SIZE_MAX)) != SQ_OK ||
      (st = sq_pushvalue(vm, c)) != SQ_OK ||
      (st = sq_newslot(vm, c + 1)) != SQ_OK)
    goto done;
  sq_pop(vm, 1);
  if ((st = sq_pushroot(vm)) != SQ_OK ||
      (st = sq_pushstring(vm, "blob", 4)) != SQ_OK ||
      (st = sq_pushvalue(vm, c)) != SQ_OK)
    goto done;
  st = sq_newslot(vm, c + 1);
done:
  sq_settop(vm, top);
  return st;
}

int sq_newblob(sq_vm *vm, const void *data, size_t len) {
  int top = sq_gettop(vm);
  int st = newblob(vm, data, len);
  if (st != SQ_OK)
    sq_settop(vm, top);
  return st;
}

int sq_getblob(sq_vm *vm, int idx, uint8_t **data, size_t *len) {
  struct blob *b = sq_getinstanceup(vm, idx, &blobtag);
  if (!b)
    return -1;
  if (data)
    *data = b->data;
  if (len)
    *len = b->len;
  return 0;
}
