/*
** hal.h: the whole contract between refimp and a board.
** core/ and api/ call only these functions; hal/posix (a Linux process),
** and later hal/sim and hal/bare, implement them. Nothing here knows the
** wire protocol, the store layout or Squirrel.
*/
#ifndef REFIMP_HAL_HAL_H
#define REFIMP_HAL_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Status codes of every hal_* call; 0 is success. Never renumbered. */
#define HAL_STATUS_LIST(X)                                   \
  X(HAL_OK, "ok")                                            \
  X(HAL_EIO, "I/O error")                                    \
  X(HAL_ENOTSUP, "not supported by this board")              \
  X(HAL_EAGAIN, "nothing available yet")                     \
  X(HAL_ECLOSED, "the peer closed the connection")           \
  X(HAL_ETIMEOUT, "deadline passed")                         \
  X(HAL_ENOMEM, "out of memory")                             \
  X(HAL_EINVAL, "invalid argument")                          \
  X(HAL_ECERT, "the peer's certificate was refused")         \
  X(HAL_ESTOP, "the board is shutting down")                 \
  X(HAL_ENOPROXY, "cannot connect through the proxy")        \
  X(HAL_EPROXYAUTH, "the proxy refused the credentials")

enum hal_status {
#define X(code, text) code,
  HAL_STATUS_LIST(X)
#undef X
};

/* The text of a status code (never NULL). */
const char *hal_status_text(enum hal_status st);

/* ---- time and events ---------------------------------------------------- */

/* Milliseconds on a monotonic clock (virtual under a jig clock, later).
** Only the main loop reads it, once per turn; core/ gets "now" passed. */
uint64_t hal_now_ms(void);

/* Sleep until until_ms (hal_now_ms time; UINT64_MAX: no deadline) or until
** something may have arrived on the connection or the jig, or the board
** is asked to stop. Spurious wake-ups are allowed. */
enum hal_status hal_wait_event(uint64_t until_ms);

/* ---- virtual time --------------------------------------------------------
** A board may run on a virtual clock that the test jig drives (jig.md,
** "Device time"): hal_now_ms() then moves only up to the limit the jig
** allows, jumping from one deadline to the next without real waiting. */

/* True when device time is the virtual clock. */
bool hal_clock_virtual(void);

/* Allow the virtual clock to run up to until_ms (never backwards: a lower
** value is ignored). hal_wait_event(d) then jumps to d when d <= until_ms,
** else to until_ms, and only then waits for an event. Real-time boards
** ignore it. */
void hal_clock_allow(uint64_t until_ms);

/* ---- power: why the board started, retained RAM -------------------------
** Retained RAM keeps what survives deep sleep but not power loss (the RTC
** and the nv table, seeds/003); a power-on starts with it empty. */

enum hal_wake {
  HAL_WAKE_POWER_ON = 0, /* power applied (or a cold reset) */
  HAL_WAKE_TIMER = 1,    /* the deep-sleep timer fired */
  HAL_WAKE_PIN = 2,      /* the wake pin rose during deep sleep */
  HAL_WAKE_HW_RESET = 3  /* RESET_L pulsed: a cold boot like a power-on */
};
enum hal_wake hal_wake_cause(void);

/* Read all of retained RAM into buf: HAL_OK with *n bytes, HAL_EAGAIN
** (empty), HAL_EIO, HAL_ENOTSUP. */
enum hal_status hal_retained_load(void *buf, size_t cap, size_t *n);
/* Replace retained RAM with n bytes (all or nothing). */
enum hal_status hal_retained_save(const void *buf, size_t n);
void hal_retained_clear(void);

/* ---- logging ------------------------------------------------------------ */

/* Write one log line (no newline in msg). The board adds its prefix. */
void hal_log(const char *msg);

/* ---- memory ------------------------------------------------------------- */

/* The board's heap. hal_mem_alloc returns NULL when out of memory. */
void *hal_mem_alloc(size_t n);
void hal_mem_free(void *p);

/* ---- flash -------------------------------------------------------------- */

/* The simulated flash: hal_flash_size() bytes, erased state 0xff. A write
** that fails may have written any prefix of its bytes (a power cut).
** Reads and writes outside the flash return HAL_EINVAL. */
uint32_t hal_flash_size(void);
enum hal_status hal_flash_read(uint32_t off, void *buf, size_t n);
enum hal_status hal_flash_write(uint32_t off, const void *buf, size_t n);
enum hal_status hal_flash_sync(void);

/* The user area of the SPI flash (hardware.spiflash), apart from the
** store's flash above: hal_spiflash_size() bytes (0: none, the area then
** lives in RAM only), erased state 0xff; a write stores its bytes as
** they are (the NOR rules are the caller's). Out of range: HAL_EINVAL. */
uint32_t hal_spiflash_size(void);
enum hal_status hal_spiflash_read(uint32_t off, void *buf, size_t n);
enum hal_status hal_spiflash_write(uint32_t off, const void *buf, size_t n);

/* Fault injection (boards without it return HAL_ENOTSUP): after `bytes`
** more bytes have been written, the power is cut: the write in progress
** stores only its first bytes and fails, and so does every later write
** and sync until hal_flash_fault_clear(). */
enum hal_status hal_flash_fault_cut_after(uint64_t bytes);
void hal_flash_fault_clear(void);
/* Bytes written since the board started (or the last fault_clear). */
uint64_t hal_flash_bytes_written(void);
/* The jig's power cut (jig.md "Flash faults"): as hal_flash_fault_cut_after,
** but at the cut the whole board loses power: this call's caller never
** learns of it, the program ends there. HAL_ENOTSUP without it. */
enum hal_status hal_flash_fault_power_cut_after(uint64_t bytes);
/* A bad read (a flaky SPI bus): the next n hal_flash_read calls fail
** with HAL_EIO and fill nothing. HAL_ENOTSUP without it. */
enum hal_status hal_flash_fault_read_errors(uint32_t n);

/* ---- crypto and entropy ------------------------------------------------- */

/* SHA-256 of n bytes (a crypto engine on a real board). */
void hal_sha256(const void *data, size_t n, uint8_t out[32]);

/* Fill buf with n random bytes. */
enum hal_status hal_entropy(void *buf, size_t n);

/* ---- the cloud connection (TLS under it) -------------------------------- */

/* An HTTP proxy to reach the server through (REG-010): CONNECT host:port,
** then TLS to the server inside the tunnel. */
struct hal_proxy {
  const char *addr;     /* numeric IPv4 or IPv6 address of the proxy */
  uint16_t port;
  const char *user;     /* NULL or "": no Proxy-Authorization */
  const char *password;
};

struct hal_endpoint {
  const char *host;   /* server name: SNI and certificate name check */
  const char *addr;   /* numeric IPv4 or IPv6 address to connect to */
  uint16_t port;
  const struct hal_proxy *proxy; /* NULL: connect directly */
};

struct hal_conn;

/* Open a TCP connection and a TLS (>= 1.2) session on it, verifying the
** server's chain against the factory CA and its name against ep->host.
** Blocks until done or the board's connect timeout. On failure *out is
** NULL and why (why_cap bytes) says what failed (with the TLS library's
** reason). Returns HAL_OK, HAL_EIO (TCP or TLS failure), HAL_ECERT (the
** certificate was refused: no application data was sent), HAL_ETIMEOUT,
** HAL_ESTOP (asked to stop meanwhile) or HAL_ENOMEM; through a proxy also
** HAL_ENOPROXY (the proxy is unreachable or refused the tunnel) and
** HAL_EPROXYAUTH (it asked for other credentials: 407). */
enum hal_status hal_conn_open(const struct hal_endpoint *ep,
                              struct hal_conn **out, char *why,
                              size_t why_cap);

/* True if the handshake resumed a TLS session of an earlier connection to
** the same host and port (boards keep a few; none: false). */
bool hal_conn_resumed(const struct hal_conn *c);

/* Write what the connection takes of n bytes without blocking: HAL_OK
** with *wrote (0 when it is full: the peer is not reading), HAL_EIO,
** HAL_ECLOSED. After *wrote == 0 the next call must offer the same bytes
** again (TLS may have taken them in part); more may follow them. */
enum hal_status hal_conn_write(struct hal_conn *c, const void *buf, size_t n,
                               size_t *wrote);

/* Bytes written that the peer's TCP has not acknowledged yet (0 when the
** board cannot tell). */
size_t hal_conn_unacked(struct hal_conn *c);

/* Receive up to cap bytes without blocking. HAL_OK with *got > 0,
** HAL_EAGAIN (nothing yet), HAL_ECLOSED (peer closed), HAL_EIO. */
enum hal_status hal_conn_recv(struct hal_conn *c, void *buf, size_t cap,
                              size_t *got);

/* Close and free (c may be NULL). */
void hal_conn_close(struct hal_conn *c);

/* ---- the test jig (a bench jig; boards without one: HAL_ENOTSUP) -------- */

/* Connect to the jig. HAL_OK, HAL_ENOTSUP (no jig on this board), HAL_EIO
** (why says what failed). */
enum hal_status hal_jig_open(char *why, size_t why_cap);
/* Same meanings as hal_conn_send / hal_conn_recv. */
enum hal_status hal_jig_send(const void *buf, size_t n);
enum hal_status hal_jig_recv(void *buf, size_t cap, size_t *got);
void hal_jig_close(void);

#endif
