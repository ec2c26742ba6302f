-- expect: error attempt to call a nil value (field 'dump')
-- Tries: string.dump, to turn a function into bytecode (and patch it).
rule { id = "HOST22", severity = "error", scope = "agency", title = "string.dump",
  check = function(agency, ctx)
    local bytes = string.dump(function() return 1 end)
  end }
