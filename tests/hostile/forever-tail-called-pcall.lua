-- expect: error instruction budget spent
-- Tries: to end the run inside a pcall that the check tail-calls. When the
-- budget is spent the hook raises, the pcall catches it, and the hook would
-- raise again at the next Lua line, but `return pcall(...)` leaves no line
-- to run: the run ended as a success, tripped, with no errors entry. A
-- run that ends tripped now fails with its limit's message (found by a
-- review in session 4).
rule { id = "HOST66", severity = "error", scope = "agency", title = "tail-called pcall",
  check = function(agency, ctx)
    return pcall(function()
      local x = 0
      for i = 1, 1e9 do x = x + i end
    end)
  end }
