-- expect: error attempt to call a nil value (local 'dump')
-- Tries: string.dump reached as a method of strings, through the string
-- metatable's __index rather than the file's string table.
rule { id = "HOST23", severity = "error", scope = "agency", title = "dump as a method",
  check = function(agency, ctx)
    local dump = ("").dump
    local bytes = dump(function() return 1 end)
  end }
