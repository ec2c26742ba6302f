-- expect: error instruction budget spent
-- Tries: a table.sort comparator that loops (table.sort calls it from C).
rule { id = "HOST35", severity = "error", scope = "agency", title = "sort",
  check = function(agency, ctx)
    local t = {}
    for i = 1, 10 do t[i] = i end
    table.sort(t, function(a, b) while true do end end)
  end }
