-- expect: error attempt to call a nil value (global 'collectgarbage')
-- Tries: collectgarbage, to stop the collector (so that memory grows until the
-- limit with garbage) or to run finalizers at a time of its choice.
rule { id = "HOST19", severity = "error", scope = "agency", title = "collectgarbage",
  check = function(agency, ctx)
    collectgarbage("stop")
  end }
