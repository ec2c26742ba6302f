-- expect: finding inside load: os=nil io=nil require=nil package=nil debug=nil dofile=nil loadfile=nil collectgarbage=nil coroutine=nil string.dump=nil; _G is the file's: true
-- Tries: load of a text chunk, which must get the file's environment, not the
-- real globals: the chunk reports what it sees.
rule { id = "HOST29", severity = "error", scope = "agency", title = "load of text",
  check = function(agency, ctx)
    local names = { "os", "io", "require", "package", "debug", "dofile", "loadfile",
                    "collectgarbage", "coroutine", "string.dump" }
    local seen = {}
    for i, name in ipairs(names) do
      seen[i] = name .. "=" .. tostring(load("return " .. name)())
    end
    ctx.report(agency, agency.id, "inside load: %s; _G is the file's: %s",
               table.concat(seen, " "), tostring(load("return _G")() == _G))
  end }
