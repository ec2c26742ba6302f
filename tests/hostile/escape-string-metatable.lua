-- expect: error attempt to index a boolean value
-- Tries: the metatable every string shares: replacing a method in it would change
-- ("x"):upper() for every rule file. getmetatable("") is false.
rule { id = "HOST24", severity = "error", scope = "agency", title = "string metatable",
  check = function(agency, ctx)
    getmetatable("").__index.upper = function() return "pwned" end
    getmetatable("").__index.find = function() return 1 end
  end }
