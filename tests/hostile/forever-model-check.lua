-- expect: error instruction budget spent
-- Tries: a model rule whose check (the final pass, once, with no input file)
-- loops.
rule { id = "HOST42", severity = "error", scope = "model", title = "model check",
  keep = function(agency, ctx) return { id = agency.id } end,
  check = function(index, ctx) while true do end end }
