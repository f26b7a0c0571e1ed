/*
** capture.c: live capture of loopback TCP into a classic pcap file.
** The only harness file that includes <pcap/pcap.h>. One thread per
** capture runs pcap_dispatch into pcap_dump until capture_stop; the stop
** then drains what the kernel still holds, so nothing seen is lost.
** Also writes the application-level capture (appcap_: plaintext frames
** as fabricated Ethernet/IPv4/TCP) and reads pcap files (capture_read).
*/
#include "capture.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <pcap/pcap.h>

#define CAPTURE_DEVICE "lo"
#define CAPTURE_SNAPLEN 65535
#define CAPTURE_TIMEOUT_MS 50
#define CAPTURE_MAX_PORTS 64
/* The kernel ring. On lo (MTU 64 KiB) each frame takes ~66 KiB and every
** packet takes two (libpcap discards the outgoing copy only after), so
** the 2 MiB default held 16 packets and lost bursts that arrived before
** the thread ran. 32 MiB holds ~240 packets between two reads. */
#define CAPTURE_BUFFER_BYTES (32 << 20)

struct capture {
  pcap_t *p;
  pcap_dumper_t *dump;
  pthread_t thread;
  atomic_int stop;            /* set by capture_stop before breakloop */
  long packets;               /* written; the thread's until joined */
  int failed;                 /* the loop hit PCAP_ERROR */
  char path[512];             /* for messages only */
  char err[PCAP_ERRBUF_SIZE]; /* the loop's error, if failed */
};

/* pcap_handler: write one packet to the file. */
static void on_packet(u_char *user, const struct pcap_pkthdr *h,
                      const u_char *bytes) {
  struct capture *c = (struct capture *)user;
  pcap_dump((u_char *)c->dump, h, bytes);
  c->packets++;
}

static void *capture_loop(void *arg) {
  struct capture *c = arg;
  while (!atomic_load(&c->stop)) {
    int r = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
    if (r == PCAP_ERROR) {
      snprintf(c->err, sizeof c->err, "%s", pcap_geterr(c->p));
      c->failed = 1;
      break;
    }
  }
  return NULL;
}

/* "tcp and (port A or port B ...)" into buf; -1 on a bad port list. */
static int build_filter(char *buf, size_t cap, const uint16_t *ports,
                        int nports, struct ic_diag *d) {
  if (!ports || nports < 1 || nports > CAPTURE_MAX_PORTS)
    return ic_fail(d, "capture: need 1 to %d ports, got %d%s",
                   CAPTURE_MAX_PORTS, nports, ports ? "" : " (NULL list)");
  size_t o = (size_t)snprintf(buf, cap, "tcp and (");
  for (int i = 0; i < nports; i++) {
    if (ports[i] == 0)
      return ic_fail(d, "capture: port %d of the list is 0", i);
    o += (size_t)snprintf(buf + o, cap - o, "%sport %u", i ? " or " : "",
                          (unsigned)ports[i]);
    if (o >= cap)
      return ic_fail(d, "capture: filter too long");
  }
  if ((size_t)snprintf(buf + o, cap - o, ")") >= cap - o)
    return ic_fail(d, "capture: filter too long");
  return 0;
}

/* Create, configure, activate and filter the handle on lo. */
static pcap_t *open_live(const char *filter, struct ic_diag *d) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t *p = pcap_create(CAPTURE_DEVICE, errbuf);
  if (!p) {
    ic_fail(d, "capture: pcap_create(%s): %s", CAPTURE_DEVICE, errbuf);
    return NULL;
  }
  if (pcap_set_snaplen(p, CAPTURE_SNAPLEN) != 0 ||
      pcap_set_promisc(p, 0) != 0 ||
      pcap_set_buffer_size(p, CAPTURE_BUFFER_BYTES) != 0 ||
      pcap_set_timeout(p, CAPTURE_TIMEOUT_MS) != 0 ||
      pcap_set_immediate_mode(p, 1) != 0) {
    ic_fail(d, "capture: cannot configure %s: %s", CAPTURE_DEVICE,
            pcap_geterr(p));
    pcap_close(p);
    return NULL;
  }
  int rc = pcap_activate(p);
  if (rc < 0) {
    const char *why = pcap_geterr(p);
    ic_fail(d, "capture: cannot capture on %s: %s%s%s%s", CAPTURE_DEVICE,
            pcap_statustostr(rc), *why ? " (" : "", why, *why ? ")" : "");
    if (rc == PCAP_ERROR_PERM_DENIED)
      ic_fail(d, "capture: cannot capture on %s: %s (needs root or "
              "CAP_NET_RAW)", CAPTURE_DEVICE, pcap_statustostr(rc));
    pcap_close(p);
    return NULL;
  }
  struct bpf_program prog;
  if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
    ic_fail(d, "capture: filter \"%s\": %s", filter, pcap_geterr(p));
    pcap_close(p);
    return NULL;
  }
  rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    ic_fail(d, "capture: setting filter \"%s\": %s", filter, pcap_geterr(p));
    pcap_close(p);
    return NULL;
  }
  return p;
}

struct capture *capture_start(const char *path, const uint16_t *ports,
                              int nports, struct ic_diag *d) {
  char filter[16 + CAPTURE_MAX_PORTS * 16];
  if (!path || !*path) {
    ic_fail(d, "capture: no file path given");
    return NULL;
  }
  if (build_filter(filter, sizeof filter, ports, nports, d) != 0)
    return NULL;
  struct capture *c = ic_calloc(1, sizeof *c);
  if (!c) {
    ic_fail(d, "capture: %s: out of memory", path);
    return NULL;
  }
  snprintf(c->path, sizeof c->path, "%s", path);
  atomic_init(&c->stop, 0);
  c->p = open_live(filter, d);
  if (!c->p)
    goto fail;
  c->dump = pcap_dump_open(c->p, path);
  if (!c->dump) {
    ic_fail(d, "capture: cannot create %s: %s", path, pcap_geterr(c->p));
    goto fail;
  }
  int e = pthread_create(&c->thread, NULL, capture_loop, c);
  if (e != 0) {
    ic_fail(d, "capture: %s: cannot start thread: %s", path, strerror(e));
    goto fail;
  }
  return c;

fail:
  if (c->dump) {
    pcap_dump_close(c->dump);
    remove(path);
  }
  if (c->p)
    pcap_close(c->p);
  ic_free(c);
  return NULL;
}

long capture_finish(struct capture *c, struct ic_diag *d) {
  if (!c)
    return 0;
  atomic_store(&c->stop, 1);
  pcap_breakloop(c->p);
  pthread_join(c->thread, NULL);
  /* The thread is gone: drain what the kernel holds without blocking. */
  char errbuf[PCAP_ERRBUF_SIZE];
  if (!c->failed && pcap_setnonblock(c->p, 1, errbuf) == 0) {
    for (int round = 0; round < 1000; round++) {
      int r = pcap_dispatch(c->p, -1, on_packet, (u_char *)c);
      if (r == PCAP_ERROR_BREAK)
        continue; /* a breakloop the thread did not consume */
      if (r == PCAP_ERROR) {
        snprintf(c->err, sizeof c->err, "%s", pcap_geterr(c->p));
        c->failed = 1;
      }
      if (r <= 0)
        break;
    }
  }
  long n = c->packets;
  struct pcap_stat st;
  unsigned dropped = pcap_stats(c->p, &st) == 0 ? st.ps_drop : 0;
  errno = 0;
  int bad_file = pcap_dump_flush(c->dump) != 0;
  bad_file |= ferror(pcap_dump_file(c->dump)) != 0;
  int file_errno = errno ? errno : EIO;
  pcap_dump_close(c->dump);
  pcap_close(c->p);
  if (c->failed) {
    ic_fail(d, "capture: %s: capture loop failed: %s", c->path, c->err);
    n = -1;
  } else if (bad_file) {
    ic_fail(d, "capture: %s: writing failed: %s", c->path,
            strerror(file_errno));
    n = -1;
  } else if (dropped) {
    ic_fail(d, "capture: %s: incomplete, the kernel dropped %u packets "
            "(%ld written)", c->path, dropped, n);
    n = -1;
  }
  ic_free(c);
  return n;
}

long capture_stop(struct capture *c) { return capture_finish(c, NULL); }

/* ---- application-level capture ------------------------------------------ */

#define APPCAP_SEG_MAX 16384 /* payload bytes per fabricated segment */
#define APPCAP_HDRS (14 + 20 + 20)
#define APPCAP_DEV_IP 0x0a000002u
#define APPCAP_CLOUD_IP 0x0a000001u
#define APPCAP_JIG_IP 0x0a000003u
#define APPCAP_FIRST_PORT 40000
#define APPCAP_JIG_DEV_PORT 39999

enum {
  TCP_FIN = 0x01,
  TCP_SYN = 0x02,
  TCP_RST = 0x04,
  TCP_PSH = 0x08,
  TCP_ACK = 0x10
};

/* One fabricated TCP stream: index 0 is the device side, 1 the far side. */
struct appcap_stream {
  bool open;
  uint32_t ip[2];
  uint16_t port[2];
  uint32_t seq[2]; /* next sequence number each side sends */
};

struct appcap {
  pcap_t *dead;
  pcap_dumper_t *dump;
  struct appcap_stream st[2]; /* by enum appcap_chan */
  uint16_t next_port;         /* device port of the next wire stream */
  uint16_t next_jig_port;     /* of the next jig stream (counts down) */
  long long fixed_us;         /* timestamp to use, or 0: the real clock */
  uint8_t pkt[APPCAP_HDRS + APPCAP_SEG_MAX];
};

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v);
}

/* Ones' complement sum of n bytes, added to sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2)
    sum += (uint32_t)p[i] << 8 | p[i + 1];
  if (n & 1)
    sum += (uint32_t)p[n - 1] << 8;
  return sum;
}

static uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/* Write one segment from side `from` of s carrying n payload bytes. */
static void appcap_segment(struct appcap *a, struct appcap_stream *s,
                           int from, uint8_t flags, const uint8_t *data,
                           size_t n, const struct timeval *tv) {
  uint8_t *p = a->pkt;
  int to = !from;
  memset(p, 0, APPCAP_HDRS);
  /* Ethernet: locally administered MACs ending in the host byte. */
  uint8_t mac[2][6] = {{2, 0, 0, 0, 0, (uint8_t)s->ip[to]},
                       {2, 0, 0, 0, 0, (uint8_t)s->ip[from]}};
  memcpy(p, mac[0], 6);
  memcpy(p + 6, mac[1], 6);
  put16(p + 12, 0x0800);
  uint8_t *ip = p + 14, *tcp = ip + 20;
  ip[0] = 0x45;
  put16(ip + 2, (uint32_t)(40 + n));
  ip[6] = 0x40; /* DF */
  ip[8] = 64;
  ip[9] = 6;
  put32(ip + 12, s->ip[from]);
  put32(ip + 16, s->ip[to]);
  put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
  put16(tcp, s->port[from]);
  put16(tcp + 2, s->port[to]);
  put32(tcp + 4, s->seq[from]);
  put32(tcp + 8, (flags & TCP_ACK) ? s->seq[to] : 0);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  put16(tcp + 14, 65535);
  if (n)
    memcpy(tcp + 20, data, n);
  uint8_t pseudo[12];
  memcpy(pseudo, ip + 12, 8);
  pseudo[8] = 0;
  pseudo[9] = 6;
  put16(pseudo + 10, (uint32_t)(20 + n));
  put16(tcp + 16, csum_fold(csum_add(csum_add(0, pseudo, 12), tcp, 20 + n)));
  struct pcap_pkthdr h = {.ts = *tv,
                          .caplen = (bpf_u_int32)(APPCAP_HDRS + n),
                          .len = (bpf_u_int32)(APPCAP_HDRS + n)};
  pcap_dump((u_char *)a->dump, &h, p);
  s->seq[from] += (uint32_t)n + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
}

/* Open stream ch with a three-way handshake. */
static void appcap_handshake(struct appcap *a, enum appcap_chan ch,
                             uint16_t far_port, const struct timeval *tv) {
  struct appcap_stream *s = &a->st[ch];
  s->open = true;
  s->ip[0] = APPCAP_DEV_IP;
  s->ip[1] = ch == APPCAP_JIG ? APPCAP_JIG_IP : APPCAP_CLOUD_IP;
  s->port[1] = far_port;
  if (ch == APPCAP_JIG) {
    /* A new port per stream (after a power cut), as a real reconnect. */
    s->port[0] = a->next_jig_port;
    a->next_jig_port = a->next_jig_port <= APPCAP_JIG_DEV_PORT - 1000
                           ? APPCAP_JIG_DEV_PORT
                           : (uint16_t)(a->next_jig_port - 1);
  } else {
    s->port[0] = a->next_port;
    a->next_port = a->next_port == 65535 ? APPCAP_FIRST_PORT
                                         : (uint16_t)(a->next_port + 1);
  }
  /* Distinct, reproducible initial sequence numbers per stream. */
  s->seq[0] = 0x10000000u + ((uint32_t)s->port[0] << 12);
  s->seq[1] = 0x20000000u + ((uint32_t)s->port[0] << 12);
  appcap_segment(a, s, 0, TCP_SYN, NULL, 0, tv);
  appcap_segment(a, s, 1, TCP_SYN | TCP_ACK, NULL, 0, tv);
  appcap_segment(a, s, 0, TCP_ACK, NULL, 0, tv);
}

/* Close stream ch: FIN first from the side that closed and the other's
** FIN+ACK, or for a power cut a bare RST from the far side. */
static void appcap_finish(struct appcap *a, enum appcap_chan ch,
                          enum appcap_closer who, const struct timeval *tv) {
  struct appcap_stream *s = &a->st[ch];
  if (!s->open)
    return;
  if (who == APPCAP_POWER_CUT) {
    appcap_segment(a, s, 1, TCP_RST | TCP_ACK, NULL, 0, tv);
  } else {
    int first = who == APPCAP_BY_DEVICE ? 0 : 1;
    appcap_segment(a, s, first, TCP_FIN | TCP_ACK, NULL, 0, tv);
    appcap_segment(a, s, !first, TCP_FIN | TCP_ACK, NULL, 0, tv);
    appcap_segment(a, s, first, TCP_ACK, NULL, 0, tv);
  }
  s->open = false;
}

/* The time to stamp on the next packets. */
static void appcap_now(const struct appcap *a, struct timeval *tv) {
  if (a->fixed_us > 0) {
    tv->tv_sec = (time_t)(a->fixed_us / 1000000);
    tv->tv_usec = (suseconds_t)(a->fixed_us % 1000000);
  } else {
    gettimeofday(tv, NULL);
  }
}

struct appcap *appcap_open(const char *path, struct ic_diag *d) {
  if (!path || !*path) {
    ic_fail(d, "appcap: no file path given");
    return NULL;
  }
  struct appcap *a = ic_calloc(1, sizeof *a);
  if (!a) {
    ic_fail(d, "appcap: %s: out of memory", path);
    return NULL;
  }
  a->next_port = APPCAP_FIRST_PORT;
  a->next_jig_port = APPCAP_JIG_DEV_PORT;
  a->dead = pcap_open_dead(DLT_EN10MB, CAPTURE_SNAPLEN);
  if (!a->dead) {
    ic_fail(d, "appcap: %s: pcap_open_dead failed", path);
    ic_free(a);
    return NULL;
  }
  a->dump = pcap_dump_open(a->dead, path);
  if (!a->dump) {
    ic_fail(d, "appcap: cannot create %s: %s", path, pcap_geterr(a->dead));
    pcap_close(a->dead);
    ic_free(a);
    return NULL;
  }
  return a;
}

void appcap_frame(struct appcap *a, enum appcap_chan ch, bool from_device,
                  const uint8_t *frame, size_t n) {
  if (!a || !frame || n == 0 || (ch != APPCAP_WIRE && ch != APPCAP_JIG))
    return;
  struct timeval tv;
  appcap_now(a, &tv);
  if (!a->st[ch].open)
    appcap_handshake(a, ch,
                     ch == APPCAP_JIG ? APPCAP_JIG_PORT : APPCAP_WIRE_PORT,
                     &tv);
  int from = from_device ? 0 : 1;
  for (size_t off = 0; off < n; off += APPCAP_SEG_MAX) {
    size_t k = n - off < APPCAP_SEG_MAX ? n - off : APPCAP_SEG_MAX;
    appcap_segment(a, &a->st[ch], from,
                   (uint8_t)(TCP_ACK | (off + k == n ? TCP_PSH : 0)),
                   frame + off, k, &tv);
  }
}

void appcap_session(struct appcap *a, int port_index) {
  static const uint16_t ports[] = {APPCAP_WIRE_PORT, 993, 443, 52753};
  if (!a)
    return;
  struct timeval tv;
  appcap_now(a, &tv);
  appcap_finish(a, APPCAP_WIRE, APPCAP_BY_HARNESS, &tv);
  appcap_handshake(a, APPCAP_WIRE,
                   port_index >= 0 && port_index < 4 ? ports[port_index]
                                                     : APPCAP_WIRE_PORT,
                   &tv);
}

void appcap_end(struct appcap *a, enum appcap_chan ch, enum appcap_closer who) {
  if (!a || (ch != APPCAP_WIRE && ch != APPCAP_JIG))
    return;
  struct timeval tv;
  appcap_now(a, &tv);
  /* A power cut is recorded even when the DUT never reached the jig. */
  if (who == APPCAP_POWER_CUT && ch == APPCAP_JIG && !a->st[ch].open)
    appcap_handshake(a, ch, APPCAP_JIG_PORT, &tv);
  appcap_finish(a, ch, who, &tv);
}

void appcap_set_time(struct appcap *a, long long ts_us) {
  if (a)
    a->fixed_us = ts_us > 0 ? ts_us : 0;
}

void appcap_close(struct appcap *a) {
  if (!a)
    return;
  pcap_dump_close(a->dump);
  pcap_close(a->dead);
  ic_free(a);
}

/* ---- reading ------------------------------------------------------------- */

long capture_read(const char *path, capture_read_cb cb, void *ctx,
                  struct ic_diag *d) {
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  if (!path || !cb)
    return ic_fail(d, "capture: no file or callback given");
  pcap_t *p = pcap_open_offline(path, errbuf);
  if (!p)
    return ic_fail(d, "%s: at offset 0: not a readable pcap: %s", path,
                   errbuf);
  int linktype = pcap_datalink(p);
  FILE *f = pcap_file(p);
  long where = f ? ftell(f) : -1; /* start of the next record */
  long count = 0;
  struct pcap_pkthdr *h;
  const u_char *data;
  int r;
  while ((r = pcap_next_ex(p, &h, &data)) == 1) {
    count++;
    if (cb(ctx, linktype, (long long)h->ts.tv_sec * 1000000 + h->ts.tv_usec,
           where, data, h->caplen) != 0)
      break;
    where = f ? ftell(f) : -1;
  }
  if (r == PCAP_ERROR) {
    ic_fail(d, "%s: packet %ld at offset %ld: %s", path, count + 1, where,
            pcap_geterr(p));
    pcap_close(p);
    return -1;
  }
  pcap_close(p);
  return count;
}
