// options: --board imp001
// The peripheral models on imp001: UART line checks and writes, an I2C
// transfer with no target (negative readerror), SPI with MISO high, the
// DAC playing two buffers at 1 kHz (100 and 50 ms) and stopping when dry,
// the sampler filling a buffer of 25 frames at 2 kHz every 13 ms (12.5
// rounded to whole ms), and what imp001 lacks.
local u = hardware.uart57;
try { u.write("x"); } catch (e) { server.log(e); }
try { u.configure(115200, 9, PARITY_NONE, 1, 0); } catch (e) { server.log(e); }
try { u.configure(10, 8, PARITY_NONE, 1, 0); } catch (e) { server.log(e); }
server.log("baud " + u.configure(9600, 8, PARITY_ODD, 2, NO_CTSRTS));
u.write("impcert");
server.log("read " + u.read() + " [" + u.readstring() + "]");
local i = hardware.i2c89;
server.log("before configure " + i.write(0x80, "\x00") + " " + i.readerror());
i.configure(CLOCK_SPEED_100_KHZ);
server.log("absent " + i.read(0x80, "\x00", 2) + " " + i.readerror());
try { i.configure(12345); } catch (e) { server.log(e); }
local s = hardware.spi189;
try { s.writeread("a"); } catch (e) { server.log(e); }
server.log("spi speed " + s.configure(MSB_FIRST | CLOCK_IDLE_LOW, 99999));
server.log("spi read " + s.readblob(2)[1]);
local d = hardware.fixedfrequencydac;
try { d.configure(hardware.pin1, 1000, [blob(3)], function(b) {}); } catch (e) { server.log(e); }
d.configure(hardware.pin5, 1000, [blob(200), blob(100)], function(b) {
  server.log("dac done " + b.len() + " at " + hardware.millis());
});
d.start();
hardware.pin7.configure(ANALOG_IN);
server.log("analog " + hardware.pin7.read() + " supply " + hardware.voltage());
local n = 0;
hardware.sampler.configure([hardware.pin7, hardware.pin8], 2000, [blob(100), blob(100)], function(b, len) {
  server.log("sampled " + len + " at " + hardware.millis() + " first " + b[0]);
  if (++n == 3) hardware.sampler.stop();
});
hardware.sampler.start();
server.log("rate " + hardware.sampler.getsampleratehz());
foreach (m in ["spiflash", "dfsdm", "pwmpairKD", "usbAB", "uartDM"]) server.log(m + " " + (m in hardware));
