-- expect: error attempt to call a nil value (global 'loadfile')
-- Tries: loadfile, to compile any file (binary chunks included).
rule { id = "HOST17", severity = "error", scope = "agency", title = "loadfile",
  check = function(agency, ctx)
    loadfile("/etc/passwd", "b")()
  end }
