-- expect: error memory limit reached
-- Tries: unbounded recursion of a Lua function: the Lua stack grows until the
-- memory limit (without one, Lua's own stack limit: "stack overflow").
rule { id = "HOST60", severity = "error", scope = "agency", title = "recursion",
  check = function(agency, ctx)
    local function f(n) return 1 + f(n + 1) end
    f(1)
  end }
