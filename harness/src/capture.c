/*
** capture.c: live capture of loopback TCP into a classic pcap file.
** The only harness file that includes <pcap/pcap.h>. One thread per
** capture runs pcap_dispatch into pcap_dump until capture_stop; the stop
** then drains what the kernel still holds, so nothing seen is lost.
*/
#include "capture.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

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
