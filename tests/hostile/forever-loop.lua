-- expect: error instruction budget spent
-- Tries: a loop with no end. (tests/cli.sh also runs it with --limit
-- instructions=0, to interrupt it with a signal.)
rule { id = "HOST09", severity = "error", scope = "agency", title = "never ends",
  check = function(agency, ctx)
    while true do end
  end }
