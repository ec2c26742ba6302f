/* audit.c: a run of the engine (ENGINE.md "Streaming").
 *
 * Every input file is taken in byte order of its path, then:
 *  1. the leading register documents (legal, catalog, plan) of every file are
 *     loaded; a file that starts with an agency costs a few parser events;
 *  2. plan rules run;
 *  3. file by file, one agency at a time is loaded, checked, audited and
 *     freed; what stays is the agency index and what model rules' keep
 *     functions return;
 *  4. model rules run over the index (the final pass).
 * A file's findings are held until the file is done, then sorted and handed
 * out, so the report does not depend on the order inputs were given in. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <lauxlib.h>

#include "engine.h"
#include "load.h"

#define RUN "isorules.run" /* this run's tables, made anew by run_reset */

/* Reads t[k] without metamethods: the engine never runs rule code outside a
 * rule run, whatever a rule did to the model. stack: +1, returns the type */
static int rawfield(lua_State *L, int idx, const char *k)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, k);
    return lua_rawget(L, idx);
}

/* ---- protected calls ---- */

typedef int (*step_fn)(isorules_engine *e, void *ud);
typedef struct step {
    isorules_engine *e;
    step_fn fn;
    void *ud;
    int rc;
} step;

static int l_step(lua_State *L)
{
    step *s = lua_touserdata(L, 1);
    lua_settop(L, 0);
    s->rc = s->fn(s->e, s->ud);
    return 0;
}

/* Runs fn with Lua errors (out of memory) caught; returns its result, or
 * ISORULES_NOMEM. */
static int protect(isorules_engine *e, step_fn fn, void *ud)
{
    lua_State *L = e->L;
    int top = lua_gettop(L);
    step s = {e, fn, ud, ISORULES_OK};
    lua_pushcfunction(L, l_step);
    lua_pushlightuserdata(L, &s);
    int st = lua_pcall(L, 1, 0, 0);
    lua_settop(L, top);
    if (st != LUA_OK) {
        ir_fail(e, ISORULES_NOMEM, "out of memory");
        return ISORULES_NOMEM;
    }
    return s.rc;
}

/* Pushes RUN[name]. stack: +1 */
static int run_field(lua_State *L, const char *name)
{
    lua_getfield(L, LUA_REGISTRYINDEX, RUN);
    int t = lua_getfield(L, -1, name);
    lua_remove(L, -2);
    return t;
}

/* Appends the value on top to the list RUN[name]. stack: -1 */
static void run_append(lua_State *L, const char *name)
{
    run_field(L, name);
    lua_insert(L, -2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

static int run_reset(isorules_engine *e, void *ud)
{
    (void)ud;
    lua_State *L = e->L;
    static const char *const tables[] = {"legal", "catalog", "plan", "catalogs_by_province", NULL};
    lua_newtable(L);
    for (int i = 0; tables[i]; i++) {
        lua_newtable(L);
        lua_setfield(L, -2, tables[i]);
    }
    lua_setfield(L, LUA_REGISTRYINDEX, RUN);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "isorules.legal_ids");
    ir_ctx_push(L);
    lua_pushstring(L, e->as_of);
    lua_setfield(L, -2, "as_of");
    static const char *const data[] = {"legal", "catalog", "catalogs", "plans", "index", "kept", NULL};
    for (int i = 0; data[i]; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, data[i]);
    }
    lua_pop(L, 1);
    return ISORULES_OK;
}

static int run_drop(isorules_engine *e, void *ud)
{
    (void)ud;
    lua_pushnil(e->L);
    lua_setfield(e->L, LUA_REGISTRYINDEX, RUN);
    run_reset(e, NULL);
    lua_pushnil(e->L);
    lua_setfield(e->L, LUA_REGISTRYINDEX, RUN);
    lua_gc(e->L, LUA_GCCOLLECT);
    return ISORULES_OK;
}

/* ---- reading a file ---- */

typedef struct source {
    FILE *fp;
    ir_loader ld;
    uint32_t file;
    int phase;
    ir_file *into; /* phase 2: where its results go (the engine's record of the file) */
} source;

static void input_error(isorules_engine *e, uint32_t file, int line, int col, const char *msg)
{
    ir_error_emit(e, NULL, ir_file_name(e, file), line, col, NULL, 0, 0, msg);
}

/* Opens file for reading, checking its size. Returns 0, or -1 after an
 * errors entry. */
static int source_open(isorules_engine *e, source *s, uint32_t file, int phase)
{
    ir_file *f = &e->files[file];
    ir_load_limits lim = {e->limits[LIM_DEPTH], e->limits[LIM_SCALAR], e->limits[LIM_DOCUMENTS],
                          e->limits[LIM_NODES]};
    long long max = e->limits[LIM_FILE_SIZE];
    char msg[128];
    memset(s, 0, sizeof *s);
    s->file = file;
    s->phase = phase;
    ir_loader_init(&s->ld, &lim);
    if (f->buffer) {
        if (max && (long long)f->buffer->len > max) {
            snprintf(msg, sizeof msg, "larger than %lld bytes (limit file-size)", max);
            input_error(e, file, 0, 0, msg);
            return -1;
        }
        ir_loader_buffer(&s->ld, f->buffer->data, f->buffer->len);
        return 0;
    }
    s->fp = fopen(f->name, "rb");
    /* libyaml asks for large pieces itself: stdio's buffer would only add a
     * copy, an fstat and reads of 4 KiB */
    if (s->fp)
        setvbuf(s->fp, NULL, _IONBF, 0);
    struct stat st;
    if (!s->fp || fstat(fileno(s->fp), &st) != 0) {
        input_error(e, file, 0, 0, strerror(errno));
        if (s->fp)
            fclose(s->fp);
        s->fp = NULL;
        return -1;
    }
    if (max && st.st_size > max) {
        snprintf(msg, sizeof msg, "larger than %lld bytes (limit file-size)", max);
        input_error(e, file, 0, 0, msg);
        fclose(s->fp);
        s->fp = NULL;
        return -1;
    }
    ir_loader_file(&s->ld, s->fp, max);
    /* phase 1 stops at an agency's first key: reading a file from a small
     * first piece keeps it from decoding (and paying for) what phase 2
     * reads; a register file's pieces soon grow to libyaml's size */
    if (phase == 1)
        s->ld.chunk = 256;
    return 0;
}

static void source_close(source *s)
{
    ir_loader_done(&s->ld);
    if (s->fp)
        fclose(s->fp);
    s->fp = NULL;
}

static void load_error(isorules_engine *e, source *s)
{
    if (s->ld.err_offset >= 0) { /* an encoding error: find its line */
        const ir_file *f = &e->files[s->file];
        if (f->buffer) {
            ir_offset_position(f->buffer->data, f->buffer->len, s->ld.err_offset, &s->ld.err_line,
                               &s->ld.err_col);
        } else {
            size_t want = (size_t)s->ld.err_offset;
            char *buf = malloc(want + 1);
            FILE *fp = buf ? fopen(f->name, "rb") : NULL;
            if (fp) {
                size_t got = fread(buf, 1, want, fp);
                ir_offset_position(buf, got, s->ld.err_offset, &s->ld.err_line, &s->ld.err_col);
                fclose(fp);
            }
            free(buf);
        }
    }
    input_error(e, s->file, s->ld.err_line, s->ld.err_col, s->ld.err);
    e->files[s->file].failed = 1;
}

/* FMT001 for a document that is not a mapping with a known kind. */
static void bad_kind(isorules_engine *e, int doc, int kind, int line, int col)
{
    lua_State *L = e->L;
    if (kind == KIND_UNKNOWN) {
        rawfield(L, doc, "kind");
        int t = lua_type(L, -1);
        const char *k = t == LUA_TSTRING || t == LUA_TNUMBER ? lua_tostring(L, -1)
                        : t == LUA_TBOOLEAN                 ? (lua_toboolean(L, -1) ? "true" : "false")
                                                            : "?"; /* a mapping or list has no text */
        char vi[300], en[300];
        snprintf(vi, sizeof vi, "kind '%.200s' không xác định (agency, legal, catalog, plan, expect)", k);
        snprintf(en, sizeof en, "unknown kind '%.200s' (agency, legal, catalog, plan, expect)", k);
        ir_fmt(e, "FMT001", k, vi, en, e->cur_file, line, col);
        lua_pop(L, 1);
    } else if (kind == KIND_NONE) {
        ir_fmt(e, "FMT001", NULL, "tài liệu không có khóa kind", "the document has no kind", e->cur_file,
               line, col);
    } else {
        ir_fmt(e, "FMT001", NULL, "tài liệu không phải một ánh xạ (mapping) có kind",
               "the document is not a mapping with a kind", e->cur_file, line ? line : 1,
               line ? col : 1);
    }
}

/* ---- phase 1: registers ---- */

static int phase1(isorules_engine *e, void *ud)
{
    source *s = ud;
    lua_State *L = e->L;
    ir_file *f = &e->files[s->file];
    static const char *const lists[] = {"legal", "catalog", "plan"};
    lua_createtable(L, 3, 0); /* this file's registers, committed at the end */
    int regs = lua_gettop(L);
    for (int i = 0; i < 3; i++) {
        lua_newtable(L);
        lua_rawseti(L, regs, i + 1);
    }
    int top = lua_gettop(L); /* the file's register lists */
    size_t reg_from = e->reg.n;
    lua_newtable(L); /* legal ids this file adds (model.c), taken back if it fails */
    lua_setfield(L, LUA_REGISTRYINDEX, "isorules.legal_added");
    for (long doc = 0;; doc++) {
        int line, col;
        size_t doc_from = e->reg.n;
        int rc = ir_loader_next(&s->ld, L, &e->reg, s->file, IR_STOP_AT_AGENCY, &line, &col);
        if (rc == IR_LOAD_END)
            break;
        if (rc == IR_LOAD_AGENCY) {
            f->first_agency = doc;
            ir_pos_truncate(&e->reg, doc_from); /* its root's record: not a register */
            break;
        }
        if (rc == IR_LOAD_ERR) {
            load_error(e, s);
            ir_pos_truncate(&e->reg, reg_from); /* nothing of the file is kept */
            lua_getfield(L, LUA_REGISTRYINDEX, "isorules.legal_ids");
            lua_getfield(L, LUA_REGISTRYINDEX, "isorules.legal_added");
            for (lua_Integer k = 1; k <= (lua_Integer)lua_rawlen(L, -1); k++) {
                lua_rawgeti(L, -1, k);
                lua_pushnil(L);
                lua_rawset(L, -4);
            }
            return ISORULES_OK;
        }
        int d = lua_gettop(L);
        int kind = ir_model_kind(L, d);
        e->cur_line = line;
        e->cur_col = col;
        if (kind == KIND_AGENCY) { /* `kind` was not the first key */
            f->first_agency = doc;
            ir_pos_truncate(&e->reg, doc_from);
            break;
        }
        if (kind >= KIND_LEGAL && kind <= KIND_PLAN) {
            ir_model_check(e, d, kind, &e->reg);
            lua_rawgeti(L, regs, kind - KIND_LEGAL + 1);
            lua_pushvalue(L, d);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
        } else {
            if (kind != KIND_EXPECT)
                bad_kind(e, d, kind, line, col);
            ir_pos_truncate(&e->reg, doc_from); /* not a register: not kept */
        }
        lua_settop(L, top);
    }
    lua_settop(L, top);
    for (int i = 0; i < 3; i++) {
        lua_rawgeti(L, regs, i + 1);
        int t = lua_gettop(L);
        lua_Integer n = (lua_Integer)lua_rawlen(L, t);
        if (n > 0)
            f->has_registers = 1;
        for (lua_Integer k = 1; k <= n; k++) {
            lua_rawgeti(L, t, k);
            run_append(L, lists[i]);
        }
        lua_pop(L, 1);
    }
    return ISORULES_OK;
}

/* ---- the context rules see ---- */

/* ctx.legal: normalised id -> the first document with it; nil without any
 * legal register. ctx.plans: the plan documents. */
/* For each item of the list at index list that is a table with a string
 * `key` (an id, normalised by the model stage), map[that id] = the item,
 * unless an earlier item has the same id: the first entry wins (ctx.legal,
 * ctx.catalog). stack: +0 */
static void map_first(lua_State *L, int list, const char *key, int map)
{
    int top = lua_gettop(L);
    for (lua_Integer k = 1; k <= (lua_Integer)lua_rawlen(L, list); k++) {
        if (lua_rawgeti(L, list, k) == LUA_TTABLE && rawfield(L, -1, key) == LUA_TSTRING) {
            lua_pushvalue(L, -1);
            if (lua_rawget(L, map) == LUA_TNIL) {
                lua_pushvalue(L, -2);
                lua_pushvalue(L, -4);
                lua_rawset(L, map);
            }
        }
        lua_settop(L, top);
    }
}

static int ctx_registers(isorules_engine *e, void *ud)
{
    (void)ud;
    lua_State *L = e->L;
    ir_ctx_push(L);
    int ctx = lua_gettop(L);
    run_field(L, "legal");
    int legal = lua_gettop(L);
    if (lua_rawlen(L, legal) > 0) {
        lua_newtable(L);
        int map = lua_gettop(L);
        for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, legal); i++) {
            lua_rawgeti(L, legal, i);
            if (rawfield(L, -1, "documents") == LUA_TTABLE)
                map_first(L, lua_gettop(L), "id", map);
            lua_settop(L, map);
        }
        lua_setfield(L, ctx, "legal");
    }
    run_field(L, "plan");
    lua_setfield(L, ctx, "plans");
    lua_settop(L, ctx - 1);
    return ISORULES_OK;
}

/* Sets ctx.catalogs (the catalogs that apply to an agency of this province:
 * theirs and those without a province) and ctx.catalog (code -> first
 * entry), both nil when none applies. Cached per province. */
static void ctx_catalogs(isorules_engine *e, int ctx, const char *province)
{
    lua_State *L = e->L;
    run_field(L, "catalogs_by_province");
    int cache = lua_gettop(L);
    const char *key = province ? province : "";
    if (lua_getfield(L, cache, key) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 2);
        int entry = lua_gettop(L);
        lua_newtable(L);
        int list = lua_gettop(L);
        lua_newtable(L);
        int map = lua_gettop(L);
        run_field(L, "catalog");
        int all = lua_gettop(L);
        for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, all); i++) {
            lua_rawgeti(L, all, i);
            int cat = lua_gettop(L);
            int t = rawfield(L, cat, "province");
            /* provinces compare as text: `province: 91` is the province "91" */
            int applies = t == LUA_TNIL || (province && (t == LUA_TSTRING || t == LUA_TNUMBER) &&
                                            strcmp(lua_tostring(L, -1), province) == 0);
            lua_pop(L, 1);
            if (applies) {
                lua_pushvalue(L, cat);
                lua_rawseti(L, list, (lua_Integer)lua_rawlen(L, list) + 1);
                if (rawfield(L, cat, "procedures") == LUA_TTABLE)
                    map_first(L, lua_gettop(L), "code", map);
            }
            lua_settop(L, all);
        }
        lua_pop(L, 1);
        if (lua_rawlen(L, list) > 0) {
            lua_setfield(L, entry, "map");
            lua_setfield(L, entry, "list");
        } else {
            lua_pop(L, 2);
        }
        lua_pushvalue(L, entry);
        lua_setfield(L, cache, key);
    }
    lua_getfield(L, -1, "list");
    lua_setfield(L, ctx, "catalogs");
    lua_getfield(L, -1, "map");
    lua_setfield(L, ctx, "catalog");
    lua_settop(L, cache - 1);
}

/* ---- running rules ---- */

/* Calls rule r's function ref with (subject, ctx) and nres results; a
 * failure is an errors entry naming the rule and the input. Returns the
 * Lua status. stack: +nres on success */
static int call_rule(isorules_engine *e, const ir_rule *r, int ref, int subject, int nres)
{
    lua_State *L = e->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushvalue(L, subject);
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->ctx_ref);
    e->cur_rule = r;
    int st = ir_sandbox_call(e, 2, nres);
    e->cur_rule = NULL;
    if (st != LUA_OK) {
        int line;
        const char *msg = ir_sandbox_error(e, &line);
        ir_error_emit(e, r->info.id, r->info.file, line, 0, e->final_pass ? NULL : ir_file_name(e, e->cur_file),
                      e->final_pass ? 0 : e->cur_line, e->final_pass ? 0 : e->cur_col, msg);
        lua_pop(L, 1);
    }
    return st;
}

/* ---- phase 2: agencies ---- */

static char *field_str(lua_State *L, int doc, const char *name)
{
    int t = rawfield(L, doc, name);
    char *s = NULL;
    if (t == LUA_TSTRING || t == LUA_TNUMBER)
        s = strdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    return s;
}

/* A new entry in the file's list of audited agencies. */
static ir_audited *audited_add(isorules_engine *e, ir_file *f)
{
    ir_fileout *o = ir_file_out(f);
    if (!o)
        luaL_error(e->L, "not enough memory");
    ir_audited *nv = ir_grow(o->audited, &o->capaudited, o->naudited, sizeof *nv);
    if (!nv)
        luaL_error(e->L, "not enough memory");
    o->audited = nv;
    ir_audited *au = &o->audited[o->naudited++];
    memset(au, 0, sizeof *au);
    return au;
}

/* Runs each selected model rule's keep on the agency and keeps what it
 * returns as bytes (ir_keep_save), one buffer per keep rule in rule order. */
/* What keep functions return lives outside the Lua state, to the end of
 * the audit: a value bigger than a run's memory limit, or one that takes
 * the engine's kept bytes past the state's limit, is dropped with an errors
 * entry for the rule (a review's rule kept 40 MB an agency, past every
 * limit). */
static void keep_bounded(isorules_engine *e, const ir_rule *r, ir_buf *b)
{
    long long mem = e->limits[LIM_MEMORY], state = e->limits[LIM_STATE_MEMORY];
    int too_big = mem && b->n > (unsigned long long)mem;
    int too_many = state && e->kept_total + b->n > (unsigned long long)state;
    if (!too_big && !too_many) {
        e->kept_total += b->n;
        return;
    }
    char msg[128];
    if (too_big)
        snprintf(msg, sizeof msg, "memory limit reached (%lld bytes): the value keep returned", mem);
    else
        snprintf(msg, sizeof msg,
                 "memory limit of the whole state reached (state-memory %lld bytes): the values keep returned",
                 state);
    ir_error_emit(e, r->info.id, r->info.file, r->info.line, 0, ir_file_name(e, e->cur_file), e->cur_line,
                  e->cur_col, msg);
    ir_buf_free(b);
}

static void run_keeps(isorules_engine *e, ir_audited *au, int doc)
{
    lua_State *L = e->L;
    size_t n = 0;
    for (size_t i = 0; i < e->nrules; i++)
        n += e->rules[i].selected && e->rules[i].scope == SCOPE_MODEL && e->rules[i].keep_ref != LUA_NOREF;
    if (n == 0)
        return;
    if (!(au->kept = calloc(n, sizeof *au->kept)))
        luaL_error(L, "not enough memory");
    au->nkept = n;
    size_t k = 0;
    for (size_t i = 0; i < e->nrules; i++) {
        const ir_rule *r = &e->rules[i];
        if (!r->selected || r->scope != SCOPE_MODEL || r->keep_ref == LUA_NOREF)
            continue;
        if (call_rule(e, r, r->keep_ref, doc, 1) == LUA_OK) {
            if (!lua_isnil(L, -1))
                ir_keep_save(e, &au->kept[k], -1);
            lua_pop(L, 1);
            keep_bounded(e, r, &au->kept[k]);
        }
        k++;
    }
}

/* Audits the agency document at doc: model stage, agency rules, keeps. What
 * needs the whole model in file order (repeated ids, the index, kept facts)
 * is left in the file's `audited` list for take_in. */
static void audit_agency(isorules_engine *e, ir_file *f, int doc, int line, int col)
{
    lua_State *L = e->L;
    e->cur_agency = NULL;
    size_t model_from = e->sink->n;
    ir_model_check(e, doc, KIND_AGENCY, &e->unit);
    ir_audited *au = audited_add(e, f);
    ir_agency *a = &au->a;
    a->id = field_str(L, doc, "id");
    a->name = field_str(L, doc, "name");
    a->level = field_str(L, doc, "level");
    a->parent = field_str(L, doc, "parent");
    a->province = field_str(L, doc, "province");
    a->role = field_str(L, doc, "role");
    a->file = e->cur_file;
    a->line = line;
    a->col = col;
    const ir_node *nd = ir_pos_find(&e->unit, lua_topointer(L, doc));
    const ir_entry *en = nd ? ir_pos_entry_key(&e->unit, nd, "id", 2) : NULL;
    a->id_line = en ? en->line : line;
    a->id_col = en ? en->col : col;
    /* FMT002 and FMT003 came before the id was known: they are about it */
    for (size_t i = model_from; a->id && i < e->sink->n; i++) {
        ir_finding *fi = &e->sink->v[i];
        if (strcmp(fi->rule, "FMT001") != 0 && !fi->agency && !(fi->agency = strdup(a->id)))
            luaL_error(L, "not enough memory");
    }
    if (!a->id)
        ir_fmt(e, "FMT001", "agency", "cơ quan không có id", "the agency has no id", e->cur_file, line, col);
    e->cur_agency = a->id;
    ir_ctx_push(L);
    int ctx = lua_gettop(L);
    ctx_catalogs(e, ctx, a->province);
    for (size_t i = 0; i < e->nrules; i++) {
        const ir_rule *r = &e->rules[i];
        if (r->selected && r->scope == SCOPE_AGENCY)
            call_rule(e, r, r->check_ref, doc, 0);
    }
    run_keeps(e, au, doc);
    lua_settop(L, ctx - 1);
    e->cur_agency = NULL;
}

/* The second pass over one file: its agencies, one at a time. Findings go to
 * f->found, errors to f->errors, agencies to f->audited; take_in brings them
 * into the engine in file order. Runs on the engine or on a worker's. */
static int phase2(isorules_engine *e, void *ud)
{
    source *s = ud;
    lua_State *L = e->L;
    ir_file *f = &e->files[s->file];
    int base = lua_gettop(L);
    for (long doc = 0;; doc++) {
        if (atomic_load(&e->cancel))
            return ISORULES_CANCELLED;
        int line = 0, col = 0, rc;
        lua_settop(L, base);
        ir_pos_clear(&e->unit);
        ir_model_forget(L, &e->unit);
        if (doc < f->first_agency) {
            rc = ir_loader_next(&s->ld, L, &e->unit, s->file, IR_SKIP, &line, &col);
            if (rc == IR_LOAD_DOC)
                continue;
        } else {
            rc = ir_loader_next(&s->ld, L, &e->unit, s->file, IR_BUILD, &line, &col);
        }
        if (rc == IR_LOAD_END)
            break;
        if (rc == IR_LOAD_ERR) {
            load_error(e, s);
            break;
        }
        int d = lua_gettop(L);
        int kind = ir_model_kind(L, d);
        e->cur_line = line;
        e->cur_col = col;
        if (kind == KIND_AGENCY) {
            audit_agency(e, s->into, d, line, col);
        } else if (kind >= KIND_LEGAL && kind <= KIND_PLAN) {
            input_error(e, s->file, line, col,
                        "a register (legal, catalog, plan) after an agency document: registers "
                        "must come first in a file; this one is not read");
        } else if (kind != KIND_EXPECT) {
            bad_kind(e, d, kind, line, col);
        }
    }
    lua_settop(L, base);
    ir_pos_clear(&e->unit);
    ir_model_forget(L, &e->unit);
    return ISORULES_OK;
}

/* Audits file i's agencies on engine e (the engine itself or a worker),
 * leaving the results in `into` (the engine's record of that file). */
static int audit_file(isorules_engine *e, uint32_t i, ir_file *into)
{
    source s;
    int rc = ISORULES_OK;
    e->cur_file = i;
    ir_fileout *o = ir_file_out(into);
    if (!o)
        return ISORULES_NOMEM;
    e->sink = &o->found;
    e->errbuf = &o->errors;
    /* phase2 reads e->files[i]; on a worker that is its own copy */
    if (source_open(e, &s, i, 2) != 0) {
        into->failed = 1;
    } else {
        s.into = into;
        s.ld.nodes = e->files[i].nodes1; /* the limit is per file: both passes count */
        rc = protect(e, phase2, &s);
        ir_pos_clear(&e->unit); /* also when phase2 was stopped by an error */
        ir_model_forget(e->L, &e->unit);
        source_close(&s);
        if (e->files[i].failed)
            into->failed = 1;
    }
    e->errbuf = NULL;
    e->sink = NULL;
    return rc;
}

void ir_repeated_agency_message(const char *id, int vi, char *buf, size_t n)
{
    if (vi)
        snprintf(buf, n, "id cơ quan '%.200s' đã dùng cho một cơ quan trước đó", id);
    else
        snprintf(buf, n, "agency id '%.200s' is already used by an earlier agency", id);
}

/* ---- the agency index: the first agency of each id, and the words ----
 *
 * Both are open-addressing tables of 1-based numbers (0: empty) found by
 * the text they stand for, which a text function gives back, kept under
 * half full. */

typedef const char *(*slot_text)(const isorules_engine *e, uint32_t v);

static const char *id_text(const isorules_engine *e, uint32_t v) { return ir_indexed_id(&e->index[v - 1]); }
static const char *word_text(const isorules_engine *e, uint32_t v) { return e->words[v - 1]; }

static size_t hash_text(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return (size_t)(h ^ (h >> 32));
}

/* The number standing for s[0..n), or 0. A text with a NUL stands for
 * nothing (the table's texts are C strings). */
static uint32_t slots_find(const isorules_engine *e, const uint32_t *slots, size_t nslots, slot_text text,
                           const char *s, size_t n)
{
    if (!nslots)
        return 0;
    size_t mask = nslots - 1;
    for (size_t i = hash_text(s, n) & mask; slots[i]; i = (i + 1) & mask) {
        const char *t = text(e, slots[i]);
        if (strlen(t) == n && memcmp(t, s, n) == 0)
            return slots[i];
    }
    return 0;
}

static void slots_put(const isorules_engine *e, uint32_t *slots, size_t nslots, slot_text text, uint32_t v)
{
    const char *t = text(e, v);
    size_t mask = nslots - 1, i = hash_text(t, strlen(t)) & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = v;
}

/* Puts v in the table, which holds used numbers, doubling it first when it
 * would be half full; 0, or -1 when out of memory. */
static int slots_add(isorules_engine *e, uint32_t **slots, size_t *nslots, size_t used, slot_text text, uint32_t v)
{
    if (*nslots < 2 * (used + 1)) {
        size_t want = *nslots ? *nslots * 2 : 256;
        uint32_t *ns = calloc(want, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t k = 0; k < *nslots; k++)
            if ((*slots)[k])
                slots_put(e, ns, want, text, (*slots)[k]);
        free(*slots);
        *slots = ns;
        *nslots = want;
    }
    slots_put(e, *slots, *nslots, text, v);
    return 0;
}

long ir_index_find(const isorules_engine *e, const char *id, size_t n)
{
    return (long)slots_find(e, e->idslots, e->nidslots, id_text, id, n) - 1;
}

/* Makes entry i the owner of its id unless an earlier agency has it:
 * 1 when it does, 0 when the id is taken, -1 when out of memory. */
static int index_claim(isorules_engine *e, size_t i)
{
    const char *id = ir_indexed_id(&e->index[i]);
    size_t n = strlen(id);
    if (ir_index_find(e, id, n) >= 0)
        return 0;
    if (slots_add(e, &e->idslots, &e->nidslots, e->nowners, id_text, (uint32_t)i + 1) != 0)
        return -1;
    e->nowners++;
    if (n > e->max_id)
        e->max_id = n;
    return 1;
}

/* Which of an entry's words field k is, or -1. */
static int word_of(int k) { return k == IX_LEVEL ? 0 : k == IX_PROVINCE ? 1 : k == IX_ROLE ? 2 : -1; }

/* 1 + the word that holds field k of a, or 0 when the field is in its text. */
static unsigned word_at(const ir_indexed *a, int k)
{
    int w = word_of(k);
    return w >= 0 ? a->word[w] : 0;
}

const char *ir_indexed_field(const isorules_engine *e, const ir_indexed *a, int k)
{
    if (!(a->fields >> k & 1))
        return NULL;
    if (word_at(a, k))
        return e->words[word_at(a, k) - 1];
    const char *s = a->text;
    for (int i = 0; i < k; i++)
        if (a->fields >> i & 1 && !word_at(a, i))
            s += strlen(s) + 1;
    return s;
}

/* 1 + the word for s, added when new; 0 when there is no room (the caller
 * keeps s in the entry's text), -1 when out of memory. */
static int word_id(isorules_engine *e, const char *s)
{
    size_t n = strlen(s);
    uint32_t found = slots_find(e, e->wordslots, e->nwordslots, word_text, s, n);
    if (found)
        return (int)found;
    if (e->nwords >= UINT16_MAX)
        return 0;
    const char **nv = ir_grow(e->words, &e->capwords, e->nwords, sizeof *nv);
    if (!nv)
        return -1;
    e->words = nv;
    const char *w = ir_arena_str(&e->index_text, s, n);
    if (!w)
        return -1;
    e->words[e->nwords] = w;
    if (slots_add(e, &e->wordslots, &e->nwordslots, e->nwords, word_text, (uint32_t)e->nwords + 1) != 0)
        return -1;
    return (int)++e->nwords;
}

/* Appends agency a to the index (room made by the caller), its strings
 * packed into the index's arena. 0, or -1 when out of memory. */
static int index_add(isorules_engine *e, const ir_agency *a)
{
    const char *f[IX_COUNT] = {a->id, a->name, a->level, a->parent, a->province, a->role};
    ir_indexed x = {NULL, a->file, a->line, 0, 0, {0, 0, 0}};
    size_t n = 0;
    for (int k = 0; k < IX_COUNT; k++) {
        if (!f[k])
            continue;
        x.fields |= (uint8_t)(1u << k);
        int w = word_of(k), id = w >= 0 ? word_id(e, f[k]) : 0;
        if (id < 0)
            return -1;
        if (id > 0)
            x.word[w] = (uint16_t)id;
        else
            n += strlen(f[k]) + 1;
    }
    char *text = ir_arena_copy(&e->index_text, NULL, n ? n : 1);
    if (!text)
        return -1;
    x.text = text;
    for (int k = 0; k < IX_COUNT; k++)
        if (f[k] && !word_at(&x, k)) {
            size_t len = strlen(f[k]) + 1;
            memcpy(text, f[k], len);
            text += len;
        }
    e->index[e->nindex++] = x;
    return 0;
}

/* Takes in the agencies of a finished file, in order: the index, repeated
 * ids (FMT001, which only the file order can decide), the kept facts. */
static int take_in(isorules_engine *e, void *ud)
{
    ir_fileout *o = ud;
    lua_State *L = e->L;
    for (size_t n = 0; n < o->naudited; n++) {
        ir_audited *au = &o->audited[n];
        ir_indexed *nv = ir_grow(e->index, &e->capindex, e->nindex, sizeof *nv);
        if (!nv)
            return luaL_error(L, "not enough memory");
        e->index = nv;
        if (index_add(e, &au->a) != 0)
            return luaL_error(L, "not enough memory");
        const char *id = au->a.id;
        if (id) {
            int claimed = index_claim(e, e->nindex - 1);
            if (claimed < 0)
                return luaL_error(L, "not enough memory");
            e->index[e->nindex - 1].owns_id = (uint8_t)claimed;
            if (!claimed) {
                char vi[300], en[300];
                ir_repeated_agency_message(id, 1, vi, sizeof vi);
                ir_repeated_agency_message(id, 0, en, sizeof en);
                e->cur_agency = NULL;
                ir_fmt(e, "FMT001", id, vi, en, au->a.file, au->a.id_line, au->a.id_col);
            }
        }
        size_t k = 0;
        for (size_t i = 0; i < e->nrules && k < au->nkept; i++) {
            const ir_rule *r = &e->rules[i];
            if (!r->selected || r->scope != SCOPE_MODEL || r->keep_ref == LUA_NOREF)
                continue;
            const ir_buf *b = &au->kept[k++];
            if (b->n == 0)
                continue; /* keep returned nil, or failed */
            if (b->oom || ir_keep_add(e, (uint32_t)i, (uint32_t)(e->nindex - 1), b) != 0)
                return luaL_error(L, "not enough memory");
        }
    }
    return ISORULES_OK;
}

/* Hands out a finished file in its turn: errors, then its findings sorted,
 * its agencies; when it failed, only its errors. */
static int finish_file(isorules_engine *e, uint32_t file)
{
    ir_file *f = &e->files[file];
    ir_fileout *o = f->out;
    int rc = ISORULES_OK;
    f->finished = 1;
    if (!o) /* nothing found, no error, no agency */
        return rc;
    if (!f->failed) {
        size_t index_from = e->nindex;
        e->cur_file = file;
        e->sink = &o->held;
        rc = protect(e, take_in, o);
        e->sink = NULL;
        if (rc == ISORULES_OK && ir_findings_take(&o->held, &o->found) != 0)
            rc = ISORULES_NOMEM;
        ir_errors_emit_free(e, &o->errors);
        ir_emit_findings(e, &o->held, 0);
        /* take_in made an index entry for each audited agency, in order */
        for (size_t i = index_from; i < e->nindex; i++) {
            e->sum.agencies++;
            const ir_agency *a = &o->audited[i - index_from].a;
            const char *id = ir_indexed_id(&e->index[i]);
            if (e->on_agency)
                e->on_agency(e->agency_ud, id, f->name, a->line);
            if (e->on_agency_info) {
                isorules_agency info = {id, f->name, a->line, a->col, a->id_line, a->id_col};
                e->on_agency_info(e->agency_info_ud, &info);
            }
        }
    } else {
        ir_errors_emit_free(e, &o->errors);
    }
    ir_file_results_free(f);
    return rc;
}

/* ---- plan rules and the final pass ---- */

static int plan_rules(isorules_engine *e, void *ud)
{
    (void)ud;
    lua_State *L = e->L;
    run_field(L, "plan");
    int plans = lua_gettop(L);
    for (lua_Integer i = 1; i <= (lua_Integer)lua_rawlen(L, plans); i++) {
        lua_rawgeti(L, plans, i);
        int p = lua_gettop(L);
        const ir_node *nd = ir_pos_find(&e->reg, lua_topointer(L, p));
        if (!nd) {
            lua_pop(L, 1);
            continue;
        }
        e->cur_file = nd->file;
        e->cur_line = nd->line;
        e->cur_col = nd->col;
        ir_fileout *o = ir_file_out(&e->files[nd->file]);
        if (!o)
            return luaL_error(L, "not enough memory");
        e->sink = &o->held;
        e->errbuf = &o->errors;
        for (size_t k = 0; k < e->nrules; k++) {
            const ir_rule *r = &e->rules[k];
            if (r->selected && r->scope == SCOPE_PLAN)
                call_rule(e, r, r->check_ref, p, 0);
        }
        lua_settop(L, plans);
    }
    e->errbuf = NULL;
    e->sink = NULL;
    lua_pop(L, 1);
    return ISORULES_OK;
}

static int final_pass(isorules_engine *e, void *ud)
{
    lua_State *L = e->L;
    ir_findings *out = ud;
    size_t nmodel = 0;
    for (size_t k = 0; k < e->nrules; k++)
        nmodel += e->rules[k].selected && e->rules[k].scope == SCOPE_MODEL;
    if (nmodel == 0) /* nothing to build the index for */
        return ISORULES_OK;
    ir_ctx_push(L);
    int ctx = lua_gettop(L);
    ir_keep_begin(L);
    ir_view_push(L, -1);
    int index = lua_gettop(L);
    lua_pushvalue(L, index);
    lua_setfield(L, ctx, "index");
    lua_pushnil(L);
    lua_setfield(L, ctx, "catalog");
    lua_pushnil(L);
    lua_setfield(L, ctx, "catalogs");
    e->sink = out;
    e->final_pass = 1;
    e->cur_file = UINT32_MAX; /* a finding on no node of the model has no file */
    e->cur_line = e->cur_col = 0;
    for (size_t k = 0; k < e->nrules; k++) {
        const ir_rule *r = &e->rules[k];
        if (!r->selected || r->scope != SCOPE_MODEL)
            continue;
        ir_view_push(L, (int)k);
        lua_setfield(L, ctx, "kept");
        call_rule(e, r, r->check_ref, index, 0);
    }
    e->final_pass = 0;
    lua_pushnil(L);
    lua_setfield(L, ctx, "kept");
    ir_keep_end(L);
    lua_settop(L, ctx - 1);
    return ISORULES_OK;
}

/* ---- the run ---- */

static void progress(isorules_engine *e, int pass, size_t done, const char *file)
{
    if (!e->on_progress)
        return;
    e->on_progress(e->progress_ud, pass, (int)done, (int)e->nfiles, file);
}

static void select_rules(isorules_engine *e)
{
    e->sum.rules = 0;
    for (size_t i = 0; i < e->nrules; i++) {
        ir_rule *r = &e->rules[i];
        r->selected = (!e->only || ir_matches(e->only, r->info.id)) &&
                      !(e->skip && ir_matches(e->skip, r->info.id));
        e->sum.rules += r->selected;
    }
}

/* ---- workers for the second pass ---- */

static int needs_phase2(const ir_file *f) { return !f->failed && f->first_agency >= 0; }

/* An engine for a worker thread: the same settings and rules as m, its
 * registers read from the files that hold them. NULL when out of memory. */
static isorules_engine *worker_open(isorules_engine *m)
{
    isorules_engine *w;
    if (isorules_open(&w) != ISORULES_OK)
        return NULL;
    memcpy(w->limits, m->limits, sizeof w->limits);
    memcpy(w->as_of, m->as_of, sizeof w->as_of);
    w->lang = m->lang;
    for (size_t i = 0; i < m->nsources; i++) {
        const ir_source *s = &m->sources[i];
        if (!(s->builtin && strcmp(s->name, "rules/format.lua") == 0)) /* loaded by open */
            ir_rules_load(w, s->name, s->src, s->len, s->builtin);
    }
    w->only = m->only ? strdup(m->only) : NULL;
    w->skip = m->skip ? strdup(m->skip) : NULL;
    select_rules(w);
    w->files = calloc(m->nfiles + 1, sizeof *w->files);
    if (!w->files || protect(w, run_reset, NULL) != ISORULES_OK) {
        isorules_close(w);
        return NULL;
    }
    w->nfiles = m->nfiles;
    for (size_t i = 0; i < m->nfiles; i++) {
        ir_file *f = &w->files[i];
        f->name = m->files[i].name; /* the engine's, which outlives its workers */
        f->buffer = m->files[i].buffer;
        f->failed = m->files[i].failed;
        f->first_agency = m->files[i].first_agency;
        f->has_registers = m->files[i].has_registers;
        f->nodes1 = m->files[i].nodes1;
    }
    for (size_t i = 0; i < w->nfiles; i++) {
        source s;
        if (w->files[i].failed || !w->files[i].has_registers)
            continue;
        w->cur_file = (uint32_t)i;
        w->sink = NULL; /* the engine reports the registers' findings */
        if (source_open(w, &s, (uint32_t)i, 1) != 0)
            continue;
        protect(w, phase1, &s);
        source_close(&s);
    }
    if (protect(w, ctx_registers, NULL) != ISORULES_OK) {
        isorules_close(w);
        return NULL;
    }
    return w;
}

typedef struct pool {
    isorules_engine *m;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;      /* the next file to hand out */
    size_t committed; /* files the engine has taken in */
    size_t ahead;     /* how far workers may run ahead of it */
    int stop, rc;
} pool;

typedef struct worker {
    pool *p;
    isorules_engine *e;
    pthread_t t;
    int started;
} worker;

static void *worker_main(void *arg)
{
    worker *wk = arg;
    pool *p = wk->p;
    isorules_engine *m = p->m;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->next < m->nfiles && p->next >= p->committed + p->ahead)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop || p->next >= m->nfiles) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        size_t i = p->next++;
        pthread_mutex_unlock(&p->mu);
        ir_file *f = &m->files[i];
        int rc = needs_phase2(f) ? audit_file(wk->e, (uint32_t)i, f) : ISORULES_OK;
        pthread_mutex_lock(&p->mu);
        f->done = 1;
        if (rc != ISORULES_OK && p->rc == ISORULES_OK)
            p->rc = rc;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

/* Waits for file i, passing a cancel on to the workers. */
static int wait_for(pool *p, worker *wk, int nw, size_t i)
{
    isorules_engine *m = p->m;
    int rc = ISORULES_OK;
    pthread_mutex_lock(&p->mu);
    while (!m->files[i].done && p->rc == ISORULES_OK) {
        if (atomic_load(&m->cancel)) {
            for (int k = 0; k < nw; k++)
                isorules_cancel(wk[k].e);
            rc = ISORULES_CANCELLED;
            break;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
    if (rc == ISORULES_OK)
        rc = p->rc;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* The second pass with nw workers, each on its engine; the engine takes the
 * files in as they finish, in file order, so the report is that of one
 * thread. */
static int phase2_parallel(isorules_engine *e, int nw)
{
    pool p;
    memset(&p, 0, sizeof p);
    p.m = e;
    p.ahead = (size_t)nw * 4;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    worker *wk = calloc((size_t)nw, sizeof *wk);
    int rc = wk ? ISORULES_OK : ISORULES_NOMEM;
    for (int k = 0; k < nw && rc == ISORULES_OK; k++) {
        wk[k].p = &p;
        if (!(wk[k].e = worker_open(e)))
            rc = ISORULES_NOMEM;
    }
    for (int k = 0; k < nw && rc == ISORULES_OK; k++)
        wk[k].started = pthread_create(&wk[k].t, NULL, worker_main, &wk[k]) == 0;
    int started = 0;
    for (int k = 0; k < nw && wk; k++)
        started += wk[k].started;
    if (rc == ISORULES_OK && started == 0)
        rc = ISORULES_NOMEM; /* no thread could start: the caller goes on serially */
    for (size_t i = 0; i < e->nfiles && rc == ISORULES_OK; i++) {
        progress(e, 2, i, e->files[i].name);
        /* a worker takes every file, and the results of one (its failed flag
         * too) are read only once it is marked done, under the lock */
        rc = wait_for(&p, wk, nw, i);
        if (rc == ISORULES_OK)
            rc = finish_file(e, (uint32_t)i);
        pthread_mutex_lock(&p.mu);
        p.committed = i + 1;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
    }
    pthread_mutex_lock(&p.mu);
    p.stop = 1;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (int k = 0; wk && k < nw; k++) {
        if (wk[k].started) {
            if (rc != ISORULES_OK)
                isorules_cancel(wk[k].e);
            pthread_join(wk[k].t, NULL);
        }
        isorules_close(wk[k].e);
    }
    free(wk);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    return rc;
}

/* Has any file been handed out yet (its findings given to the callbacks)? */
static int any_finished(const isorules_engine *e)
{
    for (size_t i = 0; i < e->nfiles; i++)
        if (e->files[i].finished)
            return 1;
    return 0;
}

static int run_files(isorules_engine *e)
{
    int rc = ISORULES_OK;
    for (size_t i = 0; i < e->nfiles && rc == ISORULES_OK; i++) {
        source s;
        progress(e, 1, i, e->files[i].name);
        if (atomic_load(&e->cancel))
            return ISORULES_CANCELLED;
        ir_file *f = &e->files[i];
        ir_fileout *o = ir_file_out(f);
        if (!o)
            return ir_fail(e, ISORULES_NOMEM, "out of memory");
        e->cur_file = (uint32_t)i;
        e->sink = &o->held;
        e->errbuf = &o->errors; /* handed out at the file's turn */
        if (source_open(e, &s, (uint32_t)i, 1) != 0) {
            f->failed = 1;
        } else {
            rc = protect(e, phase1, &s);
            f->nodes1 = s.ld.nodes;
            source_close(&s);
        }
        e->errbuf = NULL;
        e->sink = NULL;
        if (f->failed)
            ir_findings_free(&o->held);
        if (o->held.n == 0 && o->errors.n == 0)
            ir_file_results_free(f); /* nothing waits for its turn */
    }
    if (rc == ISORULES_OK)
        rc = protect(e, ctx_registers, NULL);
    if (rc == ISORULES_OK)
        rc = protect(e, plan_rules, NULL);
    e->errbuf = NULL; /* also when plan_rules was stopped */
    e->sink = NULL;
    size_t busy = 0;
    for (size_t i = 0; i < e->nfiles; i++)
        busy += needs_phase2(&e->files[i]);
    int nw = e->jobs < (int)busy ? e->jobs : (int)busy;
    int serial = rc != ISORULES_OK || nw <= 1;
    if (!serial) {
        rc = phase2_parallel(e, nw);
        /* no worker could be made or started, and nothing was handed out
         * yet: audit on this thread instead */
        serial = rc == ISORULES_NOMEM && e->nindex == 0 && e->sum.agencies == 0 && !any_finished(e);
        if (serial)
            rc = ISORULES_OK;
    }
    if (serial) {
        for (size_t i = 0; i < e->nfiles && rc == ISORULES_OK; i++) {
            progress(e, 2, i, e->files[i].name);
            if (needs_phase2(&e->files[i]))
                rc = audit_file(e, (uint32_t)i, &e->files[i]);
            if (rc == ISORULES_OK)
                rc = finish_file(e, (uint32_t)i);
        }
    }
    progress(e, 2, e->nfiles, NULL);
    if (rc == ISORULES_OK && atomic_load(&e->cancel))
        rc = ISORULES_CANCELLED;
    if (rc == ISORULES_OK) {
        ir_findings final = {0};
        rc = protect(e, final_pass, &final);
        e->final_pass = 0;
        ir_emit_findings(e, &final, 1);
    }
    return rc;
}

int isorules_run(isorules_engine *e)
{
    if (e->running)
        return ir_fail(e, ISORULES_MISUSE, "isorules_run called while running");
    e->running = 1;
    atomic_store(&e->cancel, 0);
    memset(&e->sum, 0, sizeof e->sum);
    e->errmsg[0] = '\0';
    ir_run_free(e);
    ir_last_names_free(e);
    ir_results_clear(e);
    select_rules(e);
    for (size_t i = 0; i < e->npending; i++) {
        const ir_error *p = &e->pending[i];
        ir_error_emit(e, NULL, p->file, p->line, 0, NULL, 0, 0, p->message);
    }
    int rc = protect(e, run_reset, NULL);
    if (rc == ISORULES_OK)
        rc = ir_collect_files(e);
    e->sum.files = (int)e->nfiles;
    if (rc == ISORULES_OK)
        rc = run_files(e);
    e->sink = NULL;
    e->cur_agency = NULL;
    protect(e, run_drop, NULL);
    /* the input names outlive the run (isorules_input_name); without the
     * memory for the list of them, the list is empty (their text is kept
     * until the next run all the same) */
    e->last_names = e->nfiles ? calloc(e->nfiles, sizeof *e->last_names) : NULL;
    e->nlast_names = e->last_names ? e->nfiles : 0;
    for (size_t i = 0; i < e->nlast_names; i++)
        e->last_names[i] = e->files[i].name;
    e->last_names_text = e->names; /* the text moves with them */
    memset(&e->names, 0, sizeof e->names);
    ir_run_free(e);
    e->running = 0;
    if (rc == ISORULES_CANCELLED)
        ir_fail(e, rc, "cancelled");
    return rc;
}
