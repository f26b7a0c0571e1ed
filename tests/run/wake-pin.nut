// options: --for 200 --wake-pin-at 2 --wake-pin-at 30
// The wake pin's callback runs on edges while awake; during deep sleep a
// rising wake pin wakes the device with WAKEREASON_PIN.
server.log("wake " + hardware.wakereason());
hardware.pin1.configure(DIGITAL_IN_WAKEUP, function() {
  server.log("edge " + hardware.pin1.read());
});
if (hardware.wakereason() == WAKEREASON_POWER_ON)
  imp.wakeup(10, function() { imp.deepsleepfor(100); });
