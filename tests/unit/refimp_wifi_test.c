/*
** refimp_wifi_test.c: the simulated radio (core/wifi.c) on a POSIX flash
** file and a jig that is down: the default network, joining by scan and
** by hints, wrong hints, open networks refused, DHCP's ten seconds, WPS,
** asynchronous scans during a join, checks of the jig's networks, power
** save and counters.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/wifi.h"
#include "hal/hal.h"
#include "hal/posix/hal_posix.h"

#include "cu_main.h"

static struct store store;
static struct jig jig; /* up == false: events go nowhere */

/* A fresh flash and a store with the lab credentials (ssid may be ""). */
static void fresh(const char *ssid, const char *password) {
  char dir[] = "/tmp/refimp_wifi_XXXXXX";
  char why[256];
  struct rf_diag note = {""}, d = {""};
  CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
  hal_flash_fault_clear();
  CU_ASSERT_FATAL(hal_posix_flash_open(dir, why, sizeof(why)) == HAL_OK);
  char path[sizeof(dir) + 16];
  snprintf(path, sizeof(path), "%s/flash.bin", dir);
  unlink(path);
  rmdir(dir);
  memset(&jig, 0, sizeof(jig));
  CU_ASSERT_FATAL(store_open(&store, &note, &d) == RF_OK);
  struct store_config c = store.cfg;
  snprintf(c.ssid, sizeof(c.ssid), "%s", ssid);
  snprintf(c.password, sizeof(c.password), "%s", password);
  CU_ASSERT_FATAL(store_save_config(&store, &c, &d) == RF_OK);
}

/* One network as the jig would send it. */
static Impjig__WifiNetwork net(const char *ssid, const char *bssid,
                               uint32_t channel, bool open,
                               const char *password) {
  Impjig__WifiNetwork n = IMPJIG__WIFI_NETWORK__INIT;
  n.ssid = (char *)ssid;
  n.bssid = (char *)bssid;
  n.channel = channel;
  n.open = open;
  n.password = (char *)password;
  return n;
}

static void give(struct wifi *w, Impjig__WifiNetwork *nets, size_t n,
                 uint64_t now) {
  Impjig__WifiNetwork *p[8];
  Impjig__WifiNetworks m = IMPJIG__WIFI_NETWORKS__INIT;
  for (size_t i = 0; i < n; i++)
    p[i] = &nets[i];
  m.n_networks = n;
  m.networks = p;
  wifi_set_networks(w, &m, now);
}

/* Step at every ms from `from` to `to`; the first time the link is up,
** or UINT64_MAX. */
static uint64_t run(struct wifi *w, uint64_t from, uint64_t to) {
  uint64_t up = UINT64_MAX;
  for (uint64_t t = from; t <= to; t++) {
    wifi_step(w, t, true);
    if (wifi_up(w) && up == UINT64_MAX)
      up = t;
  }
  return up;
}

static void test_default_network(void) {
  struct wifi w;
  fresh("office", "key12345");
  uint64_t before = hal_flash_bytes_written();
  wifi_init(&w, &jig, &store, false);
  CU_ASSERT(wifi_up(&w));
  wifi_step(&w, 0, true);
  CU_ASSERT(wifi_radio_on(&w));
  CU_ASSERT_STRING_EQUAL(wifi_joined_ssid(&w), "office");
  struct wifi_net out[4];
  CU_ASSERT_EQUAL(wifi_scan_now(&w, 0, out, 4), 1);
  CU_ASSERT_STRING_EQUAL(out[0].ssid, "office");
  CU_ASSERT_FALSE(out[0].open);
  CU_ASSERT(wifi_bssid_ok(out[0].bssid));
  run(&w, 0, 20000);
  CU_ASSERT_EQUAL(hal_flash_bytes_written(), before); /* nothing stored */
  wifi_step(&w, 20001, false);
  CU_ASSERT_FALSE(wifi_radio_on(&w));
}

static void test_waits_for_list(void) {
  struct wifi w;
  fresh("lab", "secret-pass");
  wifi_init(&w, &jig, &store, true);
  CU_ASSERT_EQUAL(run(&w, 0, 5000), UINT64_MAX);
  CU_ASSERT_EQUAL(w.phase, WIFI_IDLE);
}

static void test_join_by_scan_records_hints(void) {
  struct wifi w;
  fresh("lab", "secret-pass");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork n[2] = {
      net("other", "0a0000000002", 1, true, NULL),
      net("lab", "0a0000000001", 11, false, "secret-pass")};
  give(&w, n, 2, 0);
  uint64_t up = run(&w, 0, 3000);
  CU_ASSERT_EQUAL(up, WIFI_SCAN_MS + WIFI_ASSOC_MS);
  CU_ASSERT_STRING_EQUAL(wifi_joined_ssid(&w), "lab");
  CU_ASSERT_EQUAL(wifi_joined_channel(&w), 11);
  char bssid[13];
  int ch;
  wifi_get_hints(&w, bssid, &ch);
  CU_ASSERT_STRING_EQUAL(bssid, "0a0000000001");
  CU_ASSERT_EQUAL(ch, 11);
  /* a restart goes straight to the hinted AP */
  struct wifi w2;
  wifi_init(&w2, &jig, &store, true);
  give(&w2, n, 2, 0);
  CU_ASSERT_EQUAL(run(&w2, 0, 3000), WIFI_ASSOC_MS);
}

static void test_wrong_hint_costs_a_scan(void) {
  struct wifi w;
  fresh("lab", "secret-pass");
  wifi_init(&w, &jig, &store, true);
  CU_ASSERT_EQUAL(wifi_set_hints(&w, "0a00000000ff", 3), RF_OK);
  Impjig__WifiNetwork n = net("lab", "0a0000000001", 11, false, NULL);
  give(&w, &n, 1, 0);
  CU_ASSERT_EQUAL(run(&w, 0, 3000),
                  WIFI_ASSOC_MS + WIFI_SCAN_MS + WIFI_ASSOC_MS);
  char bssid[13];
  int ch;
  wifi_get_hints(&w, bssid, &ch);
  CU_ASSERT_STRING_EQUAL(bssid, "0a0000000001");
  CU_ASSERT_EQUAL(ch, 11);
  CU_ASSERT_EQUAL(wifi_set_hints(&w, NULL, 0), RF_OK);
  wifi_get_hints(&w, bssid, &ch);
  CU_ASSERT_STRING_EQUAL(bssid, "");
  CU_ASSERT_EQUAL(ch, -1);
  CU_ASSERT_EQUAL(wifi_set_hints(&w, "0A0000000001", 11), RF_EINVAL);
  CU_ASSERT_EQUAL(wifi_set_hints(&w, "0a0000000001", 14), RF_EINVAL);
}

static void test_open_refused_with_password(void) {
  struct wifi w;
  fresh("lab", "secret-pass");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork n = net("lab", "0a0000000001", 6, true, NULL);
  give(&w, &n, 1, 0);
  CU_ASSERT_EQUAL(run(&w, 0, 10000), UINT64_MAX);
  CU_ASSERT_EQUAL(w.last_error, WIFI_NO_WIFI);
  /* the same network with no password stored joins */
  CU_ASSERT_EQUAL(wifi_set_config(&w, "lab", ""), RF_OK);
  CU_ASSERT(run(&w, 10001, 20000) != UINT64_MAX);
  /* joined, the network turns secured: the link drops */
  Impjig__WifiNetwork s = net("lab", "0a0000000001", 6, false, "k1234567");
  give(&w, &s, 1, 20001);
  CU_ASSERT_FALSE(wifi_up(&w));
}

static void test_wrong_key_and_absent(void) {
  struct wifi w;
  fresh("lab", "wrong-key");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork n = net("lab", "0a0000000001", 6, false, "right-key");
  give(&w, &n, 1, 0);
  CU_ASSERT_EQUAL(run(&w, 0, 5000), UINT64_MAX);
  CU_ASSERT_EQUAL(w.last_error, WIFI_NO_WIFI);
  give(&w, NULL, 0, 5001);
  CU_ASSERT_EQUAL(run(&w, 5001, 9000), UINT64_MAX);
  CU_ASSERT_EQUAL(w.last_error, WIFI_NO_WIFI);
}

static void test_dhcp_ten_seconds(void) {
  struct wifi w;
  fresh("lab", "secret-pass");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork n = net("lab", "0a0000000001", 6, false, NULL);
  n.has_dhcp_delay_ms = true;
  n.dhcp_delay_ms = WIFI_DHCP_TIMEOUT_MS - 1;
  give(&w, &n, 1, 0);
  CU_ASSERT_EQUAL(run(&w, 0, 15000), WIFI_SCAN_MS + WIFI_ASSOC_MS +
                                         WIFI_DHCP_TIMEOUT_MS - 1);
  fresh("lab", "secret-pass");
  wifi_init(&w, &jig, &store, true);
  n.dhcp_delay_ms = WIFI_DHCP_TIMEOUT_MS;
  give(&w, &n, 1, 0);
  uint64_t gave_up = WIFI_SCAN_MS + WIFI_ASSOC_MS + WIFI_DHCP_TIMEOUT_MS;
  CU_ASSERT_EQUAL(run(&w, 0, gave_up - 1), UINT64_MAX);
  CU_ASSERT_EQUAL(w.phase, WIFI_DHCP);
  wifi_step(&w, gave_up, true);
  CU_ASSERT_EQUAL(w.phase, WIFI_RETRY);
  CU_ASSERT_EQUAL(w.last_error, WIFI_NO_IP_ADDRESS);
}

static void test_ssid_32(void) {
  const char *s32 = "abcdefghijklmnopqrstuvwxyz012345";
  struct wifi w;
  CU_ASSERT_EQUAL_FATAL(strlen(s32), 32);
  fresh(s32, "secret-pass");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork n = net(s32, "0a0000000001", 6, false, NULL);
  give(&w, &n, 1, 0);
  CU_ASSERT(run(&w, 0, 2000) != UINT64_MAX);
  CU_ASSERT_STRING_EQUAL(wifi_joined_ssid(&w), s32);
  CU_ASSERT_EQUAL(wifi_set_config(&w, "abcdefghijklmnopqrstuvwxyz0123456",
                                  ""),
                  RF_EINVAL);
}

static void test_wps(void) {
  struct wifi w;
  fresh("", "");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork n = net("wps-net", "0a0000000003", 1, false, "given");
  n.has_wps = true;
  n.wps = true;
  give(&w, &n, 1, 0);
  wifi_step(&w, 0, true);
  CU_ASSERT(wifi_needs_blinkup(&w)); /* no settings: no join */
  CU_ASSERT_EQUAL(wifi_configure_wps(&w, "1234"), RF_EINVAL);
  CU_ASSERT_EQUAL(wifi_configure_wps(&w, "12345670"), RF_OK);
  CU_ASSERT(store.cfg.wps_armed);
  /* the AP takes push button only: the PIN attempt fails and disarms */
  CU_ASSERT_EQUAL(run(&w, 1, 3000), UINT64_MAX);
  CU_ASSERT_FALSE(store.cfg.wps_armed);
  CU_ASSERT_STRING_EQUAL(store.cfg.wps_pin, "");
  CU_ASSERT_EQUAL(wifi_configure_wps(&w, NULL), RF_OK);
  CU_ASSERT(run(&w, 3001, 6000) != UINT64_MAX);
  CU_ASSERT_STRING_EQUAL(store.cfg.ssid, "wps-net");
  CU_ASSERT_STRING_EQUAL(store.cfg.password, "given");
  CU_ASSERT_FALSE(store.cfg.wps_armed);
}

static void test_scan_while_joining_absent(void) {
  struct wifi w;
  struct wifi_net out[8];
  size_t n = 0;
  fresh("absent", "secret-pass");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork nets[2] = {net("a", "0a0000000001", 1, true, NULL),
                                 net("b", "0a0000000002", 40, true, NULL)};
  give(&w, nets, 2, 0);
  wifi_step(&w, 0, true);
  CU_ASSERT(wifi_scan_start(&w, 0));
  CU_ASSERT_FALSE(wifi_scan_start(&w, 1)); /* one at a time */
  bool done = false;
  for (uint64_t t = 1; t < 5000 && !done; t++) {
    wifi_step(&w, t, true);
    done = wifi_scan_take(&w, t, out, 8, &n);
  }
  CU_ASSERT(done);
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT_EQUAL(out[1].channel, 40);
  CU_ASSERT_FALSE(wifi_up(&w));
  CU_ASSERT(wifi_scan_start(&w, 5000)); /* free again */
}

static void test_check_network(void) {
  Impjig__WifiNetwork n = net("ok", "0a0000000001", 6, true, NULL);
  CU_ASSERT_PTR_NULL(wifi_check_network(&n));
  n.ssid = "abcdefghijklmnopqrstuvwxyz0123456"; /* 33 */
  CU_ASSERT_PTR_NOT_NULL(wifi_check_network(&n));
  n = net("ok", "0a000000000", 6, true, NULL);
  CU_ASSERT_PTR_NOT_NULL(wifi_check_network(&n));
  n = net("ok", "0a0000000001", 14, true, NULL);
  CU_ASSERT_PTR_NOT_NULL(wifi_check_network(&n));
  n = net("ok", "0a0000000001", 165, true, NULL);
  CU_ASSERT_PTR_NULL(wifi_check_network(&n));
  n.wps_pin = "1234567x";
  CU_ASSERT_PTR_NOT_NULL(wifi_check_network(&n));
  /* a bad entry is dropped, the good ones kept */
  struct wifi w;
  fresh("ok", "");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork l[2] = {net("ok", "0a0000000001", 6, true, NULL),
                              net("ok", "zz", 6, true, NULL)};
  give(&w, l, 2, 0);
  CU_ASSERT_EQUAL(w.nnets, 1);
}

static void test_powersave_and_counters(void) {
  struct wifi w;
  uint8_t c[WIFI_COUNTERS_LEN];
  fresh("lab", "");
  wifi_init(&w, &jig, &store, true);
  Impjig__WifiNetwork n = net("lab", "0a0000000001", 6, true, NULL);
  give(&w, &n, 1, 0);
  wifi_set_powersave(&w, true, 0);
  CU_ASSERT_FALSE(w.ps_on); /* not joined: forced off */
  CU_ASSERT_FALSE(wifi_counters(&w, c));
  run(&w, 0, 2000);
  CU_ASSERT(w.ps_on);
  CU_ASSERT(wifi_counters(&w, c));
  CU_ASSERT_EQUAL(c[0], 1);
  CU_ASSERT_EQUAL(c[2], WIFI_COUNTERS_LEN);
  CU_ASSERT(c[4] > 0); /* frames were sent */
  wifi_restart(&w, 2001);
  CU_ASSERT_FALSE(w.ps_on);
  wifi_set_powersave(&w, false, 2002);
  run(&w, 2002, 4000);
  CU_ASSERT_FALSE(w.ps_on);
}

static const struct cu_test wifi_tests[] = {
    {"default network: joined, silent, no flash", test_default_network},
    {"with a jig: nothing before its list", test_waits_for_list},
    {"join by scan records the hints", test_join_by_scan_records_hints},
    {"a wrong hint costs a scan", test_wrong_hint_costs_a_scan},
    {"open network refused with a password", test_open_refused_with_password},
    {"wrong key and absent network fail", test_wrong_key_and_absent},
    {"DHCP gives up after ten seconds", test_dhcp_ten_seconds},
    {"32-byte SSID", test_ssid_32},
    {"WPS: PIN mismatch disarms, push button joins", test_wps},
    {"scan while joining an absent network", test_scan_while_joining_absent},
    {"jig networks are checked", test_check_network},
    {"power save and counters", test_powersave_and_counters},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"refimp wifi", wifi_tests}};

CU_MAIN(suites)
