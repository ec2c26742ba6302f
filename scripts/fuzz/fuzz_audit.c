/* fuzz_audit.c: libFuzzer harness for a whole audit through the public API,
 * core/include/isorules.h (docs/fuzzing.md).
 *
 * The input is split at its first NUL byte (which YAML cannot hold anyway)
 * into two in-memory files, a.yaml and b.yaml (b.yaml only when there is a
 * NUL), audited with the built-in rules plus the small rule set below (two
 * agency rules: one walks the agency through positions and the ctx helpers,
 * one runs the budgeted pattern functions with the values of `pattern` keys
 * as patterns; a model rule whose keep() holds tables of the model, a cycle
 * and isorules.null until the final pass; a plan rule), as of 2021-12-31,
 * with small limits (instructions 200000, memory 8 MiB). One engine serves
 * every input: isorules_clear_inputs() between them. A hash of the input
 * picks the language (en or vi) and, for a quarter of the two-file inputs,
 * two workers (isorules_set_jobs) for run 2.
 *
 * Run 1 checks each callback's arguments: a finding has a rule, a severity,
 * a message, a file (a.yaml or b.yaml; "" only for a whole-model finding on
 * no node), line and column >= 0; findings come file by file in byte order
 * of names, sorted by line and column within a file, whole-model findings
 * last; every error has a message; every audited agency a file and a line
 * >= 1; the summary agrees with what the callbacks got.
 * Run 2 writes the JSON report through isorules_report_* into memory
 * (open_memstream, read back rather than thrown away) and checks that it is
 * well-formed JSON in valid UTF-8, and that the owned lists of
 * isorules_keep_results() hold exactly run 1's findings and errors, field by
 * field, in the same order (an engine run again, or with two workers, finds
 * the same).
 * A broken invariant prints what broke and aborts: libFuzzer reports it as a
 * crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isorules.h"
#include "json_check.h"

static void fail_check(const char *what, int line)
{
    fprintf(stderr, "fuzz_audit: invariant broken (fuzz_audit.c:%d): %s\n", line, what);
    abort();
}
#define CHECK(c) ((c) ? (void)0 : fail_check(#c, __LINE__))

/* The rule set: one rule of each scope, each using what a rule can reach. */
static const char rules_src[] =
    "-- fuzz-rules.lua: the rules of scripts/fuzz/fuzz_audit.c. They never use\n"
    "-- pairs(), whose order differs between Lua states (so between -j 1 and\n"
    "-- -j 2): tables are read through a fixed list of keys and ipairs.\n"
    "local KEYS = { 'kind', 'id', 'name', 'level', 'parent', 'province', 'role', 'qms', 'standard',\n"
    "  'applied_since', 'announcements', 'scope_changes', 'internal_audits', 'management_reviews',\n"
    "  'reports', 'procedures', 'processes', 'code', 'process', 'justification', 'document', 'date',\n"
    "  'decision', 'change', 'year', 'submitted', 'title', 'issued', 'revision', 'legal_basis',\n"
    "  'documents', 'issuer', 'agencies', 'published', 'notified', 'expired', 'abolished', 'amended',\n"
    "  'superseded_by', 'budget', 'items', 'amount', 'total', 'unit', 'unit_price', 'quantity',\n"
    "  'reason', 'note', 'to', 'raw', 'pattern', 'x' }\n"
    "local function unhex(s)\n"
    "  return (s:gsub('%x%x', function(h) return string.char(tonumber(h, 16)) end))\n"
    "end\n"
    "-- calls f(t, k, v) for the known keys of t, then its list items\n"
    "local function each(t, f)\n"
    "  for _, k in ipairs(KEYS) do\n"
    "    local v = rawget(t, k)\n"
    "    if v ~= nil then f(t, k, v) end\n"
    "  end\n"
    "  for i, v in ipairs(t) do\n"
    "    if i > 30 then break end\n"
    "    f(t, i, v)\n"
    "  end\n"
    "end\n"
    "rule {\n"
    "  id = 'FZ001', severity = 'info', scope = 'agency',\n"
    "  title = { vi = 'Fuzz: vị trí', en = 'Fuzz: positions' },\n"
    "  check = function(agency, ctx)\n"
    "    local seen, n = {}, 0\n"
    "    local function walk(t, depth)\n"
    "      if seen[t] or depth > 12 or n > 80 then return end\n"
    "      seen[t] = true\n"
    "      each(t, function(t2, k, v)\n"
    "        n = n + 1\n"
    "        if n > 80 then return end\n"
    "        isorules.position(t2, k)\n"
    "        if type(v) == 'string' then\n"
    "          ctx.date(v); ctx.money(v); ctx.year_before(v); ctx.within_12_months(v)\n"
    "          local norm = ctx.normalize(v)\n"
    "          if k == 'raw' then\n"
    "            -- any bytes, valid UTF-8 or not, into a finding and its report\n"
    "            ctx.report_at(t2, k, unhex(v), unhex(v))\n"
    "          elseif n % 4 == 0 then\n"
    "            ctx.report_at(t2, k, norm, { vi = 'giá trị %s', en = 'value %s' }, v)\n"
    "          end\n"
    "        elseif math.type(v) == 'integer' then\n"
    "          ctx.add(v, n); ctx.mul(v, v)\n"
    "          if n % 4 == 0 then ctx.report_at(t2, k, v, 'integer %d', v) end\n"
    "        elseif type(v) == 'table' then\n"
    "          walk(v, depth + 1)\n"
    "        elseif v == isorules.null then\n"
    "          ctx.report_at(t2, k, nil, 'a null item')\n"
    "        end\n"
    "      end)\n"
    "    end\n"
    "    walk(agency, 0)\n"
    "    -- keys that may have had a null value: gone from the table, kept in positions\n"
    "    for _, key in ipairs({ 'x', 'id', 'kind', 'name', 'qms', 'parent', 'processes', 'raw' }) do\n"
    "      isorules.position(agency, key)\n"
    "    end\n"
    "  end,\n"
    "}\n"
    "rule {\n"
    "  id = 'FZ002', severity = 'warning', scope = 'model',\n"
    "  title = 'Fuzz: kept tables',\n"
    "  keep = function(agency, ctx)\n"
    "    local k = { node = agency, parent = agency.parent, keys = {}, items = {}, null = isorules.null,\n"
    "                n = 1.5, yes = true }\n"
    "    k.self = k\n"
    "    each(agency, function(_, key, v)\n"
    "      if #k.keys < 20 then k.keys[#k.keys + 1] = key end\n"
    "      if type(v) == 'table' and #k.items < 20 then k.items[#k.items + 1] = v end\n"
    "    end)\n"
    "    return k\n"
    "  end,\n"
    "  check = function(index, ctx)\n"
    "    local known = {}\n"
    "    for _, a in ipairs(index) do if a.id then known[a.id] = true end end\n"
    "    ctx.report(nil, nil, 'model of %d agencies', #index)\n"
    "    for i, a in ipairs(index) do\n"
    "      local k = ctx.kept[i]\n"
    "      if k then\n"
    "        if a.id and ctx.kept[a.id] == nil then error('no kept entry for ' .. a.id) end\n"
    "        if k.self ~= k then error('a cycle was not kept') end\n"
    "        if k.parent and not known[k.parent] then\n"
    "          ctx.report_at(k.node, 'parent', a.id, 'parent %s is not in the model', tostring(k.parent))\n"
    "        end\n"
    "        for j, key in ipairs(k.keys) do\n"
    "          if j % 3 == 1 then ctx.report_at(k.node, key, tostring(key), 'kept key') end\n"
    "          isorules.position(k.node, key)\n"
    "        end\n"
    "        for _, key in ipairs({ 'x', 'id', 'raw', 'name', 'parent', 'processes', 'y2', 'xyz' }) do\n"
    "          isorules.position(k.node, key)\n"
    "        end\n"
    "        for _, t in ipairs(k.items) do\n"
    "          ctx.report_at(t, 1, a.file, 'kept item of %s:%d', a.file, a.line)\n"
    "          isorules.position(t, 'id'); isorules.position(t, 2)\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "  end,\n"
    "}\n"
    "rule {\n"
    "  id = 'FZ004', severity = 'info', scope = 'agency',\n"
    "  title = 'Fuzz: patterns',\n"
    "  check = function(agency, ctx)\n"
    "    -- the budgeted matcher (core/pattern.c): the values of `pattern` keys\n"
    "    -- are patterns, other strings subjects\n"
    "    local strs, pats, seen = {}, {}, {}\n"
    "    local function walk(t, depth)\n"
    "      if seen[t] or depth > 8 then return end\n"
    "      seen[t] = true\n"
    "      each(t, function(_, k, v)\n"
    "        if type(v) == 'string' then\n"
    "          if k == 'pattern' then\n"
    "            if #pats < 4 then pats[#pats + 1] = v end\n"
    "          elseif #strs < 6 then\n"
    "            strs[#strs + 1] = v\n"
    "          end\n"
    "        elseif type(v) == 'table' then\n"
    "          walk(v, depth + 1)\n"
    "        end\n"
    "      end)\n"
    "    end\n"
    "    walk(agency, 0)\n"
    "    if #pats == 0 then return end\n"
    "    local out = {}\n"
    "    local function add(ok, ...)\n"
    "      local t = { tostring(ok) }\n"
    "      for i = 1, select('#', ...) do t[#t + 1] = tostring((select(i, ...))) end\n"
    "      out[#out + 1] = table.concat(t, ',')\n"
    "    end\n"
    "    for _, p in ipairs(pats) do\n"
    "      for _, s in ipairs(strs) do\n"
    "        add(pcall(string.find, s, p))\n"
    "        add(pcall(string.find, s, p, -4))\n"
    "        add(pcall(string.find, s, p, 2, true))\n"
    "        add(pcall(string.match, s, p))\n"
    "        add(pcall(string.match, s, p, 3))\n"
    "        add(pcall(function()\n"
    "          local n, r = 0, {}\n"
    "          for a, b in string.gmatch(s, p) do\n"
    "            n = n + 1; r[#r + 1] = tostring(a) .. tostring(b)\n"
    "            if n >= 20 then break end\n"
    "          end\n"
    "          return table.concat(r, ';')\n"
    "        end))\n"
    "        add(pcall(string.gsub, s, p, '<%0%1>'))\n"
    "        add(pcall(string.gsub, s, p, '[%%]', 3))\n"
    "        add(pcall(string.gsub, s, p, { a = 'A', id = false }))\n"
    "        add(pcall(string.gsub, s, p, function(c, d) if d then return nil end return c .. c end))\n"
    "        add(pcall(s.gsub, p, s, '%0'))\n"
    "      end\n"
    "      add(pcall(string.find, p, p))\n"
    "    end\n"
    "    ctx.report(agency, nil, 'patterns: %s', table.concat(out, '|'):sub(1, 400))\n"
    "  end,\n"
    "}\n"
    "rule {\n"
    "  id = 'FZ003', severity = 'error', scope = 'plan',\n"
    "  title = 'Fuzz: plans',\n"
    "  check = function(plan, ctx)\n"
    "    ctx.report(plan, plan.id, 'plan %s, total %s', tostring(plan.id), tostring(ctx.money(plan.total)))\n"
    "    if type(plan.budget) == 'table' then\n"
    "      for i, b in ipairs(plan.budget) do\n"
    "        if i > 20 then break end\n"
    "        ctx.report_at(plan.budget, i, nil, 'budget line %d', i)\n"
    "      end\n"
    "    end\n"
    "    local legal = ctx.legal\n"
    "    if legal then\n"
    "      for _, id in ipairs({ '19/2014/QĐ-TTg', '101/2020/NĐ-CP', 'x' }) do\n"
    "        if type(legal[id]) == 'table' then isorules.position(legal[id], 'id') end\n"
    "      end\n"
    "    end\n"
    "  end,\n"
    "}\n";

static const char *const names[2] = {"a.yaml", "b.yaml"};

/* A finding or an error of run 1, copied. */
typedef struct rec {
    char *rule, *agency, *subject, *message, *file, *input_file;
    int severity, line, column, final_pass, input_line, input_column;
} rec;

typedef struct recs {
    rec *v;
    size_t n, cap;
} recs;

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    CHECK(d != NULL);
    return d;
}

static rec *rec_add(recs *r)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        CHECK(r->v != NULL);
    }
    rec *x = &r->v[r->n++];
    memset(x, 0, sizeof *x);
    return x;
}

static void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        rec *x = &r->v[i];
        free(x->rule), free(x->agency), free(x->subject), free(x->message), free(x->file);
        free(x->input_file);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static int same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* What run 1 saw. */
typedef struct seen {
    recs findings_v, errors_v;
    int nfiles;
    long findings, sev[3], errors, agencies;
    int final_seen;
    int last_file; /* index into names of the last finding's file, -1 none */
    int last_line, last_col;
} seen;

static int file_index(const char *f, const seen *s)
{
    for (int i = 0; i < s->nfiles; i++)
        if (strcmp(f, names[i]) == 0)
            return i;
    return -1;
}

static void on_finding(void *ud, const isorules_finding *f)
{
    seen *s = ud;
    CHECK(f != NULL);
    CHECK(f->rule != NULL && f->rule[0] != '\0');
    CHECK(f->severity >= ISORULES_INFO && f->severity <= ISORULES_ERROR_SEVERITY);
    CHECK(f->message != NULL);
    CHECK(f->file != NULL);
    CHECK(f->line >= 0 && f->column >= 0);
    CHECK(f->final_pass == 0 || f->final_pass == 1);
    (void)strlen(f->message); /* ASan: every string readable */
    if (f->agency)
        (void)strlen(f->agency);
    if (f->subject)
        (void)strlen(f->subject);
    int fi = file_index(f->file, s);
    /* a finding is on an input file; only a whole-model one may be on none */
    CHECK(fi >= 0 || (f->final_pass && f->file[0] == '\0'));
    if (f->final_pass) {
        s->final_seen = 1;
    } else {
        /* whole-model findings come last; files in order, lines sorted */
        CHECK(!s->final_seen);
        CHECK(fi >= s->last_file);
        if (fi == s->last_file)
            CHECK(f->line > s->last_line || (f->line == s->last_line && f->column >= s->last_col));
        s->last_file = fi;
        s->last_line = f->line;
        s->last_col = f->column;
    }
    s->findings++;
    s->sev[f->severity]++;
    rec *x = rec_add(&s->findings_v);
    x->rule = dup_or_null(f->rule), x->agency = dup_or_null(f->agency);
    x->subject = dup_or_null(f->subject), x->message = dup_or_null(f->message);
    x->file = dup_or_null(f->file);
    x->severity = f->severity, x->line = f->line, x->column = f->column;
    x->final_pass = f->final_pass;
}

static void on_error(void *ud, const isorules_error *err)
{
    seen *s = ud;
    CHECK(err != NULL);
    CHECK(err->message != NULL && err->message[0] != '\0');
    CHECK(err->line >= 0 && err->column >= 0);
    CHECK(err->input_line >= 0 && err->input_column >= 0);
    if (err->rule)
        (void)strlen(err->rule);
    if (err->file)
        (void)strlen(err->file);
    if (err->input_file)
        (void)strlen(err->input_file);
    s->errors++;
    rec *x = rec_add(&s->errors_v);
    x->rule = dup_or_null(err->rule), x->file = dup_or_null(err->file);
    x->message = dup_or_null(err->message), x->input_file = dup_or_null(err->input_file);
    x->line = err->line, x->column = err->column;
    x->input_line = err->input_line, x->input_column = err->input_column;
}

static void on_agency(void *ud, const char *id, const char *file, int line)
{
    seen *s = ud;
    CHECK(file != NULL && file_index(file, s) >= 0);
    CHECK(line >= 1);
    if (id)
        (void)strlen(id);
    s->agencies++;
}

/* The number of "rule" keys of findings in the report: each finding
 * object starts with { "rule": (errors have "rule" too, but later). */
static long count_findings(const char *buf)
{
    long n = 0;
    for (const char *p = buf; (p = strstr(p, "{ \"rule\": ")) != NULL; p++)
        n++;
    return n;
}

/* ---- the harness ---- */

static isorules_engine *engine;

static void setup(void)
{
    CHECK(isorules_open(&engine) == ISORULES_OK);
    CHECK(isorules_add_builtin_rules(engine) == ISORULES_OK);
    if (isorules_add_rules_string(engine, "fuzz-rules.lua", rules_src, sizeof rules_src - 1) != ISORULES_OK) {
        fprintf(stderr, "fuzz_audit: %s\n", isorules_errmsg(engine));
        abort();
    }
    CHECK(isorules_set_as_of(engine, "2021-12-31") == ISORULES_OK);
    CHECK(isorules_set_limit(engine, "instructions", 200000) == ISORULES_OK);
    CHECK(isorules_set_limit(engine, "memory", 8 << 20) == ISORULES_OK);
    /* no wall-time limit: where it trips depends on the machine, and run 2
     * must give run 1's errors; libFuzzer's -timeout stops a slow input */
    CHECK(isorules_set_limit(engine, "time", 0) == ISORULES_OK);
}

/* FNV-1a of the input: picks the language and the number of workers of
 * run 2, so that an input always runs the same way. */
static uint32_t hash(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        setup();
    isorules_engine *e = engine;
    const char *text = (const char *)data;
    const char *mark = memchr(text, '\0', size);
    uint32_t h = hash(data, size);
    const char *lang = h & 1 ? "vi" : "en";
    /* a quarter of the two-file inputs have their agencies audited by two
     * workers in run 2 (isorules_set_jobs), which must change nothing */
    int jobs = mark && (h >> 1) % 4 == 0 ? 2 : 1;
    seen s;
    memset(&s, 0, sizeof s);
    s.last_file = -1;
    isorules_clear_inputs(e);
    if (mark) {
        size_t n1 = (size_t)(mark - text);
        CHECK(isorules_add_input_buffer(e, names[0], text, n1) == ISORULES_OK);
        CHECK(isorules_add_input_buffer(e, names[1], mark + 1, size - n1 - 1) == ISORULES_OK);
        s.nfiles = 2;
    } else {
        CHECK(isorules_add_input_buffer(e, names[0], text, size) == ISORULES_OK);
        s.nfiles = 1;
    }
    CHECK(isorules_set_lang(e, lang) == ISORULES_OK);

    /* run 1: the callbacks */
    CHECK(isorules_set_jobs(e, 1) == ISORULES_OK);
    isorules_keep_results(e, 0);
    isorules_on_finding(e, on_finding, &s);
    isorules_on_error(e, on_error, &s);
    isorules_on_agency(e, on_agency, &s);
    int rc = isorules_run(e);
    CHECK(rc == ISORULES_OK);
    isorules_summary sum;
    isorules_get_summary(e, &sum);
    CHECK(sum.files == s.nfiles);
    CHECK(sum.errors == s.sev[ISORULES_ERROR_SEVERITY]);
    CHECK(sum.warnings == s.sev[ISORULES_WARNING]);
    CHECK(sum.infos == s.sev[ISORULES_INFO]);
    CHECK(sum.failures == s.errors);
    CHECK(sum.agencies == s.agencies);
    CHECK(sum.rules == isorules_rule_count(e));

    /* run 2: the JSON report and the owned lists, maybe with two workers */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    CHECK(out != NULL);
    isorules_report *r = NULL;
    CHECK(isorules_report_open(&r, "json", out, NULL, lang) == ISORULES_OK);
    CHECK(isorules_set_jobs(e, jobs) == ISORULES_OK);
    isorules_keep_results(e, 1);
    isorules_report_attach(r, e);
    rc = isorules_run(e);
    CHECK(rc == ISORULES_OK);
    CHECK(isorules_report_finish(r, e) == ISORULES_OK);
    isorules_report_close(r);
    CHECK(fclose(out) == 0);
    CHECK(json_ok(buf, len));
    isorules_summary sum2;
    isorules_get_summary(e, &sum2);
    /* the same audit again: the same results, in the same order */
    CHECK(sum2.files == sum.files && sum2.agencies == sum.agencies);
    CHECK(sum2.errors == sum.errors && sum2.warnings == sum.warnings && sum2.infos == sum.infos);
    CHECK(sum2.failures == sum.failures);
    long total = (long)sum2.errors + sum2.warnings + sum2.infos;
    CHECK(count_findings(buf) >= total); /* error entries may also start like that */
    CHECK((long)isorules_finding_count(e) == total);
    CHECK(isorules_finding_count(e) == s.findings_v.n);
    for (size_t i = 0; i < isorules_finding_count(e); i++) {
        const isorules_finding *f = isorules_finding_at(e, i);
        const rec *x = &s.findings_v.v[i];
        CHECK(f && f->rule && f->message && f->file && f->line >= 0 && f->column >= 0);
        CHECK(same_str(f->rule, x->rule) && same_str(f->agency, x->agency));
        CHECK(same_str(f->subject, x->subject) && same_str(f->message, x->message));
        CHECK(same_str(f->file, x->file));
        CHECK(f->severity == x->severity && f->line == x->line && f->column == x->column);
        CHECK(f->final_pass == x->final_pass);
    }
    CHECK(isorules_finding_at(e, isorules_finding_count(e)) == NULL);
    CHECK((long)isorules_error_count(e) == sum2.failures);
    CHECK(isorules_error_count(e) == s.errors_v.n);
    for (size_t i = 0; i < isorules_error_count(e); i++) {
        const isorules_error *er = isorules_error_at(e, i);
        const rec *x = &s.errors_v.v[i];
        CHECK(er && er->message);
        CHECK(same_str(er->rule, x->rule) && same_str(er->file, x->file));
        CHECK(same_str(er->message, x->message) && same_str(er->input_file, x->input_file));
        CHECK(er->line == x->line && er->column == x->column);
        CHECK(er->input_line == x->input_line && er->input_column == x->input_column);
    }
    free(buf);
    recs_free(&s.findings_v);
    recs_free(&s.errors_v);
    isorules_keep_results(e, 0);
    isorules_on_finding(e, NULL, NULL);
    isorules_on_error(e, NULL, NULL);
    isorules_on_agency(e, NULL, NULL);
    isorules_on_agency_info(e, NULL, NULL); /* the report's, now closed */
    return 0;
}
