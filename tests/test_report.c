/* test_report.c: unit tests for the report writers (core/report.c, cmocka):
 * the JSON report (CLI.md "JSON output") and the text report (CLI.md "Text
 * output"), through isorules_report_* on a real run. */
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

/* ---- the JSON checker the fuzz harnesses use (scripts/fuzz/json_check.h):
 * is the text one well-formed JSON value, its strings valid UTF-8? Tested
 * here too (test_report_json_checker). ---- */

#include "../scripts/fuzz/json_check.h"

static int json_valid(const char *s) { return json_ok(s, strlen(s)); }

/* ---- fixture ---- */

typedef struct fixture {
    isorules_engine *e;
    FILE *out, *err;
    isorules_report *r;
    char *text, *errtext;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    if (isorules_open(&fx->e) != ISORULES_OK)
        goto fail;
    if (isorules_set_as_of(fx->e, "2021-12-31") != ISORULES_OK ||
        isorules_set_limit(fx->e, "instructions", 1000000) != ISORULES_OK)
        goto fail;
    fx->out = tmpfile();
    fx->err = tmpfile();
    if (!fx->out || !fx->err)
        goto fail;
    *state = fx;
    return 0;
fail:
    if (fx->out)
        fclose(fx->out);
    if (fx->err)
        fclose(fx->err);
    isorules_close(fx->e);
    free(fx);
    return -1;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    isorules_report_close(fx->r);
    isorules_close(fx->e);
    fclose(fx->out);
    fclose(fx->err);
    free(fx->text);
    free(fx->errtext);
    free(fx);
    return 0;
}

static const char one_agency[] = "kind: agency\n"
                                 "id: a1\n"
                                 "name: Agency One\n"
                                 "level: department\n";

static const char two_agencies[] = "kind: agency\n"
                                   "id: a1\n"
                                   "name: One\n"
                                   "---\n"
                                   "kind: agency\n"
                                   "id: a2\n"
                                   "name: Two\n";

static void load_ok(fixture *fx, const char *name, const char *src)
{
    if (irt_rules(fx->e, name, src) != ISORULES_OK)
        fail_msg("%s did not load: %s", name, isorules_errmsg(fx->e));
}

/* Opens a report of `format` in `lang` on fx's streams, runs, finishes
 * (expecting OK) and reads what was written. */
static void report_run(fixture *fx, const char *format, const char *lang)
{
    assert_int_equal(isorules_report_open(&fx->r, format, fx->out, fx->err, lang), ISORULES_OK);
    assert_non_null(fx->r);
    isorules_report_attach(fx->r, fx->e);
    assert_int_equal(isorules_run(fx->e), ISORULES_OK);
    assert_int_equal(isorules_report_finish(fx->r, fx->e), ISORULES_OK);
    fx->text = irt_slurp(fx->out);
    fx->errtext = irt_slurp(fx->err);
}

/* Asserts that the needles occur in text in this order. */
static void assert_in_order(const char *text, const char *const *needles, size_t n)
{
    const char *at = text;
    for (size_t i = 0; i < n; i++) {
        const char *p = strstr(at, needles[i]);
        if (!p)
            fail_msg("'%s' missing (or out of order) in:\n%s", needles[i], text);
        at = p + strlen(needles[i]);
    }
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("'%s' missing in:\n%s", needle, text);
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* ---- the JSON checker itself ---- */

static void test_report_json_checker(void **state)
{
    (void)state;
    assert_true(json_valid("{}"));
    assert_true(json_valid(" { \"a\": [1, -2, 3.5, true, false, null, \"x\\n\\u00e9\"], \"b\": {} }\n"));
    assert_true(json_valid("\"S\xe1\xbb\x9f\""));
    assert_false(json_valid(""));
    assert_false(json_valid("{"));
    assert_false(json_valid("{\"a\": 1,}"));
    assert_false(json_valid("[1 2]"));
    assert_false(json_valid("{\"a\" 1}"));
    assert_false(json_valid("\"line\nbreak\""));
    assert_false(json_valid("\"tab\there\""));
    assert_false(json_valid("\"bad \\x escape\""));
    assert_false(json_valid("\"\xff\""));
    assert_false(json_valid("\"\xc0\xaf\""));
    assert_false(json_valid("\"\xed\xa0\x80\""));
    assert_false(json_valid("\"\xe1\x80\""));
    assert_false(json_valid("{} {}"));
    assert_false(json_valid("01"));
}

/* ---- JSON ---- */

static void test_report_json_structure(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "t.lua",
            "rule { id = 'T1', severity = 'error', check = function(a, ctx)\n"
            "  ctx.report_at(a, 'name', a.id, 'hello %s', a.id)\n"
            "end }\n");
    assert_int_equal(isorules_select(fx->e, "T*", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    report_run(fx, "json", "en");
    if (!json_valid(fx->text))
        fail_msg("not JSON:\n%s", fx->text);
    assert_int_equal(strncmp(fx->text, "{", 1), 0);
    static const char *const keys[] = {
        "\"isorules\": 1,",
        "\"as_of\": \"2021-12-31\",",
        "\"findings\": [",
        "{ \"rule\": \"T1\", \"severity\": \"error\", \"agency\": \"a1\", \"subject\": \"a1\", "
        "\"message\": \"hello a1\", \"file\": \"a.yaml\", \"line\": 3, \"column\": 7 }",
        "\"errors\": [",
        "\"summary\": { \"files\": 1, \"agencies\": 1, \"rules\": 1, \"errors\": 1, \"warnings\": 0, "
        "\"infos\": 0 }",
        "\"agencies\": [",
        "{ \"id\": \"a1\", \"file\": \"a.yaml\", \"line\": 1, \"column\": 1, \"id_line\": 2, "
        "\"id_column\": 5 }",
        "\"files\": [",
        "\"a.yaml\"",
    };
    assert_in_order(fx->text, keys, sizeof keys / sizeof *keys);
    /* each key once, at the top level */
    assert_int_equal(count_of(fx->text, "\"isorules\""), 1);
    assert_int_equal(count_of(fx->text, "\"findings\""), 1);
    assert_int_equal(count_of(fx->text, "\"errors\": ["), 1);
    assert_int_equal(count_of(fx->text, "\"summary\""), 1);
    assert_int_equal(count_of(fx->text, "\"agencies\": ["), 1);
    assert_int_equal(count_of(fx->text, "\"rule\""), 1);
    /* no errors */
    assert_contains(fx->text, "\"errors\": [],");
    size_t n = strlen(fx->text);
    assert_true(n >= 2);
    assert_string_equal(fx->text + n - 2, "}\n");
    assert_string_equal(fx->errtext, "");
}

static void test_report_json_empty(void **state)
{
    fixture *fx = *state;
    /* no rules selected, no input */
    assert_int_equal(isorules_select(fx->e, "NONE", NULL), ISORULES_OK);
    report_run(fx, "json", "en");
    if (!json_valid(fx->text))
        fail_msg("not JSON:\n%s", fx->text);
    static const char *const keys[] = {
        "\"isorules\": 1,", "\"as_of\": \"2021-12-31\",", "\"findings\": [],", "\"errors\": [],",
        "\"summary\": { \"files\": 0, \"agencies\": 0, \"rules\": 0, \"errors\": 0, \"warnings\": 0, \"infos\": 0 },",
        "\"agencies\": [],",
        "\"files\": []",
    };
    assert_in_order(fx->text, keys, sizeof keys / sizeof *keys);
}

static void test_report_json_many_findings(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "t.lua",
            "rule { id = 'T1', severity = 'warning', check = function(a, ctx)\n"
            "  ctx.report(a, a.id, 'one %s', a.id) ctx.report(a, nil, 'two %s', a.id) end }\n"
            "rule { id = 'T2', severity = 'info', check = function(a, ctx) ctx.report(a, 7, 'three') end }\n");
    assert_int_equal(isorules_select(fx->e, "T*", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "b.yaml", two_agencies), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    report_run(fx, "json", "en");
    if (!json_valid(fx->text))
        fail_msg("not JSON:\n%s", fx->text);
    assert_int_equal(count_of(fx->text, "{ \"rule\": "), 9);
    assert_contains(fx->text, "\"subject\": null, \"message\": \"two a1\"");
    assert_contains(fx->text, "\"subject\": \"7\", \"message\": \"three\"");
    assert_contains(fx->text, "\"summary\": { \"files\": 2, \"agencies\": 3, \"rules\": 2, \"errors\": 0, "
                              "\"warnings\": 6, \"infos\": 3 }");
    static const char *const agencies[] = {
        "\"agencies\": [",
        "{ \"id\": \"a1\", \"file\": \"a.yaml\", \"line\": 1, \"column\": 1,",
        "{ \"id\": \"a1\", \"file\": \"b.yaml\", \"line\": 1, \"column\": 1,",
        "{ \"id\": \"a2\", \"file\": \"b.yaml\", \"line\": 5, \"column\": 1,",
    };
    assert_in_order(fx->text, agencies, sizeof agencies / sizeof *agencies);
    /* findings file by file: all of a.yaml's before b.yaml's */
    char *errors = strstr(fx->text, "\"errors\": [");
    assert_non_null(errors);
    *errors = '\0'; /* look at the findings only */
    const char *last_a = NULL, *first_b = strstr(fx->text, "\"file\": \"b.yaml\", \"line\"");
    for (const char *p = strstr(fx->text, "\"file\": \"a.yaml\", \"line\""); p;
         p = strstr(p + 1, "\"file\": \"a.yaml\", \"line\""))
        last_a = p;
    assert_int_equal(count_of(fx->text, "\"file\": \"a.yaml\""), 3);
    assert_int_equal(count_of(fx->text, "\"file\": \"b.yaml\""), 6);
    assert_non_null(last_a);
    assert_non_null(first_b);
    assert_true(last_a < first_b);
}

static void test_report_json_escapes(void **state)
{
    fixture *fx = *state;
    /* Lua escapes: \1 and \31 are control bytes, \255 and \192\175 are not
     * UTF-8, \237\160\128 is a surrogate, Sở is valid UTF-8 */
    load_ok(fx, "esc.lua",
            "rule { id = 'E', severity = 'error', check = function(a, ctx)\n"
            "  ctx.report(a, 'a\"b\\\\c', '%s',\n"
            "    'q\"b\\\\c\\nd\\te\\rf\\1g\\31h\\255i\\192\\175j\\237\\160\\128k S\\225\\187\\159 /')\n"
            "  ctx.report(a, 'cut', '%s', 'x\\225\\128y')\n"
            "  ctx.report(a, 'high', '%s', 'h\\248\\160\\160z')\n"
            "  ctx.report(a, 'yaml', '%s', 'a\\127b\\194\\133c\\194\\149d\\239\\187\\191e\\239\\191\\190f\\239\\191\\189g\\194\\160h')\n"
            "end }\n");
    assert_int_equal(isorules_select(fx->e, "E", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    report_run(fx, "json", "en");
    if (!json_valid(fx->text))
        fail_msg("not JSON:\n%s", fx->text);
    assert_contains(fx->text, "\"subject\": \"a\\\"b\\\\c\"");
    assert_contains(fx->text, "\"message\": \"q\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u001fh"
                              "\xef\xbf\xbd" "i" "\xef\xbf\xbd\xef\xbf\xbd" "j"
                              "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "k S\xe1\xbb\x9f /\"");
    /* a cut sequence: replaced, whatever the count, and y survives */
    const char *cut = strstr(fx->text, "\"message\": \"x\xef\xbf\xbd");
    assert_non_null(cut);
    assert_non_null(strstr(cut, "y\""));
    /* a lead byte above F4 starts no character (found by fuzz_audit) */
    assert_contains(fx->text, "\"message\": \"h\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\"");
    /* what a YAML reader refuses raw (merge reads reports with libyaml) is
     * escaped: DEL, C1 controls, U+FEFF, U+FFFE; U+FFFD and U+00A0 are not
     * (found by fuzz_merge) */
    assert_contains(fx->text, "\"message\": \"a\\u007fb\\u0085c\\u0095d\\ufeffe\\ufffef\xef\xbf\xbdg\xc2\xa0h\"");
}

static void test_report_json_errors(void **state)
{
    fixture *fx = *state;
    /* a rule file that fails to load, a rule that raises, an input that is
     * not YAML */
    assert_int_equal(irt_rules(fx->e, "bad.lua", "rule {"), ISORULES_ERROR);
    load_ok(fx, "err.lua",
            "-- raises\n"
            "rule { id = 'E1', severity = 'error', check = function(a, ctx)\n"
            "  error('boom \"quoted\"')\n"
            "end }\n");
    assert_int_equal(isorules_select(fx->e, "E1", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "b.yaml", "kind: agency\nid: [unclosed\n"), ISORULES_OK);
    report_run(fx, "json", "en");
    if (!json_valid(fx->text))
        fail_msg("not JSON:\n%s", fx->text);
    static const char *const entries[] = {
        "\"errors\": [",
        "{ \"file\": \"bad.lua\", \"line\": 1, \"column\": 0, \"message\": \"",
        "{ \"rule\": \"E1\", \"file\": \"err.lua\", \"line\": 3, \"column\": 0, "
        "\"input\": { \"file\": \"a.yaml\", \"line\": 1, \"column\": 1 }, \"message\": \"boom \\\"quoted\\\"\" }",
        "\"summary\": {",
    };
    assert_in_order(fx->text, entries, sizeof entries / sizeof *entries);
    static const char yaml_entry[] = "{ \"file\": \"b.yaml\", \"line\": ";
    const char *yaml_err = strstr(fx->text, yaml_entry);
    if (!yaml_err || yaml_err > strstr(fx->text, "\"summary\"") || yaml_err[strlen(yaml_entry)] == '0')
        fail_msg("no errors entry with a line for b.yaml in:\n%s", fx->text);
    /* only rule errors have "rule" and "input" */
    assert_int_equal(count_of(fx->text, "\"input\": {"), 1);
    assert_int_equal(count_of(fx->text, "\"rule\": "), 1);
    assert_contains(fx->text, "\"findings\": [],");
    assert_contains(fx->text, "\"files\": 2, \"agencies\": 1,");
    /* the JSON report leaves err alone */
    assert_string_equal(fx->errtext, "");
}

/* ---- text ---- */

static void test_report_text_lines(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "t.lua",
            "rule { id = 'T1', severity = 'error', check = function(a, ctx)\n"
            "  ctx.report_at(a, 'name', a.id, 'hello %s', a.id)\n"
            "end }\n");
    assert_int_equal(isorules_select(fx->e, "T1", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    report_run(fx, "text", "en");
    assert_string_equal(fx->text, "a.yaml:3:7: error T1 [a1] a1: hello a1\n"
                                  "1 error, 0 warnings in 1 agency (1 rule, as of 2021-12-31)\n");
    assert_string_equal(fx->errtext, "");
}

static void test_report_text_no_subject_no_agency(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "t.lua",
            "rule { id = 'T2', severity = 'warning', check = function(a, ctx) ctx.report(a, nil, 'no %s', 'subject') end }\n"
            "rule { id = 'T3', severity = 'info', scope = 'plan', check = function(p, ctx) ctx.report(p, p.id, 'plan %s', p.id) end }\n");
    assert_int_equal(isorules_select(fx->e, "T*", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml",
                               "kind: plan\nid: P-1\ndate: 2021-03-04\ntotal: 5\nbudget:\n  - id: I\n    amount: 5\n"
                               "---\n"
                               "kind: agency\nid: a1\nname: One\n"),
                     ISORULES_OK);
    report_run(fx, "text", "en");
    assert_string_equal(fx->text, "a.yaml:1:1: info T3 P-1: plan P-1\n"
                                  "a.yaml:9:1: warning T2 [a1]: no subject\n"
                                  "0 errors, 1 warning, 1 info in 1 agency (2 rules, as of 2021-12-31)\n");
}

static void test_report_text_plurals(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "t.lua",
            "rule { id = 'T1', severity = 'error', check = function(a, ctx) ctx.report(a, a.id, 'e %s', a.id) end }\n"
            "rule { id = 'T2', severity = 'warning', check = function(a, ctx)\n"
            "  if a.id == 'a1' then ctx.report(a, a.id, 'w %s', a.id) end end }\n"
            "rule { id = 'T3', severity = 'info', check = function(a, ctx)\n"
            "  if a.id == 'a2' then ctx.report(a, a.id, 'i %s', a.id) end end }\n");
    assert_int_equal(isorules_select(fx->e, "T*", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", two_agencies), ISORULES_OK);
    report_run(fx, "text", "en");
    static const char *const lines[] = {
        "a.yaml:1:1: error T1 [a1] a1: e a1\n",
        "a.yaml:1:1: warning T2 [a1] a1: w a1\n",
        "a.yaml:5:1: error T1 [a2] a2: e a2\n",
        "a.yaml:5:1: info T3 [a2] a2: i a2\n",
        "2 errors, 1 warning, 1 info in 2 agencies (3 rules, as of 2021-12-31)\n",
    };
    assert_in_order(fx->text, lines, sizeof lines / sizeof *lines);
    assert_int_equal(count_of(fx->text, "\n"), 5);
}

static void test_report_text_zero(void **state)
{
    fixture *fx = *state;
    assert_int_equal(isorules_select(fx->e, "NONE", NULL), ISORULES_OK);
    report_run(fx, "text", "en");
    assert_string_equal(fx->text, "0 errors, 0 warnings in 0 agencies (0 rules, as of 2021-12-31)\n");
}

static void test_report_text_vietnamese(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "t.lua",
            "rule { id = 'T1', severity = 'error', check = function(a, ctx) ctx.report(a, a.id, { vi = 'lỗi %s', en = 'error %s' }, a.id) end }\n");
    assert_int_equal(isorules_set_lang(fx->e, "vi"), ISORULES_OK);
    assert_int_equal(isorules_select(fx->e, "T1", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    report_run(fx, "text", "vi");
    assert_string_equal(fx->text, "a.yaml:1:1: error T1 [a1] a1: lỗi a1\n"
                                  "1 lỗi, 0 cảnh báo trong 1 cơ quan (1 quy tắc, tính đến ngày 2021-12-31)\n");
}

static void test_report_text_vietnamese_infos(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "t.lua",
            "rule { id = 'T3', severity = 'info', check = function(a, ctx) ctx.report(a, a.id, 'i') end }\n"
            "rule { id = 'T2', severity = 'warning', check = function(a, ctx) ctx.report(a, a.id, 'w') end }\n");
    assert_int_equal(isorules_select(fx->e, "T*", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", two_agencies), ISORULES_OK);
    report_run(fx, "text", "vi");
    assert_contains(fx->text, "0 lỗi, 2 cảnh báo, 2 thông tin trong 2 cơ quan (2 quy tắc, tính đến ngày 2021-12-31)\n");
}

static void test_report_text_errors_to_err(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "err.lua",
            "-- raises\n"
            "rule { id = 'E1', severity = 'error', check = function(a, ctx)\n"
            "  error('boom')\n"
            "end }\n");
    assert_int_equal(isorules_select(fx->e, "E1", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    report_run(fx, "text", "en");
    assert_in_order(fx->errtext, (const char *const[]){"err.lua:3: E1: boom (auditing a.yaml:1:1)\n"}, 1);
    assert_string_equal(fx->text, "0 errors, 0 warnings in 1 agency (1 rule, as of 2021-12-31)\n");
    assert_null(strstr(fx->text, "boom"));
}

static void test_report_text_errors_dropped(void **state)
{
    fixture *fx = *state;
    load_ok(fx, "err.lua", "rule { id = 'E1', severity = 'error', check = function(a, ctx) error('boom') end }\n");
    assert_int_equal(isorules_select(fx->e, "E1", NULL), ISORULES_OK);
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    assert_int_equal(isorules_report_open(&fx->r, "text", fx->out, NULL, "en"), ISORULES_OK);
    isorules_report_attach(fx->r, fx->e);
    assert_int_equal(isorules_run(fx->e), ISORULES_OK);
    assert_int_equal(isorules_report_finish(fx->r, fx->e), ISORULES_OK);
    fx->text = irt_slurp(fx->out);
    assert_string_equal(fx->text, "0 errors, 0 warnings in 1 agency (1 rule, as of 2021-12-31)\n");
    isorules_summary s;
    isorules_get_summary(fx->e, &s);
    assert_int_equal(s.failures, 1);
}

/* ---- failures ---- */

static void finish_on_full(fixture *fx, const char *format)
{
    FILE *full = fopen("/dev/full", "w");
    if (!full)
        skip();
    load_ok(fx, "t.lua", "rule { id = 'T1', severity = 'error', check = function(a, ctx) ctx.report(a, a.id, 'x') end }\n");
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    assert_int_equal(isorules_report_open(&fx->r, format, full, full, "en"), ISORULES_OK);
    isorules_report_attach(fx->r, fx->e);
    assert_int_equal(isorules_run(fx->e), ISORULES_OK);
    int rc = isorules_report_finish(fx->r, fx->e);
    isorules_report_close(fx->r);
    fx->r = NULL;
    fclose(full);
    assert_int_equal(rc, ISORULES_ERROR);
}

static void test_report_finish_write_error_text(void **state) { finish_on_full(*state, "text"); }

static void test_report_finish_write_error_json(void **state) { finish_on_full(*state, "json"); }

static void test_report_finish_write_error_closed_pipe(void **state)
{
    fixture *fx = *state;
    /* a stream that cannot be written at all */
    FILE *ro = fopen("/dev/null", "r");
    assert_non_null(ro);
    load_ok(fx, "t.lua", "rule { id = 'T1', severity = 'error', check = function(a, ctx) ctx.report(a, a.id, 'x') end }\n");
    assert_int_equal(irt_input(fx->e, "a.yaml", one_agency), ISORULES_OK);
    assert_int_equal(isorules_report_open(&fx->r, "json", ro, NULL, "en"), ISORULES_OK);
    isorules_report_attach(fx->r, fx->e);
    assert_int_equal(isorules_run(fx->e), ISORULES_OK);
    int rc = isorules_report_finish(fx->r, fx->e);
    fclose(ro);
    assert_int_equal(rc, ISORULES_ERROR);
}

static void test_report_open_unknown_format(void **state)
{
    fixture *fx = *state;
    static const char *const bad[] = {"xml", "sarif", "", "Json"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        isorules_report *r = (isorules_report *)fx; /* anything but NULL */
        assert_int_equal(isorules_report_open(&r, bad[i], fx->out, fx->err, "en"), ISORULES_MISUSE);
        assert_null(r);
    }
    isorules_report *r = (isorules_report *)fx;
    assert_int_equal(isorules_report_open(&r, NULL, fx->out, fx->err, "en"), ISORULES_MISUSE);
    assert_null(r);
    /* nothing was written */
    fx->text = irt_slurp(fx->out);
    assert_string_equal(fx->text, "");
    isorules_report_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_json_checker),
        cmocka_unit_test_setup_teardown(test_report_json_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_many_findings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_json_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_no_subject_no_agency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_plurals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_vietnamese, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_vietnamese_infos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_errors_to_err, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_text_errors_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_finish_write_error_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_finish_write_error_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_finish_write_error_closed_pipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_open_unknown_format, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
