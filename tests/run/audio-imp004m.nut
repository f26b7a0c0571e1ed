// options: --board imp004m
// imp004m: the DAC plays through hardware.pwmpairKD, dfsdm.configure()
// checks its ranges (AUDIO-003), no sampler, spiAHSR reconfigures
// (REG-023). The dfsdm has no bit stream here (that needs the jig).
local d = hardware.fixedfrequencydac;
d.configure(hardware.pwmpairKD, 8000, [blob(16)], function(b) { server.log("played " + b.len()); });
d.start();
local f = hardware.dfsdm, cb = function(b, l) {};
foreach (args in [[6, 0, 0, 0, 0, "RISING-EDGE"], [0, 1024, 0, 0, 0, "RISING-EDGE"],
                  [0, 0, 256, 0, 0, "RISING-EDGE"], [0, 0, 0, 8388608, 0, "RISING-EDGE"],
                  [0, 0, 0, 0, 25, "RISING-EDGE"], [0, 0, 0, 0, 0, "EDGE"]]) {
  try { f.configure(args[0], args[1], args[2], args[3], args[4], args[5], [blob(8)], cb); }
  catch (e) { server.log(e); }
}
f.configure(5, 1023, 255, -8388607, 24, "FALLING-EDGE", [blob(8)], cb);
f.start();
f.stop();
server.log("sampler " + ("sampler" in hardware));
server.log("spi " + hardware.spiAHSR.configure(CLOCK_IDLE_HIGH, 1000) + " " + hardware.spiAHSR.configure(LSB_FIRST, 2000));
try { hardware.pinA.configure(PWM_OUT, 0.001, 0.5, true); server.log("zombie ok"); } catch (e) { server.log(e); }
