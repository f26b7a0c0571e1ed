/*
** jig.h: refimp's side of the test jig (specs/jig.md): Hello, BootState
** and Led out, BlinkUp in. Owns the jig framing state; a jig that goes
** wrong is dropped with a log line and the device runs on without it.
*/
#ifndef REFIMP_CORE_JIG_H
#define REFIMP_CORE_JIG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/frame.h"
#include "core/rf.h"
#include "jig.pb-c.h"

struct jig {
  bool up;
  struct frame_reader rd;
  uint32_t sent;
  bool batching;          /* between jig_batch_begin and jig_batch_end */
  size_t batch_len;
  uint8_t batch[512];     /* frames waiting to go out in one write */
};

/* Connect (hal_jig_open) and send Hello with the nfeatures jig features
** the board offers (CAP-002). A board without a jig or a jig that does
** not answer leaves j->up false; the reason is logged. */
void jig_open(struct jig *j, const char *board, const char *os_version,
              const char *const *features, size_t nfeatures);

/* Frames sent between these two calls go out in one write, so the jig
** sees them together (a state change and its LED change). */
void jig_batch_begin(struct jig *j);
void jig_batch_end(struct jig *j);

/* Send one message; on failure the jig is dropped (logged). */
void jig_send(struct jig *j, const Impjig__JigEnvelope *env);

/* Convenience senders. */
void jig_send_boot_state(struct jig *j, Impjig__BootState__State state);
void jig_send_led(struct jig *j, Impjig__Led__Colour colour, bool flashing);

/* Read one message without blocking: RF_OK with *out (frame_free it),
** RF_EAGAIN, or RF_ECLOSED once the jig is gone (dropped and logged). */
enum rf_status jig_poll(struct jig *j, Impjig__JigEnvelope **out);

/* Drop the jig connection. */
void jig_close(struct jig *j, const char *why);

#endif
