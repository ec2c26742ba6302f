-- expect: error memory limit reached
-- Tries: load of a chunk of six megabytes: compiling it builds its own tables.
rule { id = "HOST58", severity = "error", scope = "agency", title = "load of a big chunk",
  check = function(agency, ctx)
    local f = load(("x = 1 "):rep(1000000))
  end }
