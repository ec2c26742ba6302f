/* test_model.c: unit tests for the model stage, core/model.c (with the FMT
 * checks of core/audit.c), through the public API, cmocka. Inputs are
 * buffers; FMT001-003 are isolated with isorules_select, and a rule of the
 * test's own (SEE01) reports what rules see after normalisation as its
 * subject (RULES.md "What every rule shares", "Format"; FORMAT.md). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isorules.h"
#include "helpers.h"

typedef struct mt {
    isorules_engine *e;
    irt_log log;
} mt;

/* The case a table-driven test is at, printed with a failure. */
static char cur_case[256];

static int mt_setup(void **state)
{
    mt *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    if (isorules_open(&m->e) != ISORULES_OK) {
        free(m);
        return -1;
    }
    if (isorules_set_as_of(m->e, "2021-12-31") != ISORULES_OK ||
        isorules_select(m->e, "FMT*,SEE*", NULL) != ISORULES_OK) {
        isorules_close(m->e);
        free(m);
        return -1;
    }
    irt_attach(m->e, &m->log);
    cur_case[0] = '\0';
    *state = m;
    return 0;
}

static int mt_teardown(void **state)
{
    mt *m = *state;
    isorules_close(m->e);
    irt_log_free(&m->log);
    free(m);
    return 0;
}

/* The helpers of the SEE01 rules: d(v) describes a value with its Lua type
 * ("integer:42", "string:x", "nil:nil"); see(node, name, f) reports
 * "name=d(f())" at node, or "name=error" when f raises. */
#define SEE_PRELUDE                                                                          \
    "local function d(v) return (math.type(v) or type(v)) .. ':' .. tostring(v) end\n"       \
    "local function see(ctx, node, name, f)\n"                                               \
    "  local ok, v = pcall(f)\n"                                                             \
    "  ctx.report(node, name .. '=' .. (ok and d(v) or 'error'), 'seen')\n"                   \
    "end\n"

/* Loads SEE01, scope `scope`, whose body (Lua statements) sees `a` (the
 * agency or plan) and `ctx`. */
static void see_rule(mt *m, const char *scope, const char *body)
{
    char src[4096];
    int n = snprintf(src, sizeof src,
                     SEE_PRELUDE "rule{id='SEE01', severity='info', scope='%s',\n"
                                 "  check=function(a, ctx)\n%s\n  end}\n",
                     scope, body);
    assert_true(n > 0 && (size_t)n < sizeof src);
    assert_int_equal(irt_rules(m->e, "see.lua", src), ISORULES_OK);
}

/* A SEE01 rule reporting one expression as "v=...". */
static void see_expr(mt *m, const char *scope, const char *expr)
{
    char body[1024];
    snprintf(body, sizeof body, "see(ctx, a, 'v', function() return %s end)", expr);
    see_rule(m, scope, body);
}

static void run(mt *m)
{
    assert_int_equal(isorules_run(m->e), ISORULES_OK);
}

/* Forgets the inputs and what the last run reported. */
static void reset(mt *m)
{
    isorules_clear_inputs(m->e);
    irt_log_reset(&m->log);
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The first finding of rule with this subject (NULL matches a NULL subject). */
static const irt_finding *find(const mt *m, const char *rule, const char *subject)
{
    for (size_t i = 0; i < m->log.nf; i++)
        if (strcmp(m->log.f[i].rule, rule) == 0 && same(m->log.f[i].subject, subject))
            return &m->log.f[i];
    return NULL;
}

/* Prints the case and the findings (to read a failure). */
static void dump(const mt *m)
{
    if (cur_case[0])
        print_message("in case %s\n", cur_case);
    for (size_t i = 0; i < m->log.nf; i++) {
        const irt_finding *f = &m->log.f[i];
        print_message("  %s:%d:%d %s [%s] %s: %s\n", f->file, f->line, f->column, f->rule,
                      f->agency ? f->agency : "-", f->subject ? f->subject : "(null)", f->message);
    }
    for (size_t i = 0; i < m->log.ne; i++)
        print_message("  error %s:%d:%d %s\n", m->log.err[i].file ? m->log.err[i].file : "-",
                      m->log.err[i].line, m->log.err[i].column, m->log.err[i].message);
}

/* Asserts a finding of rule with subject, agency, file and position (line
 * or col 0: not checked); returns it. */
static const irt_finding *expect(const mt *m, const char *rule, const char *subject,
                                 const char *agency, const char *file, int line, int col)
{
    const irt_finding *f = find(m, rule, subject);
    if (!f || !same(f->agency, agency) || strcmp(f->file, file) != 0 || (line && f->line != line) ||
        (col && f->column != col))
        dump(m);
    assert_non_null(f);
    if (agency)
        assert_string_equal(f->agency, agency);
    else
        assert_null(f->agency);
    assert_string_equal(f->file, file);
    if (line)
        assert_int_equal(f->line, line);
    if (col)
        assert_int_equal(f->column, col);
    return f;
}

/* Asserts what SEE01 reported ("v=string:2021-03-04"). */
static void expect_seen(const mt *m, const char *subject)
{
    const irt_finding *f = find(m, "SEE01", subject);
    if (!f)
        dump(m);
    assert_non_null(f);
}

static void expect_count(const mt *m, const char *rule, size_t n)
{
    size_t got = irt_count_rule(&m->log, rule);
    if (got != n)
        dump(m);
    assert_int_equal(got, n);
}

static void expect_no_errors(const mt *m)
{
    if (m->log.ne)
        dump(m);
    assert_int_equal(m->log.ne, 0);
}

/* ---- dates ---- */

typedef struct date_case {
    const char *yaml;  /* one %s: the date's value */
    const char *path;  /* its FMT002 subject */
    const char *scope; /* of the SEE01 rule */
    const char *expr;  /* what SEE01 reports */
    int reg;           /* a register: FMT002 has no agency */
} date_case;

#define AG "kind: agency\nid: ag\n"
/* a register needs an agency for an agency rule to look at it */
#define AFTER_REG "---\nkind: agency\nid: ag\n"

static const date_case date_cases[] = {
    {AG "qms:\n  applied_since: %s\n", "qms.applied_since", "agency", "a.qms.applied_since", 0},
    {AG "qms:\n  announcements:\n    - date: %s\n      notified: 2019-06-14\n",
     "qms.announcements[0].date", "agency", "a.qms.announcements[1].date", 0},
    {AG "qms:\n  announcements:\n    - date: 2019-06-10\n    - date: 2019-06-11\n      notified: %s\n",
     "qms.announcements[1].notified", "agency", "a.qms.announcements[2].notified", 0},
    {AG "qms:\n  scope_changes:\n    - change: expand\n      date: %s\n", "qms.scope_changes[0].date",
     "agency", "a.qms.scope_changes[1].date", 0},
    {AG "qms:\n  internal_audits:\n    - date: 2020-01-01\n    - date: %s\n",
     "qms.internal_audits[1].date", "agency", "a.qms.internal_audits[2].date", 0},
    {AG "qms:\n  management_reviews:\n    - date: %s\n", "qms.management_reviews[0].date", "agency",
     "a.qms.management_reviews[1].date", 0},
    {AG "qms:\n  reports:\n    - year: 2020\n      submitted: %s\n      to: skhcn\n",
     "qms.reports[0].submitted", "agency", "a.qms.reports[1].submitted", 0},
    {AG "procedures:\n  - code: 1.001\n    process: QT-1\n  - code: 1.002\n    justification:\n"
        "      document: 12/BC\n      date: %s\n",
     "procedures[1].justification.date", "agency", "a.procedures[2].justification.date", 0},
    {AG "processes:\n  - id: QT-1\n    issued: %s\n", "processes[0].issued", "agency",
     "a.processes[1].issued", 0},
    {"kind: legal\ndocuments:\n  - id: L1\n    issued: %s\n" AFTER_REG, "documents[0].issued",
     "agency", "ctx.legal['L1'].issued", 1},
    {"kind: legal\ndocuments:\n  - id: L0\n  - id: L1\n    issued: 2014-03-05\n    expired: %s\n" AFTER_REG,
     "documents[1].expired", "agency", "ctx.legal['L1'].expired", 1},
    {"kind: catalog\nprocedures:\n  - code: 1.001\n    agencies: [ag]\n    published: %s\n" AFTER_REG,
     "procedures[0].published", "agency", "ctx.catalog['1.001'].published", 1},
    {"kind: catalog\nprocedures:\n  - code: 1.001\n    published: 2020-01-15\n    amended: %s\n" AFTER_REG,
     "procedures[0].amended", "agency", "ctx.catalog['1.001'].amended", 1},
    {"kind: catalog\nprocedures:\n  - code: 1.001\n  - code: 1.002\n    abolished: %s\n" AFTER_REG,
     "procedures[1].abolished", "agency", "ctx.catalog['1.002'].abolished", 1},
    {"kind: plan\nid: KH\ndate: %s\ntotal: 1\n", "date", "plan", "a.date", 1},
};

/* The line and column (1-based, ASCII) of the %s in fmt. */
static void placeholder_pos(const char *fmt, int *line, int *col)
{
    const char *p = strstr(fmt, "%s");
    assert_non_null(p);
    *line = 1;
    *col = 1;
    for (const char *s = fmt; s < p; s++) {
        if (*s == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

/* Runs case c with the date written as value. */
static void run_date(mt *m, const date_case *c, const char *value)
{
    char yaml[1024];
    reset(m);
    see_expr(m, c->scope, c->expr);
    snprintf(yaml, sizeof yaml, c->yaml, value);
    assert_int_equal(irt_input(m->e, "in.yaml", yaml), ISORULES_OK);
    run(m);
    expect_no_errors(m);
}

static void test_model_dates_valid(void **state)
{
    mt *m = *state;
    static const char *const forms[] = {"4/3/2021", "04/03/2021", "4/03/2021", "2021-03-04",
                                        "\"4/3/2021\"", "'2021-03-04'"};
    for (size_t i = 0; i < sizeof date_cases / sizeof *date_cases; i++) {
        for (size_t k = 0; k < sizeof forms / sizeof *forms; k++) {
            snprintf(cur_case, sizeof cur_case, "%s = %s", date_cases[i].path, forms[k]);
            run_date(m, &date_cases[i], forms[k]);
            expect_count(m, "FMT002", 0);
            expect_seen(m, "v=string:2021-03-04");
        }
    }
}

static void test_model_dates_invalid(void **state)
{
    mt *m = *state;
    static const char *const bad[] = {"2021-02-30", "29/2/2021", "2021-3-4", "32/1/2021",
                                      "20210304", "4/3/21", "yes", "[2021-03-04]"};
    for (size_t i = 0; i < sizeof date_cases / sizeof *date_cases; i++) {
        const date_case *c = &date_cases[i];
        int line, col;
        placeholder_pos(c->yaml, &line, &col);
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
            snprintf(cur_case, sizeof cur_case, "%s = %s", c->path, bad[k]);
            run_date(m, c, bad[k]);
            expect_count(m, "FMT002", 1);
            const irt_finding *f = expect(m, "FMT002", c->path, c->reg ? NULL : "ag", "in.yaml", line, col);
            assert_int_equal(f->severity, ISORULES_ERROR_SEVERITY);
            /* every other rule sees the field as absent */
            expect_seen(m, "v=nil:nil");
        }
    }
}

/* Absent and null dates are not findings. */
static void test_model_dates_absent_or_null(void **state)
{
    mt *m = *state;
    see_expr(m, "agency", "a.qms.applied_since");
    assert_int_equal(irt_input(m->e, "in.yaml", AG "qms:\n  applied_since:\n"
                                                   "  internal_audits:\n    - {date: ~}\n"),
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT002", 0);
    expect_seen(m, "v=nil:nil");
}

/* ---- amounts and years ---- */

static void test_model_amounts(void **state)
{
    mt *m = *state;
    see_rule(m, "plan",
             "see(ctx, a, 'total', function() return a.total end)\n"
             "local it = a.budget[1].items\n"
             "see(ctx, a, 'b0', function() return a.budget[1].amount end)\n"
             "see(ctx, a, 'up', function() return it[1].unit_price end)\n"
             "see(ctx, a, 'q', function() return it[1].quantity end)\n"
             "see(ctx, a, 'amt', function() return it[1].amount end)\n"
             "see(ctx, a, 'big', function() return it[2].amount end)\n"
             "see(ctx, a, 'lead', function() return it[2].quantity end)\n"
             "see(ctx, a, 'neg', function() return it[2].unit_price end)\n"
             "see(ctx, a, 'plain', function() return it[3].amount end)\n"
             "see(ctx, a, 'deep', function() return it[3].items[1].amount end)\n");
    assert_int_equal(irt_input(m->e, "plan.yaml",
                               "kind: plan\n"                     /* 1 */
                               "id: KH\n"                         /* 2 */
                               "date: 4/3/2021\n"                 /* 3 */
                               "total: 3.982.840\n"               /* 4 */
                               "budget:\n"                        /* 5 */
                               "  - id: I\n"                      /* 6 */
                               "    amount: \"1.144.840\"\n"      /* 7 */
                               "    items:\n"                     /* 8 */
                               "      - id: \"1\"\n"              /* 9 */
                               "        unit_price: \"25000\"\n"  /* 10 */
                               "        quantity: 1.5\n"          /* 11 */
                               "        amount: 1,000\n"          /* 12 */
                               "      - id: \"2\"\n"              /* 13 */
                               "        amount: 99999999999999999999\n" /* 14 */
                               "        quantity: 01\n"           /* 15 */
                               "        unit_price: -1.000\n"     /* 16 */
                               "      - id: \"3\"\n"              /* 17 */
                               "        amount: 42\n"             /* 18 */
                               "        items:\n"                 /* 19 */
                               "          - amount: abc\n"),      /* 20 */
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_seen(m, "total=integer:3982840");
    expect_seen(m, "b0=integer:1144840");
    expect_seen(m, "up=integer:25000");
    expect_seen(m, "q=nil:nil");
    expect_seen(m, "amt=nil:nil");
    expect_seen(m, "big=nil:nil");
    expect_seen(m, "lead=integer:1");
    expect_seen(m, "neg=integer:-1000");
    expect_seen(m, "plain=integer:42");
    expect_seen(m, "deep=nil:nil");
    expect_count(m, "FMT002", 4);
    expect(m, "FMT002", "budget[0].items[0].quantity", NULL, "plan.yaml", 11, 19);
    expect(m, "FMT002", "budget[0].items[0].amount", NULL, "plan.yaml", 12, 17);
    expect(m, "FMT002", "budget[0].items[1].amount", NULL, "plan.yaml", 14, 17);
    expect(m, "FMT002", "budget[0].items[2].items[0].amount", NULL, "plan.yaml", 20, 21);
}

static void test_model_amount_total_invalid(void **state)
{
    mt *m = *state;
    see_expr(m, "plan", "a.total");
    assert_int_equal(irt_input(m->e, "plan.yaml", "kind: plan\nid: KH\ntotal: 3.982.84\n"), ISORULES_OK);
    run(m);
    expect_count(m, "FMT002", 1);
    expect(m, "FMT002", "total", NULL, "plan.yaml", 3, 8);
    expect_seen(m, "v=nil:nil");
}

static void test_model_report_year(void **state)
{
    mt *m = *state;
    see_rule(m, "agency",
             "see(ctx, a, 'y1', function() return a.qms.reports[1].year end)\n"
             "see(ctx, a, 'y2', function() return a.qms.reports[2].year end)\n"
             "see(ctx, a, 's1', function() return a.qms.reports[1].submitted end)\n");
    assert_int_equal(irt_input(m->e, "in.yaml",
                               AG "qms:\n"
                                  "  reports:\n"
                                  "    - year: \"2020\"\n"
                                  "      submitted: 10/12/2020\n"
                                  "    - year: 2021\n"),
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT002", 1);
    expect(m, "FMT002", "qms.reports[0].year", "ag", "in.yaml", 5, 13);
    expect_seen(m, "y1=nil:nil");
    expect_seen(m, "y2=integer:2021");
    expect_seen(m, "s1=string:2020-12-10");
}

/* ---- identifiers ---- */

#define EN_DASH "\xe2\x80\x93"
#define EM_DASH "\xe2\x80\x94"
#define MINUS "\xe2\x88\x92"
#define HYPHEN "\xe2\x80\x90"
#define D_BAR "\xc4\x90" /* Đ */

static void test_model_identifiers(void **state)
{
    mt *m = *state;
    /* s reports each id with its byte length, so that a subject cannot hide
     * a difference the eye does not see */
    see_rule(m, "agency",
             "local function s(name, v) see(ctx, a, name, function() return v .. '|' .. #v end) end\n"
             "s('id', a.id)\n"
             "s('parent', a.parent)\n"
             "s('code', a.procedures[1].code)\n"
             "s('process', a.procedures[1].process)\n"
             "s('pid', a.processes[1].id)\n"
             "s('lb1', a.processes[1].legal_basis[1])\n"
             "s('lb2', a.processes[1].legal_basis[2])\n"
             "s('nfc', a.processes[2].id)\n"
             "s('to', a.qms.reports[1].to)\n"
             "s('name', a.name)\n");
    assert_int_equal(
        irt_input(m->e, "in.yaml",
                  "kind: agency\n"
                  "id: \"  so" EN_DASH "tp  \"\n"
                  "name: \" S\xe1\xbb\x9f " EN_DASH " T\xc6\xb0 ph\xc3\xa1p \"\n"
                  "parent: ubnd" EM_DASH "tinh\n"
                  "qms:\n"
                  "  reports:\n"
                  "    - year: 2020\n"
                  "      to: so" HYPHEN "tp\n"
                  "procedures:\n"
                  "  - code: \"  1.001234.000.00.00.H34 \"\n"
                  "    process: QT" EM_DASH "1\n"
                  "processes:\n"
                  "  - id: QT" MINUS "1\n"
                  "    legal_basis: [19/2014/Q" D_BAR EN_DASH "TTg, \" 26/2014/TT-BKHCN\"]\n"
                  /* decomposed: u + horn, a + acute */
                  "  - id: \"quy-tr\x69\xcc\x80nh-tu\xcc\x9b-pha\xcc\x81p\"\n"),
        ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_seen(m, "id=string:so-tp|5");
    expect_seen(m, "parent=string:ubnd-tinh|9");
    expect_seen(m, "code=string:1.001234.000.00.00.H34|22");
    expect_seen(m, "process=string:QT-1|4");
    expect_seen(m, "pid=string:QT-1|4");
    expect_seen(m, "lb1=string:19/2014/Q" D_BAR "-TTg|15");
    expect_seen(m, "lb2=string:26/2014/TT-BKHCN|16");
    expect_seen(m, "nfc=string:quy-tr\xc3\xacnh-t\xc6\xb0-ph\xc3\xa1p|20");
    expect_seen(m, "to=string:so-tp|5");
    /* a name is not an id: untouched */
    expect_seen(m, "name=string: S\xe1\xbb\x9f " EN_DASH " T\xc6\xb0 ph\xc3\xa1p |20");
    /* and the agency of the findings is the normalised id */
    const irt_finding *f = find(m, "SEE01", "id=string:so-tp|5");
    assert_string_equal(f->agency, "so-tp");
    expect_count(m, "FMT001", 0);
    expect_count(m, "FMT002", 0);
}

/* Normal forms of non-ASCII ids are cached across values and agencies
 * (core/model.c): an id met again, in the same list or the next agency,
 * gets the same normal form; one that is already normal stays itself; one
 * that cannot be normalised (a NUL inside) stays as written, every time. */
static void test_model_identifiers_cached(void **state)
{
    mt *m = *state;
    see_rule(m, "agency",
             "local function s(name, v) see(ctx, a, name, function() return v .. '|' .. #v end) end\n"
             "local lb = a.processes[1].legal_basis\n"
             "s(a.id .. '1', lb[1]) s(a.id .. '2', lb[2]) s(a.id .. '3', lb[3]) s(a.id .. '4', lb[4])\n");
    const char *agency = "  - id: QT-1\n"
                         "    legal_basis: [\"quy-tr\x69\xcc\x80nh\", \"quy-tr\x69\xcc\x80nh\", "
                         "19/2014/Q" D_BAR "-TTg, \"a\\0" D_BAR "\"]\n";
    char yaml[1024];
    snprintf(yaml, sizeof yaml, "kind: agency\nid: a1\nprocesses:\n%s---\nkind: agency\nid: a2\nprocesses:\n%s",
             agency, agency);
    assert_int_equal(irt_input(m->e, "in.yaml", yaml), ISORULES_OK);
    run(m);
    expect_no_errors(m);
    static const char *const ids[] = {"a1", "a2"};
    for (int i = 0; i < 2; i++) {
        char want[96];
        snprintf(want, sizeof want, "%s1=string:quy-tr\xc3\xacnh|10", ids[i]);
        expect_seen(m, want);
        snprintf(want, sizeof want, "%s2=string:quy-tr\xc3\xacnh|10", ids[i]);
        expect_seen(m, want);
        snprintf(want, sizeof want, "%s3=string:19/2014/Q" D_BAR "-TTg|15", ids[i]);
        expect_seen(m, want);
    }
    /* the NUL: the text after it is not shown, but the length is the written one */
    expect_count(m, "SEE01", 8);
}

static void test_model_single_id_list(void **state)
{
    mt *m = *state;
    see_rule(m, "agency",
             "local lb = a.processes[1].legal_basis\n"
             "see(ctx, a, 'lb', function() return type(lb) .. #lb .. lb[1] end)\n"
             "ctx.report(lb, 'at-lb', 'seen')\n"
             "local ag = ctx.catalog['1.001'].agencies\n"
             "see(ctx, a, 'ag', function() return type(ag) .. #ag .. ag[1] end)\n"
             "see(ctx, a, 'lb2', function() return #a.processes[2].legal_basis end)\n");
    assert_int_equal(irt_input(m->e, "in.yaml",
                               "kind: catalog\n"                             /* 1 */
                               "procedures:\n"                               /* 2 */
                               "  - code: 1.001\n"                           /* 3 */
                               "    agencies: ag\n"                          /* 4 */
                               "---\n"                                       /* 5 */
                               "kind: agency\n"                              /* 6 */
                               "id: ag\n"                                    /* 7 */
                               "processes:\n"                                /* 8 */
                               "  - id: QT-1\n"                              /* 9 */
                               "    legal_basis: 19/2014/Q" D_BAR EN_DASH "TTg\n" /* 10 */
                               "  - id: QT-2\n"                              /* 11 */
                               "    legal_basis: [a, b]\n"),                 /* 12 */
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_seen(m, "lb=string:table119/2014/Q" D_BAR "-TTg");
    expect_seen(m, "ag=string:table1ag");
    expect_seen(m, "lb2=integer:2");
    /* the list of one keeps the position of the id it was made from */
    const irt_finding *f = find(m, "SEE01", "at-lb");
    assert_non_null(f);
    assert_int_equal(f->line, 10);
    assert_int_equal(f->column, 18);
    expect_count(m, "FMT002", 0);
}

/* ---- FMT001 ---- */

static void test_model_fmt001_unknown_kind(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml", "kind: legal\n---\nkind: agencyy\nid: x\n"), ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT001", 1);
    const irt_finding *f = expect(m, "FMT001", "agencyy", NULL, "in.yaml", 3, 1);
    assert_int_equal(f->severity, ISORULES_ERROR_SEVERITY);
}

/* A kind that is not a string: the subject is still the kind as written. */
static void test_model_fmt001_unknown_kind_number(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml", "kind: 7\nid: x\n"), ISORULES_OK);
    run(m);
    expect_count(m, "FMT001", 1);
    expect(m, "FMT001", "7", NULL, "in.yaml", 1, 1);
}

/* `kind: true`: the subject is the kind as written (RULES.md "Format") */
static void test_model_fmt001_unknown_kind_boolean(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml", "kind: true\nid: x\n"), ISORULES_OK);
    run(m);
    expect_count(m, "FMT001", 1);
    expect(m, "FMT001", "true", NULL, "in.yaml", 1, 1);
}

static void test_model_fmt001_missing_kind(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml", "kind: agency\nid: a\n---\nid: x\nname: y\n"), ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT001", 1);
    expect(m, "FMT001", NULL, NULL, "in.yaml", 4, 1);
}

static void test_model_fmt001_not_a_mapping(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml", "- a\n- b\n---\njust text\n"), ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT001", 2);
    expect(m, "FMT001", NULL, NULL, "in.yaml", 1, 1);
    size_t at4 = 0;
    for (size_t i = 0; i < m->log.nf; i++)
        at4 += strcmp(m->log.f[i].rule, "FMT001") == 0 && !m->log.f[i].subject && m->log.f[i].line == 4;
    assert_int_equal(at4, 1);
}

static void test_model_fmt001_agency_without_id(void **state)
{
    mt *m = *state;
    see_expr(m, "agency", "a.qms.applied_since");
    assert_int_equal(irt_input(m->e, "in.yaml",
                               "kind: agency\nname: X\nqms:\n  applied_since: 4/3/2021\n"
                               "  internal_audits: [{date: 2021-02-30}]\n"),
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT001", 1);
    expect(m, "FMT001", "agency", NULL, "in.yaml", 1, 1);
    /* still audited */
    expect_seen(m, "v=string:2021-03-04");
    /* without an id, the agency of its findings is null */
    expect(m, "FMT002", "qms.internal_audits[0].date", NULL, "in.yaml", 5, 28);
}

static void test_model_fmt001_repeated_agency_id(void **state)
{
    mt *m = *state;
    see_expr(m, "agency", "a.name");
    /* added in the other order: the files are taken in name order */
    assert_int_equal(irt_input(m->e, "b.yaml", "kind: agency\nname: B\nid:   dup\n"), ISORULES_OK);
    assert_int_equal(irt_input(m->e, "a.yaml", "kind: agency\nid: dup\nname: A\n"), ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT001", 1);
    expect(m, "FMT001", "dup", NULL, "b.yaml", 3, 7);
    /* both audited */
    expect_seen(m, "v=string:A");
    expect_seen(m, "v=string:B");
}

static void test_model_fmt001_repeated_agency_id_normalised(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "a.yaml", "kind: agency\nid: so" EN_DASH "tp\n"), ISORULES_OK);
    assert_int_equal(irt_input(m->e, "a.yaml2.yaml", "kind: agency\nid: so-tp\n---\nkind: agency\nid: other\n"),
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT001", 1);
    expect(m, "FMT001", "so-tp", NULL, "a.yaml2.yaml", 2, 5);
}

static void test_model_fmt001_repeated_process_id(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml",
                               AG "processes:\n"    /* 3 */
                                  "  - id: QT-1\n"  /* 4 */
                                  "  - id: QT-2\n"  /* 5 */
                                  "  - id: QT" EN_DASH "1\n" /* 6 */
                                  "---\n"           /* 7 */
                                  "kind: agency\nid: other\nprocesses:\n  - id: QT-1\n"),
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    /* once, within the first agency; the other agency may reuse the id */
    expect_count(m, "FMT001", 1);
    expect(m, "FMT001", "QT-1", NULL, "in.yaml", 6, 9);
}

static void test_model_fmt001_repeated_catalog_code(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml",
                               "kind: catalog\n"            /* 1 */
                               "procedures:\n"              /* 2 */
                               "  - code: 1.001\n"          /* 3 */
                               "  - code: 1.002\n"          /* 4 */
                               "  - name: x\n"              /* 5 */
                               "    code: \" 1.001\"\n"     /* 6 */
                               "  - code: 1.001\n"),        /* 7 */
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT001", 2);
    expect(m, "FMT001", "1.001", NULL, "in.yaml", 6, 11);
    size_t at7 = 0;
    for (size_t i = 0; i < m->log.nf; i++)
        at7 += strcmp(m->log.f[i].rule, "FMT001") == 0 && m->log.f[i].line == 7 && m->log.f[i].column == 11;
    assert_int_equal(at7, 1);
}

static void test_model_fmt001_repeated_legal_id(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "b.yaml", "kind: legal\ndocuments:\n  - id: 19/2014/Q" D_BAR EN_DASH "TTg\n"),
                     ISORULES_OK);
    assert_int_equal(irt_input(m->e, "a.yaml", "kind: legal\ndocuments:\n  - id: 19/2014/Q" D_BAR "-TTg\n"),
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT001", 1);
    expect(m, "FMT001", "19/2014/Q" D_BAR "-TTg", NULL, "b.yaml", 3, 9);
}

/* ---- FMT003 ---- */

static void test_model_fmt003_misspelt_keys(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml",
                               AG "qms:\n"                      /* 3 */
                                  "  anouncements: []\n"        /* 4 */
                                  "procedures:\n"               /* 5 */
                                  "  - code: 1.001\n"           /* 6 */
                                  "    proces: QT-1\n"          /* 7 */
                                  "  - code: 1.002\n"           /* 8 */
                                  "    justifcation:\n"         /* 9 */
                                  "      reason: x\n"),         /* 10 */
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT003", 3);
    const irt_finding *f = expect(m, "FMT003", "qms.anouncements", "ag", "in.yaml", 4, 3);
    assert_int_equal(f->severity, ISORULES_INFO);
    assert_non_null(strstr(f->message, "announcements"));
    f = expect(m, "FMT003", "procedures[0].proces", "ag", "in.yaml", 7, 5);
    assert_non_null(strstr(f->message, "process"));
    f = expect(m, "FMT003", "procedures[1].justifcation", "ag", "in.yaml", 9, 5);
    assert_non_null(strstr(f->message, "justification"));
}

/* In registers and plans: no agency. */
static void test_model_fmt003_registers(void **state)
{
    mt *m = *state;
    assert_int_equal(irt_input(m->e, "in.yaml",
                               "kind: legal\n"                  /* 1 */
                               "documens: []\n"                 /* 2 */
                               "---\n"                          /* 3 */
                               "kind: plan\n"                   /* 4 */
                               "id: KH\n"                       /* 5 */
                               "budget:\n"                      /* 6 */
                               "  - id: I\n"                    /* 7 */
                               "    ammount: 1\n"               /* 8 */
                               "    items:\n"                   /* 9 */
                               "      - {id: x, unit_prise: 2}\n"), /* 10 */
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT003", 3);
    expect(m, "FMT003", "documens", NULL, "in.yaml", 2, 1);
    expect(m, "FMT003", "budget[0].ammount", NULL, "in.yaml", 8, 5);
    expect(m, "FMT003", "budget[0].items[0].unit_prise", NULL, "in.yaml", 10, 17);
}

static void test_model_fmt003_other_keys_pass(void **state)
{
    mt *m = *state;
    see_expr(m, "agency", "a.xy .. a.ghi_chu .. a.procedures[1].xy");
    assert_int_equal(irt_input(m->e, "in.yaml",
                               AG "xy: 1\nghi_chu: note\nprocedures:\n  - code: 1.001\n    xy: 2\n"),
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT003", 0);
    /* and unknown keys reach rules untouched */
    expect_seen(m, "v=string:1note2");
}

/* ---- FMT002: shapes ---- */

static void test_model_fmt002_null_list_item(void **state)
{
    mt *m = *state;
    see_rule(m, "agency",
             "local ia = a.qms.internal_audits\n"
             "see(ctx, a, 'n', function() return #ia end)\n"
             "see(ctx, a, 'null', function() return ia[2] == isorules.null end)\n"
             "see(ctx, a, 'third', function() return ia[3].date end)\n");
    assert_int_equal(irt_input(m->e, "in.yaml",
                               AG "qms:\n"                    /* 3 */
                                  "  internal_audits:\n"      /* 4 */
                                  "    - date: 2020-01-01\n"  /* 5 */
                                  "    -\n"                   /* 6 */
                                  "    - date: 2/1/2021\n"),  /* 7 */
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT002", 1);
    expect(m, "FMT002", "qms.internal_audits[1]", "ag", "in.yaml", 6, 0);
    expect_seen(m, "n=integer:3");
    expect_seen(m, "null=boolean:true");
    expect_seen(m, "third=string:2021-01-02");
}

static void test_model_fmt002_scalar_for_mapping(void **state)
{
    mt *m = *state;
    see_rule(m, "agency",
             "see(ctx, a, 'qms', function() return a.qms end)\n"
             "see(ctx, a, 'n', function() return #a.procedures end)\n"
             "see(ctx, a, 'p1', function() return type(a.procedures[1]) end)\n"
             "see(ctx, a, 'p2', function() return a.procedures[2].code end)\n"
             "see(ctx, a, 'j', function() return a.procedures[2].justification end)\n"
             "see(ctx, a, 'pr', function() return a.processes end)\n");
    assert_int_equal(irt_input(m->e, "in.yaml",
                               AG "qms: yes\n"                       /* 3 */
                                  "procedures:\n"                    /* 4 */
                                  "  - 1.001\n"                      /* 5 */
                                  "  - code: 1.002\n"                /* 6 */
                                  "    justification: none\n"      /* 7 */
                                  "processes: {id: QT-1}\n"),      /* 8 */
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT002", 4);
    expect(m, "FMT002", "processes", "ag", "in.yaml", 8, 12);
    expect(m, "FMT002", "qms", "ag", "in.yaml", 3, 6);
    expect(m, "FMT002", "procedures[0]", "ag", "in.yaml", 5, 5);
    expect(m, "FMT002", "procedures[1].justification", "ag", "in.yaml", 7, 20);
    expect_seen(m, "qms=nil:nil");
    expect_seen(m, "n=integer:2");
    expect_seen(m, "p1=string:userdata");
    expect_seen(m, "p2=string:1.002");
    expect_seen(m, "j=nil:nil");
    expect_seen(m, "pr=nil:nil");
}

/* Selecting or skipping FMT rules changes what is reported, never what
 * rules see. */
static void test_model_fmt_skipped_same_view(void **state)
{
    mt *m = *state;
    assert_int_equal(isorules_select(m->e, "SEE*", NULL), ISORULES_OK);
    see_rule(m, "agency",
             "see(ctx, a, 'd', function() return a.qms.applied_since end)\n"
             "see(ctx, a, 'bad', function() return a.qms.management_reviews[1].date end)\n");
    assert_int_equal(irt_input(m->e, "in.yaml",
                               AG "qms:\n  applied_since: 4/3/2021\n"
                                  "  management_reviews: [{date: 31/4/2021}]\n"),
                     ISORULES_OK);
    run(m);
    expect_no_errors(m);
    expect_count(m, "FMT002", 0);
    expect_seen(m, "d=string:2021-03-04");
    expect_seen(m, "bad=nil:nil");
}

/* ---- registers after an agency ---- */

static void test_model_register_after_agency(void **state)
{
    mt *m = *state;
    see_expr(m, "agency", "a.qms.applied_since");
    assert_int_equal(irt_input(m->e, "in.yaml",
                               "kind: agency\nid: a1\nqms:\n  applied_since: 4/3/2021\n" /* 1-4 */
                               "---\n"                                                 /* 5 */
                               "kind: legal\ndocuments: [{id: L1}]\n"                  /* 6-7 */
                               "---\n"                                                 /* 8 */
                               "kind: agency\nid: a2\nqms:\n  applied_since: 2021-05-06\n"),
                     ISORULES_OK);
    run(m);
    assert_int_equal(m->log.ne, 1);
    const irt_error *err = &m->log.err[0];
    assert_null(err->rule);
    assert_string_equal(err->file, "in.yaml");
    assert_int_equal(err->line, 6);
    assert_int_equal(err->column, 1);
    assert_non_null(strstr(err->message, "register"));
    /* both agencies still audited */
    const irt_finding *f = find(m, "SEE01", "v=string:2021-03-04");
    assert_non_null(f);
    assert_string_equal(f->agency, "a1");
    f = find(m, "SEE01", "v=string:2021-05-06");
    assert_non_null(f);
    assert_string_equal(f->agency, "a2");
    isorules_summary sum;
    isorules_get_summary(m->e, &sum);
    assert_int_equal(sum.agencies, 2);
    assert_int_equal(sum.failures, 1);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, mt_setup, mt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_model_dates_valid),
        T(test_model_dates_invalid),
        T(test_model_dates_absent_or_null),
        T(test_model_amounts),
        T(test_model_amount_total_invalid),
        T(test_model_report_year),
        T(test_model_identifiers),
        T(test_model_identifiers_cached),
        T(test_model_single_id_list),
        T(test_model_fmt001_unknown_kind),
        T(test_model_fmt001_unknown_kind_number),
        T(test_model_fmt001_unknown_kind_boolean),
        T(test_model_fmt001_missing_kind),
        T(test_model_fmt001_not_a_mapping),
        T(test_model_fmt001_agency_without_id),
        T(test_model_fmt001_repeated_agency_id),
        T(test_model_fmt001_repeated_agency_id_normalised),
        T(test_model_fmt001_repeated_process_id),
        T(test_model_fmt001_repeated_catalog_code),
        T(test_model_fmt001_repeated_legal_id),
        T(test_model_fmt003_misspelt_keys),
        T(test_model_fmt003_registers),
        T(test_model_fmt003_other_keys_pass),
        T(test_model_fmt002_null_list_item),
        T(test_model_fmt002_scalar_for_mapping),
        T(test_model_fmt_skipped_same_view),
        T(test_model_register_after_agency),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
