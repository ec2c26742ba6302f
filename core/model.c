/* model.c: the model stage (ENGINE.md "Model"). Before any rule runs, the
 * known fields of each document (FORMAT.md "Known fields") are checked and
 * normalised in place: dates to ISO, amounts and years to integers, ids and
 * codes to their normal form, a single id where a list is expected to a list
 * of one. What is unreadable is removed from what rules see and reported
 * (FMT002); a key within two edits of a known one is reported (FMT003).
 *
 * The walk follows a static schema, visits each table once (an alias is the
 * same table, so an alias bomb costs nothing) and never recurses deeper than
 * MAX_DEPTH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#include "engine.h"
#include "load.h"
#include "util.h"

#define MAX_DEPTH 200
#define PATH_MAX_LEN 512

typedef enum { T_ANY, T_ID, T_DATE, T_INT, T_AMOUNT, T_IDLIST, T_MAP, T_LIST } ftype;

typedef struct field {
    const char *key;
    ftype type;
    const struct field *sub; /* T_MAP: its fields; T_LIST: the fields of each item */
} field;

#define END {NULL, T_ANY, NULL}

static const field announcement_f[] = {{"date", T_DATE, NULL}, {"decision", T_ANY, NULL},
                                       {"notified", T_DATE, NULL}, END};
static const field scope_change_f[] = {{"date", T_DATE, NULL}, {"change", T_ANY, NULL},
                                       {"note", T_ANY, NULL}, END};
static const field dated_f[] = {{"date", T_DATE, NULL}, END};
static const field report_f[] = {{"year", T_INT, NULL}, {"submitted", T_DATE, NULL},
                                 {"to", T_ID, NULL}, END};
static const field qms_f[] = {{"standard", T_ANY, NULL},
                              {"applied_since", T_DATE, NULL},
                              {"announcements", T_LIST, announcement_f},
                              {"scope_changes", T_LIST, scope_change_f},
                              {"internal_audits", T_LIST, dated_f},
                              {"management_reviews", T_LIST, dated_f},
                              {"reports", T_LIST, report_f},
                              END};
static const field justification_f[] = {{"document", T_ANY, NULL}, {"date", T_DATE, NULL},
                                        {"reason", T_ANY, NULL}, END};
static const field procedure_f[] = {{"code", T_ID, NULL}, {"name", T_ANY, NULL},
                                    {"process", T_ID, NULL},
                                    {"justification", T_MAP, justification_f}, END};
static const field process_f[] = {{"id", T_ID, NULL},       {"title", T_ANY, NULL},
                                  {"issued", T_DATE, NULL}, {"revision", T_ANY, NULL},
                                  {"legal_basis", T_IDLIST, NULL}, END};
static const field agency_f[] = {{"kind", T_ANY, NULL},
                                 {"id", T_ID, NULL},
                                 {"name", T_ANY, NULL},
                                 {"level", T_ANY, NULL},
                                 {"parent", T_ID, NULL},
                                 {"province", T_ANY, NULL},
                                 {"role", T_ANY, NULL},
                                 {"qms", T_MAP, qms_f},
                                 {"procedures", T_LIST, procedure_f},
                                 {"processes", T_LIST, process_f},
                                 END};
static const field legal_doc_f[] = {{"id", T_ID, NULL},         {"title", T_ANY, NULL},
                                    {"issued", T_DATE, NULL},   {"expired", T_DATE, NULL},
                                    {"superseded_by", T_ID, NULL}, END};
static const field legal_f[] = {{"kind", T_ANY, NULL}, {"documents", T_LIST, legal_doc_f}, END};
static const field catalog_proc_f[] = {{"code", T_ID, NULL},        {"name", T_ANY, NULL},
                                       {"agencies", T_IDLIST, NULL}, {"level", T_ANY, NULL},
                                       {"published", T_DATE, NULL}, {"amended", T_DATE, NULL},
                                       {"abolished", T_DATE, NULL}, END};
static const field catalog_f[] = {{"kind", T_ANY, NULL},     {"issuer", T_ANY, NULL},
                                  {"province", T_ANY, NULL}, {"procedures", T_LIST, catalog_proc_f},
                                  END};
static const field budget_item_f[7];
static const field budget_item_f[7] = {{"id", T_ANY, NULL},         {"title", T_ANY, NULL},
                                       {"unit_price", T_AMOUNT, NULL}, {"quantity", T_AMOUNT, NULL},
                                       {"amount", T_AMOUNT, NULL},  {"items", T_LIST, budget_item_f},
                                       END};
static const field plan_f[] = {{"kind", T_ANY, NULL}, {"id", T_ANY, NULL},       {"date", T_DATE, NULL},
                               {"unit", T_ANY, NULL}, {"total", T_AMOUNT, NULL}, {"budget", T_LIST, budget_item_f},
                               END};

/* The path to the value being checked ("procedures[3].process"), kept as
 * segments and written out only for a finding: most values have none. */
typedef struct segment {
    const char *key; /* a mapping key (the posstore's text, which never moves), or NULL */
    size_t klen;
    long long index; /* a list index, when key is NULL */
} segment;

typedef struct walk {
    isorules_engine *e;
    lua_State *L;
    ir_posstore *ps;
    segment seg[2 * MAX_DEPTH + 8];
    size_t nseg;
    char path[PATH_MAX_LEN]; /* written by path_text */
} walk;

void ir_fmt(isorules_engine *e, const char *id, const char *subject, const char *vi, const char *en,
            uint32_t file, int line, int col)
{
    ir_rule *r = ir_rule_get(e, id);
    if (!r || !r->selected)
        return;
    ir_report(e, r, subject, e->lang == LANG_VI ? vi : en, file, line, col);
}

int ir_model_kind(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return KIND_NOTMAP;
    static const char *const names[] = {"agency", "legal", "catalog", "plan", "expect", NULL};
    lua_pushliteral(L, "kind");
    int t = lua_rawget(L, idx < 0 ? idx - 1 : idx);
    int kind = t == LUA_TNIL ? KIND_NONE : KIND_UNKNOWN;
    if (t == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, -1, &n);
        for (int i = 0; names[i]; i++) /* whole strings: "agency\0zz" is no kind */
            if (n == strlen(names[i]) && memcmp(s, names[i], n) == 0)
                kind = KIND_AGENCY + i;
    }
    lua_pop(L, 1);
    return kind;
}

/* Appends ".key" or "[i]" to the path; returns the old length to restore. */
static size_t path_push_key(walk *w, const char *key, size_t klen)
{
    size_t old = w->nseg;
    if (w->nseg < sizeof w->seg / sizeof w->seg[0])
        w->seg[w->nseg++] = (segment){key, klen, 0};
    return old;
}

static size_t path_push_index(walk *w, long long i)
{
    size_t old = w->nseg;
    if (w->nseg < sizeof w->seg / sizeof w->seg[0])
        w->seg[w->nseg++] = (segment){NULL, 0, i};
    return old;
}

static void path_pop(walk *w, size_t old)
{
    w->nseg = old;
}

/* The path as text, cut at PATH_MAX_LEN - 1 bytes. */
static const char *path_text(walk *w)
{
    size_t len = 0, cap = sizeof w->path;
    w->path[0] = '\0';
    for (size_t i = 0; i < w->nseg && len < cap - 1; i++) {
        const segment *g = &w->seg[i];
        int n = g->key ? snprintf(w->path + len, cap - len, "%s%.*s", len ? "." : "", (int)g->klen, g->key)
                       : snprintf(w->path + len, cap - len, "[%lld]", g->index);
        if (n > 0)
            len += (size_t)n < cap - len ? (size_t)n : cap - len - 1;
    }
    return w->path;
}

/* A short description of the value at idx for messages. stack: +0 */
static void describe(lua_State *L, int idx, char *buf, size_t n)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        snprintf(buf, n, "\"%.60s\"", lua_tostring(L, idx));
        break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            snprintf(buf, n, "%lld", (long long)lua_tointeger(L, idx));
        else
            snprintf(buf, n, "%g", lua_tonumber(L, idx));
        break;
    case LUA_TBOOLEAN:
        snprintf(buf, n, "%s", lua_toboolean(L, idx) ? "true" : "false");
        break;
    case LUA_TTABLE: {
        const ir_node *nd = ir_node_of(*(isorules_engine **)lua_getextraspace(L), L, idx, NULL);
        snprintf(buf, n, "%s", nd && nd->kind == IR_SEQ ? "a list" : "a mapping");
        break;
    }
    default:
        snprintf(buf, n, "null");
        break;
    }
}

static void fmt002(walk *w, const ir_entry *en, const char *what_vi, const char *what_en, int vidx)
{
    char val[80], vi[300], en_[300];
    if (lua_type(w->L, vidx) == LUA_TLIGHTUSERDATA) { /* a null list item */
        snprintf(vi, sizeof vi, "mục danh sách %s", what_vi);
        snprintf(en_, sizeof en_, "the list item %s", what_en);
    } else {
        describe(w->L, vidx, val, sizeof val);
        snprintf(vi, sizeof vi, "%s %s", val, what_vi);
        snprintf(en_, sizeof en_, "%s %s", val, what_en);
    }
    ir_fmt(w->e, "FMT002", path_text(w), vi, en_, w->e->cur_file, en->line, en->col);
}

static void walk_map(walk *w, int tidx, const field *fields, int depth);

static int node_kind(walk *w, int idx)
{
    const ir_node *nd = ir_pos_find(w->ps, lua_topointer(w->L, idx));
    return nd ? nd->kind : 0;
}

/* Ids of at most this many bytes have their normal form cached, and at most
 * NFC_CACHE_MAX of them at a time: a few hundred KiB at worst. */
#define NFC_CACHE_LEN 96
#define NFC_CACHE_MAX 4096
static const char nfc_cache_key = 0;

/* Pushes the cache of normal forms: id -> its normal form, or false when it
 * is not one; at index 1, how many it holds. With full, a new one when this
 * one holds NFC_CACHE_MAX. */
static void nfc_cache(lua_State *L, int full)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &nfc_cache_key) == LUA_TTABLE) {
        if (!full)
            return;
        lua_rawgeti(L, -1, 1);
        lua_Integer count = lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (count < NFC_CACHE_MAX) {
            lua_pushinteger(L, count + 1);
            lua_rawseti(L, -2, 1);
            return;
        }
    }
    lua_pop(L, 1);
    lua_createtable(L, 1, 64);
    lua_pushinteger(L, 1);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &nfc_cache_key);
}

/* Normalises the id at the top of the stack in place; returns whether it
 * changed (a value already normal is left as it is). stack: v -> v' */
static int normalize_top(lua_State *L)
{
    if (lua_type(L, -1) == LUA_TNUMBER) {
        luaL_tolstring(L, -1, NULL);
        lua_remove(L, -2);
        return 1;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        return 0;
    size_t n, outn, i = 0;
    const char *s = lua_tolstring(L, -1, &n);
    /* most ids are ASCII with no surrounding space: already normal */
    while (i < n && (unsigned char)s[i] < 0x80)
        i++;
    if (i == n && (n == 0 || (s[0] != ' ' && s[0] != '\t' && s[n - 1] != ' ' && s[n - 1] != '\t' &&
                              s[0] != '\r' && s[n - 1] != '\r' && s[0] != '\n' && s[n - 1] != '\n')))
        return 0;
    /* the rest goes through utf8proc (6,000 instructions an id), so the
     * answers for short ids are kept: an agency cites the same few legal
     * documents ("Nghị định 63/2010/NĐ-CP") again and again */
    int cached = n <= NFC_CACHE_LEN;
    if (cached) {
        nfc_cache(L, 0);
        lua_pushvalue(L, -2);
        int t = lua_rawget(L, -2);
        if (t != LUA_TNIL) { /* stack: v cache answer */
            int same = t == LUA_TBOOLEAN || lua_rawequal(L, -1, -3);
            if (same)
                lua_pop(L, 2);
            else
                lua_replace(L, -3), lua_pop(L, 1);
            return !same;
        }
        lua_pop(L, 2);
    }
    int ok = ir_normalize_boxed(L, s, n, &outn) != NULL; /* stack: v [v'] */
    if (cached) {
        nfc_cache(L, 1); /* room for one more */
        lua_pushvalue(L, ok ? -3 : -2);
        if (ok)
            lua_pushvalue(L, -3);
        else
            lua_pushboolean(L, 0); /* not an id: left as it is */
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    if (!ok)
        return 0;
    lua_remove(L, -2); /* the normal form replaces the value */
    return 1;
}

/* A table the model stage removes is kept alive, by a list for its store
 * (in the registry under the store's address) until the store's records are
 * cleared (ir_model_forget): so no new table can take its address, or a
 * child's, and inherit a position that is not its own. */
static void bury(walk *w, int idx)
{
    lua_State *L = w->L;
    idx = lua_absindex(L, idx);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, w->ps) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, w->ps);
    }
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
}

void ir_model_forget(lua_State *L, const ir_posstore *ps)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, ps) != LUA_TNIL) {
        lua_pushnil(L);
        lua_rawsetp(L, LUA_REGISTRYINDEX, ps);
    }
    lua_pop(L, 1);
}

/* One value of a known field: the value is at the top (not nil); the table
 * at tidx, the key in (key, klen). Rewrites or removes it in the table. */
static void check_value(walk *w, int tidx, const field *f, const ir_entry *en, int depth)
{
    lua_State *L = w->L;
    int v = lua_gettop(L);
    int t = lua_type(L, v);
    int64_t iv;
    size_t n;
    const char *s;
    int y, m, d;
    char buf[11];
    switch (f->type) {
    case T_ANY:
        return;
    case T_ID:
        if (t == LUA_TSTRING || t == LUA_TNUMBER) {
            if (!normalize_top(L))
                return; /* already normal: the table holds it */
            break;
        }
        fmt002(w, en, "không phải một mã định danh", "is not an identifier", v);
        lua_pushnil(L);
        break;
    case T_DATE:
        if (t == LUA_TSTRING && (s = lua_tolstring(L, v, &n)) && ir_parse_date(s, n, &y, &m, &d)) {
            ir_format_date(buf, y, m, d);
            if (n == 10 && memcmp(s, buf, 10) == 0)
                return; /* already YYYY-MM-DD */
            lua_pushstring(L, buf);
            break;
        }
        fmt002(w, en, "không phải ngày hợp lệ (YYYY-MM-DD hoặc D/M/YYYY)",
               "is not a valid date (YYYY-MM-DD or D/M/YYYY)", v);
        lua_pushnil(L);
        break;
    case T_INT:
        if (lua_isinteger(L, v) && t == LUA_TNUMBER)
            return;
        fmt002(w, en, "không phải số nguyên", "is not an integer", v);
        lua_pushnil(L);
        break;
    case T_AMOUNT:
        if (t == LUA_TNUMBER && lua_isinteger(L, v))
            return;
        if (t == LUA_TSTRING && (s = lua_tolstring(L, v, &n)) && ir_parse_amount(s, n, &iv)) {
            lua_pushinteger(L, (lua_Integer)iv);
            break;
        }
        fmt002(w, en, "không phải số tiền hoặc số lượng đọc được (123456 hoặc 123.456)",
               "is not a readable amount (123456 or 123.456)", v);
        lua_pushnil(L);
        break;
    case T_IDLIST:
        if (t == LUA_TSTRING || t == LUA_TNUMBER) {
            /* a single id is read as a list of one, at the same position */
            lua_createtable(L, 1, 0);
            lua_pushvalue(L, v);
            normalize_top(L);
            lua_rawseti(L, -2, 1);
            long idx = ir_pos_add(w->ps, lua_topointer(L, -1), IR_SEQ, en->line, en->col, w->e->cur_file);
            ir_entry one = {NULL, 0, 0, 0, en->line, en->col};
            if (idx >= 0)
                ir_pos_set_entries(w->ps, idx, &one, 1);
            break;
        }
        if (t == LUA_TTABLE && node_kind(w, v) == IR_SEQ) {
            const ir_node *nd = ir_pos_find(w->ps, lua_topointer(L, v));
            if (nd->seen)
                return;
            ((ir_node *)nd)->seen = 1;
            lua_Integer len = (lua_Integer)lua_rawlen(L, v);
            for (lua_Integer i = 1; i <= len; i++) {
                int it = lua_rawgeti(L, v, i);
                if (it == LUA_TSTRING || it == LUA_TNUMBER) {
                    if (!normalize_top(L)) {
                        lua_pop(L, 1); /* already normal */
                        continue;
                    }
                } else {
                    /* a null item or one that is not an id: FMT002, skipped by rules */
                    const ir_entry *ie = ir_pos_entry_index(w->ps, ir_pos_find(w->ps, lua_topointer(L, v)), i);
                    size_t old = path_push_index(w, (long long)i - 1);
                    if (ie && it == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == IR_NULL_ITEM)
                        fmt002(w, ie, "trống (null)", "is empty (null)", lua_gettop(L));
                    else if (ie)
                        fmt002(w, ie, "không phải một mã định danh", "is not an identifier", lua_gettop(L));
                    if (it == LUA_TTABLE)
                        bury(w, -1);
                    path_pop(w, old);
                    lua_pop(L, 1);
                    lua_pushlightuserdata(L, IR_NULL_ITEM);
                }
                lua_rawseti(L, v, i);
            }
            return;
        }
        fmt002(w, en, "không phải danh sách mã", "is not a list of identifiers", v);
        lua_pushnil(L);
        break;
    case T_MAP:
        if (t == LUA_TTABLE && node_kind(w, v) == IR_MAP) {
            walk_map(w, v, f->sub, depth + 1);
            return;
        }
        fmt002(w, en, "phải là một ánh xạ (mapping)", "must be a mapping", v);
        lua_pushnil(L);
        break;
    case T_LIST:
        if (t == LUA_TTABLE && node_kind(w, v) == IR_SEQ) {
            const ir_node *nd = ir_pos_find(w->ps, lua_topointer(L, v));
            if (nd->seen)
                return;
            ((ir_node *)nd)->seen = 1;
            lua_Integer len = (lua_Integer)lua_rawlen(L, v);
            for (lua_Integer i = 1; i <= len; i++) {
                const ir_entry *ie = ir_pos_entry_index(w->ps, ir_pos_find(w->ps, lua_topointer(L, v)), i);
                size_t old = path_push_index(w, (long long)i - 1);
                int it = lua_rawgeti(L, v, i);
                if (it == LUA_TTABLE && node_kind(w, -1) == IR_MAP) {
                    if (depth < MAX_DEPTH)
                        walk_map(w, lua_gettop(L), f->sub, depth + 1);
                } else if (ie) {
                    if (it == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == IR_NULL_ITEM)
                        fmt002(w, ie, "trống (null)", "is empty (null)", lua_gettop(L));
                    else
                        fmt002(w, ie, "phải là một ánh xạ (mapping)", "must be a mapping", lua_gettop(L));
                    if (it == LUA_TTABLE)
                        bury(w, -1);
                    lua_pushlightuserdata(L, IR_NULL_ITEM);
                    lua_rawseti(L, v, i);
                }
                lua_pop(L, 1);
                path_pop(w, old);
            }
            return;
        }
        fmt002(w, en, "phải là một danh sách", "must be a list", v);
        lua_pushnil(L);
        break;
    }
    /* the replacement is on top: store it under the key; a table it replaces
     * leaves the model */
    if (t == LUA_TTABLE)
        bury(w, v);
    lua_pushlstring(L, en->key, en->klen);
    lua_insert(L, -2);
    lua_rawset(L, tidx);
}

/* FMT003: an unknown key within two edits of a known one (and fewer edits
 * than the known key has characters, so that short keys are not matched by
 * anything). */
static void check_spelling(walk *w, const field *fields, const ir_entry *en)
{
    const field *best = NULL;
    int bestd = 3;
    for (const field *f = fields; f->key; f++) {
        size_t fl = strlen(f->key);
        int d = ir_edit_distance(en->key, en->klen, f->key, fl, 2);
        if (d <= 2 && d < (int)fl && d < bestd) {
            best = f;
            bestd = d;
        }
    }
    if (!best)
        return;
    char vi[300], en_[300];
    size_t old = path_push_key(w, en->key, en->klen);
    snprintf(vi, sizeof vi, "khóa '%.*s' không xác định: có phải là '%s'?", (int)en->klen, en->key,
             best->key);
    snprintf(en_, sizeof en_, "unknown key '%.*s': did you mean '%s'?", (int)en->klen, en->key,
             best->key);
    ir_fmt(w->e, "FMT003", path_text(w), vi, en_, w->e->cur_file, en->kline, en->kcol);
    path_pop(w, old);
}

static void walk_map(walk *w, int tidx, const field *fields, int depth)
{
    lua_State *L = w->L;
    ir_node *nd = ir_pos_find(w->ps, lua_topointer(L, tidx));
    if (!nd || nd->seen || depth > MAX_DEPTH)
        return;
    nd->seen = 1;
    luaL_checkstack(L, 8, "model");
    /* entries may move if the store grows (IDLIST adds records): index them */
    size_t first = nd->first, count = nd->count;
    for (size_t i = 0; i < count; i++) {
        ir_entry en = w->ps->ents[first + i];
        const field *f = fields;
        while (f->key && !(en.klen && f->key[0] == en.key[0] && strlen(f->key) == en.klen &&
                           memcmp(f->key, en.key, en.klen) == 0))
            f++;
        if (!f->key) {
            check_spelling(w, fields, &en);
            continue;
        }
        if (f->type == T_ANY)
            continue; /* any value will do: nothing to look at */
        lua_pushlstring(L, en.key, en.klen);
        if (lua_rawget(L, tidx) == LUA_TNIL) {
            lua_pop(L, 1);
            continue;
        }
        size_t old = path_push_key(w, en.key, en.klen);
        int top = lua_gettop(L) - 1;
        check_value(w, tidx, f, &en, depth);
        lua_settop(L, top);
        path_pop(w, old);
    }
}

/* FMT001 for each item of list[key] whose `field` repeats an earlier one;
 * set_idx is a table of the ids seen (shared across documents for a
 * model-wide register). */
static void check_repeats(isorules_engine *e, ir_posstore *ps, int doc, const char *list,
                          const char *key, int set_idx, int added)
{
    lua_State *L = e->L;
    lua_pushstring(L, list);
    if (lua_rawget(L, doc) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    int lst = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, lst);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, lst, i) != LUA_TTABLE || (lua_pushstring(L, key), lua_rawget(L, -2)) != LUA_TSTRING) {
            lua_settop(L, lst);
            continue;
        }
        /* stack: item id */
        lua_pushvalue(L, -1);
        if (lua_rawget(L, set_idx) != LUA_TNIL) {
            const ir_node *nd = ir_pos_find(ps, lua_topointer(L, -3));
            const char *id = lua_tostring(L, -2);
            size_t klen = strlen(key);
            const ir_entry *en = nd ? ir_pos_entry_key(ps, nd, key, klen) : NULL;
            char vi[300], en_[300];
            snprintf(vi, sizeof vi, "'%.200s' lặp lại một mã đã dùng trước đó", id);
            snprintf(en_, sizeof en_, "'%.200s' repeats an id used earlier", id);
            ir_fmt(e, "FMT001", id, vi, en_, e->cur_file, en ? en->line : 0, en ? en->col : 0);
        } else {
            lua_pushvalue(L, -2);
            lua_pushboolean(L, 1);
            lua_rawset(L, set_idx);
            if (added) { /* model-wide ids: the run may have to take them back */
                lua_getfield(L, LUA_REGISTRYINDEX, "isorules.legal_added");
                if (lua_istable(L, -1)) {
                    lua_pushvalue(L, -3);
                    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
                }
                lua_pop(L, 1);
            }
        }
        lua_settop(L, lst);
    }
    lua_pop(L, 1);
}

void ir_model_check(isorules_engine *e, int idx, int kind, ir_posstore *ps)
{
    lua_State *L = e->L;
    idx = lua_absindex(L, idx);
    walk w;
    w.e = e;
    w.L = L;
    w.ps = ps;
    w.path[0] = '\0';
    w.nseg = 0;
    const field *fields = kind == KIND_AGENCY    ? agency_f
                          : kind == KIND_LEGAL   ? legal_f
                          : kind == KIND_CATALOG ? catalog_f
                          : kind == KIND_PLAN    ? plan_f
                                                 : NULL;
    if (!fields)
        return;
    walk_map(&w, idx, fields, 0);
    if (kind == KIND_AGENCY) {
        lua_newtable(L);
        check_repeats(e, ps, idx, "processes", "id", lua_gettop(L), 0);
        lua_pop(L, 1);
    } else if (kind == KIND_CATALOG) {
        lua_newtable(L);
        check_repeats(e, ps, idx, "procedures", "code", lua_gettop(L), 0);
        lua_pop(L, 1);
    } else if (kind == KIND_LEGAL) {
        lua_getfield(L, LUA_REGISTRYINDEX, "isorules.legal_ids");
        check_repeats(e, ps, idx, "documents", "id", lua_gettop(L), 1);
        lua_pop(L, 1);
    }
}
