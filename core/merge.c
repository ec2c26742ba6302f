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
#include <limits.h>
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
    int rep; /* the report it came from */
} m_finding;

typedef struct m_error {
    char *rule, *file, *input_file, *message;
    int line, col, input_line, input_col;
    int group;  /* 0 concerns no input (a rule file, a path): first; 1 an input;
                   2 a rule of the final pass: last */
    int rep;
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
    char **rules;
    size_t nrules, caprules;
    long long files_uncounted; /* files of reports without a "files" list */
    int files_partial, rules_partial; /* some report had no such list */
    int have_rules;      /* m->rules holds a report's list */
    int rules_count;     /* the largest summary.rules */
    char *as_of;
    char lang[3];        /* the reports' language, "" until one says */
    int rep;             /* the report being read */
    const char *cur;     /* its name, for messages */
    long long text;      /* bytes of text copied from it */
    long long text_max;  /* its size: JSON holds no more text than that */
    char *msg;
    size_t msglen;
    int oom;
} merge;

/* Grows *v (n used of *cap, elements of size sz) for one more; 0 or -1. */
static int grow(void **v, size_t n, size_t *cap, size_t sz)
{
    void *nv = ir_grow(*v, cap, n, sz);
    if (!nv)
        return -1;
    *v = nv;
    return 0;
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

#define PUSH(m, arr, n, cap) (grow((void **)&(m)->arr, (m)->n, &(m)->cap, sizeof *(m)->arr) == 0 ? &(m)->arr[(m)->n++] : NULL)

/* t[k] as a new string: NULL when absent or not a string (or out of
 * memory: m->oom). The text copied is counted against the report's size,
 * so that anchors and aliases (which JSON does not have) cannot make a
 * small file hold gigabytes. */
static char *str_field(merge *m, lua_State *L, int t, const char *k)
{
    char *s = NULL;
    if (lua_getfield(L, t, k) == LUA_TSTRING) {
        size_t n;
        const char *v = lua_tolstring(L, -1, &n);
        m->text += (long long)n;
        if (m->text <= m->text_max && !(s = strdup(v)))
            m->oom = 1;
    }
    lua_pop(L, 1);
    return s;
}

/* t[k] as a line, column or count: an integer from 0 to INT_MAX, else 0. */
static int int_field(lua_State *L, int t, const char *k)
{
    int v = 0;
    if (lua_getfield(L, t, k) == LUA_TNUMBER && lua_isinteger(L, -1)) {
        lua_Integer x = lua_tointeger(L, -1);
        v = x < 0 ? 0 : x > INT_MAX ? INT_MAX : (int)x;
    }
    lua_pop(L, 1);
    return v;
}

static int bad(merge *m, const char *why)
{
    snprintf(m->msg, m->msglen, "%s: %s", m->cur, why);
    return ISORULES_ERROR;
}

/* After copying an entry: out of memory, or more text than the file holds. */
static int copy_failed(merge *m)
{
    if (m->oom)
        return ISORULES_NOMEM;
    if (m->text > m->text_max)
        return bad(m, "more text than the file holds: anchors and aliases are not JSON");
    return ISORULES_OK;
}

static int severity_of(const char *s)
{
    for (int i = ISORULES_INFO; i <= ISORULES_ERROR_SEVERITY; i++)
        if (s && strcmp(s, isorules_severity_name(i)) == 0)
            return i;
    return -1;
}

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

/* Pushes doc[name] when it is a list (a table), else returns 0 (nothing
 * pushed) with a message when the report must have it. */
static int get_list(lua_State *L, int doc, const char *name)
{
    if (lua_getfield(L, doc, name) == LUA_TTABLE)
        return 1;
    lua_pop(L, 1);
    return 0;
}

/* The items of the list at index list, each a table: pushes item i (from
 * 1) and returns 1; 0 past the end; -1 for an item that is not an object. */
static int next_item(lua_State *L, int list, lua_Integer i)
{
    int t = lua_rawgeti(L, list, i);
    if (t == LUA_TTABLE)
        return 1;
    lua_pop(L, 1);
    return t == LUA_TNIL ? 0 : -1;
}

/* One entry of a list, the object at index t: copied into m, or an error
 * (the entry taken back). */
typedef int (*take_fn)(merge *m, lua_State *L, int t);

static int take_finding(merge *m, lua_State *L, int t)
{
    m_finding *f = PUSH(m, f, nf, capf);
    if (!f)
        return ISORULES_NOMEM;
    char *sev = str_field(m, L, t, "severity");
    *f = (m_finding){str_field(m, L, t, "rule"), str_field(m, L, t, "agency"), str_field(m, L, t, "subject"),
                     str_field(m, L, t, "message"), str_field(m, L, t, "file"), severity_of(sev),
                     int_field(L, t, "line"), int_field(L, t, "column"), 0, m->rep};
    free(sev);
    lua_getfield(L, t, "final");
    f->final = lua_toboolean(L, -1);
    int rc = copy_failed(m);
    if (rc == ISORULES_OK && (!f->rule || !f->message || !f->file || f->severity < 0))
        rc = bad(m, "a finding without rule, severity, message or file");
    if (rc != ISORULES_OK)
        finding_free(f), m->nf--;
    return rc;
}

static int take_error(merge *m, lua_State *L, int t)
{
    m_error *x = PUSH(m, err, nerr, caperr);
    if (!x)
        return ISORULES_NOMEM;
    memset(x, 0, sizeof *x);
    x->seq = m->nerr;
    x->rep = m->rep;
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
    int rc = copy_failed(m);
    if (rc == ISORULES_OK && (!x->file || !x->message))
        rc = bad(m, "an error without file or message");
    if (rc != ISORULES_OK)
        error_free(x), m->nerr--;
    return rc;
}

static int take_agency(merge *m, lua_State *L, int t)
{
    m_agency *a = PUSH(m, ag, nag, capag);
    if (!a)
        return ISORULES_NOMEM;
    *a = (m_agency){str_field(m, L, t, "id"), str_field(m, L, t, "file"), int_field(L, t, "line"),
                    int_field(L, t, "column"), int_field(L, t, "id_line"), int_field(L, t, "id_column"),
                    m->nag};
    if (!a->id_line) /* a report without id positions: the document's */
        a->id_line = a->line, a->id_col = a->col;
    int rc = copy_failed(m);
    if (rc == ISORULES_OK && !a->file)
        rc = bad(m, "an agency without file");
    if (rc != ISORULES_OK)
        agency_free(a), m->nag--;
    return rc;
}

/* Every entry of doc[name] (a list of objects) through take; a report
 * without the list is refused when it must have it. */
static int take_list(merge *m, lua_State *L, int doc, const char *name, int required, take_fn take)
{
    char why[80];
    if (!get_list(L, doc, name)) {
        snprintf(why, sizeof why, "the report has no %s list", name);
        return required ? bad(m, why) : ISORULES_OK;
    }
    int list = lua_gettop(L), more = 0, rc = ISORULES_OK;
    for (lua_Integer i = 1; rc == ISORULES_OK && (more = next_item(L, list, i)) == 1; i++) {
        rc = take(m, L, lua_gettop(L));
        lua_settop(L, list);
    }
    lua_settop(L, doc);
    if (rc == ISORULES_OK && more < 0) {
        snprintf(why, sizeof why, "an entry of %s is not an object", name);
        rc = bad(m, why);
    }
    return rc;
}

/* The strings of doc[name] into (*v, *n, *cap); 0 when it has none. */
static int take_strings(merge *m, lua_State *L, int doc, const char *name, char ***v, size_t *n, size_t *cap)
{
    if (!get_list(L, doc, name))
        return 0;
    int list = lua_gettop(L);
    for (lua_Integer i = 1; lua_rawgeti(L, list, i) == LUA_TSTRING; i++) {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        m->text += (long long)len;
        if (m->text > m->text_max)
            break;
        if (grow((void **)v, *n, cap, sizeof **v) != 0 || !((*v)[*n] = strdup(s))) {
            m->oom = 1;
            break;
        }
        (*n)++;
        lua_pop(L, 1);
    }
    lua_settop(L, doc);
    return 1;
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
    char *lang = str_field(m, L, doc, "lang");
    if (lang && (strcmp(lang, "vi") == 0 || strcmp(lang, "en") == 0)) {
        if (m->lang[0] && strcmp(m->lang, lang) != 0) {
            char why[160];
            snprintf(why, sizeof why, "written in %s, not %s like the reports before it (their messages would differ)",
                     lang, m->lang);
            free(lang);
            return bad(m, why);
        }
        memcpy(m->lang, lang, 3);
    }
    free(lang);

    int rc = take_list(m, L, doc, "findings", 1, take_finding);
    if (rc == ISORULES_OK)
        rc = take_list(m, L, doc, "errors", 0, take_error);
    if (rc == ISORULES_OK)
        rc = take_list(m, L, doc, "agencies", 0, take_agency);
    if (rc != ISORULES_OK)
        return rc;
    if (lua_getfield(L, doc, "summary") == LUA_TTABLE) {
        int rules = int_field(L, lua_gettop(L), "rules");
        m->rules_count = rules > m->rules_count ? rules : m->rules_count;
    }
    lua_settop(L, doc);
    /* the rules in force: the same in every report that lists them */
    char **rules = NULL;
    size_t nrules = 0, caprules = 0;
    if (take_strings(m, L, doc, "rules", &rules, &nrules, &caprules)) {
        if (nrules)
            qsort(rules, nrules, sizeof *rules, str_cmp);
        int same = 1;
        if (m->have_rules) {
            same = nrules == m->nrules;
            for (size_t i = 0; same && i < nrules; i++)
                same = strcmp(rules[i], m->rules[i]) == 0;
        }
        if (!m->have_rules && !m->oom) {
            m->rules = rules, m->nrules = nrules, m->caprules = caprules;
            m->have_rules = 1;
            rules = NULL, nrules = 0;
        }
        for (size_t i = 0; i < nrules; i++)
            free(rules[i]);
        free(rules);
        if (!same)
            return bad(m, "audited with other rules than the reports before it (its \"rules\" differ)");
    } else {
        m->rules_partial = 1;
    }
    if (!take_strings(m, L, doc, "files", &m->files, &m->nfiles, &m->capfiles)) {
        m->files_partial = 1;
        if (lua_getfield(L, doc, "summary") == LUA_TTABLE)
            m->files_uncounted += int_field(L, lua_gettop(L), "files");
        lua_settop(L, doc);
    }
    return copy_failed(m);
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
        rd->m->text = 0;
        rd->m->text_max = rd->ld.bytes; /* the whole file is read by now */
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

/* Files in byte order, "" (a finding of the final pass about no file,
 * which the engine sorts after every file) last. */
static int filecmp(const char *a, const char *b)
{
    if (!*a || !*b)
        return (!*a) - (!*b);
    return strcmp(a, b);
}

/* What two identical findings share: all but the report they came from. */
static int finding_content_cmp(const m_finding *a, const m_finding *b)
{
    int c;
    if ((c = intcmp(a->final, b->final)) || (c = filecmp(a->file, b->file)) || (c = intcmp(a->line, b->line)) ||
        (c = intcmp(a->col, b->col)) || (c = strcmp(a->rule, b->rule)) || (c = nullcmp(a->subject, b->subject)) ||
        (c = strcmp(a->message, b->message)) || (c = nullcmp(a->agency, b->agency)))
        return c;
    return intcmp(a->severity, b->severity);
}

/* The audit's order (engine.c finding_cmp), the final pass's last; then the
 * report, so that identical findings stand together by report. */
static int finding_cmp(const void *pa, const void *pb)
{
    const m_finding *a = pa, *b = pb;
    int c = finding_content_cmp(a, b);
    return c ? c : intcmp(a->rep, b->rep);
}

static int finding_same(const void *a, const void *b) { return finding_content_cmp(a, b) == 0; }
static int finding_rep(const void *a) { return ((const m_finding *)a)->rep; }

static int error_content_cmp_(const m_error *a, const m_error *b)
{
    int c;
    if ((c = nullcmp(a->file, b->file)) || (c = nullcmp(a->input_file, b->input_file)) ||
        (c = nullcmp(a->rule, b->rule)) || (c = nullcmp(a->message, b->message)) || (c = intcmp(a->line, b->line)) ||
        (c = intcmp(a->col, b->col)) || (c = intcmp(a->input_line, b->input_line)) ||
        (c = intcmp(a->input_col, b->input_col)))
        return c;
    return 0;
}

/* By content, then report and read order. */
static int error_content_cmp(const void *pa, const void *pb)
{
    const m_error *a = pa, *b = pb;
    int c = error_content_cmp_(a, b);
    if (c || (c = intcmp(a->rep, b->rep)))
        return c;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int error_same(const void *a, const void *b) { return error_content_cmp_(a, b) == 0; }
static int error_rep(const void *a) { return ((const m_error *)a)->rep; }

/* The audit's order of errors: those about no input first (rule files that
 * did not load, paths that are not inputs), then file by file (an input's,
 * or the input a rule was auditing), then the final pass's rules; the first
 * and last groups, whose order in one audit follows its command line and
 * its rules, by content, so that the order of the reports does not matter. */
static int error_cmp(const void *pa, const void *pb)
{
    const m_error *a = pa, *b = pb;
    int c;
    if ((c = intcmp(a->group, b->group)))
        return c;
    if (a->group == 1) {
        if ((c = nullcmp(a->input_file ? a->input_file : a->file, b->input_file ? b->input_file : b->file)))
            return c;
        return a->seq < b->seq ? -1 : a->seq > b->seq;
    }
    return error_content_cmp(a, b);
}

static int agency_cmp(const void *pa, const void *pb)
{
    const m_agency *a = pa, *b = pb;
    int c;
    if ((c = nullcmp(a->file, b->file)) || (c = intcmp(a->line, b->line)) || (c = intcmp(a->col, b->col)))
        return c;
    /* two agencies at one place come only from a report that no audit wrote:
     * ordered by what they say, so that the order of the reports does not
     * matter */
    if ((c = nullcmp(a->id, b->id)) || (c = intcmp(a->id_line, b->id_line)) || (c = intcmp(a->id_col, b->id_col)))
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

/* Whether an error is about one of the audited files, by the reports'
 * `files` lists. When a report had none, the merged report has none
 * either (files_partial), and merging it again could not tell: then no
 * error is placed by that list, so that both merges order them alike. */
static int is_input(const merge *m, const char *file)
{
    return file && m->nfiles && !m->files_partial &&
           bsearch(&file, m->files, m->nfiles, sizeof *m->files, str_cmp) != NULL;
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
        /* report -1: as if from a shard of its own, so it and a shard's own
         * FMT001 for the same agency are one finding */
        *f = (m_finding){strdup("FMT001"), NULL, strdup(a->id), strdup(text), strdup(a->file),
                         ISORULES_ERROR_SEVERITY, a->id_line, a->id_col, 0, -1};
        if (!f->rule || !f->subject || !f->message || !f->file)
            m->oom = 1;
    }
    free(by_id);
    return m->oom ? ISORULES_NOMEM : ISORULES_OK;
}

/* Sorts v (n elements of size sz) with cmp, which puts identical elements
 * (same) together ordered by report (rep), and keeps of each such run as
 * many as the report with most of them has: what several shards report
 * identically (a register every shard read) once, and what one audit
 * reports twice twice; with rep NULL, one of each. drop frees the others;
 * returns the new n. */
static size_t sort_merge(void *v, size_t n, size_t sz, int (*cmp)(const void *, const void *),
                         int (*same)(const void *, const void *), int (*rep)(const void *),
                         void (*drop)(void *))
{
    if (n == 0)
        return 0;
    qsort(v, n, sz, cmp);
    char *b = v;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && same(b + i * sz, b + j * sz))
            j++;
        size_t keep = rep ? 0 : 1, run = 1; /* the longest run of one report in [i, j) */
        for (size_t x = i + 1; rep && x <= j; x++) {
            if (x < j && rep(b + x * sz) == rep(b + (x - 1) * sz)) {
                run++;
            } else {
                keep = run > keep ? run : keep;
                run = 1;
            }
        }
        for (size_t x = i; x < j; x++) {
            if (x < i + keep) {
                if (k != x)
                    memcpy(b + k * sz, b + x * sz, sz);
                k++;
            } else {
                drop(b + x * sz);
            }
        }
        i = j;
    }
    return k;
}

static int agency_same(const void *pa, const void *pb)
{
    const m_agency *a = pa, *b = pb;
    return !nullcmp(a->id, b->id) && !nullcmp(a->file, b->file) && a->line == b->line && a->col == b->col;
}
static int str_same(const void *a, const void *b) { return str_cmp(a, b) == 0; }

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
    for (size_t i = 0; i < m->nrules; i++)
        free(m->rules[i]);
    free(m->f), free(m->err), free(m->ag), free(m->files), free(m->rules), free(m->as_of);
}

/* Writes m with r; fills *sum. */
static int write_merged(const merge *m, isorules_report *r, isorules_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    long long files = (long long)m->nfiles + m->files_uncounted;
    sum->files = files > INT_MAX ? INT_MAX : (int)files;
    sum->agencies = m->nag > INT_MAX ? INT_MAX : (int)m->nag;
    sum->rules = m->rules_count;
    sum->failures = m->nerr > INT_MAX ? INT_MAX : (int)m->nerr;
    if (m->lang[0]) /* the reports' language, which their FMT001 use too */
        ir_report_set_lang(r, m->lang);
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
    static const char *const none[1] = {NULL};
    const char *const *file_list = m->files_partial ? NULL : m->nfiles ? (const char *const *)m->files : none;
    const char *const *rule_list = m->rules_partial ? NULL : m->nrules ? (const char *const *)m->rules : none;
    return ir_report_end(r, sum, m->as_of, file_list, m->nfiles, rule_list, m->nrules);
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
    for (int i = 0; rc == ISORULES_OK && i < n; i++) {
        m.rep = i;
        rc = read_report(&m, reports[i]);
    }
    if (rc == ISORULES_OK) {
        m.nfiles = sort_merge(m.files, m.nfiles, sizeof *m.files, str_cmp, str_same, NULL, str_free);
        m.nag = sort_merge(m.ag, m.nag, sizeof *m.ag, agency_cmp, agency_same, NULL, agency_free);
        /* FMT001 for a repeated id, when the shards ran it, in their language */
        const char *in = m.lang[0] ? m.lang : lang;
        /* a report that does not list its rules ran them as by default,
         * FMT001 among them; its merged report has no list either, so that
         * merging it again decides the same */
        int fmt001 = !m.have_rules || m.rules_partial;
        for (size_t i = 0; i < m.nrules; i++)
            fmt001 |= strcmp(m.rules[i], "FMT001") == 0;
        if (fmt001)
            rc = repeated_ids(&m, in && strcmp(in, "vi") == 0);
    }
    if (rc == ISORULES_OK) {
        m.nf = sort_merge(m.f, m.nf, sizeof *m.f, finding_cmp, finding_same, finding_rep, finding_free);
        for (size_t i = 0; i < m.nerr; i++) {
            m_error *x = &m.err[i];
            x->group = x->input_file ? 1 : x->rule ? 2 : is_input(&m, x->file) ? 1 : 0;
        }
        m.nerr = sort_merge(m.err, m.nerr, sizeof *m.err, error_content_cmp, error_same, error_rep, error_free);
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
