-- expect: error instruction budget spent
-- Tries: one instruction that copies megabytes, a million times.
rule { id = "HOST08", severity = "error", scope = "agency", title = "big copies",
  check = function(agency, ctx)
    local s = ("x"):rep(1 << 20)
    for i = 1, 1e6 do local t = s .. i end
  end }
