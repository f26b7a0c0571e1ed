/*
** decode.c: `impcert decode`, the messages in a pcap as a timeline.
** Layers, bottom up: link (Ethernet, SLL, SLL2, null, raw IP), IP (v4, v6
** with its extension headers), TCP (one flow per direction, reassembled
** in sequence order with out-of-order segments held and overlaps cut),
** then frames (frame.h) and messages (wiremsg.h). A flow that stops
** decoding says so once and is dropped; the others go on.
*/
#include "decode.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "frame.h"
#include "wiremsg.h"

#define HELD_MAX (64u << 20) /* out-of-order bytes held per flow */

/* A segment received ahead of the next expected sequence number. */
struct seg {
  uint32_t seq;
  size_t len;
  uint8_t *data;
  struct seg *next;
};

/* One direction of one TCP connection. */
struct flow {
  int v6;
  uint8_t src[16], dst[16];
  uint16_t sport, dport;
  bool have_next; /* next is known (a SYN or the first segment seen) */
  uint32_t next;  /* sequence number of the next byte to deliver */
  bool syn, synack;
  bool jig;       /* port 7: jig frames */
  bool dead;      /* stopped decoding; said so */
  unsigned conn;  /* connection number (shared with the reverse flow) */
  bool closed;    /* the connection's close was reported */
  struct seg *held;
  size_t held_bytes;
  struct frame_reader rd;
  struct flow *nextf;
};

struct decode {
  FILE *out;
  bool json;
  bool have_t0;
  long long t0, last; /* first and latest packet time */
  unsigned long packets, errors, msgs;
  struct flow *flows;
  unsigned conns;        /* connection numbers handed out */
  long offset;           /* file offset of the current packet */
  decode_sink_fn sink;
  void *sink_ctx;
};

/* The packet being decoded: what the layers found. */
struct pkt {
  long long ts;
  int v6;
  const uint8_t *src, *dst; /* 4 or 16 bytes */
  uint16_t sport, dport;
  uint32_t seq;
  uint8_t flags;
  const uint8_t *payload;
  size_t n;
};

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_ACK = 0x10 };

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* a - b in sequence space: negative when a is before b. */
static int32_t seqdiff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

struct decode *decode_new(FILE *out, bool json) {
  struct decode *dc = ic_calloc(1, sizeof *dc);
  if (!dc)
    return NULL;
  dc->out = out;
  dc->json = json;
  return dc;
}

static void free_held(struct flow *f) {
  while (f->held) {
    struct seg *s = f->held;
    f->held = s->next;
    ic_free(s->data);
    ic_free(s);
  }
  f->held_bytes = 0;
}

void decode_free(struct decode *dc) {
  if (!dc)
    return;
  while (dc->flows) {
    struct flow *f = dc->flows;
    dc->flows = f->nextf;
    free_held(f);
    frame_reader_fini(&f->rd);
    ic_free(f);
  }
  ic_free(dc);
}

unsigned long decode_messages(const struct decode *dc) { return dc->msgs; }

void decode_set_sink(struct decode *dc, decode_sink_fn fn, void *ctx) {
  dc->sink = fn;
  dc->sink_ctx = ctx;
}

void decode_set_offset(struct decode *dc, long offset) {
  dc->offset = offset;
}

/* "10.0.0.2:40000" or "[::1]:40000" into buf. */
static void endpoint(char *buf, size_t cap, int v6, const uint8_t *a,
                     uint16_t port) {
  char ip[INET6_ADDRSTRLEN] = "?";
  inet_ntop(v6 ? AF_INET6 : AF_INET, a, ip, sizeof ip);
  snprintf(buf, cap, v6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)port);
}

static bool server_port(uint16_t p) {
  return p == APPCAP_WIRE_PORT || p == 993 || p == 443 || p == 52753 ||
         p == APPCAP_JIG_PORT;
}

static struct flow *find_flow(struct decode *dc, int v6, const uint8_t *src,
                              const uint8_t *dst, uint16_t sport,
                              uint16_t dport) {
  size_t al = v6 ? 16 : 4;
  for (struct flow *f = dc->flows; f; f = f->nextf)
    if (f->v6 == v6 && f->sport == sport && f->dport == dport &&
        !memcmp(f->src, src, al) && !memcmp(f->dst, dst, al))
      return f;
  return NULL;
}

/* Whether f is sent by the device: a well-known server port decides, then
** who sent the SYN, then the lower port is taken for the server. */
static bool from_device(struct decode *dc, const struct flow *f) {
  if (server_port(f->dport) != server_port(f->sport))
    return server_port(f->dport);
  if (f->syn || f->synack)
    return !f->synack;
  const struct flow *r =
      find_flow(dc, f->v6, f->dst, f->src, f->dport, f->sport);
  if (r && (r->syn || r->synack))
    return r->synack;
  return f->dport < f->sport;
}

/* The port of f's connection that is the cloud's (or jig's). */
static uint16_t far_port(struct decode *dc, const struct flow *f) {
  return from_device(dc, f) ? f->dport : f->sport;
}

/* Report an event about flow f to the sink, if any. */
static void sink_event(struct decode *dc, const struct flow *f,
                       enum decode_ev_kind kind, long long ts,
                       const uint8_t *body, size_t len, const char *err) {
  if (!dc->sink)
    return;
  struct decode_event ev = {.kind = kind,
                            .jig = f->jig,
                            .from_device = from_device(dc, f),
                            .conn = f->conn,
                            .server_port = far_port(dc, f),
                            .frame = f->rd.count,
                            .packet = dc->packets,
                            .offset = dc->offset,
                            .ts_us = ts,
                            .body = body,
                            .len = len,
                            .error = err};
  dc->sink(dc->sink_ctx, &ev);
}

/* Print one timeline line: a message (kind, text) or an error (err). */
static void emit(struct decode *dc, const struct flow *f, long long ts,
                 const char *kind, const char *text, const char *err) {
  char src[64], dst[64];
  endpoint(src, sizeof src, f->v6, f->src, f->sport);
  endpoint(dst, sizeof dst, f->v6, f->dst, f->dport);
  bool dev = from_device(dc, f);
  const char *dir = f->jig ? (dev ? "D->J" : "J->D") : (dev ? "D->C" : "C->D");
  double t = (double)(ts - dc->t0) / 1e6;
  if (err)
    sink_event(dc, f, DECODE_EV_ERROR, ts, NULL, 0, err);
  if (!dc->out)
    return;
  if (!dc->json) {
    if (err)
      fprintf(dc->out, "%.6f  %s  %s > %s  ERROR: %s\n", t, dir, src, dst,
              err);
    else
      fprintf(dc->out, "%.6f  %s  %s > %s  %s\n", t, dir, src, dst, text);
    return;
  }
  fprintf(dc->out, "{\"time\":%.6f,\"dir\":\"%s\",\"src\":\"%s\","
          "\"dst\":\"%s\",", t, dir, src, dst);
  if (err) {
    fputs("\"error\":", dc->out);
    ic_json_str(dc->out, err);
  } else {
    fputs("\"kind\":", dc->out);
    ic_json_str(dc->out, kind);
    fputs(",\"text\":", dc->out);
    ic_json_str(dc->out, text);
  }
  fputs("}\n", dc->out);
}

/* An error line for flow f; the flow stops decoding. */
static void flow_fail(struct decode *dc, struct flow *f, long long ts,
                      const char *why) {
  emit(dc, f, ts, NULL, NULL, why);
  dc->errors++;
  f->dead = true;
  free_held(f);
}

/* Print one frame body as a message. */
static void one_frame(struct decode *dc, struct flow *f, long long ts,
                      const uint8_t *body, size_t len) {
  struct ic_diag d = {""};
  ProtobufCMessage *m;
  if (f->jig) {
    Impjig__JigEnvelope *e = jigmsg_decode(body, len, &d);
    m = e ? &e->base : NULL;
  } else {
    Impwire__Envelope *e = wiremsg_decode(body, len, &d);
    m = e ? &e->base : NULL;
  }
  sink_event(dc, f, DECODE_EV_FRAME, ts, body, len, NULL);
  if (!m) {
    char why[IC_DIAG_SIZE + 64];
    snprintf(why, sizeof why, "frame %lu does not decode: %s", f->rd.count,
             d.msg);
    flow_fail(dc, f, ts, why);
    return;
  }
  char *text = dc->out ? wiremsg_text(m) : NULL;
  emit(dc, f, ts, wiremsg_kind_name(m), text ? text : "(out of memory)",
       NULL);
  ic_free(text);
  if (f->jig)
    jigmsg_free((Impjig__JigEnvelope *)m);
  else
    wiremsg_free((Impwire__Envelope *)m);
  dc->msgs++;
}

/* In-order stream bytes: split into frames and print them. */
static void deliver(struct decode *dc, struct flow *f, long long ts,
                    const uint8_t *p, size_t n) {
  struct ic_diag d = {""};
  if (f->dead || n == 0)
    return;
  if (frame_reader_feed(&f->rd, p, n, &d) < 0) {
    flow_fail(dc, f, ts, d.msg);
    return;
  }
  const uint8_t *body;
  size_t len;
  int r;
  while (!f->dead && (r = frame_reader_next(&f->rd, &body, &len, &d)) == 1)
    one_frame(dc, f, ts, body, len);
  if (!f->dead && r < 0) {
    char why[IC_DIAG_SIZE + 32];
    const uint8_t *b = f->rd.buf;
    bool tls = f->rd.count == 0 && f->rd.len >= 2 && b[0] >= 0x14 &&
               b[0] <= 0x17 && b[1] == 3;
    snprintf(why, sizeof why, "stream does not decode: %s%s", d.msg,
             tls ? " (TLS records: decode ID.app.pcap instead, or decrypt "
                   "with ID.keys; docs/captures.md)" : "");
    flow_fail(dc, f, ts, why);
  }
}

/* Deliver held segments that now touch next, dropping those wholly old. */
static void drain_held(struct decode *dc, struct flow *f, long long ts) {
  bool moved = true;
  while (moved && !f->dead) {
    moved = false;
    for (struct seg **pp = &f->held; *pp; pp = &(*pp)->next) {
      struct seg *s = *pp;
      if (seqdiff(s->seq, f->next) > 0)
        continue;
      *pp = s->next;
      f->held_bytes -= s->len;
      uint32_t skip = (uint32_t)-seqdiff(s->seq, f->next);
      if (skip < s->len) {
        f->next += (uint32_t)(s->len - skip);
        deliver(dc, f, ts, s->data + skip, s->len - skip);
      }
      ic_free(s->data);
      ic_free(s);
      moved = true;
      break;
    }
  }
}

/* Keep a copy of a segment that arrived early. */
static void hold(struct decode *dc, struct flow *f, const struct pkt *k) {
  if (f->held_bytes + k->n > HELD_MAX) {
    flow_fail(dc, f, k->ts, "over 64 MiB of segments after a gap");
    return;
  }
  struct seg *s = ic_calloc(1, sizeof *s);
  uint8_t *copy = ic_malloc(k->n);
  if (!s || !copy) {
    ic_free(s);
    ic_free(copy);
    flow_fail(dc, f, k->ts, "out of memory holding a segment");
    return;
  }
  memcpy(copy, k->payload, k->n);
  *s = (struct seg){k->seq, k->n, copy, f->held};
  f->held = s;
  f->held_bytes += k->n;
}

static struct flow *new_flow(struct decode *dc, const struct pkt *k) {
  struct flow *f = ic_calloc(1, sizeof *f);
  if (!f)
    return NULL;
  size_t al = k->v6 ? 16 : 4;
  f->v6 = k->v6;
  memcpy(f->src, k->src, al);
  memcpy(f->dst, k->dst, al);
  f->sport = k->sport;
  f->dport = k->dport;
  f->jig = k->sport == APPCAP_JIG_PORT || k->dport == APPCAP_JIG_PORT;
  frame_reader_init(&f->rd, f->jig ? FRAME_JIG_MAX : FRAME_WIRE_MAX);
  f->nextf = dc->flows;
  dc->flows = f;
  return f;
}

/* A flow seen again with a new SYN: a new connection on the same ports. */
static void restart_flow(struct flow *f) {
  free_held(f);
  frame_reader_fini(&f->rd);
  frame_reader_init(&f->rd, f->jig ? FRAME_JIG_MAX : FRAME_WIRE_MAX);
  f->dead = false;
}

static int bad_packet(struct decode *dc, const char *why);

/* f starts a connection: the SYN-ACK's flow joins its reverse's (when
** the SYN was seen), anything else takes a new number. */
static void new_conn(struct decode *dc, struct flow *f, struct flow *r,
                     long long ts) {
  f->closed = false;
  if (r && r->conn && f->synack && r->syn && !r->closed) {
    f->conn = r->conn;
    return;
  }
  if (r && r->conn && !f->syn && !f->synack && !r->closed) {
    f->conn = r->conn; /* a capture that began mid-connection */
    return;
  }
  f->conn = ++dc->conns;
  sink_event(dc, f, DECODE_EV_OPEN, ts, NULL, 0, NULL);
}

/* The first FIN or an RST ends f's connection; reported once. */
static void close_conn(struct decode *dc, struct flow *f, struct flow *r,
                       bool reset, long long ts) {
  if (f->closed || (r && r->conn == f->conn && r->closed))
    return;
  f->closed = true;
  if (r && r->conn == f->conn)
    r->closed = true;
  if (!dc->sink)
    return;
  struct decode_event ev = {.kind = DECODE_EV_CLOSE,
                            .jig = f->jig,
                            .from_device = from_device(dc, f),
                            .reset = reset,
                            .conn = f->conn,
                            .server_port = far_port(dc, f),
                            .packet = dc->packets,
                            .offset = dc->offset,
                            .ts_us = ts};
  dc->sink(dc->sink_ctx, &ev);
}

/* One TCP segment. */
static int tcp_segment(struct decode *dc, const struct pkt *k) {
  struct flow *f =
      find_flow(dc, k->v6, k->src, k->dst, k->sport, k->dport);
  if (!f && !(f = new_flow(dc, k)))
    return bad_packet(dc, "out of memory");
  struct flow *r = find_flow(dc, k->v6, k->dst, k->src, k->dport, k->sport);
  if (k->flags & TCP_SYN) {
    bool again = f->have_next && f->next != k->seq + 1;
    bool fresh = f->conn == 0 || again || f->closed;
    if (again)
      restart_flow(f);
    f->syn = !(k->flags & TCP_ACK);
    f->synack = !!(k->flags & TCP_ACK);
    f->have_next = true;
    f->next = k->seq + 1;
    if (fresh)
      new_conn(dc, f, r, k->ts);
    return 0; /* data on a SYN is not delivered (no TFO here) */
  }
  if (f->conn == 0)
    new_conn(dc, f, r, k->ts);
  if (k->flags & TCP_RST) {
    close_conn(dc, f, r, true, k->ts);
    return 0;
  }
  if (f->dead || k->n == 0) {
    if (k->flags & TCP_FIN)
      close_conn(dc, f, r, false, k->ts);
    return 0;
  }
  if (!f->have_next) {
    f->have_next = true;
    f->next = k->seq;
  }
  int32_t ahead = seqdiff(k->seq, f->next);
  if (ahead > 0) {
    hold(dc, f, k);
    return 0;
  }
  /* negate in unsigned: ahead may be INT32_MIN (a jump of exactly 2^31) */
  uint32_t skip = 0u - (uint32_t)ahead;
  if (skip >= k->n)
    return 0; /* a retransmission of bytes already delivered */
  f->next += (uint32_t)(k->n - skip);
  deliver(dc, f, k->ts, k->payload + skip, k->n - skip);
  drain_held(dc, f, k->ts);
  if (k->flags & TCP_FIN)
    close_conn(dc, f, r, false, k->ts);
  return 0;
}

/* A malformed packet: one line, one error. */
static int bad_packet(struct decode *dc, const char *why) {
  dc->errors++;
  if (dc->sink) {
    struct decode_event ev = {.kind = DECODE_EV_ERROR,
                              .packet = dc->packets,
                              .offset = dc->offset,
                              .error = why};
    dc->sink(dc->sink_ctx, &ev);
  }
  if (!dc->out)
    return -1;
  if (dc->json) {
    fprintf(dc->out, "{\"packet\":%lu,\"error\":", dc->packets);
    ic_json_str(dc->out, why);
    fputs("}\n", dc->out);
  } else {
    fprintf(dc->out, "packet %lu: ERROR: %s\n", dc->packets, why);
  }
  return -1;
}

static int tcp_layer(struct decode *dc, struct pkt *k, const uint8_t *p,
                     size_t n) {
  if (n < 20)
    return bad_packet(dc, "TCP header cut short");
  size_t hl = (size_t)(p[12] >> 4) * 4;
  if (hl < 20 || hl > n)
    return bad_packet(dc, "bad TCP header length");
  k->sport = get16(p);
  k->dport = get16(p + 2);
  k->seq = get32(p + 4);
  k->flags = p[13];
  k->payload = p + hl;
  k->n = n - hl;
  return tcp_segment(dc, k);
}

static int ipv4_layer(struct decode *dc, struct pkt *k, const uint8_t *p,
                      size_t n) {
  if (n < 20)
    return bad_packet(dc, "IPv4 header cut short");
  size_t hl = (size_t)(p[0] & 15) * 4, total = get16(p + 2);
  if (hl < 20 || total < hl)
    return bad_packet(dc, "bad IPv4 header or total length");
  if (total > n)
    return bad_packet(dc, "IPv4 packet cut short (snap length?)");
  if (p[9] != 6)
    return 0;
  if ((get16(p + 6) & 0x3fff) != 0)
    return bad_packet(dc, "fragmented IPv4 is not reassembled");
  k->v6 = 0;
  k->src = p + 12;
  k->dst = p + 16;
  return tcp_layer(dc, k, p + hl, total - hl);
}

static int ipv6_layer(struct decode *dc, struct pkt *k, const uint8_t *p,
                      size_t n) {
  if (n < 40)
    return bad_packet(dc, "IPv6 header cut short");
  size_t plen = get16(p + 4);
  if (plen == 0)
    return bad_packet(dc, "IPv6 jumbogram is not supported");
  if (40 + plen > n)
    return bad_packet(dc, "IPv6 packet cut short (snap length?)");
  k->v6 = 1;
  k->src = p + 8;
  k->dst = p + 24;
  uint8_t nh = p[6];
  size_t off = 40, end = 40 + plen;
  while (nh == 0 || nh == 43 || nh == 60) {
    if (off + 8 > end)
      return bad_packet(dc, "IPv6 extension header cut short");
    size_t el = ((size_t)p[off + 1] + 1) * 8;
    if (off + el > end)
      return bad_packet(dc, "IPv6 extension header cut short");
    nh = p[off];
    off += el;
  }
  if (nh == 44)
    return bad_packet(dc, "fragmented IPv6 is not reassembled");
  if (nh != 6)
    return 0;
  return tcp_layer(dc, k, p + off, end - off);
}

/* Dispatch on the IP version nibble. */
static int ip_layer(struct decode *dc, struct pkt *k, const uint8_t *p,
                    size_t n) {
  if (n < 1)
    return bad_packet(dc, "empty IP packet");
  if (p[0] >> 4 == 4)
    return ipv4_layer(dc, k, p, n);
  if (p[0] >> 4 == 6)
    return ipv6_layer(dc, k, p, n);
  return 0;
}

/* Dispatch on an EtherType; other protocols are skipped. */
static int ether_type(struct decode *dc, struct pkt *k, uint16_t type,
                      const uint8_t *p, size_t n) {
  if (type == 0x0800 || type == 0x86dd)
    return ip_layer(dc, k, p, n);
  return 0;
}

int decode_packet(struct decode *dc, int linktype, long long ts_us,
                  const uint8_t *data, size_t len) {
  dc->packets++;
  if (!dc->have_t0) {
    dc->have_t0 = true;
    dc->t0 = ts_us;
  }
  dc->last = ts_us;
  struct pkt k = {.ts = ts_us};
  switch (linktype) {
  case DECODE_LT_EN10MB: {
    size_t off = 12;
    while (off + 2 <= len &&
           (get16(data + off) == 0x8100 || get16(data + off) == 0x88a8))
      off += 4; /* VLAN tags */
    if (off + 2 > len)
      return bad_packet(dc, "Ethernet header cut short");
    return ether_type(dc, &k, get16(data + off), data + off + 2,
                      len - off - 2);
  }
  case DECODE_LT_SLL:
    if (len < 16)
      return bad_packet(dc, "Linux cooked (SLL) header cut short");
    return ether_type(dc, &k, get16(data + 14), data + 16, len - 16);
  case DECODE_LT_SLL2:
    if (len < 20)
      return bad_packet(dc, "Linux cooked (SLL2) header cut short");
    return ether_type(dc, &k, get16(data), data + 20, len - 20);
  case DECODE_LT_NULL:
    if (len < 4)
      return bad_packet(dc, "loopback header cut short");
    return ip_layer(dc, &k, data + 4, len - 4);
  case DECODE_LT_RAW:
  case DECODE_LT_RAW_12:
  case DECODE_LT_RAW_14:
    return ip_layer(dc, &k, data, len);
  default: {
    char why[64];
    snprintf(why, sizeof why, "link type %d is not supported", linktype);
    return bad_packet(dc, why);
  }
  }
}

unsigned long decode_finish(struct decode *dc) {
  long long ts = dc->last;
  for (struct flow *f = dc->flows; f; f = f->nextf) {
    if (f->dead)
      continue;
    if (f->held) {
      char why[96];
      snprintf(why, sizeof why, "%zu bytes after a gap in the stream never "
               "arrived in order", f->held_bytes);
      flow_fail(dc, f, ts, why);
    } else if (frame_reader_pending(&f->rd) > 0) {
      char why[96];
      snprintf(why, sizeof why, "stream ends inside frame %lu (%zu bytes "
               "left)", f->rd.count + 1, frame_reader_pending(&f->rd));
      flow_fail(dc, f, ts, why);
    }
  }
  return dc->errors;
}

/* capture_read callback. */
static int on_packet(void *ctx, int linktype, long long ts_us, long offset,
                     const uint8_t *data, size_t len) {
  decode_set_offset(ctx, offset);
  decode_packet(ctx, linktype, ts_us, data, len);
  return 0;
}

int decode_main(int argc, char **argv) {
  const char *path = NULL;
  bool json = false;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) {
      json = true;
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      puts("usage: impcert decode FILE [--json]");
      return 0;
    } else if ((argv[i][0] == '-' && argv[i][1]) || path) {
      fprintf(stderr, "impcert decode: unexpected argument '%s'\n"
              "usage: impcert decode FILE [--json]\n", argv[i]);
      return 2;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    fprintf(stderr, "usage: impcert decode FILE [--json]\n");
    return 2;
  }
  struct decode *dc = decode_new(stdout, json);
  if (!dc) {
    fprintf(stderr, "impcert decode: out of memory\n");
    return 1;
  }
  struct ic_diag d = {""};
  long n = capture_read(path, on_packet, dc, &d);
  unsigned long errors = decode_finish(dc);
  fflush(stdout);
  if (n < 0)
    fprintf(stderr, "impcert decode: %s\n", d.msg);
  else if (errors)
    fprintf(stderr, "impcert decode: %s: %lu error%s in %ld packets\n", path,
            errors, errors == 1 ? "" : "s", n);
  decode_free(dc);
  return n < 0 || errors ? 1 : 0;
}
