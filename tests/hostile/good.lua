rule { id = "MINE01", severity = "warning", scope = "agency", title = "every agency",
  check = function(agency, ctx) ctx.report(agency, agency.id, "agency %s seen", agency.id) end }
