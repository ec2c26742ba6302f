-- expect: error __gc metamethods are not allowed in rules
-- Tries: a metatable with __gc = true when setmetatable marks the table for
-- finalization, and the looping function put in afterwards: Lua calls
-- whatever __gc holds when the table is collected.
rule { id = "HOST49", severity = "error", scope = "agency", title = "__gc placeholder",
  check = function(agency, ctx)
    local mt = { __gc = true }
    setmetatable({}, mt)
    mt.__gc = function() while true do end end
    for i = 1, 100000 do local garbage = { i } end
  end }
