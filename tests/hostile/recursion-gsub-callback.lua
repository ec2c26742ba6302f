-- expect: error C stack overflow
-- Tries: recursion through gsub: a replacement function that calls gsub with
-- itself.
rule { id = "HOST63", severity = "error", scope = "agency", title = "recursion through gsub",
  check = function(agency, ctx)
    local function f() return ("x"):gsub(".", f) end
    f()
  end }
