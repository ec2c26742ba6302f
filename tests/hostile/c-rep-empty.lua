-- string.rep of empty strings loops in C without allocating
rule { id = "HOST06", severity = "error", scope = "agency", title = "rep of nothing",
  check = function(agency, ctx) local s = string.rep("", math.maxinteger) end }
