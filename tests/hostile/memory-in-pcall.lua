-- expect: error memory limit reached
-- Tries: megabyte strings kept in a table, each made inside pcall, in a loop:
-- pcall must not swallow the memory limit.
rule { id = "HOST03", severity = "error", scope = "agency", title = "eats memory",
  check = function(agency, ctx)
    local t = {}
    while true do pcall(function() t[#t + 1] = string.rep("x", 1 << 20) end) end
  end }
