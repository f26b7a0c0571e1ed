/*
** app.h: the deployed code under the cloud (normal refimp mode): the
** boot_hooks that core/boot.c calls (start, stop, frames, Reload notice)
** and the api_host that api/ calls, over the boot's session. main.c
** creates it, hands app_hooks() to boot_init and calls app_step in its
** loop.
*/
#ifndef REFIMP_API_APP_H
#define REFIMP_API_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "core/boot.h"

/* [NET-018, NET-019] A session lost under RETURN_ON_ERROR and not back
** within this long: onunexpecteddisconnect, and no more tries. */
#define APP_UNEXPECTED_MS 60000u

struct app {
  struct boot *boot;
  struct api *api;
  bool have_req;
  struct api_request req;
  bool reload_deferred;      /* a shutdown handler took a Reload */
  bool connect_wanted;       /* server.connect() awaits the session */
  uint64_t connect_deadline; /* ... until then (its timeout) */
  uint8_t *nv;               /* the nv of a deep sleep being entered */
  size_t nv_len;
  bool nv_taken;             /* the warm boot's nv went to the first VM */
  /* zombie PWM outputs handed from one VM to the next (HW-013) */
  struct api_zombie zombies[API_MAX_ZOMBIES];
  size_t nzombies;
  /* hardware.spiflash's user area: a RAM copy of the flash folder's
  ** spiflash.bin, written through (HW-033, docs/refimp.md) */
  uint8_t *spiflash;
  uint32_t spiflash_size;
  uint32_t acked_seq;        /* the last Ack from the cloud (this VM) */
  uint32_t flush_seq;        /* the last seq sent (this VM) */
  uint32_t seen_lost;        /* boot->sessions_lost when last looked */
  bool lost;                 /* RETURN_ON_ERROR: the session was lost
                                and is not back yet ... */
  uint64_t lost_at;          /* ... since then */
};

/* Prepare the app for boot b (which boot_init will fill later). */
void app_init(struct app *a, struct boot *b);
/* The hooks to give boot_init. */
struct boot_hooks app_hooks(struct app *a);
/* Run what is due; returns the next deadline (UINT64_MAX: none). */
uint64_t app_step(struct app *a, uint64_t now);
void app_fini(struct app *a);

/* app_wifi.c: the WiFi calls on boot->wifi; deliver a finished
** asynchronous scan to the code (returns the next deadline). */
extern const struct api_wifi_ops app_wifi_ops;
uint64_t app_wifi_step(struct app *a, uint64_t now);

#endif
