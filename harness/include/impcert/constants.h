/*
** constants.h: values of the imp API constants as specs/constants.md fixes
** them, for plugins that check what a device reports on the wire.
*/
#ifndef IMPCERT_CONSTANTS_H
#define IMPCERT_CONSTANTS_H

/* hardware.wakereason() and DeviceState.wake_reason (research imp-api 1.5) */
enum impcert_wakereason {
  IMPCERT_WAKEREASON_POWER_ON = 0,
  IMPCERT_WAKEREASON_TIMER = 1,
  IMPCERT_WAKEREASON_SW_RESET = 2,
  IMPCERT_WAKEREASON_PIN = 3,
  IMPCERT_WAKEREASON_NEW_SQUIRREL = 4,
  IMPCERT_WAKEREASON_SQUIRREL_ERROR = 5,
  IMPCERT_WAKEREASON_NEW_FIRMWARE = 6,
  IMPCERT_WAKEREASON_SNOOZE = 7,
  IMPCERT_WAKEREASON_HW_RESET = 8,
  IMPCERT_WAKEREASON_BLINKUP = 9,
  IMPCERT_WAKEREASON_SW_RESTART = 10,
  IMPCERT_WAKEREASON_POWER_RESTORED = 11
};

/* The largest frame body (specs/wire.md, Framing). */
#define IMPCERT_WIRE_MAX_FRAME 262144u

#endif
