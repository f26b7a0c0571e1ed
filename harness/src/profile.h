/*
** profile.h: DUT profiles, the key=value files that say how to start a
** device and what it declares (docs/profiles.md explains every key).
** Owns parsing and checking; knows nothing of running the device.
*/
#ifndef IMPCERT_PROFILE_H
#define IMPCERT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

#define PROFILE_MAX_CAPS 64

enum profile_time { PROFILE_TIME_REAL, PROFILE_TIME_VIRTUAL };

/* How the device reaches the cloud (docs/profiles.md, key `network`):
** WiFi/Ethernet dials the three ports 31314, 993, 443; cellular dials
** 52753 alone (NET-001, NET-002). */
enum profile_network { PROFILE_NET_WIFI, PROFILE_NET_CELLULAR };

struct profile {
  char *path;                 /* the file it came from */
  char *name;
  char *command;              /* template with {placeholders} */
  char *wrapper;              /* prefix command, e.g. qemu-arm ..., or NULL */
  char *board;
  char *caps[PROFILE_MAX_CAPS];
  int ncaps;
  enum profile_time time;
  enum profile_network network;
  unsigned startup_ms;        /* how long a DUT may take to first act */
  unsigned test_timeout_ms;   /* default per-test limit */
  unsigned timeout_scale;     /* a test's own limit is multiplied by it */
  unsigned code_page_bytes;   /* the DUT's code page (REG-028); 0: none
                                 declared */
};

/* Parse the profile at path. Returns 0, or -1 with d naming the file, the
** line and what is wrong. On error p holds nothing to free. */
int profile_load(const char *path, struct profile *p, struct ic_diag *d);
void profile_fini(struct profile *p);

/* True if the profile declares capability `cap`. */
bool profile_has(const struct profile *p, const char *cap);

/* The first capability of the comma-separated list `needs` that the
** profile does not declare, copied into out (size n); false if none. An
** entry "!cap" excludes cap: it is reported (as "!cap") when the profile
** declares cap. */
bool profile_missing(const struct profile *p, const char *needs, char *out,
                     size_t n);

/* True if cap is a capability name of specs/capabilities.md. */
bool profile_known_cap(const char *cap);

/* Every capability name of specs/capabilities.md, NULL-terminated. */
const char *const *profile_cap_names(void);

/* Add cap to p's capabilities (nothing if present). 0, or -1 if full or
** out of memory. */
int profile_add_cap(struct profile *p, const char *cap);

/* Deep copy of src into dst. 0, or -1 (out of memory; dst holds nothing). */
int profile_copy(struct profile *dst, const struct profile *src);

#endif
