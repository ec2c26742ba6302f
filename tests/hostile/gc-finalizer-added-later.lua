-- expect: finding no finalizer ran
-- Tries: a __gc added to the metatable after setmetatable: Lua does not mark such
-- a table for finalization, so the looping finalizer never runs, and the
-- rule goes on.
rule { id = "HOST50", severity = "error", scope = "agency", title = "__gc added later",
  check = function(agency, ctx)
    local ran = false
    local mt = {}
    for i = 1, 100 do setmetatable({}, mt) end
    mt.__gc = function() ran = true while true do end end
    for i = 1, 100000 do local garbage = { i } end
    ctx.report(agency, agency.id, ran and "a finalizer ran" or "no finalizer ran")
  end }
