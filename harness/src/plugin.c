/*
** plugin.c: dlopen, the entry point, the ABI check and a sanity check of
** every case a plugin declares.
*/
#include "plugin.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check the case table; a broken one is refused as a whole. */
static int check_cases(const struct impcert_plugin *info, const char *path,
                       struct ic_diag *d) {
  if (!info->name || !*info->name)
    return ic_fail(d, "%s: plugin has no name", path);
  if (!info->cases || info->ncases == 0)
    return ic_fail(d, "%s: plugin '%s' declares no test cases", path,
                   info->name);
  for (size_t i = 0; i < info->ncases; i++) {
    const struct impcert_case *c = &info->cases[i];
    if (!c->id || !*c->id || !c->run || !c->title)
      return ic_fail(d, "%s: case %zu of plugin '%s' lacks an id, title or "
                        "run function", path, i + 1, info->name);
    for (size_t k = 0; k < i; k++)
      if (!strcmp(info->cases[k].id, c->id))
        return ic_fail(d, "%s: case id '%s' appears twice", path, c->id);
  }
  return 0;
}

int plugin_load(const char *path, struct plugin *p, struct ic_diag *d) {
  memset(p, 0, sizeof *p);
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h)
    return ic_fail(d, "%s: cannot load: %s", path, dlerror());
  const struct impcert_plugin *(*entry)(void);
  *(void **)&entry = dlsym(h, "impcert_plugin_entry");
  if (!entry) {
    dlclose(h);
    return ic_fail(d, "%s: not an impcert plugin: no impcert_plugin_entry() "
                      "(define it with IMPCERT_PLUGIN)", path);
  }
  const struct impcert_plugin *info = entry();
  if (!info) {
    dlclose(h);
    return ic_fail(d, "%s: impcert_plugin_entry() returned NULL", path);
  }
  if (info->abi != IMPCERT_ABI_VERSION) {
    unsigned abi = info->abi;
    dlclose(h);
    return ic_fail(d, "%s: built for plugin ABI %u, this impcert speaks ABI "
                      "%u: rebuild it against this SDK", path, abi,
                   IMPCERT_ABI_VERSION);
  }
  if (check_cases(info, path, d) < 0) {
    dlclose(h);
    return -1;
  }
  if (!(p->path = ic_strdup(path))) {
    dlclose(h);
    return ic_fail(d, "out of memory");
  }
  p->handle = h;
  p->info = info;
  return 0;
}

void plugin_unload(struct plugin *p) {
  if (p->handle)
    dlclose(p->handle);
  ic_free(p->path);
  memset(p, 0, sizeof *p);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int plugin_load_dir(const char *dir, struct plugin **out, int *n, int *nbad,
                    struct ic_diag *d) {
  *out = NULL;
  *n = *nbad = 0;
  DIR *dh = opendir(dir);
  if (!dh)
    return ic_fail(d, "%s: cannot read the plugin folder", dir);
  char **names = NULL;
  size_t nn = 0;
  struct dirent *e;
  while ((e = readdir(dh))) {
    size_t len = strlen(e->d_name);
    if (len < 4 || strcmp(e->d_name + len - 3, ".so"))
      continue;
    char **nb = ic_realloc(names, (nn + 1) * sizeof *names);
    char *path = ic_asprintf("%s/%s", dir, e->d_name);
    if (!nb || !path) {
      ic_free(path);
      names = nb ? nb : names;
      for (size_t i = 0; i < nn; i++)
        ic_free(names[i]);
      ic_free(names);
      closedir(dh);
      return ic_fail(d, "out of memory");
    }
    names = nb;
    names[nn++] = path;
  }
  closedir(dh);
  if (nn)
    qsort(names, nn, sizeof *names, by_name);
  struct plugin *ps = nn ? ic_calloc(nn, sizeof *ps) : NULL;
  for (size_t i = 0; i < nn; i++) {
    struct ic_diag pd;
    if (ps && plugin_load(names[i], &ps[*n], &pd) == 0)
      (*n)++;
    else {
      fprintf(stderr, "impcert: %s\n", ps ? pd.msg : "out of memory");
      (*nbad)++;
    }
    ic_free(names[i]);
  }
  ic_free(names);
  if (*n == 0) {
    ic_free(ps);
    return ic_fail(d, "%s: no usable plugin (*.so) found", dir);
  }
  *out = ps;
  return 0;
}

void plugin_unload_all(struct plugin *p, int n) {
  for (int i = 0; i < n; i++)
    plugin_unload(&p[i]);
  ic_free(p);
}
