-- Reporting (Kế hoạch 5L/KH-UBND §IV.1): every agency applying the system
-- reports on it every year before 15 December, to the Sở KH&CN; a commune
-- (UBND cấp xã) reports to its district, which sums up for the Sở KH&CN.
--
-- Reports submitted after as_of are ignored as if not sent yet (RULES.md
-- "Records after as_of"). Dates are ISO strings after the model stage; a
-- quoted or otherwise unreadable year is already removed (FMT002), so such a
-- report counts for no year.

local function is_entry(v) return type(v) == "table" end
local function is_date(v) return type(v) == "string" end

local function due(y) return string.format("%04d-12-15", y) end

rule {
  id = "QMS050", severity = "error", scope = "agency",
  tags = { "reporting" },
  title = {
    vi = "Thiếu hoặc chậm báo cáo định kỳ hằng năm về HTQLCL",
    en = "Missing or late yearly report on the quality management system",
  },
  explain = {
    vi = "Các cơ quan áp dụng HTQLCL báo cáo định kỳ trước ngày 15/12 hằng năm về kết quả áp "
      .. "dụng, duy trì và cải tiến HTQLCL. Bộ quy tắc hiểu \"trước ngày 15/12\" là \"đến hết "
      .. "ngày 15/12\". Mỗi năm Y, từ năm đầu tiên có ngày 15/12 bằng hoặc sau applied_since "
      .. "đến năm cuối cùng có ngày 15/12 bằng hoặc trước ngày kiểm tra (as_of), cần một mục "
      .. "reports có year: Y và submitted không muộn hơn 15/12/Y (một báo cáo đúng hạn là đủ). "
      .. "Thiếu báo cáo và báo cáo muộn là hai thông báo khác nhau. Báo cáo gửi sau as_of được "
      .. "coi như chưa gửi; year phải là số nguyên (year: \"2020\" trong dấu nháy là lỗi FMT002 "
      .. "và không được tính). Không xét cơ quan không có qms hoặc không có applied_since hợp "
      .. "lệ. Cách sửa: gửi báo cáo năm còn thiếu và ghi year, submitted, to vào qms.reports.",
    en = "Agencies applying the system report every year, before 15 December, on how they "
      .. "apply, maintain and improve it. The pack reads \"before 15/12\" as \"on or before 15 "
      .. "December\". For every year Y from the first whose 15 December is on or after "
      .. "applied_since to the last whose 15 December is on or before the audit date (as_of), "
      .. "qms.reports needs an entry with year: Y submitted on or before 15 December of Y (one "
      .. "report in time is enough). A missing and a late report give different messages. A "
      .. "report submitted after as_of counts as not sent yet; year must be an integer (a "
      .. "quoted year: \"2020\" is FMT002 and counts for no year). Not checked for an agency "
      .. "without qms or without a valid applied_since. To fix: send the missing report and "
      .. "record its year, submitted and to in qms.reports.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §IV.1",
  check = function(agency, ctx)
    local qms = agency.qms
    if not is_entry(qms) or not is_date(qms.applied_since) then return end
    local since, as_of = qms.applied_since, ctx.as_of
    local first = tonumber(since:sub(1, 4))
    if since > due(first) then first = first + 1 end
    local last = tonumber(as_of:sub(1, 4))
    if as_of < due(last) then last = last - 1 end
    if first > last then return end

    -- per year: a report in time, the earliest late submission, one undated
    local in_time, late, undated = {}, {}, {}
    local reports, null = qms.reports, isorules.null
    if is_entry(reports) then
      for i = 1, #reports do
        local r = reports[i]
        local y = r ~= null and r.year -- nil for a string item
        if y and math.type(y) == "integer" and y >= first and y <= last then
          local submitted = r.submitted
          if not is_date(submitted) then
            undated[y] = true
          elseif submitted <= as_of then -- a report submitted later is not sent yet
            if submitted <= due(y) then
              in_time[y] = true
            elseif late[y] == nil or submitted < late[y] then
              late[y] = submitted
            end
          end
        end
      end
    end

    local node = is_entry(reports) and reports or qms
    for y = first, last do
      if not in_time[y] then
        if late[y] then
          ctx.report(node, y, {
            vi = "báo cáo định kỳ năm %d gửi muộn ngày %s, sau hạn 15/12/%d",
            en = "the yearly report for %d was submitted late, on %s, after 15 December %d",
          }, y, late[y], y)
        elseif undated[y] then
          ctx.report(node, y, {
            vi = "báo cáo định kỳ năm %d không có ngày gửi (submitted) nên không xác định được đã gửi đúng hạn 15/12/%d",
            en = "the yearly report for %d has no submitted date, so it is not known to be in time for 15 December %d",
          }, y, y)
        else
          ctx.report(node, y, {
            vi = "thiếu báo cáo định kỳ năm %d về HTQLCL (hạn 15/12/%d)",
            en = "no yearly report for %d on the quality management system (due 15 December %d)",
          }, y, y)
        end
      end
    end
  end,
}

rule {
  id = "QMS051", severity = "warning", scope = "model",
  tags = { "reporting" },
  title = {
    vi = "Báo cáo HTQLCL gửi sai nơi nhận",
    en = "Report on the quality management system sent to the wrong recipient",
  },
  explain = {
    vi = "UBND cấp xã (level: commune) gửi báo cáo cho UBND cấp huyện: trường to của mỗi báo "
      .. "cáo phải là parent của xã (luôn được xét; xã thiếu parent hoặc báo cáo thiếu to đều bị "
      .. "báo). Các cơ quan khác gửi báo cáo cho Sở Khoa học và Công nghệ: to phải là id của một "
      .. "cơ quan role: dost phục vụ cơ quan đó (cùng province, hoặc Sở KH&CN không ghi "
      .. "province thì phục vụ mọi cơ quan), bất kỳ Sở nào nếu có nhiều; chỉ xét khi trong mô "
      .. "hình có Sở KH&CN phục vụ cơ quan, và không xét báo cáo của chính Sở KH&CN. Báo cáo "
      .. "gửi sau ngày kiểm tra (as_of) không được xét. Cách sửa: ghi đúng nơi nhận vào to, "
      .. "hoặc ghi parent cho xã.",
    en = "A commune (level: commune) reports to its district: the to field of each report must "
      .. "be the commune's parent (always checked; a commune without parent, or a report "
      .. "without to, is a finding). Any other agency reports to the Department of Science and "
      .. "Technology: to must be the id of an agency with role: dost that serves it (same "
      .. "province, or a Sở KH&CN without province serves every agency), any of them if there "
      .. "are several; checked only when the model has one that serves the agency, and the "
      .. "reports of the Sở KH&CN itself are not checked. Reports submitted after the audit "
      .. "date (as_of) are not checked. To fix: correct the recipient in to, or give the "
      .. "commune its parent.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §IV.1",
  keep = function(agency, ctx)
    local qms = agency.qms
    if not is_entry(qms) or not is_entry(qms.reports) then return nil end
    local commune = agency.level == "commune"
    if not commune and agency.role == "dost" then return nil end
    -- A commune's report to its parent is right: check would say nothing of
    -- it, so it is not kept (most communes then keep nothing). check reads
    -- the parent from ctx.index, the same text unless it holds a NUL byte:
    -- then every report is kept.
    local parent = agency.parent
    if not commune or type(parent) ~= "string" or parent:find("\0", 1, true) then parent = nil end
    local list, as_of = qms.reports, ctx.as_of
    local reports = {}
    for i = 1, #list do
      local r = list[i]
      if is_entry(r) and not (is_date(r.submitted) and r.submitted > as_of)
         and (parent == nil or r.to ~= parent) then
        reports[#reports + 1] = r
      end
    end
    if #reports == 0 then return nil end
    -- level, parent and province are read from ctx.index in check, in the
    -- same form as the Sở KH&CN's entries
    return { reports = reports }
  end,
  check = function(index, ctx)
    -- the Sở KH&CN: those without a province serve everyone
    local everywhere, by_province = {}, {}
    local any_everywhere = false
    for i = 1, #index do
      local a = index[i]
      if a.role == "dost" then
        if a.province == nil then
          any_everywhere = true
          if a.id then everywhere[a.id] = true end
        else
          local p = by_province[a.province] or {}
          by_province[a.province] = p
          if a.id then p[a.id] = true end
        end
      end
    end

    local kept = ctx.kept
    for i = 1, #index do
      -- every agency document, a repeated id or none included
      local a, k = index[i], kept[i]
      local name = a.id or "?"
      if k and a.level == "commune" then
        local reports = k.reports
        for j = 1, #reports do
          local r = reports[j]
          if a.parent == nil then
            ctx.report(r, r.year, {
              vi = "xã %s không có cơ quan cấp trên (parent) để nhận báo cáo năm %s",
              en = "commune %s has no parent to receive its report for %s",
            }, name, r.year or "?")
          elseif r.to == nil then
            ctx.report(r, r.year, {
              vi = "báo cáo năm %s của xã %s không ghi nơi nhận (to); phải gửi UBND cấp huyện %s",
              en = "the report for %s of commune %s has no recipient (to); it goes to the district %s",
            }, r.year or "?", name, a.parent)
          elseif r.to ~= a.parent then
            ctx.report(r, r.year, {
              vi = "báo cáo năm %s của xã %s gửi %s, nhưng phải gửi UBND cấp huyện %s",
              en = "the report for %s of commune %s went to %s, but it goes to the district %s",
            }, r.year or "?", name, r.to, a.parent)
          end
        end
      elseif k and a.role ~= "dost" then
        local local_dost = a.province ~= nil and by_province[a.province] or nil
        if any_everywhere or local_dost then
          local reports = k.reports
          for j = 1, #reports do
            local r = reports[j]
            local to = r.to
            if to == nil then
              ctx.report(r, r.year, {
                vi = "báo cáo năm %s của cơ quan %s không ghi nơi nhận (to); phải gửi Sở KH&CN",
                en = "the report for %s of agency %s has no recipient (to); it goes to the Sở KH&CN",
              }, r.year or "?", name)
            elseif not (everywhere[to] or (local_dost and local_dost[to])) then
              ctx.report(r, r.year, {
                vi = "báo cáo năm %s của cơ quan %s gửi %s, không phải Sở KH&CN phụ trách cơ quan",
                en = "the report for %s of agency %s went to %s, which is not a Sở KH&CN serving it",
              }, r.year or "?", name, to)
            end
          end
        end
      end
    end
  end,
}
