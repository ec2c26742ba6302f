-- expect: error instruction budget spent
-- Tries: arithmetic on a numeric string of megabytes ("   ...   1" + 1), in a loop:
-- the string metatable's __add reads it in C.
rule { id = "HOST47", severity = "error", scope = "agency", title = "string arithmetic",
  check = function(agency, ctx)
    local s = (" "):rep(3000000) .. "1"
    while true do local n = s + 1 end
  end }
