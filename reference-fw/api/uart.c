/*
** uart.c: the board's UARTs (hardware.uart57, hardware.uartDM, ...) with
** the jig as the far end (HW-025): configure() reports the line settings
** (UartConfig), write() sends the bytes to the jig (UartTx), bytes from
** the jig (UartRx) fill a 256-byte receive FIFO read with read(),
** readstring() and readblob(), and call the callback once per arrival.
*/
#include "api/api_int.h"

#include <string.h>

/* configure() flags and callback events (constants.md "UART"). */
#define NO_CTSRTS 0x01
#define NO_TX 0x02
#define NO_RX 0x04
#define CALLBACK_WITH_FLAGS 0x08
#define READ_READY 1
#define OVERRUN_ERROR 32

#define BAUD_MIN 300
#define BAUD_MAX 4000000

static const char uart_tag;

static struct api_uart *uart_of(sq_vm *vm, const char *fn) {
  struct api_uart *u = sq_getinstanceup(vm, 1, &uart_tag);
  if (!u)
    sq_error(vm, "uart.%s: not a UART", fn);
  return u;
}

/* The UART, which must be configured. */
static struct api_uart *ready(sq_vm *vm, const char *fn) {
  struct api_uart *u = uart_of(vm, fn);
  if (u && !u->configured) {
    sq_error(vm, "%s.%s: the UART is not configured", u->name, fn);
    return NULL;
  }
  return u;
}

static void report_config(struct api *a, const struct api_uart *u,
                          uint32_t word, uint32_t parity, uint32_t stop) {
  struct api_event ev = {.kind = API_EV_UART_CONFIG, .bus = u->name,
                         .number = (int32_t)u->baud, .word_size = word,
                         .parity = parity, .stop_bits = stop,
                         .flags = u->flags};
  api_observe(a, &ev);
}

/* configure(baud, wordSize, parity, stopBits, flags[, callback]) -> the
** baud rate set. Every argument is checked before anything changes. */
static int uart_configure(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_uart *u = uart_of(vm, "configure");
  int32_t baud, word, parity, stop, flags;
  if (!u || sq_checkint(vm, 2, &baud) < 0 || sq_checkint(vm, 3, &word) < 0 ||
      sq_checkint(vm, 4, &parity) < 0 || sq_checkint(vm, 5, &stop) < 0 ||
      sq_checkint(vm, 6, &flags) < 0)
    return -1;
  if (baud < BAUD_MIN || baud > BAUD_MAX)
    return sq_error(vm, "%s.configure: baud rate %d is outside %d to %d",
                    u->name, (int)baud, BAUD_MIN, BAUD_MAX);
  if (word != 7 && word != 8)
    return sq_error(vm, "%s.configure: word size must be 7 or 8",
                    u->name);
  if (parity < 0 || parity > 2)
    return sq_error(vm, "%s.configure: parity must be PARITY_NONE, "
                        "PARITY_EVEN or PARITY_ODD", u->name);
  if (stop != 1 && stop != 2)
    return sq_error(vm, "%s.configure: stop bits must be 1 or 2", u->name);
  if (flags & ~(NO_CTSRTS | NO_TX | NO_RX | CALLBACK_WITH_FLAGS))
    return sq_error(vm, "%s.configure: unknown flags 0x%x", u->name,
                    (unsigned)flags);
  enum sq_type t = sq_gettop(vm) >= 7 ? sq_gettype(vm, 7) : SQ_TNULL;
  if (t != SQ_TNULL && t != SQ_TCLOSURE && t != SQ_TNATIVE)
    return sq_error(vm, "%s.configure: the callback must be a function",
                    u->name);
  if (a->stopped)
    return 0;
  if (sq_gettop(vm) >= 7)
    api_setref(a, &u->callback, 7);
  else
    api_clearref(a, &u->callback);
  u->configured = true;
  u->baud = (uint32_t)baud;
  u->flags = (uint32_t)flags;
  u->callback_flags = flags & CALLBACK_WITH_FLAGS;
  u->rx_len = 0;
  u->overrun = false;
  report_config(a, u, (uint32_t)word, (uint32_t)parity, (uint32_t)stop);
  sq_pushint(vm, baud);
  return 1;
}

static int uart_disable(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_uart *u = uart_of(vm, "disable");
  if (!u)
    return -1;
  if (u->configured && !a->stopped) {
    u->configured = false;
    api_clearref(a, &u->callback);
    u->baud = 0;
    report_config(a, u, 0, 0, 0);
  }
  return 0;
}

/* write(data): a string, a blob or one byte (an Integer). */
static int uart_write(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_uart *u = ready(vm, "write");
  if (!u)
    return -1;
  uint8_t byte, *bd;
  const uint8_t *data;
  size_t len;
  if (sq_getblob(vm, 2, &bd, &len) == 0) {
    data = bd;
  } else if (sq_gettype(vm, 2) == SQ_TINTEGER) {
    byte = (uint8_t)sq_toint(vm, 2);
    data = &byte;
    len = 1;
  } else {
    const char *s;
    if (sq_checkstr(vm, 2, &s, &len) < 0)
      return -1;
    data = (const uint8_t *)s;
  }
  if (u->flags & NO_TX)
    return sq_error(vm, "%s.write: the UART was configured with NO_TX",
                    u->name);
  if (len && !a->stopped) {
    struct api_event ev = {.kind = API_EV_UART_TX, .bus = u->name,
                           .data = data, .len = len};
    api_observe(a, &ev);
  }
  sq_pushint(vm, 0);
  return 1;
}

/* Take up to n bytes off the FIFO into out; returns how many. */
static size_t take(struct api_uart *u, uint8_t *out, size_t n) {
  if (n > u->rx_len)
    n = u->rx_len;
  memcpy(out, u->rx, n);
  memmove(u->rx, u->rx + n, u->rx_len - n);
  u->rx_len -= n;
  return n;
}

/* read() -> the next byte, or -1 when none has arrived. */
static int uart_read(sq_vm *vm) {
  struct api_uart *u = ready(vm, "read");
  uint8_t b;
  if (!u)
    return -1;
  sq_pushint(vm, take(u, &b, 1) ? b : -1);
  return 1;
}

/* The optional maximum length at index 2 (default: everything). */
static bool max_len(sq_vm *vm, size_t *n) {
  int32_t m;
  *n = API_UART_FIFO;
  if (sq_gettop(vm) < 2)
    return true;
  if (sq_checkint(vm, 2, &m) < 0)
    return false;
  if (m < 0) {
    sq_error(vm, "uart read: a negative length");
    return false;
  }
  *n = (size_t)m;
  return true;
}

static int uart_readstring(sq_vm *vm) {
  struct api_uart *u = ready(vm, "readstring");
  uint8_t buf[API_UART_FIFO];
  size_t n;
  if (!u || !max_len(vm, &n))
    return -1;
  n = take(u, buf, n);
  sq_pushstring(vm, (const char *)buf, n);
  return 1;
}

static int uart_readblob(sq_vm *vm) {
  struct api_uart *u = ready(vm, "readblob");
  uint8_t buf[API_UART_FIFO];
  size_t n;
  if (!u || !max_len(vm, &n))
    return -1;
  n = take(u, buf, n);
  if (sq_newblob(vm, buf, n) != SQ_OK)
    return sq_error(vm, "uart.readblob: out of memory");
  return 1;
}

/* flush(): the model sends each write at once, so there is nothing to
** wait for. */
static int uart_flush(sq_vm *vm) {
  return ready(vm, "flush") ? 0 : -1;
}

/* setrxfifosize/settxfifosize(n): accepted; the FIFO stays 256 bytes. */
static int uart_fifosize(sq_vm *vm) {
  int32_t n;
  if (!uart_of(vm, "setrxfifosize") || sq_checkint(vm, 2, &n) < 0)
    return -1;
  if (n < 1)
    return sq_error(vm, "uart: a FIFO size must be at least 1");
  return 0;
}

static const struct sq_reg uart_fns[] = {
    {"configure", uart_configure, -6},
    {"disable", uart_disable, 1},
    {"write", uart_write, 2},
    {"read", uart_read, 1},
    {"readstring", uart_readstring, -1},
    {"readblob", uart_readblob, -1},
    {"flush", uart_flush, 1},
    {"setrxfifosize", uart_fifosize, 2},
    {"settxfifosize", uart_fifosize, 2},
    {NULL, NULL, 0}};

int api_uart_open(struct api *a) {
  int st;
  for (size_t i = 0; i < BOARD_MAX_BUSES; i++)
    a->uarts[i].callback = -1; /* every slot: api_has_work looks at all */
  for (size_t i = 0; i < BOARD_MAX_BUSES && a->board->uarts[i]; i++) {
    a->uarts[i].name = a->board->uarts[i];
    if ((st = api_hw_object(a, a->board->uarts[i], &uart_tag, uart_fns,
                            &a->uarts[i])) != SQ_OK)
      return st;
  }
  return SQ_OK;
}

bool api_uart_input(struct api *a, const char *uart, const uint8_t *data,
                    size_t n) {
  if (!a || a->stopped)
    return false;
  for (size_t i = 0; i < BOARD_MAX_BUSES && a->uarts[i].name; i++) {
    struct api_uart *u = &a->uarts[i];
    if (strcmp(u->name, uart) != 0)
      continue;
    if (!u->configured || (u->flags & NO_RX))
      return false;
    size_t room = API_UART_FIFO - u->rx_len;
    if (n > room) {
      u->overrun = true; /* the FIFO keeps what fits */
      n = room;
    }
    memcpy(u->rx + u->rx_len, data, n);
    u->rx_len += n;
    if (u->callback >= 0) {
      sq_pushref(a->vm, u->callback);
      struct api_pending q = {.fn = sq_ref(a->vm, -1), .arg = -1};
      sq_pop(a->vm, 1);
      if (u->callback_flags) {
        q.has_int = true;
        q.int_arg = READ_READY | (u->overrun ? OVERRUN_ERROR : 0);
      }
      u->overrun = false;
      if (q.fn >= 0)
        api_queue(a, &q);
    }
    return true;
  }
  return false;
}
