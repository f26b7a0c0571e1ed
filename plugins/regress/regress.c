/*
** regress.c: one test per fix in the two release notes (seeds/000 and
** seeds/001, "Bug Fixes") that is not tested in a group of its own and can
** be seen from deployed Squirrel. Each case is named by its REG ID and
** says which release fixed it. Requirement IDs: specs/requirements.md.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <impcert/impcert.h>

#define PLAN "plan-0009-regress"
#define TOKEN "token-regress-31"
#define WAIT 8000 /* ms for the DUT to act; generous for emulated DUTs */

/* BlinkUp, activate, and deploy `code` in step 4. */
static void deploy(impcert_fx *fx, const char *code) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, NULL, NULL, PLAN, TOKEN);
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, false, code, false);
}

/* The text after `prefix` of the next Log starting with it; NULL if the
** session ends or none comes in time (other frames are skipped). */
static const char *log_after(impcert_fx *fx, const char *prefix) {
  size_t n = strlen(prefix);
  for (;;) {
    const Impwire__Envelope *e = impcert_next_frame(fx, WAIT);
    if (!e)
      return NULL;
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        strncmp(e->log->text, prefix, n) == 0)
      return e->log->text + n;
  }
}

/* REG-014 (impOS 38): weak references must not crash the device. The
** code takes weak references to a table, an array, an instance and a
** closure inside a function, so that no strong reference is left once it
** returns (a stack slot would keep one); a weak reference kept inside its
** own target, and one to an object freed when a cycle is broken. Then
** every weak reference must give null: at once on a reference-counted
** VM, after collectgarbage() (called where the VM has it) on one that
** collects. */
#define WEAK_CODE                                                         \
  "class Box { v = 3; }\n"                                                \
  "function make() {\n"                                                   \
  "  local t = {v = 1}, a = [2], i = Box(), f = function() { return 4; };" \
  "\n  local w = [t.weakref(), a.weakref(), i.weakref(), f.weakref()];\n"  \
  "  server.log(\"impcert-weak live \" + w[0].ref().v + w[1].ref()[0] +\n" \
  "             w[2].ref().v + w[3].ref()());\n"                          \
  "  local self = {};\n"                                                  \
  "  self.me <- self.weakref();\n"                                        \
  "  w.append(self.weakref());\n"                                         \
  "  local x = {}, y = {};\n"                                             \
  "  x.y <- y; y.x <- x.weakref();\n"                                     \
  "  w.append(x.weakref());\n"                                            \
  "  return w;\n"                                                         \
  "}\n"                                                                   \
  "local w = make();\n"                                                   \
  "if (\"collectgarbage\" in getroottable()) collectgarbage();\n"         \
  "local s = \"\";\n"                                                     \
  "foreach (r in w) s += (r.ref() == null) ? \"n\" : \"L\";\n"            \
  "server.log(\"impcert-weak dead \" + s + \" \" + (5).weakref());\n"     \
  "imp.wakeup(0.1, function() { server.log(\"impcert-weak alive\"); });\n"

static void weak_references(impcert_fx *fx) {
  deploy(fx, WEAK_CODE);
  const char *s = log_after(fx, "impcert-weak live ");
  if (!s)
    IMPCERT_FAIL_NOW(fx, "no Log from the weak reference code (the device "
                         "crashed or the code failed)");
  IMPCERT_CHECK_MSG(fx, strcmp(s, "1234") == 0,
                    "weak references before the release give '%s', "
                    "expected '1234'", s);
  s = log_after(fx, "impcert-weak dead ");
  if (!s)
    IMPCERT_FAIL_NOW(fx, "the code stopped once the targets of its weak "
                         "references were released");
  /* one letter per weak reference: table, array, instance, closure,
  ** self-held, cycle; n = null (released), L = still live */
  IMPCERT_CHECK_MSG(fx, strcmp(s, "nnnnnn 5") == 0,
                    "weak references after their targets were released "
                    "(table, array, instance, closure, self-held, cycle; "
                    "n: null): '%s', expected 'nnnnnn 5'", s);
  IMPCERT_CHECK_MSG(fx, log_after(fx, "impcert-weak alive") != NULL,
                    "the device did not run a timer after the weak "
                    "reference code");
  IMPCERT_CHECK_MSG(fx, impcert_dut_running(fx), "the device died");
}

/* REG-053 (impOS 36): blob.writen() with a value of the wrong type writes
** zeros (as many as the type takes) and does not throw. */
static void writen_wrong_type(impcert_fx *fx) {
  deploy(fx, "local b = blob();\n"
             "b.writen(0x11111111, 'i');\n"
             "try {\n"
             "  b.writen(\"abcd\", 'i');\n"
             "  b.writen(null, 'w');\n"
             "  b.writen([1, 2], 'b');\n"
             "  b.writen({x = 1}, 'f');\n"
             "} catch (e) { server.log(\"impcert-writen threw \" + e); }\n"
             "b.writen(0x22, 'b');\n"
             "agent.send(\"impcert-blob\", b);\n");
  const Impwire__Envelope *e = NULL;
  for (;;) {
    e = impcert_next_frame(fx, WAIT);
    if (!e)
      IMPCERT_FAIL_NOW(fx, "no AgentMessage with the blob");
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_LOG &&
        strncmp(e->log->text, "impcert-writen threw", 20) == 0)
      IMPCERT_FAIL_NOW(fx, "blob.writen() with a wrong type threw: %s",
                       e->log->text);
    if (e->msg_case == IMPWIRE__ENVELOPE__MSG_AGENT_MESSAGE)
      break;
  }
  const Impwire__Value *v = e->agent_message->data;
  if (!v || v->kind_case != IMPWIRE__VALUE__KIND_BLOB)
    IMPCERT_FAIL_NOW(fx, "agent.send did not carry a blob");
  static const uint8_t want[] = {0x11, 0x11, 0x11, 0x11, 0, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0, 0, 0x22};
  char got[3 * 64 + 1] = "";
  for (size_t i = 0; i < v->blob.len && i < 64; i++)
    snprintf(got + 3 * i, 4, "%02x ", v->blob.data[i]);
  IMPCERT_CHECK_MSG(fx, v->blob.len == sizeof want &&
                            memcmp(v->blob.data, want, sizeof want) == 0,
                    "the blob is %zu bytes: %s; expected 11 11 11 11, then "
                    "4 + 2 + 1 + 4 zero bytes, then 22", v->blob.len, got);
}

/* Squirrel source of exactly `len` bytes (len >= 64) whose last bytes
** matter: a comment of padding, then a call that logs "page-fill LEN"
** and ends with ')', so a program missing its last byte does not compile.
** Returns malloc'd text, or NULL when out of memory. */
static char *page_code(size_t len) {
  char tail[64];
  int n = snprintf(tail, sizeof tail, "*/ server.log(\"page-fill %zu\")",
                   len);
  char *code = malloc(len + 1);
  if (!code || n < 0 || (size_t)n + 2 > len) {
    free(code);
    return NULL;
  }
  memcpy(code, "/*", 2);
  memset(code + 2, 'p', len - 2 - (size_t)n);
  memcpy(code + len - (size_t)n, tail, (size_t)n + 1);
  return code;
}

/* The code runs now: its Log says "page-fill LEN". */
static void page_code_runs(impcert_fx *fx, size_t len, const char *when) {
  const char *got = log_after(fx, "page-fill ");
  char want[32];
  snprintf(want, sizeof want, "%zu", len);
  IMPCERT_CHECK_MSG(fx, got && strcmp(got, want) == 0,
                    "code of %zu bytes (code_page_bytes %u) %s: %s%s", len,
                    impcert_dut_code_page_bytes(fx), when,
                    got ? "logged page-fill " : "did not run",
                    got ? got : "");
}

/* REG-028 (impOS 38.x): code that fills a code page exactly must not
** crash the device. The profile declares the DUT's page (code_page_bytes,
** specs/wire.md "Code pages"); the cloud deploys code of one byte less
** than a page, a page, one byte more and two pages. Each must run at
** once, and again from flash after a power cycle, with the code hash of
** the boot that follows matching the code (nothing lost at a page's
** end). */
static void code_page_filled(impcert_fx *fx) {
  unsigned page = impcert_dut_code_page_bytes(fx);
  if (!page)
    impcert_end_at(fx, IMPCERT_SKIP, __FILE__, __LINE__,
                   "the DUT profile declares no code_page_bytes "
                   "(docs/profiles.md)");
  const size_t lens[] = {page - 1, page, page + 1, 2 * (size_t)page};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    char *code = page_code(lens[i]);
    if (!code)
      IMPCERT_ERROR_NOW(fx, "no memory for %zu bytes of code", lens[i]);
    if (i == 0) {
      deploy(fx, code);
    } else {
      /* a new deployment in the running session: steps 2-4 again */
      impcert_send_reload(fx);
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
      impcert_send_answer(fx, false, code, false);
    }
    page_code_runs(fx, lens[i], "as deployed");
    uint8_t want[32];
    impcert_sha256(code, lens[i], want);
    free(code);
    impcert_dut_power_off(fx);
    impcert_dut_power_on(fx);
    if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
      IMPCERT_FAIL_NOW(fx, "no session after a power cycle with code of "
                           "%zu bytes stored", lens[i]);
    impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
    const Impwire__CodeHash *h =
        impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)
            ->code_hash;
    IMPCERT_CHECK_MSG(fx, h->sha256.len == 32 &&
                              memcmp(h->sha256.data, want, 32) == 0,
                      "after a power cycle the code hash is not that of the "
                      "%zu bytes of code deployed (code_page_bytes %u): the "
                      "stored code changed", lens[i], page);
    impcert_send_answer(fx, true, NULL, false);
    page_code_runs(fx, lens[i], "from flash after a power cycle");
  }
}

/* The code of the proxy tests: once online it sets the proxy (port, user
** and password given), drops the session and connects again through it
** with a timeout of `secs`; then it forgets the proxy, connects directly
** and logs "proxy R1 R2": the two server.connect reasons. */
static void proxy_code(char *out, size_t cap, int port, const char *password,
                       int secs) {
  snprintf(out, cap,
           "server.setsendtimeoutpolicy(RETURN_ON_ERROR, WAIT_TIL_SENT, 10);"
           "function back(r1) {"
           "  imp.clearconfiguration(CONFIG_PROXY);"
           "  server.connect(function(r2) {"
           "    server.log(\"proxy \" + r1 + \" \" + r2); }, 10);"
           "}"
           "imp.wakeup(0.2, function() {"
           "  imp.setproxy(PROXY_TYPE_HTTP, \"127.0.0.1\", %d, \"imp\","
           "               \"%s\");"
           "  server.disconnect();"
           "  server.connect(back, %d);"
           "});",
           port, password, secs);
}

/* The session the device opens next: steps 2-3, then the code matches. */
static void reconnected(impcert_fx *fx, const char *what) {
  /* the code's server.disconnect() ends the first session */
  if (!impcert_cloud_wait_closed(fx, WAIT))
    IMPCERT_FAIL_NOW(fx, "the code's server.disconnect() did not close the "
                         "session");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_FAIL_NOW(fx, "no session %s", what);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT);
  impcert_send_answer(fx, true, NULL, false);
}

/* REG-010 (impOS 38): through an HTTP proxy (imp.setproxy) the device
** asks the proxy for a tunnel to the cloud's name and sends that name as
** SNI in the TLS handshake inside it; server.connect reports
** SERVER_CONNECTED. */
static void proxy_sni(impcert_fx *fx) {
  int port = impcert_proxy_start(fx, "imp", "s3cret");
  char code[1024];
  proxy_code(code, sizeof code, port, "s3cret", 10);
  deploy(fx, code);
  reconnected(fx, "through the proxy after imp.setproxy()");
  int st = 0;
  char line[256];
  unsigned n = impcert_proxy_last(fx, &st, line, sizeof line);
  IMPCERT_CHECK_MSG(fx, n >= 1 && st == 200,
                    "the session did not come through the proxy (%u "
                    "requests, last answered %d: '%s')", n, st, line);
  IMPCERT_CHECK_MSG(fx, strncmp(line, "CONNECT cloud.impcert.test:", 27) == 0,
                    "the proxy was asked '%s', not for the cloud's name",
                    line);
  const char *sni = impcert_cloud_sni(fx);
  IMPCERT_CHECK_MSG(fx, sni && strcmp(sni, "cloud.impcert.test") == 0,
                    "through the proxy the TLS handshake named '%s', not "
                    "cloud.impcert.test", sni ? sni : "(no SNI)");
  const char *r = log_after(fx, "proxy ");
  IMPCERT_CHECK_MSG(fx, r && strcmp(r, "5 5") == 0,
                    "server.connect through the proxy reported '%s', not "
                    "SERVER_CONNECTED (5)", r ? r : "nothing");
}

/* REG-010: a proxy that refuses the credentials (407) gives
** NOT_AUTHORISED (7); without it the device connects directly again. */
static void proxy_refused(impcert_fx *fx) {
  int port = impcert_proxy_start(fx, "imp", "s3cret");
  char code[1024];
  proxy_code(code, sizeof code, port, "wrong", 2);
  deploy(fx, code);
  reconnected(fx, "directly after CONFIG_PROXY");
  int st = 0;
  unsigned n = impcert_proxy_last(fx, &st, NULL, 0);
  IMPCERT_CHECK_MSG(fx, n >= 1 && st == 407,
                    "the proxy saw %u requests, the last answered %d, "
                    "expected 407 for the wrong password", n, st);
  const char *r = log_after(fx, "proxy ");
  IMPCERT_CHECK_MSG(fx, r && strcmp(r, "7 5") == 0,
                    "with a wrong proxy password server.connect reported "
                    "'%s', expected NOT_AUTHORISED (7), then 5 directly",
                    r ? r : "nothing");
}

/* REG-010: a proxy nobody answers at (127.0.0.1 port 1, refused) gives
** NO_PROXY (6). */
static void proxy_unreachable(impcert_fx *fx) {
  char code[1024];
  proxy_code(code, sizeof code, 1, "s3cret", 2);
  deploy(fx, code);
  reconnected(fx, "directly after CONFIG_PROXY");
  const char *r = log_after(fx, "proxy ");
  IMPCERT_CHECK_MSG(fx, r && strcmp(r, "6 5") == 0,
                    "with no proxy at the address server.connect reported "
                    "'%s', expected NO_PROXY (6), then 5 directly",
                    r ? r : "nothing");
}

static const struct impcert_case cases[] = {
    {"REG-014", "impOS 38: weak references do not crash the device",
     "REG-014", "regress,squirrel", "jig,squirrel", 0, weak_references},
    {"REG-053", "impOS 36: blob.writen() with a wrong type writes zeros",
     "REG-053", "regress,squirrel", "jig,squirrel", 0, writen_wrong_type},
    {"REG-010", "impOS 38: SNI sent through an HTTP proxy", "REG-010",
     "regress,net,proxy", "jig,squirrel,proxy", 0, proxy_sni},
    {"REG-010-AUTH", "a proxy refusing the credentials: NOT_AUTHORISED",
     "REG-010", "regress,net,proxy", "jig,squirrel,proxy", 0,
     proxy_refused},
    {"REG-010-NOPROXY", "no proxy at the address: NO_PROXY", "REG-010",
     "regress,net,proxy", "jig,squirrel,proxy", 0, proxy_unreachable},
    {"REG-028", "impOS 38.x: code filling a code page exactly runs",
     "REG-028", "regress,squirrel,store", "jig,jig-power,squirrel", 0,
     code_page_filled},
};

IMPCERT_PLUGIN("regress", cases)
