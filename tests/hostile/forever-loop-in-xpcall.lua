-- expect: error instruction budget spent
-- Tries: a loop inside xpcall, whose handler returns normally, inside a loop.
rule { id = "HOST30", severity = "error", scope = "agency", title = "loop inside xpcall",
  check = function(agency, ctx)
    while true do
      xpcall(function() while true do end end, function(m) return m end)
    end
  end }
