-- Procedures and the provincial catalog (Kế hoạch 5L/KH-UBND §II.1.a):
-- a procedure without an ISO process needs a complete written justification
-- (QMS003); the agency's list of procedures (TTHC) follows the catalog the
-- provincial People's Committee publishes: every procedure in force for it is
-- listed (QMS030), abolished ones are not (QMS031), and the processes of
-- amended ones were updated after the amendment (QMS032).
--
-- The catalog rules see only the catalogs that apply to the agency (same
-- `province`, or none); with none, ctx.catalogs is nil and they are skipped.
-- A code is looked up in ctx.catalog: its first entry among those catalogs.

local function is_entry(v) return type(v) == "table" end

-- White space: ASCII, and the Unicode spaces a word processor leaves behind
-- (no-break space, NEL, Ogham, en/em/thin... spaces, line/paragraph
-- separators, narrow no-break, medium mathematical, ideographic).
local function blank(v)
  if v == nil then return true end
  if type(v) ~= "string" then return false end
  local s = v:gsub("%s+", "")
  s = s:gsub("\xC2[\x85\xA0]", "")
  s = s:gsub("\xE1\x9A\x80", "")
  s = s:gsub("\xE2\x80[\x80-\x8A\xA8\xA9\xAF]", "")
  s = s:gsub("\xE2\x81\x9F", "")
  s = s:gsub("\xE3\x80\x80", "")
  return s == ""
end

-- The catalog document an entry belongs to, among ctx.catalogs.
local function catalog_of(entry, ctx)
  for _, cat in ipairs(ctx.catalogs or {}) do
    if is_entry(cat) and type(cat.procedures) == "table" then
      for _, e in ipairs(cat.procedures) do
        if e == entry then return cat end
      end
    end
  end
  return nil
end

-- How a message names a catalog: vi and en.
local function catalog_name(cat)
  local issuer = cat and type(cat.issuer) == "string" and not blank(cat.issuer) and cat.issuer
  local province = cat and (type(cat.province) == "string" or type(cat.province) == "number")
                   and tostring(cat.province)
  if issuer then
    return "danh mục TTHC của " .. issuer, "the catalog of " .. issuer
  elseif province then
    return "danh mục TTHC tỉnh " .. province, "the catalog of province " .. province
  end
  return "danh mục TTHC", "the catalog"
end

-- ---------------------------------------------------------------------------

rule {
  id = "QMS003", severity = "warning", scope = "agency",
  tags = { "procedures" },
  title = {
    vi = "Văn bản giải trình của TTHC chưa đầy đủ",
    en = "Incomplete justification for a procedure without a process",
  },
  explain = {
    vi = "Khi một TTHC không có quy trình ISO, cơ quan phải có văn bản báo cáo Sở Khoa học và "
      .. "Công nghệ nêu rõ lý do. Trường justification phải có số văn bản (document) không rỗng, "
      .. "ngày văn bản (date) hợp lệ không sau ngày kiểm tra (as_of), và lý do (reason) không "
      .. "rỗng; giá trị chỉ gồm khoảng trắng được coi là rỗng. Cách sửa: ghi đủ số, ngày và lý "
      .. "do của văn bản đã gửi Sở KH&CN; nếu chưa gửi văn bản thì gửi, hoặc xây dựng quy trình "
      .. "ISO cho TTHC và ghi vào process.",
    en = "When a procedure has no ISO process, the agency must have sent the Department of "
      .. "Science and Technology a written report giving the reason. The justification needs "
      .. "a non-empty document number (document), a valid date (date) not after the audit date "
      .. "(as_of), and a non-empty reason (reason); a value of only white space is empty. To "
      .. "fix: record the number, date and reason of the report sent to the Sở KH&CN; if none "
      .. "was sent, send one, or issue an ISO process for the procedure and name it in process.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.a; QĐ 19/2014/QĐ-TTg; TT 26/2014/TT-BKHCN",
  check = function(agency, ctx)
    if type(agency.procedures) ~= "table" then return end
    for _, p in ipairs(agency.procedures) do
      local j = is_entry(p) and p.justification
      if is_entry(j) then
        local vi, en = {}, {}
        if blank(j.document) then
          vi[#vi + 1] = "thiếu số văn bản (document)"
          en[#en + 1] = "no document number (document)"
        end
        if type(j.date) ~= "string" then
          vi[#vi + 1] = "thiếu ngày văn bản hợp lệ (date)"
          en[#en + 1] = "no valid date (date)"
        elseif j.date > ctx.as_of then
          vi[#vi + 1] = "ngày văn bản " .. j.date .. " sau ngày kiểm tra " .. ctx.as_of
          en[#en + 1] = "dated " .. j.date .. ", after the audit date " .. ctx.as_of
        end
        if blank(j.reason) then
          vi[#vi + 1] = "thiếu lý do (reason)"
          en[#en + 1] = "no reason (reason)"
        end
        if #vi > 0 then
          ctx.report(j, p.code, {
            vi = "văn bản giải trình của TTHC %s%.0s chưa đầy đủ: %s%.0s",
            en = "the justification of procedure %.0s%s is incomplete: %.0s%s",
          }, p.code or "(không có mã)", p.code or "(without code)",
             table.concat(vi, "; "), table.concat(en, "; "))
        end
      end
    end
  end,
}

-- ---------------------------------------------------------------------------

-- Is a catalog entry in force for this agency at as_of? Returns the vi and en
-- words for whom it is for, or nil.
local function required_for(e, agency, ctx)
  if type(e.published) ~= "string" or e.published > ctx.as_of then return nil end
  if type(e.abolished) == "string" and e.abolished <= ctx.as_of then return nil end
  if agency.id ~= nil and type(e.agencies) == "table" then
    for _, id in ipairs(e.agencies) do
      if id == agency.id then
        return "giao cho cơ quan " .. agency.id, "assigned to agency " .. agency.id
      end
    end
  end
  if e.level ~= nil and agency.level ~= nil and e.level == agency.level then
    local level = tostring(agency.level)
    return "áp dụng cho mọi cơ quan cấp " .. level, "for every agency of level " .. level
  end
  return nil
end

rule {
  id = "QMS030", severity = "error", scope = "agency",
  tags = { "procedures", "catalog" },
  title = {
    vi = "Cơ quan chưa có TTHC được công bố trong danh mục",
    en = "A procedure of the catalog is missing from the agency",
  },
  explain = {
    vi = "Mọi TTHC trong danh mục do UBND tỉnh công bố, thuộc thẩm quyền của cơ quan (id cơ "
      .. "quan có trong agencies, hoặc level trùng cấp của cơ quan), đã công bố (published) vào "
      .. "hoặc trước ngày kiểm tra và chưa bị bãi bỏ (abolished) vào hoặc trước ngày đó, phải có "
      .. "trong danh sách procedures của cơ quan để được đưa vào HTQLCL. TTHC không có ngày công "
      .. "bố hợp lệ không bị đòi hỏi. Chỉ xét danh mục áp dụng cho cơ quan (cùng province, hoặc "
      .. "danh mục không ghi province); khi một mã có nhiều mục, xét mục đầu tiên. Cách sửa: bổ "
      .. "sung TTHC vào procedures, kèm quy trình ISO (process) hoặc văn bản giải trình "
      .. "(justification).",
    en = "Every procedure of the catalog published by the provincial People's Committee that "
      .. "the agency handles (its id in agencies, or the entry's level equal to the agency's "
      .. "level), published on or before the audit date and not abolished on or before it, "
      .. "must be in the agency's procedures list, so that the quality system covers it. An "
      .. "entry without a valid published date is not required. Only catalogs that apply to the "
      .. "agency count (same province, or a catalog without province); when a code has several "
      .. "entries, the first is used. To fix: add the procedure to procedures, with its ISO "
      .. "process or a justification.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.a; QĐ 19/2014/QĐ-TTg; QĐ 101/QĐ-BKHCN (21/01/2019)",
  check = function(agency, ctx)
    if ctx.catalogs == nil or ctx.catalog == nil then return end
    local listed = {}
    local list = agency.procedures
    if type(list) == "table" then
      for _, p in ipairs(list) do
        if is_entry(p) and type(p.code) == "string" then listed[p.code] = true end
      end
    else
      list = agency
    end
    local seen = {}
    for _, cat in ipairs(ctx.catalogs) do
      if is_entry(cat) and type(cat.procedures) == "table" then
        for _, e in ipairs(cat.procedures) do
          local code = is_entry(e) and e.code
          if type(code) == "string" and not seen[code] then
            seen[code] = true
            local first = ctx.catalog[code] or e
            local for_vi, for_en = required_for(first, agency, ctx)
            if for_vi and not listed[code] then
              local cat_vi, cat_en = catalog_name(catalog_of(first, ctx) or cat)
              ctx.report(list, code, {
                vi = "cơ quan %s%.0s chưa có TTHC %s trong procedures: TTHC được công bố ngày %s "
                  .. "trong %s%.0s, %s%.0s",
                en = "agency %.0s%s does not list procedure %s: published on %s in %.0s%s, "
                  .. "%.0s%s",
              }, agency.id or "(không có id)", agency.id or "(without id)", code, first.published,
                 cat_vi, cat_en, for_vi, for_en)
            end
          end
        end
      end
    end
  end,
}

-- ---------------------------------------------------------------------------

rule {
  id = "QMS031", severity = "warning", scope = "agency",
  tags = { "procedures", "catalog" },
  title = {
    vi = "Cơ quan còn giữ TTHC đã bị bãi bỏ",
    en = "The agency lists an abolished procedure",
  },
  explain = {
    vi = "Một TTHC mà danh mục áp dụng cho cơ quan ghi ngày bãi bỏ (abolished) vào hoặc trước "
      .. "ngày kiểm tra không còn được giải quyết; HTQLCL phải được cập nhật theo. Mã TTHC được "
      .. "tra trong các danh mục áp dụng cho cơ quan, mục đầu tiên. Cách sửa: bỏ TTHC khỏi "
      .. "procedures, thu hồi hoặc sửa quy trình ISO tương ứng, và điều chỉnh phạm vi HTQLCL nếu "
      .. "cần.",
    en = "A procedure that a catalog applying to the agency abolished on or before the audit "
      .. "date is no longer handled; the quality system must follow. The code is looked up in "
      .. "the catalogs that apply to the agency, first entry. To fix: remove the procedure from "
      .. "procedures, withdraw or revise its ISO process, and adjust the scope of the quality "
      .. "system if needed.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.a; QĐ 19/2014/QĐ-TTg Điều 4",
  check = function(agency, ctx)
    if ctx.catalog == nil or type(agency.procedures) ~= "table" then return end
    for _, p in ipairs(agency.procedures) do
      local e = is_entry(p) and type(p.code) == "string" and ctx.catalog[p.code]
      if is_entry(e) and type(e.abolished) == "string" and e.abolished <= ctx.as_of then
        local cat_vi, cat_en = catalog_name(catalog_of(e, ctx))
        ctx.report(p, p.code, {
          vi = "TTHC %s đã bị bãi bỏ từ ngày %s theo %s%.0s, nhưng cơ quan vẫn còn giữ trong "
            .. "procedures",
          en = "procedure %s was abolished on %s by %.0s%s, but the agency still lists it",
        }, p.code, e.abolished, cat_vi, cat_en)
      end
    end
  end,
}

-- ---------------------------------------------------------------------------

rule {
  id = "QMS032", severity = "warning", scope = "agency",
  tags = { "procedures", "processes", "catalog" },
  title = {
    vi = "Quy trình chưa được cập nhật sau khi TTHC sửa đổi",
    en = "Process not updated after the procedure was amended",
  },
  explain = {
    vi = "Khi danh mục áp dụng cho cơ quan ghi một TTHC được sửa đổi, bổ sung (amended) vào "
      .. "hoặc trước ngày kiểm tra, quy trình ISO của TTHC (process, tra trong processes của cơ "
      .. "quan, mục đầu tiên) phải được ban hành lại (issued) vào hoặc sau ngày sửa đổi; ban "
      .. "hành cùng ngày là kịp thời. Không xét khi thiếu một trong các ngày này. Cách sửa: rà "
      .. "soát, ban hành lại quy trình theo TTHC đã sửa đổi và ghi ngày ban hành mới vào issued.",
    en = "When a catalog applying to the agency records that a procedure was amended on or "
      .. "before the audit date, the procedure's ISO process (process, looked up in the "
      .. "agency's processes, first entry) must have been issued on or after the amendment; "
      .. "issued the same day is in time. Not checked when one of these dates is missing. To "
      .. "fix: review and reissue the process for the amended procedure and record the new "
      .. "date in issued.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.a; QĐ 19/2014/QĐ-TTg Điều 4; QĐ 101/QĐ-BKHCN (21/01/2019)",
  check = function(agency, ctx)
    if ctx.catalog == nil or type(agency.procedures) ~= "table" then return end
    local processes = {}
    if type(agency.processes) == "table" then
      for _, q in ipairs(agency.processes) do
        if is_entry(q) and type(q.id) == "string" and processes[q.id] == nil then
          processes[q.id] = q
        end
      end
    end
    for _, p in ipairs(agency.procedures) do
      local e = is_entry(p) and type(p.code) == "string" and ctx.catalog[p.code]
      local q = is_entry(e) and type(p.process) == "string" and processes[p.process]
      if q and type(e.amended) == "string" and e.amended <= ctx.as_of
         and type(q.issued) == "string" and q.issued < e.amended then
        local cat_vi, cat_en = catalog_name(catalog_of(e, ctx))
        ctx.report(p, p.code, {
          vi = "quy trình %s của TTHC %s ban hành ngày %s, trước ngày TTHC được sửa đổi %s "
            .. "theo %s%.0s: quy trình chưa được cập nhật",
          en = "process %s of procedure %s was issued on %s, before the procedure was amended "
            .. "on %s by %.0s%s: the process has not been updated",
        }, p.process, p.code, q.issued, e.amended, cat_vi, cat_en)
      end
    end
  end,
}
