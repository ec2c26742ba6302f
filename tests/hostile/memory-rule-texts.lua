-- expect: load-error memory limit reached
-- Tries: rule{} with one long title for many rules: the engine copies each rule's
-- texts out of the Lua state, where they count against the memory limit of
-- the file's load (the memory limit, as for a rule run). 50 rules, 300 MB
-- of copies: enough to pass the limit, not enough to hurt the machine if the
-- defence breaks.
local big = ("x"):rep(3000000)
for i = 1, 50 do
  rule { id = "HOST59-" .. i, severity = "info", scope = "agency", title = big,
         check = function(agency, ctx) end }
end
