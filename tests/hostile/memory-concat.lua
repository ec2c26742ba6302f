-- expect: error memory limit reached
-- Tries: a string doubled by concatenation, without end.
rule { id = "HOST54", severity = "error", scope = "agency", title = "concatenation",
  check = function(agency, ctx)
    local s = "x"
    while true do s = s .. s end
  end }
