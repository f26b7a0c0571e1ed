// Table insert and lookup: 200,000 string keys and 200,000 integer keys
// inserted, then each looked up five times.
local t = {}, u = {}, keys = array(200000);
for (local i = 0; i < 200000; i++) {
  local k = "key" + i;
  keys[i] = k;
  t[k] <- i;
  u[i * 7] <- i;
}
local s = 0;
for (local r = 0; r < 5; r++)
  for (local i = 0; i < 200000; i++)
    s = (s + t[keys[i]] + u[i * 7]) % 1000003;
print(s + "\n");
