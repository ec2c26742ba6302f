-- expect: error __gc metamethods are not allowed in rules
-- Tries: a __gc finalizer that loops, on garbage: Lua runs finalizers with hooks
-- off, so no budget would stop it.
rule { id = "HOST48", severity = "error", scope = "agency", title = "__gc",
  check = function(agency, ctx)
    setmetatable({}, { __gc = function() while true do end end })
    for i = 1, 100000 do local garbage = { i } end
  end }
