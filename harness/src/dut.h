/*
** dut.h: starting and stopping a device-under-test process.
** Owns the expansion of the profile's command template, the process and
** its output file; knows nothing of what the device says.
*/
#ifndef IMPCERT_DUT_H
#define IMPCERT_DUT_H

#include <stdbool.h>
#include <sys/types.h>

#include "diag.h"
#include "profile.h"

/* Values of the command template's placeholders (docs/profiles.md). */
struct dut_env {
  const char *bindir, *flash, *server_name, *server_addr, *ports, *ca, *jig,
      *board;
  /* {cell_port}: the port standing for 52753 (network = cellular; NULL
  ** otherwise, and the profile then has no {cell_port}) */
  const char *cell_port;
  /* The DUT's environment (docs/profiles.md): IMPCERT_CLOCK_MS, device
  ** time at the start (virtual time; NULL: unset), and IMPCERT_WAKE,
  ** "timer" or "pin" when the start is a wake from deep sleep (NULL: a
  ** power-on). */
  const char *clock_ms, *wake;
  /* IMPCERT_FLASH_READ_ERRORS: the jig's bad flash reads at power-on
  ** (jig.md "Flash faults"; NULL: unset). */
  const char *flash_read_errors;
  /* IMPCERT_PIN_LEVELS: pins the jig holds at power-on, "pin1=0,pinA=1"
  ** (jig.md "Pins"; NULL: unset). */
  const char *pin_levels;
  /* IMPCERT_WIFI: "jig" once the test plays the WiFi surroundings
  ** (jig.md "WiFi"; NULL: unset). */
  const char *wifi;
};

struct dut {
  pid_t pid;        /* 0 when not running */
  int status;       /* wait status of the last exit */
  bool exited;      /* the last process ended by itself */
};

/* Expand the profile's wrapper + command into argv form, joined by single
** spaces, for messages. Caller frees with ic_free. NULL on error (d). */
char *dut_command_line(const struct profile *p, const struct dut_env *env,
                       struct ic_diag *d);

/* Start the DUT with stdout and stderr appended to log_path. Returns 0 or
** -1 with d. The process is in the caller's process group. */
int dut_start(struct dut *u, const struct profile *p,
              const struct dut_env *env, const char *log_path,
              struct ic_diag *d);

/* True while the process lives; reaps it when it has exited. */
bool dut_alive(struct dut *u);

/* Kill the process at once (a power cut) and reap it. */
void dut_kill(struct dut *u);

/* "exit status 1", "killed by signal 11", or "running" into buf. */
const char *dut_describe(const struct dut *u, char *buf, size_t n);

#endif
