/* expect.c: rule tests (FORMAT.md "Expectations", CLI.md "isorules test").
 *
 * A file holding a `kind: expect` document is a test. Its model is the other
 * documents of the file, or, for a file named expect.yaml / expect.yml, every
 * YAML file of its folder and below. The model is audited at the test's
 * as_of and the findings compared with the expected ones as a multiset of
 * (rule, agency, subject). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <lauxlib.h>

#include "engine.h"
#include "load.h"
#include "util.h"

typedef struct triple {
    char *rule, *agency, *subject;
    char *where; /* actual findings: "file:line:col" */
    int matched;
} triple;

typedef struct triples {
    triple *v;
    size_t n, cap;
    int oom;
} triples;

typedef struct test {
    const char *file;
    char as_of[11];
    triples want, got;
    int broken;         /* could not run */
    char why[300];
    int input_errors, rule_errors;
    size_t load_errors_left; /* the run's first errors: rule files that failed to load */
    int load_errors;
    FILE *out;
} test;

static void triples_free(triples *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].rule);
        free(t->v[i].agency);
        free(t->v[i].subject);
        free(t->v[i].where);
    }
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* Normalised copy of an id or subject (NULL stays NULL). */
static char *norm(const char *s)
{
    if (!s)
        return NULL;
    size_t n;
    char *out = ir_normalize_id(s, strlen(s), &n);
    return out ? out : strdup(s);
}

static void triples_add(triples *t, const char *rule, const char *agency, const char *subject,
                        const char *where)
{
    if (t->n == t->cap) {
        size_t want = t->cap ? t->cap * 2 : 16;
        triple *nv = realloc(t->v, want * sizeof *nv);
        if (!nv) {
            t->oom = 1;
            return;
        }
        t->v = nv;
        t->cap = want;
    }
    triple *x = &t->v[t->n++];
    x->rule = strdup(rule);
    x->agency = norm(agency);
    x->subject = norm(subject);
    x->where = where ? strdup(where) : NULL;
    x->matched = 0;
}

/* ---- reading the expect document ---- */

/* The string form of the value at idx, for rule/agency/subject: strings as
 * they are, numbers in decimal; NULL for nil. stack: +0 */
static const char *scalar_text(lua_State *L, int idx, char *buf, size_t n)
{
    if (lua_type(L, idx) == LUA_TSTRING)
        return lua_tostring(L, idx);
    if (lua_isinteger(L, idx)) {
        snprintf(buf, n, "%lld", (long long)lua_tointeger(L, idx));
        return buf;
    }
    if (lua_type(L, idx) == LUA_TBOOLEAN)
        return lua_toboolean(L, idx) ? "true" : "false";
    return NULL;
}

static void broken(test *t, const char *fmt, const char *arg)
{
    t->broken = 1;
    snprintf(t->why, sizeof t->why, fmt, arg);
}

/* Reads the expectation document at idx into t. */
static void read_expect(lua_State *L, int idx, test *t)
{
    int y, m, d;
    size_t n = 0;
    const char *s = NULL;
    char b1[32], b2[32], b3[32];
    if (lua_getfield(L, idx, "as_of") == LUA_TSTRING)
        s = lua_tolstring(L, -1, &n);
    if (!s || !ir_parse_date(s, n, &y, &m, &d)) {
        lua_pop(L, 1);
        broken(t, "%s", "the expect document needs as_of, a date");
        return;
    }
    ir_format_date(t->as_of, y, m, d);
    lua_pop(L, 1);
    int ft = lua_getfield(L, idx, "findings");
    if (ft == LUA_TNIL) { /* expects nothing */
        lua_pop(L, 1);
        return;
    }
    if (ft != LUA_TTABLE) {
        lua_pop(L, 1);
        broken(t, "%s", "findings must be a list");
        return;
    }
    int list = lua_gettop(L);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, list); i++) {
        if (lua_rawgeti(L, list, i) != LUA_TTABLE) {
            lua_settop(L, list);
            broken(t, "%s", "each expected finding must be a mapping {rule, agency, subject}");
            return;
        }
        int it = lua_gettop(L);
        lua_getfield(L, it, "rule");
        lua_getfield(L, it, "agency");
        lua_getfield(L, it, "subject");
        const char *rule = scalar_text(L, it + 1, b1, sizeof b1);
        if (!rule) {
            lua_settop(L, list);
            broken(t, "%s", "an expected finding has no rule");
            return;
        }
        triples_add(&t->want, rule, scalar_text(L, it + 2, b2, sizeof b2),
                    scalar_text(L, it + 3, b3, sizeof b3), NULL);
        lua_settop(L, list);
    }
    lua_pop(L, 1);
}

typedef struct scan {
    ir_loader ld;
    ir_posstore ps;
    test *t;
    int found;
} scan;

/* Protected: reads every document of the file, looking for kind: expect. */
static int l_scan(lua_State *L)
{
    scan *s = lua_touserdata(L, 1);
    for (;;) {
        int line, col;
        int rc = ir_loader_next(&s->ld, L, &s->ps, 0, IR_BUILD, &line, &col);
        if (rc == IR_LOAD_END)
            break;
        if (rc == IR_LOAD_ERR) {
            /* a test or not, an unreadable file is reported, never skipped */
            s->found = 1;
            s->t->broken = 1;
            snprintf(s->t->why, sizeof s->t->why, "%d:%d: %s", s->ld.err_line, s->ld.err_col, s->ld.err);
            return 0;
        }
        if (ir_model_kind(L, -1) == KIND_EXPECT) {
            if (s->found++) {
                broken(s->t, "%s", "more than one expect document");
                return 0;
            }
            read_expect(L, lua_gettop(L), s->t);
        }
        lua_pop(L, 1);
        ir_pos_clear(&s->ps);
    }
    return 0;
}

/* Is file a test? Fills t when it is (or when it cannot be read: then it is
 * reported as a test that cannot run). Returns 1 or 0. */
static int scan_file(isorules_engine *e, const char *file, test *t)
{
    FILE *fp = fopen(file, "rb");
    if (!fp) {
        broken(t, "%s", "cannot open the file");
        return 1;
    }
    scan s;
    memset(&s, 0, sizeof s);
    s.t = t;
    struct stat fst;
    long long max = e->limits[LIM_FILE_SIZE];
    if (max && fstat(fileno(fp), &fst) == 0 && fst.st_size > max) {
        fclose(fp);
        broken(t, "%s", "larger than the file-size limit (see isorules help limits)");
        return 1;
    }
    /* the scan reads untrusted YAML too: with the engine's limits */
    ir_load_limits lim = {e->limits[LIM_DEPTH], e->limits[LIM_SCALAR], e->limits[LIM_DOCUMENTS],
                          e->limits[LIM_NODES]};
    ir_loader_init(&s.ld, &lim);
    ir_loader_file(&s.ld, fp, max);
    ir_pos_init(&s.ps);
    lua_pushcfunction(e->L, l_scan);
    lua_pushlightuserdata(e->L, &s);
    int st = lua_pcall(e->L, 1, 0, 0);
    if (st != LUA_OK) {
        lua_pop(e->L, 1);
        broken(t, "%s", "out of memory");
    }
    ir_loader_done(&s.ld);
    ir_pos_free(&s.ps);
    fclose(fp);
    return s.found ? 1 : 0;
}

/* ---- running one test ---- */

static void on_finding(void *ud, const isorules_finding *f)
{
    test *t = ud;
    char where[600];
    snprintf(where, sizeof where, "%s:%d:%d", f->file, f->line, f->column);
    triples_add(&t->got, f->rule, f->agency, f->subject, where);
}

static void on_error(void *ud, const isorules_error *err)
{
    test *t = ud;
    if (t->load_errors_left > 0) {
        t->load_errors_left--;
        t->load_errors++;
        fprintf(t->out, "    error: %s:%d:%d: %s", err->file, err->line, err->column, err->message);
    } else if (err->rule) {
        t->rule_errors++;
        fprintf(t->out, "    error: %s:%d: %s: %s", err->file, err->line, err->rule, err->message);
        if (err->input_file)
            fprintf(t->out, " (auditing %s:%d:%d)", err->input_file, err->input_line, err->input_column);
    } else {
        t->input_errors++;
        fprintf(t->out, "    error: %s:%d:%d: %s", err->file, err->line, err->column, err->message);
    }
    fputc('\n', t->out);
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void print_triple(FILE *out, const char *what, const triple *x)
{
    fprintf(out, "    %s: (%s, %s, %s)", what, x->rule, x->agency ? x->agency : "null",
            x->subject ? x->subject : "null");
    if (x->where)
        fprintf(out, " at %s", x->where);
    fputc('\n', out);
}

static int dirname_len(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? (int)(slash - path) : -1;
}

static int is_expect_file(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strcmp(base, "expect.yaml") == 0 || strcmp(base, "expect.yml") == 0;
}

/* Runs test t; returns 0 passed, 1 failed, 2 could not run. Writes its
 * lines into a buffer first, so that the ok/FAIL line comes before them. */
static int run_test(isorules_engine *e, test *t, FILE *out)
{
    char *buf = NULL;
    size_t len = 0;
    t->out = open_memstream(&buf, &len);
    if (!t->out)
        return 2;
    int result = 2;
    if (!t->broken) {
        isorules_clear_inputs(e);
        if (is_expect_file(t->file)) {
            int dl = dirname_len(t->file);
            char *dir = dl < 0 ? strdup(".") : strndup(t->file, (size_t)(dl ? dl : 1));
            if (dir)
                isorules_add_input_path(e, dir);
            free(dir);
        } else {
            isorules_add_input_path(e, t->file);
        }
        isorules_set_as_of(e, t->as_of);
        isorules_on_finding(e, on_finding, t);
        isorules_on_error(e, on_error, t);
        t->load_errors_left = e->npending; /* isorules_run gives them first */
        int rc = isorules_run(e);
        if (rc != ISORULES_OK)
            broken(t, "the run failed: %s", isorules_errmsg(e));
        else if (t->load_errors)
            broken(t, "%s", "a rule file failed to load");
        else if (t->input_errors)
            broken(t, "%s", "its model has an input error");
    }
    if (t->broken) {
        fprintf(t->out, "    cannot run: %s\n", t->why);
    } else {
        /* multiset comparison: each actual finding takes one expected one */
        for (size_t i = 0; i < t->got.n; i++)
            for (size_t k = 0; k < t->want.n; k++)
                if (!t->want.v[k].matched && strcmp(t->got.v[i].rule, t->want.v[k].rule) == 0 &&
                    same(t->got.v[i].agency, t->want.v[k].agency) &&
                    same(t->got.v[i].subject, t->want.v[k].subject)) {
                    t->want.v[k].matched = 1;
                    t->got.v[i].matched = 1;
                    break;
                }
        int bad = t->rule_errors > 0 || t->got.oom || t->want.oom;
        for (size_t k = 0; k < t->want.n; k++)
            if (!t->want.v[k].matched)
                print_triple(t->out, "missing", &t->want.v[k]), bad = 1;
        for (size_t i = 0; i < t->got.n; i++)
            if (!t->got.v[i].matched)
                print_triple(t->out, "unexpected", &t->got.v[i]), bad = 1;
        result = bad;
    }
    fclose(t->out);
    fprintf(out, "%s %s\n", result == 0 ? "ok  " : "FAIL", t->file);
    if (result != 0 && buf)
        fputs(buf, out);
    free(buf);
    return result;
}

static void walk_error(void *ud, const isorules_error *err)
{
    FILE *out = ud;
    fprintf(out, "error: %s: %s\n", err->file, err->message);
}

int isorules_test_paths(isorules_engine *e, const char *const *paths, int npaths, FILE *out)
{
    if (e->running)
        return ir_fail(e, ISORULES_MISUSE, "not allowed while the engine runs"), 2;
    /* the files below the paths, in path order, as an audit would take them */
    isorules_finding_fn of = e->on_finding;
    isorules_error_fn oe = e->on_error;
    void *ofu = e->finding_ud, *oeu = e->error_ud;
    isorules_clear_inputs(e);
    for (int i = 0; i < npaths; i++)
        isorules_add_input_path(e, paths[i]);
    isorules_on_error(e, walk_error, out);
    e->sum.failures = 0; /* counts the walk's errors below */
    size_t npending = e->npending;
    e->npending = 0; /* rule load errors are reported by each test */
    int walk_failed = 0;
    size_t nfiles = 0;
    char **files = NULL;
    if (ir_collect_files(e) == ISORULES_OK) {
        files = calloc(e->nfiles + 1, sizeof *files);
        for (size_t i = 0; files && i < e->nfiles; i++)
            if ((files[nfiles] = strdup(e->files[i].name)))
                nfiles++;
    }
    walk_failed = e->sum.failures > 0;
    ir_run_free(e);
    e->npending = npending;

    int passed = 0, failed = 0, cannot = 0;
    for (size_t i = 0; i < nfiles; i++) {
        test t;
        memset(&t, 0, sizeof t);
        t.file = files[i];
        int is_test = scan_file(e, files[i], &t);
        if (is_test == 1) {
            int r = run_test(e, &t, out);
            passed += r == 0;
            failed += r == 1;
            cannot += r == 2;
        }
        triples_free(&t.want);
        triples_free(&t.got);
        free(files[i]);
    }
    free(files);
    isorules_clear_inputs(e);
    isorules_on_finding(e, of, ofu);
    isorules_on_error(e, oe, oeu);
    fprintf(out, "%d passed, %d failed\n", passed, failed + cannot);
    if (cannot || walk_failed)
        return 2;
    return failed ? 1 : 0;
}
