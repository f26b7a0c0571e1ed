/*
** dut.c: command template expansion and the DUT process.
*/
#include "dut.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 128

static const char *lookup(const struct dut_env *env, const char *name,
                          size_t n) {
  const struct {
    const char *key, *val;
  } map[] = {{"bindir", env->bindir},   {"flash", env->flash},
             {"server_name", env->server_name},
             {"server_addr", env->server_addr},
             {"ports", env->ports},     {"ca", env->ca},
             {"jig", env->jig},         {"board", env->board},
             {"cell_port", env->cell_port}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (strlen(map[i].key) == n && !strncmp(map[i].key, name, n))
      return map[i].val ? map[i].val : "";
  return NULL;
}

/* Split a template into words (single or double quotes group), expanding
** {placeholders} inside words. Fills argv with new strings. */
static int split(const char *tmpl, const struct dut_env *env, char **argv,
                 int *argc, struct ic_diag *d) {
  const char *s = tmpl;
  while (*s) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (!*s)
      break;
    if (*argc == MAX_ARGS - 1)
      return ic_fail(d, "command has more than %d words", MAX_ARGS - 1);
    size_t cap = 256, len = 0;
    char *w = ic_malloc(cap);
    char quote = 0;
    if (!w)
      return ic_fail(d, "out of memory");
    while (*s && (quote || (*s != ' ' && *s != '\t'))) {
      const char *add = s;
      size_t addn = 1;
      if (!quote && (*s == '"' || *s == '\'')) {
        quote = *s++;
        continue;
      }
      if (quote && *s == quote) {
        quote = 0;
        s++;
        continue;
      }
      if (*s == '{') {
        const char *e = strchr(s, '}');
        const char *v = e ? lookup(env, s + 1, (size_t)(e - s - 1)) : NULL;
        if (!v) {
          ic_free(w);
          return ic_fail(d, "bad placeholder near '%.20s'", s);
        }
        add = v;
        addn = strlen(v);
        s = e + 1;
      } else
        s++;
      if (len + addn + 1 > cap) {
        while (len + addn + 1 > cap)
          cap *= 2;
        char *nw = ic_realloc(w, cap);
        if (!nw) {
          ic_free(w);
          return ic_fail(d, "out of memory");
        }
        w = nw;
      }
      memcpy(w + len, add, addn);
      len += addn;
    }
    if (quote) {
      ic_free(w);
      return ic_fail(d, "unclosed %c quote in command", quote);
    }
    w[len] = '\0';
    argv[(*argc)++] = w;
  }
  argv[*argc] = NULL;
  return 0;
}

static void free_argv(char **argv, int argc) {
  for (int i = 0; i < argc; i++)
    ic_free(argv[i]);
}

static int build_argv(const struct profile *p, const struct dut_env *env,
                      char **argv, int *argc, struct ic_diag *d) {
  *argc = 0;
  if ((p->wrapper && split(p->wrapper, env, argv, argc, d) < 0) ||
      split(p->command, env, argv, argc, d) < 0) {
    free_argv(argv, *argc);
    return ic_fail(d, "%s: %s", p->path, d ? d->msg : "bad command");
  }
  if (*argc == 0)
    return ic_fail(d, "%s: the command is empty", p->path);
  return 0;
}

char *dut_command_line(const struct profile *p, const struct dut_env *env,
                       struct ic_diag *d) {
  char *argv[MAX_ARGS];
  int argc;
  if (build_argv(p, env, argv, &argc, d) < 0)
    return NULL;
  size_t n = 1;
  for (int i = 0; i < argc; i++)
    n += strlen(argv[i]) + 1;
  char *s = ic_malloc(n);
  if (s) {
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
      if (i)
        strcat(s, " ");
      strcat(s, argv[i]);
    }
  }
  free_argv(argv, argc);
  return s;
}

int dut_start(struct dut *u, const struct profile *p,
              const struct dut_env *env, const char *log_path,
              struct ic_diag *d) {
  char *argv[MAX_ARGS];
  int argc;
  if (build_argv(p, env, argv, &argc, d) < 0)
    return -1;
  int out = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    free_argv(argv, argc);
    return ic_fail(d, "%s: %s", log_path, strerror(errno));
  }
  /* A pipe closed on exec tells the parent whether exec worked. */
  int ep[2];
  if (pipe2(ep, O_CLOEXEC) < 0) {
    close(out);
    free_argv(argv, argc);
    return ic_fail(d, "pipe: %s", strerror(errno));
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(ep[0]);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
      dup2(devnull, 0);
    dup2(out, 1);
    dup2(out, 2);
    signal(SIGPIPE, SIG_DFL);
    /* the child is single-threaded: changing its environment is safe */
    if (env->clock_ms)
      setenv("IMPCERT_CLOCK_MS", env->clock_ms, 1);
    else
      unsetenv("IMPCERT_CLOCK_MS");
    if (env->wake)
      setenv("IMPCERT_WAKE", env->wake, 1);
    else
      unsetenv("IMPCERT_WAKE");
    if (env->flash_read_errors)
      setenv("IMPCERT_FLASH_READ_ERRORS", env->flash_read_errors, 1);
    else
      unsetenv("IMPCERT_FLASH_READ_ERRORS");
    if (env->pin_levels)
      setenv("IMPCERT_PIN_LEVELS", env->pin_levels, 1);
    else
      unsetenv("IMPCERT_PIN_LEVELS");
    if (env->wifi)
      setenv("IMPCERT_WIFI", env->wifi, 1);
    else
      unsetenv("IMPCERT_WIFI");
    execvp(argv[0], argv);
    int e = errno;
    if (write(ep[1], &e, sizeof e) < 0)
      _exit(127);
    _exit(127);
  }
  close(out);
  close(ep[1]);
  if (pid < 0) {
    close(ep[0]);
    free_argv(argv, argc);
    return ic_fail(d, "fork: %s", strerror(errno));
  }
  int e = 0;
  ssize_t r;
  while ((r = read(ep[0], &e, sizeof e)) < 0 && errno == EINTR)
    ;
  close(ep[0]);
  if (r == (ssize_t)sizeof e) {
    waitpid(pid, NULL, 0);
    ic_fail(d, "cannot run '%s' (profile %s): %s", argv[0], p->path,
            strerror(e));
    free_argv(argv, argc);
    return -1;
  }
  free_argv(argv, argc);
  u->pid = pid;
  u->exited = false;
  u->status = 0;
  return 0;
}

bool dut_alive(struct dut *u) {
  if (u->pid <= 0)
    return false;
  int st;
  pid_t r = waitpid(u->pid, &st, WNOHANG);
  if (r == 0)
    return true;
  if (r == u->pid) {
    u->status = st;
    u->exited = true;
  }
  u->pid = 0;
  return false;
}

void dut_kill(struct dut *u) {
  if (u->pid <= 0)
    return;
  kill(u->pid, SIGKILL);
  int st;
  while (waitpid(u->pid, &st, 0) < 0 && errno == EINTR)
    ;
  u->status = st;
  u->exited = false;
  u->pid = 0;
}

const char *dut_describe(const struct dut *u, char *buf, size_t n) {
  if (u->pid > 0)
    snprintf(buf, n, "running");
  else if (WIFEXITED(u->status))
    snprintf(buf, n, "exit status %d", WEXITSTATUS(u->status));
  else if (WIFSIGNALED(u->status))
    snprintf(buf, n, "killed by signal %d", WTERMSIG(u->status));
  else
    snprintf(buf, n, "not started");
  return buf;
}
