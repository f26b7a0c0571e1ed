/*
** refimp_json_test.c: run/json.h, the JSON reader and writer of `refimp
** run` (--send values in, agent.send values out): every kind, escapes and
** surrogate pairs, the 32-bit integer range, the depth limit, errors with
** their byte offset, key order and blobs on output.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/value.h"
#include "run/json.h"

#include "cu_main.h"

/* Parse then write back; returns the text (free it). */
static char *reparse(const char *in) {
  char why[200] = "";
  Impwire__Value *v = json_parse(in, why, sizeof why);
  if (!v) {
    fprintf(stderr, "parse of %s failed: %s\n", in, why);
    return NULL;
  }
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  json_write(f, v);
  fclose(f);
  value_free(v);
  return buf;
}

static void check_round(const char *in, const char *want) {
  char *out = reparse(in);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  if (strcmp(out, want) != 0)
    fprintf(stderr, "\n%s -> %s, want %s\n", in, out, want);
  CU_ASSERT_STRING_EQUAL(out, want);
  free(out);
}

static void kinds(void) {
  check_round("null", "null");
  check_round(" true ", "true");
  check_round("false", "false");
  check_round("-2147483648", "-2147483648");
  check_round("2147483647", "2147483647");
  check_round("2.5", "2.5");
  check_round("1e3", "1000.0");
  check_round("\"a\\\"b\\\\c\\n\\t\"", "\"a\\\"b\\\\c\\n\\t\"");
  check_round("[1, [2, []], {}]", "[1,[2,[]],{}]");
  /* keys come out sorted, so output does not follow hash order */
  check_round("{\"b\": 1, \"a\": {\"z\": null, \"y\": [true]}}",
              "{\"a\":{\"y\":[true],\"z\":null},\"b\":1}");
}

static void unicode(void) {
  char *out = reparse("\"\\u00e9\\u20ac\\ud83d\\ude00\"");
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_STRING_EQUAL(out, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
  free(out);
}

static void int_range(void) {
  char why[200];
  Impwire__Value *v = json_parse("2147483648", why, sizeof why);
  CU_ASSERT_PTR_NULL(v);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "32-bit"));
  v = json_parse("2147483648.0", why, sizeof why);
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_EQUAL(v->kind_case, IMPWIRE__VALUE__KIND_REAL);
  value_free(v);
}

/* Bad input: NULL and a message naming the byte offset. */
static void errors(void) {
  static const struct {
    const char *in, *want;
  } bad[] = {
      {"", "at byte 0: unexpected end of text"},
      {"{1}", "at byte 1: expected a string key"},
      {"[1,]", "at byte 3: unexpected character"},
      {"[1 2]", "at byte 3: expected ',' or ']'"},
      {"\"abc", "unterminated string"},
      {"\"a\\qb\"", "bad escape"},
      {"\"\\u0000\"", "\\u0000 cannot be carried"},
      {"\"\\ud83d\\u0041\"", "bad surrogate pair"},
      {"1 2", "at byte 2: text after the value"},
      {"nul", "unexpected character"},
      {"+1", "unexpected character"},
      {"{\"a\" 1}", "expected ':'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char why[200] = "";
    Impwire__Value *v = json_parse(bad[i].in, why, sizeof why);
    CU_ASSERT_PTR_NULL(v);
    if (!strstr(why, bad[i].want))
      fprintf(stderr, "\n%s: '%s' lacks '%s'\n", bad[i].in, why,
              bad[i].want);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].want));
    value_free(v);
  }
}

static void depth(void) {
  char in[128] = "", why[200];
  for (int i = 0; i < 31; i++)
    strcat(in, "[");
  strcat(in, "0");
  for (int i = 0; i < 31; i++)
    strcat(in, "]");
  Impwire__Value *v = json_parse(in, why, sizeof why);
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_EQUAL(value_depth(v), 32);
  value_free(v);
  char deeper[160];
  snprintf(deeper, sizeof deeper, "[%s]", in);
  CU_ASSERT_PTR_NULL(json_parse(deeper, why, sizeof why));
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "deeper than 32"));
}

static void blob_output(void) {
  Impwire__Value v = IMPWIRE__VALUE__INIT;
  v.kind_case = IMPWIRE__VALUE__KIND_BLOB;
  v.blob.data = (uint8_t *)"\x00\x7f\xff";
  v.blob.len = 3;
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  json_write(f, &v);
  fclose(f);
  CU_ASSERT_STRING_EQUAL(buf, "{\"blob\":\"007fff\"}");
  free(buf);
}

static const struct cu_test json_tests[] = {
    {"every kind, sorted keys", kinds},
    {"escapes and surrogate pairs", unicode},
    {"32-bit integer range", int_range},
    {"errors name the byte offset", errors},
    {"depth limit 32", depth},
    {"blobs as {\"blob\": hex}", blob_output},
    {NULL, NULL}};

static const struct cu_suite suites[] = {{"json", json_tests}};

CU_MAIN(suites)
