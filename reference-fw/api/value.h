/*
** value.h: Squirrel values <-> impwire.Value (wire.md "Values"): what
** agent.send, agent.on, imp.configparams and the nv table carry. Nesting
** is limited to VALUE_MAX_DEPTH; instances, functions, classes and other
** values that cannot cross the wire are refused with a message.
*/
#ifndef REFIMP_API_VALUE_H
#define REFIMP_API_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "sq.h"
#include "wire.pb-c.h"

#define VALUE_MAX_DEPTH 32  /* a top-level value is depth 1 (wire.md) */

/* Convert the Squirrel value at idx into a new tree (free it with
** value_free). NULL when refused or out of memory: why (cap bytes) says
** which, e.g. "cannot send a function (at [\"cb\"])". */
Impwire__Value *value_from_sq(sq_vm *vm, int idx, char *why, size_t cap);

/* Push the Squirrel value for v. Returns SQ_OK, SQ_ERRRUN (v malformed
** or too deep: why says where) or SQ_ERRMEM. */
int value_push(sq_vm *vm, const Impwire__Value *v, char *why, size_t cap);

/* Free a tree made by value_from_sq (NULL is fine). */
void value_free(Impwire__Value *v);

/* Pack v into a new buffer (rf_free it); NULL when out of memory. */
uint8_t *value_pack(const Impwire__Value *v, size_t *n);

/* Unpack bytes made by value_pack, with the depth checked first; NULL when
** malformed or too deep (free with value_free_unpacked). */
Impwire__Value *value_unpack(const uint8_t *p, size_t n);
void value_free_unpacked(Impwire__Value *v);

/* Depth of a tree (1 for a scalar). */
int value_depth(const Impwire__Value *v);

#endif
