// Memory: N small tables (vargv[0], default 100000) kept alive in a global
// array; sqrun --mem reports the heap at the end.
local n = vargv.len() > 0 ? vargv[0].tointeger() : 100000;
::tabs <- array(n);
for (local i = 0; i < n; i++) tabs[i] = {x = i, y = i * 2};
local s = 0;
foreach (t in tabs) s = (s + t.x + t.y) % 1000003;
print(n + " " + s + "\n");
