-- expect: finding finalizer refused: __gc metamethods are not allowed in rules
-- Tries: a looping __gc on tables kept alive in a global, so that it would run only
-- when the engine closes its Lua state (lua_close runs every pending
-- finalizer, with no hook at all). setmetatable refuses it; had it not, the
-- audit would never end (the test's timeout catches that).
KEPT = {}
rule { id = "HOST51", severity = "error", scope = "agency", title = "__gc at close",
  check = function(agency, ctx)
    local t = {}
    local ok, err = pcall(setmetatable, t, { __gc = function() while true do end end })
    KEPT[#KEPT + 1] = t
    local later = setmetatable({}, {})
    getmetatable(later).__gc = function() while true do end end
    KEPT[#KEPT + 1] = later
    ctx.report(agency, agency.id, "finalizer refused: %s", tostring(err))
  end }
