-- Procedures (Kế hoạch 5L/KH-UBND §II.1.a): every administrative procedure
-- (TTHC) an agency handles is covered by an ISO process, or a written
-- report to the Sở KH&CN explains why not.

-- Both rules read every procedure of every agency, and the budget's hook
-- makes each Lua instruction cost several times its own work (a call more):
-- so they count with a numeric for, keep isorules.null in a local and test
-- the cheap things first. An item of a list is a table, isorules.null, or (a
-- list that is also an id list, through a YAML alias) a string, whose fields
-- read as nil: an item's fields can be read once it is not null, and type(),
-- a C call, is left for the few items that pass the other tests.

rule {
  id = "QMS001", severity = "error", scope = "agency",
  tags = { "procedures" },
  title = {
    vi = "TTHC chưa có quy trình ISO hoặc văn bản giải trình",
    en = "Procedure with neither an ISO process nor a written justification",
  },
  explain = {
    vi = "Mỗi TTHC cơ quan giải quyết phải được đưa vào HTQLCL bằng một quy trình ISO "
      .. "(trường process), hoặc cơ quan phải có văn bản báo cáo Sở Khoa học và Công nghệ "
      .. "nêu rõ lý do không xây dựng quy trình (trường justification). Cách sửa: ban hành "
      .. "quy trình và ghi mã vào process, hoặc ghi văn bản giải trình đã gửi Sở KH&CN.",
    en = "Every administrative procedure the agency handles must be covered by an ISO "
      .. "process (field process), or the agency must have sent the Department of Science and "
      .. "Technology a written report giving the reason (field justification). To fix: issue "
      .. "a process and name it in process, or record the justification sent to the Sở KH&CN.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.a; QĐ 19/2014/QĐ-TTg",
  check = function(agency, ctx)
    local list, null = agency.procedures, isorules.null
    if type(list) ~= "table" then return end
    for i = 1, #list do
      local p = list[i]
      if p ~= null and p.process == nil and p.justification == nil and type(p) == "table" then
        ctx.report(p, p.code, {
          vi = "TTHC %s chưa có quy trình ISO và chưa có văn bản giải trình gửi Sở KH&CN",
          en = "procedure %s has neither an ISO process nor a written justification",
        }, p.code or "(không mã)")
      end
    end
  end,
}

rule {
  id = "QMS002", severity = "error", scope = "agency",
  tags = { "procedures", "processes" },
  title = {
    vi = "TTHC dẫn chiếu quy trình không có trong cơ quan",
    en = "Procedure names a process the agency does not define",
  },
  explain = {
    vi = "Trường process của một TTHC phải là id của một quy trình ISO được định nghĩa trong "
      .. "danh sách processes của chính cơ quan đó (so sánh sau khi chuẩn hóa mã). Cách sửa: "
      .. "sửa mã quy trình, hoặc bổ sung quy trình vào processes.",
    en = "A procedure's process must be the id of an ISO process defined in the same "
      .. "agency's processes list (compared after normalisation). To fix: correct the process "
      .. "id, or add the process to processes.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.a; QĐ 19/2014/QĐ-TTg",
  check = function(agency, ctx)
    local list, null = agency.procedures, isorules.null
    if type(list) ~= "table" then return end
    local defined = {}
    local processes = agency.processes
    if type(processes) == "table" then
      for i = 1, #processes do
        local q = processes[i]
        if q ~= null and type(q.id) == "string" then defined[q.id] = true end
      end
    end
    for i = 1, #list do
      local p = list[i]
      -- defined holds strings only: no process, or one of another type, is not in it
      if p ~= null and not defined[p.process] and type(p.process) == "string" then
        ctx.report_at(p, "process", p.code, {
          vi = "TTHC %s dẫn chiếu quy trình %s, nhưng cơ quan không có quy trình này",
          en = "procedure %s names process %s, which the agency does not define",
        }, p.code or "?", p.process)
      end
    end
  end,
}
