/*
** harness_capture_test.c: live loopback capture into a pcap file.
** Real TCP exchanges on 127.0.0.1: traffic on the filtered ports must be
** in the file, traffic on another port must not. Needs CAP_NET_RAW.
*/
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "cu_main.h"

/* ---- a TCP exchange on loopback ----------------------------------------- */

/* A listening socket on 127.0.0.1 with an ephemeral port; -1 on error. */
static int listen_any(uint16_t *port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {0};
  socklen_t len = sizeof a;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(s, 4) != 0 ||
      getsockname(s, (struct sockaddr *)&a, &len) != 0) {
    if (s >= 0)
      close(s);
    return -1;
  }
  *port = ntohs(a.sin_port);
  return s;
}

/* Connect to lst's port, send "ping", answer "pong", close both; 0 ok. */
static int exchange(int lst, uint16_t port) {
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
    if (c >= 0)
      close(c);
    return -1;
  }
  int s = accept(lst, NULL, NULL);
  char buf[8] = "";
  int ok = s >= 0 && write(c, "ping", 4) == 4 && read(s, buf, 4) == 4 &&
           memcmp(buf, "ping", 4) == 0 && write(s, "pong", 4) == 4 &&
           read(c, buf, 4) == 4 && memcmp(buf, "pong", 4) == 0;
  if (s >= 0)
    close(s);
  close(c);
  return ok ? 0 : -1;
}

/* ---- reading the file back ---------------------------------------------- */

struct seen {
  int linktype;
  long packets;      /* every record in the file */
  long on[3];        /* records whose TCP port is ports[k] */
  long other;        /* records on none of them, or not IPv4/TCP */
};

/* TCP source and destination port of an Ethernet/IPv4 frame; -1 if not. */
static int tcp_ports(const u_char *p, bpf_u_int32 caplen, unsigned *sport,
                     unsigned *dport) {
  if (caplen < 14 + 20 || p[12] != 0x08 || p[13] != 0x00)
    return -1;
  const u_char *ip = p + 14;
  size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
  if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20 || caplen < 14 + ihl + 4)
    return -1;
  const u_char *tcp = ip + ihl;
  *sport = (unsigned)tcp[0] << 8 | tcp[1];
  *dport = (unsigned)tcp[2] << 8 | tcp[3];
  return 0;
}

/* Reads path; 0 on success. Counts records per port of ports[0..n). */
static int read_back(const char *path, const uint16_t *ports, int n,
                     struct seen *out) {
  char err[PCAP_ERRBUF_SIZE];
  memset(out, 0, sizeof *out);
  pcap_t *p = pcap_open_offline(path, err);
  if (!p) {
    fprintf(stderr, "  pcap_open_offline: %s\n", err);
    return -1;
  }
  out->linktype = pcap_datalink(p);
  struct pcap_pkthdr *h;
  const u_char *data;
  int r;
  while ((r = pcap_next_ex(p, &h, &data)) == 1) {
    unsigned sp, dp;
    int hit = 0;
    out->packets++;
    if (tcp_ports(data, h->caplen, &sp, &dp) == 0)
      for (int k = 0; k < n; k++)
        if (sp == ports[k] || dp == ports[k])
          out->on[k]++, hit = 1;
    out->other += !hit;
  }
  pcap_close(p);
  return r == PCAP_ERROR_BREAK ? 0 : -1;
}

/* ---- tests -------------------------------------------------------------- */

static void temp_path(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "/tmp/impcert-cap-%ld-%s.pcap", (long)getpid(), name);
}

static void test_filtered_capture(void) {
  uint16_t port[3];
  int lst[3];
  for (int k = 0; k < 3; k++) {
    lst[k] = listen_any(&port[k]);
    CU_ASSERT_FATAL(lst[k] >= 0);
  }
  char path[128];
  temp_path(path, sizeof path, "filtered");
  struct ic_diag d = {""};
  struct capture *c = capture_start(path, port, 2, &d);
  if (!c)
    fprintf(stderr, "  capture_start: %s\n", d.msg);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_EQUAL(exchange(lst[0], port[0]), 0);
  CU_ASSERT_EQUAL(exchange(lst[2], port[2]), 0); /* not filtered */
  long n = capture_stop(c);
  CU_ASSERT(n > 0);
  struct seen s;
  CU_ASSERT_EQUAL_FATAL(read_back(path, port, 3, &s), 0);
  CU_ASSERT_EQUAL(s.linktype, DLT_EN10MB);
  CU_ASSERT_EQUAL(s.packets, n);
  /* handshake, two data segments, their ACKs, FINs: at least 7 */
  CU_ASSERT(s.on[0] >= 7);
  CU_ASSERT_EQUAL(s.on[1], 0);
  CU_ASSERT_EQUAL(s.on[2], 0);
  CU_ASSERT_EQUAL(s.other, 0);
  for (int k = 0; k < 3; k++)
    close(lst[k]);
  unlink(path);
}

static void test_two_captures_at_once(void) {
  uint16_t port[2];
  int lst[2];
  for (int k = 0; k < 2; k++) {
    lst[k] = listen_any(&port[k]);
    CU_ASSERT_FATAL(lst[k] >= 0);
  }
  char p0[128], p1[128];
  temp_path(p0, sizeof p0, "first");
  temp_path(p1, sizeof p1, "second");
  struct ic_diag d = {""};
  struct capture *c0 = capture_start(p0, &port[0], 1, &d);
  struct capture *c1 = capture_start(p1, &port[1], 1, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c1);
  CU_ASSERT_EQUAL(exchange(lst[0], port[0]), 0);
  CU_ASSERT_EQUAL(exchange(lst[1], port[1]), 0);
  CU_ASSERT_EQUAL(exchange(lst[1], port[1]), 0);
  long n1 = capture_finish(c1, &d);
  long n0 = capture_finish(c0, &d);
  struct seen s0, s1;
  CU_ASSERT_EQUAL_FATAL(read_back(p0, port, 2, &s0), 0);
  CU_ASSERT_EQUAL_FATAL(read_back(p1, port, 2, &s1), 0);
  CU_ASSERT_EQUAL(s0.packets, n0);
  CU_ASSERT_EQUAL(s1.packets, n1);
  CU_ASSERT(s0.on[0] > 0 && s0.on[1] == 0);
  CU_ASSERT(s1.on[1] > 0 && s1.on[0] == 0);
  CU_ASSERT(s1.on[1] > s0.on[0]); /* two exchanges against one */
  for (int k = 0; k < 2; k++)
    close(lst[k]);
  unlink(p0);
  unlink(p1);
}

static void test_quiet_capture(void) {
  uint16_t port;
  int lst = listen_any(&port);
  CU_ASSERT_FATAL(lst >= 0);
  char path[128];
  temp_path(path, sizeof path, "quiet");
  struct ic_diag d = {""};
  struct capture *c = capture_start(path, &port, 1, &d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  CU_ASSERT_EQUAL(capture_stop(c), 0);
  struct seen s;
  CU_ASSERT_EQUAL(read_back(path, &port, 1, &s), 0); /* header only */
  CU_ASSERT_EQUAL(s.packets, 0);
  CU_ASSERT_EQUAL(s.linktype, DLT_EN10MB);
  close(lst);
  unlink(path);
}

static void test_bad_arguments(void) {
  uint16_t ports[2] = {4000, 0};
  struct ic_diag d = {""};
  const char *path = "/nonexistent-impcert-dir/x.pcap";
  CU_ASSERT_PTR_NULL(capture_start(path, ports, 1, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, path));
  d.msg[0] = '\0';
  CU_ASSERT_PTR_NULL(capture_start("/tmp/x.pcap", ports, 2, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "port 1"));
  CU_ASSERT_PTR_NULL(capture_start("/tmp/x.pcap", ports, 0, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "ports"));
  CU_ASSERT_PTR_NULL(capture_start("/tmp/x.pcap", NULL, 1, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "NULL"));
  CU_ASSERT_PTR_NULL(capture_start(NULL, ports, 1, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "path"));
  CU_ASSERT_EQUAL(capture_stop(NULL), 0);
  CU_ASSERT_EQUAL(capture_finish(NULL, &d), 0);
}

static void test_alloc_failure(void) {
  uint16_t port = 4000;
  struct ic_diag d = {""};
  ic_alloc_fail_after(1);
  struct capture *c = capture_start("/tmp/impcert-cap-oom.pcap", &port, 1,
                                    &d);
  ic_alloc_fail_after(0);
  CU_ASSERT_PTR_NULL(c);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "out of memory"));
  capture_stop(c);
}

static const struct cu_test capture_tests[] = {
    {"only the filtered ports are captured", test_filtered_capture},
    {"two captures at once stay apart", test_two_captures_at_once},
    {"a capture with no traffic is a valid file", test_quiet_capture},
    {"bad path and port lists give NULL and a message", test_bad_arguments},
    {"allocation failure gives NULL and a message", test_alloc_failure},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"capture", capture_tests}};

CU_MAIN(suites)
