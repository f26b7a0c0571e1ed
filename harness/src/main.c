/*
** main.c: impcert's command line, the one place that exits.
** Subcommands and options are documented once, in the table below, which
** `--help` prints; docs/impcert.md describes them at length.
*/
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "certify.h"
#include "diag.h"
#include "junit.h"
#include "decode.h"
#include "replay.h"
#include "runner.h"

#include <impcert/impcert.h>

#define IMPCERT_VERSION "0.1.0"

static const char usage[] =
    "usage: impcert COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  run     run the selected tests against a DUT\n"
    "  list    list the selected tests\n"
    "  trace   list each requirement of specs/ with the tests covering it\n"
    "  merge   join shard reports: impcert merge A.xml B.xml ... -o ALL.xml\n"
    "  decode  print the conversation in a pcap: impcert decode FILE [--json]\n"
    "  replay  play a capture's cloud side to a DUT and compare: impcert\n"
    "          replay FILE --dut PROFILE (impcert replay --help)\n"
    "  certify certification run: impcert certify --dut PROFILE -o DIR\n"
    "          [--plan PLAN] [--key KEY] [--shuffle [--seed N]]\n"
    "  verify  check a certification folder: impcert verify DIR --pubkey PUB\n"
    "  keygen  make an Ed25519 key pair: impcert keygen KEY.pem KEY.pub\n"
    "\n"
    "options:\n"
    "  --dut PROFILE     DUT profile (key=value file; docs/profiles.md)\n"
    "  --plugins DIR     folder of test plugins (default: BINDIR/../plugins,\n"
    "                    else BINDIR/../lib/impcert/plugins)\n"
    "  --filter GLOB     only tests whose ID matches GLOB (e.g. 'BOOT-*')\n"
    "  --tag TAG         only tests with tag TAG (e.g. 'smoke')\n"
    "  --req GLOB        only tests naming a requirement ID matching GLOB\n"
    "  --junit FILE      write a JUnit XML report to FILE\n"
    "  --html FILE       write a self-contained HTML report to FILE\n"
    "  --capture DIR     write each test's pcap and TLS key log to DIR\n"
    "  -j, --jobs N      run N tests at once (default 1)\n"
    "  --repeat N        run the selection N times (default 1)\n"
    "  --until-fail      stop after the first round with a failure\n"
    "  --retries N       re-run a test that did not pass up to N times; one\n"
    "                    that then passes is reported FLAKY (flakyFailure)\n"
    "                    (with --repeat N: at most N rounds; else 100)\n"
    "  --json            (list, trace) print JSON\n"
    "  --requirements F  (trace) the catalogue (default specs/requirements.md)\n"
    "  --strict          (trace) exit 1 if a requirement is uncovered\n"
    "  --shard K/N       run only the K-th of N deterministic slices (1-based)\n"
    "  --shuffle         run the tests in a random order (recorded in the\n"
    "                    report); --seed N repeats an order\n"
    "  --seed N          the shuffle's seed (default: a fresh one, printed)\n"
    "  --quarantine F    known failures (ID EXPIRY REASON lines): they run\n"
    "                    and are reported, and do not fail the run\n"
    "  --plan PLAN       (certify) the plan (default specs/plans/core.plan)\n"
    "  -o DIR            (certify) the folder to write and hand over\n"
    "  --key KEY         (certify) Ed25519 private key (PEM) to sign with\n"
    "  --pubkey PUB      (verify) the signer's public key (PEM)\n"
    "  -v, --verbose     print frames as they pass\n"
    "  -q, --quiet       print only failures and the summary\n"
    "  -h, --help        print this help\n"
    "  --version         print impcert's version\n"
    "\n"
    "exit status: 0 all selected tests passed or were skipped; 1 a test\n"
    "failed, errored or was inconclusive; 2 usage or setup error.\n";

/* The folder impcert runs from, so profiles can find refimp beside it. */
static char *self_dir(void) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return ic_strdup(".");
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash)
    *slash = '\0';
  return ic_strdup(buf);
}

/* Parse a whole number from min to max for option `name`. */
static int parse_count(const char *name, const char *arg, long min, long max,
                       int *out) {
  char *end;
  long n = strtol(arg, &end, 10);
  if (end == arg || *end || n < min || n > max) {
    fprintf(stderr, "impcert: %s wants a number from %ld to %ld, not '%s'\n",
            name, min, max, arg);
    return -1;
  }
  *out = (int)n;
  return 0;
}

/* impcert merge IN... -o OUT */
static int merge_main(int argc, char **argv) {
  const char *out = NULL;
  const char **in = ic_calloc((size_t)argc + 1, sizeof *in);
  int n = 0;
  if (!in)
    return IC_EXIT_USAGE;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "-o") && i + 1 < argc)
      out = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "impcert: merge: unknown option '%s'\n", argv[i]);
      ic_free(in);
      return IC_EXIT_USAGE;
    } else
      in[n++] = argv[i];
  }
  if (!out || n == 0) {
    fprintf(stderr, "usage: impcert merge A.xml B.xml ... -o ALL.xml\n");
    ic_free(in);
    return IC_EXIT_USAGE;
  }
  struct ic_diag d;
  int rc = junit_merge(in, n, out, &d);
  ic_free(in);
  if (rc < 0) {
    fprintf(stderr, "impcert: %s\n", d.msg);
    return IC_EXIT_USAGE;
  }
  printf("impcert: merged %d reports into %s\n", n, out);
  return IC_EXIT_OK;
}

/* The default plugin folder: BINDIR/../plugins in a build tree, else
** BINDIR/../lib/impcert/plugins as `make install` lays it out; if neither
** exists, the first, so the error names the build-tree folder. */
static char *default_plugin_dir(const char *bindir) {
  char *dir = ic_asprintf("%s/../plugins", bindir);
  if (!dir || access(dir, F_OK) == 0)
    return dir;
  char *inst = ic_asprintf("%s/../lib/impcert/plugins", bindir);
  if (!inst || access(inst, F_OK) != 0) {
    ic_free(inst);
    return dir;
  }
  ic_free(dir);
  return inst;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage, stderr);
    return IC_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
    fputs(usage, stdout);
    return IC_EXIT_OK;
  }
  if (!strcmp(cmd, "--version")) {
    printf("impcert %s (plugin ABI %d)\n", IMPCERT_VERSION,
           IMPCERT_ABI_VERSION);
    return IC_EXIT_OK;
  }
  bool is_run = !strcmp(cmd, "run"), is_list = !strcmp(cmd, "list");
  bool is_trace = !strcmp(cmd, "trace");
  if (!strcmp(cmd, "merge"))
    return merge_main(argc - 2, argv + 2);
  if (!strcmp(cmd, "decode"))
    return decode_main(argc - 2, argv + 2);
  if (!strcmp(cmd, "replay"))
    return replay_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "keygen")) {
    if (argc != 4) {
      fprintf(stderr, "usage: impcert keygen KEY.pem KEY.pub\n");
      return IC_EXIT_USAGE;
    }
    return certify_keygen(argv[2], argv[3]);
  }
  bool is_certify = !strcmp(cmd, "certify"), is_verify = !strcmp(cmd, "verify");
  if (!is_run && !is_list && !is_trace && !is_certify && !is_verify) {
    fprintf(stderr, "impcert: unknown command '%s' (try --help)\n", cmd);
    return IC_EXIT_USAGE;
  }
  static const struct option longopts[] = {
      {"dut", required_argument, NULL, 'D'},
      {"plugins", required_argument, NULL, 'P'},
      {"filter", required_argument, NULL, 'F'},
      {"tag", required_argument, NULL, 'G'},
      {"req", required_argument, NULL, 'I'},
      {"junit", required_argument, NULL, 'J'},
      {"html", required_argument, NULL, 'H'},
      {"capture", required_argument, NULL, 'C'},
      {"jobs", required_argument, NULL, 'j'},
      {"json", no_argument, NULL, 'S'},
      {"requirements", required_argument, NULL, 'R'},
      {"strict", no_argument, NULL, 'X'},
      {"shard", required_argument, NULL, 'K'},
      {"repeat", required_argument, NULL, 'N'},
      {"until-fail", no_argument, NULL, 'U'},
      {"retries", required_argument, NULL, 'T'},
      {"shuffle", no_argument, NULL, 'Z'},
      {"seed", required_argument, NULL, 'E'},
      {"quarantine", required_argument, NULL, 'Q'},
      {"plan", required_argument, NULL, 'L'},
      {"key", required_argument, NULL, 'k'},
      {"pubkey", required_argument, NULL, 'p'},
      {"verbose", no_argument, NULL, 'v'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  struct run_opts o = {.jobs = 1, .repeat = 0};
  bool json = false, strict = false;
  const char *reqs = "specs/requirements.md", *pubkey = NULL;
  const char *verify_dir = NULL;
  int c;
  optind = 2;
  if (is_verify && argc > 2 && argv[2][0] != '-')
    verify_dir = argv[optind++];
  while ((c = getopt_long(argc, argv, "j:vqho:", longopts, NULL)) != -1) {
    switch (c) {
    case 'Z': o.shuffle = true; break;
    case 'E': {
      char *end;
      errno = 0;
      unsigned long long v = strtoull(optarg, &end, 10);
      if (errno || end == optarg || *end || optarg[0] == '-' ||
          v > 0xffffffffUL) {
        fprintf(stderr, "impcert: --seed wants a number from 0 to "
                        "4294967295, not '%s'\n", optarg);
        return IC_EXIT_USAGE;
      }
      o.seed = (unsigned long)v;
      o.seed_given = true;
      break;
    }
    case 'Q': o.quarantine = optarg; break;
    case 'L': o.plan = optarg; break;
    case 'o': o.outdir = optarg; break;
    case 'k': o.key = optarg; break;
    case 'p': pubkey = optarg; break;
    case 'D': o.profile = optarg; break;
    case 'P': o.plugin_dir = optarg; break;
    case 'F': o.filter = optarg; break;
    case 'G': o.tag = optarg; break;
    case 'I': o.req = optarg; break;
    case 'J': o.junit = optarg; break;
    case 'H': o.html = optarg; break;
    case 'C': o.capture_dir = optarg; break;
    case 'S': json = true; break;
    case 'R': reqs = optarg; break;
    case 'X': strict = true; break;
    case 'U': o.until_fail = true; break;
    case 'T':
      if (parse_count("--retries", optarg, 0, 100, &o.retries) < 0)
        return IC_EXIT_USAGE;
      break;
    case 'N':
      if (parse_count("--repeat", optarg, 1, 10000, &o.repeat) < 0)
        return IC_EXIT_USAGE;
      break;
    case 'K':
      if (sscanf(optarg, "%d/%d", &o.shard_k, &o.shard_n) != 2 ||
          o.shard_n < 1 || o.shard_k < 1 || o.shard_k > o.shard_n) {
        fprintf(stderr, "impcert: --shard wants K/N with 1 <= K <= N, not "
                        "'%s'\n", optarg);
        return IC_EXIT_USAGE;
      }
      break;
    case 'v': o.verbose = true; break;
    case 'q': o.quiet = true; break;
    case 'h': fputs(usage, stdout); return IC_EXIT_OK;
    case 'j':
      if (parse_count("-j", optarg, 1, 64, &o.jobs) < 0)
        return IC_EXIT_USAGE;
      break;
    default:
      fprintf(stderr, "impcert: see 'impcert --help'\n");
      return IC_EXIT_USAGE;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "impcert: unexpected argument '%s'\n", argv[optind]);
    return IC_EXIT_USAGE;
  }
  if (o.until_fail && o.repeat == 0)
    o.repeat = 100;
  if (o.seed_given && !o.shuffle) {
    fprintf(stderr, "impcert: --seed only means something with --shuffle\n");
    return IC_EXIT_USAGE;
  }
  if (o.shuffle && !o.seed_given)
    o.seed = runner_new_seed();
  if (is_verify) {
    if (!verify_dir || !pubkey) {
      fprintf(stderr, "usage: impcert verify DIR --pubkey KEY.pub\n");
      return IC_EXIT_USAGE;
    }
    return certify_verify(verify_dir, pubkey);
  }
  char *bindir = self_dir();
  char *plugdir = NULL;
  if (!bindir)
    return IC_EXIT_USAGE;
  o.bindir = bindir;
  if (!o.plugin_dir)
    o.plugin_dir = plugdir = default_plugin_dir(bindir);
  int rc;
  if (is_list)
    rc = runner_list(&o, json);
  else if (is_trace)
    rc = runner_trace(&o, reqs, json, strict);
  else if (!o.profile) {
    fprintf(stderr, "impcert: %s needs --dut PROFILE\n", cmd);
    rc = IC_EXIT_USAGE;
  } else if (is_certify && !o.outdir) {
    fprintf(stderr, "impcert: certify needs -o DIR\n");
    rc = IC_EXIT_USAGE;
  } else if (is_certify && (o.repeat > 1 || o.until_fail || o.shard_n ||
                            o.filter || o.tag || o.req)) {
    fprintf(stderr, "impcert: certify runs the whole plan once: --repeat, "
                    "--until-fail, --shard, --filter, --tag and --req do not "
                    "apply\n");
    rc = IC_EXIT_USAGE;
  } else if (is_certify) {
    if (!o.plan)
      o.plan = "specs/plans/core.plan";
    rc = certify_run(&o, IMPCERT_VERSION);
  } else
    rc = runner_run(&o);
  ic_free(plugdir);
  ic_free(bindir);
  return rc;
}
