-- expect: error instruction budget spent
-- Tries: utf8.len of megabytes, in a loop (a scan in C that allocates nothing).
rule { id = "HOST44", severity = "error", scope = "agency", title = "utf8.len",
  check = function(agency, ctx)
    local s = ("x"):rep(3000000)
    while true do utf8.len(s) end
  end }
