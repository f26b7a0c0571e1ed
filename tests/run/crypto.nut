// options:
// crypto.sha256 / hmacsha256 (FIPS 180-4, RFC 4231 case 2) and equals;
// imp.crypto is the same object.
function hex(b) { local s = ""; foreach (x in b) s += format("%02x", x); return s; }
server.log(hex(crypto.sha256("abc")));
server.log(hex(crypto.sha256("")));
server.log(hex(imp.crypto.hmacsha256("what do ya want for nothing?", "Jefe")));
local k = blob(131); foreach (i, _ in k) k[i] = 0xaa;
server.log(hex(crypto.hmacsha256("Test Using Larger Than Block-Size Key - Hash Key First", k)));
server.log(crypto.equals("abc", "abc") + " " + crypto.equals("abc", "abd") + " " + crypto.equals("ab", "abc"));
