-- expect: error instruction budget spent
-- Tries: a model rule whose keep loops (keep runs on each agency, maybe on a
-- worker thread).
rule { id = "HOST41", severity = "error", scope = "model", title = "keep",
  keep = function(agency, ctx) while true do end end,
  check = function(index, ctx) end }
