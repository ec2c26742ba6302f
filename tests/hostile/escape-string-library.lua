-- expect: finding string methods unchanged: X abab 2
-- Tries: replacing functions of its string table, at load and while it runs, so
-- that ("x"):upper() changes for this file and for the others. Methods come
-- from a hidden copy: the file changes its own table only (good.lua's
-- finding, and the methods this rule reports, stay as they were).
local function pwned() return "pwned" end
local function poison()
  for name in pairs(string) do string[name] = pwned end
end
poison()
rule { id = "HOST25", severity = "error", scope = "agency", title = "string library",
  check = function(agency, ctx)
    poison()
    ctx.report(agency, agency.id, "string methods unchanged: %s %s %s",
               ("x"):upper(), ("ab"):rep(2), tostring(("abc"):find("b")))
  end }
