-- expect: error memory limit reached
-- Tries: gsub whose replacement is much longer than what it replaces: a hundred
-- bytes become ten megabytes in one call.
rule { id = "HOST55", severity = "error", scope = "agency", title = "gsub growth",
  check = function(agency, ctx)
    local s = ("x"):rep(100)
    s = s:gsub(".", ("y"):rep(100000))
  end }
