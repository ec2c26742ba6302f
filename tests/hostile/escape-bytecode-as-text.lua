-- expect: error attempt to load a binary chunk (mode is 't')
-- Tries: load of a binary chunk with the default mode, or "bt": load compiles
-- text only, whatever mode it is given.
rule { id = "HOST20", severity = "error", scope = "agency", title = "bytecode as text",
  check = function(agency, ctx)
    assert(load("\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86", "x", "bt"))()
  end }
