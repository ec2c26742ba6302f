/* rules.c: the rule API that rule files see (ENGINE.md "Rules in Lua"):
 * rule{...}, the isorules library (null, position), and ctx with report,
 * report_at and the date and money helpers. */
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#include "engine.h"
#include "load.h"
#include "util.h"

#define CTX_REAL "isorules.ctx"
#define CTX_META "isorules.ctxmeta"

static isorules_engine *engine_of(lua_State *L) { return *(isorules_engine **)lua_getextraspace(L); }

static char *dupstr(const char *s) { return s ? strdup(s) : NULL; }

static void rule_info_free(ir_rule *r)
{
    isorules_rule_info *in = &r->info;
    free((char *)in->id);
    free((char *)in->title_vi);
    free((char *)in->title_en);
    free((char *)in->explain_vi);
    free((char *)in->explain_en);
    free((char *)in->basis);
    free((char *)in->tags);
    free((char *)in->file);
    memset(in, 0, sizeof *in);
}

void ir_rules_free(isorules_engine *e)
{
    for (size_t i = 0; i < e->nrules; i++)
        rule_info_free(&e->rules[i]);
    free(e->rules);
    e->rules = NULL;
    e->nrules = e->caprules = 0;
}

ir_rule *ir_rule_get(isorules_engine *e, const char *id)
{
    for (size_t i = 0; i < e->nrules; i++)
        if (strcmp(e->rules[i].info.id, id) == 0)
            return &e->rules[i];
    return NULL;
}

/* ---- rule{...} ---- */

/* A {vi=, en=} pair or a string (both languages) at field `name` of the
 * table at idx. Raises on another type. */
static void get_bilingual(lua_State *L, int idx, const char *name, char **vi, char **en)
{
    int t = lua_getfield(L, idx, name);
    *vi = *en = NULL;
    if (t == LUA_TSTRING) {
        *vi = dupstr(lua_tostring(L, -1));
        *en = dupstr(lua_tostring(L, -1));
    } else if (t == LUA_TTABLE) {
        if (lua_getfield(L, -1, "vi") == LUA_TSTRING)
            *vi = dupstr(lua_tostring(L, -1));
        if (lua_getfield(L, -2, "en") == LUA_TSTRING)
            *en = dupstr(lua_tostring(L, -1));
        lua_pop(L, 2);
    } else if (t != LUA_TNIL) {
        luaL_error(L, "rule field '%s' must be a string or {vi = ..., en = ...}", name);
    }
    lua_pop(L, 1);
    if (!*vi)
        *vi = dupstr(*en ? *en : "");
    if (!*en)
        *en = dupstr(*vi);
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

static int func_ref(lua_State *L, int idx, const char *name, int required)
{
    int t = lua_getfield(L, idx, name);
    if (t == LUA_TNIL && !required) {
        lua_pop(L, 1);
        return LUA_NOREF;
    }
    if (t != LUA_TFUNCTION)
        return luaL_error(L, "rule field '%s' must be a function", name);
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Joins the strings of a list field into "a,b". stack: +0 */
static char *get_tags(lua_State *L, int idx)
{
    luaL_Buffer b;
    int t = lua_getfield(L, idx, "tags");
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return dupstr("");
    }
    if (t != LUA_TTABLE)
        luaL_error(L, "rule field 'tags' must be a list of strings");
    int tags = lua_gettop(L);
    luaL_buffinit(L, &b);
    lua_Integer n = (lua_Integer)lua_rawlen(L, tags);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, tags, i) != LUA_TSTRING)
            luaL_error(L, "rule field 'tags' must be a list of strings");
        if (i > 1)
            luaL_addchar(&b, ',');
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    char *s = dupstr(lua_tostring(L, -1));
    lua_pop(L, 2);
    return s;
}

/* Raises on a title, explain, basis or tags of the wrong type, before
 * anything is copied (a raise after the copies would leak them).
 * stack: +0 */
static void check_text_fields(lua_State *L)
{
    static const char *const bilingual[] = {"title", "explain", NULL};
    for (int i = 0; bilingual[i]; i++) {
        int t = lua_getfield(L, 1, bilingual[i]);
        if (t != LUA_TNIL && t != LUA_TSTRING && t != LUA_TTABLE)
            luaL_error(L, "rule field '%s' must be a string or {vi = ..., en = ...}", bilingual[i]);
        lua_pop(L, 1);
    }
    int t = lua_getfield(L, 1, "basis");
    if (t != LUA_TNIL && t != LUA_TSTRING)
        luaL_error(L, "rule field 'basis' must be a string");
    lua_pop(L, 1);
    t = lua_getfield(L, 1, "tags");
    if (t == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
                luaL_error(L, "rule field 'tags' must be a list of strings");
            lua_pop(L, 1);
        }
    } else if (t != LUA_TNIL) {
        luaL_error(L, "rule field 'tags' must be a list of strings");
    }
    lua_pop(L, 1);
}

/* The bytes of the strings of in, in *n; 0 when a copy failed. */
static int info_size(const isorules_rule_info *in, size_t *n)
{
    const char *const s[] = {in->id,         in->title_vi, in->title_en, in->explain_vi,
                             in->explain_en, in->basis,    in->tags,     in->file};
    *n = 0;
    for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
        if (!s[i])
            return 0;
        *n += strlen(s[i]) + 1;
    }
    return 1;
}

/* Frees what r holds: its strings and registry refs. */
static void rule_drop(lua_State *L, ir_rule *r)
{
    rule_info_free(r);
    luaL_unref(L, LUA_REGISTRYINDEX, r->check_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, r->keep_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, r->ctx_ref);
}

/* Replaces the rule table at 1 with a plain copy of its fields, each read
 * once (title and explain pairs too): read later through a metamethod, a
 * field could raise after the texts were copied out of Lua, and leak them
 * (a review leaked 2 MB a call, past every limit). */
static void snapshot_rule(lua_State *L)
{
    static const char *const fields[] = {"id",    "severity", "scope", "title", "explain",
                                         "basis", "tags",     "check", "keep",  NULL};
    lua_createtable(L, 0, 9);
    for (int i = 0; fields[i]; i++) {
        int pair = lua_getfield(L, 1, fields[i]) == LUA_TTABLE &&
                   (strcmp(fields[i], "title") == 0 || strcmp(fields[i], "explain") == 0);
        if (pair) {
            lua_createtable(L, 0, 2);
            lua_getfield(L, -2, "vi");
            lua_setfield(L, -2, "vi");
            lua_getfield(L, -2, "en");
            lua_setfield(L, -2, "en");
            lua_remove(L, -2);
        }
        lua_setfield(L, -2, fields[i]);
    }
    lua_replace(L, 1);
}

static const char *const scope_names[] = {"agency", "plan", "model", "format", NULL};
static const char *const severity_names[] = {"info", "warning", "error", NULL};

/* rule{...}: upvalues: file name, builtin flag, the file's ctx proxy. */
static int l_rule(lua_State *L)
{
    isorules_engine *e = engine_of(L);
    if (!e->loading)
        return luaL_error(L, "rule{} may only be called while its file loads, not from a rule");
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    snapshot_rule(L);
    if (lua_getfield(L, 1, "id") != LUA_TSTRING || !valid_id(lua_tostring(L, -1)))
        return luaL_error(L, "rule needs an id of letters, digits, '_', '-' or '.'");
    const char *id = lua_tostring(L, -1);
    lua_getfield(L, 1, "severity");
    int sev = luaL_checkoption(L, -1, NULL, severity_names);
    lua_getfield(L, 1, "scope");
    int scope = luaL_checkoption(L, -1, "agency", scope_names);
    int builtin = lua_toboolean(L, lua_upvalueindex(2));
    if (scope == SCOPE_FORMAT && !builtin)
        return luaL_error(L, "scope 'format' is reserved for the built-in FMT rules");
    lua_pop(L, 2);

    check_text_fields(L);
    ir_rule nr;
    memset(&nr, 0, sizeof nr);
    nr.scope = scope;
    nr.check_ref = nr.keep_ref = LUA_NOREF;
    if (scope != SCOPE_FORMAT)
        nr.check_ref = func_ref(L, 1, "check", 1);
    nr.keep_ref = func_ref(L, 1, "keep", 0);
    if (nr.keep_ref != LUA_NOREF && scope != SCOPE_MODEL)
        return luaL_error(L, "only a scope = \"model\" rule may have keep");
    lua_pushvalue(L, lua_upvalueindex(3));
    nr.ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_Debug ar;
    int line = 0;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
        line = ar.currentline;

    /* the tags first: their buffer may raise (memory), nothing after them
     * does (check_text_fields checked the types, and the table is plain) */
    char *tvi, *ten, *evi, *een, *tags = get_tags(L, 1);
    get_bilingual(L, 1, "title", &tvi, &ten);
    get_bilingual(L, 1, "explain", &evi, &een);
    lua_getfield(L, 1, "basis");
    const char *basis = lua_tostring(L, -1);

    isorules_rule_info *in = &nr.info;
    in->id = dupstr(id);
    in->severity = sev;
    in->scope = scope_names[scope];
    in->title_vi = tvi;
    in->title_en = ten;
    in->explain_vi = evi;
    in->explain_en = een;
    in->basis = dupstr(basis ? basis : "");
    in->tags = tags;
    in->file = dupstr(lua_tostring(L, lua_upvalueindex(1)));
    in->line = line;
    in->builtin = builtin;
    /* the copies live outside the Lua state as long as the engine: they
     * count against the memory limit of the file's load, or a file could
     * keep gigabytes in rules that share one long title */
    size_t kept;
    if (!info_size(in, &kept) || ir_sandbox_reserve(L, kept + sizeof nr) != 0) {
        rule_drop(L, &nr);
        return luaL_error(L, "not enough memory");
    }

    ir_rule *old = ir_rule_get(e, id);
    if (old) {
        rule_drop(L, old);
        *old = nr;
        return 0;
    }
    if (e->nrules == e->caprules) {
        size_t want = e->caprules ? e->caprules * 2 : 32;
        ir_rule *nv = realloc(e->rules, want * sizeof *nv);
        if (!nv) {
            rule_drop(L, &nr);
            return luaL_error(L, "not enough memory");
        }
        e->rules = nv;
        e->caprules = want;
    }
    e->rules[e->nrules++] = nr;
    return 0;
}

/* ---- positions ---- */

const ir_node *ir_node_of(isorules_engine *e, lua_State *L, int idx, const ir_posstore **store)
{
    if (!e || lua_type(L, idx) != LUA_TTABLE)
        return NULL;
    const void *obj = lua_topointer(L, idx);
    const ir_posstore *stores[2] = {&e->unit, &e->reg}; /* unit: empty but while an agency is audited */
    for (int i = 0; i < 2; i++) {
        const ir_node *nd = ir_pos_find(stores[i], obj);
        if (nd) {
            if (store)
                *store = stores[i];
            return nd;
        }
    }
    return e->final_pass ? ir_keep_node(L, idx, store) : NULL;
}

/* The position of table at idx, or of its value at key kidx (0: none).
 * Returns 0 when unknown. */
static int position_of(lua_State *L, int idx, int kidx, uint32_t *file, int *line, int *col)
{
    isorules_engine *e = engine_of(L);
    const ir_posstore *ps;
    const ir_node *nd = ir_node_of(e, L, idx, &ps);
    if (!nd)
        return 0;
    *file = nd->file;
    *line = nd->line;
    *col = nd->col;
    if (kidx) {
        const ir_entry *en = NULL;
        if (lua_type(L, kidx) == LUA_TSTRING) {
            size_t n;
            const char *k = lua_tolstring(L, kidx, &n);
            en = ir_pos_entry_key(ps, nd, k, n);
        } else if (lua_isinteger(L, kidx)) {
            en = ir_pos_entry_index(ps, nd, lua_tointeger(L, kidx));
        }
        if (en) {
            *line = en->line;
            *col = en->col;
        }
    }
    return 1;
}

/* isorules.position(t [, key]) -> file, line, column | nil */
static int l_position(lua_State *L)
{
    isorules_engine *e = engine_of(L);
    uint32_t file;
    int line, col;
    if (!position_of(L, 1, lua_isnoneornil(L, 2) ? 0 : 2, &file, &line, &col)) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushstring(L, ir_file_name(e, file));
    lua_pushinteger(L, line);
    lua_pushinteger(L, col);
    return 3;
}

/* ---- ctx.report ---- */

/* Formats the message at idx (string or {vi, en}) with the arguments after
 * it, up to top. stack: +1 (the message) */
static const char *format_message(lua_State *L, int idx, int top)
{
    isorules_engine *e = engine_of(L);
    if (idx > top)
        luaL_argerror(L, idx, "a message (string or {vi = ..., en = ...}) expected");
    if (lua_type(L, idx) == LUA_TTABLE) {
        const char *first = e->lang == LANG_VI ? "vi" : "en";
        const char *second = e->lang == LANG_VI ? "en" : "vi";
        if (lua_getfield(L, idx, first) != LUA_TSTRING) {
            lua_pop(L, 1);
            if (lua_getfield(L, idx, second) != LUA_TSTRING)
                luaL_argerror(L, idx, "message table needs a vi or en string");
        }
    } else if (lua_type(L, idx) == LUA_TSTRING) {
        lua_pushvalue(L, idx);
    } else {
        luaL_argerror(L, idx, "message must be a string or {vi = ..., en = ...}");
    }
    if (top > idx) {
        ir_sandbox_push_format(L);
        lua_insert(L, -2);
        for (int i = idx + 1; i <= top; i++)
            lua_pushvalue(L, i);
        lua_call(L, top - idx + 1, 1);
    }
    return lua_tostring(L, -1);
}

/* The subject at idx as a string: nil stays NULL. stack: +1 */
static const char *subject_of(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
    case LUA_TNONE:
        lua_pushnil(L);
        return NULL;
    case LUA_TSTRING:
        lua_pushvalue(L, idx);
        return lua_tostring(L, -1);
    case LUA_TNUMBER:
    case LUA_TBOOLEAN:
        return luaL_tolstring(L, idx, NULL);
    default:
        luaL_argerror(L, idx, "subject must be a string, a number or nil");
        return NULL;
    }
}

static int do_report(lua_State *L, int kidx, int sidx)
{
    isorules_engine *e = engine_of(L);
    if (!e->cur_rule)
        return luaL_error(L, "ctx.report is only callable while a rule runs");
    ir_sandbox_charge_args(L); /* the subject and message are measured, copied */
    uint32_t file = e->cur_file;
    int line = e->cur_line, col = e->cur_col;
    if (!lua_isnil(L, 1) && lua_type(L, 1) != LUA_TTABLE)
        return luaL_argerror(L, 1, "a table of the model (or nil) expected");
    position_of(L, 1, kidx, &file, &line, &col);
    int top = lua_gettop(L);
    const char *subject = subject_of(L, sidx);
    const char *msg = format_message(L, sidx + 1, top);
    if (e->final_pass) {
        /* whole-model findings are about the agency their node came from */
        const ir_node *nd = ir_node_of(e, L, 1, NULL);
        e->cur_agency = nd && nd->agency && nd->agency <= e->nindex ? ir_indexed_id(&e->index[nd->agency - 1]) : NULL;
    }
    ir_report(e, e->cur_rule, subject, msg, file, line, col);
    return 0;
}

/* ctx.report(node, subject, message, ...) */
static int l_report(lua_State *L) { return do_report(L, 0, 2); }
/* ctx.report_at(node, key, subject, message, ...) */
static int l_report_at(lua_State *L) { return do_report(L, 2, 3); }

/* ---- dates and money ---- */

/* A date argument: ISO or D/M/YYYY string; 0 when absent or invalid. */
static int arg_date(lua_State *L, int idx, int *y, int *m, int *d)
{
    size_t n;
    if (lua_type(L, idx) != LUA_TSTRING)
        return 0;
    const char *s = lua_tolstring(L, idx, &n);
    return ir_parse_date(s, n, y, m, d);
}

static void year_before(int *y, int *m, int *d)
{
    (*y)--;
    if (*m == 2 && *d == 29)
        *d = 28;
}

/* ctx.date(v) -> ISO string | nil */
static int l_date(lua_State *L)
{
    int y, m, d;
    char buf[11];
    if (!arg_date(L, 1, &y, &m, &d))
        return lua_pushnil(L), 1;
    ir_format_date(buf, y, m, d);
    lua_pushstring(L, buf);
    return 1;
}

/* ctx.year_before(date) -> the same calendar day a year earlier (29
 * February -> 28 February), ISO | nil */
static int l_year_before(lua_State *L)
{
    int y, m, d;
    char buf[11];
    if (!arg_date(L, 1, &y, &m, &d) || y <= 1)
        return lua_pushnil(L), 1;
    year_before(&y, &m, &d);
    ir_format_date(buf, y, m, d);
    lua_pushstring(L, buf);
    return 1;
}

/* ctx.within_12_months(date): after the same day a year before as_of, and
 * not after as_of (RULES.md "Dates"). */
static int l_within_12_months(lua_State *L)
{
    isorules_engine *e = engine_of(L);
    int y, m, d, ay, am, ad;
    char date[11], from[11];
    if (!arg_date(L, 1, &y, &m, &d) || !ir_parse_date(e->as_of, 10, &ay, &am, &ad))
        return lua_pushboolean(L, 0), 1;
    ir_format_date(date, y, m, d);
    year_before(&ay, &am, &ad);
    ir_format_date(from, ay, am, ad);
    lua_pushboolean(L, strcmp(date, from) > 0 && strcmp(date, e->as_of) <= 0);
    return 1;
}

/* ctx.money(v) -> integer | nil: an integer, or an amount string. */
static int l_money(lua_State *L)
{
    int64_t v;
    size_t n;
    if (lua_isinteger(L, 1)) {
        lua_pushvalue(L, 1);
    } else if (lua_type(L, 1) == LUA_TSTRING) {
        const char *s = lua_tolstring(L, 1, &n);
        if (ir_parse_amount(s, n, &v))
            lua_pushinteger(L, (lua_Integer)v);
        else
            lua_pushnil(L);
    } else {
        lua_pushnil(L);
    }
    return 1;
}

/* ctx.add(a, b, ...) / ctx.mul(a, b, ...): integers; nil, "overflow" when
 * the result leaves 64 bits. */
static int checked(lua_State *L, int mul)
{
    int n = lua_gettop(L);
    int64_t acc = mul ? 1 : 0;
    for (int i = 1; i <= n; i++) {
        if (!lua_isinteger(L, i))
            return luaL_argerror(L, i, "integer expected");
        int64_t v = (int64_t)lua_tointeger(L, i);
        if (!(mul ? ir_mul_i64(acc, v, &acc) : ir_add_i64(acc, v, &acc))) {
            lua_pushnil(L);
            lua_pushliteral(L, "overflow");
            return 2;
        }
    }
    lua_pushinteger(L, (lua_Integer)acc);
    return 1;
}
static int l_add(lua_State *L) { return checked(L, 0); }
static int l_mul(lua_State *L) { return checked(L, 1); }

/* ctx.normalize(id) -> the normalised identifier (RULES.md), or nil */
static int l_box_gc(lua_State *L)
{
    char **box = lua_touserdata(L, 1);
    free(*box);
    *box = NULL;
    return 0;
}

char **ir_box_new(lua_State *L)
{
    char **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    if (luaL_newmetatable(L, "isorules.box")) {
        lua_pushcfunction(L, l_box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return box;
}

char *ir_normalize_boxed(lua_State *L, const char *s, size_t n, size_t *outn)
{
    char **box = ir_box_new(L);
    *box = ir_normalize_id(s, n, outn);
    if (!*box) {
        lua_pop(L, 1);
        return NULL;
    }
    lua_pushlstring(L, *box, *outn); /* if this raises, the box frees the copy */
    free(*box);
    *box = NULL;
    lua_remove(L, -2);
    return (char *)lua_tostring(L, -1);
}

static int l_normalize(lua_State *L)
{
    size_t n, outn;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        luaL_tolstring(L, 1, NULL);
        return 1;
    }
    if (lua_type(L, 1) != LUA_TSTRING)
        return lua_pushnil(L), 1;
    ir_sandbox_charge_args(L);
    const char *s = lua_tolstring(L, 1, &n);
    if (!ir_normalize_boxed(L, s, n, &outn))
        return lua_pushnil(L), 1;
    return 1;
}

static int l_ctx_readonly(lua_State *L)
{
    return luaL_error(L, "ctx is read-only (field '%s')", luaL_optstring(L, 2, "?"));
}

void ir_ctx_push(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, CTX_REAL) == LUA_TTABLE)
        return;
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"report", l_report},
                                   {"report_at", l_report_at},
                                   {"date", l_date},
                                   {"year_before", l_year_before},
                                   {"within_12_months", l_within_12_months},
                                   {"money", l_money},
                                   {"add", l_add},
                                   {"mul", l_mul},
                                   {"normalize", l_normalize},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, CTX_REAL);
}

/* A read-only view of ctx for one rule file, so that no file can change
 * what another sees. stack: +1 */
static void push_ctx_proxy(lua_State *L)
{
    lua_newtable(L);
    if (lua_getfield(L, LUA_REGISTRYINDEX, CTX_META) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 3);
        ir_ctx_push(L);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_ctx_readonly);
        lua_setfield(L, -2, "__newindex");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, CTX_META);
    }
    lua_setmetatable(L, -2);
}

/* stack: env -> env (with isorules) */
void ir_rules_open_lib(lua_State *L, isorules_engine *e)
{
    (void)e;
    lua_createtable(L, 0, 4);
    lua_pushlightuserdata(L, IR_NULL_ITEM);
    lua_setfield(L, -2, "null");
    lua_pushcfunction(L, l_position);
    lua_setfield(L, -2, "position");
    lua_pushstring(L, ISORULES_VERSION);
    lua_setfield(L, -2, "version");
    lua_pushinteger(L, ISORULES_RULE_API);
    lua_setfield(L, -2, "rule_api");
    lua_setfield(L, -2, "isorules");
}

/* ---- loading a rule source ---- */

typedef struct load_args {
    const char *name, *src;
    size_t len;
    int builtin;
    int status;
} load_args;

/* Runs in protected mode: builds the file's environment, compiles the
 * chunk (text only) and runs it under the rule-run limits. */
static int l_load_source(lua_State *L)
{
    isorules_engine *e = engine_of(L);
    load_args *a = lua_touserdata(L, 1);
    ir_sandbox_env(L, e, a->name);
    int env = lua_gettop(L);
    lua_pushstring(L, a->name);
    lua_pushboolean(L, a->builtin);
    push_ctx_proxy(L);
    lua_pushcclosure(L, l_rule, 3);
    lua_setfield(L, env, "rule");
    lua_pushfstring(L, "@%s", a->name);
    int st = luaL_loadbufferx(L, a->src, a->len, lua_tostring(L, -1), "t");
    if (st != LUA_OK) {
        a->status = st;
        return 1; /* the message */
    }
    lua_pushvalue(L, env);
    lua_setupvalue(L, -2, 1);
    a->status = ir_sandbox_call(e, 0, 0);
    return a->status == LUA_OK ? 0 : 1;
}

/* Remembers a rule source, so that worker engines load the same rules in the
 * same order. */
static void remember_source(isorules_engine *e, const char *name, const char *src, size_t len, int builtin)
{
    if (e->nsources == e->capsources) {
        size_t want = e->capsources ? e->capsources * 2 : 16;
        ir_source *nv = realloc(e->sources, want * sizeof *nv);
        if (!nv)
            return;
        e->sources = nv;
        e->capsources = want;
    }
    ir_source *s = &e->sources[e->nsources];
    s->name = strdup(name);
    s->src = malloc(len + 1);
    if (!s->name || !s->src) {
        free(s->name);
        free(s->src);
        return;
    }
    memcpy(s->src, src, len);
    s->src[len] = '\0';
    s->len = len;
    s->builtin = builtin;
    e->nsources++;
}

void ir_sources_free(isorules_engine *e)
{
    for (size_t i = 0; i < e->nsources; i++) {
        free(e->sources[i].name);
        free(e->sources[i].src);
    }
    free(e->sources);
    e->sources = NULL;
    e->nsources = e->capsources = 0;
}

int ir_rules_load(isorules_engine *e, const char *name, const char *src, size_t len, int builtin)
{
    lua_State *L = e->L;
    remember_source(e, name, src, len, builtin);
    int top = lua_gettop(L);
    load_args a = {name, src, len, builtin, LUA_OK};
    e->trip_line = 0;
    e->tripped = 0;
    lua_pushcfunction(L, l_load_source);
    lua_pushlightuserdata(L, &a);
    e->loading = 1;
    int st = lua_pcall(L, 1, 1, 0);
    e->loading = 0;
    int rc = ISORULES_OK;
    if (st != LUA_OK || a.status != LUA_OK) {
        int line = 0;
        const char *msg = lua_type(L, -1) == LUA_TSTRING ? ir_sandbox_error(e, &line)
                                                         : "not enough memory";
        ir_pending_add(e, name, line, msg);
        rc = ir_fail(e, ISORULES_ERROR, "%s:%d: %s", name, line, msg);
    }
    lua_settop(L, top);
    return rc;
}
