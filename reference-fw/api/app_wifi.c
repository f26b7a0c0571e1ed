/*
** app_wifi.c: the WiFi calls of api/ (struct api_wifi_ops) on refimp's
** radio, core/wifi.c, under the boot (normal refimp mode); and the
** asynchronous scan's result handed back to the application.
*/
#include <string.h>

#include "api/app.h"
#include "hal/hal.h"

static struct wifi *radio(void *ctx) {
  return &((struct app *)ctx)->boot->wifi;
}

static void to_api(struct api_wifi_net *d, const struct wifi_net *s) {
  memset(d, 0, sizeof(*d));
  memcpy(d->ssid, s->ssid, sizeof(d->ssid));
  memcpy(d->bssid, s->bssid, sizeof(d->bssid));
  d->channel = (int)s->channel;
  d->rssi = s->rssi;
  d->open = s->open;
}

static size_t w_scan(void *ctx, struct api_wifi_net *out, size_t cap) {
  struct wifi_net nets[WIFI_MAX_NETWORKS];
  size_t n = wifi_scan_now(radio(ctx), hal_now_ms(), nets,
                           cap < WIFI_MAX_NETWORKS ? cap : WIFI_MAX_NETWORKS);
  for (size_t i = 0; i < n; i++)
    to_api(&out[i], &nets[i]);
  return n;
}

static bool w_scan_start(void *ctx) {
  return wifi_scan_start(radio(ctx), hal_now_ms());
}

static bool w_set_config(void *ctx, const char *ssid, const char *key) {
  return wifi_set_config(radio(ctx), ssid, key) == RF_OK;
}

static const char *w_stored_ssid(void *ctx) {
  return radio(ctx)->store->cfg.ssid;
}

static const char *w_joined_ssid(void *ctx, int *channel) {
  struct app *a = ctx;
  /* joined means the link the session runs on is up */
  if (!boot_online(a->boot) && !(a->boot->wifi.simulated &&
                                 wifi_up(&a->boot->wifi)))
    return NULL;
  *channel = (int)wifi_joined_channel(radio(ctx));
  return wifi_joined_ssid(radio(ctx));
}

static int w_last_error(void *ctx) {
  return radio(ctx)->last_error;
}

static void w_get_hints(void *ctx, char bssid[13], int *channel) {
  wifi_get_hints(radio(ctx), bssid, channel);
}

static bool w_set_hints(void *ctx, const char *bssid, int channel) {
  return wifi_set_hints(radio(ctx), bssid, channel) == RF_OK;
}

static bool w_configure_wps(void *ctx, const char *pin) {
  return wifi_configure_wps(radio(ctx), pin) == RF_OK;
}

static size_t w_counters(void *ctx, uint8_t *buf, size_t cap) {
  if (cap < WIFI_COUNTERS_LEN || !wifi_counters(radio(ctx), buf))
    return 0;
  return WIFI_COUNTERS_LEN;
}

static void w_powersave(void *ctx, bool on) {
  wifi_set_powersave(radio(ctx), on, hal_now_ms());
}

const struct api_wifi_ops app_wifi_ops = {
    .scan = w_scan, .scan_start = w_scan_start, .set_config = w_set_config,
    .stored_ssid = w_stored_ssid, .joined_ssid = w_joined_ssid,
    .last_error = w_last_error, .get_hints = w_get_hints,
    .set_hints = w_set_hints, .configure_wps = w_configure_wps,
    .counters = w_counters, .powersave = w_powersave};

uint64_t app_wifi_step(struct app *a, uint64_t now) {
  struct wifi *w = &a->boot->wifi;
  struct wifi_net nets[WIFI_MAX_NETWORKS];
  struct api_wifi_net out[WIFI_MAX_NETWORKS];
  size_t n = 0;
  if (!wifi_scan_take(w, now, nets, WIFI_MAX_NETWORKS, &n))
    return w->scan_running ? w->scan_done_at : UINT64_MAX;
  for (size_t i = 0; i < n; i++)
    to_api(&out[i], &nets[i]);
  if (a->api)
    api_wifi_scan_done(a->api, out, n);
  return now;
}
