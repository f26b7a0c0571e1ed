/*
** retained.h: what a deep sleep keeps in retained RAM (seeds/003: the RTC
** and the nv table survive sleep, not power loss) and its byte format.
** Knows nothing of where the bytes live (hal_retained_*).
*/
#ifndef REFIMP_CORE_RETAINED_H
#define REFIMP_CORE_RETAINED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RETAINED_NV_MAX 4096u
#define RETAINED_HDR 34u /* magic..nv_len */
#define RETAINED_MAX (RETAINED_HDR + RETAINED_NV_MAX + 4u)

struct retained {
  bool rtc_set;
  uint64_t rtc_unix_ms;   /* the RTC at slept_at */
  uint64_t slept_at;      /* device time the sleep began */
  uint64_t wake_at;       /* device time the timer fires */
  bool wake_pin;          /* the wake pin may end the sleep */
  bool snooze;            /* the SUSPEND_ON_ERROR back-off: the timer
                             wake is WAKEREASON_SNOOZE [WAKE-011] */
  uint32_t nv_len;        /* packed impwire.Value of nv; 0: no nv */
  uint8_t nv[RETAINED_NV_MAX];
};

/* Encode r into out (RETAINED_MAX bytes); returns the length. */
size_t retained_encode(const struct retained *r, uint8_t *out);

/* Decode n bytes; false (r untouched) if they are not a whole record
** with a good checksum. */
bool retained_decode(const uint8_t *in, size_t n, struct retained *r);

#endif
