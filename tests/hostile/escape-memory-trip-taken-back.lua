-- expect: error memory limit reached
-- Tries: to have a memory trip taken back, and caught by pcall. When a
-- growth passes the memory limit, the allocator trips but lets Lua collect
-- garbage and ask again for the same block; if that fits, the trip is
-- taken back (docs/engine.md "Limits"). Here Lua's second request fails
-- too, the deep stack is freed as the error unwinds, and the hook then
-- makes its own message, "memory limit reached (8000000 bytes)" under the
-- limits of these tests: a string of the size of the refused ones (36
-- characters), which a review found taken for Lua's second request, so
-- that the trip was taken back and the outer pcall caught it. A refused
-- second request now ends what can be taken back.
rule { id = "HOST65", severity = "error", scope = "agency", title = "catch a memory trip",
  check = function(agency, ctx)
    local fmt, t = string.format, {}
    for i = 1, 100000 do t[i] = false end
    local function fill()
      local i = 0
      while true do i = i + 1; t[i] = fmt("%036d", i) end
    end
    local function deep(n)
      if n > 0 then return deep(n - 1) + 0 end
      fill()
    end
    local ok, err = pcall(function()
      pcall(deep, 3000)
      local x = 1
    end)
    ctx.report(agency, agency.id, "still running after pcall caught: %s", tostring(err))
  end }
