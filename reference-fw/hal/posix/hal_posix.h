/*
** hal_posix.h: setting up the POSIX board (a Linux process): where its
** flash file, CA file and jig socket are, and the stop request that
** SIGTERM/SIGINT raise. Used by main.c and unit tests, never by core/.
*/
#ifndef REFIMP_HAL_POSIX_HAL_POSIX_H
#define REFIMP_HAL_POSIX_HAL_POSIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hal/hal.h"

#define HAL_POSIX_FLASH_SIZE 0x100000u /* 1 MiB, DIR/flash.bin */
#define HAL_POSIX_SPIFLASH_SIZE 0x80000u /* 512 KiB, DIR/spiflash.bin */

/* Open DIR/flash.bin (DIR and the file are created, erased to 0xff, when
** missing). HAL_OK or HAL_EIO with why naming the path. */
enum hal_status hal_posix_flash_open(const char *dir, char *why,
                                     size_t why_cap);
void hal_posix_flash_close(void);

/* Load the CA file the server certificate is checked against.
** HAL_OK or HAL_EIO with why (OpenSSL's reason). */
enum hal_status hal_posix_net_init(const char *ca_file, char *why,
                                   size_t why_cap);
void hal_posix_net_fini(void);

/* The jig socket path (NULL: this board has no jig). The string must
** outlive the board. */
void hal_posix_jig_config(const char *path);

/* Run on the virtual clock (--time virtual): device time starts at
** start_ms and moves only as hal_clock_allow() lets it. Call before
** anything reads the clock. */
void hal_posix_clock_virtual(uint64_t start_ms);

/* Retained RAM is DIR/retained.bin; cause is why this start happened
** (main reads IMPCERT_WAKE). A power-on empties retained RAM. HAL_OK or
** HAL_EIO with why. */
enum hal_status hal_posix_retained_config(const char *dir,
                                          enum hal_wake cause, char *why,
                                          size_t why_cap);

/* Install the SIGTERM/SIGINT handlers (they only raise the stop request)
** and ignore SIGPIPE. HAL_OK or HAL_EIO. */
enum hal_status hal_posix_signals_init(char *why, size_t why_cap);

/* True once SIGTERM or SIGINT arrived. */
bool hal_posix_stop_requested(void);

#endif
