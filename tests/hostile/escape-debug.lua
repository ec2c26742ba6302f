-- expect: error attempt to index a nil value (global 'debug')
-- Tries: debug.getregistry, to reach the real globals and libraries through the
-- registry (and debug.sethook, to switch the budget off).
rule { id = "HOST15", severity = "error", scope = "agency", title = "debug",
  check = function(agency, ctx)
    debug.sethook()
    local globals = debug.getregistry()[2]
    globals.os.execute("touch /tmp/isorules-pwned")
  end }
