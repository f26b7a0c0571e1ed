// Array sort: 200,000 pseudo-random integers (a 31-bit LCG), sorted by the
// built-in sort and then, 50,000 of them, with a comparator (descending).
local n = 200000, a = array(n), x = 12345;
for (local i = 0; i < n; i++) {
  x = (x * 1103515245 + 12345) & 0x7fffffff;
  a[i] = x;
}
local b = a.slice(0, 50000);
a.sort();
b.sort(@(p, q) q <=> p);
for (local i = 1; i < n; i++) if (a[i - 1] > a[i]) throw "not sorted";
for (local i = 1; i < b.len(); i++) if (b[i - 1] < b[i]) throw "not sorted";
print(a[0] + " " + a[n / 2] + " " + a[n - 1] + " " + b[0] + " " + b[49999] + "\n");
