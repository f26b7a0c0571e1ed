/*
** hardware.c: the `hardware` object: wake reason, clocks, device ID and
** the board's pins (configure, read, write, PWM with the zombie option),
** and the dispatcher that lets each peripheral module (uart.c, i2c.c,
** spi.c, spiflash.c, audio.c) add its objects for the board.
** Every output change is reported through host->observe (HW-008, HW-011).
*/
#include "api/api_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Pin modes (specs/constants.md, "Pin modes"). */
enum pin_mode {
  DIGITAL_IN = 1, DIGITAL_IN_PULLUP, DIGITAL_IN_PULLDOWN, DIGITAL_IN_WAKEUP,
  DIGITAL_OUT, DIGITAL_OUT_OD, DIGITAL_OUT_OD_PULLUP, ANALOG_IN, ANALOG_OUT,
  PWM_OUT, PWM_OUT_STEPS, PULSE_COUNTER
};

static const char pin_tag; /* type tag of the pin class */

static const char *const mode_names[] = {
    "?", "DIGITAL_IN", "DIGITAL_IN_PULLUP", "DIGITAL_IN_PULLDOWN",
    "DIGITAL_IN_WAKEUP", "DIGITAL_OUT", "DIGITAL_OUT_OD",
    "DIGITAL_OUT_OD_PULLUP", "ANALOG_IN", "ANALOG_OUT", "PWM_OUT",
    "PWM_OUT_STEPS", "PULSE_COUNTER"};

static const char *mode_name(int32_t mode) {
  return mode > 0 && mode <= PULSE_COUNTER ? mode_names[mode] : "?";
}

static void observe_mode(struct api *a, struct api_pin *p, int mode) {
  struct api_event ev = {.kind = API_EV_PIN_MODE, .pin = p->def->name,
                         .mode = mode};
  a->host.observe(a->host.ctx, &ev);
}

static struct api_pin *pin_of(sq_vm *vm) {
  struct api_pin *p = sq_getinstanceup(vm, 1, &pin_tag);
  if (!p)
    sq_error(vm, "not a pin");
  return p;
}

const char *api_pin_name(sq_vm *vm, int idx) {
  const struct api_pin *p = sq_getinstanceup(vm, idx, &pin_tag);
  return p ? p->def->name : NULL;
}

static void observe_pin(struct api *a, struct api_pin *p) {
  struct api_event ev = {.kind = API_EV_PIN, .pin = p->def->name,
                         .level = p->level, .mode = p->mode};
  a->host.observe(a->host.ctx, &ev);
}

static void observe_pwm(struct api *a, struct api_pin *p) {
  struct api_event ev = {.kind = API_EV_PWM, .pin = p->def->name,
                         .period_s = p->period_s, .duty = p->duty};
  a->host.observe(a->host.ctx, &ev);
}

static bool is_input(int mode) {
  return mode >= DIGITAL_IN && mode <= DIGITAL_IN_WAKEUP;
}
static bool is_output(int mode) {
  return mode >= DIGITAL_OUT && mode <= DIGITAL_OUT_OD_PULLUP;
}

/* May this pin take this mode? (HW-007, HW-017) */
static bool mode_ok(const struct board_pin *d, int mode) {
  switch (mode) {
  case DIGITAL_IN: case DIGITAL_IN_PULLUP: case DIGITAL_IN_PULLDOWN:
  case DIGITAL_OUT: case DIGITAL_OUT_OD: case DIGITAL_OUT_OD_PULLUP:
    return true;
  case DIGITAL_IN_WAKEUP: return d->caps & BOARD_CAP_WAKE;
  case ANALOG_IN: return d->caps & BOARD_CAP_ANALOG_IN;
  case ANALOG_OUT: return d->caps & BOARD_CAP_ANALOG_OUT;
  case PWM_OUT: case PWM_OUT_STEPS: return d->caps & BOARD_CAP_PWM;
  case PULSE_COUNTER: return d->caps & BOARD_CAP_PULSE;
  default: return false;
  }
}

static int configure_pwm(sq_vm *vm, struct api *a, struct api_pin *p,
                         int n) {
  float period, duty = 0;
  bool zombie = false;
  if (n < 3)
    return sq_error(vm, "pin.configure(PWM_OUT, period, dutyCycle): "
                        "missing arguments");
  if (sq_checkfloat(vm, 3, &period) < 0 ||
      (n >= 4 && sq_checkfloat(vm, 4, &duty) < 0))
    return -1;
  if (n >= 5) {
    if (sq_checktype(vm, 5, SQ_TBOOL) < 0)
      return -1;
    zombie = sq_truthy(vm, 5);
  }
  if (!(period > 0 && period <= 10))
    return sq_error(vm, "pin.configure: PWM period must be above 0 and at "
                        "most 10 s");
  if (!(duty >= 0 && duty <= 1))
    return sq_error(vm, "pin.configure: duty cycle must be 0.0 to 1.0");
  if (zombie && !a->board->zombie_pwm) /* HW-015 */
    return sq_error(vm, "pin.configure: zombie PWM is not supported on "
                        "%s", a->board->name);
  if (a->stopped)
    return 0;
  if (p->callback >= 0)
    sq_unref(vm, p->callback);
  p->callback = -1;
  p->period_s = period;
  p->duty = duty;
  p->zombie = zombie;
  p->mode = PWM_OUT;
  observe_mode(a, p, PWM_OUT);
  observe_pwm(a, p);
  return 0;
}

/* pin.configure(mode, ...): every argument is checked before the pin
** changes, so a refused call leaves it as it was. */
static int pin_configure(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_pin *p = pin_of(vm);
  int32_t mode, v = 0;
  float f = 0;
  int n = sq_gettop(vm);
  if (!p || sq_checkint(vm, 2, &mode) < 0)
    return -1;
  if (!mode_ok(p->def, mode))
    return sq_error(vm, "pin.configure: %s does not support %s",
                    p->def->name, mode_name(mode));
  if (mode == PWM_OUT || mode == PWM_OUT_STEPS)
    return configure_pwm(vm, a, p, n);
  enum sq_type t = n >= 3 ? sq_gettype(vm, 3) : SQ_TNULL;
  if (is_output(mode) && n >= 3 && sq_checkint(vm, 3, &v) < 0)
    return -1;
  if (is_input(mode) && t != SQ_TCLOSURE && t != SQ_TNATIVE &&
      t != SQ_TNULL)
    return sq_error(vm, "pin.configure: the callback must be a function");
  if ((mode == ANALOG_OUT || mode == PULSE_COUNTER) && n >= 3 &&
      sq_checkfloat(vm, 3, &f) < 0)
    return -1;
  if (mode == PULSE_COUNTER && !(f > 0 && f <= 10))
    return sq_error(vm, "pin.configure(PULSE_COUNTER, duration): the "
                        "duration must be above 0 and at most 10 s");
  if (a->stopped)
    return 0;
  if (p->callback >= 0)
    sq_unref(vm, p->callback);
  p->callback = -1;
  int was = p->mode;
  p->mode = mode;
  observe_mode(a, p, mode);
  if (is_output(mode)) {
    /* a configure always reports the level it sets (with its mode) */
    p->level = v ? 1 : 0;
    observe_pin(a, p);
  } else if (is_input(mode)) {
    if (t != SQ_TNULL)
      p->callback = sq_ref(vm, 3);
    if (!is_input(was)) /* what the jig drives, else the pull */
      p->level = p->driven >= 0 ? p->driven
                 : mode == DIGITAL_IN_PULLUP ? 1 : 0;
  } else if (mode == ANALOG_OUT) {
    p->duty = f;
  } else if (mode == PULSE_COUNTER) {
    p->count_s = f;
  }
  return 0;
}

/* Rising edges of the pin's trains in [from_us, to_us) of device time. */
static uint64_t count_edges(const struct api_pin *p, uint64_t from_us,
                            uint64_t to_us) {
  uint64_t n = 0;
  for (size_t i = 0; i < p->ntrains; i++) {
    const struct api_pulses *t = &p->trains[i];
    /* edge k is at first_us + k * period_us, k < count: the first k at
    ** or after each end of the window */
    uint64_t lo = from_us <= t->first_us
                      ? 0 : (from_us - t->first_us + t->period_us - 1) /
                                t->period_us;
    uint64_t hi = to_us <= t->first_us
                      ? 0 : (to_us - t->first_us + t->period_us - 1) /
                                t->period_us;
    if (lo > t->count)
      lo = t->count;
    if (hi > t->count)
      hi = t->count;
    n += hi - lo;
  }
  return n;
}

/* PULSE_COUNTER read(): the edges over `duration` from now, returning when
** it is over (jig.md "Pulse trains"). */
static int read_pulses(sq_vm *vm, struct api *a, struct api_pin *p) {
  uint64_t from = api_now(a);
  uint32_t ms = (uint32_t)llround((double)p->count_s * 1000.0);
  if (!a->stopped)
    a->host.sleep_ms(a->host.ctx, ms);
  uint64_t n = count_edges(p, from * 1000u, (from + ms) * 1000u);
  sq_pushint(vm, n > INT32_MAX ? INT32_MAX : (int32_t)n);
  return 1;
}

/* pin.write(value): digital level, or PWM duty cycle (HW-011). */
static int pin_write(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_pin *p = pin_of(vm);
  if (!p)
    return -1;
  if (a->stopped)
    return 0;
  if (p->mode == PWM_OUT) {
    float d;
    if (sq_checkfloat(vm, 2, &d) < 0)
      return -1;
    if (!(d >= 0 && d <= 1))
      return sq_error(vm, "pin.write: duty cycle must be 0.0 to 1.0");
    if (d != p->duty) {
      p->duty = d;
      observe_pwm(a, p);
    }
    return 0;
  }
  if (p->mode == ANALOG_OUT) {
    float d;
    if (sq_checkfloat(vm, 2, &d) < 0)
      return -1;
    p->duty = d;
    return 0;
  }
  if (!is_output(p->mode))
    return sq_error(vm, "pin.write: %s is not configured as an output",
                    p->def->name);
  int32_t v;
  if (sq_checkint(vm, 2, &v) < 0)
    return -1;
  int level = v ? 1 : 0;
  if (level != p->level) {
    p->level = level;
    observe_pin(a, p);
  }
  return 0;
}

static int pin_read(sq_vm *vm) {
  struct api *a = API_OF(vm);
  struct api_pin *p = pin_of(vm);
  if (!p)
    return -1;
  switch (p->mode) {
  case 0:
    return sq_error(vm, "pin.read: %s is not configured", p->def->name);
  case ANALOG_IN: /* HW-010: the jig's voltage */
    sq_pushint(vm, api_pin_analog(p));
    return 1;
  case PWM_OUT: case PWM_OUT_STEPS:
    sq_pushfloat(vm, p->duty);
    return 1;
  case PULSE_COUNTER:
    return read_pulses(vm, a, p);
  default:
    sq_pushint(vm, p->level);
    return 1;
  }
}

static int pin_getperiod(sq_vm *vm) {
  struct api_pin *p = pin_of(vm);
  if (!p)
    return -1;
  if (p->mode != PWM_OUT && p->mode != PWM_OUT_STEPS) /* HW-012 */
    return sq_error(vm, "pin.getperiod: %s is not a PWM output",
                    p->def->name);
  sq_pushfloat(vm, p->period_s);
  return 1;
}

static int pin_getdutycycle(sq_vm *vm) {
  struct api_pin *p = pin_of(vm);
  if (!p)
    return -1;
  if (p->mode != PWM_OUT && p->mode != PWM_OUT_STEPS)
    return sq_error(vm, "pin.getdutycycle: %s is not a PWM output",
                    p->def->name);
  sq_pushfloat(vm, p->duty);
  return 1;
}

bool api_hw_input(struct api *a, const char *pin, int level) {
  for (size_t i = 0; i < a->board->npins; i++) {
    struct api_pin *p = &a->pins[i];
    if (strcmp(p->def->name, pin) != 0)
      continue;
    int old = p->level;
    if (is_output(p->mode))
      return false; /* an output drives its own level */
    p->level = p->driven = level ? 1 : 0;
    if (is_input(p->mode) && old != p->level && p->callback >= 0) {
      sq_pushref(a->vm, p->callback); /* HW-009: a call per edge */
      struct api_pending q = {.fn = sq_ref(a->vm, -1), .arg = -1};
      sq_pop(a->vm, 1);
      api_queue(a, &q);
    }
    return true;
  }
  return false;
}

/* ---- hardware.* ------------------------------------------------------------ */

static int hw_wakereason(sq_vm *vm) {
  sq_pushint(vm, (int32_t)API_OF(vm)->cfg.wake_reason);
  return 1;
}

/* millis/micros: from 0 at each boot, wrapping as signed 32 bits (HW-005) */
static int hw_millis(sq_vm *vm) {
  struct api *a = API_OF(vm);
  sq_pushint(vm, (int32_t)(uint32_t)(api_now(a) - a->boot_ms));
  return 1;
}

static int hw_micros(sq_vm *vm) {
  struct api *a = API_OF(vm);
  sq_pushint(vm, (int32_t)(uint32_t)((api_now(a) - a->boot_ms) * 1000u));
  return 1;
}

/* The supply, in volts (constants.md "Analog levels"). */
static int hw_voltage(sq_vm *vm) {
  sq_pushfloat(vm, API_SUPPLY_MV / 1000.0f);
  return 1;
}

static int hw_getdeviceid(sq_vm *vm) {
  const char *id = API_OF(vm)->cfg.device_id;
  sq_pushstring(vm, id ? id : "", SIZE_MAX);
  return 1;
}

static const struct sq_reg hw_fns[] = {
    {"wakereason", hw_wakereason, 1},
    {"millis", hw_millis, 1},
    {"micros", hw_micros, 1},
    {"getdeviceid", hw_getdeviceid, 1},
    {"voltage", hw_voltage, 1},
    {NULL, NULL, 0}};

static const struct sq_reg pin_fns[] = {
    {"configure", pin_configure, -2},
    {"write", pin_write, 2},
    {"read", pin_read, 1},
    {"getperiod", pin_getperiod, 1},
    {"getdutycycle", pin_getdutycycle, 1},
    {NULL, NULL, 0}};

static const struct api_const pin_consts[] = {
    {"DIGITAL_IN", DIGITAL_IN}, {"DIGITAL_IN_PULLUP", DIGITAL_IN_PULLUP},
    {"DIGITAL_IN_PULLDOWN", DIGITAL_IN_PULLDOWN},
    {"DIGITAL_IN_WAKEUP", DIGITAL_IN_WAKEUP}, {"DIGITAL_OUT", DIGITAL_OUT},
    {"DIGITAL_OUT_OD", DIGITAL_OUT_OD},
    {"DIGITAL_OUT_OD_PULLUP", DIGITAL_OUT_OD_PULLUP},
    {"ANALOG_IN", ANALOG_IN}, {"ANALOG_OUT", ANALOG_OUT},
    {"PWM_OUT", PWM_OUT}, {"PWM_OUT_STEPS", PWM_OUT_STEPS},
    {"PULSE_COUNTER", PULSE_COUNTER},
    /* constants of peripherals not bound yet (docs/refimp.md), defined so
    ** code that names them loads (API-001; values: constants.md) */
    {"SPIFLASH_POSTVERIFY", 1}, {"SPIFLASH_PREVERIFY", 2},
    {"PARITY_NONE", 0}, {"PARITY_EVEN", 1}, {"PARITY_ODD", 2},
    {"NO_CTSRTS", 0x01}, {"NO_TX", 0x02}, {"NO_RX", 0x04},
    {"CALLBACK_WITH_FLAGS", 0x08}, {"READ_READY", 1}, {"WRITE_DONE", 2},
    {"NOISE_ERROR", 4}, {"FRAME_ERROR", 8}, {"PARITY_ERROR", 16},
    {"OVERRUN_ERROR", 32}, {"LINE_IDLE", 64},
    {"CLOCK_IDLE_LOW", 0}, {"MSB_FIRST", 0}, {"SIMPLEX_RX", 1},
    {"SIMPLEX_TX", 2}, {"CLOCK_IDLE_HIGH", 4}, {"CLOCK_2ND_EDGE", 8},
    {"LSB_FIRST", 16}, {"NO_SCLK", 32}, {"USE_CS_L", 64},
    {"CLOCK_SPEED_10_KHZ", 10000}, {"CLOCK_SPEED_50_KHZ", 50000},
    {"CLOCK_SPEED_100_KHZ", 100000}, {"CLOCK_SPEED_400_KHZ", 400000},
    {"A_LAW_DECOMPRESS", 0x01}, {"AUDIO", 0x02}, {"SYNC", 0x01},
    {"A_LAW_COMPRESS", 0x01},
    {NULL, 0}};

int api_hardware_open(struct api *a) {
  sq_vm *vm = a->vm;
  int st;
  if ((st = api_newlib(a, NULL, hw_fns)) != SQ_OK)
    return st;
  /* the pin class: one instance per pin, its state in a->pins */
  if ((st = sq_newclass(vm, false)) != SQ_OK)
    return st;
  sq_settypetag(vm, -1, &pin_tag);
  if ((st = api_register(a, -1, pin_fns)) != SQ_OK)
    return st;
  for (size_t i = 0; i < a->board->npins; i++) {
    if ((st = sq_pushstring(vm, a->board->pins[i].name, SIZE_MAX)) !=
            SQ_OK ||
        (st = sq_createinstance(vm, -2)) != SQ_OK)
      return st;
    sq_setinstanceup(vm, -1, &a->pins[i]);
    if ((st = sq_newslot(vm, -4)) != SQ_OK)
      return st;
  }
  sq_pop(vm, 1); /* the class */
  if ((st = api_uart_open(a)) != SQ_OK || (st = api_i2c_open(a)) != SQ_OK ||
      (st = api_spi_open(a)) != SQ_OK ||
      (st = api_spiflash_open(a)) != SQ_OK ||
      (st = api_audio_open(a)) != SQ_OK)
    return st;
  /* impC001's USB (HW-027): the object exists; refimp drives no USB
  ** device, so it has no methods (docs/refimp.md) */
  if (a->board->features & BOARD_HAS_USB_AB) {
    static const char usb_tag;
    static const struct sq_reg none[] = {{NULL, NULL, 0}};
    if ((st = api_hw_object(a, "usbAB", &usb_tag, none, a)) != SQ_OK)
      return st;
  }
  if ((st = api_setglobal(a, "hardware")) != SQ_OK)
    return st;
  return api_setconsts(a, pin_consts);
}

/* ---- what the peripheral modules share ---------------------------------- */

int api_hw_object(struct api *a, const char *name, const void *tag,
                  const struct sq_reg *fns, void *up) {
  sq_vm *vm = a->vm;
  int st;
  if ((st = sq_newclass(vm, false)) != SQ_OK)
    return st;
  sq_settypetag(vm, -1, tag);
  if ((st = api_register(a, -1, fns)) != SQ_OK ||
      (st = sq_pushstring(vm, name, SIZE_MAX)) != SQ_OK ||
      (st = sq_createinstance(vm, -2)) != SQ_OK)
    return st;
  sq_setinstanceup(vm, -1, up);
  if ((st = sq_newslot(vm, -4)) != SQ_OK)
    return st;
  sq_pop(vm, 1); /* the class */
  return SQ_OK;
}

void api_observe(struct api *a, const struct api_event *ev) {
  a->host.observe(a->host.ctx, ev);
}

int api_pin_index(const struct api *a, const char *name) {
  for (size_t i = 0; i < a->board->npins; i++)
    if (strcmp(a->board->pins[i].name, name) == 0)
      return (int)i;
  return -1;
}

struct api_pin *api_pin_at(sq_vm *vm, int idx) {
  return sq_getinstanceup(vm, idx, &pin_tag);
}

uint16_t api_pin_analog(const struct api_pin *p) {
  if (p->millivolts >= API_SUPPLY_MV)
    return 65535;
  return (uint16_t)((uint64_t)p->millivolts * 65535u / API_SUPPLY_MV);
}

bool api_pulse_input(struct api *a, const char *pin, uint32_t count,
                     uint32_t period_us, uint64_t at_ms) {
  int i = api_pin_index(a, pin);
  /* at_ms bounded so that microseconds cannot wrap (2^50 ms: 35000 years) */
  if (i < 0 || count < 1 || count > 1000000 || period_us < 2 ||
      period_us > 60000000 || at_ms > (1ull << 50))
    return false;
  struct api_pin *p = &a->pins[i];
  /* trains over by now can never be counted again: make room */
  uint64_t now_us = api_now(a) * 1000u;
  size_t kept = 0;
  for (size_t t = 0; t < p->ntrains; t++) {
    const struct api_pulses *x = &p->trains[t];
    if (x->first_us + (uint64_t)(x->count - 1) * x->period_us >= now_us)
      p->trains[kept++] = *x;
  }
  p->ntrains = kept;
  if (p->ntrains == API_MAX_TRAINS)
    return false;
  p->trains[p->ntrains++] = (struct api_pulses){
      .first_us = at_ms * 1000u, .count = count, .period_us = period_us};
  return true;
}

bool api_analog_input(struct api *a, const char *pin, uint32_t millivolts) {
  int i = api_pin_index(a, pin);
  if (i < 0 || millivolts > API_SUPPLY_MV)
    return false;
  a->pins[i].millivolts = millivolts;
  return true;
}

/* A new VM takes over the zombie PWM outputs of the last one as they run:
** no configure, no report (HW-013, HW-014). */
void api_hw_adopt(struct api *a) {
  for (size_t z = 0; z < a->cfg.nzombies && a->cfg.zombies; z++) {
    int i = api_pin_index(a, a->cfg.zombies[z].pin);
    if (i < 0 || !a->board->zombie_pwm)
      continue;
    a->pins[i].mode = PWM_OUT;
    a->pins[i].zombie = true;
    a->pins[i].period_s = a->cfg.zombies[z].period_s;
    a->pins[i].duty = a->cfg.zombies[z].duty;
  }
}

void api_sleep_pins(struct api *a) {
  for (size_t i = 0; i < a->board->npins; i++) {
    struct api_pin *p = &a->pins[i];
    if (p->mode == 0)
      continue;
    if (p->mode == DIGITAL_IN_WAKEUP) {
      p->mode = 0; /* stays armed through the sleep: nothing to report */
      continue;
    }
    observe_mode(a, p, 0); /* tri-stated for the sleep */
    p->mode = 0;
    p->zombie = false;
  }
}

size_t api_release_pins(struct api *a, struct api_zombie *out, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < a->board->npins; i++) {
    struct api_pin *p = &a->pins[i];
    if (p->mode == PWM_OUT && p->zombie && n < cap) {
      out[n].pin = p->def->name;
      out[n].period_s = p->period_s;
      out[n].duty = p->duty;
      n++;
      continue;
    }
    if (p->mode != 0)
      observe_mode(a, p, 0); /* released: tri-stated */
    p->mode = 0;
  }
  return n;
}
