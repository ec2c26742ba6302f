-- Runs until it is stopped from outside (used with --limit instructions=0 by
-- the interrupt tests of tests/cli.sh).
rule { id = "HOST09", severity = "error", scope = "agency", title = "never ends",
  check = function(agency, ctx) while true do end end }
