/*
** replay.c: `impcert replay`. A capture becomes a list of steps (the
** cloud's and the jig's frames to send, the device's frames to expect,
** sessions opening and closing, power cuts); one fixture plays them to a
** DUT through the plugin SDK and compares each device frame with the
** recorded one, skipping the volatile fields of specs/wire.md. The first
** difference ends the replay; the `.expect` file says whether that is
** what a correct device does.
*/
#include "replay.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "fixture.h"
#include "frame.h"
#include "profile.h"
#include "tls.h"
#include "wiremsg.h"
#include "workdir.h"

#define REPLAY_DEFAULT_TIMEOUT_MS 5000u

enum step_kind {
  ST_SESSION,       /* the device opens a session (on port_index) */
  ST_SEND,          /* the cloud sends frame */
  ST_EXPECT,        /* the device sends a frame like msg */
  ST_CLOSE_DEVICE,  /* the device closes the session */
  ST_CLOSE_CLOUD,   /* the cloud closes the session */
  ST_JIG_SEND,      /* the jig sends msg (BlinkUp) */
  ST_JIG_EXPECT,    /* the device reports msg to the jig */
  ST_JIG_GONE,      /* the device closed the jig: it stopped */
  ST_POWER_CUT      /* the harness cut the power */
};

struct step {
  enum step_kind kind;
  int port_index;            /* ST_SESSION */
  uint8_t *frame;            /* ST_SEND: header + body as recorded */
  size_t len;
  ProtobufCMessage *msg;     /* wire Envelope or JigEnvelope, or NULL */
  unsigned long packet;      /* where in the file */
  long offset;
  long long ts_us;
};

struct replay_script {
  char *path;
  struct step *steps;
  size_t n, cap;
  long long t0;
  char err[IC_DIAG_SIZE];    /* the first problem met while loading */
};

/* ---- loading a capture -------------------------------------------------- */

static int port_index(uint16_t port) {
  return port == 993 ? 1 : port == 443 ? 2 : port == 52753 ? 3 : 0;
}

static struct step *add_step(struct replay_script *s,
                             const struct decode_event *ev,
                             enum step_kind kind) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    struct step *ns = ic_realloc(s->steps, cap * sizeof *ns);
    if (!ns) {
      if (!*s->err)
        snprintf(s->err, sizeof s->err, "out of memory");
      return NULL;
    }
    s->steps = ns;
    s->cap = cap;
  }
  struct step *st = &s->steps[s->n++];
  *st = (struct step){.kind = kind,
                      .packet = ev->packet,
                      .offset = ev->offset,
                      .ts_us = ev->ts_us};
  if (s->n == 1)
    s->t0 = ev->ts_us;
  return st;
}

/* decode sink: one event of the capture becomes at most one step. */
static void on_event(void *ctx, const struct decode_event *ev) {
  struct replay_script *s = ctx;
  struct ic_diag d = {""};
  if (*s->err)
    return;
  switch (ev->kind) {
  case DECODE_EV_ERROR:
    snprintf(s->err, sizeof s->err, "packet %lu at byte offset %ld: %s",
             ev->packet, ev->offset, ev->error);
    return;
  case DECODE_EV_OPEN:
    if (!ev->jig) {
      struct step *st = add_step(s, ev, ST_SESSION);
      if (st)
        st->port_index = port_index(ev->server_port);
    }
    return;
  case DECODE_EV_CLOSE:
    if (!ev->jig)
      add_step(s, ev, ev->from_device ? ST_CLOSE_DEVICE : ST_CLOSE_CLOUD);
    else if (ev->reset && !ev->from_device)
      add_step(s, ev, ST_POWER_CUT);
    else if (ev->from_device)
      add_step(s, ev, ST_JIG_GONE);
    return; /* the jig closing its end itself needs no step */
  case DECODE_EV_FRAME:
    break;
  }
  ProtobufCMessage *m;
  if (ev->jig) {
    Impjig__JigEnvelope *e = jigmsg_decode(ev->body, ev->len, &d);
    m = e ? &e->base : NULL;
  } else {
    Impwire__Envelope *e = wiremsg_decode(ev->body, ev->len, &d);
    m = e ? &e->base : NULL;
  }
  if (!m)
    return; /* decode.c reports it as an error event */
  enum step_kind k = ev->jig ? (ev->from_device ? ST_JIG_EXPECT : ST_JIG_SEND)
                             : (ev->from_device ? ST_EXPECT : ST_SEND);
  if (k == ST_JIG_SEND &&
      ((Impjig__JigEnvelope *)m)->msg_case != IMPJIG__JIG_ENVELOPE__MSG_BLINKUP) {
    snprintf(s->err, sizeof s->err, "packet %lu at byte offset %ld: the jig "
             "sends %s; only BlinkUp can be replayed", ev->packet, ev->offset,
             wiremsg_kind_name(m));
    jigmsg_free((Impjig__JigEnvelope *)m);
    return;
  }
  struct step *st = add_step(s, ev, k);
  if (!st) {
    if (ev->jig)
      jigmsg_free((Impjig__JigEnvelope *)m);
    else
      wiremsg_free((Impwire__Envelope *)m);
    return;
  }
  st->msg = m;
  if (k == ST_SEND) {
    st->frame = ic_malloc(ev->len + FRAME_HEADER);
    if (!st->frame) {
      snprintf(s->err, sizeof s->err, "out of memory");
      return;
    }
    frame_put_header(st->frame, (uint32_t)ev->len);
    memcpy(st->frame + FRAME_HEADER, ev->body, ev->len);
    st->len = ev->len + FRAME_HEADER;
  }
}

static int read_packet(void *ctx, int linktype, long long ts_us, long offset,
                       const uint8_t *data, size_t len) {
  decode_set_offset(ctx, offset);
  decode_packet(ctx, linktype, ts_us, data, len);
  return 0;
}

struct replay_script *replay_load(const char *path, struct ic_diag *d) {
  struct replay_script *s = ic_calloc(1, sizeof *s);
  struct decode *dc = decode_new(NULL, false);
  if (!s || !dc || !(s->path = ic_strdup(path))) {
    ic_free(s);
    decode_free(dc);
    ic_fail(d, "%s: out of memory", path);
    return NULL;
  }
  decode_set_sink(dc, on_event, s);
  struct ic_diag rd = {""};
  long n = capture_read(path, read_packet, dc, &rd);
  decode_finish(dc);
  decode_free(dc);
  if (n < 0) {
    ic_fail(d, "%s", rd.msg);
  } else if (*s->err) {
    ic_fail(d, "%s: %s", path, s->err);
  } else if (s->n == 0) {
    ic_fail(d, "%s: no impcert conversation in %ld packets", path, n);
  } else {
    return s;
  }
  replay_free(s);
  return NULL;
}

void replay_free(struct replay_script *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++) {
    struct step *st = &s->steps[i];
    if (st->msg && (st->kind == ST_JIG_SEND || st->kind == ST_JIG_EXPECT))
      jigmsg_free((Impjig__JigEnvelope *)st->msg);
    else if (st->msg)
      wiremsg_free((Impwire__Envelope *)st->msg);
    ic_free(st->frame);
  }
  ic_free(s->steps);
  ic_free(s->path);
  ic_free(s);
}

size_t replay_steps(const struct replay_script *s) { return s->n; }

static const char *const step_names[] = {
    [ST_SESSION] = "device opens a session",
    [ST_SEND] = "C->D",
    [ST_EXPECT] = "D->C",
    [ST_CLOSE_DEVICE] = "device closes the session",
    [ST_CLOSE_CLOUD] = "cloud closes the session",
    [ST_JIG_SEND] = "J->D",
    [ST_JIG_EXPECT] = "D->J",
    [ST_JIG_GONE] = "device closes the jig (stops)",
    [ST_POWER_CUT] = "power cut"};

const char *replay_step_text(const struct replay_script *s, size_t i,
                             char *buf, size_t n) {
  if (i < 1 || i > s->n) {
    snprintf(buf, n, "(no step %zu)", i);
    return buf;
  }
  const struct step *st = &s->steps[i - 1];
  char *text = st->msg ? wiremsg_text(st->msg) : NULL;
  static const char *const ports[] = {"31314", "993", "443", "52753"};
  snprintf(buf, n, "%4zu  %9.6f  packet %-5lu %s%s%s%s", i,
           (double)(st->ts_us - s->t0) / 1e6, st->packet,
           step_names[st->kind], st->kind == ST_SESSION ? " on port " : "",
           st->kind == ST_SESSION ? ports[st->port_index] : "",
           text ? "  " : "");
  if (text) {
    size_t l = strlen(buf);
    snprintf(buf + l, n - l, "%s", text);
  }
  ic_free(text);
  return buf;
}

/* ---- the .expect file ---------------------------------------------------- */

static char *trim(char *p) {
  while (*p == ' ' || *p == '\t')
    p++;
  size_t l = strlen(p);
  while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\n' ||
               p[l - 1] == '\r'))
    p[--l] = '\0';
  return p;
}

int replay_expect_load(const char *path, struct replay_expect *e,
                       struct ic_diag *d) {
  memset(e, 0, sizeof *e);
  FILE *f = fopen(path, "r");
  if (!f)
    return ic_fail(d, "%s: %s", path, strerror(errno));
  char line[512];
  int lineno = 0, verdicts = 0, rc = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (!strchr(line, '\n') && !feof(f)) {
      rc = ic_fail(d, "%s:%d: line longer than %zu bytes", path, lineno,
                   sizeof line - 2);
      break;
    }
    char *p = trim(line);
    if (!*p || *p == '#')
      continue;
    int step, used = 0;
    if (!strncmp(p, "needs:", 6)) {
      snprintf(e->needs, sizeof e->needs, "%s", trim(p + 6));
      continue;
    }
    if (!strcmp(p, "match")) {
      verdicts++;
      continue;
    }
    if (sscanf(p, "diverge at step %d:%n", &step, &used) == 1 && used > 0 &&
        step > 0) {
      char *what = trim(p + used);
      if (!*what || strlen(what) >= sizeof e->what || strchr(what, ' ')) {
        rc = ic_fail(d, "%s:%d: 'diverge at step N: WHAT' wants one word "
                     "WHAT (e.g. device_state.wake_reason)", path, lineno);
        break;
      }
      e->diverge_step = step;
      snprintf(e->what, sizeof e->what, "%s", what);
      verdicts++;
      continue;
    }
    rc = ic_fail(d, "%s:%d: expected 'match', 'diverge at step N: WHAT' or "
                 "'needs: CAP, ...', not '%.60s'", path, lineno, p);
    break;
  }
  if (rc == 0 && ferror(f))
    rc = ic_fail(d, "%s: read error", path);
  fclose(f);
  if (rc == 0 && verdicts != 1)
    rc = ic_fail(d, "%s: wants exactly one 'match' or 'diverge at step N: "
                 "WHAT' line, found %d", path, verdicts);
  return rc;
}

/* ---- comparing a device frame with the recording ------------------------ */

/* specs/wire.md "Volatile fields": differ between devices or runs. */
static bool is_volatile(const char *msg, const char *field) {
  static const char *const list[][2] = {
      {"device_state", "mac"},      {"device_state", "device_id"},
      {"device_state", "os_version"}, {"device_state", "boot_count"},
      {"hello", "os_version"},      {"hello", "features"},
      {"deep_sleep", "wake_in_ms"}};
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
    if (!strcmp(list[i][0], msg) && !strcmp(list[i][1], field))
      return true;
  return false;
}

static bool packed_equal(const ProtobufCMessage *a, const ProtobufCMessage *b) {
  if (!a || !b)
    return a == b;
  size_t na = protobuf_c_message_get_packed_size(a);
  size_t nb = protobuf_c_message_get_packed_size(b);
  if (na != nb)
    return false;
  uint8_t *pa = ic_malloc(na ? na : 1), *pb = ic_malloc(nb ? nb : 1);
  bool eq = pa && pb;
  if (eq) {
    protobuf_c_message_pack(a, pa);
    protobuf_c_message_pack(b, pb);
    eq = !memcmp(pa, pb, na);
  }
  ic_free(pa);
  ic_free(pb);
  return eq;
}

static size_t scalar_size(ProtobufCType t) {
  switch (t) {
  case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
  case PROTOBUF_C_TYPE_UINT64:
  case PROTOBUF_C_TYPE_INT64:
  case PROTOBUF_C_TYPE_SINT64:
  case PROTOBUF_C_TYPE_FIXED64:
  case PROTOBUF_C_TYPE_SFIXED64:
  case PROTOBUF_C_TYPE_DOUBLE: return 8;
  case PROTOBUF_C_TYPE_STRING:
  case PROTOBUF_C_TYPE_MESSAGE: return sizeof(void *);
  case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
  default: return 4;
  }
}

/* One value of field fd at p in each message. */
static bool value_equal(const ProtobufCFieldDescriptor *fd, const void *pa,
                        const void *pb) {
  switch (fd->type) {
  case PROTOBUF_C_TYPE_STRING: {
    const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
    return !strcmp(sa ? sa : "", sb ? sb : "");
  }
  case PROTOBUF_C_TYPE_BYTES: {
    const ProtobufCBinaryData *ba = pa, *bb = pb;
    return ba->len == bb->len && (!ba->len || !memcmp(ba->data, bb->data,
                                                      ba->len));
  }
  case PROTOBUF_C_TYPE_MESSAGE:
    return packed_equal(*(ProtobufCMessage *const *)pa,
                        *(ProtobufCMessage *const *)pb);
  case PROTOBUF_C_TYPE_BOOL:
    return !*(const protobuf_c_boolean *)pa == !*(const protobuf_c_boolean *)pb;
  default:
    return !memcmp(pa, pb, scalar_size(fd->type));
  }
}

/* Compare the messages a and b (same descriptor), skipping the volatile
** fields of `name`. Returns the first differing field's name or NULL. */
static const char *first_difference(const char *name,
                                    const ProtobufCMessage *a,
                                    const ProtobufCMessage *b) {
  const ProtobufCMessageDescriptor *desc = a->descriptor;
  for (unsigned i = 0; i < desc->n_fields; i++) {
    const ProtobufCFieldDescriptor *fd = &desc->fields[i];
    if (is_volatile(name, fd->name))
      continue;
    const char *ba = (const char *)a, *bb = (const char *)b;
    if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
      size_t na = *(const size_t *)(ba + fd->quantifier_offset);
      size_t nb = *(const size_t *)(bb + fd->quantifier_offset);
      if (na != nb)
        return fd->name;
      const char *ea = *(char *const *)(ba + fd->offset);
      const char *eb = *(char *const *)(bb + fd->offset);
      size_t sz = scalar_size(fd->type);
      for (size_t k = 0; k < na; k++)
        if (!value_equal(fd, ea + k * sz, eb + k * sz))
          return fd->name;
      continue;
    }
    if (fd->label == PROTOBUF_C_LABEL_OPTIONAL && fd->quantifier_offset &&
        fd->type != PROTOBUF_C_TYPE_MESSAGE &&
        fd->type != PROTOBUF_C_TYPE_STRING) {
      protobuf_c_boolean ha =
          *(const protobuf_c_boolean *)(ba + fd->quantifier_offset);
      protobuf_c_boolean hb =
          *(const protobuf_c_boolean *)(bb + fd->quantifier_offset);
      if (!ha != !hb)
        return fd->name;
      if (!ha)
        continue;
    }
    if (!value_equal(fd, ba + fd->offset, bb + fd->offset))
      return fd->name;
  }
  return NULL;
}

/* The message an envelope (wire or jig) carries, and its field name. */
static const ProtobufCMessage *inner(const ProtobufCMessage *env,
                                     const char **name) {
  const ProtobufCMessageDescriptor *desc = env->descriptor;
  uint32_t c = *(const uint32_t *)((const char *)env + desc->fields[0]
                                                           .quantifier_offset);
  const ProtobufCFieldDescriptor *fd =
      protobuf_c_message_descriptor_get_field(desc, (unsigned)c);
  if (!fd) {
    *name = "(none)";
    return NULL;
  }
  *name = fd->name;
  return *(ProtobufCMessage *const *)((const char *)env + fd->offset);
}

/* Where the DUT's frame got differs from the recorded want, as a name
** ("kind", "device_state.wake_reason"), written into what; or false if
** they agree. Boot counts are compared as steps between DeviceStates. */
struct boot_counts {
  bool have;
  uint32_t want, got;
};

static bool differs(const ProtobufCMessage *want, const ProtobufCMessage *got,
                    struct boot_counts *bc, char *what, size_t n) {
  const char *wn, *gn;
  const ProtobufCMessage *wi = inner(want, &wn), *gi = inner(got, &gn);
  if (strcmp(wn, gn) || !wi || !gi) {
    snprintf(what, n, "kind");
    return true;
  }
  const char *field = first_difference(wn, wi, gi);
  if (field) {
    snprintf(what, n, "%s.%s", wn, field);
    return true;
  }
  if (!strcmp(wn, "device_state")) {
    uint32_t w = ((const Impwire__DeviceState *)wi)->boot_count;
    uint32_t g = ((const Impwire__DeviceState *)gi)->boot_count;
    bool bad = bc->have && w - bc->want != g - bc->got;
    *bc = (struct boot_counts){true, w, g};
    if (bad) {
      snprintf(what, n, "device_state.boot_count");
      return true;
    }
  }
  return false;
}

/* ---- playing the steps (inside the fixture) ------------------------------ */

/* The replay in progress. File scope because a case's run function gets
** only the fixture; one replay runs per process. */
static struct {
  const struct replay_script *s;
  unsigned base_ms, base_session_ms; /* --timeout, and for sessions */
  unsigned timeout_ms, session_ms;   /* for this step: base + the gap the
                                        recording shows before it */
  size_t step;          /* 1-based step of the divergence, 0: none */
  char what[64];
  char *want, *got;     /* both sides, for the report */
  unsigned extra;       /* device frames after the recording ended */
} play;

static _Noreturn void diverge(impcert_fx *fx, size_t i, const char *what,
                              const char *want, const char *got) {
  play.step = i;
  snprintf(play.what, sizeof play.what, "%s", what);
  play.want = ic_strdup(want);
  play.got = ic_strdup(got);
  impcert_end_at(fx, IMPCERT_FAIL, "replay", (int)i, "step %zu: %s", i, what);
}

static _Noreturn void diverge_msg(impcert_fx *fx, size_t i, const char *what,
                                  const ProtobufCMessage *want,
                                  const ProtobufCMessage *got,
                                  const char *got_text) {
  char *w = wiremsg_text(want), *g = got ? wiremsg_text(got) : NULL;
  char wb[2048], gb[2048];
  snprintf(wb, sizeof wb, "%s", w ? w : "?");
  snprintf(gb, sizeof gb, "%s", g ? g : got_text);
  ic_free(w);
  ic_free(g);
  diverge(fx, i, what, wb, gb);
}

/* Frames the DUT sent that nobody awaits: noted, not compared. */
static void drain_extra(impcert_fx *fx, const char *when) {
  const Impwire__Envelope *m;
  while ((m = impcert_next_frame(fx, 0))) {
    char *t = wiremsg_text(&m->base);
    impcert_note(fx, "replay: not compared (%s): %s", when, t ? t : "?");
    ic_free(t);
    play.extra++;
  }
}

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void step_session(impcert_fx *fx, size_t i, const struct step *st,
                         int *closed_below) {
  static const char *const ports[] = {"31314", "993", "443", "52753"};
  drain_extra(fx, "sent before the next session");
  if (st->port_index < *closed_below)
    diverge(fx, i, "cannot-replay", "a session on a port refused earlier",
            "this replay cannot reopen a cloud port");
  for (; *closed_below < st->port_index; (*closed_below)++)
    impcert_cloud_close_port(fx, *closed_below);
  enum impcert_session r = impcert_cloud_accept(fx, play.session_ms);
  if (r == IMPCERT_SESSION_OK) {
    if (impcert_cloud_session_port(fx) == st->port_index)
      return;
    char want[64], got[64];
    snprintf(want, sizeof want, "a session on port %s", ports[st->port_index]);
    snprintf(got, sizeof got, "a session on port %s",
             ports[impcert_cloud_session_port(fx)]);
    diverge(fx, i, "session-port", want, got);
  }
  char want[64], got[96];
  snprintf(want, sizeof want, "the device opens a session (port %s)",
           ports[st->port_index]);
  snprintf(got, sizeof got, r == IMPCERT_SESSION_REFUSED
                                ? "the device broke off the TLS handshake"
                                : "no session within %u ms",
           play.session_ms);
  diverge(fx, i, "no-session", want, got);
}

static void step_expect(impcert_fx *fx, size_t i, const struct step *st,
                        struct boot_counts *bc) {
  const Impwire__Envelope *m = impcert_next_frame(fx, play.timeout_ms);
  if (!m) {
    char got[96];
    snprintf(got, sizeof got, "nothing within %u ms", play.timeout_ms);
    diverge_msg(fx, i, "missing", st->msg, NULL, got);
  }
  char what[64];
  if (differs(st->msg, &m->base, bc, what, sizeof what))
    diverge_msg(fx, i, what, st->msg, &m->base, NULL);
}

static void step_close_device(impcert_fx *fx, size_t i) {
  bool closed = impcert_cloud_wait_closed(fx, play.timeout_ms);
  const Impwire__Envelope *m = impcert_next_frame(fx, 0);
  if (m) {
    char *t = wiremsg_text(&m->base);
    char got[2048];
    snprintf(got, sizeof got, "%s", t ? t : "?");
    ic_free(t);
    diverge(fx, i, "extra", "the device closes the session", got);
  }
  if (!closed) {
    char got[96];
    snprintf(got, sizeof got, "the session is still open after %u ms",
             play.timeout_ms);
    diverge(fx, i, "not-closed", "the device closes the session", got);
  }
}

static void step_jig_send(impcert_fx *fx, const struct step *st) {
  const Impjig__BlinkUp *b = ((Impjig__JigEnvelope *)st->msg)->blinkup;
  impcert_jig_blinkup(fx, b->ssid, b->password, b->plan_id,
                      b->enrollment_token);
}

/* Jig reports are states: the DUT may report more of them, so the next
** one of the same kind equal to the recorded one is looked for. */
static void step_jig_expect(impcert_fx *fx, size_t i, const struct step *st) {
  const Impjig__JigEnvelope *want = (Impjig__JigEnvelope *)st->msg;
  const Impjig__JigEnvelope *last = NULL;
  char what[64];
  struct boot_counts none = {0};
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    long long spent = (t.tv_sec - t0.tv_sec) * 1000LL +
                      (t.tv_nsec - t0.tv_nsec) / 1000000;
    long long left = (long long)play.timeout_ms - spent;
    const Impjig__JigEnvelope *m =
        left > 0 ? impcert_jig_next(fx, want->msg_case, (unsigned)left)
                 : NULL;
    if (!m)
      break;
    if (!differs(&want->base, &m->base, &none, what, sizeof what))
      return;
    last = m;
  }
  char got[96];
  snprintf(got, sizeof got, "no such %s within %u ms",
           jigmsg_case_name(want->msg_case), play.timeout_ms);
  snprintf(what, sizeof what, "jig:%s", jigmsg_case_name(want->msg_case));
  diverge_msg(fx, i, what, &want->base, last ? &last->base : NULL, got);
}

/* Returns whether the DUT must be powered on again: not when it went to
** deep sleep (it told the jig), since the fixture wakes it then. */
static bool step_jig_gone(impcert_fx *fx, size_t i) {
  for (unsigned waited = 0; waited < play.timeout_ms; waited += 10) {
    if (!impcert_dut_running(fx))
      return !impcert_dut_asleep(fx);
    sleep_ms(10);
  }
  char got[96];
  snprintf(got, sizeof got, "still running after %u ms", play.timeout_ms);
  diverge(fx, i, "jig-not-closed",
          "the device closes the jig and stops (crash, restart or sleep)",
          got);
}

static void replay_case(impcert_fx *fx) {
  const struct replay_script *s = play.s;
  struct boot_counts bc = {0};
  bool need_power = true;
  int closed_below = 0;
  for (size_t i = 1; i <= s->n; i++) {
    const struct step *st = &s->steps[i - 1];
    /* A device that took 10 s in the recording (a deep sleep) may take
    ** them again: the wait is the timeout plus the recorded gap. */
    long long gap = i > 1 ? (st->ts_us - st[-1].ts_us) / 1000 : 0;
    if (gap < 0)
      gap = 0;
    if (gap > 600000)
      gap = 600000;
    play.timeout_ms = play.base_ms + (unsigned)gap;
    play.session_ms = play.base_session_ms + (unsigned)gap;
    if (need_power && st->kind != ST_POWER_CUT) {
      impcert_dut_power_on(fx);
      need_power = false;
    }
    switch (st->kind) {
    case ST_SESSION:
      step_session(fx, i, st, &closed_below);
      break;
    case ST_SEND:
      if (impcert_send_raw(fx, st->frame, st->len) < 0)
        diverge_msg(fx, i, "closed-early", st->msg, NULL,
                    "the session is closed: nothing could be sent");
      break;
    case ST_EXPECT:
      step_expect(fx, i, st, &bc);
      break;
    case ST_CLOSE_DEVICE:
      step_close_device(fx, i);
      break;
    case ST_CLOSE_CLOUD:
      drain_extra(fx, "sent after the recording's last frame");
      impcert_cloud_close(fx);
      break;
    case ST_JIG_SEND:
      step_jig_send(fx, st);
      break;
    case ST_JIG_EXPECT:
      step_jig_expect(fx, i, st);
      break;
    case ST_JIG_GONE:
      need_power = step_jig_gone(fx, i);
      break;
    case ST_POWER_CUT:
      impcert_dut_power_off(fx);
      need_power = true;
      break;
    }
  }
  drain_extra(fx, "sent after the recording ended");
}

/* ---- the command ---------------------------------------------------------- */

static const char replay_usage[] =
    "usage: impcert replay FILE --dut PROFILE [--expect FILE] [--timeout MS]\n"
    "                      [--capture DIR] [--emit-test [DIR]] [-v]\n"
    "       impcert replay FILE --steps\n"
    "\n"
    "Plays the cloud's side of the application-level capture FILE\n"
    "(ID.app.pcap) to the DUT of PROFILE and compares the DUT's frames with\n"
    "the recorded ones (volatile fields of specs/wire.md ignored).\n"
    "  --expect FILE   what must happen (default: FILE without .app.pcap or\n"
    "                  .pcap, plus .expect; none: 'match')\n"
    "  --timeout MS    wait this long for each device action (default 5000)\n"
    "  --capture DIR   record the replay itself (pcap, keys, app.pcap)\n"
    "  --emit-test [DIR]  turn FILE into a regression test: copy it to DIR\n"
    "                  (default captures/) with an .expect saying what the\n"
    "                  DUT did now; tests/replay.sh then replays it\n"
    "  --steps         list the steps of FILE and exit\n"
    "exit status: 0 the DUT behaved as the .expect file says (or lacks a\n"
    "capability it needs: skipped); 1 it did not, or the replay broke;\n"
    "2 usage or input error.\n";

static char *self_dir(void) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return ic_strdup(".");
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash)
    *slash = '\0';
  return ic_strdup(buf);
}

/* FILE's name without folder and .app.pcap/.pcap/.pcapng; ic_free. */
static char *base_name(const char *path) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  size_t l = strlen(b);
  static const char *const ext[] = {".app.pcap", ".pcapng", ".pcap"};
  for (size_t i = 0; i < 3; i++) {
    size_t el = strlen(ext[i]);
    if (l > el && !strcmp(b + l - el, ext[i])) {
      l -= el;
      break;
    }
  }
  return ic_asprintf("%.*s", (int)l, b);
}

/* The default .expect beside FILE. */
static char *expect_path_for(const char *path) {
  char *base = base_name(path);
  const char *slash = strrchr(path, '/');
  char *p = base ? ic_asprintf("%.*s%s.expect",
                               slash ? (int)(slash - path + 1) : 0, path, base)
                 : NULL;
  ic_free(base);
  return p;
}

static int copy_file(const char *from, const char *to, struct ic_diag *d) {
  FILE *in = fopen(from, "rb");
  if (!in)
    return ic_fail(d, "%s: %s", from, strerror(errno));
  FILE *out = fopen(to, "wbx");
  if (!out) {
    fclose(in);
    return ic_fail(d, "%s: %s", to, strerror(errno));
  }
  char buf[65536];
  size_t n;
  int rc = 0;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n) {
      rc = ic_fail(d, "%s: write failed", to);
      break;
    }
  if (ferror(in))
    rc = ic_fail(d, "%s: read failed", from);
  fclose(in);
  if (fclose(out) != 0 && rc == 0)
    rc = ic_fail(d, "%s: write failed", to);
  return rc;
}

/* --emit-test: FILE and an .expect of what happened into dir. */
static int emit_test(const char *path, const char *dir, const char *profile,
                     struct ic_diag *d) {
  char *base = base_name(path);
  char *pcap = base ? ic_asprintf("%s/%s.app.pcap", dir, base) : NULL;
  char *exp = base ? ic_asprintf("%s/%s.expect", dir, base) : NULL;
  int rc = -1;
  if (!pcap || !exp) {
    ic_fail(d, "out of memory");
  } else if (access(exp, F_OK) == 0) {
    ic_fail(d, "%s exists already; remove it to emit the test again", exp);
  } else if (strcmp(pcap, path) && copy_file(path, pcap, d) < 0) {
    /* copy_file said why */
  } else {
    FILE *f = fopen(exp, "wx");
    if (!f) {
      ic_fail(d, "%s: %s", exp, strerror(errno));
    } else {
      fprintf(f, "# %s.app.pcap replayed against %s by impcert replay "
              "--emit-test.\n# docs/captures.md explains this file.\n", base,
              profile);
      if (play.step)
        fprintf(f, "diverge at step %zu: %s\n", play.step, play.what);
      else
        fputs("match\n", f);
      rc = fclose(f) == 0 ? 0 : ic_fail(d, "%s: write failed", exp);
      if (rc == 0)
        printf("impcert replay: wrote %s and %s\n", pcap, exp);
    }
  }
  ic_free(base);
  ic_free(pcap);
  ic_free(exp);
  return rc;
}

struct replay_opts {
  const char *file, *profile, *expect, *capture_dir, *emit_dir;
  unsigned timeout_ms;
  bool steps, emit, emit_dir_given, verbose;
};

static int parse_opts(int argc, char **argv, struct replay_opts *o) {
  static const struct option longopts[] = {
      {"dut", required_argument, NULL, 'D'},
      {"expect", required_argument, NULL, 'E'},
      {"timeout", required_argument, NULL, 'T'},
      {"capture", required_argument, NULL, 'C'},
      {"emit-test", optional_argument, NULL, 'M'},
      {"steps", no_argument, NULL, 'S'},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  *o = (struct replay_opts){.timeout_ms = REPLAY_DEFAULT_TIMEOUT_MS,
                            .emit_dir = "captures"};
  int c;
  optind = 0; /* full re-initialisation: main's getopt may have run */
  opterr = 0;
  /* "-": operands come back as 1, in order, wherever they are. */
  while ((c = getopt_long(argc, argv, "-:vh", longopts, NULL)) != -1) {
    switch (c) {
    case 'D': o->profile = optarg; break;
    case 'E': o->expect = optarg; break;
    case 'C': o->capture_dir = optarg; break;
    case 'S': o->steps = true; break;
    case 'v': o->verbose = true; break;
    case 'M':
      o->emit = true;
      if (optarg) {
        o->emit_dir = optarg;
        o->emit_dir_given = true;
      }
      break;
    case 'T': {
      char *end;
      long v = strtol(optarg, &end, 10);
      if (end == optarg || *end || v < 1 || v > 600000) {
        fprintf(stderr, "impcert replay: --timeout wants 1 to 600000 ms, "
                        "not '%s'\n", optarg);
        return -1;
      }
      o->timeout_ms = (unsigned)v;
      break;
    }
    case 'h': fputs(replay_usage, stdout); return 1;
    case 1:
      if (o->file && o->emit && !o->emit_dir_given) {
        o->emit_dir = optarg; /* --emit-test DIR */
        o->emit_dir_given = true;
        break;
      }
      if (o->file) {
        fprintf(stderr, "impcert replay: one capture at a time, not also "
                        "'%s'\n", optarg);
        return -1;
      }
      o->file = optarg;
      break;
    case ':':
      fprintf(stderr, "impcert replay: %s needs a value\n", argv[optind - 1]);
      return -1;
    default:
      fprintf(stderr, "impcert replay: unknown option '%s' (try --help)\n",
              argv[optind - 1]);
      return -1;
    }
  }
  return 0;
}

/* Run the replay in a fixture. Returns 0 when it ran (play says how), or
** -1 with why in err when the harness or DUT broke. */
static int play_script(const struct replay_opts *o,
                       const struct replay_script *s,
                       const struct profile *prof, char *err, size_t n) {
  char workdir[256];
  struct ic_diag wd;
  if (workdir_make(workdir, sizeof workdir, "impcert-replay", &wd) < 0) {
    snprintf(err, n, "%s", wd.msg);
    return -1;
  }
  char *bindir = self_dir();
  char *ca = ic_asprintf("%s/ca.pem", workdir);
  char *base = base_name(o->file);
  char *pcap = NULL, *keys = NULL;
  if (o->capture_dir && base) {
    mkdir(o->capture_dir, 0755);
    pcap = ic_asprintf("%s/replay-%s.pcap", o->capture_dir, base);
    keys = ic_asprintf("%s/replay-%s.keys", o->capture_dir, base);
  }
  struct ic_diag d = {""};
  struct tls_creds *creds = ca && bindir ? tls_creds_create(ca, &d) : NULL;
  int rc = -1;
  if (!creds) {
    snprintf(err, n, "%s", *d.msg ? d.msg : "out of memory");
  } else {
    struct impcert_case tc = {.id = "REPLAY", .title = o->file,
                              .run = replay_case};
    struct fixture_setup fs = {.tc = &tc,
                               .prof = prof,
                               .creds = creds,
                               .bindir = bindir,
                               .dir = workdir,
                               .ca_path = ca,
                               .pcap_path = pcap,
                               .keylog_path = keys,
                               .verbose = o->verbose};
    struct fixture_outcome out;
    play.s = s;
    play.base_ms = o->timeout_ms;
    play.base_session_ms = o->timeout_ms > prof->startup_ms ? o->timeout_ms
                                                            : prof->startup_ms;
    fixture_run(&fs, &out);
    if (out.verdict == IMPCERT_PASS || (out.verdict == IMPCERT_FAIL &&
                                        play.step)) {
      rc = 0;
    } else {
      snprintf(err, n, "%s", out.message ? out.message : "the replay broke");
    }
    if (o->verbose && out.transcript)
      fprintf(stderr, "%s", out.transcript);
    ic_free(out.message);
    ic_free(out.details);
    ic_free(out.transcript);
    ic_free(out.firmware);
    tls_creds_destroy(creds);
  }
  if (workdir_remove(workdir, &wd) < 0)
    fprintf(stderr, "impcert replay: %s\n", wd.msg);
  ic_free(bindir);
  ic_free(ca);
  ic_free(base);
  ic_free(pcap);
  ic_free(keys);
  return rc;
}

int replay_main(int argc, char **argv) {
  /* A DUT that dies mid-write must not kill the replay (as in the runner). */
  signal(SIGPIPE, SIG_IGN);
  struct replay_opts o;
  int r = parse_opts(argc, argv, &o);
  if (r != 0)
    return r > 0 ? 0 : 2;
  if (!o.file) {
    fprintf(stderr, "impcert replay: no capture given\n%s", replay_usage);
    return 2;
  }
  struct ic_diag d = {""};
  struct replay_script *s = replay_load(o.file, &d);
  if (!s) {
    fprintf(stderr, "impcert replay: %s\n", d.msg);
    return 2;
  }
  if (o.steps) {
    char line[1024];
    for (size_t i = 1; i <= s->n; i++)
      puts(replay_step_text(s, i, line, sizeof line));
    replay_free(s);
    return 0;
  }
  if (!o.profile) {
    fprintf(stderr, "impcert replay: needs --dut PROFILE\n");
    replay_free(s);
    return 2;
  }
  struct replay_expect ex = {0};
  char *exp_path = o.expect ? ic_strdup(o.expect) : expect_path_for(o.file);
  bool have_expect = exp_path && (o.expect || access(exp_path, F_OK) == 0);
  if (have_expect && replay_expect_load(exp_path, &ex, &d) < 0) {
    fprintf(stderr, "impcert replay: %s\n", d.msg);
    ic_free(exp_path);
    replay_free(s);
    return 2;
  }
  if (ex.diverge_step > (int)s->n) {
    fprintf(stderr, "impcert replay: %s: step %d does not exist (%s has %zu "
            "steps)\n", exp_path, ex.diverge_step, o.file, s->n);
    ic_free(exp_path);
    replay_free(s);
    return 2;
  }
  struct profile prof;
  if (profile_load(o.profile, &prof, &d) < 0) {
    fprintf(stderr, "impcert replay: %s\n", d.msg);
    ic_free(exp_path);
    replay_free(s);
    return 2;
  }
  char missing[64];
  int rc;
  if (profile_missing(&prof, ex.needs, missing, sizeof missing)) {
    printf("impcert replay: %s: SKIP: %s needs capability '%s', which %s "
           "does not declare\n", o.file, exp_path, missing, o.profile);
    rc = 0;
    goto done;
  }
  char err[IC_DIAG_SIZE];
  if (play_script(&o, s, &prof, err, sizeof err) < 0) {
    fprintf(stderr, "impcert replay: %s: the replay broke: %s\n", o.file, err);
    rc = 1;
    goto done;
  }
  if (play.step) {
    const struct step *st = &s->steps[play.step - 1];
    char line[1024];
    printf("impcert replay: %s: diverges at step %zu (packet %lu, byte "
           "offset %ld): %s\n  step:    %s\n  capture: %s\n  DUT:     %s\n",
           o.file, play.step, st->packet, st->offset, play.what,
           replay_step_text(s, play.step, line, sizeof line),
           play.want ? play.want : "?", play.got ? play.got : "?");
  } else {
    printf("impcert replay: %s: the DUT matches all %zu steps", o.file, s->n);
    if (play.extra)
      printf(" (%u frames after the recording ended, not compared)",
             play.extra);
    putchar('\n');
  }
  if (o.emit) {
    rc = emit_test(o.file, o.emit_dir, o.profile, &d) < 0 ? 2 : 0;
    if (rc)
      fprintf(stderr, "impcert replay: --emit-test: %s\n", d.msg);
    goto done;
  }
  bool as_expected = ex.diverge_step == 0
                         ? play.step == 0
                         : (size_t)ex.diverge_step == play.step &&
                               !strcmp(ex.what, play.what);
  if (as_expected) {
    printf("impcert replay: %s: as expected (%s)\n", o.file,
           ex.diverge_step ? "the same divergence" : "match");
    rc = 0;
  } else {
    if (ex.diverge_step)
      printf("impcert replay: %s: NOT as expected: %s says 'diverge at step "
             "%d: %s'\n", o.file, exp_path, ex.diverge_step, ex.what);
    else
      printf("impcert replay: %s: NOT as expected: %s\n", o.file,
             have_expect ? "the .expect file says 'match'"
                         : "no .expect file, so the DUT must match");
    rc = 1;
  }
done:
  ic_free(play.want);
  ic_free(play.got);
  play.want = play.got = NULL;
  profile_fini(&prof);
  ic_free(exp_path);
  replay_free(s);
  return rc;
}
