-- expect: error attempt to call a nil value (global 'require')
-- Tries: require, to load the os library (or any C module) back.
rule { id = "HOST13", severity = "error", scope = "agency", title = "require",
  check = function(agency, ctx)
    require("os").execute("touch /tmp/isorules-pwned")
  end }
