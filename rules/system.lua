-- The system itself (Kế hoạch 5L/KH-UBND §II.1.b, §II.1.c; QĐ 19/2014/QĐ-TTg
-- Điều 4): a new announcement after every change of scope, the notice of
-- each announcement sent to the Sở KH&CN, and at least one internal audit and
-- one management review a year.
--
-- Records dated after as_of (announcements, their notified date, scope
-- changes, audits, reviews) are ignored as if they had not happened yet
-- (RULES.md "Records after as_of"). Dates are ISO strings after the model
-- stage, so they compare as strings; an invalid one is already absent.

local function is_entry(v) return type(v) == "table" end
local function is_date(v) return type(v) == "string" end

-- a list field of qms, or an empty list (one, shared: never written to)
local NONE = {}
local function list(qms, key)
  if is_entry(qms) and is_entry(qms[key]) then return qms[key] end
  return NONE
end

-- a subject or message argument from a free-text field
local function text(v)
  if type(v) == "string" or math.type(v) == "integer" then return v end
  return nil
end

rule {
  id = "QMS010", severity = "error", scope = "agency",
  tags = { "system", "announcements" },
  title = {
    vi = "Điều chỉnh phạm vi HTQLCL chưa được công bố lại",
    en = "Change of scope not followed by a new announcement",
  },
  explain = {
    vi = "Khi điều chỉnh, mở rộng hoặc thu hẹp phạm vi áp dụng HTQLCL (scope_changes), cơ quan "
      .. "phải công bố lại HTQLCL phù hợp TCVN ISO 9001:2015: mỗi lần thay đổi phạm vi cần một "
      .. "quyết định công bố (announcements) có ngày bằng hoặc sau ngày thay đổi (cùng ngày "
      .. "được tính; một quyết định công bố có thể đáp ứng nhiều lần thay đổi). Các bản ghi có "
      .. "ngày sau ngày kiểm tra (as_of) được coi như chưa xảy ra. Cách sửa: ban hành quyết định "
      .. "công bố lại HTQLCL và ghi vào announcements (date, decision, notified).",
    en = "When the scope of the quality management system is adjusted, expanded or narrowed "
      .. "(scope_changes), the agency must announce its system again as conforming to TCVN ISO "
      .. "9001:2015: every scope change needs an announcement dated on or after it (the same "
      .. "day counts; one announcement may answer several changes). Records dated after the "
      .. "audit date (as_of) are ignored as not yet happened. To fix: issue a new announcement "
      .. "decision and record it in announcements (date, decision, notified).",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.c; QĐ 19/2014/QĐ-TTg Điều 4",
  check = function(agency, ctx)
    local qms = agency.qms
    if not is_entry(qms) then return end
    -- the latest announcement on or before as_of answers every change up to its date
    local as_of, latest = ctx.as_of, nil
    local announcements = list(qms, "announcements")
    for i = 1, #announcements do
      local a = announcements[i]
      if is_entry(a) and is_date(a.date) and a.date <= as_of
         and (latest == nil or a.date > latest) then
        latest = a.date
      end
    end
    local changes = list(qms, "scope_changes")
    for i = 1, #changes do
      local s = changes[i]
      if is_entry(s) and is_date(s.date) and s.date <= as_of
         and (latest == nil or latest < s.date) then
        if latest == nil then
          ctx.report(s, s.date, {
            vi = "thay đổi phạm vi HTQLCL ngày %s chưa được công bố lại: cơ quan chưa có quyết định công bố nào",
            en = "the change of scope of %s has not been announced: the agency has no announcement",
          }, s.date)
        else
          ctx.report(s, s.date, {
            vi = "thay đổi phạm vi HTQLCL ngày %s chưa được công bố lại: quyết định công bố gần nhất là ngày %s",
            en = "the change of scope of %s has not been announced: the latest announcement is of %s",
          }, s.date, latest)
        end
      end
    end
  end,
}

rule {
  id = "QMS011", severity = "warning", scope = "agency",
  tags = { "system", "announcements" },
  title = {
    vi = "Công bố HTQLCL chưa gửi thông báo cho Sở KH&CN",
    en = "Announcement not notified to the Department of Science and Technology",
  },
  explain = {
    vi = "Sau mỗi lần công bố hoặc công bố lại HTQLCL, cơ quan phải gửi thông báo cho Sở Khoa "
      .. "học và Công nghệ: mỗi mục announcements cần ngày gửi thông báo (notified) bằng hoặc "
      .. "sau ngày công bố (date). Ngày gửi sau ngày kiểm tra (as_of) được coi như chưa gửi; "
      .. "quyết định công bố có ngày sau as_of không được xét. Cách sửa: gửi thông báo cho Sở "
      .. "KH&CN và ghi ngày gửi vào notified, hoặc sửa ngày đã ghi sai.",
    en = "After every announcement of the system, the agency must send a notice to the "
      .. "Department of Science and Technology: every entry of announcements needs a notified "
      .. "date on or after its date. A notified date after the audit date (as_of) counts as "
      .. "not sent yet; announcements dated after as_of are not checked. To fix: send the "
      .. "notice to the Sở KH&CN and record its date in notified, or correct a wrong date.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.c; QĐ 19/2014/QĐ-TTg Điều 4",
  check = function(agency, ctx)
    local qms = agency.qms
    if not is_entry(qms) then return end
    local as_of, announcements = ctx.as_of, list(qms, "announcements")
    for i = 1, #announcements do
      local a = announcements[i]
      if is_entry(a) and not (is_date(a.date) and a.date > as_of) then
        local decision = text(a.decision)
        local n = a.notified
        if is_date(n) and n > as_of then
          ctx.report(a, decision, {
            vi = "quyết định công bố %s: ngày gửi thông báo %s sau ngày kiểm tra %s, tức là chưa gửi Sở KH&CN",
            en = "announcement %s: its notice date %s is after the audit date %s, so it was not sent yet",
          }, decision or "?", n, as_of)
        elseif not is_date(n) then
          ctx.report(a, decision, {
            vi = "quyết định công bố %s chưa có ngày gửi thông báo cho Sở KH&CN (notified)",
            en = "announcement %s has no date of notice to the Sở KH&CN (notified)",
          }, decision or "?")
        elseif is_date(a.date) and n < a.date then
          ctx.report(a, decision, {
            vi = "quyết định công bố %s ngày %s có ngày gửi thông báo %s trước ngày công bố",
            en = "announcement %s of %s was notified on %s, before the announcement",
          }, decision or "?", a.date, n)
        end
      end
    end
  end,
}

-- QMS020/021: one record in the 12 months before as_of, unless the system
-- was first applied less than a year ago (applied_since later than the day
-- one year before as_of). Without qms or a valid applied_since: checked.
local function yearly_check(key, message)
  return function(agency, ctx)
    local qms = agency.qms
    local from = ctx.year_before(ctx.as_of)
    if is_entry(qms) and is_date(qms.applied_since) and qms.applied_since > from then
      return -- younger than a year: nothing owed yet
    end
    local records = list(qms, key)
    for i = 1, #records do
      local r = records[i]
      if is_entry(r) and ctx.within_12_months(r.date) then return end
    end
    local node = agency
    if is_entry(qms) then node = is_entry(qms[key]) and qms[key] or qms end
    ctx.report(node, agency.id, message, agency.id or "?", from, ctx.as_of)
  end
end

rule {
  id = "QMS020", severity = "error", scope = "agency",
  tags = { "system", "internal-audit" },
  title = {
    vi = "Chưa đánh giá nội bộ trong 12 tháng",
    en = "No internal audit in the last 12 months",
  },
  explain = {
    vi = "Cơ quan phải đánh giá nội bộ HTQLCL tối thiểu 01 năm một lần: cần ít nhất một mục "
      .. "internal_audits có ngày trong 12 tháng trước ngày kiểm tra (sau cùng ngày của năm "
      .. "trước và không sau as_of; as_of 29/2 thì tính từ sau 28/2 năm trước). Không xét cơ "
      .. "quan có applied_since sau ngày đó (HTQLCL áp dụng chưa đủ một năm). Cơ quan không có "
      .. "qms hoặc không có applied_since hợp lệ vẫn bị xét. Cách sửa: tổ chức đánh giá nội bộ "
      .. "và ghi ngày vào qms.internal_audits.",
    en = "The agency must audit its quality management system internally at least once a "
      .. "year: at least one entry of internal_audits dated within the 12 months before the "
      .. "audit date (after the same day a year earlier and not after as_of; for as_of on 29 "
      .. "February, after 28 February a year earlier). Not checked when applied_since is later "
      .. "than that day (a system younger than a year). An agency without qms or without a "
      .. "valid applied_since is checked. To fix: hold an internal audit and record its date "
      .. "in qms.internal_audits.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.b; QĐ 19/2014/QĐ-TTg Điều 4",
  check = yearly_check("internal_audits", {
    vi = "cơ quan %s không có đánh giá nội bộ nào sau %s và đến %s",
    en = "agency %s has no internal audit after %s and up to %s",
  }),
}

rule {
  id = "QMS021", severity = "error", scope = "agency",
  tags = { "system", "management-review" },
  title = {
    vi = "Chưa xem xét của lãnh đạo trong 12 tháng",
    en = "No management review in the last 12 months",
  },
  explain = {
    vi = "Lãnh đạo cơ quan phải xem xét HTQLCL tối thiểu 01 năm một lần: cần ít nhất một mục "
      .. "management_reviews có ngày trong 12 tháng trước ngày kiểm tra (sau cùng ngày của năm "
      .. "trước và không sau as_of; as_of 29/2 thì tính từ sau 28/2 năm trước). Không xét cơ "
      .. "quan có applied_since sau ngày đó (HTQLCL áp dụng chưa đủ một năm). Cơ quan không có "
      .. "qms hoặc không có applied_since hợp lệ vẫn bị xét. Cách sửa: tổ chức xem xét của lãnh "
      .. "đạo và ghi ngày vào qms.management_reviews.",
    en = "The agency's management must review its quality management system at least once a "
      .. "year: at least one entry of management_reviews dated within the 12 months before "
      .. "the audit date (after the same day a year earlier and not after as_of; for as_of on "
      .. "29 February, after 28 February a year earlier). Not checked when applied_since is "
      .. "later than that day (a system younger than a year). An agency without qms or "
      .. "without a valid applied_since is checked. To fix: hold a management review and "
      .. "record its date in qms.management_reviews.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §II.1.b; QĐ 19/2014/QĐ-TTg Điều 4",
  check = yearly_check("management_reviews", {
    vi = "cơ quan %s không có cuộc xem xét của lãnh đạo nào sau %s và đến %s",
    en = "agency %s has no management review after %s and up to %s",
  }),
}
