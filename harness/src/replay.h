/*
** replay.h: `impcert replay`, a recorded conversation played again.
** Owns turning an application-level capture into steps, the `.expect`
** file, and comparing a DUT's side with the recording (volatile fields
** of specs/wire.md ignored). Drives the DUT only through the plugin SDK,
** inside one fixture, like any test.
*/
#ifndef IMPCERT_REPLAY_H
#define IMPCERT_REPLAY_H

#include <stddef.h>

#include "diag.h"

struct replay_script; /* the steps of one capture */

/* Read the capture at path into steps. NULL with d naming the file, the
** packet and its byte offset when the capture cannot be replayed (not a
** pcap, a stream that does not decode, TLS records). */
struct replay_script *replay_load(const char *path, struct ic_diag *d);
void replay_free(struct replay_script *s);

/* Number of steps, and step i (1-based) as one line of text into buf. */
size_t replay_steps(const struct replay_script *s);
const char *replay_step_text(const struct replay_script *s, size_t i,
                             char *buf, size_t n);

/* What a capture's .expect file says. */
struct replay_expect {
  char needs[256];     /* capabilities the DUT must declare, or "" */
  int diverge_step;    /* 0: the DUT must match the whole capture */
  char what[64];       /* with diverge_step: the divergence's name */
};

/* Parse an .expect file. 0, or -1 with d naming file:line. */
int replay_expect_load(const char *path, struct replay_expect *e,
                       struct ic_diag *d);

/* `impcert replay ...`: argv[0] is the command word. Returns 0 the DUT
** behaved as the .expect file says (or a needed capability is missing:
** skipped), 1 it did not, 2 usage or input error. */
int replay_main(int argc, char **argv);

#endif
