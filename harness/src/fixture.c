/*
** fixture.c: the SDK functions a plugin calls, and the per-case world they
** act on. Single-threaded: every wait pumps the jig and the cloud session
** from one poll() loop, so no message is lost while another is awaited.
*/
#include "fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "dut.h"
#include "frame.h"
#include "proxy.h"
#include "wiremsg.h"

/* The cloud's ports: three standing for 31314, 993, 443, and on a cellular
** profile a fourth standing for 52753 (IMPCERT_PORT_CELLULAR). */
#define NPORTS 4
#define WIFI_PORTS 3
#define QMAX 4096 /* messages kept per case; more is a flooding DUT */

/* A growing string. */
struct sbuf {
  char *s;
  size_t len, cap;
};

#define IC_HELD_PINS_MAX 8

struct impcert_fx {
  const struct fixture_setup *setup;
  long long t0;
  jmp_buf end;
  enum impcert_verdict verdict;
  struct sbuf message, details, transcript;

  /* the device */
  struct dut dut;
  struct dut_env env;
  char *flash_dir, *jig_path, *log_path;
  char ports_text[64];
  bool powered_once;
  long long first_power; /* real time of the first power-on */

  /* the cloud */
  int listen_fd[NPORTS];
  uint16_t port[NPORTS];
  int nports;             /* ports listened on: WIFI_PORTS, or NPORTS on a
                             cellular profile */
  unsigned dials[NPORTS]; /* TCP connections the device made to each */
  char cell_port_text[8]; /* {cell_port} */
  enum impcert_cert next_cert;
  struct tls_conn *sess;
  int sess_port;          /* index of the session's port, -1 if none */
  struct frame_reader wire_rd;
  char *sni;
  struct proxy *proxy;    /* the test's HTTP proxy, or NULL (REG-010) */
  Impwire__Envelope *wq[QMAX]; /* every frame received, in order */
  size_t wq_len, wq_next;

  /* the jig */
  int jig_listen, jig_fd;
  struct frame_reader jig_rd;
  Impjig__JigEnvelope *jq[QMAX];
  size_t jq_len, jq_next;
  const Impjig__Led *led;
  int boot_state;

  /* device time (profile time = virtual; jig.md "Device time") */
  bool virt;            /* the DUT runs on the virtual clock */
  bool clock_manual;    /* the test took the clock: it no longer follows
                           real time */
  uint64_t vnow;        /* device time given to the DUT */
  long long vreal;      /* real time vnow last followed, 0: not yet */
  uint32_t clock_seq;   /* last ClockAdvance sent */
  long long clock_done; /* seq of the last ClockDone, -1: none */
  char clock_text[24];  /* vnow for IMPCERT_CLOCK_MS */
  uint32_t flash_seq;   /* last FlashFault sent */
  char jig_broken[IC_DIAG_SIZE]; /* why the DUT's jig frames were refused */
  unsigned long jig_conns;  /* jig connections accepted so far */
  unsigned long jig_raw_conn; /* the one impcert_jig_send_raw wrote to */
  char sess_why[200];   /* why the last session closed */
  bool sess_paused;     /* the cloud stopped reading the session */
  char read_errors_text[16]; /* IMPCERT_FLASH_READ_ERRORS */
  /* pins held at power-on (impcert_jig_hold_pin): IMPCERT_PIN_LEVELS */
  char held_pin[IC_HELD_PINS_MAX][16];
  int held_level[IC_HELD_PINS_MAX];
  size_t nheld;
  char pin_levels_text[IC_HELD_PINS_MAX * 20];
  uint8_t *wifi_list;   /* packed JigEnvelope{WifiNetworks}, or NULL: the
                           test plays no WiFi surroundings */
  size_t wifi_list_len;

  /* deep sleep (jig DeepSleep, then the process ends) */
  bool asleep;
  bool wake_pin_armed;
  uint64_t wake_at_v;   /* device time of the timer wake (virtual) */
  long long wake_at_r;  /* real time of the timer wake (real time) */

  struct capture *cap;
  struct appcap *app; /* plaintext frames, or NULL */
  char *firmware; /* first DeviceState.os_version */
};

/* ---- small helpers ------------------------------------------------------ */

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sb_vadd(struct sbuf *b, const char *fmt, va_list ap) {
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  if (n < 0)
    return;
  if (b->len + (size_t)n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + (size_t)n + 1)
      cap *= 2;
    char *ns = ic_realloc(b->s, cap);
    if (!ns)
      return;
    b->s = ns;
    b->cap = cap;
  }
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
}

static void sb_add(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sb_vadd(b, fmt, ap);
  va_end(ap);
}

/* One transcript line: time since the case began, who, what. */
static void note(impcert_fx *fx, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(impcert_fx *fx, const char *who, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  sb_add(&fx->transcript, "%9.3f %-6s %s\n",
         (double)(now_ms() - fx->t0) / 1000.0, who, line);
  if (fx->setup->verbose)
    fprintf(stderr, "  [%s] %9.3f %-6s %s\n", fx->setup->tc->id,
            (double)(now_ms() - fx->t0) / 1000.0, who, line);
}

static void note_msg(impcert_fx *fx, const char *who,
                     const ProtobufCMessage *m) {
  char *t = wiremsg_text(m);
  note(fx, who, "%s", t ? t : "(out of memory)");
  ic_free(t);
}

/* End the case from harness code (not a plugin line). */
static _Noreturn void end_now(impcert_fx *fx, enum impcert_verdict v,
                              const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static _Noreturn void end_now(impcert_fx *fx, enum impcert_verdict v,
                              const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fx->message.len = 0;
  sb_vadd(&fx->message, fmt, ap);
  va_end(ap);
  /* A failed check stays a failure even if the test then gives up. */
  if (!(fx->verdict == IMPCERT_FAIL && v == IMPCERT_INCONCLUSIVE))
    fx->verdict = v;
  note(fx, "end", "%s", fx->message.s ? fx->message.s : "");
  longjmp(fx->end, 1);
}

/* ---- the jig ------------------------------------------------------------- */

static void jig_drop(impcert_fx *fx, const char *why) {
  appcap_end(fx->app, APPCAP_JIG, APPCAP_BY_HARNESS); /* no-op if ended */
  if (fx->jig_fd >= 0) {
    note(fx, "jig", "connection closed: %s", why);
    close(fx->jig_fd);
    fx->jig_fd = -1;
  }
  frame_reader_fini(&fx->jig_rd);
  frame_reader_init(&fx->jig_rd, FRAME_JIG_MAX);
}

static void jig_record(impcert_fx *fx, Impjig__JigEnvelope *m) {
  note_msg(fx, "D->jig", &m->base);
  if (fx->jq_len == QMAX) {
    jigmsg_free(m);
    end_now(fx, IMPCERT_ERROR, "DUT flooded the jig with over %d messages",
            QMAX);
  }
  fx->jq[fx->jq_len++] = m;
  if (m->msg_case == IMPJIG__JIG_ENVELOPE__MSG_LED)
    fx->led = m->led;
  else if (m->msg_case == IMPJIG__JIG_ENVELOPE__MSG_BOOT_STATE)
    fx->boot_state = m->boot_state->state;
  else if (m->msg_case == IMPJIG__JIG_ENVELOPE__MSG_CLOCK_DONE)
    fx->clock_done = m->clock_done->seq;
  else if (m->msg_case == IMPJIG__JIG_ENVELOPE__MSG_DEEP_SLEEP) {
    uint64_t in = m->deep_sleep->wake_in_ms;
    fx->asleep = true;
    fx->wake_pin_armed = m->deep_sleep->wake_pin;
    fx->wake_at_v = fx->vnow + in;
    fx->wake_at_r = now_ms() + (in > 86400000u ? 86400000 : (long long)in);
  }
}

static void dut_wake(impcert_fx *fx, const char *why);

/* The DUT broke the jig protocol: drop the jig and keep the reason, so
** that waiting for the jig ends at once with it. */
static void jig_broken(impcert_fx *fx, const char *why) {
  snprintf(fx->jig_broken, sizeof fx->jig_broken, "%s", why);
  jig_drop(fx, why);
}

static void jig_readable(impcert_fx *fx) {
  uint8_t buf[8192];
  ssize_t n = read(fx->jig_fd, buf, sizeof buf);
  if (n <= 0) {
    appcap_end(fx->app, APPCAP_JIG, APPCAP_BY_DEVICE);
    jig_drop(fx, n == 0 ? "DUT closed it" : strerror(errno));
    return;
  }
  struct ic_diag d;
  if (frame_reader_feed(&fx->jig_rd, buf, (size_t)n, &d) < 0) {
    jig_broken(fx, d.msg);
    return;
  }
  const uint8_t *body;
  size_t len;
  int r;
  while ((r = frame_reader_next(&fx->jig_rd, &body, &len, &d)) == 1) {
    appcap_frame(fx->app, APPCAP_JIG, true, body - FRAME_HEADER,
                 len + FRAME_HEADER);
    Impjig__JigEnvelope *m = jigmsg_decode(body, len, &d);
    if (!m) {
      note(fx, "jig", "frame %lu from DUT: %s", fx->jig_rd.count, d.msg);
      char why[IC_DIAG_SIZE];
      snprintf(why, sizeof why, "jig frame %lu from the DUT: %.400s",
               fx->jig_rd.count, d.msg);
      jig_broken(fx, why);
      return;
    }
    jig_record(fx, m);
  }
  if (r < 0)
    jig_broken(fx, d.msg);
}

static void drain_jig(impcert_fx *fx);

/* Send one jig message; quiet ones stay out of the transcript (the
** clock following real time would fill it). */
static int jig_send_q(impcert_fx *fx, const ProtobufCMessage *m,
                      bool quiet) {
  size_t n;
  uint8_t *f = wiremsg_frame(m, FRAME_JIG_MAX, &n);
  if (!f)
    return -1;
  if (!quiet)
    note_msg(fx, "jig->D", m);
  appcap_frame(fx->app, APPCAP_JIG, false, f, n);
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(fx->jig_fd, f + off, n - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      ic_free(f);
      /* a DUT that just went to sleep has closed its end: read its last
      ** words first, or its DeepSleep is lost and its exit looks like a
      ** crash (the virtual clock writes every 20 ms) */
      drain_jig(fx);
      jig_drop(fx, "write failed");
      return -1;
    }
    off += (size_t)w;
  }
  ic_free(f);
  return 0;
}

static int jig_send(impcert_fx *fx, const ProtobufCMessage *m) {
  return jig_send_q(fx, m, false);
}

/* Move device time on by ms: ClockAdvance with the next seq. */
static int clock_send(impcert_fx *fx, uint64_t ms, bool quiet) {
  Impjig__ClockAdvance a = IMPJIG__CLOCK_ADVANCE__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  a.ms = ms;
  a.seq = ++fx->clock_seq;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_CLOCK_ADVANCE;
  e.clock_advance = &a;
  fx->vnow += ms;
  return jig_send_q(fx, &e.base, quiet);
}

/* Until a test takes the clock, device time follows real time while the
** DUT is on the jig, so tests that never touch the clock work alike on a
** virtual-time DUT. */
static void clock_follow(impcert_fx *fx) {
  bool asleep_off = fx->asleep && !dut_alive(&fx->dut);
  if (!fx->virt || fx->clock_manual || (fx->jig_fd < 0 && !asleep_off)) {
    fx->vreal = 0;
    return;
  }
  long long r = now_ms();
  if (fx->vreal == 0)
    fx->vreal = r;
  if (r - fx->vreal < 20)
    return;
  uint64_t ms = (uint64_t)(r - fx->vreal);
  fx->vreal = r;
  if (asleep_off) { /* asleep: the sleep timer runs on device time */
    fx->vnow += ms;
    if (fx->vnow >= fx->wake_at_v) {
      fx->vnow = fx->wake_at_v;
      dut_wake(fx, "timer");
    }
    return;
  }
  /* A DUT that has not confirmed the last advance is busy (blocked in a
  ** connection attempt): the time meanwhile is dropped rather than
  ** delivered in one lump afterwards, so device time never runs ahead of
  ** real time (a back-off is never shortened). */
  if (fx->clock_seq > 0 && fx->clock_done < (long long)fx->clock_seq)
    return;
  /* likewise a long gap (the harness was busy, e.g. in a handshake) is
  ** given as at most 50 ms */
  clock_send(fx, ms < 50 ? ms : 50, true);
}

/* ---- the cloud session --------------------------------------------------- */

static void session_drop(impcert_fx *fx, const char *why) {
  appcap_end(fx->app, APPCAP_WIRE, APPCAP_BY_HARNESS); /* no-op if ended */
  if (fx->sess) {
    note(fx, "cloud", "session closed: %s", why);
    snprintf(fx->sess_why, sizeof fx->sess_why, "%s", why);
    tls_close(fx->sess);
    fx->sess = NULL;
  }
  frame_reader_fini(&fx->wire_rd);
  frame_reader_init(&fx->wire_rd, FRAME_WIRE_MAX);
}

static void wire_record(impcert_fx *fx, Impwire__Envelope *m) {
  note_msg(fx, "D->C", &m->base);
  if (fx->wq_len == QMAX) {
    wiremsg_free(m);
    end_now(fx, IMPCERT_ERROR, "DUT flooded the cloud with over %d frames",
            QMAX);
  }
  fx->wq[fx->wq_len++] = m;
  if (m->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE && !fx->firmware)
    fx->firmware = ic_strdup(m->device_state->os_version);
}

static void session_readable(impcert_fx *fx) {
  uint8_t buf[16384];
  struct ic_diag d;
  do {
    long n = tls_read(fx->sess, buf, sizeof buf, 0, &d);
    if (n == 0)
      return;
    if (n < 0) {
      appcap_end(fx->app, APPCAP_WIRE, APPCAP_BY_DEVICE);
      session_drop(fx, d.msg);
      return;
    }
    if (frame_reader_feed(&fx->wire_rd, buf, (size_t)n, &d) < 0) {
      session_drop(fx, d.msg);
      return;
    }
    const uint8_t *body;
    size_t len;
    int r;
    while ((r = frame_reader_next(&fx->wire_rd, &body, &len, &d)) == 1) {
      appcap_frame(fx->app, APPCAP_WIRE, true, body - FRAME_HEADER,
                   len + FRAME_HEADER);
      Impwire__Envelope *m = wiremsg_decode(body, len, &d);
      if (!m) {
        char why[600];
        snprintf(why, sizeof why, "frame %lu from DUT: %s",
                 fx->wire_rd.count, d.msg);
        session_drop(fx, why);
        return;
      }
      wire_record(fx, m);
    }
    if (r < 0) {
      session_drop(fx, d.msg);
      return;
    }
  } while (fx->sess && tls_pending(fx->sess));
}

/* ---- the pump: one poll over everything that can talk ------------------- */

/* Wait at most until deadline for something to happen; handle it. */
/* Send the WiFi surroundings the test set (jig.md "WiFi"), if any. */
static void wifi_list_send(impcert_fx *fx) {
  struct ic_diag d;
  if (!fx->wifi_list || fx->jig_fd < 0)
    return;
  Impjig__JigEnvelope *m = jigmsg_decode(fx->wifi_list, fx->wifi_list_len,
                                         &d);
  if (!m)
    end_now(fx, IMPCERT_ERROR, "WifiNetworks does not decode: %s", d.msg);
  jig_send(fx, &m->base);
  jigmsg_free(m);
}

static void pump(impcert_fx *fx, long long deadline) {
  clock_follow(fx);
  /* a real-time DUT asleep wakes when its timer fires */
  if (fx->asleep && !fx->virt && now_ms() >= fx->wake_at_r &&
      !dut_alive(&fx->dut))
    dut_wake(fx, "timer");
  if (fx->sess && !fx->sess_paused && tls_pending(fx->sess)) {
    session_readable(fx);
    return;
  }
  struct pollfd p[3];
  int n = 0, ijl = -1, ij = -1, is = -1;
  if (fx->jig_listen >= 0 && fx->jig_fd < 0)
    p[ijl = n++] = (struct pollfd){fx->jig_listen, POLLIN, 0};
  if (fx->jig_fd >= 0)
    p[ij = n++] = (struct pollfd){fx->jig_fd, POLLIN, 0};
  if (fx->sess && !fx->sess_paused)
    p[is = n++] = (struct pollfd){tls_fd(fx->sess), POLLIN, 0};
  long long left = deadline - now_ms();
  if (left < 0)
    left = 0;
  /* Wake at least every 20 ms to notice a DUT that died. */
  int r = poll(p, (nfds_t)n, left > 20 ? 20 : (int)left);
  if (r <= 0)
    return;
  if (ijl >= 0 && (p[ijl].revents & POLLIN)) {
    fx->jig_fd = accept4(fx->jig_listen, NULL, NULL, SOCK_CLOEXEC);
    if (fx->jig_fd >= 0) {
      fx->jig_conns++;
      note(fx, "jig", "DUT connected to the jig");
      wifi_list_send(fx); /* the surroundings at every power-on */
    }
  }
  if (ij >= 0 && p[ij].revents)
    jig_readable(fx);
  /* a DUT that breaks the jig protocol cannot be judged further */
  if (fx->jig_broken[0])
    end_now(fx, IMPCERT_ERROR, "the DUT broke the jig protocol: %s",
            fx->jig_broken);
  if (is >= 0 && p[is].revents)
    session_readable(fx);
}

/* ---- set-up and tear-down ------------------------------------------------ */

/* Listen on 127.0.0.1 at *port, or a free port (then set) when 0. */
static int listen_tcp(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons(*port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0 ||
      getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

static int listen_unix(const char *path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (fd < 0 || strlen(path) >= sizeof a.sun_path) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  memcpy(a.sun_path, path, strlen(path) + 1);
  unlink(path);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 2) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void setup_world(impcert_fx *fx) {
  const struct fixture_setup *s = fx->setup;
  fx->flash_dir = ic_asprintf("%s/flash", s->dir);
  fx->jig_path = ic_asprintf("%s/jig.sock", s->dir);
  fx->log_path = ic_asprintf("%s/dut.log", s->dir);
  if (!fx->flash_dir || !fx->jig_path || !fx->log_path)
    end_now(fx, IMPCERT_ERROR, "harness out of memory");
  if (mkdir(fx->flash_dir, 0755) < 0 && errno != EEXIST)
    end_now(fx, IMPCERT_ERROR, "%s: %s", fx->flash_dir, strerror(errno));
  size_t off = 0;
  /* [NET-002] a cellular DUT also gets a stand-in for 52753; the WiFi
  ** ports stay open as decoys, so dialling them shows */
  bool cell = s->prof && s->prof->network == PROFILE_NET_CELLULAR;
  fx->nports = cell ? NPORTS : WIFI_PORTS;
  for (int i = 0; i < fx->nports; i++) {
    fx->port[i] = 0; /* any free port */
    fx->listen_fd[i] = listen_tcp(&fx->port[i]);
    if (fx->listen_fd[i] < 0)
      end_now(fx, IMPCERT_ERROR, "cannot listen on 127.0.0.1: %s",
              strerror(errno));
    if (i < WIFI_PORTS)
      off += (size_t)snprintf(fx->ports_text + off,
                              sizeof fx->ports_text - off, "%s%u",
                              i ? "," : "", fx->port[i]);
  }
  if (cell)
    snprintf(fx->cell_port_text, sizeof fx->cell_port_text, "%u",
             fx->port[IMPCERT_PORT_CELLULAR]);
  fx->jig_listen = listen_unix(fx->jig_path);
  if (fx->jig_listen < 0)
    end_now(fx, IMPCERT_ERROR, "%s: cannot listen: %s", fx->jig_path,
            strerror(errno));
  fx->env = (struct dut_env){.bindir = s->bindir,
                             .flash = fx->flash_dir,
                             .server_name = TLS_SERVER_NAME,
                             .server_addr = "127.0.0.1",
                             .ports = fx->ports_text,
                             .ca = s->ca_path,
                             .jig = fx->jig_path,
                             .board = s->prof->board,
                             .cell_port = cell ? fx->cell_port_text : NULL};
  if (s->pcap_path) {
    struct ic_diag d;
    fx->cap = capture_start(s->pcap_path, fx->port, fx->nports, &d);
    if (!fx->cap)
      note(fx, "harness", "no capture: %s", d.msg);
    size_t pl = strlen(s->pcap_path);
    if (pl >= 5 && !strcmp(s->pcap_path + pl - 5, ".pcap"))
      pl -= 5;
    char *app = ic_asprintf("%.*s.app.pcap", (int)pl, s->pcap_path);
    if (app && !(fx->app = appcap_open(app, &d)))
      note(fx, "harness", "no application capture: %s", d.msg);
    ic_free(app);
  }
  if (cell)
    note(fx, "harness", "cloud on 127.0.0.1 port %s (standing for 52753), "
         "WiFi decoys on ports %s, jig %s", fx->cell_port_text,
         fx->ports_text, fx->jig_path);
  else
    note(fx, "harness", "cloud on 127.0.0.1 ports %s, jig %s",
         fx->ports_text, fx->jig_path);
}

static void teardown(impcert_fx *fx) {
  /* First, so the end of the test is not recorded as closes or a cut. */
  appcap_close(fx->app);
  fx->app = NULL;
  dut_kill(&fx->dut);
  session_drop(fx, "end of test");
  jig_drop(fx, "end of test");
  proxy_stop(fx->proxy);
  fx->proxy = NULL;
  for (int i = 0; i < NPORTS; i++)
    if (fx->listen_fd[i] >= 0)
      close(fx->listen_fd[i]);
  if (fx->jig_listen >= 0)
    close(fx->jig_listen);
  struct ic_diag d;
  if (fx->cap && capture_finish(fx->cap, &d) < 0)
    note(fx, "harness", "capture incomplete: %s", d.msg);
  for (size_t i = 0; i < fx->wq_len; i++)
    wiremsg_free(fx->wq[i]);
  for (size_t i = 0; i < fx->jq_len; i++)
    jigmsg_free(fx->jq[i]);
  frame_reader_fini(&fx->wire_rd);
  frame_reader_fini(&fx->jig_rd);
  ic_free(fx->flash_dir);
  ic_free(fx->jig_path);
  ic_free(fx->log_path);
  ic_free(fx->sni);
  ic_free(fx->wifi_list);
}

void fixture_run(const struct fixture_setup *s, struct fixture_outcome *out) {
  /* volatile: read after longjmp. */
  impcert_fx *volatile fx = ic_calloc(1, sizeof *fx);
  memset(out, 0, sizeof *out);
  if (!fx) {
    out->verdict = IMPCERT_ERROR;
    out->message = ic_strdup("harness out of memory");
    return;
  }
  fx->setup = s;
  fx->t0 = now_ms();
  fx->jig_listen = fx->jig_fd = -1;
  fx->boot_state = -1;
  fx->clock_done = -1;
  fx->virt = s->prof && s->prof->time == PROFILE_TIME_VIRTUAL;
  for (int i = 0; i < NPORTS; i++)
    fx->listen_fd[i] = -1;
  frame_reader_init(&fx->wire_rd, FRAME_WIRE_MAX);
  frame_reader_init(&fx->jig_rd, FRAME_JIG_MAX);
  if (setjmp(fx->end) == 0) {
    setup_world(fx);
    s->tc->run(fx);
  }
  teardown(fx);
  out->device_ms = !fx->powered_once ? -1
                   : fx->virt        ? (long long)fx->vnow
                                     : now_ms() - fx->first_power;
  out->verdict = fx->verdict;
  out->message = fx->message.s;
  out->details = fx->details.s;
  out->transcript = fx->transcript.s;
  out->firmware = fx->firmware;
  ic_free(fx);
}

/* ---- SDK: the device ------------------------------------------------------ */

IMPCERT_EXPORT int impcert_dut_power_on(impcert_fx *fx) {
  if (dut_alive(&fx->dut))
    return 0;
  struct ic_diag d;
  if (fx->virt) {
    snprintf(fx->clock_text, sizeof fx->clock_text, "%llu",
             (unsigned long long)fx->vnow);
    fx->env.clock_ms = fx->clock_text;
    fx->clock_done = fx->clock_seq; /* a new process starts at vnow */
  }
  if (dut_start(&fx->dut, fx->setup->prof, &fx->env, fx->log_path, &d) < 0)
    end_now(fx, IMPCERT_ERROR, "cannot power on the DUT: %s", d.msg);
  note(fx, "power", "DUT powered on (pid %d)%s", (int)fx->dut.pid,
       fx->powered_once ? "" : " with a fresh flash folder");
  if (!fx->powered_once)
    fx->first_power = now_ms();
  fx->powered_once = true;
  fx->jig_broken[0] = '\0';
  return 0;
}

/* Start the DUT again as the wake from its deep sleep (IMPCERT_WAKE). */
static void dut_wake(impcert_fx *fx, const char *why) {
  struct ic_diag d;
  dut_alive(&fx->dut); /* reap the sleeping process */
  jig_drop(fx, "DUT asleep");
  fx->asleep = false;
  fx->env.wake = why;
  if (fx->virt) {
    snprintf(fx->clock_text, sizeof fx->clock_text, "%llu",
             (unsigned long long)fx->vnow);
    fx->env.clock_ms = fx->clock_text;
    fx->clock_done = fx->clock_seq; /* a new process starts at vnow */
  }
  int r = dut_start(&fx->dut, fx->setup->prof, &fx->env, fx->log_path, &d);
  fx->env.wake = NULL;
  if (r < 0)
    end_now(fx, IMPCERT_ERROR, "cannot wake the DUT: %s", d.msg);
  note(fx, "power", "DUT woken by the %s (pid %d)", why, (int)fx->dut.pid);
}

IMPCERT_EXPORT int impcert_dut_wake_pin(impcert_fx *fx) {
  /* the DUT said DeepSleep: its process ends a moment later */
  long long until = now_ms() + 2000;
  while (fx->asleep && dut_alive(&fx->dut) && now_ms() < until)
    poll(NULL, 0, 5);
  if (!fx->asleep || dut_alive(&fx->dut)) {
    note(fx, "jig", "wake pin driven high: the DUT is not asleep");
    return -1;
  }
  if (!fx->wake_pin_armed) {
    note(fx, "jig", "wake pin driven high: the DUT did not arm it");
    return -1;
  }
  dut_wake(fx, "pin");
  return 0;
}

IMPCERT_EXPORT bool impcert_dut_asleep(impcert_fx *fx) {
  return fx->asleep;
}

/* Connections the DUT opened that the cloud has not accepted yet die with
** its power: a later impcert_cloud_accept must not take one of them for
** the next power-on's (a device reconnects at once after a lost session,
** so one is often waiting when a test cuts the power). */
static void drop_pending_connections(impcert_fx *fx) {
  for (int i = 0; i < NPORTS; i++) {
    struct pollfd p = {fx->listen_fd[i], POLLIN, 0};
    while (fx->listen_fd[i] >= 0 && poll(&p, 1, 0) > 0 &&
           (p.revents & POLLIN)) {
      int fd = accept4(fx->listen_fd[i], NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0)
        break;
      close(fd);
      note(fx, "cloud", "dropped a connection on port %u that the DUT "
                        "opened before the power cut", fx->port[i]);
    }
  }
}

IMPCERT_EXPORT void impcert_dut_power_off(impcert_fx *fx) {
  fx->asleep = false; /* a power cut loses the sleep and what it kept */
  dut_kill(&fx->dut);
  drop_pending_connections(fx);
  appcap_end(fx->app, APPCAP_JIG, APPCAP_POWER_CUT);
  note(fx, "power", "DUT power cut");
  jig_drop(fx, "power off");
  fx->led = NULL;
  fx->boot_state = -1;
}

IMPCERT_EXPORT bool impcert_dut_running(impcert_fx *fx) {
  return dut_alive(&fx->dut);
}

IMPCERT_EXPORT unsigned impcert_dut_code_page_bytes(impcert_fx *fx) {
  return fx->setup->prof ? fx->setup->prof->code_page_bytes : 0;
}

IMPCERT_EXPORT bool impcert_dut_declares(impcert_fx *fx, const char *cap) {
  return fx->setup->prof && cap && profile_has(fx->setup->prof, cap);
}

/* Read what the DUT said on the jig before its process ended: a DeepSleep
** there (sent after the session closed) explains the exit. */
static void drain_jig(impcert_fx *fx) {
  struct pollfd jp = {fx->jig_fd, POLLIN, 0};
  while (!fx->asleep && fx->jig_fd >= 0 && poll(&jp, 1, 0) > 0) {
    jig_readable(fx);
    jp.fd = fx->jig_fd;
  }
}

/* A DUT that died by itself is an error for any test that waits on it. */
static void dut_died(impcert_fx *fx) {
  drain_jig(fx);
  if (fx->asleep)
    return;
  char how[64];
  end_now(fx, IMPCERT_ERROR, "the DUT died unexpectedly (%s); see its "
                             "output", dut_describe(&fx->dut, how, sizeof how));
}

static void check_dut(impcert_fx *fx) {
  if (fx->asleep) /* the process ended into deep sleep */
    return;
  if (fx->powered_once && fx->dut.pid > 0 && !dut_alive(&fx->dut) &&
      fx->dut.exited)
    dut_died(fx);
}

/* A connection from the DUT just ended or failed: if that is because the
** process is dying, say so (give it 300 ms to end) rather than blame the
** connection. */
static void check_dut_settled(impcert_fx *fx) {
  /* a DUT that still holds its jig connection is alive (a process that
  ** ends closes both at once): no waiting, its timing may be under test */
  long long until = now_ms() + 20;
  while (fx->jig_fd >= 0 && now_ms() < until)
    pump(fx, until);
  if (fx->jig_fd >= 0) {
    check_dut(fx);
    return;
  }
  for (int i = 0; i < 30 && dut_alive(&fx->dut); i++)
    poll(NULL, 0, 10);
  if (!fx->asleep && fx->powered_once && fx->dut.pid == 0 && fx->dut.exited)
    dut_died(fx);
}

/* ---- SDK: flash faults --------------------------------------------------- */

static void wait_jig(impcert_fx *fx);

IMPCERT_EXPORT int impcert_jig_flash_fault(impcert_fx *fx,
                                           long long cut_after_bytes,
                                           unsigned corrupt_config,
                                           uint64_t *bytes_written) {
  wait_jig(fx);
  Impjig__FlashFault ff = IMPJIG__FLASH_FAULT__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  ff.seq = ++fx->flash_seq;
  if (cut_after_bytes >= 0) {
    ff.has_cut_after_bytes = true;
    ff.cut_after_bytes = (uint64_t)cut_after_bytes;
  }
  if (corrupt_config) {
    ff.has_corrupt_config = true;
    ff.corrupt_config = corrupt_config;
  }
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_FLASH_FAULT;
  e.flash_fault = &ff;
  if (jig_send(fx, &e.base) < 0)
    end_now(fx, IMPCERT_ERROR, "could not send FlashFault over the jig");
  long long deadline = now_ms() + 2000;
  for (;;) {
    const Impjig__JigEnvelope *m = impcert_jig_next(
        fx, IMPJIG__JIG_ENVELOPE__MSG_FLASH_STATUS,
        (unsigned)(deadline > now_ms() ? deadline - now_ms() : 0));
    if (!m)
      end_now(fx, IMPCERT_ERROR, "the DUT did not answer FlashFault %u "
                                 "within 2 s (jig feature jig-flash-faults)",
              ff.seq);
    if (m->flash_status->seq == ff.seq) {
      if (bytes_written)
        *bytes_written = m->flash_status->bytes_written;
      return 0;
    }
  }
}

IMPCERT_EXPORT bool impcert_dut_wait_power_cut(impcert_fx *fx,
                                               unsigned timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  while (dut_alive(&fx->dut) && now_ms() < deadline)
    pump(fx, deadline);
  if (dut_alive(&fx->dut))
    return false;
  note(fx, "power", "DUT lost power at the flash cut");
  jig_drop(fx, "power cut");
  fx->led = NULL;
  fx->boot_state = -1;
  return true;
}

IMPCERT_EXPORT void impcert_dut_flash_read_errors(impcert_fx *fx,
                                                  unsigned n) {
  snprintf(fx->read_errors_text, sizeof fx->read_errors_text, "%u", n);
  fx->env.flash_read_errors = n ? fx->read_errors_text : NULL;
  note(fx, "jig", "from the next power-on the first %u flash reads fail", n);
}

/* ---- SDK: the jig -------------------------------------------------------- */

IMPCERT_EXPORT int impcert_jig_hold_pin(impcert_fx *fx, const char *pin,
                                        int level) {
  size_t len = pin ? strlen(pin) : 0, i = 0;
  bool name_ok = len > 0 && len < sizeof fx->held_pin[0];
  for (size_t k = 0; name_ok && k < len; k++)
    name_ok = (pin[k] >= 'a' && pin[k] <= 'z') ||
              (pin[k] >= 'A' && pin[k] <= 'Z') ||
              (pin[k] >= '0' && pin[k] <= '9');
  if (!name_ok || level < -1 || level > 1)
    end_now(fx, IMPCERT_ERROR, "impcert_jig_hold_pin('%s', %d): a pin name "
            "of 1 to 15 letters or digits and a level of 0, 1 or -1 are "
            "expected", pin ? pin : "(null)", level);
  while (i < fx->nheld && strcmp(fx->held_pin[i], pin) != 0)
    i++;
  if (level < 0) {
    if (i < fx->nheld) { /* release: the last one takes its place */
      fx->nheld--;
      memcpy(fx->held_pin[i], fx->held_pin[fx->nheld], sizeof fx->held_pin[i]);
      fx->held_level[i] = fx->held_level[fx->nheld];
    }
  } else {
    if (i == fx->nheld) {
      if (fx->nheld == IC_HELD_PINS_MAX)
        end_now(fx, IMPCERT_ERROR, "impcert_jig_hold_pin: at most %d pins "
                "can be held", IC_HELD_PINS_MAX);
      memcpy(fx->held_pin[fx->nheld++], pin, len + 1);
    }
    fx->held_level[i] = level;
  }
  size_t at = 0;
  fx->pin_levels_text[0] = '\0';
  for (size_t k = 0; k < fx->nheld; k++)
    at += (size_t)snprintf(fx->pin_levels_text + at,
                           sizeof fx->pin_levels_text - at, "%s%s=%d",
                           k ? "," : "", fx->held_pin[k], fx->held_level[k]);
  fx->env.pin_levels = fx->nheld ? fx->pin_levels_text : NULL;
  if (level < 0)
    note(fx, "jig", "from the next power-on %s is no longer held", pin);
  else
    note(fx, "jig", "from the next power-on %s is held at %d", pin, level);
  return 0;
}

static bool needs_jig(impcert_fx *fx) {
  return fx->setup->prof && profile_has(fx->setup->prof, "jig");
}

/* Wait for the DUT to connect to the jig (the profile's startup limit). */
static void wait_jig(impcert_fx *fx) {
  long long deadline = now_ms() + fx->setup->prof->startup_ms;
  while (fx->jig_fd < 0 && now_ms() < deadline) {
    check_dut(fx);
    if (fx->jig_broken[0])
      end_now(fx, IMPCERT_ERROR, "the DUT broke the jig protocol: %s",
              fx->jig_broken);
    pump(fx, deadline);
  }
  if (fx->jig_fd < 0)
    end_now(fx, IMPCERT_ERROR, "the DUT did not connect to the jig within "
                               "%u ms", fx->setup->prof->startup_ms);
}

IMPCERT_EXPORT int impcert_jig_blinkup(impcert_fx *fx, const char *ssid,
                                       const char *password,
                                       const char *plan_id,
                                       const char *token) {
  if (!needs_jig(fx))
    end_now(fx, IMPCERT_ERROR, "BlinkUp needs the jig, and the profile does "
                               "not declare capability 'jig'");
  wait_jig(fx);
  Impjig__BlinkUp b = IMPJIG__BLINK_UP__INIT;
  b.ssid = (char *)ssid;
  b.password = (char *)password;
  b.plan_id = (char *)plan_id;
  b.enrollment_token = (char *)token;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_BLINKUP;
  e.blinkup = &b;
  if (jig_send(fx, &e.base) < 0) {
    check_dut_settled(fx);
    end_now(fx, IMPCERT_ERROR, "could not send BlinkUp over the jig");
  }
  return 0;
}

IMPCERT_EXPORT int impcert_jig_drive_pin(impcert_fx *fx, const char *pin,
                                         int level) {
  if (!needs_jig(fx))
    end_now(fx, IMPCERT_ERROR, "driving a pin needs the jig, and the "
                               "profile does not declare capability 'jig'");
  wait_jig(fx);
  Impjig__PinDrive d = IMPJIG__PIN_DRIVE__INIT;
  d.pin = (char *)pin;
  d.level = level ? 1 : 0;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_PIN_DRIVE;
  e.pin_drive = &d;
  if (jig_send(fx, &e.base) < 0)
    end_now(fx, IMPCERT_ERROR, "could not send PinDrive over the jig");
  return 0;
}

IMPCERT_EXPORT int impcert_jig_reset_pulse(impcert_fx *fx) {
  if (!needs_jig(fx))
    end_now(fx, IMPCERT_ERROR, "pulsing RESET_L needs the jig, and the "
                               "profile does not declare capability 'jig'");
  if (fx->asleep || !dut_alive(&fx->dut)) {
    note(fx, "jig", "RESET_L pulsed: the DUT is %s; not modelled",
         fx->asleep ? "asleep" : "off");
    return -1;
  }
  wait_jig(fx);
  Impjig__ResetPulse r = IMPJIG__RESET_PULSE__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_RESET_PULSE;
  e.reset_pulse = &r;
  if (jig_send(fx, &e.base) < 0)
    end_now(fx, IMPCERT_ERROR, "could not send ResetPulse over the jig");
  return 0;
}

IMPCERT_EXPORT int impcert_jig_send(impcert_fx *fx,
                                    const Impjig__JigEnvelope *msg) {
  if (!needs_jig(fx))
    end_now(fx, IMPCERT_ERROR, "a jig message needs the jig, and the "
                               "profile does not declare capability 'jig'");
  wait_jig(fx);
  if (jig_send(fx, &msg->base) < 0)
    end_now(fx, IMPCERT_ERROR, "could not send a jig message (case %d)",
            (int)msg->msg_case);
  return 0;
}

/* ---- SDK: WiFi surroundings (jig.md "WiFi") -------------------------------- */

IMPCERT_EXPORT int impcert_jig_wifi_networks(
    impcert_fx *fx, const struct impcert_wifi_net *nets, size_t n) {
  if (!needs_jig(fx))
    end_now(fx, IMPCERT_ERROR, "WiFi surroundings need the jig, and the "
                               "profile does not declare capability 'jig'");
  if (n > 64)
    end_now(fx, IMPCERT_ERROR, "impcert_jig_wifi_networks: %zu networks; "
                               "at most 64", n);
  Impjig__WifiNetwork w[64];
  Impjig__WifiNetwork *wp[64];
  for (size_t i = 0; i < n; i++) {
    const struct impcert_wifi_net *s = &nets[i];
    if (!s->ssid || !s->bssid)
      end_now(fx, IMPCERT_ERROR, "impcert_jig_wifi_networks: network %zu "
                                 "has no ssid or bssid", i);
    impjig__wifi_network__init(&w[i]);
    w[i].ssid = (char *)s->ssid;
    w[i].bssid = (char *)s->bssid;
    w[i].channel = s->channel;
    w[i].open = s->open;
    w[i].password = (char *)s->password;
    w[i].has_reachable = s->unreachable;
    w[i].reachable = !s->unreachable;
    w[i].has_rssi = s->rssi != 0;
    w[i].rssi = s->rssi;
    w[i].has_dhcp_delay_ms = s->dhcp_delay_ms != 0;
    w[i].dhcp_delay_ms = s->dhcp_delay_ms;
    w[i].has_wps = s->wps;
    w[i].wps = s->wps;
    w[i].wps_pin = (char *)s->wps_pin;
    wp[i] = &w[i];
  }
  Impjig__WifiNetworks l = IMPJIG__WIFI_NETWORKS__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  l.n_networks = n;
  l.networks = wp;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_WIFI_NETWORKS;
  e.wifi_networks = &l;
  size_t len = protobuf_c_message_get_packed_size(&e.base);
  uint8_t *buf = ic_malloc(len ? len : 1);
  if (!buf)
    end_now(fx, IMPCERT_ERROR, "harness out of memory");
  protobuf_c_message_pack(&e.base, buf);
  ic_free(fx->wifi_list);
  fx->wifi_list = buf;
  fx->wifi_list_len = len;
  fx->env.wifi = "jig"; /* from the next power-on: wait for the list */
  note(fx, "jig", "WiFi surroundings: %zu networks", n);
  if (fx->jig_fd >= 0 && jig_send(fx, &e.base) < 0)
    end_now(fx, IMPCERT_ERROR, "could not send WifiNetworks over the jig");
  return 0;
}

IMPCERT_EXPORT const Impjig__WifiEvent *
impcert_jig_wifi_event(impcert_fx *fx, int kind, unsigned timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    long long left = deadline - now_ms();
    const Impjig__JigEnvelope *m = impcert_jig_next(
        fx, IMPJIG__JIG_ENVELOPE__MSG_WIFI_EVENT,
        left > 0 ? (unsigned)left : 0);
    if (!m)
      return NULL;
    if (kind < 0 || (int)m->wifi_event->kind == kind)
      return m->wifi_event;
  }
}

IMPCERT_EXPORT const Impjig__JigEnvelope *
impcert_jig_next(impcert_fx *fx, Impjig__JigEnvelope__MsgCase kind,
                 unsigned timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    while (fx->jq_next < fx->jq_len) {
      Impjig__JigEnvelope *m = fx->jq[fx->jq_next++];
      if (m->msg_case == kind || kind == IMPJIG__JIG_ENVELOPE__MSG__NOT_SET)
        return m;
    }
    if (now_ms() >= deadline)
      return NULL;
    check_dut(fx);
    pump(fx, deadline);
  }
}

IMPCERT_EXPORT int impcert_jig_send_raw(impcert_fx *fx, const void *data,
                                        size_t n) {
  if (!needs_jig(fx))
    end_now(fx, IMPCERT_ERROR, "raw jig bytes need the jig, and the "
                               "profile does not declare capability 'jig'");
  wait_jig(fx);
  fx->jig_raw_conn = fx->jig_conns;
  note(fx, "jig->D", "raw %zu bytes", n);
  appcap_frame(fx->app, APPCAP_JIG, false, data, n);
  const uint8_t *p = data;
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(fx->jig_fd, p + off, n - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      jig_drop(fx, "write failed");
      return -1;
    }
    off += (size_t)w;
  }
  return 0;
}

IMPCERT_EXPORT bool impcert_jig_wait_closed(impcert_fx *fx,
                                            unsigned timeout_ms) {
  unsigned long conn = fx->jig_raw_conn ? fx->jig_raw_conn : fx->jig_conns;
  long long deadline = now_ms() + timeout_ms;
  while (fx->jig_fd >= 0 && fx->jig_conns == conn && now_ms() < deadline) {
    check_dut(fx);
    pump(fx, deadline);
  }
  return fx->jig_fd < 0 || fx->jig_conns != conn;
}

IMPCERT_EXPORT bool impcert_jig_wait_state(impcert_fx *fx, int state,
                                           unsigned timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  while (fx->boot_state != state && now_ms() < deadline) {
    check_dut(fx);
    pump(fx, deadline);
  }
  return fx->boot_state == state;
}

static bool led_is(const Impjig__Led *led, int colour, bool flashing) {
  return led && (int)led->colour == colour && !led->flashing == !flashing;
}

IMPCERT_EXPORT bool impcert_jig_wait_led(impcert_fx *fx, int colour,
                                         bool flashing, unsigned timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  while (!led_is(fx->led, colour, flashing) && now_ms() < deadline) {
    check_dut(fx);
    pump(fx, deadline);
  }
  return led_is(fx->led, colour, flashing);
}

IMPCERT_EXPORT const Impjig__Led *impcert_jig_led(impcert_fx *fx) {
  return fx->led;
}

/* ---- for the SDK's other modules (fixture.h) ------------------------------ */

void fixture_jig_send(impcert_fx *fx, const ProtobufCMessage *m,
                      const char *what) {
  if (!needs_jig(fx))
    end_now(fx, IMPCERT_ERROR, "%s needs the jig, and the profile does not "
                               "declare capability 'jig'", what);
  wait_jig(fx);
  if (jig_send(fx, m) < 0) {
    check_dut_settled(fx);
    end_now(fx, IMPCERT_ERROR, "could not send %s over the jig", what);
  }
}

Impjig__JigEnvelope *const *fixture_jig_history(impcert_fx *fx, size_t *n) {
  *n = fx->jq_len;
  return fx->jq;
}

long long fixture_now_ms(void) { return now_ms(); }

void fixture_wait(impcert_fx *fx, long long deadline) {
  check_dut(fx);
  pump(fx, deadline);
}

/* ---- SDK: device time ---------------------------------------------------- */

#define CLOCK_ANSWER_MS 5000 /* real time a DUT has to confirm an advance */

IMPCERT_EXPORT int impcert_clock_advance(impcert_fx *fx, uint64_t ms) {
  if (!fx->virt || !profile_has(fx->setup->prof, "virtual-clock"))
    end_now(fx, IMPCERT_ERROR, "impcert_clock_advance needs a DUT profile "
                               "with time = virtual and capability "
                               "virtual-clock");
  fx->clock_manual = true;
  /* a DUT that announced its sleep ends its process right after */
  for (long long t = now_ms() + 2000; fx->asleep && dut_alive(&fx->dut) &&
                                      now_ms() < t;)
    pump(fx, now_ms() + 20);
  if (fx->asleep && !dut_alive(&fx->dut) && fx->vnow + ms >= fx->wake_at_v) {
    /* the sleep timer fires on the way: wake there, then go on */
    uint64_t rest = fx->vnow + ms - fx->wake_at_v;
    fx->vnow = fx->wake_at_v;
    dut_wake(fx, "timer");
    /* woken at the end of the advance: it is done (the DUT starts at
    ** this time; it may be connecting, so do not hold it to a ClockDone) */
    if (rest == 0)
      return 0;
    ms = rest;
  }
  if (!dut_alive(&fx->dut)) { /* off or asleep: nobody to tell */
    fx->vnow += ms;
    note(fx, "clock", "device time %llu ms (DUT off)",
         (unsigned long long)fx->vnow);
    return 0;
  }
  wait_jig(fx);
  if (clock_send(fx, ms, false) < 0)
    end_now(fx, IMPCERT_ERROR, "could not send ClockAdvance over the jig");
  long long deadline = now_ms() + CLOCK_ANSWER_MS;
  bool was_asleep = fx->asleep;
  while (fx->clock_done != (long long)fx->clock_seq && now_ms() < deadline &&
         fx->jig_fd >= 0 && (was_asleep || !fx->asleep)) {
    check_dut(fx);
    pump(fx, deadline);
  }
  if (!was_asleep && fx->asleep && fx->clock_done != (long long)fx->clock_seq) {
    /* it went to sleep on the way (a SUSPEND_ON_ERROR give-up): the
    ** advance ends there; its wake timer counts from the new time */
    note(fx, "clock", "the DUT went to sleep during the advance");
    return 0;
  }
  if (fx->clock_done != (long long)fx->clock_seq)
    end_now(fx, IMPCERT_ERROR, "the DUT did not confirm ClockAdvance %u "
                               "within %d ms", fx->clock_seq,
            CLOCK_ANSWER_MS);
  return 0;
}

IMPCERT_EXPORT int impcert_device_wait(impcert_fx *fx, uint64_t ms) {
  if (fx->virt && profile_has(fx->setup->prof, "virtual-clock"))
    return impcert_clock_advance(fx, ms);
  long long deadline = now_ms() + (long long)ms;
  while (now_ms() < deadline) {
    check_dut(fx);
    pump(fx, deadline);
  }
  return 0;
}

IMPCERT_EXPORT bool impcert_clock_virtual(impcert_fx *fx) {
  return fx->virt && profile_has(fx->setup->prof, "virtual-clock");
}

IMPCERT_EXPORT uint64_t impcert_clock_now(impcert_fx *fx) {
  return fx->vnow;
}

/* ---- SDK: the cloud ------------------------------------------------------ */

IMPCERT_EXPORT void impcert_cloud_use_cert(impcert_fx *fx,
                                           enum impcert_cert which) {
  if ((unsigned)which > IMPCERT_CERT_OLD_TLS)
    end_now(fx, IMPCERT_ERROR, "impcert_cloud_use_cert: unknown kind %d",
            (int)which);
  fx->next_cert = which;
}

IMPCERT_EXPORT enum impcert_session impcert_cloud_accept(impcert_fx *fx,
                                                         unsigned timeout_ms) {
  session_drop(fx, "cloud accepts a new session");
  fx->sess_paused = false; /* a new session is read */
  long long deadline = now_ms() + timeout_ms;
  while (now_ms() < deadline) {
    check_dut(fx);
    struct pollfd p[NPORTS];
    for (int i = 0; i < fx->nports; i++) /* fd -1 (closed) is skipped */
      p[i] = (struct pollfd){fx->listen_fd[i], POLLIN, 0};
    /* Keep the jig flowing while the device dials. */
    pump(fx, now_ms());
    if (poll(p, (nfds_t)fx->nports, 10) <= 0)
      continue;
    for (int i = 0; i < fx->nports; i++) {
      if (!(p[i].revents & POLLIN))
        continue;
      int fd = accept4(fx->listen_fd[i], NULL, NULL, SOCK_CLOEXEC);
      if (fd < 0)
        continue;
      fx->dials[i]++;
      note(fx, "cloud", "TCP connection on port %u (%s certificate)",
           fx->port[i],
           fx->next_cert == IMPCERT_CERT_GOOD    ? "good"
           : fx->next_cert == IMPCERT_CERT_ROGUE ? "rogue CA"
           : fx->next_cert == IMPCERT_CERT_OLD_TLS
               ? "good, on a TLS 1.1-only server"
               : "wrong name");
      long long left = deadline - now_ms();
      struct ic_diag d;
      bool refused;
      ic_free(fx->sni);
      fx->sni = NULL;
      fx->sess = tls_accept(fx->setup->creds, (enum tls_cert_kind)fx->next_cert,
                            fd, left > 0 ? (unsigned)left : 1,
                            fx->setup->keylog_path, &fx->sni, &refused, &d);
      if (fx->sni)
        note(fx, "cloud", "SNI: %s", fx->sni);
      if (fx->sess) {
        fx->sess_port = i;
        note(fx, "cloud", "TLS session established%s",
             tls_resumed(fx->sess) ? " (resumed)" : "");
        appcap_session(fx->app, i);
        return IMPCERT_SESSION_OK;
      }
      note(fx, "cloud", "%s", d.msg);
      check_dut_settled(fx);
      return refused ? IMPCERT_SESSION_REFUSED : IMPCERT_SESSION_TIMEOUT;
    }
  }
  note(fx, "cloud", "no connection within %u ms", timeout_ms);
  return IMPCERT_SESSION_TIMEOUT;
}

IMPCERT_EXPORT void impcert_cloud_close_port(impcert_fx *fx, int index) {
  if (index < 0 || index >= fx->nports || fx->listen_fd[index] < 0)
    return;
  close(fx->listen_fd[index]);
  fx->listen_fd[index] = -1;
  note(fx, "cloud", "port %u closed: connects there are refused",
       fx->port[index]);
}

IMPCERT_EXPORT int impcert_cloud_open_port(impcert_fx *fx, int index) {
  if (index < 0 || index >= fx->nports)
    return -1;
  if (fx->listen_fd[index] >= 0)
    return 0;
  fx->listen_fd[index] = listen_tcp(&fx->port[index]);
  if (fx->listen_fd[index] < 0) {
    note(fx, "cloud", "port %u cannot be opened again: %s", fx->port[index],
         strerror(errno));
    return -1;
  }
  note(fx, "cloud", "port %u open again", fx->port[index]);
  return 0;
}

IMPCERT_EXPORT void impcert_cloud_pause(impcert_fx *fx, bool paused) {
  fx->sess_paused = paused;
  note(fx, "cloud", paused ? "stops reading the session"
                           : "reads the session again");
}

IMPCERT_EXPORT int impcert_cloud_session_port(impcert_fx *fx) {
  return fx->sess ? fx->sess_port : -1;
}

IMPCERT_EXPORT bool impcert_dut_cellular(impcert_fx *fx) {
  return fx->nports > WIFI_PORTS;
}

IMPCERT_EXPORT int impcert_cloud_port_dials(impcert_fx *fx, int index) {
  if (index < 0 || index >= fx->nports)
    return -1;
  /* connections still in the listen queue count too: the device dialled
  ** them even though the cloud never answered */
  int fd = fx->listen_fd[index];
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    if (fd < 0 || poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
      break;
    int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0)
      break;
    close(c);
    fx->dials[index]++;
    note(fx, "cloud", "a waiting TCP connection on port %u counted and "
         "closed", fx->port[index]);
  }
  return (int)fx->dials[index];
}

IMPCERT_EXPORT bool impcert_cloud_session_resumed(impcert_fx *fx) {
  return fx->sess && tls_resumed(fx->sess);
}

IMPCERT_EXPORT int impcert_proxy_start(impcert_fx *fx, const char *user,
                                       const char *password) {
  if (fx->proxy)
    end_now(fx, IMPCERT_ERROR, "impcert_proxy_start called twice");
  struct proxy_config c = {.host = TLS_SERVER_NAME, .user = user,
                           .password = password};
  for (int i = 0; i < NPORTS && c.nports < PROXY_MAX_PORTS; i++)
    c.ports[c.nports++] = fx->port[i];
  struct ic_diag d;
  if (proxy_start(&c, &fx->proxy, &d) < 0)
    end_now(fx, IMPCERT_ERROR, "%s", d.msg);
  note(fx, "proxy", "listening on 127.0.0.1:%u%s", proxy_port(fx->proxy),
       user ? " (credentials asked)" : "");
  return proxy_port(fx->proxy);
}

IMPCERT_EXPORT unsigned impcert_proxy_last(impcert_fx *fx, int *status,
                                           char *line, size_t cap) {
  if (!fx->proxy) {
    if (status)
      *status = 0;
    if (line && cap)
      line[0] = '\0';
    return 0;
  }
  return proxy_last(fx->proxy, status, line, cap);
}

IMPCERT_EXPORT const char *impcert_cloud_sni(impcert_fx *fx) {
  return fx->sni;
}

IMPCERT_EXPORT void impcert_cloud_close(impcert_fx *fx) {
  session_drop(fx, "closed by the cloud");
}

IMPCERT_EXPORT const Impwire__Envelope *impcert_next_frame(impcert_fx *fx,
                                                           unsigned timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    if (fx->wq_next < fx->wq_len)
      return fx->wq[fx->wq_next++];
    if (!fx->sess || now_ms() >= deadline)
      return NULL;
    check_dut(fx);
    pump(fx, deadline);
  }
}

IMPCERT_EXPORT const Impwire__Envelope *
impcert_expect_at(impcert_fx *fx, Impwire__Envelope__MsgCase kind,
                  unsigned timeout_ms, const char *file, int line) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    long long left = deadline - now_ms();
    const Impwire__Envelope *m =
        impcert_next_frame(fx, left > 0 ? (unsigned)left : 0);
    if (!m && !fx->sess)
      check_dut_settled(fx);
    if (!m)
      end_now(fx, IMPCERT_FAIL, "%s:%d: expected %s within %u ms, got %s%s%s",
              file, line, wiremsg_case_name(kind), timeout_ms,
              fx->sess ? "nothing" : "the session closed (",
              fx->sess ? "" : fx->sess_why, fx->sess ? "" : ")");
    if (m->msg_case == kind)
      return m;
    if (m->msg_case == IMPWIRE__ENVELOPE__MSG_LOG)
      continue;
    end_now(fx, IMPCERT_FAIL, "%s:%d: expected %s, got %s", file, line,
            wiremsg_case_name(kind), wiremsg_case_name(m->msg_case));
  }
}

IMPCERT_EXPORT bool impcert_cloud_wait_closed(impcert_fx *fx,
                                              unsigned timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  while (fx->sess && now_ms() < deadline) {
    check_dut(fx);
    pump(fx, deadline);
  }
  return fx->sess == NULL;
}

IMPCERT_EXPORT int impcert_send(impcert_fx *fx, const Impwire__Envelope *msg) {
  if (!fx->sess) {
    note(fx, "C->D", "(not sent, no session) %s", wiremsg_kind_name(&msg->base));
    return -1;
  }
  size_t n;
  uint8_t *f = wiremsg_frame(&msg->base, FRAME_WIRE_MAX, &n);
  if (!f)
    end_now(fx, IMPCERT_ERROR, "cannot frame %s (too large or no memory)",
            wiremsg_kind_name(&msg->base));
  note_msg(fx, "C->D", &msg->base);
  appcap_frame(fx->app, APPCAP_WIRE, false, f, n);
  struct ic_diag d;
  int r = tls_write(fx->sess, f, n, 5000, &d);
  ic_free(f);
  if (r < 0)
    session_drop(fx, d.msg);
  return r;
}

IMPCERT_EXPORT int impcert_send_raw(impcert_fx *fx, const void *data,
                                    size_t n) {
  if (!fx->sess)
    return -1;
  note(fx, "C->D", "raw %zu bytes", n);
  appcap_frame(fx->app, APPCAP_WIRE, false, data, n);
  struct ic_diag d;
  int r = tls_write(fx->sess, data, n, 5000, &d);
  if (r < 0)
    session_drop(fx, d.msg);
  return r;
}

IMPCERT_EXPORT int impcert_send_activation_result(impcert_fx *fx,
                                                  bool activated) {
  Impwire__ActivationResult a = IMPWIRE__ACTIVATION_RESULT__INIT;
  a.activated = activated;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_ACTIVATION_RESULT;
  e.activation_result = &a;
  return impcert_send(fx, &e);
}

IMPCERT_EXPORT int impcert_send_answer(impcert_fx *fx, bool match,
                                       const char *code, bool erase) {
  uint8_t hash[32];
  Impwire__CloudAnswer a = IMPWIRE__CLOUD_ANSWER__INIT;
  a.match = match;
  if (code) {
    tls_sha256(code, strlen(code), hash);
    a.has_code = a.has_code_hash = 1;
    a.code.data = (uint8_t *)code;
    a.code.len = strlen(code);
    a.code_hash.data = hash;
    a.code_hash.len = sizeof hash;
  }
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  a.has_rtc_unix_ms = 1;
  a.rtc_unix_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
  if (erase)
    a.has_erase_credentials = a.erase_credentials = 1;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_CLOUD_ANSWER;
  e.cloud_answer = &a;
  return impcert_send(fx, &e);
}

IMPCERT_EXPORT int impcert_send_reload(impcert_fx *fx) {
  Impwire__Reload r = IMPWIRE__RELOAD__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = IMPWIRE__ENVELOPE__MSG_RELOAD;
  e.reload = &r;
  return impcert_send(fx, &e);
}

/* ---- SDK: checks and verdicts ----------------------------------------- */

IMPCERT_EXPORT bool impcert_check_at(impcert_fx *fx, bool cond,
                                     const char *file, int line,
                                     const char *fmt, ...) {
  if (cond)
    return true;
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  sb_add(&fx->details, "%s:%d: check failed: %s\n", file, line, text);
  if (fx->verdict == IMPCERT_PASS) {
    fx->verdict = IMPCERT_FAIL;
    sb_add(&fx->message, "%s:%d: check failed: %s", file, line, text);
  }
  note(fx, "check", "%s:%d: failed: %s", file, line, text);
  return false;
}

IMPCERT_EXPORT void impcert_end_at(impcert_fx *fx, enum impcert_verdict v,
                                   const char *file, int line,
                                   const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (v == IMPCERT_FAIL)
    sb_add(&fx->details, "%s:%d: %s\n", file, line, text);
  end_now(fx, v, "%s:%d: %s", file, line, text);
}

IMPCERT_EXPORT void impcert_note(impcert_fx *fx, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  note(fx, "test", "%s", text);
}

IMPCERT_EXPORT void impcert_sha256(const void *data, size_t n,
                                   uint8_t out[32]) {
  tls_sha256(data, n, out);
}
