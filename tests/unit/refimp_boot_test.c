/*
** refimp_boot_test.c: the boot state machine (core/boot.h) on a fake
** board: a scripted cloud connection and jig, a virtual clock passed to
** boot_step, the real store on a flash file. Checks the conversation of
** wire.md and the states of seeds/003 without TLS or real time.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "core/boot.h"
#include "hal/hal.h"
#include "hal/posix/hal_posix.h"
#include "jig.pb-c.h"
#include "wire.pb-c.h"

#include "cu_main.h"

/* ---- the fake board --------------------------------------------------------
** Defines every hal_* but flash (hal/posix/flash.c is used), so the linker
** takes no other hal/posix object from librefimp.a. */

struct pipe_buf {
  uint8_t b[1 << 19];
  size_t len, pos;
};

struct hal_conn {
  int unused;
};

/* GLOBAL: the fake board, a test double written by the test and the hal
** functions below, single-threaded. */
static struct {
  uint64_t now;
  bool virt;                /* hal_clock_virtual() */
  enum hal_wake wake;       /* hal_wake_cause() */
  uint8_t retained[8192];   /* retained RAM */
  size_t nretained;
  uint64_t allowed;         /* last hal_clock_allow() */
  uint16_t accept_port;     /* the one port that answers; 0: none */
  bool refuse_cert;
  bool conn_open, cloud_closed;
  struct hal_conn conn;
  struct pipe_buf to_dev, from_dev;
  uint16_t tried[64];
  char tried_host[64][32];  /* host of each attempt (truncated) */
  const char *accept_host;  /* the one host that answers; NULL: any */
  size_t ntried;
  bool jig_up;
  struct pipe_buf jig_in, jig_out;
  char log[1 << 16];
} fk;

const char *hal_status_text(enum hal_status st) {
  return st == HAL_OK ? "ok" : "error";
}
uint64_t hal_now_ms(void) { return fk.now; }
bool hal_clock_virtual(void) { return fk.virt; }
void hal_clock_allow(uint64_t until_ms) { fk.allowed = until_ms; }
enum hal_wake hal_wake_cause(void) { return fk.wake; }
enum hal_status hal_retained_load(void *buf, size_t cap, size_t *n) {
  *n = fk.nretained < cap ? fk.nretained : cap;
  memcpy(buf, fk.retained, *n);
  return fk.nretained ? HAL_OK : HAL_EAGAIN;
}
enum hal_status hal_retained_save(const void *buf, size_t n) {
  if (n > sizeof(fk.retained))
    return HAL_EIO;
  memcpy(fk.retained, buf, n);
  fk.nretained = n;
  return HAL_OK;
}
void hal_retained_clear(void) { fk.nretained = 0; }
enum hal_status hal_wait_event(uint64_t until_ms) {
  (void)until_ms;
  return HAL_OK;
}
void hal_log(const char *msg) {
  size_t n = strlen(fk.log);
  snprintf(fk.log + n, sizeof(fk.log) - n, "%s\n", msg);
}
void *hal_mem_alloc(size_t n) { return malloc(n); }
void hal_mem_free(void *p) { free(p); }
void hal_sha256(const void *data, size_t n, uint8_t out[32]) {
  SHA256(data, n, out);
}
enum hal_status hal_entropy(void *buf, size_t n) {
  memset(buf, 0x42, n);
  return HAL_OK;
}

enum hal_status hal_conn_open(const struct hal_endpoint *ep,
                              struct hal_conn **out, char *why,
                              size_t why_cap) {
  *out = NULL;
  snprintf(fk.tried_host[fk.ntried % 64], 32, "%s", ep->host);
  fk.tried[fk.ntried++ % 64] = ep->port;
  if (ep->port != fk.accept_port ||
      (fk.accept_host && strcmp(ep->host, fk.accept_host) != 0)) {
    snprintf(why, why_cap, "TCP connect: refused");
    return HAL_EIO;
  }
  if (fk.refuse_cert) {
    snprintf(why, why_cap, "certificate refused");
    return HAL_ECERT;
  }
  fk.conn_open = true;
  fk.cloud_closed = false;
  fk.to_dev.len = fk.to_dev.pos = 0;
  fk.from_dev.len = fk.from_dev.pos = 0;
  *out = &fk.conn;
  return HAL_OK;
}

static enum hal_status pipe_put(struct pipe_buf *p, const void *b,
                                size_t n) {
  if (sizeof(p->b) - p->len < n)
    return HAL_EIO;
  memcpy(p->b + p->len, b, n);
  p->len += n;
  return HAL_OK;
}

static size_t pipe_take(struct pipe_buf *p, void *b, size_t cap) {
  size_t n = p->len - p->pos < cap ? p->len - p->pos : cap;
  memcpy(b, p->b + p->pos, n);
  p->pos += n;
  return n;
}

enum hal_status hal_conn_write(struct hal_conn *c, const void *buf,
                               size_t n, size_t *wrote) {
  (void)c;
  *wrote = 0;
  if (fk.cloud_closed)
    return HAL_ECLOSED;
  enum hal_status st = pipe_put(&fk.from_dev, buf, n);
  if (st == HAL_OK)
    *wrote = n;
  return st;
}

enum hal_status hal_conn_recv(struct hal_conn *c, void *buf, size_t cap,
                              size_t *got) {
  (void)c;
  *got = pipe_take(&fk.to_dev, buf, cap);
  if (*got)
    return HAL_OK;
  return fk.cloud_closed ? HAL_ECLOSED : HAL_EAGAIN;
}

size_t hal_conn_unacked(struct hal_conn *c) {
  (void)c;
  return 0;
}

bool hal_conn_resumed(const struct hal_conn *c) {
  (void)c;
  return false;
}

void hal_conn_close(struct hal_conn *c) {
  (void)c;
  fk.conn_open = false;
}

enum hal_status hal_jig_open(char *why, size_t why_cap) {
  (void)why;
  (void)why_cap;
  fk.jig_up = true;
  return HAL_OK;
}
enum hal_status hal_jig_send(const void *buf, size_t n) {
  return pipe_put(&fk.jig_out, buf, n);
}
enum hal_status hal_jig_recv(void *buf, size_t cap, size_t *got) {
  *got = pipe_take(&fk.jig_in, buf, cap);
  return *got ? HAL_OK : HAL_EAGAIN;
}
void hal_jig_close(void) { fk.jig_up = false; }

/* ---- the cloud's and the jig's side ----------------------------------- */

static void put_frame(struct pipe_buf *p, const ProtobufCMessage *m) {
  size_t n = protobuf_c_message_get_packed_size(m);
  uint8_t *b = malloc(n + 4);
  b[0] = (uint8_t)(n >> 24);
  b[1] = (uint8_t)(n >> 16);
  b[2] = (uint8_t)(n >> 8);
  b[3] = (uint8_t)n;
  protobuf_c_message_pack(m, b + 4);
  CU_ASSERT_FATAL(pipe_put(p, b, n + 4) == HAL_OK);
  free(b);
}

/* The next frame the device wrote to p, or NULL. */
static ProtobufCMessage *get_frame(struct pipe_buf *p,
                                   const ProtobufCMessageDescriptor *desc) {
  if (p->len - p->pos < 4)
    return NULL;
  const uint8_t *h = p->b + p->pos;
  size_t n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 |
             h[3];
  CU_ASSERT_FATAL(p->len - p->pos >= 4 + n);
  ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, n, h + 4);
  CU_ASSERT_FATAL(m != NULL);
  p->pos += 4 + n;
  return m;
}

/* The next cloud-bound message; must be of `kind`. */
static Impwire__Envelope *expect(Impwire__Envelope__MsgCase kind) {
  Impwire__Envelope *e = (Impwire__Envelope *)get_frame(
      &fk.from_dev, &impwire__envelope__descriptor);
  CU_ASSERT_FATAL(e != NULL);
  CU_ASSERT_EQUAL_FATAL(e->msg_case, kind);
  return e;
}

static void nothing_more(void) {
  CU_ASSERT_EQUAL(fk.from_dev.len, fk.from_dev.pos);
}

static void cloud_send(Impwire__Envelope *e) {
  put_frame(&fk.to_dev, &e->base);
}

/* The last BootState and Led the jig saw (draining its queue). */
static int jig_state = -1, jig_led = -1, jig_flashing = -1;
static int jig_app = -1;          /* last AppState.running */
static uint32_t jig_app_wake;     /* its wake reason */
static int64_t jig_clock_seq = -1; /* last ClockDone */
static int64_t jig_sleep_ms = -1;  /* last DeepSleep.wake_in_ms */
static uint64_t jig_clock_now;
static void read_jig(void) {
  ProtobufCMessage *m;
  while ((m = get_frame(&fk.jig_out, &impjig__jig_envelope__descriptor))) {
    Impjig__JigEnvelope *j = (Impjig__JigEnvelope *)m;
    if (j->msg_case == IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE)
      jig_state = (int)j->boot_state->state;
    if (j->msg_case == IMPJIG__JIG_ENVELOPE__MSG_APP_STATE) {
      jig_app = j->app_state->running;
      jig_app_wake = j->app_state->wake_reason;
    }
    if (j->msg_case == IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP)
      jig_sleep_ms = (int64_t)j->deep_sleep->wake_in_ms;
    if (j->msg_case == IMPJIG__JIG_ENVELOPE__MSG_CLOCK_DONE) {
      jig_clock_seq = j->clock_done->seq;
      jig_clock_now = j->clock_done->now_ms;
    }
    if (j->msg_case == IMPJIG__JIG_ENVELOPE__MSG_LED) {
      jig_led = (int)j->led->colour;
      jig_flashing = j->led->flashing;
    }
    protobuf_c_message_free_unpacked(m, NULL);
  }
}

static void blinkup(const char *plan, const char *token) {
  Impjig__BlinkUp bu = IMPJIG__BLINK_UP__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  bu.ssid = "net";
  bu.password = "pw";
  bu.plan_id = (char *)plan;
  bu.enrollment_token = (char *)token;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BLINKUP;
  e.blinkup = &bu;
  put_frame(&fk.jig_in, &e.base);
}

/* Run the device until it waits for an event or a later deadline. */
static uint64_t settle(struct boot *b) {
  uint64_t next;
  int guard = 0;
  while ((next = boot_step(b, fk.now)) <= fk.now && ++guard < 1000) {
  }
  CU_ASSERT(guard < 1000);
  read_jig();
  return next;
}

static void fresh(struct boot *b, const struct boot_config *cfg) {
  char dir[] = "/tmp/refimp_boot_XXXXXX", why[256], path[64];
  struct rf_diag d;
  memset(&fk, 0, sizeof(fk));
  jig_state = jig_led = jig_flashing = jig_app = -1;
  jig_clock_seq = jig_sleep_ms = -1;
  CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
  CU_ASSERT_FATAL(hal_posix_flash_open(dir, why, sizeof(why)) == HAL_OK);
  snprintf(path, sizeof(path), "%s/flash.bin", dir);
  unlink(path);
  rmdir(dir);
  CU_ASSERT_FATAL(boot_init(b, cfg, NULL, fk.now, &d) == RF_OK);
}

static struct boot_config config(void) {
  struct boot_config c = {.server_name = "imp.test",
                          .server_addr = "127.0.0.1",
                          .ports = {31314, 993, 443},
                          .nports = 3,
                          .board = "imp003",
                          .os_version = "38.0 refimp 0.1",
                          .mac = "0C2A69ABCDEF"};
  return c;
}

static void answer(bool match, const char *code, const uint8_t *hash,
                   bool erase) {
  Impwire__CloudAnswer a = IMPWIRE__CLOUD_ANSWER__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  uint8_t h[32];
  a.match = match;
  if (code) {
    a.has_code = a.has_code_hash = true;
    a.code.data = (uint8_t *)code;
    a.code.len = strlen(code);
    if (!hash) {
      SHA256((const uint8_t *)code, strlen(code), h);
      hash = h;
    }
    a.code_hash.data = (uint8_t *)hash;
    a.code_hash.len = 32;
  }
  if (erase)
    a.has_erase_credentials = a.erase_credentials = true;
  a.has_rtc_unix_ms = true;
  a.rtc_unix_ms = 1700000000000ull;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER;
  e.cloud_answer = &a;
  cloud_send(&e);
}

static void activation_result(bool ok) {
  Impwire__ActivationResult r = IMPWIRE__ACTIVATION_RESULT__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  r.activated = ok;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_ACTIVATION_RESULT;
  e.activation_result = &r;
  cloud_send(&e);
}

static void free_env(Impwire__Envelope *e) {
  protobuf_c_message_free_unpacked(&e->base, NULL);
}

/* Steps 2 and 3 as they must come; returns nothing, checks fields. */
static void expect_state_and_hash(uint32_t wake, const uint8_t *hash) {
  static const uint8_t zero[32];
  Impwire__Envelope *e = expect(IMPWIRE__ENVELOPE__MSG_DEVICE_STATE);
  CU_ASSERT_STRING_EQUAL(e->device_state->mac, "0c2a69abcdef");
  CU_ASSERT_EQUAL(strlen(e->device_state->device_id), 16u);
  CU_ASSERT_STRING_EQUAL(e->device_state->imp_type, "imp003");
  CU_ASSERT_STRING_EQUAL(e->device_state->os_version, "38.0 refimp 0.1");
  CU_ASSERT_EQUAL(e->device_state->wake_reason, wake);
  CU_ASSERT_EQUAL(e->device_state->boot_count, 1u);
  free_env(e);
  e = expect(IMPWIRE__ENVELOPE__MSG_CODE_HASH);
  CU_ASSERT_EQUAL(e->code_hash->sha256.len, 32u);
  CU_ASSERT_EQUAL(memcmp(e->code_hash->sha256.data, hash ? hash : zero, 32),
                  0);
  free_env(e);
}

/* Factory state to Activated with code, via BlinkUp. */
static void activate_with_code(struct boot *b, const char *code) {
  uint8_t h[32];
  struct boot_config cfg = config();
  fresh(b, &cfg);
  CU_ASSERT_EQUAL(settle(b), UINT64_MAX);
  CU_ASSERT_EQUAL(jig_state, BOOT_UNACTIVATED);
  CU_ASSERT_EQUAL(jig_led, IMPJIG__LED__COLOUR__ORANGE);
  CU_ASSERT_EQUAL(jig_flashing, 1);
  CU_ASSERT_EQUAL(fk.ntried, 0u); /* no connection while Unactivated */
  fk.accept_port = 993;
  blinkup("plan-1", "token-1");
  settle(b);
  CU_ASSERT_EQUAL(jig_state, BOOT_PENDING_ACTIVATION);
  CU_ASSERT_EQUAL(fk.ntried, 2u);
  CU_ASSERT_EQUAL(fk.tried[0], 31314);
  CU_ASSERT_EQUAL(fk.tried[1], 993);
  Impwire__Envelope *e = expect(IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST);
  CU_ASSERT_STRING_EQUAL(e->activation_request->plan_id, "plan-1");
  CU_ASSERT_STRING_EQUAL(e->activation_request->enrollment_token, "token-1");
  free_env(e);
  nothing_more();
  activation_result(true);
  settle(b);
  CU_ASSERT_EQUAL(jig_state, BOOT_ACTIVATED_NO_CODE);
  expect_state_and_hash(BOOT_WAKE_BLINKUP, NULL);
  answer(false, code, NULL, false);
  settle(b);
  CU_ASSERT_EQUAL(jig_state, BOOT_ACTIVATED_WITH_CODE);
  CU_ASSERT_EQUAL(jig_led, IMPJIG__LED__COLOUR__GREEN);
  CU_ASSERT_EQUAL(jig_flashing, 0);
  SHA256((const uint8_t *)code, strlen(code), h);
  CU_ASSERT_EQUAL(memcmp(b->store.code_hash, h, 32), 0);
  CU_ASSERT_TRUE(b->rtc_set);
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "code stored (12 bytes)"));
  nothing_more();
}

static void test_blinkup_to_code(void) {
  struct boot b;
  activate_with_code(&b, "server.log()");
  boot_fini(&b);
}

static void test_reload(void) {
  struct boot b;
  uint8_t h[32];
  activate_with_code(&b, "server.log()");
  Impwire__Reload rl = IMPWIRE__RELOAD__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_RELOAD;
  e.reload = &rl;
  cloud_send(&e);
  settle(&b);
  SHA256((const uint8_t *)"server.log()", 12, h);
  expect_state_and_hash(BOOT_WAKE_NEW_SQUIRREL, h);
  CU_ASSERT_TRUE(fk.conn_open); /* the same session */
  CU_ASSERT_EQUAL(fk.ntried, 2u);
  boot_fini(&b);
}

static void test_hash_mismatch(void) {
  struct boot b;
  uint8_t bad[32] = {0}, h[32];
  activate_with_code(&b, "server.log()");
  SHA256((const uint8_t *)"server.log()", 12, h);
  Impwire__Reload rl = IMPWIRE__RELOAD__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_RELOAD;
  e.reload = &rl;
  cloud_send(&e);
  settle(&b);
  expect_state_and_hash(BOOT_WAKE_NEW_SQUIRREL, h);
  fk.ntried = 0;
  fk.accept_port = 0; /* the new round fails: the back-off shows */
  answer(false, "evil()", bad, false);
  uint64_t next = settle(&b);
  CU_ASSERT_FALSE(fk.conn_open);
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "code hash mismatch"));
  CU_ASSERT_EQUAL(memcmp(b.store.code_hash, h, 32), 0); /* old code kept */
  /* the session closed, then a new round at once from the first port */
  CU_ASSERT_EQUAL(fk.ntried, 3u);
  CU_ASSERT_EQUAL(fk.tried[0], 31314);
  CU_ASSERT_EQUAL(next, fk.now + BOOT_RETRY_MS);
  boot_fini(&b);
}

static void test_erase_credentials(void) {
  struct boot b;
  activate_with_code(&b, "server.log()");
  Impwire__Reload rl = IMPWIRE__RELOAD__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_RELOAD;
  e.reload = &rl;
  cloud_send(&e);
  settle(&b);
  fk.from_dev.pos = fk.from_dev.len;
  answer(false, NULL, NULL, true);
  CU_ASSERT_EQUAL(settle(&b), UINT64_MAX); /* waits for BlinkUp */
  CU_ASSERT_FALSE(fk.conn_open);
  CU_ASSERT_EQUAL(jig_state, BOOT_UNACTIVATED);
  CU_ASSERT_EQUAL(jig_led, IMPJIG__LED__COLOUR__ORANGE);
  CU_ASSERT_EQUAL(jig_flashing, 1);
  CU_ASSERT_STRING_EQUAL(b.store.cfg.plan_id, "");
  CU_ASSERT_FALSE(b.store.cfg.activated);
  CU_ASSERT_STRING_EQUAL(b.store.cfg.mac, "0c2a69abcdef");
  /* time passes: still no connection attempt */
  size_t tried = fk.ntried;
  fk.now += 60000;
  settle(&b);
  CU_ASSERT_EQUAL(fk.ntried, tried);
  boot_fini(&b);
}

/* Ports in order; 1 s back-off after the last, on the virtual clock. */
static void test_ports_and_backoff(void) {
  struct boot b;
  struct boot_config cfg = config();
  fresh(&b, &cfg);
  fk.accept_port = 0; /* nobody answers */
  fk.now = 5000;
  blinkup("p", "t");
  uint64_t next = settle(&b);
  CU_ASSERT_EQUAL(fk.ntried, 3u);
  CU_ASSERT_EQUAL(fk.tried[0], 31314);
  CU_ASSERT_EQUAL(fk.tried[1], 993);
  CU_ASSERT_EQUAL(fk.tried[2], 443);
  CU_ASSERT_EQUAL(next, 6000u);
  CU_ASSERT_EQUAL(jig_led, IMPJIG__LED__COLOUR__RED);
  fk.now = 5999;
  CU_ASSERT_EQUAL(settle(&b), 6000u);
  CU_ASSERT_EQUAL(fk.ntried, 3u);
  fk.now = 6000;
  fk.accept_port = 443;
  settle(&b);
  CU_ASSERT_EQUAL(fk.ntried, 6u);
  CU_ASSERT_EQUAL(fk.tried[3], 31314);
  CU_ASSERT_EQUAL(fk.tried[5], 443);
  CU_ASSERT_TRUE(fk.conn_open);
  CU_ASSERT_EQUAL(jig_led, IMPJIG__LED__COLOUR__GREEN);
  CU_ASSERT_EQUAL(jig_flashing, 0);
  Impwire__Envelope *e = expect(IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST);
  free_env(e);
  /* a lost session: a new round at once, from the first port; a refused
  ** certificate is a failed port too, and nothing is sent */
  fk.cloud_closed = true;
  fk.refuse_cert = true;
  fk.ntried = 0;
  next = settle(&b);
  CU_ASSERT_FALSE(fk.conn_open);
  CU_ASSERT_EQUAL(fk.ntried, 3u);
  CU_ASSERT_EQUAL(fk.tried[0], 31314);
  CU_ASSERT_EQUAL(next, fk.now + BOOT_RETRY_MS);
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "port 443 failed: certificate"));
  boot_fini(&b);
}

/* A session lost while online: reconnect at once, from the first port,
** at step 2 (the back-off is only for a round that failed). */
static void test_session_loss(void) {
  struct boot b;
  uint8_t h[32];
  activate_with_code(&b, "server.log()");
  SHA256((const uint8_t *)"server.log()", 12, h);
  fk.cloud_closed = true;
  fk.ntried = 0;
  uint64_t before = fk.now;
  settle(&b);
  CU_ASSERT_EQUAL(fk.now, before); /* no device time passed */
  CU_ASSERT_EQUAL(b.sessions_lost, 1u);
  CU_ASSERT_EQUAL(fk.ntried, 2u);
  CU_ASSERT_EQUAL(fk.tried[0], 31314);
  CU_ASSERT_EQUAL(fk.tried[1], 993);
  CU_ASSERT_TRUE(fk.conn_open);
  expect_state_and_hash(BOOT_WAKE_BLINKUP, h); /* no activation request */
  boot_fini(&b);
}

/* Bad frames close the session with the reason; the device lives on. */
static void test_bad_frames(void) {
  struct boot b;
  static const uint8_t oversize[] = {0x00, 0x04, 0x00, 0x01, 1, 2, 3};
  static const uint8_t garbage[] = {0, 0, 0, 3, 0xff, 0xff, 0xff};
  activate_with_code(&b, "server.log()");
  CU_ASSERT_FATAL(pipe_put(&fk.to_dev, oversize, sizeof(oversize)) ==
                  HAL_OK);
  fk.ntried = 0;
  settle(&b);
  CU_ASSERT_PTR_NOT_NULL(
      strstr(fk.log, "frame 3: length 262145 exceeds maximum 262144"));
  CU_ASSERT_EQUAL(b.sessions_lost, 1u);
  CU_ASSERT_EQUAL(fk.ntried, 2u); /* closed, and a new session at once */
  CU_ASSERT_TRUE(fk.conn_open);
  CU_ASSERT_FATAL(pipe_put(&fk.to_dev, garbage, sizeof(garbage)) == HAL_OK);
  fk.accept_port = 0; /* stays closed this time */
  settle(&b);
  CU_ASSERT_FALSE(fk.conn_open);
  CU_ASSERT_PTR_NOT_NULL(
      strstr(fk.log, "frame 1: 3 bytes do not decode as Envelope"));
  boot_fini(&b);
}

/* Power cut and power on with the same flash: a cold boot. */
static void power_cycle(struct boot *b) {
  struct boot_config cfg = config();
  struct rf_diag d;
  boot_fini(b);
  fk.conn_open = false;
  fk.to_dev.len = fk.to_dev.pos = fk.from_dev.len = fk.from_dev.pos = 0;
  fk.jig_in.len = fk.jig_in.pos = fk.jig_out.len = fk.jig_out.pos = 0;
  fk.ntried = 0;
  jig_app = -1;
  CU_ASSERT_FATAL(boot_init(b, &cfg, NULL, fk.now, &d) == RF_OK);
}

/* Skip this boot's DeviceState and CodeHash, checking the wake reason. */
static void skip_state_and_hash(uint32_t wake) {
  Impwire__Envelope *e = expect(IMPWIRE__ENVELOPE__MSG_DEVICE_STATE);
  CU_ASSERT_EQUAL(e->device_state->wake_reason, wake);
  free_env(e);
  free_env(expect(IMPWIRE__ENVELOPE__MSG_CODE_HASH));
}

/* [BOOT-015] cold boot with code, the cloud silent: the code starts 10 s
** after the device began to connect, not a millisecond sooner. */
static void test_ten_second_rule(void) {
  struct boot b;
  activate_with_code(&b, "server.log()");
  CU_ASSERT_EQUAL(jig_app, 1); /* step 5 started it */
  fk.now = 100000;
  power_cycle(&b);
  uint64_t next = settle(&b);
  CU_ASSERT_TRUE(fk.conn_open);
  skip_state_and_hash(BOOT_WAKE_POWER_ON);
  CU_ASSERT_EQUAL(jig_app, -1); /* not yet */
  CU_ASSERT_EQUAL(next, 100000u + BOOT_CODE_WAIT_MS);
  fk.now = 100000 + BOOT_CODE_WAIT_MS - 1;
  settle(&b);
  CU_ASSERT_EQUAL(jig_app, -1);
  fk.now++;
  CU_ASSERT_EQUAL(settle(&b), UINT64_MAX);
  CU_ASSERT_EQUAL(jig_app, 1);
  CU_ASSERT_EQUAL(jig_app_wake, BOOT_WAKE_POWER_ON);
  /* the late answer with a match does not restart the code */
  jig_app = -1;
  answer(true, NULL, NULL, false);
  settle(&b);
  CU_ASSERT_EQUAL(jig_app, -1);
  /* new code in a later step 4 does: stop, then start */
  answer(false, "x()", NULL, false); /* outside step 4: ignored */
  settle(&b);
  CU_ASSERT_EQUAL(jig_app, -1);
  boot_fini(&b);
}

/* [BOOT-014] the answer comes first: the code starts at once, and the
** 10-second deadline is gone. */
static void test_answer_before_ten_seconds(void) {
  struct boot b;
  activate_with_code(&b, "server.log()");
  fk.now = 200000;
  power_cycle(&b);
  settle(&b);
  skip_state_and_hash(BOOT_WAKE_POWER_ON);
  fk.now += 2500;
  answer(true, NULL, NULL, false);
  CU_ASSERT_EQUAL(settle(&b), UINT64_MAX);
  CU_ASSERT_EQUAL(jig_app, 1);
  /* a cold boot where every port fails still runs the code at 10 s */
  fk.now = 300000;
  fk.accept_port = 0;
  power_cycle(&b);
  for (int i = 0; i < 9; i++) {
    fk.now = settle(&b);
    CU_ASSERT_EQUAL(jig_app, -1);
  }
  fk.now = 300000 + BOOT_CODE_WAIT_MS;
  settle(&b);
  CU_ASSERT_EQUAL(jig_app, 1);
  boot_fini(&b);
}

static void clock_msg(bool set, uint64_t v, uint32_t seq) {
  Impjig__ClockSet cs = IMPJIG__CLOCK_SET__INIT;
  Impjig__ClockAdvance ca = IMPJIG__CLOCK_ADVANCE__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  if (set) {
    cs.now_ms = v;
    cs.seq = seq;
    e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_CLOCK_SET;
    e.clock_set = &cs;
  } else {
    ca.ms = v;
    ca.seq = seq;
    e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_CLOCK_ADVANCE;
    e.clock_advance = &ca;
  }
  put_frame(&fk.jig_in, &e.base);
}

/* [CAP-006] The jig's clock messages set the board's limit; ClockDone
** comes only once device time reached it with nothing more due. */
static void test_virtual_clock(void) {
  struct boot b;
  struct boot_config cfg = config();
  fresh(&b, &cfg);
  clock_msg(false, 500, 1); /* a real-time board ignores them */
  settle(&b);
  CU_ASSERT_EQUAL(fk.allowed, 0u);
  CU_ASSERT_EQUAL(jig_clock_seq, -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "need the virtual clock"));
  fk.virt = true;
  clock_msg(true, 1000, 2);
  settle(&b);
  CU_ASSERT_EQUAL(fk.allowed, 1000u);
  CU_ASSERT_EQUAL(jig_clock_seq, -1); /* device time is still 0 */
  fk.now = 1000;
  settle(&b);
  CU_ASSERT_EQUAL(jig_clock_seq, 2);
  CU_ASSERT_EQUAL(jig_clock_now, 1000u);
  /* two advances before time moves add up; the last seq is answered */
  clock_msg(false, 300, 3);
  clock_msg(false, 200, 4);
  settle(&b);
  CU_ASSERT_EQUAL(fk.allowed, 1500u);
  fk.now = 1500;
  settle(&b);
  CU_ASSERT_EQUAL(jig_clock_seq, 4);
  CU_ASSERT_EQUAL(jig_clock_now, 1500u);
  /* time never goes back: a ClockSet below now is answered at now */
  clock_msg(true, 10, 5);
  settle(&b);
  CU_ASSERT_EQUAL(jig_clock_seq, 5);
  CU_ASSERT_EQUAL(jig_clock_now, 1500u);
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "time does not go back"));
  boot_fini(&b);
}

/* [BOOT-016, BOOT-017, WAKE-002, STORE-001, STORE-006] deep sleep keeps
** RTC and nv; the timer wake runs the code at once with no session until
** the application asks; the match then leaves the code running. */
static void test_deep_sleep_and_warm_boot(void) {
  struct boot b;
  uint8_t h[32];
  activate_with_code(&b, "server.log()");
  SHA256((const uint8_t *)"server.log()", 12, h);
  uint64_t rtc = b.rtc_unix_ms + (fk.now - b.rtc_at);
  CU_ASSERT_EQUAL(boot_deep_sleep(&b, fk.now, fk.now + 5000, false, false,
                                  (const uint8_t *)"nv!", 3), RF_OK);
  CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_ASLEEP);
  CU_ASSERT_FALSE(fk.conn_open); /* WAKE-016 */
  read_jig();
  CU_ASSERT_EQUAL(jig_sleep_ms, 5000);
  CU_ASSERT_EQUAL(jig_app, 0); /* the code was stopped */
  /* the timer wake */
  fk.now += 5000;
  fk.wake = HAL_WAKE_TIMER;
  power_cycle(&b);
  read_jig();
  CU_ASSERT_TRUE(b.warm);
  CU_ASSERT_EQUAL(jig_app, 1);
  CU_ASSERT_EQUAL(jig_app_wake, BOOT_WAKE_TIMER);
  CU_ASSERT_EQUAL(b.ret.nv_len, 3u);
  CU_ASSERT_EQUAL(memcmp(b.ret.nv, "nv!", 3), 0);
  CU_ASSERT_EQUAL(b.rtc_unix_ms, rtc + 5000);
  CU_ASSERT_EQUAL(fk.nretained, 0u); /* consumed by this wake */
  fk.now += 60000;
  CU_ASSERT_EQUAL(settle(&b), UINT64_MAX);
  CU_ASSERT_EQUAL(fk.ntried, 0u); /* BOOT-016: no session unasked */
  jig_app = -1;
  boot_connect(&b, fk.now);
  settle(&b);
  CU_ASSERT_TRUE(fk.conn_open);
  Impwire__Envelope *e = expect(IMPWIRE__ENVELOPE__MSG_DEVICE_STATE);
  CU_ASSERT_EQUAL(e->device_state->wake_reason, BOOT_WAKE_TIMER);
  free_env(e);
  e = expect(IMPWIRE__ENVELOPE__MSG_CODE_HASH);
  CU_ASSERT_EQUAL(memcmp(e->code_hash->sha256.data, h, 32), 0);
  free_env(e);
  answer(true, NULL, NULL, false);
  settle(&b);
  CU_ASSERT_EQUAL(jig_app, -1); /* BOOT-017: not restarted */
  /* a pin wake reports PIN; a power-on after a sleep is a cold boot */
  CU_ASSERT_EQUAL(boot_deep_sleep(&b, fk.now, fk.now + 3600000, true, false,
                                  NULL, 0), RF_OK);
  fk.wake = HAL_WAKE_PIN;
  power_cycle(&b);
  read_jig();
  CU_ASSERT_EQUAL(jig_app_wake, BOOT_WAKE_PIN);
  CU_ASSERT_EQUAL(b.ret.nv_len, 0u);
  CU_ASSERT_EQUAL(boot_deep_sleep(&b, fk.now, fk.now + 1000, false, false,
                                  NULL, 0), RF_OK);
  fk.wake = HAL_WAKE_POWER_ON;
  power_cycle(&b);
  CU_ASSERT_FALSE(b.warm);
  CU_ASSERT_EQUAL(b.wake_reason, BOOT_WAKE_POWER_ON);
  settle(&b);
  CU_ASSERT_TRUE(fk.conn_open); /* a cold boot connects at once */
  /* a wake whose record is damaged is a cold boot too */
  fk.retained[0] ^= 1;
  fk.nretained = 40;
  fk.wake = HAL_WAKE_TIMER;
  power_cycle(&b);
  CU_ASSERT_FALSE(b.warm);
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "wake without a good retained"));
  boot_fini(&b);
}

/* [NET-005..007] The cloud's server list replaces the built-in one, is
** tried server by server (all ports each), and survives a power cycle. */
static void test_server_list(void) {
  struct boot b;
  activate_with_code(&b, "server.log()");
  Impwire__ServerList sl = IMPWIRE__SERVER_LIST__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  char *hosts[] = {"a.test", "b.test"};
  sl.n_hosts = 2;
  sl.hosts = hosts;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_SERVER_LIST;
  e.server_list = &sl;
  cloud_send(&e);
  settle(&b);
  CU_ASSERT_TRUE(fk.conn_open); /* the current session goes on */
  CU_ASSERT_EQUAL(b.store.cfg.nhosts, 2u);
  fk.cloud_closed = true;
  fk.accept_host = "b.test";
  fk.ntried = 0;
  settle(&b); /* the lost session: a new round at once */
  CU_ASSERT_TRUE(fk.conn_open);
  CU_ASSERT_EQUAL(fk.ntried, 5u);
  static const char *const want_host[] = {"a.test", "a.test", "a.test",
                                          "b.test", "b.test"};
  static const uint16_t want_port[] = {31314, 993, 443, 31314, 993};
  for (size_t i = 0; i < 5 && i < fk.ntried; i++) {
    CU_ASSERT_STRING_EQUAL(fk.tried_host[i], want_host[i]);
    CU_ASSERT_EQUAL(fk.tried[i], want_port[i]);
  }
  /* persisted: the next power-on starts with a.test */
  power_cycle(&b);
  settle(&b);
  CU_ASSERT_STRING_EQUAL(fk.tried_host[0], "a.test");
  /* nobody answers: every server on every port, then the back-off */
  fk.accept_port = 0;
  fk.cloud_closed = true;
  fk.ntried = 0;
  uint64_t next = settle(&b); /* the lost session: a new round at once */
  CU_ASSERT_EQUAL(fk.ntried, 6u);
  CU_ASSERT_EQUAL(next, fk.now + BOOT_RETRY_MS);
  fk.now = next; /* the back-off after the failed round, then again */
  fk.ntried = 0;
  CU_ASSERT_EQUAL(settle(&b), fk.now + BOOT_RETRY_MS);
  CU_ASSERT_EQUAL(fk.ntried, 6u);
  boot_fini(&b);
}

static void new_os(const char *version, const char *image,
                   const uint8_t *hash) {
  Impwire__NewOs n = IMPWIRE__NEW_OS__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  uint8_t h[32];
  n.version = (char *)version;
  if (image) {
    n.has_image = n.has_sha256 = true;
    n.image.data = (uint8_t *)image;
    n.image.len = strlen(image);
    if (!hash) {
      SHA256((const uint8_t *)image, strlen(image), h);
      hash = h;
    }
    n.sha256.data = (uint8_t *)hash;
    n.sha256.len = 32;
  }
  e.msg_case = IMPWIRE__ENVELOPE__MSG_NEW_OS;
  e.new_os = &n;
  cloud_send(&e);
}

/* [OSUPD-001, OSUPD-003, OSUPD-004, OSUPD-007, WAKE-008, REG-027] */
static void test_os_update(void) {
  struct boot b;
  uint8_t bad[32] = {1}, h[32];
  activate_with_code(&b, "server.log()");
  SHA256((const uint8_t *)"server.log()", 12, h);
  /* a bad image is refused; the old OS runs on, the session stays */
  new_os("38.1 test", "IMAGE-1", bad);
  settle(&b);
  CU_ASSERT_TRUE(fk.conn_open);
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "NewOs 38.1 test refused: sha256"));
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.0 refimp 0.1");
  nothing_more();
  /* a flash write error during the download: refused, nothing sticks */
  CU_ASSERT_EQUAL(hal_flash_fault_cut_after(100), HAL_OK);
  new_os("38.1 test", "IMAGE-1 with more than one hundred bytes of image, "
                      "so that the power cut lands inside its payload....",
         NULL);
  settle(&b);
  hal_flash_fault_clear();
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "NewOs 38.1 test not stored"));
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.0 refimp 0.1");
  CU_ASSERT_TRUE(fk.conn_open);
  /* the next offer succeeds: stored, then the board restarts into it */
  new_os("38.1 test", "IMAGE-1", NULL);
  settle(&b);
  CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_REBOOT);
  CU_ASSERT_FALSE(fk.conn_open);
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.0 refimp 0.1");
  power_cycle(&b); /* what main() does for BOOT_PHASE_REBOOT */
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.1 test");
  CU_ASSERT_EQUAL(b.wake_reason, BOOT_WAKE_NEW_FIRMWARE);
  CU_ASSERT_EQUAL(b.code_wait_until, fk.now + BOOT_CODE_WAIT_MS);
  settle(&b);
  CU_ASSERT_TRUE(fk.conn_open); /* OSUPD-004: connected again at once */
  Impwire__Envelope *e = expect(IMPWIRE__ENVELOPE__MSG_DEVICE_STATE);
  CU_ASSERT_EQUAL(e->device_state->wake_reason, BOOT_WAKE_NEW_FIRMWARE);
  CU_ASSERT_STRING_EQUAL(e->device_state->os_version, "38.1 test");
  free_env(e);
  e = expect(IMPWIRE__ENVELOPE__MSG_CODE_HASH); /* OSUPD-003: code kept */
  CU_ASSERT_EQUAL(memcmp(e->code_hash->sha256.data, h, 32), 0);
  free_env(e);
  /* the installed version survives a power cycle, installed once */
  power_cycle(&b);
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.1 test");
  CU_ASSERT_EQUAL(b.wake_reason, BOOT_WAKE_POWER_ON);
  /* the same version again is ignored */
  settle(&b);
  skip_state_and_hash(BOOT_WAKE_POWER_ON);
  answer(true, NULL, NULL, false);
  settle(&b);
  new_os("38.1 test", "IMAGE-1", NULL);
  settle(&b);
  CU_ASSERT_PTR_NOT_NULL(strstr(fk.log, "already running it"));
  nothing_more();
  boot_fini(&b);
}

/* [POLITE-003, POLITE-009, POLITE-012] a shutdown handler defers the
** update; offered again after server.restart() (the VM is down) it is
** installed; a power cycle installs a deferred update anyway. */
static bool handler_takes(void *ctx, uint32_t reason) {
  (void)ctx;
  return reason == 2;
}

static void test_os_update_deferred(void) {
  struct boot b;
  struct boot_hooks hooks = {.shutdown_notice = handler_takes};
  activate_with_code(&b, "server.log()");
  b.hooks = hooks;
  new_os("38.2 test", "IMAGE-2", NULL);
  settle(&b);
  CU_ASSERT_TRUE(b.os_pending);
  CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_ONLINE); /* POLITE-010 */
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.0 refimp 0.1");
  nothing_more();
  /* server.restart(): the stored image is installed (POLITE-009) */
  boot_app_restart(&b, BOOT_WAKE_SW_RESTART, fk.now);
  CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_REBOOT);
  CU_ASSERT_FALSE(b.os_pending);
  power_cycle(&b);
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.2 test");
  CU_ASSERT_EQUAL(b.wake_reason, BOOT_WAKE_NEW_FIRMWARE);
  settle(&b);
  skip_state_and_hash(BOOT_WAKE_NEW_FIRMWARE);
  answer(true, NULL, NULL, false);
  settle(&b);
  /* a forced NewOs is not offered to the handler (POLITE-011) */
  b.hooks = hooks;
  Impwire__NewOs n = IMPWIRE__NEW_OS__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  uint8_t h[32];
  SHA256((const uint8_t *)"IMAGE-4", 7, h);
  n.version = "38.4 test";
  n.has_image = n.has_sha256 = n.has_forced = n.forced = true;
  n.image.data = (uint8_t *)"IMAGE-4";
  n.image.len = 7;
  n.sha256.data = h;
  n.sha256.len = 32;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_NEW_OS;
  e.new_os = &n;
  cloud_send(&e);
  settle(&b);
  CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_REBOOT);
  power_cycle(&b);
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.4 test");
  settle(&b);
  skip_state_and_hash(BOOT_WAKE_NEW_FIRMWARE);
  answer(true, NULL, NULL, false);
  settle(&b);
  /* deferred again, then the power goes: installed at power-on */
  b.hooks = hooks;
  new_os("38.3 test", "IMAGE-3", NULL);
  settle(&b);
  CU_ASSERT_TRUE(b.os_pending);
  power_cycle(&b);
  CU_ASSERT_STRING_EQUAL(b.cfg.os_version, "38.3 test");
  CU_ASSERT_EQUAL(b.wake_reason, BOOT_WAKE_NEW_FIRMWARE);
  settle(&b);
  skip_state_and_hash(BOOT_WAKE_NEW_FIRMWARE);
  boot_fini(&b);
}

/* [REG-012, POLITE-016] server.restart() without a session (after
** server.disconnect() or a warm boot) connects and runs the boot
** conversation; the code comes back at the latest ten seconds later. */
static void test_restart_offline(void) {
  struct boot b;
  activate_with_code(&b, "server.log()");
  boot_app_disconnect(&b, fk.now);
  CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_IDLE);
  boot_app_restart(&b, BOOT_WAKE_SW_RESTART, fk.now);
  CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_CONNECT);
  CU_ASSERT_FALSE(b.code_running);
  CU_ASSERT_EQUAL(b.code_wait_until, fk.now + BOOT_CODE_WAIT_MS);
  settle(&b);
  CU_ASSERT_TRUE(fk.conn_open);
  skip_state_and_hash(BOOT_WAKE_SW_RESTART);
  answer(true, NULL, NULL, false);
  settle(&b);
  CU_ASSERT_TRUE(b.code_running);
  boot_fini(&b);
}

/* [POLITE-019] a forced Reload (device group move) is not offered to the
** shutdown handler: back to step 2 at once with NEW_SQUIRREL. */
static bool handler_takes_all(void *ctx, uint32_t reason) {
  (void)ctx;
  (void)reason;
  return true;
}

static void test_forced_reload(void) {
  struct boot b;
  struct boot_hooks hooks = {.shutdown_notice = handler_takes_all};
  Impwire__Reload r = IMPWIRE__RELOAD__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  activate_with_code(&b, "server.log()");
  b.hooks = hooks;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_RELOAD;
  e.reload = &r;
  cloud_send(&e); /* not forced: the handler takes it */
  settle(&b);
  CU_ASSERT_TRUE(b.code_running);
  nothing_more();
  r.has_forced = r.forced = true;
  cloud_send(&e);
  settle(&b);
  CU_ASSERT_FALSE(b.code_running);
  skip_state_and_hash(BOOT_WAKE_NEW_SQUIRREL);
  boot_fini(&b);
}

/* Power on with these pins held (NULL: none). */
static void power_cycle_held(struct boot *b, const struct boot_pin_level *h,
                             size_t n) {
  struct boot_config cfg = config();
  struct rf_diag d;
  cfg.held_pins = h;
  cfg.nheld_pins = n;
  boot_fini(b);
  fk.conn_open = false;
  fk.to_dev.len = fk.to_dev.pos = fk.from_dev.len = fk.from_dev.pos = 0;
  fk.jig_in.len = fk.jig_in.pos = fk.jig_out.len = fk.jig_out.pos = 0;
  fk.ntried = 0;
  jig_app = -1;
  CU_ASSERT_FATAL(boot_init(b, &cfg, NULL, fk.now, &d) == RF_OK);
}

/* [BOOT-020..023] A rescue pin: power-ons fast start (code at once, no
** connection) unless the pin is held opposite its idle level; cleared,
** standard cold starts come back. */
static void test_fast_start(void) {
  struct boot b;
  struct rf_diag d;
  static const struct boot_pin_level low = {"pin1", 0}, high = {"pin1", 1},
                                     other = {"pin2", 0};
  activate_with_code(&b, "server.log()");
  CU_ASSERT_EQUAL(boot_app_set_rescue_pin(&b, "pin1", 1, &d), RF_OK);
  CU_ASSERT_EQUAL(boot_app_set_rescue_pin(&b, "pin1", 2, &d), RF_EINVAL);
  CU_ASSERT_EQUAL(boot_app_set_rescue_pin(&b, "a-name-far-too-long", 1, &d),
                  RF_EINVAL);
  for (int i = 0; i < 3; i++) {
    const struct boot_pin_level *h = i == 0 ? NULL : i == 1 ? &high : &other;
    power_cycle_held(&b, h, h ? 1 : 0);
    CU_ASSERT_EQUAL(settle(&b), UINT64_MAX);
    CU_ASSERT_TRUE(b.fast_start);
    CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_IDLE);
    CU_ASSERT_EQUAL(jig_app, 1);
    CU_ASSERT_EQUAL(jig_app_wake, BOOT_WAKE_POWER_ON);
    CU_ASSERT_EQUAL(fk.ntried, 0u);
  }
  power_cycle_held(&b, &low, 1); /* held opposite: a standard cold start */
  settle(&b);
  CU_ASSERT_FALSE(b.fast_start);
  CU_ASSERT_TRUE(fk.conn_open);
  CU_ASSERT_EQUAL(jig_app, -1);
  skip_state_and_hash(BOOT_WAKE_POWER_ON);
  CU_ASSERT_EQUAL(boot_app_set_rescue_pin(&b, NULL, 0, &d), RF_OK);
  power_cycle_held(&b, NULL, 0);
  settle(&b);
  CU_ASSERT_FALSE(b.fast_start);
  CU_ASSERT_TRUE(fk.conn_open);
  boot_fini(&b);
}

/* [STORE-021, STORE-022] clearconfiguration() leaves the session up; once
** it is lost the device waits for a BlinkUp, even when the code asks. */
static void test_clear_configuration(void) {
  struct boot b;
  struct rf_diag d;
  activate_with_code(&b, "server.log()");
  CU_ASSERT_EQUAL(boot_app_clear_configuration(&b, 0, &d), RF_EINVAL);
  CU_ASSERT_EQUAL(boot_app_clear_configuration(&b, STORE_CLEAR_ALL, &d),
                  RF_OK);
  settle(&b);
  CU_ASSERT_TRUE(boot_online(&b));
  boot_app_disconnect(&b, fk.now);
  settle(&b);
  fk.ntried = 0;
  boot_connect(&b, fk.now);
  fk.now += 60000;
  settle(&b);
  CU_ASSERT_EQUAL(b.phase, BOOT_PHASE_WAIT_BLINKUP);
  CU_ASSERT_EQUAL(fk.ntried, 0u);
  CU_ASSERT_EQUAL(jig_state, BOOT_UNACTIVATED);
  boot_fini(&b);
}

static const struct cu_test boot_tests[] = {
    {"fast start and the rescue pin", test_fast_start},
    {"clearconfiguration: session kept, then offline",
     test_clear_configuration},
    {"BlinkUp, activation, code (seeds/003)", test_blinkup_to_code},
    {"Reload: step 2 on the same session", test_reload},
    {"code hash mismatch keeps old code", test_hash_mismatch},
    {"erase_credentials: back to Unactivated", test_erase_credentials},
    {"ports in order, 1 s back-off", test_ports_and_backoff},
    {"session loss: reconnect at once, step 2", test_session_loss},
    {"bad frames close the session", test_bad_frames},
    {"10-second rule: code starts at 10 s", test_ten_second_rule},
    {"answer first: code starts at once", test_answer_before_ten_seconds},
    {"virtual clock: allow, ClockDone", test_virtual_clock},
    {"server list: order, persistence", test_server_list},
    {"OS update: refused, write error, installed", test_os_update},
    {"OS update deferred: restart, power cycle", test_os_update_deferred},
    {"server.restart() offline connects", test_restart_offline},
    {"forced Reload skips the handler", test_forced_reload},
    {"deep sleep, warm boot, connect on request",
     test_deep_sleep_and_warm_boot},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"refimp boot", boot_tests}};

CU_MAIN(suites)
