/*
** json.h: JSON text <-> impwire.Value for `refimp run`: --send NAME=JSON
** values in, agent.send/agent.on values out (docs/refimp-run.md).
*/
#ifndef REFIMP_RUN_JSON_H
#define REFIMP_RUN_JSON_H

#include <stdio.h>

#include "wire.pb-c.h"

/* Parse the whole of text (NUL-terminated) into a Value tree (free it
** with value_free from api/value.h). NULL on bad input: why (cap bytes)
** names the byte offset and what was wrong. Depth is limited to 32. */
Impwire__Value *json_parse(const char *text, char *why, size_t cap);

/* Write v as JSON on f. Blobs are {"blob":"<hex>"}; table keys that are
** not strings are written as their JSON text inside a string. */
void json_write(FILE *f, const Impwire__Value *v);

/* Write s (len bytes) as a JSON string on f. */
void json_write_string(FILE *f, const char *s, size_t len);

#endif
