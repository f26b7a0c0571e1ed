/*
** main.c: refimp's main: the command line, the POSIX board's setup, the
** main loop (hal_now_ms once per turn, boot_step, hal_wait_event) and the
** one place that exits. Exit status: 0 clean stop (SIGTERM/SIGINT, --help,
** --version), 1 the board failed (flash, jig socket), 2 usage error,
** 3 deep sleep under a jig.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "core/boot.h"
#include "core/ident.h"
#include "hal/hal.h"
#include "hal/posix/hal_posix.h"
#include "api/app.h"
#include "run/run.h"

#define REFIMP_VERSION "0.1"
#define DEFAULT_OS_VERSION "38.0 refimp " REFIMP_VERSION
#define DEFAULT_BOARD "imp001"
/* [NET-002] seeds/003: a cellular imp talks to the cloud on 52753 */
#define CELL_PORT 52753
#define CELL_PORT_TEXT "52753"

enum exit_code {
  EXIT_CLEAN = 0, EXIT_BOARD = 1, EXIT_USAGE = 2,
  EXIT_ASLEEP = 3 /* deep sleep under a jig: the harness wakes us */
};

/* Every option, once: parsing and --help both read this table. */
enum opt_id {
  OPT_FLASH, OPT_SERVER_NAME, OPT_SERVER_ADDR, OPT_PORTS, OPT_CA, OPT_JIG,
  OPT_BOARD, OPT_CELL_PORT, OPT_MAC, OPT_OS_VERSION, OPT_TIME, OPT_NO_ETHERNET,
  OPT_NO_WIFI, OPT_HELP, OPT_VERSION, OPT_COUNT
};

struct opt {
  const char *name;
  const char *arg;      /* NULL: a flag */
  bool required;
  const char *help;
};

static const struct opt opts[OPT_COUNT] = {
    [OPT_FLASH] = {"--flash", "DIR", true,
                   "flash folder (DIR/flash.bin); created if missing, "
                   "empty = factory state"},
    [OPT_SERVER_NAME] = {"--server-name", "HOST", true,
                         "server name: TLS SNI and certificate name"},
    [OPT_SERVER_ADDR] = {"--server-addr", "ADDR", true,
                         "numeric IPv4 or IPv6 address to connect to"},
    [OPT_PORTS] = {"--ports", "P1[,P2,...]", true,
                   "ports to try in order (at most 8)"},
    [OPT_CA] = {"--ca", "FILE", true,
                "CA certificate(s) (PEM) the server is checked against"},
    [OPT_JIG] = {"--jig", "SOCKETPATH", false,
                 "Unix socket of the test jig (default: no jig)"},
    [OPT_BOARD] = {"--board", "TYPE", false,
                   "imp001 imp002 imp003 imp004m imp005 impC001 "
                   "(default " DEFAULT_BOARD ")"},
    [OPT_CELL_PORT] = {"--cell-port", "PORT", false,
                       "the port a cellular board (impC001) dials instead "
                       "of --ports (default " CELL_PORT_TEXT ")"},
    [OPT_MAC] = {"--mac", "12HEX", false,
                 "factory MAC at first boot (default " IDENT_OUI
                 " + 6 random hex digits)"},
    [OPT_OS_VERSION] = {"--os-version", "STRING", false,
                        "OS version reported (default \"" DEFAULT_OS_VERSION
                        "\")"},
    [OPT_TIME] = {"--time", "real|virtual", false,
                  "device time: real (default) or virtual (driven by the "
                  "jig)"},
    [OPT_NO_ETHERNET] = {"--no-ethernet", NULL, false,
                         "imp005 built without an Ethernet PHY (NET-026)"},
    [OPT_NO_WIFI] = {"--no-wifi", NULL, false,
                     "imp005 built without a WiFi antenna (NET-026)"},
    [OPT_HELP] = {"--help", NULL, false, "print this help and exit"},
    [OPT_VERSION] = {"--version", NULL, false, "print the version and exit"},
};

static const char *const boards[] = {"imp001", "imp002",  "imp003",
                                     "imp004m", "imp005", "impC001"};

static void usage(FILE *f) {
  fprintf(f, "usage: refimp");
  for (int i = 0; i < OPT_COUNT; i++) {
    const struct opt *o = &opts[i];
    if (!o->arg)
      continue;
    fprintf(f, o->required ? " %s %s" : " [%s %s]", o->name, o->arg);
  }
  fprintf(f, " [--no-ethernet] [--no-wifi] [--help] [--version]\n\n");
  for (int i = 0; i < OPT_COUNT; i++)
    fprintf(f, "  %-14s %-12s %s\n", opts[i].name,
            opts[i].arg ? opts[i].arg : "", opts[i].help);
}

static int usage_error(const char *opt, const char *fmt, const char *val) {
  fprintf(stderr, "refimp: %s: ", opt);
  fprintf(stderr, fmt, val);
  fprintf(stderr, "\nrefimp: try refimp --help\n");
  return EXIT_USAGE;
}

/* "31314,993,443" into cfg->ports. */
static bool parse_ports(const char *s, struct boot_config *cfg) {
  cfg->nports = 0;
  for (const char *p = s;;) {
    char *end;
    if (*p < '0' || *p > '9')
      return false;
    unsigned long v = strtoul(p, &end, 10);
    if (v < 1 || v > 65535 || cfg->nports == BOOT_MAX_PORTS ||
        (*end != ',' && *end != '\0'))
      return false;
    cfg->ports[cfg->nports++] = (uint16_t)v;
    if (*end == '\0')
      return true;
    p = end + 1;
  }
}

/* A decimal number of at most 19 digits (fits uint64_t). */
static bool parse_u64(const char *s, uint64_t *out) {
  uint64_t v = 0;
  size_t n = strlen(s);
  if (n == 0 || n > 19)
    return false;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return true;
}

/* [BOOT-021] IMPCERT_PIN_LEVELS: the pins the jig holds when the power
** comes, "pin1=0,pinA=1" (jig.md "Pins"). At most 8; names of at most
** 15 characters, levels 0 or 1. The names point into the environment
** (or a copy kept here), which outlives the boot. */
#define HELD_PINS_MAX 8
static struct boot_pin_level held_pins[HELD_PINS_MAX];
static char held_text[HELD_PINS_MAX * 20];

static bool parse_pin_levels(const char *s, struct boot_config *cfg) {
  size_t n = 0;
  if (strlen(s) >= sizeof(held_text))
    return false;
  memcpy(held_text, s, strlen(s) + 1);
  for (char *p = held_text; *p;) {
    char *end = strchr(p, ',');
    if (end)
      *end = '\0';
    char *eq = strchr(p, '=');
    if (!eq || eq == p || eq - p > 15 || n == HELD_PINS_MAX ||
        !(strcmp(eq + 1, "0") == 0 || strcmp(eq + 1, "1") == 0))
      return false;
    *eq = '\0';
    held_pins[n].pin = p;
    held_pins[n++].level = eq[1] - '0';
    if (!end)
      break;
    p = end + 1;
    if (!*p)
      return false; /* a trailing comma */
  }
  cfg->held_pins = held_pins;
  cfg->nheld_pins = n;
  return true;
}

/* The boards that reach the cloud over cellular, with no WiFi radio
** (specs/capabilities.md "Boards"). */
static bool cellular_board(const char *b) {
  return b && strcmp(b, "impC001") == 0;
}

/* [NET-002] A cellular board dials the cellular port alone, never the
** WiFi/Ethernet ports 31314, 993, 443 of --ports. */
static int cellular_ports(const char *const val[OPT_COUNT],
                          struct boot_config *cfg) {
  uint16_t port = CELL_PORT;
  if (val[OPT_CELL_PORT]) {
    uint64_t v = 0;
    if (!parse_u64(val[OPT_CELL_PORT], &v) || v < 1 || v > 65535)
      return usage_error("--cell-port", "'%s' is not a port (1..65535)",
                         val[OPT_CELL_PORT]);
    port = (uint16_t)v;
  }
  if (!cellular_board(val[OPT_BOARD])) {
    if (val[OPT_CELL_PORT])
      return usage_error("--cell-port", "%s", "only a cellular board "
                         "(impC001) dials the cellular port");
    return EXIT_CLEAN;
  }
  cfg->ports[0] = port;
  cfg->nports = 1;
  cfg->cellular = true;
  return EXIT_CLEAN;
}

static bool known_board(const char *b) {
  for (size_t i = 0; i < sizeof(boards) / sizeof(boards[0]); i++)
    if (strcmp(b, boards[i]) == 0)
      return true;
  return false;
}

/* Check each option's value; returns EXIT_CLEAN or EXIT_USAGE. */
static int check_values(const char *const val[OPT_COUNT],
                        struct boot_config *cfg) {
  char mac[13];
  for (int i = 0; i < OPT_COUNT; i++)
    if (opts[i].required && !val[i])
      return usage_error(opts[i].name, "%s", "missing (it is required)");
  if (!parse_ports(val[OPT_PORTS], cfg))
    return usage_error("--ports", "'%s' is not a list of 1 to 8 ports "
                       "(1..65535) separated by commas", val[OPT_PORTS]);
  if (!val[OPT_SERVER_NAME][0])
    return usage_error("--server-name", "%s", "empty");
  if (!val[OPT_SERVER_ADDR][0])
    return usage_error("--server-addr", "%s", "empty");
  if (val[OPT_BOARD] && !known_board(val[OPT_BOARD]))
    return usage_error("--board", "unknown board '%s'", val[OPT_BOARD]);
  int rc = cellular_ports(val, cfg);
  if (rc != EXIT_CLEAN)
    return rc;
  if (val[OPT_MAC] && !ident_parse_mac(val[OPT_MAC], mac))
    return usage_error("--mac", "'%s' is not 12 hex digits", val[OPT_MAC]);
  if (val[OPT_TIME] && strcmp(val[OPT_TIME], "real") != 0 &&
      strcmp(val[OPT_TIME], "virtual") != 0)
    return usage_error("--time", "'%s' is neither real nor virtual",
                       val[OPT_TIME]);
  /* [NET-026] an imp005's design may leave out either interface, not
  ** both (seeds/001); the other boards' interfaces are fixed */
  bool imp005 = val[OPT_BOARD] && strcmp(val[OPT_BOARD], "imp005") == 0;
  if ((val[OPT_NO_ETHERNET] || val[OPT_NO_WIFI]) && !imp005)
    return usage_error(val[OPT_NO_ETHERNET] ? "--no-ethernet" : "--no-wifi",
                       "%s", "only an imp005 (--board imp005) may leave "
                       "out an interface");
  if (val[OPT_NO_ETHERNET] && val[OPT_NO_WIFI])
    return usage_error("--no-wifi", "%s", "with --no-ethernet the imp005 "
                       "would have no network interface at all");
  cfg->no_ethernet = val[OPT_NO_ETHERNET] != NULL;
  cfg->no_wifi = val[OPT_NO_WIFI] != NULL;
  cfg->server_name = val[OPT_SERVER_NAME];
  cfg->server_addr = val[OPT_SERVER_ADDR];
  cfg->board = val[OPT_BOARD] ? val[OPT_BOARD] : DEFAULT_BOARD;
  cfg->os_version =
      val[OPT_OS_VERSION] ? val[OPT_OS_VERSION] : DEFAULT_OS_VERSION;
  cfg->mac = val[OPT_MAC];
  /* the jig features refimp offers (Hello.features, CAP-002); the
  ** imp004m adds its Bluetooth radio's peer (jig.md "Bluetooth") */
  static const char *const features[] = {
      "jig-app", "jig-pins", "jig-pwm", "jig-flash-faults", "jig-uart",
      "jig-i2c", "jig-wifi", "virtual-clock"};
  static const char *const features_bt[] = {
      "jig-app", "jig-pins", "jig-pwm", "jig-flash-faults", "jig-uart",
      "jig-i2c", "jig-wifi", "jig-bluetooth", "virtual-clock"};
  /* a cellular board has no WiFi radio for the jig to surround */
  static const char *const features_cell[] = {
      "jig-app", "jig-pins", "jig-pwm", "jig-flash-faults", "jig-uart",
      "jig-i2c", "virtual-clock"};
  bool virt = val[OPT_TIME] && strcmp(val[OPT_TIME], "virtual") == 0;
  bool bt = val[OPT_BOARD] && strcmp(val[OPT_BOARD], "imp004m") == 0;
  cfg->jig_features = bt ? features_bt
                      : cfg->cellular ? features_cell : features;
  cfg->njig_features = (virt ? 8 : 7) + (bt ? 1 : 0) -
                       (cfg->cellular ? 1 : 0); /* virtual-clock last */
  const char *levels = getenv("IMPCERT_PIN_LEVELS");
  if (levels && levels[0] && !parse_pin_levels(levels, cfg))
    return usage_error("IMPCERT_PIN_LEVELS", "'%s' is not a list of up to "
                       "8 PIN=LEVEL (level 0 or 1) separated by commas",
                       levels);
  /* the jig plays the WiFi networks in range (jig.md "WiFi") */
  const char *wifi = getenv("IMPCERT_WIFI");
  if (wifi && strcmp(wifi, "jig") != 0 && wifi[0])
    return usage_error("IMPCERT_WIFI", "'%s' is not 'jig'", wifi);
  /* no WiFi radio on a cellular board: there is nothing to surround */
  cfg->wifi_jig = wifi && strcmp(wifi, "jig") == 0 && !cfg->cellular;
  /* the jig's bad flash reads at power-on (jig.md "Flash faults") */
  const char *read_errors = getenv("IMPCERT_FLASH_READ_ERRORS");
  if (read_errors) {
    uint64_t n = 0;
    if (!parse_u64(read_errors, &n) || n > UINT32_MAX)
      return usage_error("IMPCERT_FLASH_READ_ERRORS", "'%s' is not a "
                         "number of reads", read_errors);
    hal_flash_fault_read_errors((uint32_t)n);
  }
  if (virt) {
    /* device time at power-on: the harness keeps it going across power
    ** cycles (docs/profiles.md); 0 without it */
    const char *start = getenv("IMPCERT_CLOCK_MS");
    uint64_t ms = 0;
    if (start && !parse_u64(start, &ms))
      return usage_error("IMPCERT_CLOCK_MS", "'%s' is not a number of "
                         "milliseconds", start);
    hal_posix_clock_virtual(ms);
  }
  return EXIT_CLEAN;
}

/* Fill val[] from argv ("--opt VALUE" or "--opt=VALUE"). *done is set
** when --help or --version was handled. */
static int parse_args(int argc, char **argv, const char *val[OPT_COUNT],
                      bool *done) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    int id = 0;
    while (id < OPT_COUNT &&
           !(strlen(opts[id].name) == len &&
             strncmp(opts[id].name, a, len) == 0))
      id++;
    if (id == OPT_COUNT)
      return usage_error(a, "%s", "unknown option");
    if (id == OPT_HELP || id == OPT_VERSION) {
      if (id == OPT_HELP)
        usage(stdout);
      else
        printf("refimp " REFIMP_VERSION "\n");
      *done = true;
      return EXIT_CLEAN;
    }
    if (!opts[id].arg) { /* a flag: present or not */
      if (eq)
        return usage_error(opts[id].name, "%s", "takes no value");
      val[id] = "1";
    } else if (eq)
      val[id] = eq + 1;
    else if (i + 1 < argc)
      val[id] = argv[++i];
    else
      return usage_error(opts[id].name, "%s", "needs a value");
  }
  return EXIT_CLEAN;
}

/* Set up the board; EXIT_CLEAN, or the exit code with a message. */
static int board_init(const char *const val[OPT_COUNT]) {
  char why[512] = "";
  if (hal_posix_signals_init(why, sizeof(why)) != HAL_OK) {
    fprintf(stderr, "refimp: %s\n", why);
    return EXIT_BOARD;
  }
  if (hal_posix_net_init(val[OPT_CA], why, sizeof(why)) != HAL_OK) {
    fprintf(stderr, "refimp: %s\n", why);
    return EXIT_USAGE; /* the --ca value is unusable */
  }
  if (hal_posix_flash_open(val[OPT_FLASH], why, sizeof(why)) != HAL_OK) {
    fprintf(stderr, "refimp: %s\n", why);
    return EXIT_BOARD;
  }
  hal_posix_jig_config(val[OPT_JIG]);
  /* why this start: a wake from deep sleep (the harness, or our own
  ** re-exec, says so) or a power-on */
  const char *wake = getenv("IMPCERT_WAKE");
  enum hal_wake cause = HAL_WAKE_POWER_ON;
  if (wake && strcmp(wake, "timer") == 0)
    cause = HAL_WAKE_TIMER;
  else if (wake && strcmp(wake, "pin") == 0)
    cause = HAL_WAKE_PIN;
  else if (wake && wake[0]) {
    fprintf(stderr, "refimp: IMPCERT_WAKE: '%s' is neither timer nor pin\n",
            wake);
    return EXIT_USAGE;
  }
  if (hal_posix_retained_config(val[OPT_FLASH], cause, why, sizeof(why)) !=
      HAL_OK) {
    fprintf(stderr, "refimp: %s\n", why);
    return EXIT_BOARD;
  }
  return EXIT_CLEAN;
}

static void board_fini(void) {
  hal_posix_net_fini();
  hal_posix_flash_close();
}

/* Deep sleep: the board powers down with retained RAM kept. Under a jig
** the process ends (EXIT_ASLEEP) and the harness starts it again as the
** wake; without one, refimp waits out the timer itself and re-executes
** itself as the timer wake. */
static int deep_sleep(struct boot *b, char **argv) {
  bool jig = b->jig.up;
  uint64_t wake_at = b->ret.wake_at;
  boot_fini(b);
  rf_free(b);
  if (jig) {
    rf_log("asleep: the process ends; the jig wakes the device");
    board_fini();
    return EXIT_ASLEEP;
  }
  while (!hal_posix_stop_requested() && hal_now_ms() < wake_at)
    hal_wait_event(wake_at);
  board_fini();
  if (hal_posix_stop_requested()) {
    rf_log("stop requested while asleep");
    return EXIT_CLEAN;
  }
  setenv("IMPCERT_WAKE", "timer", 1);
  execv("/proc/self/exe", argv);
  fprintf(stderr, "refimp: cannot wake (re-exec): %s\n", strerror(errno));
  return EXIT_BOARD;
}

/* [OSUPD-001] Restart the board into the OS image just stored, in this
** process: the core and the application go down (the jig and the session
** close), retained RAM is lost, and the core boots again as a power-on,
** which installs the image (boot_init). A RESET_L pulse (WAKE-012) is the
** same restart with the cause HAL_WAKE_HW_RESET and no zombie PWM. The user
** configuration is on flash (STORE-016). EXIT_CLEAN, or EXIT_BOARD with a message. */
static int reboot(struct boot *b, struct app *app,
                  const char *const val[OPT_COUNT]) {
  char why[512] = "";
  /* [WAKE-012] a RESET_L pulse restarts the same way, reported HW_RESET */
  enum hal_wake cause = b->hw_reset ? HAL_WAKE_HW_RESET : HAL_WAKE_POWER_ON;
  /* [HW-013] zombie PWM outputs run on through the update: the new OS
  ** hands them to its first application as a reload does (a reset of the
  ** chip stops them) */
  struct api_zombie zombies[API_MAX_ZOMBIES];
  size_t nzombies = b->hw_reset ? 0 : app->nzombies;
  memcpy(zombies, app->zombies, sizeof(zombies));
  rf_log(b->hw_reset ? "restarting the board (RESET_L)"
                     : "restarting the board into the new OS");
  app_fini(app);
  boot_fini(b);
  if (hal_posix_retained_config(val[OPT_FLASH], cause, why, sizeof(why)) !=
      HAL_OK) {
    fprintf(stderr, "refimp: %s\n", why);
    return EXIT_BOARD;
  }
  app_init(app, b);
  memcpy(app->zombies, zombies, sizeof(zombies));
  app->nzombies = nzombies;
  return EXIT_CLEAN;
}

int main(int argc, char **argv) {
  const char *val[OPT_COUNT] = {NULL};
  struct boot_config cfg;
  struct rf_diag d = {""};
  bool done = false;
  int rc;
  memset(&cfg, 0, sizeof(cfg));
  if (argc >= 2 && strcmp(argv[1], "run") == 0)
    return run_main(argc - 1, argv + 1); /* docs/refimp-run.md */
  if ((rc = parse_args(argc, argv, val, &done)) != EXIT_CLEAN || done)
    return rc;
  if ((rc = check_values(val, &cfg)) != EXIT_CLEAN)
    return rc;
  if ((rc = board_init(val)) != EXIT_CLEAN) {
    board_fini();
    return rc;
  }
  /* the boot struct is large (store, buffers): keep it off the stack */
  struct boot *b = rf_malloc(sizeof(*b));
  if (!b) {
    fprintf(stderr, "refimp: out of memory\n");
    board_fini();
    return EXIT_BOARD;
  }
  /* the deployed code runs through api/ (docs/refimp.md, "The imp API") */
  struct app app;
  app_init(&app, b);
  for (;;) {
    struct boot_hooks hooks = app_hooks(&app);
    if (boot_init(b, &cfg, &hooks, hal_now_ms(), &d) != RF_OK) {
      fprintf(stderr, "refimp: boot failed: %s\n", d.msg);
      app_fini(&app);
      boot_fini(b);
      rf_free(b);
      board_fini();
      return EXIT_BOARD;
    }
    while (!hal_posix_stop_requested() && b->phase != BOOT_PHASE_ASLEEP &&
           b->phase != BOOT_PHASE_REBOOT) {
      uint64_t now = hal_now_ms();
      uint64_t next = boot_step(b, now);
      uint64_t app_next = app_step(&app, now);
      if (app_next < next)
        next = app_next;
      /* a restart (a jig ResetPulse) happens at once, with no event */
      if (next > now && b->phase != BOOT_PHASE_REBOOT)
        hal_wait_event(next);
    }
    if (b->phase == BOOT_PHASE_ASLEEP) {
      app_fini(&app);
      return deep_sleep(b, argv);
    }
    if (b->phase != BOOT_PHASE_REBOOT || hal_posix_stop_requested())
      break;
    if ((rc = reboot(b, &app, val)) != EXIT_CLEAN) {
      rf_free(b);
      board_fini();
      return rc;
    }
  }
  rf_log("stop requested: shutting down");
  app_fini(&app);
  boot_fini(b);
  rf_free(b);
  board_fini();
  return EXIT_CLEAN;
}
