/* merge.c: one report from the JSON reports of shards (CLI.md "isorules
 * merge"; docs/scaling.md).
 *
 * A report is JSON, which libyaml reads as YAML, so each is read with the
 * loader (load.c) into a plain Lua state of its own, copied into C arrays,
 * and the state closed. Then, as one audit of the union would have it:
 * findings sorted file by file in byte order of the paths (the final pass's,
 * marked "final": true, after all others), each one several shards report
 * identically kept once; FMT001 for an agency id that an earlier shard's
 * agency already used; errors by the file they concern, identical ones once;
 * agencies in file order; the input files' union; the summary recounted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lua.h>

#include "engine.h"
#include "isorules.h"
#include "load.h"
#include "report.h"

typedef struct m_finding {
    char *rule, *agency, *subject, *message, *file;
    int severity, line, col, final;
} m_finding;

typedef struct m_error {
    char *rule, *file, *input_file, *message;
    int line, col, input_line, input_col;
    int setup; /* concerns no input file: comes first */
    size_t seq; /* read order, for a stable sort */
} m_error;

typedef struct m_agency {
    char *id, *file;
    int line, col, id_line, id_col;
    size_t seq;
} m_agency;

typedef struct merge {
    m_finding *f;
    size_t nf, capf;
    m_error *err;
    size_t nerr, caperr;
    m_agency *ag;
    size_t nag, capag;
    char **files;
    size_t nfiles, capfiles;
    int files_uncounted; /* files of reports without a "files" list */
    int rules;
    char *as_of;
    const char *cur;     /* the report being read, for messages */
    char *msg;
    size_t msglen;
    int oom;
} merge;

/* Grows *v (n used of *cap, elements of size sz) for one more; 0 or -1. */
static int grow(void **v, size_t n, size_t *cap, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : 64;
    void *nv = realloc(*v, want * sz);
    if (!nv)
        return -1;
    *v = nv;
    *cap = want;
    return 0;
}

#define PUSH(m, arr, n, cap) (grow((void **)&(m)->arr, (m)->n, &(m)->cap, sizeof *(m)->arr) == 0 ? &(m)->arr[(m)->n++] : NULL)

/* t[k] as a new string (NULL when absent or not a string), or t[k] as an
 * integer (0 when absent). */
static char *str_field(merge *m, lua_State *L, int t, const char *k)
{
    char *s = NULL;
    if (lua_getfield(L, t, k) == LUA_TSTRING && !(s = strdup(lua_tostring(L, -1))))
        m->oom = 1;
    lua_pop(L, 1);
    return s;
}

static int int_field(lua_State *L, int t, const char *k)
{
    int isnum = 0;
    lua_getfield(L, t, k);
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    return isnum && v >= -2147483647 && v <= 2147483647 ? (int)v : 0;
}

static int bad(merge *m, const char *why)
{
    snprintf(m->msg, m->msglen, "%s: %s", m->cur, why);
    return ISORULES_ERROR;
}

static int severity_of(const char *s)
{
    for (int i = ISORULES_INFO; i <= ISORULES_ERROR_SEVERITY; i++)
        if (s && strcmp(s, isorules_severity_name(i)) == 0)
            return i;
    return -1;
}

/* Copies the report at the top of L into m. */
static int take_report(merge *m, lua_State *L)
{
    int doc = lua_gettop(L);
    if (!lua_istable(L, doc) || int_field(L, doc, "isorules") != 1)
        return bad(m, "not a JSON report of isorules audit (no \"isorules\": 1)");
    char *as_of = str_field(m, L, doc, "as_of");
    if (!as_of)
        return bad(m, "the report has no as_of");
    if (m->as_of && strcmp(m->as_of, as_of) != 0) {
        char why[160];
        snprintf(why, sizeof why, "audited as of %.20s, not %.20s like the reports before it", as_of, m->as_of);
        free(as_of);
        return bad(m, why);
    }
    if (m->as_of)
        free(as_of);
    else
        m->as_of = as_of;

    lua_getfield(L, doc, "findings");
    int list = lua_gettop(L);
    if (!lua_istable(L, list))
        return bad(m, "the report has no findings list");
    for (lua_Integer i = 1; lua_rawgeti(L, list, i) == LUA_TTABLE; i++) {
        int t = lua_gettop(L);
        m_finding *f = PUSH(m, f, nf, capf);
        if (!f)
            return ISORULES_NOMEM;
        char *sev = str_field(m, L, t, "severity");
        *f = (m_finding){str_field(m, L, t, "rule"), str_field(m, L, t, "agency"), str_field(m, L, t, "subject"),
                         str_field(m, L, t, "message"), str_field(m, L, t, "file"), severity_of(sev),
                         int_field(L, t, "line"), int_field(L, t, "column"), 0};
        free(sev);
        lua_getfield(L, t, "final");
        f->final = lua_toboolean(L, -1);
        lua_settop(L, t - 1);
        if (!f->rule || !f->message || !f->file || f->severity < 0) {
            m->nf--;
            free(f->rule), free(f->agency), free(f->subject), free(f->message), free(f->file);
            return bad(m, "a finding without rule, severity, message or file");
        }
    }
    lua_settop(L, doc);

    if (lua_getfield(L, doc, "errors") == LUA_TTABLE) {
        int el = lua_gettop(L);
        for (lua_Integer i = 1; lua_rawgeti(L, el, i) == LUA_TTABLE; i++) {
            int t = lua_gettop(L);
            m_error *x = PUSH(m, err, nerr, caperr);
            if (!x)
                return ISORULES_NOMEM;
            memset(x, 0, sizeof *x);
            x->seq = m->nerr;
            x->rule = str_field(m, L, t, "rule");
            x->file = str_field(m, L, t, "file");
            x->message = str_field(m, L, t, "message");
            x->line = int_field(L, t, "line");
            x->col = int_field(L, t, "column");
            if (lua_getfield(L, t, "input") == LUA_TTABLE) {
                x->input_file = str_field(m, L, t + 1, "file");
                x->input_line = int_field(L, t + 1, "line");
                x->input_col = int_field(L, t + 1, "column");
            }
            lua_settop(L, t - 1);
        }
    }
    lua_settop(L, doc);

    if (lua_getfield(L, doc, "agencies") == LUA_TTABLE) {
        int al = lua_gettop(L);
        for (lua_Integer i = 1; lua_rawgeti(L, al, i) == LUA_TTABLE; i++) {
            int t = lua_gettop(L);
            m_agency *a = PUSH(m, ag, nag, capag);
            if (!a)
                return ISORULES_NOMEM;
            *a = (m_agency){str_field(m, L, t, "id"), str_field(m, L, t, "file"), int_field(L, t, "line"),
                            int_field(L, t, "column"), int_field(L, t, "id_line"), int_field(L, t, "id_column"),
                            m->nag};
            if (!a->id_line) /* a report without id positions: the document's */
                a->id_line = a->line, a->id_col = a->col;
            lua_settop(L, t - 1);
        }
    }
    lua_settop(L, doc);

    lua_getfield(L, doc, "summary");
    if (lua_istable(L, -1)) {
        int rules = int_field(L, lua_gettop(L), "rules");
        m->rules = rules > m->rules ? rules : m->rules;
    }
    lua_settop(L, doc);
    if (lua_getfield(L, doc, "files") == LUA_TTABLE) {
        int fl = lua_gettop(L);
        for (lua_Integer i = 1; lua_rawgeti(L, fl, i) == LUA_TSTRING; i++) {
            char **slot = PUSH(m, files, nfiles, capfiles);
            if (!slot || !(*slot = strdup(lua_tostring(L, -1))))
                return ISORULES_NOMEM;
            lua_pop(L, 1);
        }
    } else {
        lua_getfield(L, doc, "summary");
        if (lua_istable(L, -1))
            m->files_uncounted += int_field(L, lua_gettop(L), "files");
    }
    lua_settop(L, doc);
    return m->oom ? ISORULES_NOMEM : ISORULES_OK;
}

typedef struct reading {
    merge *m;
    ir_loader ld;
    ir_posstore ps;
    int rc;
} reading;

static int l_read(lua_State *L)
{
    reading *rd = lua_touserdata(L, 1);
    lua_settop(L, 0);
    int line, col;
    int rc = ir_loader_next(&rd->ld, L, &rd->ps, 0, IR_BUILD, &line, &col);
    if (rc == IR_LOAD_ERR) {
        snprintf(rd->m->msg, rd->m->msglen, "%s:%d:%d: not a JSON report of isorules audit (%s)", rd->m->cur,
                 rd->ld.err_line, rd->ld.err_col, rd->ld.err);
        rd->rc = ISORULES_ERROR;
    } else if (rc != IR_LOAD_DOC) {
        rd->rc = bad(rd->m, "empty: not a JSON report of isorules audit");
    } else {
        rd->rc = take_report(rd->m, L);
    }
    return 0;
}

static int read_report(merge *m, const char *path)
{
    m->cur = path;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        char why[200];
        snprintf(why, sizeof why, "cannot read it (%s)", strerror(errno));
        return bad(m, why);
    }
    lua_State *L = luaL_newstate();
    if (!L) {
        fclose(fp);
        return ISORULES_NOMEM;
    }
    reading rd = {.m = m, .rc = ISORULES_OK};
    ir_load_limits lim = {64, 0, 0, 0};
    ir_loader_init(&rd.ld, &lim);
    ir_loader_file(&rd.ld, fp, 0);
    ir_pos_init(&rd.ps);
    lua_pushcfunction(L, l_read);
    lua_pushlightuserdata(L, &rd);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK)
        rd.rc = ISORULES_NOMEM;
    ir_loader_done(&rd.ld);
    ir_pos_free(&rd.ps);
    lua_close(L);
    fclose(fp);
    return rd.rc;
}

/* ---- ordering ---- */

static int nullcmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int intcmp(int a, int b) { return (a > b) - (a < b); }

/* The audit's order (engine.c finding_cmp), the final pass's last. */
static int finding_cmp(const void *pa, const void *pb)
{
    const m_finding *a = pa, *b = pb;
    int c;
    if ((c = intcmp(a->final, b->final)) || (c = strcmp(a->file, b->file)) || (c = intcmp(a->line, b->line)) ||
        (c = intcmp(a->col, b->col)) || (c = strcmp(a->rule, b->rule)) || (c = nullcmp(a->subject, b->subject)) ||
        (c = strcmp(a->message, b->message)) || (c = nullcmp(a->agency, b->agency)))
        return c;
    return intcmp(a->severity, b->severity);
}

static int error_cmp(const void *pa, const void *pb)
{
    const m_error *a = pa, *b = pb;
    int c;
    if ((c = intcmp(!a->setup, !b->setup)))
        return c;
    if (!a->setup && (c = nullcmp(a->input_file ? a->input_file : a->file, b->input_file ? b->input_file : b->file)))
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* By content, then read order: identical errors side by side, the first
 * read first. */
static int error_content_cmp(const void *pa, const void *pb)
{
    const m_error *a = pa, *b = pb;
    int c;
    if ((c = nullcmp(a->file, b->file)) || (c = nullcmp(a->input_file, b->input_file)) ||
        (c = nullcmp(a->rule, b->rule)) || (c = nullcmp(a->message, b->message)) || (c = intcmp(a->line, b->line)) ||
        (c = intcmp(a->col, b->col)) || (c = intcmp(a->input_line, b->input_line)) ||
        (c = intcmp(a->input_col, b->input_col)))
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int error_same(const void *pa, const void *pb)
{
    const m_error *a = pa, *b = pb;
    m_error x = *b;
    x.seq = a->seq;
    return error_content_cmp(a, &x) == 0;
}

static int agency_cmp(const void *pa, const void *pb)
{
    const m_agency *a = pa, *b = pb;
    int c;
    if ((c = nullcmp(a->file, b->file)) || (c = intcmp(a->line, b->line)) || (c = intcmp(a->col, b->col)))
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Agencies ordered by id, then by their place in the merged list. */
static int agency_id_cmp(const void *pa, const void *pb)
{
    const m_agency *a = *(const m_agency *const *)pa, *b = *(const m_agency *const *)pb;
    int c = strcmp(a->id, b->id);
    return c ? c : (a < b ? -1 : a > b);
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_input(const merge *m, const char *file)
{
    return file && bsearch(&file, m->files, m->nfiles, sizeof *m->files, str_cmp) != NULL;
}

/* FMT001 for each agency whose id an agency earlier in file order has
 * (those a shard found itself are then there twice, and kept once). */
static int repeated_ids(merge *m, int vi)
{
    m_agency **by_id = malloc((m->nag ? m->nag : 1) * sizeof *by_id);
    if (!by_id)
        return ISORULES_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < m->nag; i++)
        if (m->ag[i].id)
            by_id[n++] = &m->ag[i];
    qsort(by_id, n, sizeof *by_id, agency_id_cmp);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(by_id[i]->id, by_id[i - 1]->id) != 0)
            continue;
        const m_agency *a = by_id[i];
        char text[300];
        ir_repeated_agency_message(a->id, vi, text, sizeof text);
        m_finding *f = PUSH(m, f, nf, capf);
        if (!f) {
            free(by_id);
            return ISORULES_NOMEM;
        }
        *f = (m_finding){strdup("FMT001"), NULL, strdup(a->id), strdup(text), strdup(a->file),
                         ISORULES_ERROR_SEVERITY, a->id_line, a->id_col, 0};
        if (!f->rule || !f->subject || !f->message || !f->file)
            m->oom = 1;
    }
    free(by_id);
    return m->oom ? ISORULES_NOMEM : ISORULES_OK;
}

/* Sorts v (n elements of size sz) with cmp and drops each element equal to
 * the one kept before it (same(a, b)), calling drop on it; returns the new n. */
static size_t sort_unique(void *v, size_t n, size_t sz, int (*cmp)(const void *, const void *),
                          int (*same)(const void *, const void *), void (*drop)(void *))
{
    if (n == 0)
        return 0;
    qsort(v, n, sz, cmp);
    char *b = v;
    size_t k = 1;
    for (size_t i = 1; i < n; i++) {
        if (same(b + (k - 1) * sz, b + i * sz)) {
            drop(b + i * sz);
        } else {
            if (k != i)
                memcpy(b + k * sz, b + i * sz, sz);
            k++;
        }
    }
    return k;
}

static int finding_same(const void *a, const void *b) { return finding_cmp(a, b) == 0; }
static int agency_same(const void *pa, const void *pb)
{
    const m_agency *a = pa, *b = pb;
    return !nullcmp(a->id, b->id) && !nullcmp(a->file, b->file) && a->line == b->line && a->col == b->col;
}
static int str_same(const void *a, const void *b) { return str_cmp(a, b) == 0; }

static void finding_free(void *p)
{
    m_finding *f = p;
    free(f->rule), free(f->agency), free(f->subject), free(f->message), free(f->file);
}
static void error_free(void *p)
{
    m_error *x = p;
    free(x->rule), free(x->file), free(x->input_file), free(x->message);
}
static void agency_free(void *p)
{
    m_agency *a = p;
    free(a->id), free(a->file);
}
static void str_free(void *p) { free(*(char **)p); }

static void merge_free(merge *m)
{
    for (size_t i = 0; i < m->nf; i++)
        finding_free(&m->f[i]);
    for (size_t i = 0; i < m->nerr; i++)
        error_free(&m->err[i]);
    for (size_t i = 0; i < m->nag; i++)
        agency_free(&m->ag[i]);
    for (size_t i = 0; i < m->nfiles; i++)
        free(m->files[i]);
    free(m->f), free(m->err), free(m->ag), free(m->files), free(m->as_of);
}

/* Writes m with r; fills *sum. */
static int write_merged(const merge *m, isorules_report *r, isorules_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    sum->files = (int)m->nfiles + m->files_uncounted;
    sum->agencies = (int)m->nag;
    sum->rules = m->rules;
    sum->failures = (int)m->nerr;
    ir_report_begin(r, m->as_of);
    for (size_t i = 0; i < m->nf; i++) {
        const m_finding *x = &m->f[i];
        isorules_finding f = {x->rule, x->severity, x->agency, x->subject, x->message, x->file, x->line, x->col, x->final};
        sum->errors += x->severity == ISORULES_ERROR_SEVERITY;
        sum->warnings += x->severity == ISORULES_WARNING;
        sum->infos += x->severity == ISORULES_INFO;
        ir_report_finding(r, &f);
    }
    for (size_t i = 0; i < m->nerr; i++) {
        const m_error *x = &m->err[i];
        isorules_error e = {x->rule, x->file, x->line, x->col, x->input_file, x->input_line, x->input_col, x->message};
        ir_report_error(r, &e);
    }
    for (size_t i = 0; i < m->nag; i++) {
        const m_agency *x = &m->ag[i];
        isorules_agency a = {x->id, x->file, x->line, x->col, x->id_line, x->id_col};
        ir_report_agency(r, &a);
    }
    return ir_report_end(r, sum, m->as_of, (const char *const *)m->files, m->nfiles);
}

int isorules_merge(isorules_report *r, const char *const *reports, int n, const char *lang,
                   isorules_summary *sum, char *msg, size_t msglen)
{
    char scratch[8];
    merge m;
    memset(&m, 0, sizeof m);
    m.msg = msg && msglen ? msg : scratch;
    m.msglen = msg && msglen ? msglen : sizeof scratch;
    m.msg[0] = '\0';
    memset(sum, 0, sizeof *sum);
    int rc = n > 0 ? ISORULES_OK : ISORULES_MISUSE;
    if (n <= 0)
        snprintf(m.msg, m.msglen, "no report to merge");
    for (int i = 0; rc == ISORULES_OK && i < n; i++)
        rc = read_report(&m, reports[i]);
    if (rc == ISORULES_OK) {
        m.nfiles = sort_unique(m.files, m.nfiles, sizeof *m.files, str_cmp, str_same, str_free);
        m.nag = sort_unique(m.ag, m.nag, sizeof *m.ag, agency_cmp, agency_same, agency_free);
        rc = repeated_ids(&m, lang && strcmp(lang, "vi") == 0);
    }
    if (rc == ISORULES_OK) {
        m.nf = sort_unique(m.f, m.nf, sizeof *m.f, finding_cmp, finding_same, finding_free);
        for (size_t i = 0; i < m.nerr; i++)
            m.err[i].setup = !m.err[i].input_file && !is_input(&m, m.err[i].file);
        m.nerr = sort_unique(m.err, m.nerr, sizeof *m.err, error_content_cmp, error_same, error_free);
        if (m.nerr)
            qsort(m.err, m.nerr, sizeof *m.err, error_cmp);
        if (write_merged(&m, r, sum) != ISORULES_OK) {
            snprintf(m.msg, m.msglen, "writing the report failed");
            rc = ISORULES_ERROR;
        }
    } else if (rc == ISORULES_NOMEM) {
        snprintf(m.msg, m.msglen, "out of memory");
    }
    merge_free(&m);
    return rc;
}
