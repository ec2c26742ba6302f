-- Budget of a plan (Kế hoạch 5L/KH-UBND §III and its appendix "Kinh phí duy
-- trì và cải tiến HTQLCL"; TT 116/2015/TT-BTC): every line of the budget
-- table adds up. A leaf line is unit price × quantity, a group line is the
-- sum of its lines, and the plan's total is the sum of the top-level lines.
--
-- After the model stage, amounts are integers and unreadable ones are
-- absent (FMT002). An absent amount counts as 0 in its parent's sum and never
-- equals a product or a sum. Sums and products use ctx.add / ctx.mul: one
-- beyond 64 bits cannot equal a readable amount, so it is a finding.
-- YAML aliases may make an item appear twice, or even inside itself: every
-- item table is checked once, and a cycle ends the walk.

local BASIS = "Kế hoạch 5L/KH-UBND (04/3/2021) §III và Phụ lục kinh phí; TT 116/2015/TT-BTC"

-- An amount as the model left it: an integer, else nil (absent/unreadable).
local function amount_of(ctx, v)
  if v == nil then return nil end
  return ctx.money(v)
end

-- 3982840 -> "3.982.840", -1000 -> "-1.000", as Vietnamese documents write.
local function money(n)
  if n == nil then return "?" end
  local s = string.format("%d", n)
  local sign, digits = s:match("^(%-?)(%d+)$")
  if not digits then return s end
  local head = #digits % 3
  local parts = {}
  if head > 0 then parts[#parts + 1] = digits:sub(1, head) end
  for i = head + 1, #digits, 3 do parts[#parts + 1] = digits:sub(i, i + 2) end
  return sign .. table.concat(parts, ".")
end

-- The id of an item or plan as a subject: a string, an integer in decimal.
local function id_of(ctx, v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if type(v) == "string" then return ctx.normalize(v) or v end
  if type(v) == "number" or type(v) == "boolean" then return tostring(v) end
  return nil
end

local function has_items(item)
  return type(item.items) == "table" and #item.items > 0
end

-- Calls fn(item) once for every item table of the plan's budget, at every
-- level, in source order (depth first). Null items are skipped; an item met
-- again through an alias is not visited again, so a cycle stops.
local function each_item(plan, fn)
  local seen = {}
  local stack = {}
  local function push_list(list)
    if type(list) ~= "table" then return end
    for i = #list, 1, -1 do
      local it = list[i]
      if type(it) == "table" then stack[#stack + 1] = it end
    end
  end
  push_list(plan.budget)
  while #stack > 0 do
    local item = stack[#stack]
    stack[#stack] = nil
    if not seen[item] then
      seen[item] = true
      fn(item)
      push_list(item.items)
    end
  end
end

-- The sum of the amounts of the items of list (absent or unreadable: 0; null
-- items skipped); nil when it leaves 64 bits.
local function sum_of(ctx, list)
  local sum = 0
  if type(list) ~= "table" then return sum end
  for i = 1, #list do
    local it = list[i]
    if type(it) == "table" then
      local a = amount_of(ctx, it.amount)
      if a ~= nil then
        sum = ctx.add(sum, a)
        if sum == nil then return nil end
      end
    end
  end
  return sum
end

rule {
  id = "BUD001", severity = "error", scope = "plan",
  tags = { "budget" },
  title = {
    vi = "Thành tiền khác đơn giá × số lượng",
    en = "Amount differs from unit price × quantity",
  },
  explain = {
    vi = "Trong phụ lục kinh phí, một mục không có mục con mà có đơn giá (unit_price) và số "
      .. "lượng (quantity) phải có thành tiền (amount) đúng bằng đơn giá × số lượng, so sánh "
      .. "chính xác như số nguyên. Thiếu thành tiền, hoặc tích vượt quá 64 bit, cũng bị báo. "
      .. "Không kiểm tra khi thiếu đơn giá hoặc số lượng. Số tiền viết dạng 3.982.840 hoặc "
      .. "3982840. Cách sửa: tính lại thành tiền, hoặc sửa đơn giá, số lượng cho đúng dự toán.",
    en = "In the budget appendix, an item without sub-items that has a unit price (unit_price) "
      .. "and a quantity (quantity) must have an amount (amount) exactly equal to unit price × "
      .. "quantity, compared as integers. A missing amount, or a product beyond 64 bits, is "
      .. "reported too. Not checked when the unit price or the quantity is missing. Amounts "
      .. "are written 3.982.840 or 3982840. To fix: recompute the amount, or correct the unit "
      .. "price or quantity to match the estimate.",
  },
  basis = BASIS,
  check = function(plan, ctx)
    each_item(plan, function(item)
      if has_items(item) then return end
      local price = amount_of(ctx, item.unit_price)
      local qty = amount_of(ctx, item.quantity)
      if price == nil or qty == nil then return end
      local amount = amount_of(ctx, item.amount)
      local product = ctx.mul(price, qty)
      if amount ~= nil and product ~= nil and amount == product then return end
      local id = id_of(ctx, item.id)
      local name = id or "?"
      if product == nil and amount == nil then
        ctx.report(item, id, {
          vi = "mục %s không có thành tiền đọc được; đơn giá %s × số lượng %s vượt quá giới hạn số nguyên 64 bit",
          en = "item %s has no readable amount; unit price %s × quantity %s is beyond 64-bit integers",
        }, name, money(price), money(qty))
      elseif product == nil then
        ctx.report(item, id, {
          vi = "mục %s: đơn giá %s × số lượng %s vượt quá giới hạn số nguyên 64 bit, không thể bằng thành tiền %s",
          en = "item %s: unit price %s × quantity %s is beyond 64-bit integers and cannot equal the amount %s",
        }, name, money(price), money(qty), money(amount))
      elseif amount == nil then
        ctx.report(item, id, {
          vi = "mục %s không có thành tiền đọc được; đơn giá %s × số lượng %s = %s",
          en = "item %s has no readable amount; unit price %s × quantity %s = %s",
        }, name, money(price), money(qty), money(product))
      else
        ctx.report(item, id, {
          vi = "mục %s: thành tiền %s khác đơn giá %s × số lượng %s = %s",
          en = "item %s: amount %s differs from unit price %s × quantity %s = %s",
        }, name, money(amount), money(price), money(qty), money(product))
      end
    end)
  end,
}

rule {
  id = "BUD002", severity = "error", scope = "plan",
  tags = { "budget" },
  title = {
    vi = "Thành tiền của mục khác tổng các mục con",
    en = "Amount of an item differs from the sum of its sub-items",
  },
  explain = {
    vi = "Trong phụ lục kinh phí, một mục có danh sách mục con (items) không rỗng phải có thành "
      .. "tiền (amount) đúng bằng tổng thành tiền của các mục con, ở mọi cấp. Mục con thiếu "
      .. "thành tiền hoặc thành tiền không đọc được được tính là 0; thiếu thành tiền của chính "
      .. "mục, hoặc tổng vượt quá 64 bit, cũng bị báo. Cách sửa: cộng lại các mục con, hoặc bổ "
      .. "sung, sửa thành tiền của mục con.",
    en = "In the budget appendix, an item with a non-empty list of sub-items (items) must have "
      .. "an amount (amount) exactly equal to the sum of its sub-items' amounts, at every level. "
      .. "A sub-item without a readable amount counts as 0; an item without an amount of its "
      .. "own, or a sum beyond 64 bits, is reported too. To fix: add the sub-items up again, or "
      .. "add or correct the sub-items' amounts.",
  },
  basis = BASIS,
  check = function(plan, ctx)
    each_item(plan, function(item)
      if not has_items(item) then return end
      local amount = amount_of(ctx, item.amount)
      local sum = sum_of(ctx, item.items)
      if amount ~= nil and sum ~= nil and amount == sum then return end
      local id = id_of(ctx, item.id)
      local name = id or "?"
      if sum == nil and amount == nil then
        ctx.report(item, id, {
          vi = "mục %s không có thành tiền đọc được; tổng thành tiền các mục con vượt quá giới hạn số nguyên 64 bit",
          en = "item %s has no readable amount; the sum of its items' amounts is beyond 64-bit integers",
        }, name)
      elseif sum == nil then
        ctx.report(item, id, {
          vi = "mục %s: tổng thành tiền các mục con vượt quá giới hạn số nguyên 64 bit, không thể bằng thành tiền %s",
          en = "item %s: the sum of its items' amounts is beyond 64-bit integers and cannot equal the amount %s",
        }, name, money(amount))
      elseif amount == nil then
        ctx.report(item, id, {
          vi = "mục %s không có thành tiền đọc được; tổng các mục con là %s",
          en = "item %s has no readable amount; the sum of its items is %s",
        }, name, money(sum))
      else
        ctx.report(item, id, {
          vi = "mục %s: thành tiền %s khác tổng các mục con %s",
          en = "item %s: amount %s differs from the sum of its items %s",
        }, name, money(amount), money(sum))
      end
    end)
  end,
}

rule {
  id = "BUD003", severity = "error", scope = "plan",
  tags = { "budget" },
  title = {
    vi = "Tổng kinh phí của kế hoạch thiếu hoặc khác tổng các mục",
    en = "Plan total missing or different from the sum of its items",
  },
  explain = {
    vi = "Kế hoạch phải ghi tổng kinh phí (total), và tổng này phải đúng bằng tổng thành tiền "
      .. "của các mục cấp cao nhất trong phụ lục (budget), như dòng \"Tổng cộng\" của phụ lục. "
      .. "Mục thiếu thành tiền được tính là 0; tổng vượt quá 64 bit cũng bị báo. Cách sửa: ghi "
      .. "hoặc sửa total, hoặc sửa thành tiền các mục.",
    en = "A plan must state its total budget (total), equal to the sum of the amounts of the "
      .. "top-level items of its appendix (budget), as the appendix's \"Tổng cộng\" line. An "
      .. "item without an amount counts as 0; a sum beyond 64 bits is reported too. To fix: "
      .. "state or correct total, or correct the items' amounts.",
  },
  basis = BASIS,
  check = function(plan, ctx)
    local id = id_of(ctx, plan.id)
    local name = id or "?"
    local total = amount_of(ctx, plan.total)
    local sum = sum_of(ctx, plan.budget)
    if total == nil and sum == nil then
      ctx.report(plan, id, {
        vi = "kế hoạch %s không có tổng kinh phí (total) đọc được; tổng thành tiền các mục vượt quá giới hạn số nguyên 64 bit",
        en = "plan %s states no readable total; the sum of its items' amounts is beyond 64-bit integers",
      }, name)
    elseif total == nil then
      ctx.report(plan, id, {
        vi = "kế hoạch %s không có tổng kinh phí (total) đọc được; tổng thành tiền các mục là %s",
        en = "plan %s states no readable total; the sum of its items' amounts is %s",
      }, name, money(sum))
    elseif sum == nil then
      ctx.report_at(plan, "total", id, {
        vi = "kế hoạch %s: tổng thành tiền các mục vượt quá giới hạn số nguyên 64 bit, không thể bằng tổng kinh phí %s",
        en = "plan %s: the sum of its items' amounts is beyond 64-bit integers and cannot equal the total %s",
      }, name, money(total))
    elseif sum ~= total then
      ctx.report_at(plan, "total", id, {
        vi = "kế hoạch %s: tổng kinh phí %s khác tổng thành tiền các mục %s",
        en = "plan %s: total %s differs from the sum of its items' amounts %s",
      }, name, money(total), money(sum))
    end
  end,
}
