/*
** refimp_sendbuf_test.c: the send buffer (core/sendbuf.h): the limit and
** the free space the WOULDBLOCK check counts (SEND-013, SEND-014), FIFO
** order across partial sends and compaction, the oversized frame taken
** only into an empty buffer, a limit that grows (SEND-021), clearing.
*/
#include <string.h>

#include "core/sendbuf.h"

#include "cu_main.h"

static void fill(uint8_t *p, size_t n, uint8_t first) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(first + i);
}

static void test_limit_and_free(void) {
  struct sendbuf sb;
  uint8_t a[1000];
  fill(a, sizeof a, 0);
  sendbuf_init(&sb, 3456);
  CU_ASSERT_EQUAL(sendbuf_free(&sb), 3456);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, a, 1000, false), RF_OK);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, a, 1000, false), RF_OK);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, a, 1000, false), RF_OK);
  CU_ASSERT_EQUAL(sendbuf_used(&sb), 3000);
  CU_ASSERT_EQUAL(sendbuf_free(&sb), 456);
  /* data already waiting counts (SEND-014): 1000 more do not fit */
  CU_ASSERT_FALSE(sendbuf_fits(&sb, 1000));
  CU_ASSERT_EQUAL(sendbuf_push(&sb, a, 1000, false), RF_EAGAIN);
  CU_ASSERT_EQUAL(sendbuf_used(&sb), 3000); /* nothing taken */
  CU_ASSERT_TRUE(sendbuf_fits(&sb, 456));
  CU_ASSERT_FALSE(sendbuf_fits(&sb, 457));
  sendbuf_fini(&sb);
}

static void test_fifo_across_partial_sends(void) {
  struct sendbuf sb;
  uint8_t a[300], b[300], out[600];
  size_t got = 0, n;
  fill(a, sizeof a, 1);
  fill(b, sizeof b, 101);
  sendbuf_init(&sb, 400);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, a, 300, false), RF_OK);
  const uint8_t *p = sendbuf_peek(&sb, &n);
  CU_ASSERT_EQUAL_FATAL(n, 300);
  memcpy(out, p, 250); /* the socket took 250 bytes */
  sendbuf_consume(&sb, 250);
  got = 250;
  CU_ASSERT_EQUAL(sendbuf_free(&sb), 350);
  /* b goes after the 50 waiting bytes (moved to the front) */
  CU_ASSERT_EQUAL(sendbuf_push(&sb, b, 300, false), RF_OK);
  p = sendbuf_peek(&sb, &n);
  CU_ASSERT_EQUAL_FATAL(n, 350);
  memcpy(out + got, p, n);
  sendbuf_consume(&sb, n);
  CU_ASSERT_EQUAL(memcmp(out, a, 300), 0);
  CU_ASSERT_EQUAL(memcmp(out + 300, b, 300), 0);
  CU_ASSERT_PTR_NULL(sendbuf_peek(&sb, &n));
  CU_ASSERT_EQUAL(n, 0);
  sendbuf_fini(&sb);
}

static void test_oversized_only_when_empty(void) {
  struct sendbuf sb;
  uint8_t big[5000], small[10];
  size_t n;
  fill(big, sizeof big, 7);
  fill(small, sizeof small, 0);
  sendbuf_init(&sb, 3456);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, small, 10, false), RF_OK);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, big, 5000, false), RF_EAGAIN);
  sendbuf_consume(&sb, 10);
  CU_ASSERT_TRUE(sendbuf_fits(&sb, 5000));
  CU_ASSERT_EQUAL(sendbuf_push(&sb, big, 5000, false), RF_OK);
  CU_ASSERT_EQUAL(sendbuf_free(&sb), 0);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, small, 1, false), RF_EAGAIN);
  const uint8_t *p = sendbuf_peek(&sb, &n);
  CU_ASSERT_EQUAL(n, 5000);
  CU_ASSERT_EQUAL(memcmp(p, big, 5000), 0);
  /* forced frames ignore the limit */
  CU_ASSERT_EQUAL(sendbuf_push(&sb, small, 10, true), RF_OK);
  CU_ASSERT_EQUAL(sendbuf_used(&sb), 5010);
  sendbuf_fini(&sb);
}

static void test_limit_grows_and_clear(void) {
  struct sendbuf sb;
  uint8_t a[4000];
  fill(a, sizeof a, 3);
  sendbuf_init(&sb, 3456);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, a, 3000, false), RF_OK);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, a, 3000, false), RF_EAGAIN);
  sendbuf_set_limit(&sb, 8192);
  CU_ASSERT_EQUAL(sendbuf_free(&sb), 5192);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, a, 3000, false), RF_OK);
  CU_ASSERT_EQUAL(sendbuf_used(&sb), 6000);
  sendbuf_clear(&sb);
  CU_ASSERT_EQUAL(sendbuf_used(&sb), 0);
  CU_ASSERT_EQUAL(sendbuf_free(&sb), 8192);
  CU_ASSERT_EQUAL(sendbuf_push(&sb, NULL, 0, false), RF_OK);
  sendbuf_fini(&sb);
}

/* Many pushes and partial consumes: the bytes come out in order and the
** allocation never exceeds the limit (frames smaller than it). */
static void test_stream_order_and_bound(void) {
  struct sendbuf sb;
  uint8_t chunk[97], out[97];
  uint32_t next_in = 0, next_out = 0;
  sendbuf_init(&sb, 1000);
  for (int round = 0; round < 2000; round++) {
    for (size_t i = 0; i < sizeof chunk; i++)
      chunk[i] = (uint8_t)(next_in + i);
    if (sendbuf_push(&sb, chunk, sizeof chunk, false) == RF_OK)
      next_in += sizeof chunk;
    size_t n;
    const uint8_t *p = sendbuf_peek(&sb, &n);
    size_t take = (size_t)(round * 37 % 150);
    if (take > n)
      take = n;
    if (take > sizeof out)
      take = sizeof out;
    if (take) {
      memcpy(out, p, take);
      for (size_t i = 0; i < take; i++)
        CU_ASSERT_EQUAL_FATAL(out[i], (uint8_t)(next_out + i));
      next_out += (uint32_t)take;
      sendbuf_consume(&sb, take);
    }
    CU_ASSERT_FATAL(sb.cap <= 1000);
  }
  CU_ASSERT(next_out > 50000);
  sendbuf_fini(&sb);
}

static const struct cu_test tests[] = {
  { "limit and free space count waiting data", test_limit_and_free },
  { "FIFO across partial sends", test_fifo_across_partial_sends },
  { "an oversized frame only into an empty buffer",
    test_oversized_only_when_empty },
  { "a growing limit, clear", test_limit_grows_and_clear },
  { "stream order and memory bound", test_stream_order_and_bound },
  { NULL, NULL }
};

static const struct cu_suite suites[] = {
  { "refimp send buffer", tests },
};

CU_MAIN(suites)
