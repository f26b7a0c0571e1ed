/*
** api_int.h: what the files of api/ share: struct api (the VM, the event
** loop state, the pins) and the helpers the bindings use. Not for callers
** outside api/ (they use api.h).
*/
#ifndef REFIMP_API_API_INT_H
#define REFIMP_API_API_INT_H

#include "api/api.h"
#include "api/board.h"
#include "sq.h"

#define API_MAX_TIMERS 64
#define API_MAX_PENDING 64
#define API_MAX_HANDLERS 32

struct api_timer {
  uint32_t id;        /* 0: free slot */
  uint64_t due;       /* host ms */
  uint64_t seq;       /* creation order breaks ties */
  int fn;             /* sq_ref of the callback */
};

/* A callback waiting for the next api_step (never run re-entrantly). */
struct api_pending {
  int fn;             /* sq_ref */
  int arg;            /* sq_ref of the one argument, or -1 */
  bool has_int;       /* pass int_arg instead */
  int32_t int_arg;
  bool no_args;
  bool ack;           /* an AgentMessage with seq: Ack ack_seq after it */
  uint32_t ack_seq;
};

struct api_handler {
  char *name;         /* rf_malloc'd; NULL: free slot */
  int fn;
};

/* Send timeout policy (constants.md). */
struct api_policy {
  int error;          /* SUSPEND_ON_ERROR 0, RETURN_ON_ERROR 1, ..._NO_DISCONNECT 2 */
  int wait;           /* WAIT_TIL_SENT 0, WAIT_FOR_ACK 1 */
  float timeout_s;
};

struct api_pin {
  const struct board_pin *def;
  int mode;           /* 0: not configured */
  int level;          /* output level, or input level the jig drives */
  float period_s, duty;
  bool zombie;
  int callback;       /* sq_ref or -1 */
};

struct api {
  struct api_host host;
  struct api_config cfg;
  const struct board *board;
  sq_vm *vm;
  uint64_t boot_ms;             /* host time at api_create */
  char err[512];                /* syntax error text */
  bool started, stopped;
  bool unhandled;               /* uncaught error with no handler */
  bool have_req;
  struct api_request req;
  uint8_t *req_nv;              /* packed nv for a deep-sleep request */
  char req_why[128];
  /* event loop */
  struct api_timer timers[API_MAX_TIMERS];
  uint32_t next_timer_id;
  uint64_t timer_seq;
  struct api_pending pending[API_MAX_PENDING];
  size_t npending;
  int onidle;                   /* sq_ref or -1 */
  int onexception;              /* sq_ref or -1 */
  int onshutdown;               /* sq_ref or -1 */
  int onunexpected;             /* sq_ref or -1 */
  int connect_cb;               /* sq_ref or -1: server.connect callback */
  bool connect_wanted;          /* a server.connect() awaits its outcome */
  bool was_connected;
  struct api_handler handlers[API_MAX_HANDLERS];
  /* server and imp state */
  struct api_policy policy;
  uint32_t send_buffer;
  uint32_t ack_seq;
  bool powersave;
  int rescue_polarity;
  /* hardware */
  struct api_pin pins[BOARD_MAX_PINS];
  struct api_bt *bt;            /* hardware.bluetooth (bluetooth.c) */
};

/* ---- hardware.c ---------------------------------------------------------- */
/* The name ("pin1", "pinA") of the pin object at stack index idx, or NULL
** when it is not a pin. */
const char *api_pin_name(sq_vm *vm, int idx);

/* ---- api.c: running Squirrel --------------------------------------------
** Call the function below the top with nargs (this + arguments) under the
** budget, and deal with whatever goes wrong (uncaught error, out of
** memory, watchdog). Pops them all. Returns true when it ran cleanly.
*/
bool api_run_call(struct api *a, int nargs);
/* The same, but on success the result stays on top of the stack. */
bool api_run_call_keep(struct api *a, int nargs);
/* Hand a request recorded meanwhile to the host (after a call made
** outside api_step, once the VM unwound). */
void api_flush_request(struct api *a);
/* Queue a callback for the next api_step (references are taken over). */
void api_queue(struct api *a, const struct api_pending *p);
/* Ask the host for a request once the VM is unwound; stops the code. */
void api_stop(struct api *a, const struct api_request *req);
/* Host time now. */
uint64_t api_now(struct api *a);
/* Replace *ref by the value at idx (null clears it). */
void api_setref(struct api *a, int *ref, int idx);
/* Push the root table and set root[name] = value at top (popped). */
int api_setglobal(struct api *a, const char *name);
/* Register natives into a new table and store it as root[name] (or into
** the table at -1 if name is NULL); returns SQ_OK or SQ_ERRMEM. */
int api_newlib(struct api *a, const char *name, const struct sq_reg *regs);
/* The api behind a native (natives get it through sq_nativeud). */
#define API_OF(vm) ((struct api *)sq_nativeud(vm))
/* Natives register with the api as user data. */
int api_register(struct api *a, int idx, const struct sq_reg *regs);
/* Constant integers into root. */
struct api_const {
  const char *name;
  int32_t value;
};
int api_setconsts(struct api *a, const struct api_const *c);

/* ---- the bindings: each registers its objects (SQ_OK or SQ_ERRMEM) ---- */
int api_server_open(struct api *a);    /* server, agent */
int api_imp_open(struct api *a);       /* imp, crypto, nv */
int api_hardware_open(struct api *a);  /* hardware, pins */
int api_bluetooth_open(struct api *a); /* hardware.bluetooth (imp004m) */
/* Close the radio and free its state (before the VM closes). */
void api_bt_free(struct api *a);
/* Squirrel may not suspend (imp.sleep...) inside a GATT callback: sets
** the error for fn and returns -1 there, else 0 (BT-009). */
int api_bt_no_suspend(sq_vm *vm, const char *fn);
/* nv: pack the root `nv` table for a deep sleep (NULL: none or refused,
** why says which); restore at boot. */
uint8_t *api_nv_save(struct api *a, size_t *n, char *why, size_t cap);
int api_nv_restore(struct api *a);
/* Deliver an input level to a pin (edge callbacks). */
bool api_hw_input(struct api *a, const char *pin, int level);
/* The deep-sleep natives shared by server.* and imp.* (fn names them). */
int api_sleepfor(sq_vm *vm, const char *fn);
int api_sleepuntil(sq_vm *vm, const char *fn);

#endif
