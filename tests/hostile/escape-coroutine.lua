-- expect: error attempt to index a nil value (global 'coroutine')
-- Tries: coroutine.wrap: code in a coroutine runs on another Lua thread, which a
-- hook set on the main one does not watch.
rule { id = "HOST18", severity = "error", scope = "agency", title = "coroutine",
  check = function(agency, ctx)
    coroutine.wrap(function() while true do end end)()
  end }
