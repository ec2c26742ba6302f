-- expect: error C stack overflow
-- Tries: recursion through tostring: a __tostring that calls tostring on a new
-- value like itself.
rule { id = "HOST62", severity = "error", scope = "agency", title = "recursion through __tostring",
  check = function(agency, ctx)
    local mt = {}
    mt.__tostring = function() return tostring(setmetatable({}, mt)) end
    tostring(setmetatable({}, mt))
  end }
