rule { id = "HOST05", severity = "error", scope = "agency", title = "a message handler that loops",
  check = function(agency, ctx)
    while true do
      xpcall(function() error("boom") end, function() while true do end end)
    end
  end }
