rule { id = "HOST02", severity = "error", scope = "agency", title = "loop inside pcall",
  check = function(agency, ctx)
    while true do pcall(function() while true do end end) end
  end }
