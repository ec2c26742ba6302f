-- expect: error instruction budget spent
-- Tries: an xpcall message handler that loops: Lua runs message handlers with
-- hooks off when the error came from the hook.
rule { id = "HOST05", severity = "error", scope = "agency", title = "a message handler that loops",
  check = function(agency, ctx)
    while true do
      xpcall(function() error("boom") end, function() while true do end end)
    end
  end }
