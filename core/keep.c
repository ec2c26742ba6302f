/* keep.c: what model rules' keep functions return, carried from the Lua
 * state that audited an agency to the one that runs the final pass.
 *
 * A kept value is written to bytes in the worker's state and read back in
 * the engine's, with the positions of its tables: so one code path serves one
 * thread and many, and a report with -j 2 is the one with -j 1. Values are
 * data: nil, booleans, numbers, strings, isorules.null and tables (shared and
 * cyclic ones keep their shape); functions and other userdata become nil. */
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#include "engine.h"
#include "load.h"

#define KEEP_MAX_DEPTH 32

enum { T_NIL = 'n', T_FALSE = 'f', T_TRUE = 't', T_INT = 'i', T_NUM = 'd', T_STR = 's',
       T_NULLITEM = 'u', T_TABLE = 'T', T_REF = 'R', T_END = 'E' };

static void put(ir_buf *b, const void *p, size_t n)
{
    if (b->oom)
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
static void put_i32(ir_buf *b, int32_t v) { put(b, &v, sizeof v); }

static void put_str(ir_buf *b, const char *s, size_t n)
{
    put_i32(b, (int32_t)n);
    put(b, s, n);
}

void ir_buf_free(ir_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* stack: +0. seen: a table mapping tables to their ids. */
static void save_value(isorules_engine *e, ir_buf *b, int idx, int seen, int *ntables, int depth)
{
    lua_State *L = e->L;
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        put_byte(b, lua_toboolean(L, idx) ? T_TRUE : T_FALSE);
        return;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            lua_Integer v = lua_tointeger(L, idx);
            put_byte(b, T_INT);
            put(b, &v, sizeof v);
        } else {
            lua_Number v = lua_tonumber(L, idx);
            put_byte(b, T_NUM);
            put(b, &v, sizeof v);
        }
        return;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        put_byte(b, T_STR);
        put_str(b, s, n);
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
    if (lua_rawget(L, seen) == LUA_TNUMBER) {
        put_byte(b, T_REF);
        put_i32(b, (int32_t)lua_tointeger(L, -1));
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    if (depth > KEEP_MAX_DEPTH) {
        put_byte(b, T_NIL);
        return;
    }
    lua_pushvalue(L, idx);
    lua_pushinteger(L, (*ntables)++);
    lua_rawset(L, seen);
    put_byte(b, T_TABLE);
    const ir_node *nd = ir_pos_find(&e->unit, lua_topointer(L, idx));
    put_byte(b, nd ? 1 : 0);
    if (nd) {
        put_i32(b, nd->line);
        put_i32(b, nd->col);
        put_i32(b, (int32_t)nd->file);
        put_byte(b, (char)nd->kind);
        put_i32(b, (int32_t)nd->count);
        for (uint32_t i = 0; i < nd->count; i++) {
            const ir_entry *en = &e->unit.ents[nd->first + i];
            if (en->key)
                put_str(b, en->key, en->klen);
            else
                put_i32(b, -1);
            put_i32(b, en->kline);
            put_i32(b, en->kcol);
            put_i32(b, en->line);
            put_i32(b, en->col);
        }
    }
    luaL_checkstack(L, 4, "keep");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        save_value(e, b, -2, seen, ntables, depth + 1);
        save_value(e, b, -1, seen, ntables, depth + 1);
        lua_pop(L, 1);
    }
    put_byte(b, T_END);
}

void ir_keep_save(isorules_engine *e, ir_buf *b, int idx)
{
    lua_State *L = e->L;
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    int ntables = 0;
    save_value(e, b, idx, lua_gettop(L), &ntables, 0);
    lua_pop(L, 1);
}

/* ---- reading back ---- */

typedef struct reader {
    const ir_buf *b;
    size_t pos;
    int bad;
} reader;

static int get(reader *r, void *p, size_t n)
{
    if (r->bad || r->pos + n > r->b->n) {
        r->bad = 1;
        memset(p, 0, n);
        return 0;
    }
    memcpy(p, r->b->p + r->pos, n);
    r->pos += n;
    return 1;
}

static int32_t get_i32(reader *r)
{
    int32_t v;
    get(r, &v, sizeof v);
    return v;
}

/* Pushes the next value. tables: a list of the tables read so far (for
 * refs). stack: +1 */
static void load_value(isorules_engine *e, reader *r, int tables, uint32_t agency)
{
    lua_State *L = e->L;
    char tag = 0;
    get(r, &tag, 1);
    switch (tag) {
    case T_FALSE:
    case T_TRUE:
        lua_pushboolean(L, tag == T_TRUE);
        return;
    case T_INT: {
        lua_Integer v;
        get(r, &v, sizeof v);
        lua_pushinteger(L, v);
        return;
    }
    case T_NUM: {
        lua_Number v;
        get(r, &v, sizeof v);
        lua_pushnumber(L, v);
        return;
    }
    case T_STR: {
        int32_t n = get_i32(r);
        if (n < 0 || r->pos + (size_t)n > r->b->n) {
            r->bad = 1;
            lua_pushnil(L);
            return;
        }
        lua_pushlstring(L, r->b->p + r->pos, (size_t)n);
        r->pos += (size_t)n;
        return;
    }
    case T_NULLITEM:
        lua_pushlightuserdata(L, IR_NULL_ITEM);
        return;
    case T_REF:
        lua_rawgeti(L, tables, (lua_Integer)get_i32(r) + 1);
        return;
    case T_TABLE:
        break;
    default:
        if (tag != T_NIL)
            r->bad = 1;
        lua_pushnil(L);
        return;
    }
    luaL_checkstack(L, 6, "keep");
    lua_newtable(L);
    int t = lua_gettop(L);
    lua_pushvalue(L, t);
    lua_rawseti(L, tables, (lua_Integer)lua_rawlen(L, tables) + 1);
    char has_pos = 0;
    get(r, &has_pos, 1);
    if (has_pos) {
        int line = get_i32(r), col = get_i32(r);
        uint32_t file = (uint32_t)get_i32(r);
        char kind = 0;
        get(r, &kind, 1);
        int32_t n = get_i32(r);
        long idx = ir_pos_add(&e->kept, lua_topointer(L, t), kind, line, col, file);
        if (idx < 0)
            luaL_error(L, "not enough memory");
        e->kept.nodes[idx].agency = agency;
        ir_entry *ents = n > 0 ? calloc((size_t)n, sizeof *ents) : NULL;
        if (n > 0 && !ents)
            luaL_error(L, "not enough memory");
        for (int32_t i = 0; i < n && !r->bad; i++) {
            int32_t klen = get_i32(r);
            if (klen >= 0 && r->pos + (size_t)klen <= r->b->n) {
                /* the store copies the text (ir_pos_set_entries) */
                ents[i].key = r->b->p + r->pos;
                ents[i].klen = (size_t)klen;
                r->pos += (size_t)klen;
            } else if (klen >= 0) {
                r->bad = 1;
            }
            ents[i].kline = get_i32(r);
            ents[i].kcol = get_i32(r);
            ents[i].line = get_i32(r);
            ents[i].col = get_i32(r);
        }
        int rc = ir_pos_set_entries(&e->kept, idx, ents, (size_t)(n > 0 ? n : 0));
        free(ents);
        if (rc != 0)
            luaL_error(L, "not enough memory");
    }
    for (;;) {
        if (r->bad || r->pos >= r->b->n) {
            r->bad = 1;
            break;
        }
        if (r->b->p[r->pos] == T_END) {
            r->pos++;
            break;
        }
        load_value(e, r, tables, agency);
        load_value(e, r, tables, agency);
        if (lua_isnil(L, -2) || (lua_type(L, -2) == LUA_TNUMBER && lua_tonumber(L, -2) != lua_tonumber(L, -2)))
            lua_pop(L, 2); /* a key that cannot be a key */
        else
            lua_rawset(L, t);
    }
}

int ir_keep_load(isorules_engine *e, const ir_buf *b, uint32_t agency)
{
    lua_State *L = e->L;
    reader r = {b, 0, 0};
    lua_newtable(L); /* tables read, for refs */
    int tables = lua_gettop(L);
    load_value(e, &r, tables, agency);
    lua_replace(L, tables);
    lua_settop(L, tables);
    return r.bad ? -1 : 0;
}
