-- expect: finding poisoned its own copies: pwned pwned pwned pwned
-- Tries: replacing, at load and while it runs, the base functions and library
-- functions that other rule files use (tostring, type, pairs, select,
-- table.concat, math.floor, utf8.char, isorules.position...) and setting the
-- global another file reads. Every file has its own globals and its own copies
-- of the libraries: good.lua's finding stays as it was.
local ipairs, pairs, rawset = ipairs, pairs, rawset
local function pwned() return "pwned" end
local function poison()
  for _, lib in ipairs({ table, math, utf8, isorules }) do
    for name in pairs(lib) do lib[name] = pwned end
  end
  _G.tostring, _G.type, _G.pairs, _G.ipairs, _G.select, _G.next, _G.pcall = pwned, pwned, pwned, pwned, pwned, pwned, pwned
  rawset(_G, "GOOD_SECRET", "pwned")
end
poison()
rule { id = "HOST26", severity = "error", scope = "agency", title = "poison globals",
  check = function(agency, ctx)
    poison()
    ctx.report(agency, agency.id, "poisoned its own copies: %s %s %s %s",
               tostring(1), math.floor(1.5), table.concat({}), GOOD_SECRET)
  end }
