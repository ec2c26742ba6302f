-- expect: error instruction budget spent
-- Tries: a to-be-closed variable whose __close loops: Lua runs it while unwinding
-- the error that the spent budget raised.
rule { id = "HOST37", severity = "error", scope = "agency", title = "__close",
  check = function(agency, ctx)
    local guard <close> = setmetatable({}, { __close = function() while true do end end })
    while true do end
  end }
