-- expect: error attempt to index a nil value (global 'package')
-- Tries: package.loadlib, to call system() from the C library.
rule { id = "HOST14", severity = "error", scope = "agency", title = "package.loadlib",
  check = function(agency, ctx)
    local system = package.loadlib("libc.so.6", "system")
    system("touch /tmp/isorules-pwned")
  end }
