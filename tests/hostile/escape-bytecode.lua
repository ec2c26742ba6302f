-- expect: error bad argument #3 to 'load' (binary chunks are not allowed)
-- Tries: load of a binary chunk (mode "b"): crafted bytecode is not verified by
-- Lua 5.4 and can read and write memory at will.
rule { id = "HOST04", severity = "error", scope = "agency", title = "bytecode",
  check = function(agency, ctx)
    local f = assert(load("\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86", "x", "b"))
    f()
  end }
