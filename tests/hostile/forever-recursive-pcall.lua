-- expect: error instruction budget spent
-- Tries: pcall inside pcall inside pcall, each catching the stack overflow of the
-- next and trying again.
rule { id = "HOST31", severity = "error", scope = "agency", title = "recursive pcall",
  check = function(agency, ctx)
    local function f() while true do pcall(f) end end
    f()
  end }
