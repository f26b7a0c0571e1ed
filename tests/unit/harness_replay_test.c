/*
** harness_replay_test.c: replay.c without a DUT: a capture written with
** appcap becomes the right steps (sessions and their ports, both
** directions, who closed, power cuts, a device that stopped), and the
** .expect parser accepts its three line forms and names file:line for
** anything else.
*/
#include "cu_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "replay.h"
#include "wiremsg.h"

/* A temporary file path, created empty. */
static void temp_path(char *buf, const char *tmpl) {
  strcpy(buf, tmpl);
  int fd = mkstemp(buf);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
}

/* Frame a wire message of kind c (Reload or Restart carry no fields). */
static uint8_t *frame_of(Impwire__Envelope__MsgCase c, size_t *n) {
  Impwire__Reload r = IMPWIRE__RELOAD__INIT;
  Impwire__Restart rs = IMPWIRE__RESTART__INIT;
  Impwire__Envelope e = IMPWIRE__ENVELOPE__INIT;
  e.msg_case = c;
  if (c == IMPWIRE__ENVELOPE__MSG_RELOAD)
    e.reload = &r;
  else
    e.restart = &rs;
  return wiremsg_frame(&e.base, 1024, n);
}

static uint8_t *hello_frame(size_t *n) {
  Impjig__Hello h = IMPJIG__HELLO__INIT;
  h.board = "imp001";
  h.os_version = "1";
  Impjig__JigEnvelope e = IMPJIG__JIG_ENVELOPE__INIT;
  e.msg_case = IMPJIG__JIG_ENVELOPE__MSG_HELLO;
  e.hello = &h;
  return wiremsg_frame(&e.base, 1024, n);
}

/* Every step's text, one a line, into out. */
static void steps_text(const struct replay_script *s, char *out, size_t cap) {
  char line[512];
  size_t o = 0;
  out[0] = '\0';
  for (size_t i = 1; i <= replay_steps(s); i++)
    o += (size_t)snprintf(out + o, cap - o, "%s\n",
                          replay_step_text(s, i, line, sizeof line));
}

static void test_steps_from_capture(void) {
  char path[64];
  temp_path(path, "/tmp/harness_replay_testXXXXXX");
  struct ic_diag d = {""};
  struct appcap *a = appcap_open(path, &d);
  CU_ASSERT_FATAL(a != NULL);
  size_t nr, ns, nh;
  uint8_t *reload = frame_of(IMPWIRE__ENVELOPE__MSG_RELOAD, &nr);
  uint8_t *restart = frame_of(IMPWIRE__ENVELOPE__MSG_RESTART, &ns);
  uint8_t *hello = hello_frame(&nh);
  appcap_frame(a, APPCAP_JIG, true, hello, nh);   /* 1 D->J Hello */
  appcap_session(a, 1);                           /* 2 session on 993 */
  appcap_frame(a, APPCAP_WIRE, false, reload, nr); /* 3 C->D */
  appcap_frame(a, APPCAP_WIRE, true, restart, ns); /* 4 D->C */
  appcap_end(a, APPCAP_WIRE, APPCAP_BY_DEVICE);   /* 5 device closes */
  appcap_end(a, APPCAP_JIG, APPCAP_POWER_CUT);    /* 6 power cut */
  appcap_frame(a, APPCAP_JIG, true, hello, nh);   /* 7 D->J again */
  appcap_end(a, APPCAP_JIG, APPCAP_BY_DEVICE);    /* 8 device stops */
  appcap_session(a, 2);                           /* 9 session on 443 */
  appcap_end(a, APPCAP_WIRE, APPCAP_BY_HARNESS);  /* 10 cloud closes */
  appcap_close(a);
  ic_free(reload);
  ic_free(restart);
  ic_free(hello);

  struct replay_script *s = replay_load(path, &d);
  CU_ASSERT_FATAL(s != NULL);
  CU_ASSERT_EQUAL(replay_steps(s), 10);
  char text[4096];
  steps_text(s, text, sizeof text);
  static const char *const want[] = {
      "D->J  Hello{board=\"imp001\"",   "device opens a session on port 993",
      "C->D  Reload{}",                 "D->C  Restart{}",
      "device closes the session",      "power cut",
      "D->J  Hello",                    "device closes the jig (stops)",
      "device opens a session on port 443", "cloud closes the session"};
  const char *p = text;
  for (size_t i = 0; i < 10; i++) {
    const char *hit = strstr(p, want[i]);
    CU_ASSERT_PTR_NOT_NULL(hit);
    if (!hit) {
      printf("\nstep %zu: want '%s' in\n%s", i + 1, want[i], text);
      break;
    }
    p = strchr(hit, '\n');
  }
  replay_free(s);
  unlink(path);
}

static void test_bad_captures(void) {
  char path[64];
  temp_path(path, "/tmp/harness_replay_testXXXXXX");
  struct ic_diag d = {""};
  /* Not a pcap: named with offset 0. */
  FILE *f = fopen(path, "w");
  fputs("hello", f);
  fclose(f);
  CU_ASSERT_PTR_NULL(replay_load(path, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "offset 0"));
  /* A pcap with an undecodable frame: the packet and its offset. */
  struct appcap *a = appcap_open(path, &d);
  CU_ASSERT_FATAL(a != NULL);
  uint8_t junk[] = {0, 0, 0, 3, 0xff, 0xff, 0xff};
  appcap_frame(a, APPCAP_WIRE, true, junk, sizeof junk);
  appcap_close(a);
  CU_ASSERT_PTR_NULL(replay_load(path, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "packet 4 at byte offset"));
  /* An empty pcap: nothing to replay. */
  a = appcap_open(path, &d);
  appcap_close(a);
  CU_ASSERT_PTR_NULL(replay_load(path, &d));
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "no impcert conversation"));
  unlink(path);
}

/* Write text to a new .expect file and parse it. */
static int parse(const char *text, struct replay_expect *e,
                 struct ic_diag *d) {
  char path[64];
  temp_path(path, "/tmp/harness_replay_expXXXXXX");
  FILE *f = fopen(path, "w");
  fputs(text, f);
  fclose(f);
  int r = replay_expect_load(path, e, d);
  unlink(path);
  return r;
}

static void test_expect_file(void) {
  struct replay_expect e;
  struct ic_diag d = {""};
  CU_ASSERT_EQUAL(parse("# c\n\nmatch\n", &e, &d), 0);
  CU_ASSERT_EQUAL(e.diverge_step, 0);
  CU_ASSERT_EQUAL(parse("needs: squirrel, deep-sleep\n"
                        "diverge at step 12: device_state.wake_reason\n",
                        &e, &d), 0);
  CU_ASSERT_EQUAL(e.diverge_step, 12);
  CU_ASSERT_STRING_EQUAL(e.what, "device_state.wake_reason");
  CU_ASSERT_STRING_EQUAL(e.needs, "squirrel, deep-sleep");
  CU_ASSERT_EQUAL(parse("match\nmatch\n", &e, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "found 2"));
  CU_ASSERT_EQUAL(parse("# only a comment\n", &e, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "found 0"));
  CU_ASSERT_EQUAL(parse("match\nmaybe\n", &e, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, ":2: expected 'match'"));
  CU_ASSERT_EQUAL(parse("diverge at step 0: kind\n", &e, &d), -1);
  CU_ASSERT_EQUAL(parse("diverge at step 3: two words\n", &e, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, ":1: "));
  CU_ASSERT_EQUAL(replay_expect_load("/nonexistent/x.expect", &e, &d), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(d.msg, "/nonexistent/x.expect"));
}

static const struct cu_test tests[] = {
    {"a capture becomes steps", test_steps_from_capture},
    {"bad captures are named", test_bad_captures},
    {"the .expect file", test_expect_file},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"replay", tests}};

CU_MAIN(suites)
