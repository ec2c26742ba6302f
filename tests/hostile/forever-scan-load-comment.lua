-- expect: error instruction budget spent
-- Tries: load of a chunk that is one long comment, in a loop: compiling it scans
-- megabytes and allocates nothing.
rule { id = "HOST46", severity = "error", scope = "agency", title = "load of a comment",
  check = function(agency, ctx)
    local s = "--" .. ("x"):rep(3000000)
    while true do load(s, "=comment") end
  end }
