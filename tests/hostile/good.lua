-- The benign rule file that runs next to every hostile one (README.md). Its
-- finding uses string methods, the libraries, base functions, ctx and a
-- global of its own, so that a hostile file that changed what other files
-- see would change it: tests/cli.sh compares every run's other findings with
-- a run of this file alone.
GOOD_SECRET = "good.lua's own global"
rule { id = "MINE01", severity = "warning", scope = "agency", title = "every agency",
  check = function(agency, ctx)
    local seen = { ("ok"):upper(), string.lower("OK"), tostring(math.floor(1.5)),
                   table.concat({ "a", "b" }, "+"), utf8.char(72), type(pairs),
                   tostring(select("#", 1, 2)), ctx.as_of, GOOD_SECRET }
    for _, v in ipairs({ ("abc"):find("b"), #("x"):rep(3) }) do seen[#seen + 1] = tostring(v) end
    ctx.report(agency, agency.id, "agency %s seen (%s)", agency.id, table.concat(seen, " "))
  end }
