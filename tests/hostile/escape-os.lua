-- expect: error attempt to index a nil value (global 'os')
-- Tries: os.execute, to run a shell command that creates /tmp/isorules-pwned.
-- The sandbox has no os.
rule { id = "HOST01", severity = "error", scope = "agency", title = "os.execute",
  check = function(agency, ctx)
    os.execute("touch /tmp/isorules-pwned")
  end }
