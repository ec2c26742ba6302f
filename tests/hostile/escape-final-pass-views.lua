-- expect: finding views unchanged: 0 of 9 writes went through
-- Tries: writing into what the final pass gives model rules (the views, an
-- index entry, a kept value and a table inside it) by every way a rule has:
-- =, rawset, table.insert/remove, setmetatable, the state pairs returns, and
-- a view kept in a global for the next file's agency rules. Entries are made
-- as they are read: a write that went through would be kept or lost with the
-- collector, and -j 1 and -j 2 would differ.
rule { id = "HOST64", severity = "error", scope = "model", title = "views",
  keep = function(agency, ctx) return { node = agency, list = { 1, 2 } } end,
  check = function(index, ctx)
    local kept, a, k = ctx.kept, index[1], ctx.kept[1]
    local tries = {
      function() a.id = "X" end,
      function() rawset(a, "id", "X") end,
      function() k.list[1] = 9 end,
      function() table.insert(k.list, 3) end,
      function() table.remove(k.list) end,
      function() setmetatable(k.node, {}) end,
      function() local _, d = pairs(a); d.id = "X" end,
      function() rawset(kept, 1, {}) end,
      function() index[1] = {} end,
    }
    local through = 0
    for _, try in ipairs(tries) do
      if pcall(try) then through = through + 1 end
    end
    if index[1].id ~= a.id or #ctx.kept[1].list ~= 2 or ctx.kept[1].list[1] ~= 1 then through = through + 100 end
    ctx.report(nil, nil, "views unchanged: %d of %d writes went through", through, #tries)
  end }
