/* harness_proxy_test.c: the harness's HTTP CONNECT proxy (proxy.c):
** request parsing, then a live proxy on loopback answering 400, 407, 502
** and 200 and relaying bytes to a listener that stands for the cloud. */
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "cu_main.h"
#include "proxy.h"

static int parse(const char *head, char *host, uint16_t *port, char *auth) {
  char why[200];
  return proxy_parse_request(head, host, 256, port, auth, 256, why,
                             sizeof why);
}

static void parses_requests(void) {
  char host[256], auth[256];
  uint16_t port = 0;
  CU_ASSERT_EQUAL(parse("CONNECT cloud.test:993 HTTP/1.1\r\n"
                        "Host: cloud.test:993\r\n"
                        "proxy-authorization: Basic YTpi\r\n\r\n",
                        host, &port, auth), 200);
  CU_ASSERT_STRING_EQUAL(host, "cloud.test");
  CU_ASSERT_EQUAL(port, 993);
  CU_ASSERT_STRING_EQUAL(auth, "Basic YTpi");
  CU_ASSERT_EQUAL(parse("CONNECT h:1 HTTP/1.0\r\n\r\n", host, &port, auth),
                  200);
  CU_ASSERT_STRING_EQUAL(auth, "");
  static const char *const bad[] = {
      "GET http://h/ HTTP/1.1\r\n\r\n",   /* not CONNECT */
      "CONNECT h:1 HTTP/2\r\n\r\n",       /* version */
      "CONNECT h HTTP/1.1\r\n\r\n",       /* no port */
      "CONNECT h:0 HTTP/1.1\r\n\r\n",     /* port 0 */
      "CONNECT h:65536 HTTP/1.1\r\n\r\n", /* port too big */
      "CONNECT :443 HTTP/1.1\r\n\r\n",    /* no host */
      "CONNECT h:44x HTTP/1.1\r\n\r\n",   /* not a number */
      "CONNECT  h:1 HTTP/1.1\r\n\r\n",    /* two spaces */
      "CONNECT h:1 HTTP/1.1\r\nno colon\r\n\r\n",
      "CONNECT h:1 HTTP/1.1\n\n",         /* LF only */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CU_ASSERT_EQUAL(parse(bad[i], host, &port, auth), 400);
}

static void encodes_base64(void) {
  char out[32];
  CU_ASSERT_EQUAL(proxy_base64("imp:secret", 10, out, sizeof out), 0);
  CU_ASSERT_STRING_EQUAL(out, "aW1wOnNlY3JldA==");
  CU_ASSERT_EQUAL(proxy_base64("ab", 2, out, sizeof out), 0);
  CU_ASSERT_STRING_EQUAL(out, "YWI=");
  CU_ASSERT_EQUAL(proxy_base64("abc", 3, out, 4), -1); /* no room */
}

/* A loopback listener; its port in *port. */
static int listener(uint16_t *port) {
  struct sockaddr_in a = {0};
  socklen_t n = sizeof a;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
      listen(fd, 4) < 0 || getsockname(fd, (struct sockaddr *)&a, &n) < 0)
    return -1;
  *port = ntohs(a.sin_port);
  return fd;
}

/* Send a request head to the proxy; returns the socket, the answer's
** first line in line. */
static int ask(uint16_t proxy, const char *head, char *line, size_t cap) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(proxy);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  line[0] = '\0';
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
    return -1;
  (void)!write(fd, head, strlen(head));
  /* the answer head, byte by byte up to its empty line */
  size_t n = 0;
  char buf[1024];
  while (n + 1 < sizeof buf && read(fd, buf + n, 1) == 1) {
    n++;
    buf[n] = '\0';
    if (strstr(buf, "\r\n\r\n"))
      break;
  }
  buf[n] = '\0';
  size_t l = strcspn(buf, "\r\n");
  if (l >= cap)
    l = cap - 1;
  memcpy(line, buf, l);
  line[l] = '\0';
  return fd;
}

static void serves_and_relays(void) {
  uint16_t cloud_port = 0;
  int cloud = listener(&cloud_port);
  CU_ASSERT_FATAL(cloud >= 0);
  struct proxy_config c = {.host = "cloud.test", .user = "imp",
                           .password = "secret"};
  c.ports[c.nports++] = cloud_port;
  struct proxy *p = NULL;
  struct ic_diag d;
  CU_ASSERT_EQUAL_FATAL(proxy_start(&c, &p, &d), 0);
  uint16_t pp = proxy_port(p);
  char line[200], head[300];
  int st;

  int fd = ask(pp, "BREW /pot HTTP/1.1\r\n\r\n", line, sizeof line);
  CU_ASSERT_STRING_EQUAL(line, "HTTP/1.1 400 Bad Request");
  close(fd);
  snprintf(head, sizeof head, "CONNECT cloud.test:%u HTTP/1.1\r\n\r\n",
           cloud_port);
  fd = ask(pp, head, line, sizeof line);
  CU_ASSERT_STRING_EQUAL(line, "HTTP/1.1 407 Proxy Authentication Required");
  close(fd);
  snprintf(head, sizeof head, "CONNECT other.test:%u HTTP/1.1\r\n"
           "Proxy-Authorization: Basic aW1wOnNlY3JldA==\r\n\r\n", cloud_port);
  fd = ask(pp, head, line, sizeof line);
  CU_ASSERT_STRING_EQUAL(line, "HTTP/1.1 502 Bad Gateway");
  close(fd);
  CU_ASSERT_EQUAL(proxy_last(p, &st, line, sizeof line), 3);
  CU_ASSERT_EQUAL(st, 502);

  snprintf(head, sizeof head, "CONNECT cloud.test:%u HTTP/1.1\r\n"
           "Proxy-Authorization: Basic aW1wOnNlY3JldA==\r\n\r\nhello",
           cloud_port);
  fd = ask(pp, head, line, sizeof line);
  CU_ASSERT_STRING_EQUAL(line, "HTTP/1.1 200 Connection established");
  int up = accept(cloud, NULL, NULL);
  CU_ASSERT_FATAL(up >= 0);
  char buf[16] = "";
  size_t got = 0;
  while (got < 5) { /* the bytes sent with the head come through first */
    ssize_t r = read(up, buf + got, 5 - got);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  CU_ASSERT_EQUAL(got, 5);
  CU_ASSERT_NSTRING_EQUAL(buf, "hello", 5);
  (void)!write(up, "back", 4);
  memset(buf, 0, sizeof buf);
  got = 0;
  while (got < 4) {
    ssize_t r = read(fd, buf + got, 4 - got);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  CU_ASSERT_NSTRING_EQUAL(buf, "back", 4);
  CU_ASSERT_EQUAL(proxy_last(p, &st, line, sizeof line), 4);
  CU_ASSERT_EQUAL(st, 200);
  close(fd);
  close(up);
  proxy_stop(p);
  close(cloud);
}

static const struct cu_test tests[] = {
    {"CONNECT requests parsed, bad ones 400", parses_requests},
    {"base64 of the credentials", encodes_base64},
    {"400, 407, 502, then a 200 tunnel both ways", serves_and_relays},
    {NULL, NULL}};
static const struct cu_suite suites[] = {{"HTTP proxy", tests}};
CU_MAIN(suites)
