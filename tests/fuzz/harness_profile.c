/*
** harness_profile.c: libFuzzer target for the DUT profile parser
** (harness/src/profile.c): any file loads, or is refused naming the file
** and line; a loaded profile has a command and answers capability checks.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "profile.h"

/* GLOBAL: one scratch file per fuzzing process. */
static char path[64];

static void cleanup(void) {
  unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  snprintf(path, sizeof(path), "/dev/shm/impcert-profile-fuzz-%ld.conf",
           (long)getpid());
  atexit(cleanup);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size || fclose(f))
    abort();
  struct profile p;
  struct ic_diag d = {""};
  if (profile_load(path, &p, &d) != 0) {
    if (!strstr(d.msg, path))
      abort(); /* the message names the file */
    return 0;
  }
  if (!p.command || !p.command[0])
    abort(); /* docs/profiles.md: command is required */
  char missing[64];
  (void)profile_has(&p, "jig");
  (void)profile_missing(&p, "jig,jig-power,wifi", missing, sizeof(missing));
  profile_fini(&p);
  return 0;
}
