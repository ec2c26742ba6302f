/* engine.c: the engine's life, settings, rule sources and inputs, and the
 * helpers every stage reports through. The run itself is in audit.c. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <lauxlib.h>

#include "engine.h"
#include "load.h"
#include "util.h"


static const struct {
    const char *name;
    long long def;
    const char *help;
} limit_defs[LIM_COUNT] = {
    {"instructions", 10000000, "Lua instructions per rule run"},
    {"memory", 64LL << 20, "bytes of Lua memory a rule run may allocate"},
    {"file-size", 64LL << 20, "bytes per input file"},
    {"depth", 64, "nesting of YAML collections"},
    {"scalar", 1LL << 20, "bytes per YAML scalar"},
    {"documents", 100000, "YAML documents per file"},
    {"nodes", 10000000, "YAML nodes (scalars, collections, aliases) per file"},
    {"state-memory", 1LL << 30, "bytes of the whole Lua state: model, registers, what rules keep"},
    {"time", 10000, "milliseconds a rule run may take (one instruction can compare long strings)"},
};

/* ---- small things ---- */

const char *isorules_version(void) { return ISORULES_VERSION; }

int isorules_version_number(void)
{
    return ISORULES_VERSION_MAJOR * 10000 + ISORULES_VERSION_MINOR * 100 + ISORULES_VERSION_PATCH;
}

const char *isorules_severity_name(int s)
{
    static const char *const names[] = {"info", "warning", "error"};
    return s >= 0 && s <= 2 ? names[s] : NULL;
}

const char *isorules_limit_name(int i) { return i >= 0 && i < LIM_COUNT ? limit_defs[i].name : NULL; }
const char *isorules_limit_help(int i) { return i >= 0 && i < LIM_COUNT ? limit_defs[i].help : NULL; }

int ir_fail(isorules_engine *e, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->errmsg, sizeof e->errmsg, fmt, ap);
    va_end(ap);
    return rc;
}

const char *isorules_errmsg(isorules_engine *e) { return e ? e->errmsg : "no engine"; }

const char *ir_file_name(const isorules_engine *e, uint32_t file)
{
    return file < e->nfiles ? e->files[file].name : "";
}

/* ---- findings and errors ---- */

int ir_findings_push(ir_findings *fs, const char *rule, int severity, const char *agency,
                     const char *subject, const char *message, uint32_t file, int line, int col)
{
    ir_finding *nv = ir_grow(fs->v, &fs->cap, fs->n, sizeof *nv);
    if (!nv)
        return -1;
    fs->v = nv;
    ir_finding *f = &fs->v[fs->n];
    f->rule = strdup(rule);
    f->agency = agency ? strdup(agency) : NULL;
    f->subject = subject ? strdup(subject) : NULL;
    f->message = strdup(message ? message : "");
    f->file = file;
    f->line = line;
    f->col = col;
    f->severity = severity;
    if (!f->rule || !f->message || (agency && !f->agency) || (subject && !f->subject)) {
        free(f->rule);
        free(f->agency);
        free(f->subject);
        free(f->message);
        return -1;
    }
    fs->n++;
    return 0;
}

int ir_findings_take(ir_findings *to, ir_findings *from)
{
    for (size_t i = 0; i < from->n; i++) {
        ir_finding *nv = ir_grow(to->v, &to->cap, to->n, sizeof *nv);
        if (!nv)
            return -1;
        to->v = nv;
        to->v[to->n++] = from->v[i]; /* the strings change hands */
    }
    free(from->v);
    memset(from, 0, sizeof *from);
    return 0;
}

void ir_findings_free(ir_findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->v[i].rule);
        free(fs->v[i].agency);
        free(fs->v[i].subject);
        free(fs->v[i].message);
    }
    free(fs->v);
    memset(fs, 0, sizeof *fs);
}

/* A copy of s cut to at most max bytes, at a character boundary, with "…"
 * when cut; s itself when it fits. buf holds max + 4 bytes. */
static const char *clip(const char *s, size_t max, char *buf)
{
    size_t n = s ? strlen(s) : 0;
    if (n <= max)
        return s;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    memcpy(buf, s, max);
    memcpy(buf + max, "\xe2\x80\xa6", 4);
    return buf;
}

void ir_report(isorules_engine *e, const ir_rule *r, const char *subject, const char *message,
               uint32_t file, int line, int col)
{
    if (!e->sink)
        return;
    /* what a rule run leaves in C memory is bounded too (the memory cap
     * counts only the Lua state) */
    if (e->cur_rule && ++e->run_findings > MAX_RUN_FINDINGS)
        luaL_error(e->L, "more than %d findings in one rule run", MAX_RUN_FINDINGS);
    static _Thread_local char sbuf[MAX_SUBJECT + 4], mbuf[MAX_MESSAGE + 4];
    subject = clip(subject, MAX_SUBJECT, sbuf);
    message = clip(message, MAX_MESSAGE, mbuf);
    if (ir_findings_push(e->sink, r->info.id, r->info.severity, e->cur_agency, subject, message,
                         file, line, col) != 0)
        luaL_error(e->L, "not enough memory");
}

static int nullcmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int finding_cmp(const void *pa, const void *pb)
{
    const ir_finding *a = pa, *b = pb;
    int c;
    if (a->file != b->file)
        return a->file < b->file ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    if ((c = strcmp(a->rule, b->rule)) != 0)
        return c;
    if ((c = nullcmp(a->subject, b->subject)) != 0)
        return c;
    if ((c = strcmp(a->message, b->message)) != 0)
        return c;
    return nullcmp(a->agency, b->agency);
}

/* ---- owned lists of results ---- */

static char *dupnull(const char *s) { return s ? strdup(s) : NULL; }

static void keep_finding(isorules_engine *e, const isorules_finding *f)
{
    isorules_finding *nv = ir_grow(e->kept_findings, &e->capkept_findings, e->nkept_findings, sizeof *nv);
    if (!nv)
        return;
    e->kept_findings = nv;
    isorules_finding *k = &nv[e->nkept_findings++];
    *k = *f;
    k->rule = dupnull(f->rule);
    k->agency = dupnull(f->agency);
    k->subject = dupnull(f->subject);
    k->message = dupnull(f->message);
    k->file = dupnull(f->file);
}

static void keep_error(isorules_engine *e, const isorules_error *err)
{
    isorules_error *nv = ir_grow(e->kept_errors, &e->capkept_errors, e->nkept_errors, sizeof *nv);
    if (!nv)
        return;
    e->kept_errors = nv;
    isorules_error *k = &nv[e->nkept_errors++];
    *k = *err;
    k->rule = dupnull(err->rule);
    k->file = dupnull(err->file);
    k->input_file = dupnull(err->input_file);
    k->message = dupnull(err->message);
}

void ir_results_clear(isorules_engine *e)
{
    for (size_t i = 0; i < e->nkept_findings; i++) {
        isorules_finding *k = &e->kept_findings[i];
        free((char *)k->rule), free((char *)k->agency), free((char *)k->subject);
        free((char *)k->message), free((char *)k->file);
    }
    for (size_t i = 0; i < e->nkept_errors; i++) {
        isorules_error *k = &e->kept_errors[i];
        free((char *)k->rule), free((char *)k->file), free((char *)k->input_file), free((char *)k->message);
    }
    free(e->kept_findings);
    free(e->kept_errors);
    e->kept_findings = NULL;
    e->kept_errors = NULL;
    e->nkept_findings = e->capkept_findings = e->nkept_errors = e->capkept_errors = 0;
}

void isorules_keep_results(isorules_engine *e, int on)
{
    ir_results_clear(e);
    e->keep_results = on != 0;
}

size_t isorules_finding_count(isorules_engine *e) { return e->nkept_findings; }

const isorules_finding *isorules_finding_at(isorules_engine *e, size_t i)
{
    return i < e->nkept_findings ? &e->kept_findings[i] : NULL;
}

size_t isorules_error_count(isorules_engine *e) { return e->nkept_errors; }

const isorules_error *isorules_error_at(isorules_engine *e, size_t i)
{
    return i < e->nkept_errors ? &e->kept_errors[i] : NULL;
}

/* Sorts and hands out a batch of findings, then frees it. */
void ir_emit_findings(isorules_engine *e, ir_findings *fs, int final_pass)
{
    if (fs->n > 1)
        qsort(fs->v, fs->n, sizeof *fs->v, finding_cmp);
    for (size_t i = 0; i < fs->n; i++) {
        const ir_finding *f = &fs->v[i];
        isorules_finding out = {f->rule,    f->severity, f->agency, f->subject, f->message,
                                ir_file_name(e, f->file), f->line, f->col, final_pass};
        if (f->severity == ISORULES_ERROR_SEVERITY)
            e->sum.errors++;
        else if (f->severity == ISORULES_WARNING)
            e->sum.warnings++;
        else
            e->sum.infos++;
        if (e->keep_results)
            keep_finding(e, &out);
        if (e->on_finding) {
            e->on_finding(e->finding_ud, &out);
        }
    }
    ir_findings_free(fs);
}

void ir_error_emit(isorules_engine *e, const char *rule, const char *file, int line, int col,
                   const char *input_file, int input_line, int input_col, const char *msg)
{
    isorules_error err = {rule, file, line, col, input_file, input_line, input_col, msg};
    if (e->errbuf) { /* the file being audited: its errors come out in file order */
        ir_errors_push(e->errbuf, &err);
        return;
    }
    e->sum.failures++;
    if (e->keep_results)
        keep_error(e, &err);
    if (e->on_error) {
        e->on_error(e->error_ud, &err);
    }
}

void ir_errors_push(ir_errors *es, const isorules_error *err)
{
    ir_error *nv = ir_grow(es->v, &es->cap, es->n, sizeof *nv);
    if (!nv)
        return;
    es->v = nv;
    ir_error *k = &es->v[es->n++];
    k->rule = err->rule ? strdup(err->rule) : NULL;
    k->file = err->file ? strdup(err->file) : NULL;
    k->input_file = err->input_file ? strdup(err->input_file) : NULL;
    k->message = err->message ? strdup(err->message) : NULL;
    k->line = err->line;
    k->col = err->column;
    k->input_line = err->input_line;
    k->input_col = err->input_column;
}

void ir_errors_emit_free(isorules_engine *e, ir_errors *es)
{
    for (size_t i = 0; i < es->n; i++) {
        ir_error *k = &es->v[i];
        if (e)
            ir_error_emit(e, k->rule, k->file ? k->file : "", k->line, k->col, k->input_file, k->input_line,
                          k->input_col, k->message ? k->message : "out of memory");
        free(k->rule), free(k->file), free(k->input_file), free(k->message);
    }
    free(es->v);
    memset(es, 0, sizeof *es);
}

void ir_pending_add(isorules_engine *e, const char *file, int line, const char *msg)
{
    ir_error *nv = ir_grow(e->pending, &e->cappending, e->npending, sizeof *nv);
    if (!nv)
        return;
    e->pending = nv;
    ir_error *er = &e->pending[e->npending];
    memset(er, 0, sizeof *er);
    er->file = strdup(file);
    er->message = strdup(msg);
    er->line = line;
    if (er->file && er->message)
        e->npending++;
    else {
        free(er->file);
        free(er->message);
    }
}

static void pending_free(isorules_engine *e)
{
    for (size_t i = 0; i < e->npending; i++) {
        free(e->pending[i].file);
        free(e->pending[i].message);
    }
    free(e->pending);
    e->pending = NULL;
    e->npending = e->cappending = 0;
}

/* ---- engine life ---- */

static void today(char out[11])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    ir_format_date(out, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int load_builtin(isorules_engine *e, int format_only)
{
    int rc = ISORULES_OK;
    for (int i = 0; i < ir_nbuiltins; i++) {
        int is_format = strcmp(ir_builtins[i].name, "rules/format.lua") == 0;
        if (is_format != format_only)
            continue;
        if (ir_rules_load(e, ir_builtins[i].name, ir_builtins[i].src, ir_builtins[i].len, 1) != ISORULES_OK)
            rc = ISORULES_ERROR;
    }
    return rc;
}

int isorules_open(isorules_engine **out)
{
    *out = NULL;
    isorules_engine *e = calloc(1, sizeof *e);
    if (!e)
        return ISORULES_NOMEM;
    for (int i = 0; i < LIM_COUNT; i++)
        e->limits[i] = limit_defs[i].def;
    today(e->as_of);
    e->jobs = 1;
    atomic_init(&e->cancel, 0);
    ir_pos_init(&e->reg);
    ir_pos_init(&e->unit);
    if (ir_sandbox_open(e) != ISORULES_OK) {
        free(e);
        return ISORULES_NOMEM;
    }
    /* FMT001-003 belong to the model stage: always there, selectable */
    load_builtin(e, 1);
    *out = e;
    return ISORULES_OK;
}

void ir_agency_free(ir_agency *a)
{
    free(a->id), free(a->name), free(a->level), free(a->parent), free(a->province), free(a->role);
    memset(a, 0, sizeof *a);
}

ir_fileout *ir_file_out(ir_file *f)
{
    if (!f->out)
        f->out = calloc(1, sizeof *f->out);
    return f->out;
}

void ir_file_results_free(ir_file *f)
{
    ir_fileout *o = f->out;
    if (!o)
        return;
    ir_findings_free(&o->held);
    ir_findings_free(&o->found);
    ir_errors_emit_free(NULL, &o->errors);
    for (size_t i = 0; i < o->naudited; i++) {
        ir_audited *au = &o->audited[i];
        ir_agency_free(&au->a);
        for (size_t k = 0; k < au->nkept; k++)
            ir_buf_free(&au->kept[k]);
        free(au->kept);
    }
    free(o->audited);
    free(o);
    f->out = NULL;
}

void ir_run_free(isorules_engine *e)
{
    for (size_t i = 0; i < e->nfiles; i++) {
        ir_file_results_free(&e->files[i]);
    }
    free(e->files);
    e->files = NULL;
    e->nfiles = 0;
    ir_arena_free(&e->names);
    ir_arena_free(&e->index_text);
    free(e->words);
    free(e->wordslots);
    e->words = NULL;
    e->wordslots = NULL;
    e->nwords = e->capwords = e->nwordslots = 0;
    free(e->index);
    e->index = NULL;
    e->nindex = e->capindex = 0;
    free(e->idslots);
    e->idslots = NULL;
    e->nidslots = e->nowners = e->max_id = 0;
    free(e->kept);
    e->kept = NULL;
    e->nkept = e->capkept = 0;
    ir_arena_free(&e->kept_bytes);
    e->kept_total = 0;
    ir_pos_clear(&e->reg);
    ir_pos_clear(&e->unit);
    if (e->L) {
        ir_model_forget(e->L, &e->reg);
        ir_model_forget(e->L, &e->unit);
    }
}

void isorules_clear_inputs(isorules_engine *e)
{
    if (e->running) /* a callback: the run reads these buffers */
        return;
    for (size_t i = 0; i < e->ninputs; i++) {
        free(e->inputs[i].path);
        free(e->inputs[i].name);
        free(e->inputs[i].data);
    }
    free(e->inputs);
    e->inputs = NULL;
    e->ninputs = e->capinputs = 0;
}

void isorules_close(isorules_engine *e)
{
    if (!e)
        return;
    ir_run_free(e);
    ir_last_names_free(e);
    ir_results_clear(e);
    if (e->L)
        lua_close(e->L);
    ir_pool_free(&e->pool); /* after lua_close, which returns its blocks to it */
    ir_rules_free(e);
    ir_sources_free(e);
    isorules_clear_inputs(e);
    pending_free(e);
    ir_pos_free(&e->reg);
    ir_pos_free(&e->unit);
    free(e->only);
    free(e->skip);
    free(e);
}

/* ---- settings ---- */

#define NOT_RUNNING(e)                                                                             \
    do {                                                                                           \
        if ((e)->running)                                                                          \
            return ir_fail((e), ISORULES_MISUSE, "not allowed while the engine runs");              \
    } while (0)

int isorules_set_lang(isorules_engine *e, const char *lang)
{
    NOT_RUNNING(e);
    if (lang && strcmp(lang, "vi") == 0)
        e->lang = LANG_VI;
    else if (lang && strcmp(lang, "en") == 0)
        e->lang = LANG_EN;
    else
        return ir_fail(e, ISORULES_MISUSE, "language must be vi or en");
    e->errmsg[0] = '\0';
    return ISORULES_OK;
}

int isorules_set_as_of(isorules_engine *e, const char *date)
{
    int y, m, d;
    NOT_RUNNING(e);
    if (!date || !ir_parse_date(date, strlen(date), &y, &m, &d))
        return ir_fail(e, ISORULES_MISUSE, "'%s' is not a date (YYYY-MM-DD or D/M/YYYY)",
                       date ? date : "(null)");
    ir_format_date(e->as_of, y, m, d);
    e->errmsg[0] = '\0';
    return ISORULES_OK;
}

const char *isorules_as_of(isorules_engine *e) { return e->as_of; }

static int limit_index(const char *name)
{
    for (int i = 0; name && i < LIM_COUNT; i++)
        if (strcmp(limit_defs[i].name, name) == 0)
            return i;
    return -1;
}

int isorules_set_limit(isorules_engine *e, const char *name, long long value)
{
    NOT_RUNNING(e);
    int i = limit_index(name);
    if (i < 0)
        return ir_fail(e, ISORULES_MISUSE, "unknown limit '%s'", name ? name : "(null)");
    if (value < 0)
        return ir_fail(e, ISORULES_MISUSE, "limit %s must not be negative", name);
    e->limits[i] = value;
    e->errmsg[0] = '\0';
    return ISORULES_OK;
}

long long isorules_get_limit(isorules_engine *e, const char *name)
{
    int i = limit_index(name);
    return i < 0 ? -1 : e->limits[i];
}

void isorules_on_finding(isorules_engine *e, isorules_finding_fn fn, void *ud) { e->on_finding = fn, e->finding_ud = ud; }
void isorules_on_error(isorules_engine *e, isorules_error_fn fn, void *ud) { e->on_error = fn, e->error_ud = ud; }
void isorules_on_agency(isorules_engine *e, isorules_agency_fn fn, void *ud) { e->on_agency = fn, e->agency_ud = ud; }
void isorules_on_agency_info(isorules_engine *e, isorules_agency_info_fn fn, void *ud)
{
    e->on_agency_info = fn, e->agency_info_ud = ud;
}

const char *isorules_input_name(const isorules_engine *e, int i)
{
    return i >= 0 && (size_t)i < e->nlast_names ? e->last_names[i] : NULL;
}

void ir_last_names_free(isorules_engine *e)
{
    ir_arena_free(&e->last_names_text);
    free(e->last_names);
    e->last_names = NULL;
    e->nlast_names = 0;
}
void isorules_on_progress(isorules_engine *e, isorules_progress_fn fn, void *ud) { e->on_progress = fn, e->progress_ud = ud; }

int isorules_set_jobs(isorules_engine *e, int jobs)
{
    NOT_RUNNING(e);
    if (jobs < 1 || jobs > 256)
        return ir_fail(e, ISORULES_MISUSE, "jobs must be 1 to 256");
    e->jobs = jobs;
    return ISORULES_OK;
}

void isorules_cancel(isorules_engine *e) { atomic_store(&e->cancel, 1); }

void isorules_get_summary(isorules_engine *e, isorules_summary *out) { *out = e->sum; }

/* ---- rules ---- */

int isorules_add_builtin_rules(isorules_engine *e)
{
    NOT_RUNNING(e);
    return load_builtin(e, 0);
}

int isorules_add_rules_string(isorules_engine *e, const char *name, const char *src, size_t len)
{
    NOT_RUNNING(e);
    if (!name || !src)
        return ir_fail(e, ISORULES_MISUSE, "rule source needs a name and a text");
    return ir_rules_load(e, name, src, len, 0);
}

static char *read_all(const char *path, size_t *len, long long max, char *err, size_t errn)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errn, "%s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errn, "not a regular file");
        fclose(fp);
        return NULL;
    }
    if (max && st.st_size > max) {
        snprintf(err, errn, "larger than %lld bytes", max);
        fclose(fp);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, fp) : 0;
    int bad = !buf || ferror(fp);
    fclose(fp);
    if (bad) {
        snprintf(err, errn, "%s", buf ? "read error" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static int strptr_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Lists the files below dir (recursively, hidden ones skipped) whose name
 * ends with one of the suffixes, into a growable array. Symbolic links are
 * followed; a directory already on the walk's path is a loop, reported
 * through on_loop and not followed. */
typedef struct walker {
    char **v;
    size_t n, cap;
    const char *const *suffixes;
    ir_arena *names;    /* where the paths are copied */
    struct stat *stack; /* directories being walked */
    size_t depth;
    void (*on_error)(void *ud, const char *path, const char *msg);
    void *ud;
} walker;

static int add_path(walker *w, const char *path)
{
    char **nv = ir_grow(w->v, &w->cap, w->n, sizeof *nv);
    if (!nv)
        return -1;
    w->v = nv;
    if (!(w->v[w->n] = ir_arena_str(w->names, path, strlen(path))))
        return -1;
    w->n++;
    return 0;
}

static void walk_dir(walker *w, const char *dir, const struct stat *dst)
{
    for (size_t i = 0; i < w->depth; i++) {
        if (w->stack[i].st_dev == dst->st_dev && w->stack[i].st_ino == dst->st_ino) {
            w->on_error(w->ud, dir, "symbolic link loop: the folder is already being walked");
            return;
        }
    }
    if (w->depth >= 256) {
        w->on_error(w->ud, dir, "folders nested too deep (256)");
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        w->on_error(w->ud, dir, strerror(errno));
        return;
    }
    struct stat *ns = realloc(w->stack, (w->depth + 1) * sizeof *ns);
    if (!ns) {
        closedir(d);
        return;
    }
    w->stack = ns;
    w->stack[w->depth++] = *dst;
    char **names = NULL;
    size_t nn = 0, capn = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char **nv = ir_grow(names, &capn, nn, sizeof *nv);
        if (!nv)
            break;
        names = nv;
        if ((names[nn] = strdup(de->d_name)) != NULL)
            nn++;
    }
    closedir(d);
    if (nn > 1)
        qsort(names, nn, sizeof *names, strptr_cmp);
    size_t dl = strlen(dir);
    int slash = dl > 0 && dir[dl - 1] == '/';
    for (size_t i = 0; i < nn; i++) {
        size_t len = dl + strlen(names[i]) + 2;
        char *p = malloc(len);
        if (p) {
            snprintf(p, len, "%s%s%s", dir, slash ? "" : "/", names[i]);
            struct stat st;
            if (stat(p, &st) != 0) {
                /* a loop is always said; a dangling link only when it is
                 * named like a file we would have read */
                int wanted = 0;
                for (int k = 0; w->suffixes[k]; k++)
                    wanted |= has_suffix(names[i], w->suffixes[k]);
                if (errno == ELOOP || (wanted && lstat(p, &st) == 0))
                    w->on_error(w->ud, p, strerror(errno));
            } else if (S_ISDIR(st.st_mode)) {
                walk_dir(w, p, &st);
            } else if (S_ISREG(st.st_mode)) {
                for (int k = 0; w->suffixes[k]; k++)
                    if (has_suffix(names[i], w->suffixes[k])) {
                        add_path(w, p);
                        break;
                    }
            } /* FIFOs, devices and sockets inside a folder are skipped */
            free(p);
        }
        free(names[i]);
    }
    free(names);
    w->depth--;
}

static void rules_walk_error(void *ud, const char *path, const char *msg)
{
    isorules_engine *e = ud;
    ir_pending_add(e, path, 0, msg);
}

int isorules_add_rules_path(isorules_engine *e, const char *path)
{
    NOT_RUNNING(e);
    static const char *const lua_suffix[] = {".lua", NULL};
    struct stat st;
    if (!path || stat(path, &st) != 0) {
        const char *msg = path ? strerror(errno) : "no path";
        ir_pending_add(e, path ? path : "", 0, msg);
        return ir_fail(e, ISORULES_ERROR, "%s: %s", path ? path : "", msg);
    }
    ir_arena paths = {0};
    walker w = {0};
    w.suffixes = lua_suffix;
    w.names = &paths;
    w.on_error = rules_walk_error;
    w.ud = e;
    size_t before = e->npending;
    if (S_ISDIR(st.st_mode))
        walk_dir(&w, path, &st);
    else
        add_path(&w, path);
    int rc = e->npending > before ? ISORULES_ERROR : ISORULES_OK;
    if (S_ISDIR(st.st_mode) && w.n == 0) {
        ir_pending_add(e, path, 0, "no .lua files in this folder");
        rc = ISORULES_ERROR;
    }
    for (size_t i = 0; i < w.n; i++) {
        char err[128];
        size_t len;
        char *src = read_all(w.v[i], &len, 0, err, sizeof err);
        if (!src) {
            ir_pending_add(e, w.v[i], 0, err);
            rc = ISORULES_ERROR;
        } else if (ir_rules_load(e, w.v[i], src, len, 0) != ISORULES_OK) {
            rc = ISORULES_ERROR;
        }
        free(src);
    }
    free(w.v);
    free(w.stack);
    ir_arena_free(&paths);
    if (rc != ISORULES_OK && !e->errmsg[0])
        ir_fail(e, rc, "%s: rules failed to load", path);
    return rc;
}

int isorules_rule_count(isorules_engine *e) { return (int)e->nrules; }

int isorules_rule_selected(isorules_engine *e, const char *id)
{
    const ir_rule *r = id ? ir_rule_get(e, id) : NULL;
    return r && r->selected;
}

const isorules_rule_info *isorules_rule_at(isorules_engine *e, int i)
{
    return i >= 0 && (size_t)i < e->nrules ? &e->rules[i].info : NULL;
}

const isorules_rule_info *isorules_rule_find(isorules_engine *e, const char *id)
{
    ir_rule *r = id ? ir_rule_get(e, id) : NULL;
    return r ? &r->info : NULL;
}

int isorules_select(isorules_engine *e, const char *only, const char *skip)
{
    NOT_RUNNING(e);
    free(e->only);
    free(e->skip);
    e->only = only && *only ? strdup(only) : NULL;
    e->skip = skip && *skip ? strdup(skip) : NULL;
    return ISORULES_OK;
}

/* Does id match the comma-separated list (a trailing '*' is a prefix)? */
int ir_matches(const char *list, const char *id)
{
    const char *p = list;
    while (*p) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        while (n && (*p == ' ')) p++, n--;
        while (n && p[n - 1] == ' ') n--;
        if (n && p[n - 1] == '*') {
            if (strncmp(id, p, n - 1) == 0)
                return 1;
        } else if (n && strlen(id) == n && strncmp(id, p, n) == 0) {
            return 1;
        }
        if (!q)
            break;
        p = q + 1;
    }
    return 0;
}

/* ---- inputs ---- */

int isorules_add_input_path(isorules_engine *e, const char *path)
{
    NOT_RUNNING(e);
    if (!path || !*path)
        return ir_fail(e, ISORULES_MISUSE, "empty input path");
    ir_input *nv = ir_grow(e->inputs, &e->capinputs, e->ninputs, sizeof *nv);
    if (!nv)
        return ir_fail(e, ISORULES_NOMEM, "out of memory");
    e->inputs = nv;
    memset(&e->inputs[e->ninputs], 0, sizeof *nv);
    if (!(e->inputs[e->ninputs].path = strdup(path)))
        return ir_fail(e, ISORULES_NOMEM, "out of memory");
    e->ninputs++;
    return ISORULES_OK;
}

int isorules_add_input_buffer(isorules_engine *e, const char *name, const char *data, size_t len)
{
    NOT_RUNNING(e);
    if (!name || (!data && len))
        return ir_fail(e, ISORULES_MISUSE, "an input buffer needs a name");
    ir_input *nv = ir_grow(e->inputs, &e->capinputs, e->ninputs, sizeof *nv);
    if (!nv)
        return ir_fail(e, ISORULES_NOMEM, "out of memory");
    e->inputs = nv;
    ir_input *in = &e->inputs[e->ninputs];
    memset(in, 0, sizeof *in);
    in->name = strdup(name);
    in->data = malloc(len + 1);
    if (!in->name || !in->data) {
        free(in->name);
        free(in->data);
        return ir_fail(e, ISORULES_NOMEM, "out of memory");
    }
    if (len)
        memcpy(in->data, data, len);
    in->data[len] = '\0';
    in->len = len;
    e->ninputs++;
    return ISORULES_OK;
}

static void input_walk_error(void *ud, const char *path, const char *msg)
{
    ir_error_emit(ud, NULL, path, 0, 0, NULL, 0, 0, msg);
}

static int file_cmp(const void *pa, const void *pb)
{
    const ir_file *a = pa, *b = pb;
    return strcmp(a->name, b->name);
}

/* A file's identity on disk, for finding one reached twice. */
typedef struct file_id {
    unsigned long long dev, ino; /* ino 0: a buffer, or not found */
    size_t file;                 /* its place in path order */
} file_id;

static int id_cmp(const void *pa, const void *pb)
{
    const file_id *a = pa, *b = pb;
    if (a->dev != b->dev)
        return a->dev < b->dev ? -1 : 1;
    if (a->ino != b->ino)
        return a->ino < b->ino ? -1 : 1;
    return a->file < b->file ? -1 : a->file > b->file;
}

/* Expands the inputs into e->files, in byte order of their names, each real
 * file once. */
int ir_collect_files(isorules_engine *e)
{
    static const char *const yaml_suffix[] = {".yaml", ".yml", NULL};
    walker w = {0};
    w.suffixes = yaml_suffix;
    w.names = &e->names;
    w.on_error = input_walk_error;
    w.ud = e;
    size_t nbuf = 0;
    for (size_t i = 0; i < e->ninputs; i++) {
        const ir_input *in = &e->inputs[i];
        if (!in->path) {
            nbuf++;
            continue;
        }
        struct stat st;
        if (stat(in->path, &st) != 0) {
            ir_error_emit(e, NULL, in->path, 0, 0, NULL, 0, 0, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            size_t before = w.n;
            walk_dir(&w, in->path, &st);
            if (w.n == before)
                ir_error_emit(e, NULL, in->path, 0, 0, NULL, 0, 0, "no YAML files (*.yaml, *.yml) in this folder");
        } else if (S_ISREG(st.st_mode)) {
            add_path(&w, in->path);
        } else {
            ir_error_emit(e, NULL, in->path, 0, 0, NULL, 0, 0, "not a regular file or a folder");
        }
    }
    free(w.stack);
    e->files = calloc(w.n + nbuf + 1, sizeof *e->files);
    if (!e->files) {
        free(w.v);
        return ISORULES_NOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < w.n; i++) {
        ir_file *f = &e->files[n++];
        f->name = w.v[i];
        f->first_agency = -1;
    }
    free(w.v);
    for (size_t i = 0; i < e->ninputs; i++) {
        if (e->inputs[i].path)
            continue;
        ir_file *f = &e->files[n++];
        f->name = ir_arena_str(&e->names, e->inputs[i].name, strlen(e->inputs[i].name));
        f->buffer = &e->inputs[i];
        f->first_agency = -1;
        if (!f->name)
            return ISORULES_NOMEM;
    }
    qsort(e->files, n, sizeof *e->files, file_cmp);
    /* the same file reached twice (a folder and a file in it, or two links)
     * is read once, under its first name in path order */
    file_id *ids = malloc((n + 1) * sizeof *ids);
    if (!ids)
        return ISORULES_NOMEM;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        ids[i] = (file_id){0, 0, i};
        if (!e->files[i].buffer && stat(e->files[i].name, &st) == 0)
            ids[i].dev = (unsigned long long)st.st_dev, ids[i].ino = (unsigned long long)st.st_ino;
    }
    qsort(ids, n, sizeof *ids, id_cmp);
    for (size_t i = 1; i < n; i++)
        if (ids[i].ino && ids[i].dev == ids[i - 1].dev && ids[i].ino == ids[i - 1].ino)
            e->files[ids[i].file].dup = 1; /* ids keep path order within one inode */
    free(ids);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!e->files[i].dup && !(k > 0 && strcmp(e->files[i].name, e->files[k - 1].name) == 0))
            e->files[k++] = e->files[i];
    }
    e->nfiles = k;
    return ISORULES_OK;
}
