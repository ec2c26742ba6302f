-- expect: error C stack overflow
-- Tries: recursion through C: an __index that indexes its own table.
rule { id = "HOST61", severity = "error", scope = "agency", title = "recursion through __index",
  check = function(agency, ctx)
    local t = setmetatable({}, {})
    getmetatable(t).__index = function(self, k) return self[k] end
    return t.x
  end }
