/* A plugin whose case table repeats an ID: refused as a whole. */
#include <impcert/impcert.h>

static void nothing(impcert_fx *fx) { (void)fx; }

static const struct impcert_case cases[] = {
    {"T-001", "one", "X-001", "unit", "", 0, nothing},
    {"T-001", "two", "X-001", "unit", "", 0, nothing}};
IMPCERT_PLUGIN("dupids", cases)
