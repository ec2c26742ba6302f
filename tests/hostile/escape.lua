rule { id = "HOST01", severity = "error", scope = "agency", title = "os.execute",
  check = function(agency, ctx) os.execute("touch /tmp/isorules-pwned") end }
