-- Array sort: 200,000 pseudo-random integers (a 31-bit LCG), sorted by the
-- built-in sort and then, 50,000 of them, with a comparator (descending).
local n, a, x = 200000, {}, 12345
for i = 1, n do
  x = (x * 1103515245 + 12345) & 0x7fffffff
  a[i] = x
end
local b = table.move(a, 1, 50000, 1, {})
table.sort(a)
table.sort(b, function(p, q) return p > q end)
for i = 2, n do if a[i - 1] > a[i] then error("not sorted") end end
for i = 2, #b do if b[i - 1] < b[i] then error("not sorted") end end
print(a[1] .. " " .. a[n // 2 + 1] .. " " .. a[n] .. " " .. b[1] .. " " .. b[50000])
