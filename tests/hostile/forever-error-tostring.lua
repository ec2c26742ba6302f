-- expect: error (error object is a table value)
-- Tries: an error object whose __tostring loops: whoever turns the error into a
-- message (the engine) would loop. The engine never calls it.
rule { id = "HOST32", severity = "error", scope = "agency", title = "error object",
  check = function(agency, ctx)
    error(setmetatable({}, { __tostring = function() while true do end end }))
  end }
