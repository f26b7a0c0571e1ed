/*
** example.c: an out-of-tree plugin built only against the installed SDK
** (`pkg-config --cflags impcert`), to show and test that the SDK, its
** pkg-config file and the installed runner work without the source tree.
** tests/sdk-install.sh builds it and runs it against refimp.
*/
#include <string.h>

#include <impcert/impcert.h>

#define WAIT 8000 /* ms for the DUT to act */

static const uint8_t zero_hash[32];

/* Power on, BlinkUp, accept the session and activate; returns the
** DeviceState envelope, with the CodeHash still to be read. */
static const Impwire__Envelope *activate(impcert_fx *fx) {
  impcert_dut_power_on(fx);
  impcert_jig_blinkup(fx, "sdk-lab", "sdk-pass", "plan-sdk", "token-sdk");
  if (impcert_cloud_accept(fx, WAIT) != IMPCERT_SESSION_OK)
    IMPCERT_ERROR_NOW(fx, "the DUT did not open a session after BlinkUp");
  impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_ACTIVATION_REQUEST, WAIT);
  impcert_send_activation_result(fx, true);
  return impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_DEVICE_STATE, WAIT);
}

/* SDK-EX-001: a device with no code reports a hash of 32 zero bytes. */
static void first_hash_is_zero(impcert_fx *fx) {
  activate(fx);
  const Impwire__CodeHash *h =
      impcert_expect(fx, IMPWIRE__ENVELOPE__MSG_CODE_HASH, WAIT)->code_hash;
  IMPCERT_CHECK_MSG(fx, h->sha256.len == 32 &&
                            memcmp(h->sha256.data, zero_hash, 32) == 0,
                    "first CodeHash is not 32 zero bytes (%zu bytes)",
                    h->sha256.len);
}

/* SDK-EX-002: DeviceState names the profile's board; the message also
** passes protobuf-c's own check (a runtime call the runner provides). */
static void imp_type_is_board(impcert_fx *fx) {
  const Impwire__Envelope *e = activate(fx);
  const Impwire__DeviceState *s = e->device_state;
  IMPCERT_CHECK_MSG(fx, strcmp(s->imp_type, "imp001") == 0,
                    "imp_type is '%s', not the profile's board 'imp001'",
                    s->imp_type);
  IMPCERT_CHECK(fx, protobuf_c_message_check(&e->base));
}

static const struct impcert_case cases[] = {
  {"SDK-EX-001", "first CodeHash is 32 zero bytes", "BOOT-003", "sdk",
   "jig", 0, first_hash_is_zero},
  {"SDK-EX-002", "DeviceState.imp_type is the board", "CAP-003", "sdk",
   "jig,board:imp001", 0, imp_type_is_board},
};
IMPCERT_PLUGIN("sdk-example", cases)
