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
--
-- These rules read every procedure of every agency (QMS030 every entry of
-- the catalogs too), and the budget's hook makes each Lua instruction cost
-- several times its own work (a call more): so they count with a numeric
-- for, keep isorules.null and ctx fields in locals and test the cheap things
-- first. An item of a list is a table, isorules.null, or (a list that is
-- also an id list, through a YAML alias) a string, whose fields read as nil:
-- an item's fields can be read once it is not null, and type(), a C call, is
-- left for the few items that pass the other tests.

local function is_entry(v) return type(v) == "table" end

-- White space: ASCII, and the Unicode spaces a word processor leaves behind
-- (no-break space, NEL, Ogham, en/em/thin... spaces, line/paragraph
-- separators, narrow no-break, medium mathematical, ideographic). Their
-- UTF-8 forms are C2 85, C2 A0, E1 9A 80, E2 80 80..8A, E2 80 A8, E2 80 A9,
-- E2 80 AF, E2 81 9F and E3 80 80. A value with a byte that is neither %s nor
-- one of these bytes is not blank: one find settles most values, and only
-- the others go through the removal.
local NOT_SPACE = "[^%s\x80-\x8A\x9A\x9F\xA0\xA8\xA9\xAF\xC2\xE1-\xE3]"

local function blank(v)
  if v == nil then return true end
  if type(v) ~= "string" then return false end
  if v:find(NOT_SPACE) then return false end
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
  local catalogs = ctx.catalogs or {}
  for c = 1, #catalogs do
    local cat = catalogs[c]
    local list = is_entry(cat) and cat.procedures
    if is_entry(list) then
      for i = 1, #list do
        if list[i] == entry then return cat end
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

-- QMS003 on one justification j (a table) of procedure p.
local function check_justification(p, j, ctx)
  local no_document, no_reason = blank(j.document), blank(j.reason)
  local date, as_of = j.date, ctx.as_of
  local no_date = type(date) ~= "string"
  if not (no_document or no_date or date > as_of or no_reason) then return end
  local vi, en = {}, {}
  if no_document then
    vi[#vi + 1] = "thiếu số văn bản (document)"
    en[#en + 1] = "no document number (document)"
  end
  if no_date then
    vi[#vi + 1] = "thiếu ngày văn bản hợp lệ (date)"
    en[#en + 1] = "no valid date (date)"
  elseif date > as_of then
    vi[#vi + 1] = "ngày văn bản " .. date .. " sau ngày kiểm tra " .. as_of
    en[#en + 1] = "dated " .. date .. ", after the audit date " .. as_of
  end
  if no_reason then
    vi[#vi + 1] = "thiếu lý do (reason)"
    en[#en + 1] = "no reason (reason)"
  end
  ctx.report(j, p.code, {
    vi = "văn bản giải trình của TTHC %s%.0s chưa đầy đủ: %s%.0s",
    en = "the justification of procedure %.0s%s is incomplete: %.0s%s",
  }, p.code or "(không có mã)", p.code or "(without code)",
     table.concat(vi, "; "), table.concat(en, "; "))
end

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
    local list, null = agency.procedures, isorules.null
    if type(list) ~= "table" then return end
    for i = 1, #list do
      local p = list[i]
      if p ~= null then
        local j = p.justification
        if j and type(j) == "table" then check_justification(p, j, ctx) end
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
  local ids = e.agencies
  if agency.id ~= nil and type(ids) == "table" then
    for i = 1, #ids do
      if ids[i] == agency.id then
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

-- The codes of the procedures in list, as a set.
local function codes_of(list)
  local codes, null = {}, isorules.null
  if type(list) ~= "table" then return codes end
  for i = 1, #list do
    local code = list[i] ~= null and list[i].code
    if code then codes[code] = true end -- only strings match catalog codes
  end
  return codes
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
    local catalogs, catalog = ctx.catalogs, ctx.catalog
    if catalogs == nil or catalog == nil then return end
    local procedures, null = agency.procedures, isorules.null
    local node = type(procedures) == "table" and procedures or agency -- where findings point
    local listed, level, reported = codes_of(procedures), agency.level, {}
    for c = 1, #catalogs do
      local cat = catalogs[c]
      local entries = is_entry(cat) and cat.procedures
      if is_entry(entries) then
        for i = 1, #entries do
          local e = entries[i]
          -- An entry can be for this agency only if it names agencies or is
          -- of the agency's level (most are not). A code is decided by its
          -- first entry, ctx.catalog[code]: this walk meets it first, and in
          -- this catalog.
          if e ~= null and (e.agencies ~= nil or (level ~= nil and e.level == level)) then
            local code = e.code
            if code and catalog[code] == e and not listed[code] then
              local for_vi, for_en = required_for(e, agency, ctx)
              if for_vi and not reported[code] then -- an alias may list the entry again
                reported[code] = true
                local cat_vi, cat_en = catalog_name(cat)
                ctx.report(node, code, {
                  vi = "cơ quan %s%.0s chưa có TTHC %s trong procedures: TTHC được công bố ngày %s "
                    .. "trong %s%.0s, %s%.0s",
                  en = "agency %.0s%s does not list procedure %s: published on %s in %.0s%s, "
                    .. "%.0s%s",
                }, agency.id or "(không có id)", agency.id or "(without id)", code, e.published,
                   cat_vi, cat_en, for_vi, for_en)
              end
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
    local catalog, list, null = ctx.catalog, agency.procedures, isorules.null
    if catalog == nil or type(list) ~= "table" then return end
    local as_of = ctx.as_of
    for i = 1, #list do
      local p = list[i]
      local e = p ~= null and catalog[p.code] -- catalog codes are strings: no other code has one
      local abolished = e and e.abolished
      if abolished and type(abolished) == "string" and abolished <= as_of then
        local cat_vi, cat_en = catalog_name(catalog_of(e, ctx))
        ctx.report(p, p.code, {
          vi = "TTHC %s đã bị bãi bỏ từ ngày %s theo %s%.0s, nhưng cơ quan vẫn còn giữ trong "
            .. "procedures",
          en = "procedure %s was abolished on %s by %.0s%s, but the agency still lists it",
        }, p.code, abolished, cat_vi, cat_en)
      end
    end
  end,
}

-- ---------------------------------------------------------------------------

-- The agency's processes by id, the first entry of each.
local function first_processes(agency)
  local processes = {}
  if type(agency.processes) == "table" then
    for _, q in ipairs(agency.processes) do
      if is_entry(q) and type(q.id) == "string" and processes[q.id] == nil then
        processes[q.id] = q
      end
    end
  end
  return processes
end

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
    local catalog, list, null = ctx.catalog, agency.procedures, isorules.null
    if catalog == nil or type(list) ~= "table" then return end
    local as_of = ctx.as_of
    local processes -- id -> first process entry, made when first needed
    for i = 1, #list do
      local p = list[i]
      local e = p ~= null and catalog[p.code] -- catalog codes are strings: no other code has one
      local amended = e and e.amended
      if amended and type(amended) == "string" and amended <= as_of
         and type(p.process) == "string" then
        processes = processes or first_processes(agency)
        local q = processes[p.process]
        if q and type(q.issued) == "string" and q.issued < amended then
          local cat_vi, cat_en = catalog_name(catalog_of(e, ctx))
          ctx.report(p, p.code, {
            vi = "quy trình %s của TTHC %s ban hành ngày %s, trước ngày TTHC được sửa đổi %s "
              .. "theo %s%.0s: quy trình chưa được cập nhật",
            en = "process %s of procedure %s was issued on %s, before the procedure was amended "
              .. "on %s by %.0s%s: the process has not been updated",
          }, p.process, p.code, q.issued, e.amended, cat_vi, cat_en)
        end
      end
    end
  end,
}
