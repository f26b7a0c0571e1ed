/*
** diag.h: the harness's error carrier and allocation wrappers.
** A failure a person must read goes into a fixed-size ic_diag naming the
** place (file:line, frame number, plugin path); only main() exits.
*/
#ifndef IMPCERT_DIAG_H
#define IMPCERT_DIAG_H

#include <stddef.h>
#include <stdio.h>

#define IC_DIAG_SIZE 512

struct ic_diag {
  char msg[IC_DIAG_SIZE];
};

/* Format a message into d (d may be NULL). Always returns -1, so a caller
** can write `return ic_fail(d, "...")`. */
int ic_fail(struct ic_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Allocation wrappers: every harness allocation goes through these so a
** test can fail the Nth one. ic_malloc/ic_calloc/ic_strdup return NULL on
** failure; ic_xstrdup of NULL returns NULL. */
void *ic_malloc(size_t n);
void *ic_calloc(size_t n, size_t size);
void *ic_realloc(void *p, size_t n);
char *ic_strdup(const char *s);
void ic_free(void *p);

/* Make the Nth allocation from now fail (0 turns it off). Tests only. */
void ic_alloc_fail_after(unsigned long n);

/* printf into a new string the caller frees with ic_free; NULL on ENOMEM. */
char *ic_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Write s to f as a JSON string literal, quotes included (NULL: ""). */
void ic_json_str(FILE *f, const char *s);

#endif
