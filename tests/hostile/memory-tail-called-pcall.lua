-- expect: error memory limit reached
-- Tries: the memory limit inside a pcall that the check tail-calls, which
-- leaves no Lua line after it for the hook to raise at
-- (forever-tail-called-pcall.lua is the same with the budget).
rule { id = "HOST67", severity = "error", scope = "agency", title = "tail-called pcall, memory",
  check = function(agency, ctx)
    return pcall(function()
      local t, s = {}, string.rep("x", 1000)
      for i = 1, 1e9 do t[i] = s .. i end
    end)
  end }
