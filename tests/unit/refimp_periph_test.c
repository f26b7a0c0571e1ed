/*
** refimp_periph_test.c: the peripheral models of api/ driven directly
** through api.h with a fake host and a fake clock: UART bytes both ways
** (FIFO, overrun flag, NO_RX), I2C targets (register pointer, absent
** address, bad targets), analog voltages, the DAC's timing and events,
** the dfsdm's filter on a PDM stream, pin release and zombie PWM handed
** to the next VM, spiflash outliving the VM.
*/
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#include "cu_main.h"

/* ---- the fake host --------------------------------------------------- */

static uint64_t now;
static char out[8192];     /* one line per print and per event */
static uint8_t flash[0x80000];

static void addf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void addf(const char *fmt, ...) {
  size_t n = strlen(out);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(out + n, sizeof out - n, fmt, ap);
  va_end(ap);
}

static uint64_t h_now(void *ctx) { (void)ctx; return now; }
static void h_sleep(void *ctx, uint32_t ms) { (void)ctx; now += ms; }
/* print() is server.log(): a Log frame, one line of out */
static int h_send(void *ctx, const Impwire__Envelope *e,
                  const struct api_send_policy *pol) {
  (void)ctx, (void)pol;
  if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG)
    addf("%s\n", e->log->text);
  return API_SEND_OK;
}
static bool h_conn(void *ctx) { (void)ctx; return true; }
static bool h_connect(void *ctx, uint32_t timeout_ms, bool block) {
  (void)ctx, (void)timeout_ms, (void)block;
  return true;
}
static void h_void(void *ctx) { (void)ctx; }
static void h_request(void *ctx, const struct api_request *r) {
  (void)ctx;
  addf("request %d\n", (int)r->kind);
}
static int h_uget(void *ctx, uint8_t *b, size_t c) {
  (void)ctx, (void)b, (void)c;
  return -1;
}
static bool h_uset(void *ctx, const uint8_t *d, size_t n) {
  (void)ctx, (void)d, (void)n;
  return true;
}
static uint8_t *h_flash(void *ctx, uint32_t size) {
  (void)ctx;
  return size <= sizeof flash ? flash : NULL;
}

static void h_observe(void *ctx, const struct api_event *ev) {
  (void)ctx;
  switch (ev->kind) {
  case API_EV_PRINT:
    addf("%s\n", ev->text);
    break;
  case API_EV_UART_TX:
    addf("tx %s %.*s\n", ev->bus, (int)ev->len, (const char *)ev->data);
    break;
  case API_EV_UART_CONFIG:
    addf("uart %s %d %u%u%u\n", ev->bus, (int)ev->number, ev->word_size,
         ev->parity, ev->stop_bits);
    break;
  case API_EV_I2C:
    addf("i2c %s 0x%02x w%zu r%u %d\n", ev->bus, ev->address, ev->len,
         ev->read_len, (int)ev->number);
    break;
  case API_EV_DAC:
    addf("dac %s %zu at %llu\n", ev->bus, ev->len,
         (unsigned long long)ev->at_ms);
    break;
  case API_EV_PIN_MODE:
    addf("mode %s %d\n", ev->pin, (int)ev->mode);
    break;
  case API_EV_UNCAUGHT:
    addf("uncaught %s\n", ev->text);
    break;
  default:
    break;
  }
}

static const struct api_host host = {
    .now_ms = h_now, .sleep_ms = h_sleep, .send = h_send,
    .is_connected = h_conn, .connect = h_connect, .disconnect = h_void,
    .observe = h_observe, .request = h_request, .userconf_get = h_uget,
    .userconf_set = h_uset, .spiflash = h_flash};

/* A VM on board running code (its main body run). */
static struct api *vm(const char *board, const char *code,
                      const struct api_zombie *z, size_t nz) {
  struct api_config cfg = {.board = board, .os_version = "t",
                           .mac = "0c2a69000001",
                           .device_id = "0123456789abcdef",
                           .zombies = z, .nzombies = nz};
  out[0] = 0;
  struct api *a = api_create(&host, &cfg);
  CU_ASSERT_FATAL(a != NULL);
  CU_ASSERT_FATAL(api_start(a, code, strlen(code), "t") == API_STARTED);
  api_step(a, now);
  return a;
}

/* Let ms of device time pass, stepping the VM at each deadline. */
static void advance(struct api *a, uint64_t ms) {
  uint64_t end = now + ms;
  for (int guard = 0; guard < 10000; guard++) {
    uint64_t next = api_step(a, now);
    if (next > end)
      break;
    now = next > now ? next : now;
  }
  now = end;
  api_step(a, now);
}

static bool has(const char *line) { return strstr(out, line) != NULL; }

/* ---- UART ------------------------------------------------------------- */

static void test_uart(void) {
  struct api *a = vm("imp001",
                     "local u = hardware.uart57;\n"
                     "u.configure(9600, 8, PARITY_NONE, 1, "
                     "CALLBACK_WITH_FLAGS, function(f) {\n"
                     "  local s = u.readstring();\n"
                     "  print(\"flags \" + f + \" got \" + s.len() + \" \" + "
                     "s.slice(0, 3));\n"
                     "});\n"
                     "u.write(\"hi\");\n"
                     "hardware.uart12.configure(9600, 8, 0, 1, NO_RX);\n",
                     NULL, 0);
  CU_ASSERT(has("uart uart57 9600 801\n"));
  CU_ASSERT(has("tx uart57 hi\n"));
  CU_ASSERT(api_uart_input(a, "uart57", (const uint8_t *)"abc", 3));
  api_step(a, now);
  CU_ASSERT(has("flags 1 got 3 abc\n"));
  /* 300 bytes into a 256-byte FIFO: 256 kept, OVERRUN_ERROR flagged */
  uint8_t big[300];
  memset(big, 'x', sizeof big);
  CU_ASSERT(api_uart_input(a, "uart57", big, sizeof big));
  api_step(a, now);
  CU_ASSERT(has("flags 33 got 256 xxx\n"));
  CU_ASSERT(!api_uart_input(a, "uart12", big, 1));   /* NO_RX */
  CU_ASSERT(!api_uart_input(a, "uart1289", big, 1)); /* not configured */
  CU_ASSERT(!api_uart_input(a, "uartDM", big, 1));   /* not on imp001 */
  api_destroy(a);
}

/* ---- I2C -------------------------------------------------------------- */

static void test_i2c(void) {
  struct api *a = vm("imp001",
                     "local i = hardware.i2c89;\n"
                     "i.configure(CLOCK_SPEED_100_KHZ);\n"
                     "imp.wakeup(0.01, function() {\n"
                     "  print(\"w \" + i.write(0x80, \"\\x01\\x99\\x98\"));\n"
                     "  local s = i.read(0x80, \"\\xff\", 4);\n"
                     "  print(format(\"r %02x%02x%02x%02x\", s[0], s[1], "
                     "s[2], s[3]));\n"
                     "  print(\"absent \" + i.read(0x82, \"\", 1) + \" \" + "
                     "i.readerror());\n"
                     "});\n",
                     NULL, 0);
  const uint8_t regs[] = {0x10, 0x11, 0x12};
  CU_ASSERT(!api_i2c_target(a, "i2c89", 0x78, true, regs, 3)); /* range */
  CU_ASSERT(!api_i2c_target(a, "i2cAB", 0x40, true, regs, 3)); /* bus */
  CU_ASSERT(api_i2c_target(a, "i2c89", 0x40, true, regs, 3));
  advance(a, 20);
  CU_ASSERT(has("w 0\n"));
  /* pointer 0xff, then wraps to 0: reg 255 (0), 0x10, 0x99, 0x98 */
  CU_ASSERT(has("r 00109998\n"));
  CU_ASSERT(has("absent null -2\n"));
  CU_ASSERT(has("i2c i2c89 0x40 w3 r0 0\n"));
  CU_ASSERT(has("i2c i2c89 0x41 w0 r1 -2\n"));
  /* a removed target no longer answers */
  CU_ASSERT(api_i2c_target(a, "i2c89", 0x40, false, NULL, 0));
  api_destroy(a);
}

/* ---- analog ----------------------------------------------------------- */

static void test_analog(void) {
  struct api *a = vm("imp001",
                     "hardware.pin7.configure(ANALOG_IN);\n"
                     "imp.wakeup(0.01, function() {\n"
                     "  print(\"a \" + hardware.pin7.read());\n"
                     "});\n",
                     NULL, 0);
  CU_ASSERT(!api_analog_input(a, "pin7", 3301));
  CU_ASSERT(!api_analog_input(a, "pinZ", 100));
  CU_ASSERT(api_analog_input(a, "pin7", 1650));
  advance(a, 20);
  CU_ASSERT(has("a 32767\n"));
  api_destroy(a);
}

/* ---- DAC timing ------------------------------------------------------- */

static void test_dac(void) {
  now = 1000;
  struct api *a = vm("imp001",
                     "local d = hardware.fixedfrequencydac;\n"
                     "d.configure(hardware.pin5, 1000, [blob(200), "
                     "blob(40)], function(b) { print(\"cb \" + b.len()); "
                     "});\n"
                     "d.start();\n",
                     NULL, 0);
  advance(a, 99);
  CU_ASSERT(!has("dac"));
  advance(a, 1);
  CU_ASSERT(has("dac pin5 200 at 1000\ncb 200\n"));
  advance(a, 20);
  CU_ASSERT(has("dac pin5 40 at 1100\ncb 40\n"));
  CU_ASSERT(!api_has_work(a)); /* ran dry: stopped */
  api_destroy(a);
}

/* ---- dfsdm ------------------------------------------------------------ */

static void test_dfsdm(void) {
  now = 0;
  struct api *a = vm("imp004m",
                     "hardware.dfsdm.configure(0, 7, 0, 2, 1, "
                     "\"RISING-EDGE\", [blob(8)], function(b, l) {\n"
                     "  b.seek(0);\n"
                     "  local s = \"\";\n"
                     "  for (local i = 0; i < 4; i++) s += b.readn('s') + "
                     "\" \";\n"
                     "  print(\"pdm \" + l + \": \" + s);\n"
                     "  hardware.dfsdm.stop();\n"
                     "});\n"
                     "hardware.dfsdm.start();\n",
                     NULL, 0);
  CU_ASSERT(!api_pdm_input(a, 0, (const uint8_t *)"x", 1));
  /* 8 bits a sample, offset 2, shift 1: (ones - zeros + 2) >> 1 */
  CU_ASSERT(api_pdm_input(a, 8000, (const uint8_t *)"\xff\x00\x0f\x01", 4));
  advance(a, 3); /* 32 bits at 8 kHz take 4 ms */
  CU_ASSERT(!has("pdm"));
  advance(a, 1);
  CU_ASSERT(has("pdm 8: 5 -3 1 -2 \n"));
  api_destroy(a);
  struct api *b = vm("imp001", "", NULL, 0);
  CU_ASSERT(!api_pdm_input(b, 8000, (const uint8_t *)"\xff", 1));
  api_destroy(b);
}

/* ---- pins across VMs, spiflash ---------------------------------------- */

static void test_zombie_handover(void) {
  struct api *a = vm("imp004m",
                     "hardware.pinK.configure(PWM_OUT, 0.002, 0.25, true);\n"
                     "hardware.pinD.configure(PWM_OUT, 0.001, 0.5);\n"
                     "hardware.spiflash.enable();\n"
                     "hardware.spiflash.erasesector(0);\n"
                     "hardware.spiflash.write(0, \"\\x42\");\n",
                     NULL, 0);
  struct api_zombie z[API_MAX_ZOMBIES];
  out[0] = 0;
  size_t n = api_release_pins(a, z, API_MAX_ZOMBIES);
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT_STRING_EQUAL(z[0].pin, "pinK");
  CU_ASSERT(has("mode pinD 0\n"));
  CU_ASSERT(!has("mode pinK"));
  api_destroy(a);
  a = vm("imp004m",
         "print(format(\"k %.3f %.2f\", hardware.pinK.getperiod(), "
         "hardware.pinK.getdutycycle()));\n"
         "try { hardware.pinD.getperiod(); } catch (e) { print(\"d off\"); }\n"
         "hardware.spiflash.enable();\n"
         "print(\"flash \" + hardware.spiflash.read(0, 1)[0]);\n",
         z, n);
  CU_ASSERT(has("k 0.002 0.25\n"));
  CU_ASSERT(has("d off\n"));
  CU_ASSERT(has("flash 66\n"));
  api_destroy(a);
  /* a board without zombie PWM adopts nothing */
  a = vm("imp003", "try { hardware.pinK.getperiod(); } catch (e) "
                   "{ print(\"none\"); }\n", z, n);
  CU_ASSERT(has("none\n"));
  api_destroy(a);
}

static const struct cu_test periph_tests[] = {
    {"UART bytes both ways, FIFO and flags", test_uart},
    {"I2C targets and their registers", test_i2c},
    {"ANALOG_IN from the jig's voltage", test_analog},
    {"DAC buffers on time", test_dac},
    {"dfsdm filters a PDM stream", test_dfsdm},
    {"zombie PWM and spiflash outlive the VM", test_zombie_handover},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"periph", periph_tests}};

CU_MAIN(suites)
