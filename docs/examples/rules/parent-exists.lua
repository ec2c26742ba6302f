-- Example 3 (docs/writing-rules.md): a whole-model rule. Every agency's
-- parent must be an agency of the model (or the provincial People's
-- Committee, which is not audited). keep() runs on each agency as it streams
-- by; check() runs once at the end over ctx.index and what keep returned.
rule {
  id = "EX003", severity = "warning", scope = "model",
  title = { vi = "Cơ quan cấp trên không có trong mô hình", en = "Parent agency not in the model" },
  keep = function(agency, ctx)
    if agency.parent then return { node = agency, parent = agency.parent } end
  end,
  check = function(index, ctx)
    local known = { ["ubnd-tinh"] = true }
    for _, a in ipairs(index) do if a.id then known[a.id] = true end end
    for i, a in ipairs(index) do
      local k = ctx.kept[i]
      if k and not known[k.parent] then
        ctx.report_at(k.node, "parent", a.id,
                      { vi = "cấp trên %s không có trong mô hình", en = "parent %s is not in the model" },
                      k.parent)
      end
    end
  end,
}
