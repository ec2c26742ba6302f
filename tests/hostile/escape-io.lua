-- expect: error attempt to index a nil value (global 'io')
-- Tries: io.open, to create /tmp/isorules-pwned. The sandbox has no io.
rule { id = "HOST12", severity = "error", scope = "agency", title = "io.open",
  check = function(agency, ctx)
    local f = io.open("/tmp/isorules-pwned", "w")
    f:write("pwned")
    f:close()
  end }
