// options: --board imp002
// imp002: pins 1 2 5 6 7 8 9 A-E; wake pin pin1.
local names = [];
foreach (k, v in hardware) if (k.find("pin") == 0) names.append(k);
names.sort();
server.log("pins " + names.len() + ": " + names.reduce(@(a, b) a + " " + b));
hardware.pinE.configure(DIGITAL_OUT, 1);
hardware.pin6.configure(PWM_OUT, 0.001, 0.5);
hardware.pin1.configure(DIGITAL_IN_WAKEUP);
server.log("env " + imp.environment());
