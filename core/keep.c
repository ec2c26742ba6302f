/* keep.c: what model rules' keep functions return, carried from the Lua
 * state that audited an agency to the final pass, and the views the final
 * pass gives model rules over it and over the agency index.
 *
 * A kept value is written to bytes in the worker's state, with the positions
 * of its tables: so one code path serves one thread and many, and a report
 * with -j 2 is the one with -j 1. The engine keeps the bytes, a few hundred
 * an agency (ENGINE.md "Streaming"), and the final pass decodes an agency's
 * value only when a rule asks for it (ctx.kept[i]): a country's kept values
 * never live as Lua tables all at once. A decoded table's positions are a
 * userdata held by a weak-keyed table, so they die with it and no other
 * table at its address can inherit them.
 *
 * Values are data: nil, booleans, numbers, strings, isorules.null and tables
 * (shared and cyclic ones keep their shape); functions and other userdata
 * become nil.
 *
 * The bytes of a value (uv: unsigned LEB128; sv: zigzagged, then uv):
 *   n | f | t                   nil, false, true
 *   i sv | d 8 bytes            an integer, a float
 *   s uv(len) bytes             a string, numbered in the order written
 *   S uv(k)                     string k again
 *   D uv(DDDDDDDD + 1)          a string of the form DDDD-DD-DD (ISO dates)
 *   u                           isorules.null
 *   R uv(k)                     table k again (numbered in the order begun)
 *   T body | M pos body | Q pos body
 *                               a table; M and Q: a mapping or list of the
 *                               model, with its position record (save_pos)
 * body: uv(n) and the values t[1..n]; for M, the value of each key its
 * record lists, in that order; then any other key and its value; then E. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#include "engine.h"
#include "load.h"
#include "pattern.h"

#define KEEP_MAX_DEPTH 32
#define KEPT_POS "isorules.kept_pos" /* registry: decoded table -> kept_pos */

static isorules_engine *engine_of(lua_State *L) { return *(isorules_engine **)lua_getextraspace(L); }

enum { T_NIL = 'n', T_FALSE = 'f', T_TRUE = 't', T_INT = 'i', T_NUM = 'd', T_STR = 's',
       T_NULLITEM = 'u', T_TABLE = 'T', T_MAP = 'M', T_SEQ = 'Q', T_REF = 'R', T_SREF = 'S',
       T_DATE = 'D', T_END = 'E' };

static void put(ir_buf *b, const void *p, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (b->n + n > b->cap) {
        size_t want = b->cap ? b->cap : 256;
        while (want < b->n + n)
            want *= 2;
        char *np = realloc(b->p, want);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = want;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_byte(ir_buf *b, char c) { put(b, &c, 1); }

/* unsigned LEB128: 7 bits a byte, low bits first */
static void put_uv(ir_buf *b, uint64_t v)
{
    unsigned char t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (unsigned char)v;
    put(b, t, n);
}

/* a signed number, zigzagged so that small magnitudes stay short */
static void put_sv(ir_buf *b, int64_t v) { put_uv(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static void put_str(ir_buf *b, const char *s, size_t n)
{
    put_uv(b, n);
    put(b, s, n);
}

void ir_buf_free(ir_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* A string of the form DDDD-DD-DD as the number DDDDDDDD + 1 (so that it
 * is never 0), or 0 for any other string; written back with %04d-%02d-%02d,
 * the same ten bytes. */
static uint32_t iso_date(const char *s, size_t n)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    uint32_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    return v + 1;
}

/* The state of one value being written: the tables and strings written so
 * far (Lua tables mapping each to its number), so that a table reached again
 * is a reference, and so is a string, a key or a repeated value ("to:
 * p00-skhcn" in each of an agency's reports), which is most of what keep
 * returns. */
typedef struct saver {
    isorules_engine *e;
    ir_buf *b;
    int seen, strs; /* stack indexes */
    lua_Integer ntables, nstrs;
    int64_t file; /* of the last table written with its position */
} saver;

/* The number of the string at idx if it was written before; else -1, and
 * it gets the next number (the caller writes its text). */
static lua_Integer str_seen(saver *sv, int idx)
{
    lua_State *L = sv->e->L;
    lua_pushvalue(L, idx);
    if (lua_rawget(L, sv->strs) == LUA_TNUMBER) {
        lua_Integer k = lua_tointeger(L, -1);
        lua_pop(L, 1);
        return k;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushinteger(L, sv->nstrs++);
    lua_rawset(L, sv->strs);
    return -1;
}

/* A table's position record (after its tag, T_MAP or T_SEQ): where it is
 * (its file as a step from the file of the table before), then each
 * entry's key (0: none, 1: its text follows, 2 + k: string k) and where its
 * value is, lines as steps from the line before, so that most numbers take
 * a byte. A key's own position is left out: rules cannot ask for it. */
static void save_pos(saver *sv, const ir_node *nd)
{
    lua_State *L = sv->e->L;
    ir_buf *b = sv->b;
    put_sv(b, nd->line);
    put_sv(b, nd->col);
    put_sv(b, (int64_t)nd->file - sv->file);
    sv->file = nd->file;
    put_uv(b, nd->count);
    int prev = nd->line;
    for (uint32_t i = 0; i < nd->count; i++) {
        const ir_entry *en = &sv->e->unit.ents[nd->first + i];
        if (en->key) {
            lua_pushlstring(L, en->key, en->klen);
            lua_Integer k = str_seen(sv, -1);
            lua_pop(L, 1);
            if (k >= 0) {
                put_uv(b, (uint64_t)k + 2);
            } else {
                put_uv(b, 1);
                put_str(b, en->key, en->klen);
            }
        } else {
            put_uv(b, 0);
        }
        put_sv(b, (int64_t)en->line - prev);
        put_sv(b, en->col);
        prev = en->line;
    }
}

/* stack: +0 */
static void save_value(saver *sv, int idx, int depth)
{
    lua_State *L = sv->e->L;
    ir_buf *b = sv->b;
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        put_byte(b, lua_toboolean(L, idx) ? T_TRUE : T_FALSE);
        return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            put_byte(b, T_INT);
            put_sv(b, (int64_t)lua_tointeger(L, idx));
        } else {
            lua_Number v = lua_tonumber(L, idx);
            put_byte(b, T_NUM);
            put(b, &v, sizeof v);
        }
        return;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        uint32_t ymd = iso_date(s, n);
        if (ymd) { /* the model writes dates in ISO form: four bytes, not ten */
            put_byte(b, T_DATE);
            put_uv(b, ymd);
            return;
        }
        lua_Integer k = str_seen(sv, idx);
        if (k >= 0) {
            put_byte(b, T_SREF);
            put_uv(b, (uint64_t)k);
        } else {
            put_byte(b, T_STR);
            put_str(b, s, n);
        }
        return;
    }
    case LUA_TLIGHTUSERDATA:
        put_byte(b, lua_touserdata(L, idx) == IR_NULL_ITEM ? T_NULLITEM : T_NIL);
        return;
    case LUA_TTABLE:
        break;
    default:
        put_byte(b, T_NIL);
        return;
    }
    lua_pushvalue(L, idx);
    if (lua_rawget(L, sv->seen) == LUA_TNUMBER) {
        put_byte(b, T_REF);
        put_uv(b, (uint64_t)lua_tointeger(L, -1));
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (depth > KEEP_MAX_DEPTH) {
        put_byte(b, T_NIL);
        return;
    }
    lua_pushvalue(L, idx);
    lua_pushinteger(L, sv->ntables++);
    lua_rawset(L, sv->seen);
    const ir_node *nd = ir_pos_find(&sv->e->unit, lua_topointer(L, idx));
    put_byte(b, !nd ? T_TABLE : nd->kind == IR_MAP ? T_MAP : T_SEQ);
    if (nd)
        save_pos(sv, nd);
    /* the contents: the list part (t[1], t[2]... up to the first nil) and,
     * for a mapping of the model, the value of each key its record lists,
     * without their keys; then any other key and value, then T_END */
    luaL_checkstack(L, 6, "keep");
    lua_Integer n = 0;
    while (lua_rawgeti(L, idx, n + 1) != LUA_TNIL) {
        lua_pop(L, 1);
        n++;
    }
    lua_pop(L, 1);
    put_uv(b, (uint64_t)n);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        save_value(sv, -1, depth + 1);
        lua_pop(L, 1);
    }
    int listed = 0; /* a set of the keys written with the record */
    if (nd && nd->kind == IR_MAP) {
        lua_createtable(L, 0, (int)nd->count);
        listed = lua_gettop(L);
        for (uint32_t i = 0; i < nd->count; i++) {
            const ir_entry *en = &sv->e->unit.ents[nd->first + i];
            lua_pushlstring(L, en->key, en->klen);
            lua_pushvalue(L, -1);
            lua_rawget(L, idx);
            save_value(sv, -1, depth + 1);
            lua_pop(L, 1);
            lua_pushboolean(L, 1);
            lua_rawset(L, listed);
        }
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int done = lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= n;
        if (!done && listed && lua_type(L, -2) == LUA_TSTRING) {
            lua_pushvalue(L, -2);
            done = lua_rawget(L, listed) != LUA_TNIL;
            lua_pop(L, 1);
        }
        if (!done) {
            save_value(sv, -2, depth + 1);
            save_value(sv, -1, depth + 1);
        }
        lua_pop(L, 1);
    }
    if (listed)
        lua_remove(L, listed);
    put_byte(b, T_END);
}

void ir_keep_save(isorules_engine *e, ir_buf *b, int idx)
{
    lua_State *L = e->L;
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_newtable(L);
    saver sv = {e, b, lua_gettop(L) - 1, lua_gettop(L), 0, 0, 0};
    save_value(&sv, idx, 0);
    lua_pop(L, 2);
}

/* ---- the engine keeps the bytes ---- */

int ir_keep_add(isorules_engine *e, uint32_t rule, uint32_t agency, const ir_buf *b)
{
    if (b->n > UINT32_MAX)
        return -1;
    ir_keptref *nv = ir_grow(e->kept, &e->capkept, e->nkept, sizeof *nv);
    if (!nv)
        return -1;
    e->kept = nv;
    char *p = ir_arena_copy(&e->kept_bytes, b->p, b->n);
    if (!p)
        return -1;
    e->kept[e->nkept++] = (ir_keptref){p, agency, (uint32_t)b->n, rule};
    return 0;
}

/* The first entry for an agency at or after agency (0-based). Entries are
 * in agency order: the engine takes agencies in file order. */
static size_t kept_from(const isorules_engine *e, uint32_t agency)
{
    size_t lo = 0, hi = e->nkept;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->kept[mid].agency < agency)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The bytes rule kept for agency, or NULL. */
static const ir_keptref *kept_find(const isorules_engine *e, uint32_t rule, uint32_t agency)
{
    for (size_t k = kept_from(e, agency); k < e->nkept && e->kept[k].agency == agency; k++)
        if (e->kept[k].rule == rule)
            return &e->kept[k];
    return NULL;
}

/* ---- reading back ---- */

typedef struct reader {
    lua_State *L;
    const char *p;
    size_t n, pos;
    int bad;
    int tables, strs; /* stack indexes: the tables read so far; the strings (2k+1: offset, 2k+2: length) */
    lua_Integer nstrs;
    uint32_t agency;
    int64_t file; /* of the last table read with its position */
    int root;     /* stack index of the proxy of the outermost table, 0 before it */
} reader;

static int get_byte(reader *r)
{
    if (r->bad || r->pos >= r->n) {
        r->bad = 1;
        return 0;
    }
    return (unsigned char)r->p[r->pos++];
}

static uint64_t get_uv(reader *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        int c = get_byte(r);
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = 1;
    return 0;
}

static int64_t get_sv(reader *r)
{
    uint64_t u = get_uv(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static int get_int(reader *r)
{
    int64_t v = get_sv(r);
    if (v < INT32_MIN || v > INT32_MAX)
        r->bad = 1;
    return (int)v;
}

/* n bytes of text at the reader, or NULL past the end */
static const char *get_text(reader *r, uint64_t n)
{
    if (r->bad || n > r->n - r->pos) {
        r->bad = 1;
        return NULL;
    }
    const char *s = r->p + r->pos;
    r->pos += (size_t)n;
    return s;
}

/* The positions of a decoded table: a store of one record, so that the
 * lookups of pos.h serve it as they serve the others. Its keys point into
 * the engine's kept bytes, which live until the run is freed. */
typedef struct kept_pos {
    ir_posstore ps;
    ir_node node;
    ir_entry ents[];
} kept_pos;

/* ---- read-only tables ----
 *
 * What the final pass gives rules (the views, their index entries, decoded
 * kept tables) is read-only: an empty proxy whose metatable reads from the
 * data (__index, __len, __pairs) and refuses writes (__newindex; rawset is
 * refused by the sandbox for a metatable marked IR_READONLY). Entries are
 * made when read and cached weakly: a rule that could write to one would
 * see its write or not depending on when the collector ran, and -j 1 and
 * -j 2 would differ. */

static int l_readonly(lua_State *L)
{
    return luaL_error(L, "ctx.index and ctx.kept are read-only");
}

/* the data behind a proxy (its metatable's __index). stack: +1 */
static void push_data(lua_State *L, int proxy)
{
    if (!lua_getmetatable(L, proxy)) {
        lua_newtable(L);
        return;
    }
    lua_getfield(L, -1, "__index");
    lua_remove(L, -2);
}

static int l_ro_len(lua_State *L)
{
    push_data(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

/* next over a proxy's data: the data itself never reaches the rule */
static int l_ro_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    push_data(L, 1);
    lua_insert(L, 2); /* stack: proxy data key */
    if (lua_next(L, 2))
        return 2;
    lua_pushnil(L);
    return 1;
}

static int l_ro_pairs(lua_State *L)
{
    lua_pushcfunction(L, l_ro_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Makes the metatable on top refuse writes, hide itself and carry the mark
 * the sandbox's rawset looks for, and sets it on the table below. The mark
 * is root, a stack index (0: true): a table inside a kept value holds its
 * root that way, so that while a rule holds any part of the value, the
 * view's cache holds all of it and gives the same tables. stack: -1 */
static void seal(lua_State *L, int root)
{
    lua_pushcfunction(L, l_readonly);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    if (root)
        lua_pushvalue(L, root);
    else
        lua_pushboolean(L, 1);
    lua_setfield(L, -2, IR_READONLY);
    lua_setmetatable(L, -2);
}

/* Pushes a read-only proxy of the table at data, held by root (seal).
 * stack: +1 */
static void push_proxy(lua_State *L, int data, int root)
{
    data = lua_absindex(L, data);
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 6);
    lua_pushvalue(L, data);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_ro_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, l_ro_pairs);
    lua_setfield(L, -2, "__pairs");
    seal(L, root);
}

/* A new string's text: remembered by its place in the bytes, which live as
 * long as the run, so that a key can point into them. NULL past the end. */
static const char *new_str(reader *r, size_t *n)
{
    uint64_t len = get_uv(r);
    const char *s = get_text(r, len);
    if (!s)
        return NULL;
    lua_State *L = r->L;
    lua_pushinteger(L, (lua_Integer)(s - r->p));
    lua_rawseti(L, r->strs, 2 * r->nstrs + 1);
    lua_pushinteger(L, (lua_Integer)len);
    lua_rawseti(L, r->strs, 2 * r->nstrs + 2);
    r->nstrs++;
    *n = (size_t)len;
    return s;
}

/* String k of this value, or NULL when there is none. */
static const char *old_str(reader *r, uint64_t k, size_t *n)
{
    if (k >= (uint64_t)r->nstrs) {
        r->bad = 1;
        return NULL;
    }
    lua_State *L = r->L;
    lua_rawgeti(L, r->strs, 2 * (lua_Integer)k + 1);
    lua_rawgeti(L, r->strs, 2 * (lua_Integer)k + 2);
    size_t off = (size_t)lua_tointeger(L, -2);
    *n = (size_t)lua_tointeger(L, -1);
    lua_pop(L, 2);
    return r->p + off;
}

/* Reads a table's position record (save_pos) and hangs it on the table at
 * t; returns it (NULL when the bytes are bad). */
static const kept_pos *load_pos(reader *r, int t, int kind)
{
    lua_State *L = r->L;
    int line = get_int(r), col = get_int(r);
    int64_t step = get_sv(r); /* the bytes are the engine's own; still, no overflow on bad ones */
    if (step < -(int64_t)UINT32_MAX || step > (int64_t)UINT32_MAX)
        r->bad = 1;
    int64_t file = r->bad ? 0 : r->file + step;
    r->file = file;
    uint64_t n = get_uv(r);
    if (r->bad || n > (r->n - r->pos) / 3 || file < 0 || file > UINT32_MAX) { /* an entry takes 3 bytes or more */
        r->bad = 1;
        return NULL;
    }
    kept_pos *kp = lua_newuserdatauv(L, sizeof *kp + (size_t)n * sizeof(ir_entry), 0);
    memset(kp, 0, sizeof *kp);
    kp->node = (ir_node){.obj = lua_topointer(L, t), .line = line, .col = col, .file = (uint32_t)file,
                         .count = (uint32_t)n, .kind = (uint8_t)kind, .agency = r->agency + 1};
    int prev = line;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        ir_entry *en = &kp->ents[i];
        uint64_t key = get_uv(r);
        en->key = NULL;
        en->klen = 0;
        if (key == 1)
            en->key = new_str(r, &en->klen);
        else if (key >= 2)
            en->key = old_str(r, key - 2, &en->klen);
        int64_t l = (int64_t)prev + get_int(r);
        if (l < INT32_MIN || l > INT32_MAX)
            r->bad = 1;
        en->line = (int)l;
        en->col = get_int(r);
        en->kline = en->line; /* a key's own position is not kept (save_pos) */
        en->kcol = 0;
        prev = en->line;
    }
    kp->ps.nodes = &kp->node;
    kp->ps.n = kp->ps.cap = 1;
    kp->ps.ents = kp->ents;
    kp->ps.ne = kp->ps.cape = (size_t)n;
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEPT_POS) == LUA_TTABLE) { /* the final pass's */
        lua_pushvalue(L, t);
        lua_pushvalue(L, -3);
        lua_rawset(L, -3);
    }
    lua_pop(L, 2); /* the table holds kp alive */
    return r->bad ? NULL : kp;
}

/* Pushes the next value. stack: +1 */
static void load_value(reader *r, int depth)
{
    lua_State *L = r->L;
    int tag = get_byte(r);
    switch (tag) {
    case T_FALSE:
    case T_TRUE:
        lua_pushboolean(L, tag == T_TRUE);
        return;
    case T_INT:
        lua_pushinteger(L, (lua_Integer)get_sv(r));
        return;
    case T_NUM: {
        lua_Number v = 0;
        const char *s = get_text(r, sizeof v);
        if (s)
            memcpy(&v, s, sizeof v);
        lua_pushnumber(L, v);
        return;
    }
    case T_STR:
    case T_SREF: {
        size_t n = 0;
        const char *s = tag == T_STR ? new_str(r, &n) : old_str(r, get_uv(r), &n);
        if (s)
            lua_pushlstring(L, s, n);
        else
            lua_pushnil(L);
        return;
    }
    case T_DATE: {
        uint64_t v = get_uv(r);
        char d[16];
        if (v == 0 || v > 100000000) {
            r->bad = 1;
            lua_pushnil(L);
            return;
        }
        v--;
        snprintf(d, sizeof d, "%04d-%02d-%02d", (int)(v / 10000), (int)(v / 100 % 100), (int)(v % 100));
        lua_pushlstring(L, d, 10);
        return;
    }
    case T_NULLITEM:
        lua_pushlightuserdata(L, IR_NULL_ITEM);
        return;
    case T_REF: {
        uint64_t k = get_uv(r);
        if (k >= (uint64_t)lua_rawlen(L, r->tables)) {
            r->bad = 1;
            lua_pushnil(L);
            return;
        }
        lua_rawgeti(L, r->tables, (lua_Integer)k + 1);
        return;
    }
    case T_TABLE:
    case T_MAP:
    case T_SEQ:
        break;
    default:
        if (tag != T_NIL)
            r->bad = 1;
        lua_pushnil(L);
        return;
    }
    if (depth > KEEP_MAX_DEPTH + 1) { /* the writer stops at its depth */
        r->bad = 1;
        lua_pushnil(L);
        return;
    }
    luaL_checkstack(L, 8, "keep");
    lua_newtable(L);
    int t = lua_gettop(L); /* the data; rules get its proxy (read-only tables above) */
    push_proxy(L, t, r->root);
    int proxy = lua_gettop(L);
    if (!r->root)
        r->root = proxy; /* the value's outermost table: stays put while the rest is read */
    lua_pushvalue(L, proxy);
    lua_rawseti(L, r->tables, (lua_Integer)lua_rawlen(L, r->tables) + 1);
    const kept_pos *kp = tag != T_TABLE ? load_pos(r, proxy, tag == T_MAP ? IR_MAP : IR_SEQ) : NULL;
    /* the contents, as save_value writes them */
    uint64_t n = get_uv(r);
    if (n > r->n - r->pos) /* a value takes a byte or more */
        r->bad = 1;
    for (uint64_t i = 1; i <= n && !r->bad; i++) {
        load_value(r, depth + 1);
        lua_rawseti(L, t, (lua_Integer)i);
    }
    for (uint32_t i = 0; kp && kp->node.kind == IR_MAP && i < kp->node.count && !r->bad; i++) {
        load_value(r, depth + 1);
        if (kp->ents[i].key) {
            lua_pushlstring(L, kp->ents[i].key, kp->ents[i].klen);
            lua_insert(L, -2);
            lua_rawset(L, t);
        } else {
            lua_pop(L, 1);
        }
    }
    while (!r->bad) {
        if (r->pos < r->n && r->p[r->pos] == T_END) {
            r->pos++;
            break;
        }
        load_value(r, depth + 1);
        load_value(r, depth + 1);
        if (lua_isnil(L, -2) || (lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2) != lua_tonumber(L, -2)))
            lua_pop(L, 2); /* a key that cannot be a key */
        else
            lua_rawset(L, t);
    }
    lua_remove(L, t); /* the proxy holds it */
}

/* Pushes the value rule kept for agency (0-based), nil when none; raises
 * on bytes it cannot read. stack: +1 */
static void kept_push(isorules_engine *e, uint32_t rule, uint32_t agency)
{
    lua_State *L = e->L;
    const ir_keptref *k = kept_find(e, rule, agency);
    if (!k) {
        lua_pushnil(L);
        return;
    }
    lua_newtable(L); /* tables read, for refs */
    lua_newtable(L); /* strings read */
    reader r = {L, k->p, k->len, 0, 0, lua_gettop(L) - 1, lua_gettop(L), 0, agency, 0, 0};
    load_value(&r, 0);
    if (r.bad)
        luaL_error(L, "kept value of agency %d unreadable", (int)agency + 1);
    lua_replace(L, r.tables);
    lua_settop(L, r.tables);
}

const ir_node *ir_keep_node(lua_State *L, int idx, const ir_posstore **store)
{
    idx = lua_absindex(L, idx);
    if (lua_getfield(L, LUA_REGISTRYINDEX, KEPT_POS) != LUA_TTABLE) {
        lua_pop(L, 1);
        return NULL;
    }
    lua_pushvalue(L, idx);
    lua_rawget(L, -2);
    kept_pos *kp = lua_touserdata(L, -1);
    lua_pop(L, 2); /* the table at idx holds kp alive */
    if (!kp)
        return NULL;
    if (store)
        *store = &kp->ps;
    return &kp->node;
}

/* ---- the final pass's views: ctx.index and ctx.kept ---- */


/* The 0-based agency for key k of a view: an integer 1..n, or (ids) the
 * first agency with that id; -1 when none. */
static long view_agency(isorules_engine *e, lua_State *L, int k, int ids)
{
    if (lua_type(L, k) == LUA_TNUMBER) {
        int ok;
        lua_Integer i = lua_tointegerx(L, k, &ok);
        return ok && i >= 1 && (lua_Unsigned)i <= e->nindex ? (long)(i - 1) : -1;
    }
    if (ids && lua_type(L, k) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, k, &n);
        if (n > e->max_id) /* no id is that long: not worth hashing */
            return -1;
        return ir_index_find(e, s, n);
    }
    return -1;
}

static void set_str(lua_State *L, const char *k, const char *v)
{
    if (!v)
        return;
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
}

/* The engine, when the view calling (upvalue 3: its final pass) may be
 * read: a view kept by a rule past its final pass would decode bytes that
 * are gone. */
static isorules_engine *view_engine(lua_State *L)
{
    isorules_engine *e = engine_of(L);
    if (!e->final_pass || (lua_Integer)e->final_gen != lua_tointeger(L, lua_upvalueindex(3)))
        luaL_error(L, "ctx.index and ctx.kept can only be read in the final pass that made them");
    return e;
}

/* Pushes the index entry of agency i (0-based), or of kept[i] for a rule,
 * from the view's cache (upvalue 1, weak values) or made now, so that a
 * view gives the same table while a rule holds it. stack: +1 */
static void view_get(lua_State *L, long i, int rule)
{
    isorules_engine *e = engine_of(L);
    if (lua_rawgeti(L, lua_upvalueindex(1), i + 1) != LUA_TNIL)
        return;
    lua_pop(L, 1);
    if (rule >= 0) {
        kept_push(e, (uint32_t)rule, (uint32_t)i);
    } else {
        static const char *const names[IX_COUNT] = {"id", "name", "level", "parent", "province", "role"};
        const ir_indexed *a = &e->index[i];
        lua_createtable(L, 0, 8);
        for (int k = 0; k < IX_COUNT; k++)
            set_str(L, names[k], ir_indexed_field(e, a, k));
        set_str(L, "file", ir_file_name(e, a->file));
        lua_pushinteger(L, a->line);
        lua_setfield(L, -2, "line");
        push_proxy(L, -1, 0);
        lua_remove(L, -2);
    }
    if (!lua_isnil(L, -1)) {
        lua_pushvalue(L, -1);
        lua_rawseti(L, lua_upvalueindex(1), i + 1);
    }
}

/* upvalues: cache, rule (-1: the index), the final pass */
static int l_view_index(lua_State *L)
{
    isorules_engine *e = view_engine(L);
    int rule = (int)lua_tointeger(L, lua_upvalueindex(2));
    long i = view_agency(e, L, 2, rule >= 0);
    if (i < 0)
        lua_pushnil(L);
    else
        view_get(L, i, rule);
    return 1;
}

/* The first agency with a value in the view after agency i (0-based; -1:
 * from the start), or -1. */
static long view_next(lua_State *L, isorules_engine *e, int rule, long i)
{
    if (rule < 0)
        return (size_t)(i + 1) < e->nindex ? i + 1 : -1;
    size_t k = kept_from(e, (uint32_t)(i + 1)), from = k;
    while (k < e->nkept && e->kept[k].rule != (uint32_t)rule)
        k++;
    /* past other rules' values: a step of the budget for 16 of them */
    if (k - from >= 16)
        ir_pattern_charge(L, (long)((k - from) / 16));
    return k < e->nkept ? (long)e->kept[k].agency : -1;
}

/* # of a view: the index's length; for kept, the last agency with a value
 * (a border of the table the view stands for). */
static int l_view_len(lua_State *L)
{
    view_engine(L);
    lua_rawgeti(L, lua_upvalueindex(1), 0); /* ir_view_push found it */
    return 1;
}

/* next for pairs(view): the agencies in order, then (kept) the ids of
 * those that are the first with their id. upvalues as l_view_index. */
static int l_view_next(lua_State *L)
{
    isorules_engine *e = view_engine(L);
    int rule = (int)lua_tointeger(L, lua_upvalueindex(2));
    long i = -1, next;
    int by_id = 0;
    if (lua_type(L, 2) == LUA_TSTRING && rule >= 0) {
        by_id = 1;
        i = view_agency(e, L, 2, 1);
        if (i < 0)
            return luaL_error(L, "invalid key to 'next'");
    } else if (!lua_isnil(L, 2)) {
        i = view_agency(e, L, 2, 0);
        if (i < 0)
            return luaL_error(L, "invalid key to 'next'");
    }
    for (;;) {
        next = view_next(L, e, rule, i);
        if (next < 0 && !by_id && rule >= 0) {
            by_id = 1; /* then the ids */
            i = -1;
            continue;
        }
        if (next < 0)
            return 0;
        if (!by_id)
            break;
        const ir_indexed *a = &e->index[next];
        if (a->owns_id)
            break;
        i = next;
    }
    if (by_id)
        lua_pushstring(L, ir_indexed_id(&e->index[next]));
    else
        lua_pushinteger(L, (lua_Integer)next + 1);
    view_get(L, next, rule);
    return 2;
}

static int l_view_pairs(lua_State *L)
{
    view_engine(L);
    lua_pushvalue(L, lua_upvalueindex(4)); /* the view's next */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Pushes fn with the view's upvalues (cache, rule, final pass), which are
 * at up..up+2. stack: +1 */
static void push_view_fn(lua_State *L, lua_CFunction fn, int up)
{
    for (int i = 0; i < 3; i++)
        lua_pushvalue(L, up + i);
    lua_pushcclosure(L, fn, 3);
}

void ir_view_push(lua_State *L, int rule)
{
    isorules_engine *e = engine_of(L);
    luaL_checkstack(L, 12, "views");
    lua_createtable(L, 0, 0); /* the cache: weak values */
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    int up = lua_gettop(L);
    lua_Integer n = 0; /* the view's length, kept at [0] of the cache */
    if (rule < 0) {
        n = (lua_Integer)e->nindex;
    } else {
        for (size_t k = e->nkept; k-- > 0;)
            if (e->kept[k].rule == (uint32_t)rule) {
                n = (lua_Integer)e->kept[k].agency + 1;
                break;
            }
    }
    lua_pushinteger(L, n);
    lua_rawseti(L, up, 0);
    lua_pushinteger(L, rule);
    lua_pushinteger(L, (lua_Integer)e->final_gen);
    lua_newtable(L); /* the view: empty, all through its metatable */
    lua_createtable(L, 0, 7);
    push_view_fn(L, l_view_index, up);
    lua_setfield(L, -2, "__index");
    push_view_fn(L, l_view_len, up);
    lua_setfield(L, -2, "__len");
    push_view_fn(L, l_view_next, up);
    int next = lua_gettop(L);
    for (int i = 0; i < 3; i++)
        lua_pushvalue(L, up + i);
    lua_pushvalue(L, next);
    lua_pushcclosure(L, l_view_pairs, 4);
    lua_setfield(L, -3, "__pairs");
    lua_pop(L, 1); /* next */
    seal(L, 0);
    lua_replace(L, up); /* the view, where the cache was (upvalues hold it) */
    lua_settop(L, up);
}

void ir_keep_begin(lua_State *L)
{
    engine_of(L)->final_gen++; /* views of an earlier final pass stop working */
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, KEPT_POS);
}

void ir_keep_end(lua_State *L)
{
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, KEPT_POS);
}

int ir_keep_own_len(lua_State *L, int idx)
{
    lua_CFunction f = lua_tocfunction(L, idx);
    return f && (f == l_ro_len || f == l_view_len);
}
