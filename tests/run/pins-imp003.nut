// options: --board imp003
// imp003: lettered pins A-N, P-Y; wake pin W; no pin1.
local names = [];
foreach (k, v in hardware) if (k.find("pin") == 0) names.append(k);
names.sort();
server.log("pins " + names.len() + ": " + names.reduce(@(a, b) a + " " + b));
server.log("pin1 " + ("pin1" in hardware));
hardware.pinW.configure(DIGITAL_IN_WAKEUP);
try { hardware.pinA.configure(DIGITAL_IN_WAKEUP); } catch (e) { server.log(e); }
hardware.pinB.configure(PWM_OUT, 0.5, 0.5);
hardware.pinB.configure(DIGITAL_OUT, 0);
hardware.pinB.write(1);
