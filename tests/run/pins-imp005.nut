// options: --board imp005
// imp005: PWM only on E F G S U V (HW-016), no wake pin, no ADC, no deep
// sleep (the sleep calls throw).
foreach (p in ["pinE", "pinF", "pinG", "pinS", "pinU", "pinV"])
  hardware[p].configure(PWM_OUT, 0.01, 0.5);
foreach (p in ["pinA", "pinW"]) {
  try { hardware[p].configure(PWM_OUT, 0.01, 0.5); } catch (e) { server.log(e); }
}
try { hardware.pinW.configure(DIGITAL_IN_WAKEUP); } catch (e) { server.log(e); }
try { hardware.pinA.configure(ANALOG_IN); } catch (e) { server.log(e); }
server.log("env " + imp.environment() + " type " + imp.info().type);
try { imp.deepsleepfor(10); } catch (e) { server.log(e); }
try { server.sleepuntil(1, 0); } catch (e) { server.log(e); }
