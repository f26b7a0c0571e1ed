/*
** board.c: the pin table of every board (specs/constants.md, "Boards and
** pins"). Digital in/out is on every pin, so only the extra capabilities
** are listed.
*/
#include "api/board.h"

#include <string.h>

#define AIN BOARD_CAP_ANALOG_IN
#define AOUT BOARD_CAP_ANALOG_OUT
#define PWM BOARD_CAP_PWM
#define WAKE BOARD_CAP_WAKE
#define PULSE BOARD_CAP_PULSE
#define STD (AIN | PWM)

/* Lettered modules: A-N and P-Y (no O), the wake pin W. */
#define LETTERED(W)                                                       \
  {{"pinA", STD}, {"pinB", STD}, {"pinC", STD}, {"pinD", STD},            \
   {"pinE", STD}, {"pinF", STD}, {"pinG", STD}, {"pinH", STD},            \
   {"pinI", STD}, {"pinJ", STD}, {"pinK", STD}, {"pinL", STD},            \
   {"pinM", STD}, {"pinN", STD}, {"pinP", STD}, {"pinQ", STD},            \
   {"pinR", STD}, {"pinS", STD}, {"pinT", STD}, {"pinU", STD},            \
   {"pinV", STD}, {"pinW", (W)}, {"pinX", STD}, {"pinY", STD}},           \
      24

static const struct board boards[] = {
    {"imp001", 0, false, true,
     {{"pin1", STD | WAKE | PULSE}, {"pin2", STD}, {"pin5", STD | AOUT},
      {"pin7", STD}, {"pin8", STD}, {"pin9", STD}},
     6, BOARD_HAS_DAC | BOARD_HAS_SAMPLER,
     {"uart57", "uart12", "uart1289"}, {"i2c12", "i2c89"},
     {"spi257", "spi189"}},
    {"imp002", 1, false, true,
     {{"pin1", STD | WAKE | PULSE}, {"pin2", STD}, {"pin5", STD | AOUT},
      {"pin6", STD}, {"pin7", STD}, {"pin8", STD}, {"pin9", STD},
      {"pinA", STD}, {"pinB", STD}, {"pinC", STD}, {"pinD", STD},
      {"pinE", STD}},
     12, BOARD_HAS_DAC | BOARD_HAS_SAMPLER,
     {"uart57", "uart12", "uart1289", "uart6E"}, {"i2c12", "i2c89"},
     {"spi257", "spi189"}},
    {"imp003", 1, false, true, LETTERED(STD | WAKE | PULSE),
     BOARD_HAS_SPIFLASH | BOARD_HAS_DAC | BOARD_HAS_SAMPLER,
     {"uartDM", "uartFG", "uartQRPW", "uartUVGD"}, {"i2cAB", "i2cFG"},
     {"spiEBCA", "spiLGDK"}},
    /* imp004m: no sampler; the DAC plays through hardware.pwmpairKD or a
    ** PWM pin; dfsdm on S (clock) and R (data) (seeds/000) */
    {"imp004m", 1, true, true, LETTERED(STD | WAKE | PULSE),
     BOARD_HAS_SPIFLASH | BOARD_HAS_DAC | BOARD_HAS_DFSDM |
         BOARD_HAS_PWMPAIR_KD,
     {"uartABCD", "uartFGJH", "uartHJ"}, {"i2cNM", "i2cJK"},
     {"spiAHSR", "spiGJKL"}},
    /* imp005: no ADC, PWM on E, F, G, S, U, V only (seeds/001), no wake
    ** pin, no deep sleep. */
    {"imp005", 1, false, false,
     {{"pinA", 0}, {"pinB", 0}, {"pinC", 0}, {"pinD", 0}, {"pinE", PWM},
      {"pinF", PWM}, {"pinG", PWM}, {"pinH", 0}, {"pinI", 0}, {"pinJ", 0},
      {"pinK", 0}, {"pinL", 0}, {"pinM", 0}, {"pinN", 0}, {"pinP", 0},
      {"pinQ", 0}, {"pinR", 0}, {"pinS", PWM}, {"pinT", 0}, {"pinU", PWM},
      {"pinV", PWM}, {"pinW", 0}},
     22, BOARD_HAS_SPIFLASH, {"uart0", "uart1", "uartBCAW"}, {"i2c0"},
     {"spi0", "spiBCAD"}},
    /* impC001: no pulse counter, sampler or DAC (constants.md). */
    {"impC001", 1, false, true, LETTERED(STD | WAKE),
     BOARD_HAS_SPIFLASH | BOARD_HAS_USB_AB,
     {"uartNU", "uartPQRS", "uartDCAB"}, {"i2cNM", "i2cKL"},
     {"spiPQRS"}},
};

const struct board *board_find(const char *name) {
  for (size_t i = 0; i < sizeof(boards) / sizeof(boards[0]); i++)
    if (name && strcmp(boards[i].name, name) == 0)
      return &boards[i];
  return NULL;
}

const char *board_names(void) {
  return "imp001 imp002 imp003 imp004m imp005 impC001";
}

const struct board_pin *board_wake_pin(const struct board *b) {
  for (size_t i = 0; i < b->npins; i++)
    if (b->pins[i].caps & BOARD_CAP_WAKE)
      return &b->pins[i];
  return NULL;
}
