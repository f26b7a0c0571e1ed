// options: --board imp001
// imp001: pins 1 2 5 7 8 9; wake pin pin1; digital out, PWM with
// getperiod/getdutycycle; zombie PWM refused (imp004m only); unsupported
// modes throw.
local names = [];
foreach (k, v in hardware) if (k.find("pin") == 0) names.append(k);
names.sort();
server.log("pins " + names.len() + ": " + names.reduce(@(a, b) a + " " + b));
hardware.pin9.configure(DIGITAL_OUT);
hardware.pin9.write(1);
hardware.pin9.write(1);
server.log("pin9 reads " + hardware.pin9.read());
hardware.pin8.configure(DIGITAL_OUT_OD, 1);
hardware.pin7.configure(PWM_OUT, 0.02, 0.1);
hardware.pin7.write(0.75);
server.log(format("period %.3f duty %.2f", hardware.pin7.getperiod(), hardware.pin7.getdutycycle()));
try { hardware.pin9.getperiod(); } catch (e) { server.log(e); }
try { hardware.pin2.configure(DIGITAL_IN_WAKEUP); } catch (e) { server.log(e); }
try { hardware.pin2.configure(PWM_OUT, 0.01, 0.5, true); } catch (e) { server.log(e); }
try { hardware.pin2.configure(ANALOG_OUT); } catch (e) { server.log(e); }
try { hardware.pin2.write(1); } catch (e) { server.log(e); }
hardware.pin5.configure(ANALOG_IN);
server.log("analog " + hardware.pin5.read());
hardware.pin2.configure(DIGITAL_IN_PULLUP);
server.log("pullup reads " + hardware.pin2.read() + ", pinA " + ("pinA" in hardware));
