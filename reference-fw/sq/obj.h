/*
** obj.h: creating and inspecting values: strings (interned, str.c),
** tables (table.c), arrays, functions, classes, instances (obj.c).
** Nothing here runs Squirrel code; metamethods belong to vm.c.
*/
#ifndef REFIMP_SQ_OBJ_H
#define REFIMP_SQ_OBJ_H

#include "sqobj.h"

/* ---- obj.c: allocation of collectable objects and common helpers ---- */
/* A new object of 'size' bytes linked on the collector's list. */
void *sqobj_new(sq_vm *vm, uint8_t type, size_t size);
/* Frees one object's memory (collector and sq_close only). */
void sqobj_free(sq_vm *vm, struct gcobj *o);

struct sqarray *sqobj_newarray(sq_vm *vm, uint32_t n);
void sqobj_arraypush(sq_vm *vm, struct sqarray *a, sqval v);
void sqobj_arrayresize(sq_vm *vm, struct sqarray *a, uint32_t n, sqval fill);
void sqobj_arrayinsert(sq_vm *vm, struct sqarray *a, uint32_t i, sqval v);
void sqobj_arrayremove(struct sqarray *a, uint32_t i);

struct sqproto *sqobj_newproto(sq_vm *vm);
struct sqclosure *sqobj_newclosure(sq_vm *vm, struct sqproto *p);
struct sqnative *sqobj_newnative(sq_vm *vm, sq_native fn, struct sqstr *nm,
                                 int nparams, void *ud);
struct sqouter *sqobj_newouter(sq_vm *vm, uint32_t idx);
struct sqclass *sqobj_newclass(sq_vm *vm, struct sqclass *base);
struct sqinstance *sqobj_newinstance(sq_vm *vm, struct sqclass *c);
struct sqgen *sqobj_newgen(sq_vm *vm, struct sqclosure *cl);
struct sqweak *sqobj_newweak(sq_vm *vm, sqval target);

/* Class members: adds or replaces; a function or a static becomes a
** method, anything else a field. Returns false if the class is locked
** and the member would be a new field. */
bool sqobj_classset(sq_vm *vm, struct sqclass *c, sqval key, sqval val,
                    bool isstatic);
/* Finds a member of a class or instance: true and *out if present. */
bool sqobj_classget(struct sqclass *c, sqval key, sqval *out);
bool sqobj_instanceget(struct sqinstance *in, sqval key, sqval *out);
/* Sets an existing field of an instance; false if not a field. */
bool sqobj_instanceset(struct sqinstance *in, sqval key, sqval val);

/* Raw equality (== without coercion except int/float). */
bool sqobj_rawequal(sqval a, sqval b);
/* typeof name without metamethods. */
const char *sqobj_typename(sqval v);
/* tostring without metamethods: numbers, "null", "(table : 0x...)". */
struct sqstr *sqobj_tostring(sq_vm *vm, sqval v);
/* Formats a float the way Squirrel's tostring does ("%g"). */
int sqobj_fmtfloat(char *buf, size_t n, float f);
/* Decimal text of an integer into buf (12 bytes at least, NUL added);
** returns its length. */
int sqobj_fmtint(char *buf, int32_t i);

/* ---- str.c: interned strings ---- */
struct sqstr *sqstr_new(sq_vm *vm, const char *s, size_t len);
struct sqstr *sqstr_newc(sq_vm *vm, const char *s);
/* The interned concatenation of two byte runs. */
struct sqstr *sqstr_concat(sq_vm *vm, const char *a, size_t an,
                           const char *b, size_t bn);
void sqstr_unlink(sq_vm *vm, struct sqstr *s);   /* collector only */
void sqstr_init(sq_vm *vm);
uint32_t sqstr_hash(const char *s, size_t len);

/* ---- table.c: hash tables in insertion order ---- */
struct sqtable *sqtab_new(sq_vm *vm, uint32_t n);
sqval *sqtab_find(const struct sqtable *t, sqval key);
bool sqtab_get(const struct sqtable *t, sqval key, sqval *out);
void sqtab_set(sq_vm *vm, struct sqtable *t, sqval key, sqval val);
bool sqtab_delete(struct sqtable *t, sqval key, sqval *out);
/* Iteration: it starts at 0; returns the next iterator or -1. */
int sqtab_next(const struct sqtable *t, int it, sqval *k, sqval *v);
void sqtab_clear(sq_vm *vm, struct sqtable *t);
void sqtab_freeparts(sq_vm *vm, struct sqtable *t);
uint32_t sqtab_hash(sqval v);

#endif
