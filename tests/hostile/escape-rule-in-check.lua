-- expect: error rule{} may only be called while its file loads, not from a rule
-- Tries: rule{} from a running rule, which would change the rule set under the
-- engine's feet.
rule { id = "HOST11", severity = "error", scope = "agency", title = "rules from a rule",
  check = function(agency, ctx)
    for i = 1, 100 do rule { id = "N" .. i, severity = "warning", check = function() end } end
  end }
