// options: --board imp004m
// imp004m: zombie PWM is accepted (HW-015).
hardware.pinK.configure(PWM_OUT, 0.001, 0.25, true);
server.log(format("zombie period %.3f duty %.2f", hardware.pinK.getperiod(), hardware.pinK.getdutycycle()));
hardware.pinD.configure(PWM_OUT, 0.001, 0.5, false);
hardware.pinD.write(0.5);
try { hardware.pinD.write(1.5); } catch (e) { server.log(e); }
