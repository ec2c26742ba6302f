-- expect: load-error instruction budget spent
-- Tries: a loop in the file's main chunk, which runs when the file loads: the file
-- is an errors entry with no rule (its rules are not kept), and the others
-- still run.
rule { id = "HOST40", severity = "error", scope = "agency", title = "never loads",
  check = function(agency, ctx) end }
while true do end
