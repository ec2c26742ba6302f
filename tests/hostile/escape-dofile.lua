-- expect: error attempt to call a nil value (global 'dofile')
-- Tries: dofile, to run a file of its choice outside the sandbox's rules.
rule { id = "HOST16", severity = "error", scope = "agency", title = "dofile",
  check = function(agency, ctx)
    dofile("/etc/passwd")
  end }
