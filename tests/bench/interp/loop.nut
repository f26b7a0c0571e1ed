// Numeric loops: nested integer loops with arithmetic, compares, modulo.
local s = 0;
for (local i = 0; i < 10000; i++) {
  for (local j = 0; j < 1000; j++) {
    s += (i * j) % 7 + (j & 3);
    if (s > 1000000) s -= 999983;
  }
}
print(s + "\n");
