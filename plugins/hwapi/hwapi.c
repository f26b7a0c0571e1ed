/*
** hwapi.c: conformance tests of the imp hardware API beyond digital pins
** and PWM: board features per board (spiflash, DAC, sampler, dfsdm,
** pwmpairKD, usbAB, pulse counter, wake pin, environment), clocks,
** hardware.spiflash as NOR flash, UART and I2C with the jig as the far
** end, analog inputs, the DAC, sampler and dfsdm with their data on the
** jig, zombie PWM across a restart, and the impOS 36/38 regressions of
** this area. Board-generic tests read the board from imp.info().type and
** hold it to the board tables of specs/constants.md. Requirement IDs:
** specs/requirements.md.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0001-impcert"
#define TOKEN "token-5f2e9c1a"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

/* BlinkUp, activate, and deploy `code` in step 4. */
static void deploy(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "impcert-lab", "secret-pass", PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
}

/* The data of the next AgentMessage, which must be called name. */
static const Impwire__Value *expect_agent(impcert_fx *fx, const char *name) {
  const Impwire__AgentMessage *m =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE, WAIT)
          ->agent_message;
  if (strcmp(m->name, name) != 0)
    IMPCERT_FAIL_NOW(fx, "expected agent message '%s', got '%s'", name,
                     m->name);
  return m->data;
}

/* Send AgentMessage name with an integer. */
static void send_agent(impcert_fx *fx, const char *name, int32_t n) {
  Impwire__Value v = IMPWIRE__VALUE__INIT;
  v.kind_case = IMPWIRE__VALUE__KIND_INTEGER;
  v.integer = n;
  Impwire__AgentMessage am = IMPWIRE__AGENT_MESSAGE__INIT;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  am.name = (char *)name;
  am.data = &v;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE;
  env.agent_message = &am;
  IMPCERT_REQUIRE(fx, impcert_send(fx, &env) == 0);
}

static const Impwire__Value *slot(const Impwire__Value *t, const char *k) {
  if (!t || t->kind_case != IMPWIRE__VALUE__KIND_TABLE)
    return NULL;
  for (size_t i = 0; i < t->table->n_slots; i++) {
    const Impwire__ValueSlot *s = t->table->slots[i];
    if (s->key->kind_case == IMPWIRE__VALUE__KIND_STR &&
        strcmp(s->key->str, k) == 0)
      return s->value;
  }
  return NULL;
}

static bool is_int(const Impwire__Value *v, int32_t want) {
  return v && v->kind_case == IMPWIRE__VALUE__KIND_INTEGER &&
         v->integer == want;
}

static bool is_true(const Impwire__Value *v) {
  return v && v->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN && v->boolean;
}

static bool is_bool(const Impwire__Value *v, bool want) {
  return v && v->kind_case == IMPWIRE__VALUE__KIND_BOOLEAN &&
         v->boolean == want;
}

static const char *str_of(const Impwire__Value *v) {
  return v && v->kind_case == IMPWIRE__VALUE__KIND_STR ? v->str : "?";
}

static int32_t int_of(const Impwire__Value *v) {
  return v && v->kind_case == IMPWIRE__VALUE__KIND_INTEGER ? v->integer
                                                           : INT32_MIN;
}

static bool board_in(const char *board, const char *list) {
  size_t n = strlen(board);
  for (const char *p = list; (p = strstr(p, board)); p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
      return true;
  return false;
}

/* Squirrel: the sorted names of hardware members starting with prefix. */
#define NAMES_FN                                                          \
  "function names(prefix) {\n"                                            \
  "  local r = [];\n"                                                     \
  "  foreach (k, v in hardware)\n"                                        \
  "    if (typeof k == \"string\" && k.find(prefix) == 0) r.append(k);\n" \
  "  r.sort();\n"                                                         \
  "  return r;\n"                                                         \
  "}\n"

/* ---- board features ------------------------------------------------------ */

/* The UARTs, I2C buses and SPI buses of each board, as the code below
** sorts them (constants.md "Peripherals per board"). */
static const struct {
  const char *board, *uarts, *i2cs, *spis;
} buses[] = {
    {"imp001", "uart12 uart1289 uart57", "i2c12 i2c89", "spi189 spi257"},
    {"imp002", "uart12 uart1289 uart57 uart6E", "i2c12 i2c89",
     "spi189 spi257"},
    {"imp003", "uartDM uartFG uartQRPW uartUVGD", "i2cAB i2cFG",
     "spiEBCA spiLGDK"},
    {"imp004m", "uartABCD uartFGJH uartHJ", "i2cJK i2cNM", "spiAHSR spiGJKL"},
    {"imp005", "uart0 uart1 uartBCAW", "i2c0", "spi0 spiBCAD"},
    {"impC001", "uartDCAB uartNU uartPQRS", "i2cKL i2cNM", "spiPQRS"},
};

/* HW-002, HW-020, HW-027, HW-034, AUDIO-001, AUDIO-002, AUDIO-007,
** AUDIO-012, BT-001: which objects the board's hardware has (exactly those of
** constants.md, buses included), and that using one it lacks throws as a
** missing index does. */
static void board_features(impcert_fx *fx) {
  deploy(fx, NAMES_FN
         "function join(a) { local s = \"\";\n"
         "  foreach (i, n in a) s += (i ? \" \" : \"\") + n; return s; }\n"
         "local h = hardware;\n"
         "local spis = [];\n"
         "foreach (n in names(\"spi\")) if (n != \"spiflash\") spis.append(n);\n"
         "local odd = \"\";\n"
         "foreach (n in [\"spiflash\", \"sampler\", \"fixedfrequencydac\",\n"
         "    \"dfsdm\", \"pwmpairKD\", \"usbAB\", \"bluetooth\"]) {\n"
         "  local has = n in h;\n"
         "  try { local x = h[n]; if (!has) odd += n + \" read \"; }\n"
         "  catch (e) {\n"
         "    if (has) odd += n + \" threw \";\n"
         "    else if (typeof e != \"string\" || e.find(n) == null)\n"
         "      odd += n + \" error without its name \";\n"
         "  }\n"
         "}\n"
         "local r = {type = imp.info().type, env = imp.environment(),\n"
         "  spiflash = \"spiflash\" in h, sampler = \"sampler\" in h,\n"
         "  dac = \"fixedfrequencydac\" in h, dfsdm = \"dfsdm\" in h,\n"
         "  pwmpair = \"pwmpairKD\" in h, usb = \"usbAB\" in h,\n"
         "  bt = \"bluetooth\" in h, uarts = join(names(\"uart\")),\n"
         "  i2cs = join(names(\"i2c\")), spis = join(spis), odd = odd};\n"
         "r.dfsdmfns <- r.dfsdm && (\"configure\" in h.dfsdm) &&\n"
         "  (\"start\" in h.dfsdm) && (\"stop\" in h.dfsdm) &&\n"
         "  (\"reset\" in h.dfsdm);\n"
         "local wake = \"pinW\" in h ? h.pinW : h.pin1;\n"
         "try { wake.configure(PULSE_COUNTER, 0.1); r.pulse <- true; }\n"
         "catch (e) { r.pulse <- false; }\n"
         "agent.send(\"r\", r);\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  const char *b = str_of(slot(r, "type"));
  impcert_note(fx, "board %s", b);
  static const struct {
    const char *key, *boards, *req;
  } want[] = {
      {"spiflash", "imp003 imp004m imp005 impC001", "HW-020"},
      {"sampler", "imp001 imp002 imp003", "AUDIO-001"},
      {"dac", "imp001 imp002 imp003 imp004m", "AUDIO-007"},
      {"dfsdm", "imp004m", "AUDIO-002"},
      {"dfsdmfns", "imp004m", "AUDIO-002"},
      {"pwmpair", "imp004m", "HW-027"},
      {"usb", "impC001", "HW-027"},
      {"pulse", "imp001 imp002 imp003 imp004m", "AUDIO-012"},
      {"bt", "imp004m", "BT-001"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    bool exp = board_in(b, want[i].boards);
    IMPCERT_CHECK_MSG(fx, is_bool(slot(r, want[i].key), exp),
                      "%s: on %s '%s' must be %s", want[i].req, b,
                      want[i].key, exp ? "true" : "false");
  }
  IMPCERT_CHECK_MSG(fx, is_int(slot(r, "env"), strcmp(b, "imp001") ? 1 : 0),
                    "HW-002: imp.environment() on %s is %d", b,
                    int_of(slot(r, "env")));
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "odd")), ""),
                    "HW-034: on %s an object's presence and its use "
                    "disagree: %s "
                    "(a missing object must throw as a missing index does, "
                    "naming it)", b, str_of(slot(r, "odd")));
  size_t i = 0;
  while (i < sizeof buses / sizeof buses[0] && strcmp(buses[i].board, b))
    i++;
  if (!IMPCERT_CHECK_MSG(fx, i < sizeof buses / sizeof buses[0],
                         "HW-001: unknown board '%s'", b))
    return;
  static const char *const what[3] = {"UARTs", "I2C buses", "SPI buses"};
  const char *got[3] = {str_of(slot(r, "uarts")), str_of(slot(r, "i2cs")),
                        str_of(slot(r, "spis"))};
  const char *exp[3] = {buses[i].uarts, buses[i].i2cs, buses[i].spis};
  for (int k = 0; k < 3; k++)
    IMPCERT_CHECK_MSG(fx, !strcmp(got[k], exp[k]),
                      "HW-034: %s has %s '%s', constants.md lists '%s'", b,
                      what[k],
                      got[k], exp[k]);
}

/* The pins each board has (constants.md "Boards and pins"). */
static const char *board_pins(const char *b) {
  if (!strcmp(b, "imp001"))
    return "pin1 pin2 pin5 pin7 pin8 pin9";
  if (!strcmp(b, "imp002"))
    return "pin1 pin2 pin5 pin6 pin7 pin8 pin9 pinA pinB pinC pinD pinE";
  if (!strcmp(b, "imp005"))
    return "pinA pinB pinC pinD pinE pinF pinG pinH pinI pinJ pinK pinL "
           "pinM pinN pinP pinQ pinR pinS pinT pinU pinV pinW";
  return "pinA pinB pinC pinD pinE pinF pinG pinH pinI pinJ pinK pinL pinM "
         "pinN pinP pinQ pinR pinS pinT pinU pinV pinW pinX pinY";
}

/* HW-006, HW-007, HW-015, HW-017: exactly the board's pins; a mode a pin
** lacks throws; DIGITAL_IN_WAKEUP only on the wake pin; zombie PWM only
** on imp004m. */
static void pins_and_modes(impcert_fx *fx) {
  deploy(fx, NAMES_FN
         "local pins = names(\"pin\");\n"
         "local wake = [];\n"
         "foreach (n in pins) {\n"
         "  try { hardware[n].configure(DIGITAL_IN_WAKEUP); wake.append(n); }\n"
         "  catch (e) {}\n"
         "  hardware[n].configure(DIGITAL_IN);\n"
         "}\n"
         "local bad = false;\n"
         "try { hardware[pins[0]].configure(0x7fff); } catch (e) { bad = true; }\n"
         "local zombie = false, pwm = null;\n"
         "foreach (n in pins) {\n"
         "  try { hardware[n].configure(PWM_OUT, 0.001, 0.5); pwm = n; break; }\n"
         "  catch (e) {}\n"
         "}\n"
         "try { hardware[pwm].configure(PWM_OUT, 0.001, 0.5, true);\n"
         "  zombie = true; } catch (e) {}\n"
         "local s = \"\";\n"
         "foreach (i, n in pins) s += (i ? \" \" : \"\") + n;\n"
         "local w = \"\";\n"
         "foreach (i, n in wake) w += (i ? \" \" : \"\") + n;\n"
         "agent.send(\"r\", {type = imp.info().type, pins = s, wake = w,\n"
         "  bad = bad, zombie = zombie});\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  const char *b = str_of(slot(r, "type"));
  /* the code sorts the names as strings: so does the table */
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "pins")), board_pins(b)),
                    "HW-006: %s has pins '%s', expected '%s'", b,
                    str_of(slot(r, "pins")), board_pins(b));
  const char *wake = board_in(b, "imp001 imp002")   ? "pin1"
                     : board_in(b, "imp005")        ? ""
                                                    : "pinW";
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "wake")), wake),
                    "HW-017: DIGITAL_IN_WAKEUP accepted on '%s', expected "
                    "'%s'", str_of(slot(r, "wake")), wake);
  IMPCERT_CHECK_MSG(fx, is_true(slot(r, "bad")),
                    "HW-007: an unknown mode did not throw");
  bool z = !strcmp(b, "imp004m");
  IMPCERT_CHECK_MSG(fx, is_bool(slot(r, "zombie"), z),
                    "HW-015: zombie PWM on %s %s", b,
                    z ? "was refused" : "did not throw");
}

/* HW-016: on an imp005 pins E, F, G, S, U and V accept PWM_OUT. */
static void imp005_pwm(impcert_fx *fx) {
  deploy(fx, "local ok = [];\n"
             "foreach (n in [\"pinE\", \"pinF\", \"pinG\", \"pinS\", "
             "\"pinU\", \"pinV\"]) {\n"
             "  try { hardware[n].configure(PWM_OUT, 0.001, 0.5); "
             "ok.append(n); } catch (e) {}\n"
             "}\n"
             "agent.send(\"r\", ok.len());\n");
  IMPCERT_CHECK_MSG(fx, is_int(expect_agent(fx, "r"), 6),
                    "not every one of pins E, F, G, S, U, V took PWM_OUT");
}

/* HW-005, HW-028: millis/micros start near 0 and follow device time;
** time() advances one a second once the RTC is set. */
static void clocks(impcert_fx *fx) {
  deploy(fx, "local m0 = hardware.millis(), u0 = hardware.micros(), "
             "t0 = time();\n"
             "imp.wakeup(2.0, function() {\n"
             "  agent.send(\"r\", {m0 = m0, u0 = u0, t0 = t0,\n"
             "    m = hardware.millis() - m0, u = hardware.micros() - u0,\n"
             "    t = time() - t0});\n"
             "});\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  int32_t m0 = int_of(slot(r, "m0")), m = int_of(slot(r, "m"));
  int32_t u = int_of(slot(r, "u")), t = int_of(slot(r, "t"));
  impcert_note(fx, "millis at start %d, +%d ms, +%d us, time +%d", m0, m,
               u, t);
  IMPCERT_CHECK_MSG(fx, m0 >= 0 && m0 < 5000,
                    "HW-005: millis() at the code's start is %d", m0);
  /* the upper bounds leave room for a loaded machine (real time) */
  IMPCERT_CHECK_MSG(fx, m >= 1990 && m < 6000,
                    "HW-005: millis() moved %d over a 2 s wakeup", m);
  IMPCERT_CHECK_MSG(fx, u / 1000 >= m - 5 && u / 1000 <= m + 5,
                    "HW-005: micros() moved %d us while millis() moved %d",
                    u, m);
  IMPCERT_CHECK_MSG(fx, int_of(slot(r, "t0")) > 1500000000,
                    "HW-028: time() %d is not the RTC the cloud set",
                    int_of(slot(r, "t0")));
  IMPCERT_CHECK_MSG(fx, t >= 1 && t <= 6,
                    "HW-028: time() moved %d over 2 s", t);
}

/* REG-043: hardware random numbers in a loop do not crash the device
** and are random. */
static void random_numbers(impcert_fx *fx) {
  deploy(fx, "local lo = 0x7fffffff, hi = -1, bad = 0, same = 0, last = -1;\n"
             "for (local i = 0; i < 5000; i++) {\n"
             "  local v = math.rand();\n"
             "  if (v < 0 || v > math.RAND_MAX) bad++;\n"
             "  if (v == last) same++;\n"
             "  last = v; if (v < lo) lo = v; if (v > hi) hi = v;\n"
             "}\n"
             "agent.send(\"r\", {bad = bad, same = same, spread = hi - lo,\n"
             "  max = math.RAND_MAX});\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  IMPCERT_CHECK_MSG(fx, is_int(slot(r, "bad"), 0),
                    "%d values outside 0..RAND_MAX", int_of(slot(r, "bad")));
  IMPCERT_CHECK_MSG(fx, int_of(slot(r, "same")) < 50,
                    "%d repeats in a row of 5000", int_of(slot(r, "same")));
  IMPCERT_CHECK_MSG(fx, int_of(slot(r, "spread")) > int_of(slot(r, "max")) / 2,
                    "the values span only %d", int_of(slot(r, "spread")));
}

/* REG-023: reconfiguring an SPI bus (spiAHSR on imp004m) does not throw. */
static void spi_reconfigure(impcert_fx *fx) {
  deploy(fx, NAMES_FN
         "local errs = [], buses = names(\"spi\");\n"
         "foreach (n in buses) if (n != \"spiflash\") {\n"
         "  try {\n"
         "    hardware[n].configure(CLOCK_IDLE_LOW | MSB_FIRST, 1000);\n"
         "    hardware[n].configure(CLOCK_IDLE_HIGH | LSB_FIRST, 4000);\n"
         "    hardware[n].configure(CLOCK_2ND_EDGE, 500);\n"
         "    hardware[n].writeread(\"\\x01\\x02\");\n"
         "  } catch (e) { errs.append(n + \": \" + e); }\n"
         "}\n"
         "agent.send(\"r\", {type = imp.info().type, errs = errs,\n"
         "  ahsr = \"spiAHSR\" in hardware});\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  const Impwire__Value *e = slot(r, "errs");
  IMPCERT_REQUIRE(fx, e && e->kind_case == IMPWIRE__VALUE__KIND_ARRAY);
  for (size_t i = 0; i < e->array->n_items; i++)
    IMPCERT_CHECK_MSG(fx, false, "reconfiguring threw: %s",
                      str_of(e->array->items[i]));
  if (!strcmp(str_of(slot(r, "type")), "imp004m"))
    IMPCERT_CHECK_MSG(fx, is_true(slot(r, "ahsr")),
                      "imp004m has no hardware.spiAHSR");
}

/* ---- hardware.spiflash ---------------------------------------------------- */

#define SPIFLASH_SETUP                                                    \
  "local f = hardware.spiflash;\n"                                        \
  "f.enable();\n"                                                         \
  "function hex(b) { local s = \"\"; foreach (x in b) s += "              \
  "format(\"%02x\", x); return s; }\n"                                    \
  "function bytes(a) { local b = blob(a.len()); foreach (i, x in a) "     \
  "b[i] = x; return b; }\n"

/* HW-021, HW-022: NOR semantics and SPIFLASH_PREVERIFY. */
static void spiflash_nor(impcert_fx *fx) {
  deploy(fx, SPIFLASH_SETUP
         "local r = {size = f.size()};\n"
         "f.erasesector(4096);\n"
         "r.erased <- hex(f.read(4096, 4));\n"
         "r.w1 <- f.write(4096, bytes([0x0f, 0xf0, 0x55, 0xaa]));\n"
         "r.a <- hex(f.read(4096, 4));\n"
         "f.write(4096, bytes([0xff, 0x00, 0xff, 0xff]));\n"
         "r.b <- hex(f.read(4096, 4));\n"
         "r.pre <- f.write(4096, bytes([0xff, 0xff, 0x00, 0x00]), "
         "SPIFLASH_PREVERIFY);\n"
         "r.c <- hex(f.read(4096, 4));\n"
         "r.preok <- f.write(4096, bytes([0x05, 0x00, 0x00, 0x00]), "
         "SPIFLASH_PREVERIFY);\n"
         "r.d <- hex(f.read(4096, 4));\n"
         "f.erasesector(4096);\n"
         "r.e <- hex(f.read(4096, 4));\n"
         "r.other <- hex(f.read(0, 4)) + hex(f.read(8192, 4));\n"
         "agent.send(\"r\", r);\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  int32_t size = int_of(slot(r, "size"));
  IMPCERT_CHECK_MSG(fx, size > 0 && size % 4096 == 0,
                    "size() %d is not whole 4 KB sectors", size);
  static const struct {
    const char *key, *want, *why;
  } want[] = {
      {"erased", "ffffffff", "erasesector() did not set 0xff"},
      {"a", "0ff055aa", "read() does not return what was written"},
      {"b", "0f0055aa", "a write set bits to 1 (NOR only clears)"},
      {"c", "0f0055aa", "a PREVERIFY write that needs a 1 wrote data"},
      {"d", "05000000", "a PREVERIFY write that only clears was refused"},
      {"e", "ffffffff", "a second erase did not restore 0xff"},
  };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, want[i].key)),
                                  want[i].want),
                      "%s: %s is %s, expected %s", want[i].why, want[i].key,
                      str_of(slot(r, want[i].key)), want[i].want);
  IMPCERT_CHECK_MSG(fx, is_int(slot(r, "w1"), 0),
                    "write() without verify returned %d",
                    int_of(slot(r, "w1")));
  IMPCERT_CHECK_MSG(fx, int_of(slot(r, "pre")) != 0 &&
                            int_of(slot(r, "pre")) != INT32_MIN,
                    "HW-022: PREVERIFY returned 0 for a write needing a 1");
  IMPCERT_CHECK_MSG(fx, is_int(slot(r, "preok"), 0),
                    "PREVERIFY failed a write that only clears bits");
}

/* HW-023: erasing and filling the whole user area leaves impOS's stored
** code and settings alone: after server.restart() the device comes back
** with the same code hash and runs the code again. */
static void spiflash_fill(impcert_fx *fx) {
  static const char code[] =
      SPIFLASH_SETUP
      "if (hardware.wakereason() == WAKEREASON_SW_RESTART) {\n"
      "  agent.send(\"again\", hex(f.read(f.size() - 4, 4)));\n"
      "} else {\n"
      "  local z = blob(4096);\n"
      "  for (local a = 0; a < f.size(); a += 4096) {\n"
      "    f.erasesector(a);\n"
      "    f.write(a, z);\n"
      "  }\n"
      "  agent.send(\"filled\", hex(f.read(f.size() - 4, 4)));\n"
      "  imp.wakeup(0.2, function() { server.restart(); });\n"
      "}\n";
  deploy(fx, code);
  IMPCERT_CHECK(fx, !strcmp(str_of(expect_agent(fx, "filled")), "00000000"));
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_RESTART, WAIT);
  if (!impcert_cloud_wait_closed(fx, 500))
    impcert_note(fx, "the session stayed open across the restart");
  const Impwire__Envelope *e;
  for (;;) { /* the device may keep the session or open a new one */
    e = impcert_next_frame(fx, WAIT);
    if (!e && impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
      IMPCERT_FAIL_NOW(fx, "no DeviceState after the restart");
    if (e && e->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE)
      break;
  }
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  uint8_t want[32];
  impcert_sha256(code, strlen(code), want);
  IMPCERT_CHECK_MSG(fx, h->sha256.len == 32 &&
                            !memcmp(h->sha256.data, want, 32),
                    "the stored code's hash changed after the user area "
                    "was filled");
  impcert_send_answer(fx, true, NULL, false);
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(expect_agent(fx, "again")),
                                "00000000"),
                    "the user area did not keep its data across a restart");
}

/* The next session after a wake or power-on, its code matched. */
static void next_session(impcert_fx *fx, const char *what) {
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no new session after %s", what);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
}

/* HW-033: what the user area holds survives deep sleep and a power
** cycle, as SPI flash does. Each run reports sectors 2 and 3; the first
** writes sector 2 and sleeps, the wake writes sector 3. */
static void spiflash_persists(impcert_fx *fx) {
  deploy(fx, SPIFLASH_SETUP
         "local a = hex(f.read(8192, 4)), b = hex(f.read(12288, 4));\n"
         "agent.send(\"r\", {a = a, b = b});\n"
         "if (a == \"ffffffff\") {\n"
         "  f.write(8192, bytes([0xc0, 0xff, 0xee, 0x42]));\n"
         "  imp.wakeup(0.1, function() { imp.deepsleepfor(1); });\n"
         "} else if (b == \"ffffffff\") {\n"
         "  f.erasesector(12288);\n"
         "  f.write(12288, bytes([0x5a, 0xa5, 0xa5, 0x5a]));\n"
         "  agent.send(\"b\", hex(f.read(12288, 4)));\n"
         "}\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "a")), "ffffffff") &&
                            !strcmp(str_of(slot(r, "b")), "ffffffff"),
                    "a new device's user area holds %s %s, not erased",
                    str_of(slot(r, "a")), str_of(slot(r, "b")));
  IMPCERT_REQUIRE(fx, impcert_cloud_wait_closed(fx, WAIT));
  impcert_device_wait(fx, 1500); /* the 1 s deep sleep */
  next_session(fx, "the wake from deep sleep");
  r = expect_agent(fx, "r");
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "a")), "c0ffee42"),
                    "HW-033: after deep sleep sector 2 holds %s, not the "
                    "c0ffee42 written before it", str_of(slot(r, "a")));
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(expect_agent(fx, "b")), "5aa5a55a"),
                    "sector 3 does not read back what was written");
  impcert_dut_power_off(fx);
  impcert_dut_power_on(fx);
  next_session(fx, "a power cycle");
  r = expect_agent(fx, "r");
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "a")), "c0ffee42") &&
                            !strcmp(str_of(slot(r, "b")), "5aa5a55a"),
                    "HW-033: after a power cycle sectors 2 and 3 hold %s %s, "
                    "not c0ffee42 5aa5a55a", str_of(slot(r, "a")),
                    str_of(slot(r, "b")));
}

/* HW-024, REG-008, REG-044: hardware.spiflash works while a connection
** is being made. */
static void spiflash_connecting(impcert_fx *fx) {
  deploy(fx, SPIFLASH_SETUP
         "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, 10);\n"
         "local r = {};\n"
         "imp.wakeup(0.2, function() {\n"
         "  server.disconnect();\n"
         "  server.connect(function(reason) {\n"
         "    r.after <- hex(f.read(0, 3));\n"
         "    r.reason <- reason;\n"
         "    agent.send(\"r\", r);\n"
         "  }, 30);\n"
         "  r.connected <- server.isconnected();\n"
         "  try {\n"
         "    f.erasesector(0);\n"
         "    f.write(0, bytes([0x12, 0x34, 0x56]));\n"
         "    r.during <- hex(f.read(0, 3));\n"
         "  } catch (e) { r.during <- \"threw: \" + e; }\n"
         "});\n");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no new session after server.connect()");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  const Impwire__Value *r = expect_agent(fx, "r");
  if (!is_bool(slot(r, "connected"), false))
    IMPCERT_INCONCLUSIVE_NOW(fx, "the connection was complete before the "
                                 "flash was used");
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "during")), "123456"),
                    "spiflash while connecting: %s",
                    str_of(slot(r, "during")));
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "after")), "123456"),
                    "after the connection the flash holds %s",
                    str_of(slot(r, "after")));
  IMPCERT_CHECK_MSG(fx, is_int(slot(r, "reason"), 5),
                    "the connect callback got %d", int_of(slot(r, "reason")));
}

/* ---- audio argument rules ---------------------------------------------- */

/* Squirrel: ok(fn) is true when fn() does not throw. */
#define OK_FN                                                             \
  "function ok(fn) { try { fn(); return true; } catch (e) { return "      \
  "false; } }\n"

/* AUDIO-003: dfsdm.configure() range checks. */
static void dfsdm_args(impcert_fx *fx) {
  deploy(fx, OK_FN
         "local d = hardware.dfsdm, cb = function(b, l) {};\n"
         "function c(o, dec, i, off, s, e) {\n"
         "  return ok(function() { d.configure(o, dec, i, off, s, e, "
         "[blob(64)], cb); });\n"
         "}\n"
         "agent.send(\"r\", [c(0, 63, 0, 0, 0, \"RISING-EDGE\"),\n"
         "  c(5, 1023, 255, 8388607, 24, \"FALLING-EDGE\"),\n"
         "  c(0, 0, 0, -8388607, 0, \"RISING-EDGE\"),\n"
         "  c(6, 63, 0, 0, 0, \"RISING-EDGE\"),\n"
         "  c(-1, 63, 0, 0, 0, \"RISING-EDGE\"),\n"
         "  c(0, 1024, 0, 0, 0, \"RISING-EDGE\"),\n"
         "  c(0, 63, 256, 0, 0, \"RISING-EDGE\"),\n"
         "  c(0, 63, 0, 8388608, 0, \"RISING-EDGE\"),\n"
         "  c(0, 63, 0, -8388608, 0, \"RISING-EDGE\"),\n"
         "  c(0, 63, 0, 0, 25, \"RISING-EDGE\"),\n"
         "  c(0, 63, 0, 0, 0, \"BOTH-EDGES\")]);\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  IMPCERT_REQUIRE(fx, r && r->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          r->array->n_items == 11);
  static const char *const what[] = {
      "a plain configuration", "every maximum", "every minimum",
      "filter order 6", "filter order -1", "decimation 1024",
      "integration 256", "offset 8388608", "offset -8388608",
      "right shift 25", "edge \"BOTH-EDGES\""};
  for (size_t i = 0; i < 11; i++)
    IMPCERT_CHECK_MSG(fx, is_bool(r->array->items[i], i < 3),
                      "%s %s", what[i], i < 3 ? "was refused" : "was accepted");
}

/* AUDIO-005: sampler.configure() takes at most 8 buffers, each a multiple
** of 2 x pins bytes. */
static void sampler_args(impcert_fx *fx) {
  deploy(fx, OK_FN
         "local s = hardware.sampler, cb = function(b, l) {};\n"
         "local p = [\"pin7\" in hardware ? hardware.pin7 : hardware.pinA,\n"
         "  \"pin8\" in hardware ? hardware.pin8 : hardware.pinB];\n"
         "function bufs(n, size) { local a = []; for (local i = 0; i < n; "
         "i++) a.append(blob(size)); return a; }\n"
         "agent.send(\"r\", [\n"
         "  ok(function() { s.configure(p, 1000, bufs(8, 40), cb); }),\n"
         "  ok(function() { s.configure([p[0]], 1000, bufs(1, 2), cb); }),\n"
         "  ok(function() { s.configure(p, 1000, bufs(9, 40), cb); }),\n"
         "  ok(function() { s.configure(p, 1000, bufs(1, 42), cb); }),\n"
         "  ok(function() { s.configure(p, 1000, bufs(1, 6), cb); })]);\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  IMPCERT_REQUIRE(fx, r && r->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          r->array->n_items == 5);
  static const char *const what[] = {
      "8 buffers of 40 bytes on 2 pins", "1 buffer of 2 bytes on 1 pin",
      "9 buffers", "42 bytes on 2 pins", "6 bytes on 2 pins"};
  for (size_t i = 0; i < 5; i++)
    IMPCERT_CHECK_MSG(fx, is_bool(r->array->items[i], i < 2), "%s %s",
                      what[i], i < 2 ? "was refused" : "was accepted");
}

/* Squirrel: the DAC output of the board (pwmpairKD on imp004m). */
#define DAC_OUT                                                           \
  "local out = \"pwmpairKD\" in hardware ? hardware.pwmpairKD :\n"        \
  "  (\"pin5\" in hardware ? hardware.pin5 : hardware.pinA);\n"

/* AUDIO-008, AUDIO-009, REG-002: start() before configure() throws;
** configure() without buffers is accepted; start() then throws until
** addbuffer() gave one, and succeeds after. */
static void dac_args(impcert_fx *fx) {
  deploy(fx, OK_FN DAC_OUT
         "local d = hardware.fixedfrequencydac, cb = function(b) {};\n"
         "local r = [ok(function() { d.start(); }),\n"
         "  ok(function() { d.configure(out, 8000, null, cb); }),\n"
         "  ok(function() { d.start(); })];\n"
         "d.addbuffer(blob(64));\n"
         "r.append(ok(function() { d.start(); }));\n"
         "d.stop();\n"
         "r.append(ok(function() { d.configure(out, 8000, [], cb); }));\n"
         "agent.send(\"r\", r);\n");
  const Impwire__Value *r = expect_agent(fx, "r");
  IMPCERT_REQUIRE(fx, r && r->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          r->array->n_items == 5);
  Impwire__Value **it = r->array->items;
  IMPCERT_CHECK_MSG(fx, is_bool(it[0], false),
                    "AUDIO-009: start() before configure() did not throw");
  IMPCERT_CHECK_MSG(fx, is_bool(it[1], true),
                    "REG-002: configure() with no buffers was refused");
  IMPCERT_CHECK_MSG(fx, is_bool(it[2], false),
                    "AUDIO-008: start() with no buffer did not throw");
  IMPCERT_CHECK_MSG(fx, is_bool(it[3], true),
                    "AUDIO-008: start() after addbuffer() threw");
  IMPCERT_CHECK_MSG(fx, is_bool(it[4], true),
                    "configure() with an empty array was refused");
}

/* ---- with the jig ------------------------------------------------------- */

/* HW-025: a UART sends its bytes to the jig with the configured line
** settings, and bytes from the jig reach its callback and read. */
static void uart_both_ways(impcert_fx *fx) {
  deploy(fx, NAMES_FN
         "local name = names(\"uart\")[0], u = hardware[name];\n"
         "local got = \"\";\n"
         "u.configure(19200, 8, PARITY_EVEN, 2, NO_CTSRTS, function() {\n"
         "  got += u.readstring();\n"
         "  if (got.len() >= 9) agent.send(\"rx\", [got, u.read()]);\n"
         "});\n"
         "u.write(\"impcert-tx\");\n"
         "agent.send(\"uart\", name);\n");
  const char *name = str_of(expect_agent(fx, "uart"));
  const Impjig__JigEnvelope *m =
      impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_UART_CONFIG, WAIT);
  IMPCERT_REQUIRE(fx, m != NULL);
  const Impjig__UartConfig *c = m->uart_config;
  IMPCERT_CHECK_MSG(fx, !strcmp(c->uart, name), "UartConfig names %s, not %s",
                    c->uart, name);
  IMPCERT_CHECK_MSG(fx, c->baud == 19200 && c->word_size == 8 &&
                            c->parity == 1 && c->stop_bits == 2,
                    "line settings %u %u %u %u, expected 19200 8 1 2",
                    c->baud, c->word_size, c->parity, c->stop_bits);
  m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_UART_TX, WAIT);
  IMPCERT_REQUIRE(fx, m != NULL);
  IMPCERT_CHECK_MSG(fx, m->uart_tx->data.len == 10 &&
                            !memcmp(m->uart_tx->data.data, "impcert-tx", 10),
                    "the jig received %zu other bytes",
                    m->uart_tx->data.len);
  Impjig__UartRx rx = IMPJIG__UART_RX__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  rx.uart = (char *)name;
  rx.data.data = (uint8_t *)"hello";
  rx.data.len = 5;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_UART_RX;
  e.uart_rx = &rx;
  impcert_jig_send(fx, &e);
  rx.data.data = (uint8_t *)"-dut";
  rx.data.len = 4;
  impcert_jig_send(fx, &e);
  const Impwire__Value *v = expect_agent(fx, "rx");
  IMPCERT_REQUIRE(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          v->array->n_items == 2);
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(v->array->items[0]), "hello-dut"),
                    "the code read '%s'", str_of(v->array->items[0]));
  IMPCERT_CHECK_MSG(fx, is_int(v->array->items[1], -1),
                    "read() on an empty FIFO is not -1");
}

/* HW-026: an I2C bus reads and writes a target the jig plays; an absent
** address fails with a negative readerror(). */
static void i2c_target(impcert_fx *fx) {
  deploy(fx, NAMES_FN
         "local name = names(\"i2c\")[0], i = hardware[name];\n"
         "i.configure(CLOCK_SPEED_400_KHZ);\n"
         /* the jig's I2cTarget and the cloud's "go" travel apart: wait
         ** (2 s at most) until the target answers */
         "function go(tries) {\n"
         "  if (i.read(0x80, \"\", 1) == null && tries > 0) {\n"
         "    imp.wakeup(0.01, function() { go(tries - 1); });\n"
         "    return;\n"
         "  }\n"
         "  local r = {};\n"
         "  r.w <- i.write(0x80, \"\\x02\\xab\\xcd\");\n"
         "  r.werr <- i.readerror();\n"
         "  local s = i.read(0x80, \"\\x00\", 4);\n"
         "  r.rerr <- i.readerror();\n"
         "  r.data <- s == null ? \"null\" : format(\"%02x%02x%02x%02x\", "
         "s[0], s[1], s[2], s[3]);\n"
         "  r.absent <- i.read(0x90, \"\\x00\", 1) == null;\n"
         "  r.aerr <- i.readerror();\n"
         "  r.wabsent <- i.write(0x90, \"\\x00\\x01\");\n"
         "  agent.send(\"r\", r);\n"
         "}\n"
         "agent.on(\"go\", function(d) { go(200); });\n"
         "agent.send(\"i2c\", name);\n");
  const char *name = str_of(expect_agent(fx, "i2c"));
  Impjig__I2cTarget t = IMPJIG__I2C_TARGET__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  t.bus = (char *)name;
  t.address = 0x40;
  t.present = true;
  t.has_registers = true;
  t.registers.data = (uint8_t *)"\x11\x22\x33\x44";
  t.registers.len = 4;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_I2C_TARGET;
  e.i2c_target = &t;
  impcert_jig_send(fx, &e);
  send_agent(fx, "go", 1);
  const Impwire__Value *r = expect_agent(fx, "r");
  IMPCERT_CHECK_MSG(fx, is_int(slot(r, "w"), 0) && is_int(slot(r, "werr"), 0),
                    "the write to the target returned %d, readerror %d",
                    int_of(slot(r, "w")), int_of(slot(r, "werr")));
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(slot(r, "data")), "1122abcd") &&
                            is_int(slot(r, "rerr"), 0),
                    "read back %s (readerror %d), expected 1122abcd",
                    str_of(slot(r, "data")), int_of(slot(r, "rerr")));
  IMPCERT_CHECK_MSG(fx, is_true(slot(r, "absent")),
                    "a read from an absent address did not return null");
  IMPCERT_CHECK_MSG(fx, int_of(slot(r, "aerr")) < 0 &&
                            int_of(slot(r, "aerr")) != INT32_MIN,
                    "readerror() after an absent address is %d",
                    int_of(slot(r, "aerr")));
  IMPCERT_CHECK_MSG(fx, int_of(slot(r, "wabsent")) < 0,
                    "a write to an absent address returned %d",
                    int_of(slot(r, "wabsent")));
  /* the jig saw the write with the register pointer first */
  bool seen = false;
  const Impjig__JigEnvelope *m;
  while (!seen &&
         (m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_I2C_TRANSFER,
                               WAIT)))
    seen = m->i2c_transfer->address == 0x40 &&
           m->i2c_transfer->written.len == 3 &&
           !memcmp(m->i2c_transfer->written.data, "\x02\xab\xcd", 3) &&
           m->i2c_transfer->result == 0;
  IMPCERT_CHECK_MSG(fx, seen, "no I2cTransfer of the write reached the jig");
}

/* Send AnalogDrive pin = mv. */
static void drive_mv(impcert_fx *fx, const char *pin, uint32_t mv) {
  Impjig__AnalogDrive d = IMPJIG__ANALOG_DRIVE__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  d.pin = (char *)pin;
  d.millivolts = mv;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_ANALOG_DRIVE;
  e.analog_drive = &d;
  impcert_jig_send(fx, &e);
}

/* HW-010: ANALOG_IN reads 0..65535 in proportion to the jig's voltage. */
static void analog_in(impcert_fx *fx) {
  deploy(fx, "local p = \"pin7\" in hardware ? \"pin7\" : \"pinA\";\n"
             "hardware[p].configure(ANALOG_IN);\n"
             /* the jig's AnalogDrive and the cloud's "read" travel
             ** apart: read until near the level asked (2 s at most) */
             "function settle(want, tries) {\n"
             "  local v = hardware[p].read();\n"
             "  if (math.abs(v - want) > 1000 && tries > 0)\n"
             "    imp.wakeup(0.01, function() { settle(want, tries - 1); });\n"
             "  else agent.send(\"v\", v);\n"
             "}\n"
             "agent.on(\"read\", function(want) { settle(want, 200); });\n"
             "agent.send(\"pin\", p);\n");
  const Impwire__Value *p = expect_agent(fx, "pin");
  char pin[8];
  snprintf(pin, sizeof pin, "%s", str_of(p));
  static const struct {
    uint32_t mv;
    int32_t lo, hi;
  } pts[] = {{0, 0, 100}, {1650, 32440, 33090}, {825, 16220, 16550},
             {3300, 65535, 65535}};
  for (size_t i = 0; i < 4; i++) {
    drive_mv(fx, pin, pts[i].mv);
    send_agent(fx, "read", (int32_t)(pts[i].mv * 65535u / 3300u));
    int32_t v = int_of(expect_agent(fx, "v"));
    IMPCERT_CHECK_MSG(fx, v >= pts[i].lo && v <= pts[i].hi,
                      "%u mV reads %d, expected %d..%d", pts[i].mv, v,
                      pts[i].lo, pts[i].hi);
  }
}

/* AUDIO-006: the sampler passes full buffers of the jig's levels,
** interleaved, 12 bits top-aligned, to its callback at the rate. */
static void sampler_data(impcert_fx *fx) {
  deploy(fx, "local a = \"pin7\" in hardware ? \"pin7\" : \"pinA\";\n"
             "local b = \"pin8\" in hardware ? \"pin8\" : \"pinB\";\n"
             "local n = 0, t = [];\n"
             "hardware[a].configure(ANALOG_IN);\n"
             "hardware[b].configure(ANALOG_IN);\n"
             "function go(tries) {\n"
             /* wait (2 s at most) for the jig's AnalogDrive */
             "  if (hardware[a].read() < 60000 && tries > 0) {\n"
             "    imp.wakeup(0.01, function() { go(tries - 1); });\n"
             "    return;\n"
             "  }\n"
             "  hardware.sampler.configure([hardware[a], hardware[b]], 1000,\n"
             "    [blob(40), blob(40)], function(buf, len) {\n"
             "      t.append(hardware.millis());\n"
             "      if (++n == 3) {\n"
             "        hardware.sampler.stop();\n"
             "        agent.send(\"buf\", {b = buf, len = len, dt = t[2] - "
             "t[0]});\n"
             "      }\n"
             "    });\n"
             "  hardware.sampler.start();\n"
             "}\n"
             "agent.on(\"go\", function(d) { go(200); });\n"
             "agent.send(\"pins\", [a, b]);\n");
  const Impwire__Value *p = expect_agent(fx, "pins");
  IMPCERT_REQUIRE(fx, p && p->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          p->array->n_items == 2);
  drive_mv(fx, str_of(p->array->items[0]), 3300);
  drive_mv(fx, str_of(p->array->items[1]), 1650);
  send_agent(fx, "go", 1);
  const Impwire__Value *r = expect_agent(fx, "buf");
  const Impwire__Value *b = slot(r, "b");
  IMPCERT_REQUIRE(fx, b && b->kind_case == IMPWIRE__VALUE__KIND_BLOB &&
                          b->blob.len == 40);
  IMPCERT_CHECK_MSG(fx, is_int(slot(r, "len"), 40),
                    "the callback's length is %d", int_of(slot(r, "len")));
  for (size_t k = 0; k < 40; k += 4) {
    unsigned s0 = b->blob.data[k] | b->blob.data[k + 1] << 8;
    unsigned s1 = b->blob.data[k + 2] | b->blob.data[k + 3] << 8;
    if (!IMPCERT_CHECK_MSG(fx, s0 >= 0xfff0 && (s1 & 0xfff0) >= 0x7f00 &&
                                   s1 <= 0x8100,
                           "frame %zu: %04x %04x, expected fff0 and about "
                           "8000", k / 4, s0, s1))
      break;
  }
  /* 10 frames a buffer at 1000 Hz: 10 ms each, two buffers apart 20 ms */
  int32_t dt = int_of(slot(r, "dt"));
  IMPCERT_CHECK_MSG(fx, dt >= 15 && dt <= 1000,
                    "three buffers came %d ms apart (20 ms at the rate)", dt);
}

/* A G.711 A-law byte as a signed 16-bit sample (the middle of its step). */
static int32_t a_law_value(uint8_t b) {
  b ^= 0x55;
  int32_t seg = (b >> 4) & 7, mant = b & 0x0f;
  int32_t mag = seg == 0 ? (mant << 4) + 8 : ((mant << 4) + 0x108) << (seg - 1);
  return b & 0x80 ? mag : -mag;
}

/* AUDIO-014: with A_LAW_COMPRESS the sampler fills its buffers with one
** A-law byte a sample, the jig's voltage with mid-supply as 0. */
static void sampler_a_law(impcert_fx *fx) {
  deploy(fx, "local a = \"pin7\" in hardware ? \"pin7\" : \"pinA\";\n"
             "local b = \"pin8\" in hardware ? \"pin8\" : \"pinB\";\n"
             "local n = 0, t = [];\n"
             "hardware[a].configure(ANALOG_IN);\n"
             "hardware[b].configure(ANALOG_IN);\n"
             "function go(tries) {\n"
             /* wait (2 s at most) for the jig's AnalogDrive */
             "  if (hardware[a].read() < 60000 && tries > 0) {\n"
             "    imp.wakeup(0.01, function() { go(tries - 1); });\n"
             "    return;\n"
             "  }\n"
             "  hardware.sampler.configure([hardware[a], hardware[b]], 1000,\n"
             "    [blob(40), blob(40)], function(buf, len) {\n"
             "      t.append(hardware.millis());\n"
             "      if (++n == 3) {\n"
             "        hardware.sampler.stop();\n"
             "        agent.send(\"buf\", {b = buf, len = len, dt = t[2] - "
             "t[0]});\n"
             "      }\n"
             "    }, A_LAW_COMPRESS);\n"
             "  hardware.sampler.start();\n"
             "}\n"
             "agent.on(\"go\", function(d) { go(200); });\n"
             "agent.send(\"pins\", [a, b]);\n");
  const Impwire__Value *p = expect_agent(fx, "pins");
  IMPCERT_REQUIRE(fx, p && p->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          p->array->n_items == 2);
  drive_mv(fx, str_of(p->array->items[0]), 3300);
  drive_mv(fx, str_of(p->array->items[1]), 825);
  send_agent(fx, "go", 1);
  const Impwire__Value *r = expect_agent(fx, "buf");
  const Impwire__Value *b = slot(r, "b");
  IMPCERT_REQUIRE(fx, b && b->kind_case == IMPWIRE__VALUE__KIND_BLOB &&
                          b->blob.len == 40);
  IMPCERT_CHECK_MSG(fx, is_int(slot(r, "len"), 40),
                    "the callback's length is %d", int_of(slot(r, "len")));
  /* 3300 mV: full scale, +32767; 825 mV: a quarter, -16384. A-law's
  ** step is 1024 at full scale: allow it and a 12-bit step either way */
  static const int32_t want[2] = {32767, -16384};
  for (size_t k = 0; k < 40; k++) {
    int32_t got = a_law_value(b->blob.data[k]), w = want[k % 2];
    if (!IMPCERT_CHECK_MSG(fx, got >= w - 1100 && got <= w + 1100,
                           "AUDIO-014: byte %zu is 0x%02x (%d as A-law), "
                           "expected about %d", k, b->blob.data[k], got, w))
      break;
  }
  /* 20 two-pin frames a buffer at 1000 Hz: 20 ms each, 40 ms for two */
  int32_t dt = int_of(slot(r, "dt"));
  IMPCERT_CHECK_MSG(fx, dt >= 30 && dt <= 1000,
                    "three buffers came %d ms apart (40 ms at the rate, a "
                    "byte a sample)", dt);
}

/* AUDIO-010, AUDIO-011: the DAC plays its buffers to the jig at the rate
** and hands each to the callback; on imp004m through hardware.pwmpairKD
** (pins K and D). */
static void dac_output(impcert_fx *fx) {
  deploy(fx, DAC_OUT
         "local n = 0;\n"
         "local b1 = blob(1600), b2 = blob(16);\n"
         "for (local i = 0; i < 1600; i++) b1[i] = i & 0xff;\n"
         "for (local i = 0; i < 16; i++) b2[i] = 0xa0 + i;\n"
         "hardware.fixedfrequencydac.configure(out, 8000, [b1, b2], "
         "function(b) {\n"
         "  agent.send(\"played\", b.len());\n"
         "});\n"
         "hardware.fixedfrequencydac.start();\n"
         "agent.send(\"board\", imp.info().type);\n");
  const char *board = str_of(expect_agent(fx, "board"));
  const char *out = !strcmp(board, "imp004m") ? "pwmpairKD"
                    : !strcmp(board, "imp001") || !strcmp(board, "imp002")
                        ? "pin5"
                        : "pinA";
  IMPCERT_CHECK(fx, is_int(expect_agent(fx, "played"), 1600));
  IMPCERT_CHECK(fx, is_int(expect_agent(fx, "played"), 16));
  const Impjig__DacOutput *d[2];
  for (int i = 0; i < 2; i++) {
    const Impjig__JigEnvelope *m =
        impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_DAC_OUTPUT, WAIT);
    IMPCERT_REQUIRE(fx, m != NULL);
    d[i] = m->dac_output;
    IMPCERT_CHECK_MSG(fx, !strcmp(d[i]->output, out) &&
                              d[i]->sample_rate == 8000.0f,
                      "buffer %d went to %s at %g Hz, expected %s at 8000",
                      i + 1, d[i]->output, (double)d[i]->sample_rate, out);
  }
  IMPCERT_CHECK_MSG(fx, d[0]->samples.len == 1600 &&
                            d[0]->samples.data[5] == 5 &&
                            d[0]->samples.data[1599] == (1599 & 0xff),
                    "the first buffer's samples differ");
  IMPCERT_CHECK_MSG(fx, d[1]->samples.len == 16 &&
                            d[1]->samples.data[0] == 0xa0,
                    "the second buffer's samples differ");
  /* 800 samples at 8 kHz: the second starts 100 ms after the first */
  long long gap = (long long)(d[1]->at_ms - d[0]->at_ms);
  IMPCERT_CHECK_MSG(fx, gap >= 95 && gap <= 105,
                    "the second buffer started %lld ms after the first", gap);
}

/* AUDIO-004: the dfsdm turns the jig's PDM stream into samples. */
static void dfsdm_data(impcert_fx *fx) {
  deploy(fx, "agent.on(\"go\", function(d) {\n"
             "  hardware.dfsdm.configure(0, 7, 0, 0, 0, \"RISING-EDGE\",\n"
             "    [blob(8)], function(buf, len) {\n"
             "      hardware.dfsdm.stop();\n"
             "      buf.seek(0);\n"
             "      local s = [];\n"
             "      for (local i = 0; i < 4; i++) s.append(buf.readn('s'));\n"
             "      agent.send(\"s\", s);\n"
             "    });\n"
             "  hardware.dfsdm.start();\n"
             "  agent.send(\"started\", 1);\n"
             "});\n"
             "agent.send(\"ready\", 1);\n");
  expect_agent(fx, "ready");
  send_agent(fx, "go", 1);
  expect_agent(fx, "started");
  Impjig__PdmStream p = IMPJIG__PDM_STREAM__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  p.clock_hz = 64000;
  p.bits.data = (uint8_t *)"\xff\x00\x55\x3f";
  p.bits.len = 4;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_PDM_STREAM;
  e.pdm_stream = &p;
  impcert_jig_send(fx, &e);
  const Impwire__Value *s = expect_agent(fx, "s");
  IMPCERT_REQUIRE(fx, s && s->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          s->array->n_items == 4);
  /* 8 bits a sample (decimation 7): +1 per one, -1 per zero */
  static const int32_t want[4] = {8, -8, 0, 4};
  for (int i = 0; i < 4; i++)
    IMPCERT_CHECK_MSG(fx, is_int(s->array->items[i], want[i]),
                      "sample %d is %d, expected %d", i,
                      int_of(s->array->items[i]), want[i]);
}

/* AUDIO-013, REG-045: a running DAC (or sampler) goes on, on time, while
** a WiFi connection is made. */
static void audio_while_connecting(impcert_fx *fx) {
  deploy(fx, DAC_OUT
         "local d = hardware.fixedfrequencydac, t = [], gap = 0;\n"
         "local b1 = blob(400), b2 = blob(400);\n"
         "d.configure(out, 4000, [b1, b2], function(b) {\n"
         "  local now = hardware.millis();\n"
         "  if (t.len() && now - t.top() > gap) gap = now - t.top();\n"
         "  t.append(now);\n"
         "  d.addbuffer(b);\n"
         "});\n"
         "d.start();\n"
         "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, 10);\n"
         "imp.wakeup(0.3, function() {\n"
         "  local before = t.len();\n"
         "  server.disconnect();\n"
         "  server.connect(function(reason) {\n"
         "    local at = t.len();\n"
         "    imp.wakeup(0.3, function() {\n"
         "      d.stop();\n"
         "      agent.send(\"r\", {before = before, at = at, after = t.len(),\n"
         "        gap = gap, reason = reason});\n"
         "    });\n"
         "  }, 30);\n"
         "});\n");
  IMPCERT_CHECK_MSG(fx, impcert_cloud_wait_closed(fx, WAIT),
                    "server.disconnect() did not close the session");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no new session after server.connect()");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  const Impwire__Value *r = expect_agent(fx, "r");
  int32_t before = int_of(slot(r, "before")), at = int_of(slot(r, "at"));
  int32_t after = int_of(slot(r, "after")), gap = int_of(slot(r, "gap"));
  impcert_note(fx, "buffers: %d before, %d at connect, %d after; longest "
               "gap %d ms (50 ms a buffer)", before, at, after, gap);
  IMPCERT_CHECK_MSG(fx, before >= 3, "the DAC played %d buffers before",
                    before);
  IMPCERT_CHECK_MSG(fx, after >= at + 4,
                    "the DAC stopped around the connection (%d then %d)",
                    at, after);
  /* 1 s: far above the scheduling jitter of a loaded machine, far below
  ** a connection that blocks the device (a TLS handshake, a DNS wait) */
  IMPCERT_CHECK_MSG(fx, gap <= 1000,
                    "a %d ms gap between buffers of 50 ms", gap);
}

/* Send PulseTrain: count rising edges period_us apart from device time
** at_ms. */
static void pulse_train(impcert_fx *fx, const char *pin, uint32_t count,
                        uint32_t period_us, uint64_t at_ms) {
  Impjig__PulseTrain t = IMPJIG__PULSE_TRAIN__INIT;
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  t.pin = (char *)pin;
  t.count = count;
  t.period_us = period_us;
  t.has_at_ms = true;
  t.at_ms = at_ms;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_PULSE_TRAIN;
  e.pulse_train = &t;
  impcert_jig_send(fx, &e);
}

/* HW-032: a PULSE_COUNTER pin's read() returns the rising edges the jig
** drives within `duration` from the call, no more and no fewer. */
static void pulse_counter(impcert_fx *fx) {
  deploy(fx, "local n = \"pin1\" in hardware ? \"pin1\" : \"pinW\";\n"
             "local p = hardware[n], r = [];\n"
             "try { p.configure(PULSE_COUNTER, 1.0); }\n"
             "catch (e) { agent.send(\"none\", imp.info().type); return; }\n"
             /* windows [0.5 s, 1.5 s) and [2 s, 3 s) from the configure */
             "imp.wakeup(0.5, function() { r.append(p.read()); });\n"
             "imp.wakeup(2.0, function() {\n"
             "  r.append(p.read());\n"
             "  agent.send(\"n\", r);\n"
             "});\n");
  const Impjig__JigEnvelope *m;
  const Impjig__PinState *ps = NULL;
  while (!ps && (m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE,
                                      WAIT)))
    if (m->pin_state->mode == 12) /* PULSE_COUNTER, constants.md */
      ps = m->pin_state;
  if (!ps) {
    const Impwire__Envelope *e =
        impcert_next_frame(fx, 1000); /* the code's "none", if it threw */
    if (e && e->msg_case == IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE &&
        !strcmp(e->agent_message->name, "none"))
      impcert_end_at(fx, IMPCERT_SKIP, __FILE__, __LINE__,
                     "%s has no pulse counter (HWAPI-FEATURES checks that)",
                     str_of(e->agent_message->data));
    IMPCERT_FAIL_NOW(fx, "no PinState of the PULSE_COUNTER configure");
  }
  uint64_t t0 = ps->at_ms;
  /* in the first window; between the windows; in the second */
  pulse_train(fx, ps->pin, 30, 2000, t0 + 1000);
  pulse_train(fx, ps->pin, 5, 10000, t0 + 1700);
  pulse_train(fx, ps->pin, 7, 10000, t0 + 2500);
  impcert_device_wait(fx, 3500);
  const Impwire__Value *r = expect_agent(fx, "n");
  IMPCERT_REQUIRE(fx, r && r->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          r->array->n_items == 2);
  IMPCERT_CHECK_MSG(fx, is_int(r->array->items[0], 30),
                    "HW-032: read() over [0.5 s, 1.5 s) counted %d pulses, "
                    "the jig drove 30", int_of(r->array->items[0]));
  IMPCERT_CHECK_MSG(fx, is_int(r->array->items[1], 7),
                    "HW-032: read() over [2 s, 3 s) counted %d pulses, the "
                    "jig drove 7 there (5 more before it)",
                    int_of(r->array->items[1]));
}

/* HW-013, HW-014: a zombie PWM output runs on across a restart of the
** code (no release on the jig) and the new code reads its period and
** duty cycle before configuring it; an ordinary PWM pin is released. */
static void zombie_pwm(impcert_fx *fx) {
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_SW_RESTART) {\n"
             "  local r;\n"
             "  try { r = [hardware.pinK.getperiod(), "
             "hardware.pinK.getdutycycle()]; }\n"
             "  catch (e) { r = [e, e]; }\n"
             "  try { hardware.pinD.getperiod(); r.append(\"kept\"); }\n"
             "  catch (e) { r.append(\"released\"); }\n"
             "  agent.send(\"after\", r);\n"
             "} else {\n"
             "  hardware.pinK.configure(PWM_OUT, 0.002, 0.25, true);\n"
             "  hardware.pinD.configure(PWM_OUT, 0.001, 0.5);\n"
             "  agent.send(\"before\", 1);\n"
             "  imp.wakeup(0.2, function() { server.restart(); });\n"
             "}\n");
  expect_agent(fx, "before");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_RESTART, WAIT);
  const Impwire__Envelope *e;
  for (;;) {
    e = impcert_next_frame(fx, WAIT);
    if (!e && impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
      IMPCERT_FAIL_NOW(fx, "no DeviceState after the restart");
    if (e && e->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE)
      break;
  }
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  const Impwire__Value *v = expect_agent(fx, "after");
  IMPCERT_REQUIRE(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          v->array->n_items == 3);
  Impwire__Value **it = v->array->items;
  IMPCERT_CHECK_MSG(fx, it[0]->kind_case == IMPWIRE__VALUE__KIND_REAL &&
                            it[0]->real == 0.002f &&
                            it[1]->kind_case == IMPWIRE__VALUE__KIND_REAL &&
                            it[1]->real == 0.25f,
                    "HW-014: after the restart pinK's getperiod() and "
                    "getdutycycle() give %s, not 0.002 and 0.25",
                    it[0]->kind_case == IMPWIRE__VALUE__KIND_STR
                        ? it[0]->str : "other values");
  IMPCERT_CHECK_MSG(fx, !strcmp(str_of(it[2]), "released"),
                    "an ordinary PWM pin was still PWM after the restart");
  /* the jig: pinD released (PinState mode 0), pinK never */
  bool d_released = false, k_stopped = false;
  const Impjig__JigEnvelope *m;
  while ((m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE,
                               500))) {
    if (m->pin_state->mode != 0)
      continue;
    d_released |= !strcmp(m->pin_state->pin, "pinD");
    k_stopped |= !strcmp(m->pin_state->pin, "pinK");
  }
  IMPCERT_CHECK_MSG(fx, !k_stopped,
                    "HW-013: the zombie PWM pin was released at the restart");
  IMPCERT_CHECK_MSG(fx, d_released,
                    "the jig saw no release of the ordinary PWM pin, so the "
                    "zombie's continuity cannot be told apart");
}

/* HW-013, HW-014 across an impOS update: on an imp004m a zombie PWM
** output runs on through the restart into the new OS (the jig sees no
** release, or a gap of at most 5 ms), and the new OS's first code reads
** its period and duty cycle. */
static void zombie_pwm_os_update(impcert_fx *fx) {
  static const char image[] = "impcert hwapi: an impOS image, any bytes";
  static const char version[] = "38.120 hwapi-zombie";
  deploy(fx, "if (hardware.wakereason() == WAKEREASON_NEW_FIRMWARE) {\n"
             "  local r;\n"
             "  try { r = [hardware.pinK.getperiod(), "
             "hardware.pinK.getdutycycle()]; }\n"
             "  catch (e) { r = [e, e]; }\n"
             "  agent.send(\"after\", r);\n"
             "} else {\n"
             "  hardware.pinK.configure(PWM_OUT, 0.002, 0.25, true);\n"
             "  agent.send(\"before\", 1);\n"
             "}\n");
  expect_agent(fx, "before");
  /* a forced NewOs: installed at once, the code's handler not asked */
  uint8_t h[32];
  impcert_sha256(image, strlen(image), h);
  Impwire__NewOs n = IMPWIRE__NEW_OS__INIT;
  n.version = (char *)version;
  n.has_image = n.has_sha256 = n.has_forced = n.forced = 1;
  n.image.data = (uint8_t *)image;
  n.image.len = strlen(image);
  n.sha256.data = h;
  n.sha256.len = 32;
  Impwire__Envelope env = IMPWIRE__ENVELOPE__INIT;
  env.msg_case = IMPWIRE__ENVELOPE__MSG_NEW_OS;
  env.new_os = &n;
  IMPCERT_REQUIRE(fx, impcert_send(fx, &env) == 0);
  const Impwire__Envelope *e;
  for (;;) {
    e = impcert_next_frame(fx, WAIT);
    if (!e && impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
      IMPCERT_FAIL_NOW(fx, "no session after the impOS update");
    if (e && e->msg_case == IMPWIRE__ENVELOPE__MSG_DEVICE_STATE)
      break;
  }
  if (strcmp(e->device_state->os_version, version) != 0)
    IMPCERT_FAIL_NOW(fx, "the DUT runs impOS '%s' after the update, not "
                     "'%s': nothing was updated",
                     e->device_state->os_version, version);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
  const Impwire__Value *v = expect_agent(fx, "after");
  IMPCERT_REQUIRE(fx, v && v->kind_case == IMPWIRE__VALUE__KIND_ARRAY &&
                          v->array->n_items == 2);
  Impwire__Value **it = v->array->items;
  IMPCERT_CHECK_MSG(fx, it[0]->kind_case == IMPWIRE__VALUE__KIND_REAL &&
                            it[0]->real == 0.002f &&
                            it[1]->kind_case == IMPWIRE__VALUE__KIND_REAL &&
                            it[1]->real == 0.25f,
                    "HW-013, HW-014: after the impOS update pinK's "
                    "getperiod() and getdutycycle() give %s, not 0.002 and "
                    "0.25: the output did not run on",
                    it[0]->kind_case == IMPWIRE__VALUE__KIND_STR
                        ? it[0]->str : "other values");
  /* the jig: pinK runs from its PwmState on; a release (PinState mode 0)
  ** stops it until the next PwmState */
  bool running = false, released = false;
  uint64_t stopped_at = 0, gap = 0;
  const Impjig__JigEnvelope *m;
  while ((m = impcert_jig_next(fx, IMPJIG__JIG_ENVELOPE__MSG__NOT_SET,
                                500))) {
    if (m->msg_case == IMPJIG__JIG_ENVELOPE__MSG_PWM_STATE &&
        !strcmp(m->pwm_state->pin, "pinK")) {
      if (released && m->pwm_state->at_ms - stopped_at > gap)
        gap = m->pwm_state->at_ms - stopped_at;
      running = m->pwm_state->duty > 0;
      released = false;
    } else if (m->msg_case == IMPJIG__JIG_ENVELOPE__MSG_PIN_STATE &&
               !strcmp(m->pin_state->pin, "pinK") &&
               m->pin_state->mode == 0 && running) {
      released = true;
      running = false;
      stopped_at = m->pin_state->at_ms;
    }
  }
  IMPCERT_CHECK_MSG(fx, !released,
                    "HW-013: the jig saw pinK released across the impOS "
                    "update and never started again");
  IMPCERT_CHECK_MSG(fx, gap <= 5,
                    "HW-013: pinK's PWM stopped for %llu ms across the "
                    "impOS update (at most 5)", (unsigned long long)gap);
}

static const struct impcert_case cases[] = {
    {"HWAPI-FEATURES", "each board has exactly its hardware objects",
     "HW-002,HW-020,HW-027,HW-034,AUDIO-001,AUDIO-002,AUDIO-007,AUDIO-012,"
     "BT-001",
     "hwapi,boards", "jig,squirrel", 0, board_features},
    {"HWAPI-PINS", "the board's pins; wake pin, zombie and bad modes",
     "HW-006,HW-007,HW-015,HW-017", "hwapi,boards,pins", "jig,squirrel", 0,
     pins_and_modes},
    {"HWAPI-PWM-IMP005", "imp005 pins E, F, G, S, U, V take PWM_OUT",
     "HW-016", "hwapi,boards,pins", "jig,squirrel,board:imp005", 0,
     imp005_pwm},
    {"HWAPI-CLOCKS", "millis/micros from boot, time() a second a second",
     "HW-005,HW-028", "hwapi", "jig,squirrel", 0, clocks},
    {"HWAPI-RANDOM", "impOS 36: hardware random numbers in a loop",
     "REG-043", "hwapi,regress", "jig,squirrel", 0, random_numbers},
    {"HWAPI-SPI", "impOS 38.x: reconfiguring SPI buses does not throw",
     "REG-023", "hwapi,regress", "jig,squirrel", 0, spi_reconfigure},
    {"HWAPI-SPIFLASH", "spiflash: NOR writes, erase, PREVERIFY",
     "HW-021,HW-022", "hwapi,spiflash", "jig,squirrel,spiflash", 0,
     spiflash_nor},
    {"HWAPI-SPIFLASH-FILL", "spiflash: filling the user area spares impOS",
     "HW-023", "hwapi,spiflash", "jig,squirrel,spiflash", 0, spiflash_fill},
    {"HWAPI-SPIFLASH-KEPT", "spiflash survives deep sleep and power cycles",
     "HW-033", "hwapi,spiflash", "jig,squirrel,spiflash,deep-sleep", 0,
     spiflash_persists},
    {"HWAPI-SPIFLASH-WIFI", "spiflash works while connecting (36, 38)",
     "HW-024,REG-008,REG-044", "hwapi,spiflash,regress",
     "jig,squirrel,spiflash", 0, spiflash_connecting},
    {"HWAPI-DFSDM-ARGS", "dfsdm.configure() range checks", "AUDIO-003",
     "hwapi,audio", "jig,squirrel,dfsdm", 0, dfsdm_args},
    {"HWAPI-SAMPLER-ARGS", "sampler.configure() buffer rules", "AUDIO-005",
     "hwapi,audio", "jig,squirrel,sampler", 0, sampler_args},
    {"HWAPI-DAC-ARGS", "DAC: start rules, buffers by addbuffer (38)",
     "AUDIO-008,AUDIO-009,REG-002", "hwapi,audio,regress",
     "jig,squirrel,dac", 0, dac_args},
    {"HWAPI-UART", "a UART to and from the jig", "HW-025", "hwapi,jig",
     "jig,squirrel,jig-uart", 0, uart_both_ways},
    {"HWAPI-I2C", "an I2C target the jig plays; absent address fails",
     "HW-026", "hwapi,jig", "jig,squirrel,jig-i2c", 0, i2c_target},
    {"HWAPI-ANALOG", "ANALOG_IN follows the jig's voltage", "HW-010",
     "hwapi,jig,pins", "jig,squirrel,jig-pins", 0, analog_in},
    {"HWAPI-SAMPLER", "the sampler fills buffers with the jig's levels",
     "AUDIO-006", "hwapi,audio,jig", "jig,squirrel,jig-pins,sampler", 0,
     sampler_data},
    {"HWAPI-SAMPLER-ALAW", "the sampler's A_LAW_COMPRESS filter",
     "AUDIO-014", "hwapi,audio,jig", "jig,squirrel,jig-pins,sampler", 0,
     sampler_a_law},
    {"HWAPI-DAC", "the DAC plays its buffers to the jig at the rate",
     "AUDIO-010,AUDIO-011", "hwapi,audio,jig", "jig,squirrel,dac", 0,
     dac_output},
    {"HWAPI-DFSDM", "the dfsdm filters the jig's PDM stream", "AUDIO-004",
     "hwapi,audio,jig", "jig,squirrel,dfsdm", 0, dfsdm_data},
    {"HWAPI-AUDIO-WIFI", "the DAC plays on while a connection is made",
     "AUDIO-013,REG-045", "hwapi,audio,regress", "jig,squirrel,dac", 0,
     audio_while_connecting},
    {"HWAPI-PULSE", "the pulse counter counts the jig's pulses",
     "HW-032", "hwapi,jig,pins", "jig,squirrel,jig-pins", 0, pulse_counter},
    {"HWAPI-ZOMBIE", "zombie PWM runs on across a restart (imp004m)",
     "HW-013,HW-014", "hwapi,pins", "jig,squirrel,jig-pins,board:imp004m", 0,
     zombie_pwm},
    {"HWAPI-ZOMBIE-OS", "zombie PWM runs on across an impOS update "
     "(imp004m)", "HW-013,HW-014", "hwapi,pins,osupd",
     "jig,squirrel,jig-pins,jig-pwm,os-update,board:imp004m", 0,
     zombie_pwm_os_update},
};

IMPCERT_PLUGIN("hwapi", cases)
