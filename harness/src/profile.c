/*
** profile.c: reads and checks DUT profiles (docs/profiles.md).
*/
#include "profile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1]))
    *--e = '\0';
  return s;
}

/* Parse a positive number of milliseconds. */
static int parse_ms(const char *v, unsigned *out) {
  char *end;
  errno = 0;
  unsigned long n = strtoul(v, &end, 10);
  if (errno || end == v || *end || n == 0 || n > 86400000UL)
    return -1;
  *out = (unsigned)n;
  return 0;
}

/* The capability names of specs/capabilities.md, in its table's order
** (tests/unit/harness_certify_test.c checks the two agree). */
static const char *const cap_names[] = {
    "jig",           "jig-pins",      "jig-pwm",       "jig-uart",
    "jig-i2c",       "jig-wifi",      "jig-flash-faults", "jig-bluetooth",
    "jig-app",       "jig-power",     "jig-reset",     "virtual-clock",
    "squirrel",
    "board:imp001",  "board:imp002",  "board:imp003",  "board:imp004m", "board:imp005",
    "board:imp006",  "board:impC001", "wifi",          "ethernet",
    "cellular",      "bluetooth",     "dac",           "sampler",
    "dfsdm",         "spiflash",      "os-update",     "deep-sleep",
    "nv",            "wps",           "proxy",         NULL};

const char *const *profile_cap_names(void) { return cap_names; }

bool profile_known_cap(const char *c) {
  for (int i = 0; cap_names[i]; i++)
    if (!strcmp(cap_names[i], c))
      return true;
  return false;
}

int profile_add_cap(struct profile *p, const char *cap) {
  if (profile_has(p, cap))
    return 0;
  if (p->ncaps == PROFILE_MAX_CAPS || !(p->caps[p->ncaps] = ic_strdup(cap)))
    return -1;
  p->ncaps++;
  return 0;
}

int profile_copy(struct profile *dst, const struct profile *src) {
  memset(dst, 0, sizeof *dst);
  *dst = *src;
  dst->path = ic_strdup(src->path);
  dst->name = ic_strdup(src->name);
  dst->command = ic_strdup(src->command);
  dst->wrapper = src->wrapper ? ic_strdup(src->wrapper) : NULL;
  dst->board = ic_strdup(src->board);
  bool ok = dst->path && dst->name && dst->command && dst->board &&
            (dst->wrapper || !src->wrapper);
  for (int i = 0; i < src->ncaps; i++)
    ok &= (dst->caps[i] = ic_strdup(src->caps[i])) != NULL;
  if (!ok) {
    profile_fini(dst);
    return -1;
  }
  return 0;
}

static bool is_board(const char *c) { return !strncmp(c, "board:", 6); }

/* Split a comma-separated capability list into p->caps. */
static int set_caps(struct profile *p, char *v, const char *where,
                    struct ic_diag *d) {
  for (char *tok = strtok(v, ","); tok; tok = strtok(NULL, ",")) {
    char *c = trim(tok);
    if (!profile_known_cap(c))
      return ic_fail(d, "%s: unknown capability '%s' (the names are those "
                        "of specs/capabilities.md)", where, c);
    if (profile_has(p, c))
      continue;
    for (int i = 0; i < p->ncaps; i++)
      if (is_board(c) && is_board(p->caps[i]))
        return ic_fail(d, "%s: two boards declared ('%s' and '%s'): a "
                          "device is exactly one board", where,
                       p->caps[i], c);
    if (p->ncaps == PROFILE_MAX_CAPS)
      return ic_fail(d, "%s: more than %d capabilities", where,
                     PROFILE_MAX_CAPS);
    if (!(p->caps[p->ncaps] = ic_strdup(c)))
      return ic_fail(d, "%s: out of memory", where);
    p->ncaps++;
  }
  return 0;
}

/* Store one key's value; where is "file:line" for messages. */
static int set_key(struct profile *p, const char *key, char *val,
                   const char *where, struct ic_diag *d) {
  char **str = NULL;
  if (!strcmp(key, "name"))
    str = &p->name;
  else if (!strcmp(key, "command"))
    str = &p->command;
  else if (!strcmp(key, "wrapper"))
    str = &p->wrapper;
  else if (!strcmp(key, "board"))
    str = &p->board;
  if (str) {
    if (*str)
      return ic_fail(d, "%s: '%s' given twice", where, key);
    if (!(*str = ic_strdup(val)))
      return ic_fail(d, "%s: out of memory", where);
    return 0;
  }
  if (!strcmp(key, "capabilities"))
    return set_caps(p, val, where, d);
  if (!strcmp(key, "time")) {
    if (!strcmp(val, "real"))
      p->time = PROFILE_TIME_REAL;
    else if (!strcmp(val, "virtual"))
      p->time = PROFILE_TIME_VIRTUAL;
    else
      return ic_fail(d, "%s: time must be 'real' or 'virtual', not '%s'",
                     where, val);
    return 0;
  }
  if (!strcmp(key, "network")) {
    if (!strcmp(val, "wifi"))
      p->network = PROFILE_NET_WIFI;
    else if (!strcmp(val, "cellular"))
      p->network = PROFILE_NET_CELLULAR;
    else
      return ic_fail(d, "%s: network must be 'wifi' (WiFi or Ethernet: "
                        "ports 31314, 993, 443) or 'cellular' (port "
                        "52753), not '%s'", where, val);
    return 0;
  }
  if (!strcmp(key, "startup_timeout_ms") || !strcmp(key, "test_timeout_ms")) {
    unsigned *ms = key[0] == 's' ? &p->startup_ms : &p->test_timeout_ms;
    if (parse_ms(val, ms) < 0)
      return ic_fail(d, "%s: %s must be a number of milliseconds from 1 to "
                        "86400000, not '%s'", where, key, val);
    return 0;
  }
  if (!strcmp(key, "timeout_scale")) {
    char *end;
    errno = 0;
    unsigned long n = strtoul(val, &end, 10);
    if (errno || end == val || *end || n < 1 || n > 100)
      return ic_fail(d, "%s: timeout_scale must be a whole number from 1 "
                        "to 100, not '%s'", where, val);
    p->timeout_scale = (unsigned)n;
    return 0;
  }
  if (!strcmp(key, "code_page_bytes")) {
    /* REG-028: the unit the DUT stores deployed code in (specs/wire.md
    ** "Code pages"); up to the largest code a CodeAnswer may carry */
    char *end;
    errno = 0;
    unsigned long n = strtoul(val, &end, 10);
    if (errno || end == val || *end || val[0] == '-' || n < 64 ||
        n > 65536)
      return ic_fail(d, "%s: code_page_bytes must be a whole number of "
                        "bytes from 64 to 65536, not '%s'", where, val);
    p->code_page_bytes = (unsigned)n;
    return 0;
  }
  return ic_fail(d, "%s: unknown key '%s' (see docs/profiles.md)", where,
                 key);
}

/* The placeholders a command template may use (docs/profiles.md). */
static const char *const placeholders[] = {
    "bindir", "flash", "server_name", "server_addr", "ports",
    "ca",     "jig",   "board",       "cell_port",   NULL};

static int check_template(const char *cmd, const char *where,
                          struct ic_diag *d) {
  for (const char *s = cmd; (s = strchr(s, '{')); s++) {
    const char *e = strchr(s, '}');
    if (!e)
      return ic_fail(d, "%s: unclosed '{' in command", where);
    size_t n = (size_t)(e - s - 1);
    int ok = 0;
    for (int i = 0; placeholders[i]; i++)
      if (strlen(placeholders[i]) == n && !strncmp(placeholders[i], s + 1, n))
        ok = 1;
    if (!ok)
      return ic_fail(d, "%s: unknown placeholder {%.*s} in command", where,
                     (int)n, s + 1);
  }
  return 0;
}

/* network = cellular, {cell_port} and the cellular capability go
** together: a cellular DUT is told its stand-in for 52753 through
** {cell_port}, and only the harness of a cellular profile listens there. */
static int check_network(const struct profile *p, const char *path,
                         int cmd_line, struct ic_diag *d) {
  bool cell = p->network == PROFILE_NET_CELLULAR;
  bool placeholder = strstr(p->command, "{cell_port}") != NULL;
  if (cell && !placeholder)
    return ic_fail(d, "%s:%d: network = cellular but the command has no "
                      "{cell_port}: the device could not learn the port "
                      "that stands for 52753", path, cmd_line);
  if (!cell && placeholder)
    return ic_fail(d, "%s:%d: {cell_port} in the command needs "
                      "'network = cellular' (only a cellular profile has a "
                      "port standing for 52753)", path, cmd_line);
  /* the capability without the network is a claim the cellular probe
  ** refutes (impcert certify: over-declared), so it is not refused here */
  if (cell && !profile_has(p, "cellular"))
    return ic_fail(d, "%s: network = cellular but the capability "
                      "'cellular' is not declared", path);
  return 0;
}

int profile_load(const char *path, struct profile *p, struct ic_diag *d) {
  memset(p, 0, sizeof *p);
  p->startup_ms = 5000;
  p->test_timeout_ms = 30000;
  p->timeout_scale = 1;
  FILE *f = fopen(path, "r");
  if (!f)
    return ic_fail(d, "%s: %s", path, strerror(errno));
  char line[4096], where[512];
  int lineno = 0, rc = 0, cmd_line = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    if (!strchr(line, '\n') && !feof(f)) {
      rc = ic_fail(d, "%s: line longer than %zu bytes", where,
                   sizeof line - 1);
      break;
    }
    char *s = trim(line);
    if (!*s || *s == '#')
      continue;
    char *eq = strchr(s, '=');
    if (!eq) {
      rc = ic_fail(d, "%s: expected 'key = value', got '%s'", where, s);
      break;
    }
    *eq = '\0';
    char *key = trim(s), *val = trim(eq + 1);
    if (!*val) {
      rc = ic_fail(d, "%s: '%s' has no value", where, key);
      break;
    }
    if (!strcmp(key, "command"))
      cmd_line = lineno;
    rc = set_key(p, key, val, where, d);
  }
  fclose(f);
  if (rc == 0 && !p->command)
    rc = ic_fail(d, "%s: no 'command' key: impcert cannot start the DUT",
                 path);
  if (rc == 0) {
    snprintf(where, sizeof where, "%s:%d", path, cmd_line);
    rc = check_template(p->command, where, d);
  }
  if (rc == 0)
    rc = check_network(p, path, cmd_line, d);
  if (rc == 0 && !p->name)
    p->name = ic_strdup("unnamed");
  if (rc == 0 && !p->board)
    p->board = ic_strdup("imp001");
  if (rc == 0 && !(p->path = ic_strdup(path)))
    rc = ic_fail(d, "out of memory");
  if (rc != 0)
    profile_fini(p);
  return rc;
}

void profile_fini(struct profile *p) {
  ic_free(p->path);
  ic_free(p->name);
  ic_free(p->command);
  ic_free(p->wrapper);
  ic_free(p->board);
  for (int i = 0; i < p->ncaps; i++)
    ic_free(p->caps[i]);
  memset(p, 0, sizeof *p);
}

bool profile_has(const struct profile *p, const char *cap) {
  for (int i = 0; i < p->ncaps; i++)
    if (!strcmp(p->caps[i], cap))
      return true;
  return false;
}

bool profile_missing(const struct profile *p, const char *needs, char *out,
                     size_t n) {
  const char *s = needs ? needs : "";
  while (*s) {
    while (*s == ',' || *s == ' ')
      s++;
    size_t len = strcspn(s, ", ");
    if (len) {
      snprintf(out, n, "%.*s", (int)len, s);
      /* "!cap": the test is for devices without cap (e.g. "!cellular" for
      ** the WiFi/Ethernet port order, NET-001) */
      if (out[0] == '!' ? profile_has(p, out + 1) : !profile_has(p, out))
        return true;
    }
    s += len;
  }
  return false;
}
