/*
** board.h: the boards refimp simulates (imp001 ... impC001): their pins,
** what each pin can do, and which features the board has. The values are
** decided in specs/constants.md ("Boards and pins"); one table, board.c.
*/
#ifndef REFIMP_API_BOARD_H
#define REFIMP_API_BOARD_H

#include <stdbool.h>
#include <stddef.h>

#define BOARD_MAX_PINS 24

/* What a pin can be configured as (bits). Every pin does digital in and
** out (with pulls and open drain). */
enum board_pin_cap {
  BOARD_CAP_ANALOG_IN = 1 << 0,
  BOARD_CAP_ANALOG_OUT = 1 << 1,
  BOARD_CAP_PWM = 1 << 2,
  BOARD_CAP_WAKE = 1 << 3,
  BOARD_CAP_PULSE = 1 << 4
};

struct board_pin {
  const char *name;   /* "pin1", "pinA" */
  unsigned caps;      /* enum board_pin_cap bits */
};

/* Board-level features (specs/constants.md "Peripherals per board"). */
enum board_feature {
  BOARD_HAS_SPIFLASH = 1 << 0,   /* hardware.spiflash (imp003 and later) */
  BOARD_HAS_DAC = 1 << 1,        /* hardware.fixedfrequencydac */
  BOARD_HAS_SAMPLER = 1 << 2,    /* hardware.sampler */
  BOARD_HAS_DFSDM = 1 << 3,      /* hardware.dfsdm (imp004m) */
  BOARD_HAS_PWMPAIR_KD = 1 << 4, /* hardware.pwmpairKD (imp004m) */
  BOARD_HAS_USB_AB = 1 << 5      /* hardware.usbAB (impC001) */
};

#define BOARD_MAX_BUSES 4

struct board {
  const char *name;          /* imp.info().type */
  int environment;           /* ENVIRONMENT_CARD 0 / ENVIRONMENT_MODULE 1 */
  bool zombie_pwm;           /* PWM_OUT's zombie option (imp004m only) */
  bool deep_sleep;           /* imp005 has none: it restarts instead */
  struct board_pin pins[BOARD_MAX_PINS];
  size_t npins;
  unsigned features;         /* enum board_feature bits */
  const char *uarts[BOARD_MAX_BUSES];  /* hardware.uartXX, NULL-ended */
  const char *i2cs[BOARD_MAX_BUSES];   /* hardware.i2cXX */
  const char *spis[BOARD_MAX_BUSES];   /* hardware.spiXX */
};

/* The board called name, or NULL. */
const struct board *board_find(const char *name);
/* "imp001 imp002 ..." */
const char *board_names(void);
/* The board's wake pin, or NULL (imp005). */
const struct board_pin *board_wake_pin(const struct board *b);

#endif
