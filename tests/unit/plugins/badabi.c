/* A plugin that claims another ABI version, as one built against an older
** SDK would. */
#include <impcert/impcert.h>

static void nothing(impcert_fx *fx) { (void)fx; }

static const struct impcert_case cases[] = {
    {"T-001", "does nothing", "X-001", "unit", "", 0, nothing}};

IMPCERT_EXPORT const struct impcert_plugin *impcert_plugin_entry(void);
const struct impcert_plugin *impcert_plugin_entry(void) {
  static const struct impcert_plugin p = {IMPCERT_ABI_VERSION + 7, "badabi",
                                          cases, 1};
  return &p;
}
