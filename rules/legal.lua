-- Legal basis of processes (Kế hoạch 5L/KH-UBND §I.2, §II.1.a): ISO processes
-- must follow the legal documents in force; a process that still cites a
-- repealed document, or one the legal register does not know, must be
-- reviewed.
--
-- Both rules look at every citation (each entry of a process's legal_basis
-- list) of every process entry, a repeated process id included, and report
-- once per citation. They are skipped when the model holds no `kind: legal`
-- document (ctx.legal is nil). The model stage has already normalised the
-- cited ids (an en dash reads as '-') and turned a single id into a list of
-- one; ctx.legal maps a normalised id to the first register entry with it.

-- An id as text: the model stage writes numbers as strings already; this
-- keeps a number that reached a rule anyway in decimal.
local function id_text(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if type(v) == "string" and v ~= "" then return v end
  return nil
end

-- Calls fn(process, list) for the legal_basis list of each process entry,
-- cheaply: every agency has many. A list shared by several process entries
-- (a YAML alias) is one node, its citations reported once, under the first
-- entry: fn returns true when it reported something, and only such a list
-- needs remembering (one without findings gives none when met again). A
-- process entry is a table, isorules.null, or (a list that is also an id
-- list, through a YAML alias) a string, whose fields read as nil.
local function each_legal_basis(agency, fn)
  local processes, null = agency.processes, isorules.null
  if type(processes) ~= "table" then return end
  local reported = {}
  for pi = 1, #processes do
    local p = processes[pi]
    if p ~= null then
      local list = p.legal_basis
      if list and not reported[list] and type(list) == "table" and fn(p, list) then
        reported[list] = true
      end
    end
  end
end

-- The citation list[i] as an id, and its entry in the register (nil for
-- what is not an id: null, "", a table).
local function citation(legal, list, i)
  local id = id_text(list[i])
  return id, id and legal[id]
end

local function process_name(p)
  return id_text(p.id) or "?"
end

rule {
  id = "QMS040", severity = "warning", scope = "agency",
  tags = { "processes", "legal" },
  title = {
    vi = "Quy trình dẫn chiếu văn bản đã hết hiệu lực",
    en = "Process cites a legal document no longer in force",
  },
  explain = {
    vi = "Các quy trình ISO phải phù hợp với văn bản quy phạm pháp luật hiện hành: khi một văn "
      .. "bản hết hiệu lực, cơ quan phải rà soát và cập nhật kịp thời các quy trình còn căn cứ "
      .. "vào nó. Quy tắc báo mỗi căn cứ (mỗi mục của legal_basis) dẫn chiếu một văn bản trong "
      .. "sổ văn bản (kind: legal) có ngày expired (ngày đầu tiên văn bản không còn hiệu lực) "
      .. "trước hoặc đúng ngày đánh giá. Không kiểm tra khi mô hình không có sổ văn bản. Cách "
      .. "sửa: sửa đổi quy trình theo văn bản thay thế (superseded_by), ban hành lại quy trình "
      .. "và cập nhật legal_basis.",
    en = "ISO processes must follow the legal documents in force: when a document is repealed "
      .. "the agency must review and update the processes that rest on it. The rule reports each "
      .. "citation (each entry of legal_basis) of a document whose expired date in the legal "
      .. "register (kind: legal), the first day it is no longer in force, is on or before the "
      .. "audit date. Not checked when the model has no legal register. To fix: revise the "
      .. "process after the replacing document (superseded_by), issue it again and update "
      .. "legal_basis.",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §I.2, §II.1.a; QĐ 19/2014/QĐ-TTg",
  check = function(agency, ctx)
    local legal = ctx.legal
    if legal == nil then return end
    each_legal_basis(agency, function(p, list)
      local found = false
      for i = 1, #list do
        -- most citations name a document of the register that has not
        -- expired: nothing more to look at
        local known = legal[list[i]]
        if known == nil or known.expired ~= nil then
          local id, doc = citation(legal, list, i)
          local expired = type(doc) == "table" and ctx.date(doc.expired)
          if expired and expired <= ctx.as_of then
            found = true
            local by = id_text(doc.superseded_by)
            if by then
              ctx.report_at(list, i, id, {
                vi = "quy trình %s dẫn chiếu %s, văn bản đã hết hiệu lực từ ngày %s và được thay thế bởi %s",
                en = "process %s cites %s, which is no longer in force since %s and was superseded by %s",
              }, process_name(p), id, expired, by)
            else
              ctx.report_at(list, i, id, {
                vi = "quy trình %s dẫn chiếu %s, văn bản đã hết hiệu lực từ ngày %s",
                en = "process %s cites %s, which is no longer in force since %s",
              }, process_name(p), id, expired)
            end
          end
        end
      end
      return found
    end)
  end,
}

rule {
  id = "QMS041", severity = "warning", scope = "agency",
  tags = { "processes", "legal" },
  title = {
    vi = "Quy trình dẫn chiếu văn bản không có trong sổ văn bản",
    en = "Process cites a legal document missing from the legal register",
  },
  explain = {
    vi = "Mỗi căn cứ pháp lý của quy trình (mỗi mục của legal_basis) phải là số hiệu một văn "
      .. "bản có trong sổ văn bản (kind: legal), so sánh sau khi chuẩn hóa số hiệu (khoảng "
      .. "trắng, dấu gạch '–' đọc là '-'), để có thể kiểm tra hiệu lực của nó. Không kiểm tra "
      .. "khi mô hình không có sổ văn bản. Cách sửa: sửa số hiệu viết sai, hoặc bổ sung văn bản "
      .. "vào sổ văn bản cùng ngày ban hành và ngày hết hiệu lực (nếu có).",
    en = "Every legal basis of a process (each entry of legal_basis) must be the number of a "
      .. "document in the legal register (kind: legal), compared after normalisation (white "
      .. "space, '–' read as '-'), so that its validity can be checked. Not checked when the "
      .. "model has no legal register. To fix: correct a mistyped number, or add the document "
      .. "to the register with its issue date and expiry date (if any).",
  },
  basis = "Kế hoạch 5L/KH-UBND (04/3/2021) §I.2, §II.1.a; QĐ 19/2014/QĐ-TTg",
  check = function(agency, ctx)
    local legal = ctx.legal
    if legal == nil then return end
    each_legal_basis(agency, function(p, list)
      local found = false
      for i = 1, #list do
        if legal[list[i]] == nil then -- most citations are ids the register knows
          local id, doc = citation(legal, list, i)
          if id and doc == nil then
            found = true
            ctx.report_at(list, i, id, {
              vi = "quy trình %s dẫn chiếu %s, văn bản không có trong sổ văn bản",
              en = "process %s cites %s, which is not in the legal register",
            }, process_name(p), id)
          end
        end
      end
      return found
    end)
  end,
}
