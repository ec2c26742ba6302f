-- expect: error instruction budget spent
-- Tries: a gsub replacement function that loops (gsub calls it from C).
rule { id = "HOST36", severity = "error", scope = "agency", title = "gsub",
  check = function(agency, ctx)
    ("hello"):gsub(".", function() while true do end end)
  end }
