/* A minimal valid plugin for the loader's tests. */
#include <impcert/impcert.h>

static void nothing(impcert_fx *fx) { (void)fx; }

static const struct impcert_case cases[] = {
    {"T-001", "does nothing", "X-001", "unit", "", 0, nothing},
    {"T-002", "does nothing either", "X-002", "unit", "jig", 0, nothing},
};
IMPCERT_PLUGIN("good", cases)
