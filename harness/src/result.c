/*
** result.c: freeing a case result and naming verdicts.
** The names are the ones reports and specs/junit.md use.
*/
#include "result.h"

#include "diag.h"

void result_fini(struct ic_case_result *r) {
  if (!r)
    return;
  ic_free(r->message);
  ic_free(r->details);
  ic_free(r->transcript);
  ic_free(r->dut_output);
  ic_free(r->capture_path);
  ic_free(r->flaky);
  ic_free(r->quarantine);
  r->quarantine = NULL;
  r->message = r->details = r->transcript = NULL;
  r->dut_output = r->capture_path = r->flaky = NULL;
}

const char *result_verdict_name(enum impcert_verdict v) {
  switch (v) {
  case IMPCERT_PASS:
    return "pass";
  case IMPCERT_FAIL:
    return "fail";
  case IMPCERT_SKIP:
    return "skip";
  case IMPCERT_ERROR:
    return "error";
  case IMPCERT_INCONCLUSIVE:
    return "inconclusive";
  }
  return "unknown";
}
