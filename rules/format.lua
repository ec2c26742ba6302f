-- The format rules (RULES.md "Format"). Their checks run in the engine's
-- model stage, before any rule, so this file only gives their metadata:
-- ids, severities, titles, explanations and legal basis. They can be
-- selected and skipped like any rule (--only, --skip).

rule {
  id = "FMT001", severity = "error", scope = "format",
  tags = { "format" },
  title = {
    vi = "Tài liệu không có kind hợp lệ, cơ quan thiếu id, hoặc mã bị lặp",
    en = "Document without a known kind, agency without id, or a repeated id",
  },
  explain = {
    vi = "Mỗi tài liệu YAML phải là một ánh xạ có khóa kind là agency, legal, catalog, plan "
      .. "hoặc expect; mỗi cơ quan phải có id. Mã phải là duy nhất: id cơ quan trong toàn bộ "
      .. "mô hình, mã TTHC trong một danh mục, số hiệu văn bản trong sổ văn bản, id quy trình "
      .. "trong một cơ quan. Lần lặp thứ hai trở đi bị báo; các quy tắc tra cứu dùng mục đầu "
      .. "tiên. Cách sửa: thêm hoặc sửa kind/id, đổi hoặc xóa mục lặp.",
    en = "Every YAML document must be a mapping whose key kind is agency, legal, catalog, plan "
      .. "or expect, and every agency needs an id. Ids are unique: agency ids in the model, "
      .. "procedure codes within a catalog, legal document ids in the register, process ids "
      .. "within an agency. Each repeat after the first is reported; rules that look an id "
      .. "up use the first. To fix: add or correct kind/id, rename or remove the repeat.",
  },
  basis = "isorules input format (FORMAT.md)",
}

rule {
  id = "FMT002", severity = "error", scope = "format",
  tags = { "format" },
  title = {
    vi = "Giá trị không đọc được: ngày, số nguyên, số tiền, hoặc sai cấu trúc",
    en = "Unreadable value: date, integer, amount, or wrong shape",
  },
  explain = {
    vi = "Các trường ngày phải là YYYY-MM-DD hoặc D/M/YYYY và là ngày có thật; năm báo cáo "
      .. "phải là số nguyên không đặt trong ngoặc kép; số tiền và số lượng là số nguyên hoặc "
      .. "dùng dấu chấm ngăn cách hàng nghìn (3.982.840). Một mục danh sách rỗng hoặc một giá "
      .. "trị sai cấu trúc (chuỗi thay cho ánh xạ) cũng bị báo. Giá trị không đọc được được "
      .. "coi như vắng mặt với mọi quy tắc khác.",
    en = "Date fields must be YYYY-MM-DD or D/M/YYYY and a real day; report years must be "
      .. "unquoted integers; amounts and quantities are integers or use '.' as the thousands "
      .. "separator (3.982.840). An empty (null) list item, or a value of the wrong shape (a "
      .. "string where a mapping belongs), is reported too. An unreadable value counts as "
      .. "absent for every other rule.",
  },
  basis = "isorules input format (FORMAT.md)",
}

rule {
  id = "FMT003", severity = "info", scope = "format",
  tags = { "format" },
  title = {
    vi = "Khóa lạ gần giống một khóa đã biết (có thể viết sai chính tả)",
    en = "Unknown key close to a known one (probably misspelt)",
  },
  explain = {
    vi = "Một khóa không được định nghĩa tại vị trí đó nhưng chỉ cách một khóa đã biết tối đa "
      .. "hai lần sửa (ví dụ proces thay cho process). Dữ liệu dưới khóa viết sai sẽ không được "
      .. "các quy tắc đọc. Cách sửa: viết đúng tên khóa.",
    en = "A key that is not known at its place but is within two edits of one that is (for "
      .. "example proces for process). Rules do not read what sits under a misspelt key. To "
      .. "fix: spell the key as the format defines it.",
  },
  basis = "isorules input format (FORMAT.md \"Known fields\")",
}
