// String building: small strings from numbers, concatenated into lines and
// lines into 4 KiB buffers.
local total = 0, buf = "";
for (local i = 0; i < 300000; i++) {
  local line = "k" + i + "=" + (i % 97) + ";";
  buf += line;
  if (buf.len() >= 4096) { total += buf.len(); buf = ""; }
}
total += buf.len();
print(total + "\n");
