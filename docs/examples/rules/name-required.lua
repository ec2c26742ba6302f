-- Example 1 (docs/writing-rules.md): every agency states its name.
rule {
  id = "EX001", severity = "warning", scope = "agency",
  title = { vi = "Cơ quan thiếu tên", en = "Agency without a name" },
  explain = {
    vi = "Mỗi cơ quan cần có trường name để báo cáo dễ đọc.",
    en = "Every agency needs a name field so that reports are readable.",
  },
  basis = "Quy ước nội bộ của đoàn kiểm tra",
  check = function(agency, ctx)
    if type(agency.name) ~= "string" or agency.name:match("^%s*$") then
      ctx.report(agency, agency.id, { vi = "cơ quan %s chưa có tên", en = "agency %s has no name" },
                 agency.id or "?")
    end
  end,
}
