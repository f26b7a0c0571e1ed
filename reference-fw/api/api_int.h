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
  bool has_int2;      /* then int_arg2 as a further argument */
  int32_t int_arg2;
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

#define API_MAX_TRAINS 8 /* pulse trains a pin holds (jig.md) */
struct api_pin {
  const struct board_pin *def;
  int mode;           /* 0: not configured */
  int level;          /* output level, or input level the jig drives */
  int driven;         /* the level the jig drives (-1: none): an input
                         configured later reads it [HW-018] */
  float period_s, duty;
  bool zombie;
  int callback;       /* sq_ref or -1 */
  uint32_t millivolts; /* the voltage the jig applies (ANALOG_IN, sampler) */
  float count_s;      /* PULSE_COUNTER: the duration read() counts over */
  struct api_pulses {  /* the jig's pulse trains on this pin */
    uint64_t first_us; /* device time of the first rising edge */
    uint32_t count, period_us;
  } trains[API_MAX_TRAINS];
  size_t ntrains;
};

/* ---- peripherals (one module each; state here so the VM's teardown
** frees it in one place) ---- */

#define API_UART_FIFO 256   /* receive FIFO, bytes (constants.md) */
struct api_uart {
  const char *name;
  bool configured;
  uint32_t baud, flags;
  int callback;             /* sq_ref or -1 */
  bool callback_flags;      /* CALLBACK_WITH_FLAGS */
  uint8_t rx[API_UART_FIFO];
  size_t rx_len;
  bool overrun;             /* bytes were lost since the last event */
};

#define API_I2C_TARGETS 8
struct api_i2c_target {
  bool present;
  uint8_t address;          /* 7-bit */
  uint8_t ptr;              /* register pointer */
  uint8_t regs[256];
};
struct api_i2c {
  const char *name;
  bool configured;
  int32_t error;            /* readerror(): 0 or negative */
};

struct api_spi {
  const char *name;
  bool configured;
  uint32_t speed_khz;
};

#define API_AUDIO_BUFFERS 8
/* What the DAC, the sampler and the dfsdm share: a queue of blobs
** (sq_refs), a callback and the time the current buffer is done. */
struct api_stream {
  bool configured, running;
  float rate;               /* samples a second (per pin for the sampler) */
  int buffers[API_AUDIO_BUFFERS]; /* sq_refs, the one in use first */
  size_t nbuffers;
  int callback;             /* sq_ref or -1 */
  uint64_t due;             /* host ms the current buffer completes */
  uint32_t flags;
};

struct api_dac {
  struct api_stream s;
  int pin;                  /* index into pins, or -1: hardware.pwmpairKD */
};

struct api_sampler {
  struct api_stream s;
  int pins[BOARD_MAX_PINS]; /* indexes into pins */
  size_t npins;
  bool a_law;               /* A_LAW_COMPRESS: a byte a sample */
};

struct api_dfsdm {
  struct api_stream s;
  int32_t order, decimation, integration, offset, shift;
  uint32_t clock_hz;        /* of the jig's bit stream */
  uint8_t *bits;            /* rf_malloc'd PdmStream, or NULL */
  size_t nbits, pos;        /* bits held, next bit to consume */
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
  int lasterror;                /* reason of the last failed connection
                                   (imp.net.info().lasterror), -1: none */
  struct api_handler handlers[API_MAX_HANDLERS];
  /* server and imp state */
  struct api_policy policy;
  uint32_t send_buffer;
  uint32_t ack_seq;
  bool powersave;
  int scan_cb;                  /* sq_ref or -1: imp.scanwifinetworks */
  int rescue_polarity;
  /* hardware */
  struct api_pin pins[BOARD_MAX_PINS];
  struct api_bt *bt;            /* hardware.bluetooth (bluetooth.c) */
  struct api_uart uarts[BOARD_MAX_BUSES];
  struct api_i2c i2cs[BOARD_MAX_BUSES];
  struct api_i2c_target targets[API_I2C_TARGETS]; /* i2c_bus: index */
  int target_bus[API_I2C_TARGETS];
  struct api_spi spis[BOARD_MAX_BUSES];
  bool spiflash_enabled;
  uint8_t *spiflash;            /* the host's user area, or NULL */
  uint32_t spiflash_size;
  struct api_dac dac;
  struct api_sampler sampler;
  struct api_dfsdm dfsdm;
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
/* Drop *ref (if any) and set it to -1. */
void api_clearref(struct api *a, int *ref);
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

/* server.c: send one Envelope under the send policy (seq: the Ack a
** WAIT_FOR_ACK agent.send awaits, 0 none); returns the send error code
** (SUSPEND_ON_ERROR's give-up has already asked for deep sleep). */
int api_send(struct api *a, Impwire__Envelope *env, uint32_t seq);

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
/* api/wifi.c: the WiFi members of the imp table (at -1) and of imp.net
** (at -1). */
int api_wifi_imp(struct api *a);
int api_wifi_net(struct api *a);
/* imp.net.info(): the WiFi keys into the interface entry at -1; the
** reason of the last failed join (0: none). */
void api_wifi_info(struct api *a);
int api_wifi_lasterror(struct api *a);
/* nv: pack the root `nv` table for a deep sleep (NULL: none or refused,
** why says which); restore at boot. */
uint8_t *api_nv_save(struct api *a, size_t *n, char *why, size_t cap);
int api_nv_restore(struct api *a);
/* The peripheral modules: each adds its objects to the `hardware` table
** at the top of the stack (SQ_OK or SQ_ERRMEM). */
int api_uart_open(struct api *a);      /* uart.c */
int api_i2c_open(struct api *a);       /* i2c.c */
int api_spi_open(struct api *a);       /* spi.c */
int api_spiflash_open(struct api *a);  /* spiflash.c */
int api_audio_open(struct api *a);     /* audio.c: DAC, sampler, dfsdm */
/* Run what the audio streams have due at host time now; returns their
** next deadline (UINT64_MAX: none). */
uint64_t api_audio_step(struct api *a, uint64_t now);
bool api_audio_busy(const struct api *a);
/* Drop every reference and buffer the peripherals hold (teardown). */
void api_periph_free(struct api *a);
/* Create an object of a new class with natives fns and user pointer up,
** tagged tag, and store it as hardware[name] (table at -1). */
int api_hw_object(struct api *a, const char *name, const void *tag,
                  const struct sq_reg *fns, void *up);
/* The emitting side of api_event for peripherals. */
void api_observe(struct api *a, const struct api_event *ev);
/* The pin index of a name (or -1), and the pin behind a pin object at
** stack index idx (NULL if it is not one). */
int api_pin_index(const struct api *a, const char *name);
struct api_pin *api_pin_at(sq_vm *vm, int idx);
/* Take over the zombie PWM outputs of cfg (api_create). */
void api_hw_adopt(struct api *a);
/* The supply voltage: ANALOG_IN reads 65535 there (constants.md). */
#define API_SUPPLY_MV 3300u
/* The 16-bit ANALOG_IN reading of a pin's voltage (HW-010). */
uint16_t api_pin_analog(const struct api_pin *p);

/* Deliver an input level to a pin (edge callbacks). */
bool api_hw_input(struct api *a, const char *pin, int level);
/* The deep-sleep natives shared by server.* and imp.* (fn names them). */
int api_sleepfor(sq_vm *vm, const char *fn);
int api_sleepuntil(sq_vm *vm, const char *fn);

#endif
