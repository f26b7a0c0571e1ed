/*
** refimp_jig.c: libFuzzer target for refimp's jig message decoder
** (reference-fw/core/jig.c, jig_poll) over the POSIX board's real jig
** socket: the input is what a jig sends, then it hangs up. jig_poll must
** hand out messages until it drops the jig with a logged reason; it must
** never crash or spin. refimp logs every frame to stderr: run it with
** -close_fd_mask=2 (tests/fuzz.sh does), sanitizer reports still show.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/jig.h"
#include "hal/posix/hal_posix.h"

/* GLOBAL: the listening jig socket, made once per fuzzing process. */
static int listen_fd = -1;
static char sock_path[108];

static void setup(void) {
  struct sockaddr_un sa;
  snprintf(sock_path, sizeof(sock_path), "/tmp/refimp-jig-fuzz-%ld.sock",
           (long)getpid());
  unlink(sock_path);
  listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
      listen(listen_fd, 4))
    abort();
  hal_posix_jig_config(sock_path);
}

static void cleanup(void) {
  unlink(sock_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  setup();
  atexit(cleanup);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct jig j;
  if (size > 100000)
    return 0; /* more than the socket buffers hold without a reader */
  jig_open(&j, "imp001", "fuzz", NULL, 0);
  int peer = accept(listen_fd, NULL, NULL);
  if (!j.up || peer < 0)
    abort();
  /* the jig's side: write everything, then hang up */
  size_t at = 0;
  while (at < size) {
    ssize_t w = write(peer, data + at, size - at);
    if (w <= 0)
      abort();
    at += (size_t)w;
  }
  close(peer);
  Impjig__JigEnvelope *env;
  unsigned long polls = 0;
  for (;;) {
    enum rf_status st = jig_poll(&j, &env);
    if (st == RF_OK) {
      if (!env || env->msg_case == IMPJIG__JIG_ENVELOPE__MSG__NOT_SET)
        abort(); /* a decoded envelope always carries a message */
      frame_free(&env->base);
    } else if (st == RF_ECLOSED) {
      break;
    }
    /* everything was written before the hang-up: RF_EAGAIN can only be
    ** momentary, and the loop must end */
    if (++polls > size + 1000000)
      abort();
  }
  if (j.up)
    abort(); /* the hang-up must drop the jig */
  jig_close(&j, "fuzz input done");
  return 0;
}
