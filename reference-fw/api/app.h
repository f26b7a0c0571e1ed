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

#define APP_QUEUE_MAX 32

struct app {
  struct boot *boot;
  struct api *api;
  bool have_req;
  struct api_request req;
  bool reload_deferred;      /* a shutdown handler took a Reload */
  bool connect_wanted;       /* server.connect() awaits the session */
  uint8_t *nv;               /* the nv of a deep sleep being entered */
  size_t nv_len;
  bool nv_taken;             /* the warm boot's nv went to the first VM */
  /* sends made before the session is up after a warm boot (the code
  ** asked for it): packed Envelopes, sent in order once online */
  uint8_t *queued[APP_QUEUE_MAX];
  size_t queued_len[APP_QUEUE_MAX];
  size_t nqueued;
  /* zombie PWM outputs handed from one VM to the next (HW-013) */
  struct api_zombie zombies[API_MAX_ZOMBIES];
  size_t nzombies;
  /* hardware.spiflash's user area: in RAM, kept across VMs, not across
  ** power cycles (docs/refimp.md) */
  uint8_t *spiflash;
  uint32_t spiflash_size;
};

/* Prepare the app for boot b (which boot_init will fill later). */
void app_init(struct app *a, struct boot *b);
/* The hooks to give boot_init. */
struct boot_hooks app_hooks(struct app *a);
/* Run what is due; returns the next deadline (UINT64_MAX: none). */
uint64_t app_step(struct app *a, uint64_t now);
void app_fini(struct app *a);

#endif
