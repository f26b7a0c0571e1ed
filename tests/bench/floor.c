/*
** floor.c: the baselines of the harness figures of `make bench`.
**   floor RUNS BINARY [ARGS...]
** (tests/bench/overhead.sh, api.sh) Each run spawns BINARY ARGS and waits
** for it to exit (the cost of starting the DUT's program), then does one
** TLS handshake on loopback with OpenSSL (a P-256 server certificate signed
** by a CA the client checks, SNI, as the harness and refimp do) and moves
** one small record each way (one frame). Prints one line per run,
** "floor: spawn_ms=S tls_ms=T total_ms=S+T".
**   floor --throughput RUNS BYTES CHUNK
** (tests/bench/api.sh) Each run handshakes, then the client writes BYTES
** in CHUNK-byte writes (a counting pattern); the server reads and checks
** every byte and answers one byte. Prints "floor: bytes=N ms=T" per run,
** T from the first write to the answer.
** Exits 0; 1 when a run fails (the spawned program exits non-zero, the
** handshake or a check of the bytes fails), 2 on bad usage.
** The key and certificates are made once, before the runs, as the
** harness makes its own once per run of the suite.
*/
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define HOST "floor.bench.invalid"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what) {
  fprintf(stderr, "floor: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  exit(1);
}

/* A certificate for cn with key, signed by issuer_key (self-signed when
** issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer,
                       EVP_PKEY *issuer_key, bool ca) {
  X509 *c = X509_new();
  if (!c)
    die("X509_new");
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), ca ? 1 : 2);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 86400);
  X509_set_pubkey(c, key);
  X509_NAME *n = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn,
                             -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : n);
  X509V3_CTX v3;
  X509V3_set_ctx(&v3, issuer ? issuer : c, c, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(
      NULL, &v3, ca ? NID_basic_constraints : NID_subject_alt_name,
      ca ? "critical,CA:TRUE" : "DNS:" HOST);
  if (!ext || !X509_add_ext(c, ext, -1))
    die("certificate extension");
  X509_EXTENSION_free(ext);
  if (!X509_sign(c, issuer_key, EVP_sha256()))
    die("X509_sign");
  return c;
}

struct server {
  SSL_CTX *ctx;
  int lfd;
  int ok;
  long expect; /* 0: echo one record; else read this many pattern bytes */
};

/* Reads s->expect bytes of the pattern (byte i is i & 0xff) and answers
** one byte; 1 when every byte was right. */
static int sink(SSL *ssl, long expect) {
  static unsigned char buf[1 << 16];
  long got = 0;
  while (got < expect) {
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0)
      return 0;
    for (int i = 0; i < n; i++)
      if (buf[i] != (unsigned char)((got + i) & 0xff))
        return 0;
    got += n;
  }
  return SSL_write(ssl, "k", 1) == 1;
}

/* Accepts one connection, handshakes, echoes one record (or sinks). */
static void *serve(void *arg) {
  struct server *s = arg;
  s->ok = 0;
  int fd = accept(s->lfd, NULL, NULL);
  if (fd < 0)
    return NULL;
  SSL *ssl = SSL_new(s->ctx);
  SSL_set_fd(ssl, fd);
  char buf[64];
  if (SSL_accept(ssl) == 1) {
    if (s->expect) {
      s->ok = sink(ssl, s->expect);
    } else {
      int n = SSL_read(ssl, buf, sizeof buf);
      if (n > 0 && SSL_write(ssl, buf, n) == n)
        s->ok = 1;
    }
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  close(fd);
  return NULL;
}

/* Writes bytes of the pattern in chunk-byte writes, waits for the answer;
** 0 when it came. Sets *ms to the time from the first write. */
static int source(SSL *ssl, long bytes, long chunk, double *ms) {
  static unsigned char buf[1 << 20];
  double t0 = now_ms();
  for (long off = 0; off < bytes; off += chunk) {
    long n = bytes - off < chunk ? bytes - off : chunk;
    for (long i = 0; i < n; i++)
      buf[i] = (unsigned char)((off + i) & 0xff);
    if (SSL_write(ssl, buf, (int)n) != (int)n)
      return -1;
  }
  char k;
  if (SSL_read(ssl, &k, 1) != 1 || k != 'k')
    return -1;
  *ms = now_ms() - t0;
  return 0;
}

/* One handshake and one record each way (or, with bytes, the throughput
** run); 0 when the echo (the answer) came back. */
static int handshake(SSL_CTX *cctx, struct server *s, int port, long bytes,
                     long chunk, double *ms) {
  s->expect = bytes;
  pthread_t th;
  if (pthread_create(&th, NULL, serve, s) != 0)
    return -1;
  int rc = -1;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
    SSL *ssl = SSL_new(cctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, HOST);
    SSL_set1_host(ssl, HOST);
    static const char msg[] = "\x00\x00\x00\x05hello";
    char back[sizeof msg];
    if (SSL_connect(ssl) == 1 && SSL_get_verify_result(ssl) == X509_V_OK) {
      if (bytes)
        rc = source(ssl, bytes, chunk, ms);
      else if (SSL_write(ssl, msg, sizeof msg - 1) == (int)sizeof msg - 1 &&
               SSL_read(ssl, back, sizeof back) == (int)sizeof msg - 1 &&
               memcmp(back, msg, sizeof msg - 1) == 0)
        rc = 0;
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
  }
  if (fd >= 0)
    close(fd);
  pthread_join(th, NULL);
  return rc == 0 && s->ok ? 0 : -1;
}

static int spawn(char **argv) {
  pid_t pid = fork();
  if (pid < 0)
    return -1;
  if (pid == 0) {
    int nul = open("/dev/null", O_WRONLY);
    if (nul >= 0) {
      dup2(nul, 1);
      dup2(nul, 2);
    }
    execv(argv[0], argv);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) < 0)
    return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A decimal number in [lo, hi], or -1. */
static long number(const char *s, long lo, long hi) {
  char *end;
  long v = strtol(s, &end, 10);
  return end != s && !*end && v >= lo && v <= hi ? v : -1;
}

int main(int argc, char **argv) {
  bool tput = argc > 1 && strcmp(argv[1], "--throughput") == 0;
  long runs = -1, bytes = 0, chunk = 0;
  if (tput && argc == 5) {
    runs = number(argv[2], 1, 100000);
    bytes = number(argv[3], 1, 1L << 32);
    chunk = number(argv[4], 1, 1L << 20);
  } else if (!tput && argc >= 3) {
    runs = number(argv[1], 1, 100000);
  }
  if (runs < 0 || bytes < 0 || chunk < 0) {
    fprintf(stderr, "usage: floor RUNS BINARY [ARGS...]\n"
                    "       floor --throughput RUNS BYTES CHUNK\n"
                    "(RUNS 1..100000, BYTES 1..2^32, CHUNK 1..2^20)\n");
    return 2;
  }
  EVP_PKEY *cakey = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
  if (!cakey || !key)
    die("EVP_EC_gen");
  X509 *ca = make_cert(cakey, "floor CA", NULL, cakey, true);
  X509 *cert = make_cert(key, HOST, ca, cakey, false);

  struct server s;
  s.ctx = SSL_CTX_new(TLS_server_method());
  if (!s.ctx || !SSL_CTX_set_min_proto_version(s.ctx, TLS1_2_VERSION) ||
      SSL_CTX_use_certificate(s.ctx, cert) != 1 ||
      SSL_CTX_use_PrivateKey(s.ctx, key) != 1)
    die("server context");
  SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
  if (!cctx || !SSL_CTX_set_min_proto_version(cctx, TLS1_2_VERSION) ||
      X509_STORE_add_cert(SSL_CTX_get_cert_store(cctx), ca) != 1)
    die("client context");
  SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);

  s.lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  if (s.lfd < 0 || bind(s.lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
      listen(s.lfd, 4) != 0 ||
      getsockname(s.lfd, (struct sockaddr *)&a, &alen) != 0)
    die("listen on loopback");
  int port = ntohs(a.sin_port);

  for (long r = 0; tput && r < runs; r++) {
    double ms = 0;
    if (handshake(cctx, &s, port, bytes, chunk, &ms) != 0)
      die("TLS throughput on loopback (bytes sent, checked, answered)");
    printf("floor: bytes=%ld ms=%.3f\n", bytes, ms);
  }
  for (long r = 0; !tput && r < runs; r++) {
    double t0 = now_ms();
    int st = spawn(argv + 2);
    double t1 = now_ms();
    if (st != 0) {
      fprintf(stderr, "floor: '%s' exited %d\n", argv[2], st);
      return 1;
    }
    double unused;
    if (handshake(cctx, &s, port, 0, 0, &unused) != 0)
      die("TLS handshake and echo on loopback");
    double t2 = now_ms();
    printf("floor: spawn_ms=%.3f tls_ms=%.3f total_ms=%.3f\n", t1 - t0,
           t2 - t1, t2 - t0);
  }
  close(s.lfd);
  SSL_CTX_free(s.ctx);
  SSL_CTX_free(cctx);
  X509_free(ca);
  X509_free(cert);
  EVP_PKEY_free(cakey);
  EVP_PKEY_free(key);
  return 0;
}
