-- expect: finding GOOD_SECRET: nil nil nil nil
-- Tries: reading a global that another rule file set (good.lua sets GOOD_SECRET
-- at load, before any rule runs), directly, through _G, rawget and a loaded
-- chunk.
rule { id = "HOST27", severity = "error", scope = "agency", title = "other file's globals",
  check = function(agency, ctx)
    ctx.report(agency, agency.id, "GOOD_SECRET: %s %s %s %s", tostring(GOOD_SECRET),
               tostring(_G.GOOD_SECRET), tostring(rawget(_G, "GOOD_SECRET")),
               tostring(load("return GOOD_SECRET")()))
  end }
