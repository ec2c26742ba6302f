-- Example 2 (docs/writing-rules.md): dates. An internal audit within the 12
-- months before the audit date, pointing at the list when there is none.
rule {
  id = "EX002", severity = "error", scope = "agency",
  title = { vi = "Chưa đánh giá nội bộ trong 12 tháng", en = "No internal audit in 12 months" },
  basis = "Kế hoạch 5L/KH-UBND §II.1.b",
  check = function(agency, ctx)
    local qms = agency.qms
    if type(qms) ~= "table" then return end
    for _, a in ipairs(qms.internal_audits or {}) do
      if type(a) == "table" and ctx.within_12_months(a.date) then return end
    end
    ctx.report(qms.internal_audits or qms, agency.id,
               { vi = "không có đánh giá nội bộ từ %s đến %s",
                 en = "no internal audit between %s and %s" },
               ctx.year_before(ctx.as_of), ctx.as_of)
  end,
}
