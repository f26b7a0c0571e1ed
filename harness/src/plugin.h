/*
** plugin.h: loading conformance test plugins with dlopen.
** Owns the ABI check and the refusal messages; the only module that calls
** dlopen. Knows nothing of running a case.
*/
#ifndef IMPCERT_PLUGIN_H
#define IMPCERT_PLUGIN_H

#include <impcert/impcert.h>

#include "diag.h"

struct plugin {
  char *path;
  void *handle;
  const struct impcert_plugin *info;
};

/* Load the plugin at path. Returns 0, or -1 with d naming the path and the
** reason (cannot open, no entry point, other ABI, bad case table). */
int plugin_load(const char *path, struct plugin *p, struct ic_diag *d);
void plugin_unload(struct plugin *p);

/* Load every *.so in dir, sorted by name, into a new array (*out, *n).
** A plugin that fails to load is reported on stderr and skipped, and
** *nbad counts them. Returns 0, or -1 with d if the folder cannot be read
** or holds no plugin. */
int plugin_load_dir(const char *dir, struct plugin **out, int *n, int *nbad,
                    struct ic_diag *d);
void plugin_unload_all(struct plugin *p, int n);

#endif
