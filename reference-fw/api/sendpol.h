/*
** sendpol.h: the send policies under the cloud (specs/constants.md "Send
** policies"): how long a server.log / agent.send / server.connect /
** server.flush waits on the session, and what it returns. The waiting
** keeps the session going with boot_pump and never runs Squirrel.
*/
#ifndef REFIMP_API_SENDPOL_H
#define REFIMP_API_SENDPOL_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "api/app.h"

/* api_host.send: an enum api_send_error or API_SEND_SLEEP. */
int sendpol_send(struct app *a, const Impwire__Envelope *env,
                 const struct api_send_policy *pol);
/* api_host.connect with block (SUSPEND_ON_ERROR): true once online,
** false after timeout_ms. */
bool sendpol_connect_wait(struct app *a, uint32_t timeout_ms);
/* api_host.flush: the send buffer empty, every byte acknowledged by the
** cloud's TCP and every WAIT_FOR_ACK seq acknowledged, within timeout_ms;
** false leaves the session as it was. */
bool sendpol_flush(struct app *a, uint32_t timeout_ms);

/* api_host.sleep_ms on the virtual clock: ms of device time pass while
** the session is kept going (Squirrel does not run). */
void sendpol_sleep(struct app *a, uint32_t ms);

#endif
