// options: --board imp003
// hardware.spiflash as NOR flash (HW-020..HW-022): erase sets 0xff, a write
// only clears bits, PREVERIFY refuses a write that needs a 1, POSTVERIFY
// reports one that did not stick; range and alignment errors throw.
local f = hardware.spiflash;
try { f.size(); } catch (e) { server.log(e); }
f.enable();
function hex(b) { local s = ""; foreach (x in b) s += format("%02x", x); return s; }
server.log("size " + f.size() + " chipid " + format("%06x", f.chipid()));
f.erasesector(0);
server.log("erased " + hex(f.read(0, 4)));
server.log("write " + f.write(0, "\x0f\xf0\x55\xaa"));
server.log("read " + hex(f.read(0, 4)));
f.write(0, "\xff\x00\xff\xff");
server.log("and " + hex(f.read(0, 4)));
server.log("pre " + f.write(0, "\xff\xff\x00\x00", SPIFLASH_PREVERIFY) + " " + hex(f.read(0, 4)));
server.log("preok " + f.write(0, "\x05\x00\x00\x00", SPIFLASH_PREVERIFY) + " " + hex(f.read(0, 4)));
server.log("post " + f.write(0, "\xff\xff\xff\xff", SPIFLASH_POSTVERIFY) + " " + hex(f.read(0, 4)));
server.log("part " + f.write(8, "abcdef", 0, 2, 4) + " " + f.read(8, 2).tostring());
local b = blob(4);
f.readintoblob(8, b, 2);
server.log("into " + hex(b));
f.erasesector(0);
server.log("again " + hex(f.read(0, 4)));
try { f.erasesector(100); } catch (e) { server.log(e); }
try { f.read(f.size() - 2, 4); } catch (e) { server.log(e); }
try { f.write(-1, "x"); } catch (e) { server.log(e); }
f.disable();
try { f.read(0, 1); } catch (e) { server.log(e); }
