/* fuzz_load.c: libFuzzer harness for the loader, core/load.c with
 * core/pos.c (docs/fuzzing.md). The input is one YAML file, read from memory
 * with small limits, three times:
 *
 *   1. IR_BUILD until IR_LOAD_END or IR_LOAD_ERR, keeping every document
 *      alive (as phase 1 of an audit keeps its registers);
 *   2. IR_STOP_AT_AGENCY until the first agency, then, with a fresh loader,
 *      IR_SKIP over the documents before it and IR_BUILD from it on (what an
 *      audit does in its two phases);
 *   3. IR_SKIP over every document.
 *
 * and checks, besides what ASan and UBSan catch:
 *   - the Lua stack grows by exactly one value for a built document, and not
 *     at all for IR_SKIP, IR_LOAD_END, IR_LOAD_ERR and IR_LOAD_AGENCY;
 *   - every error has a message (err[0] != 0); an encoding error has a byte
 *     offset inside the input, every other error (syntax, duplicate key,
 *     limit) a line and column >= 1, and so does ir_offset_position;
 *   - a document's root position is >= 1 unless the document is empty
 *     (no root: 0, 0);
 *   - every mapping and sequence reachable from a document has a position
 *     record of its kind, every key of a mapping and every index of a
 *     sequence an entry with a position >= 1 whose key text is the key's,
 *     and every key text of the store is readable to its length, also after
 *     a full garbage collection (ASan catches text freed under it);
 *   - the passes agree: the same documents in the same order (compared by
 *     type; tables by their number of keys), IR_LOAD_AGENCY exactly at the
 *     first document whose first key is `kind: agency`, and IR_SKIP, which
 *     builds nothing, reads as many documents as IR_BUILD when IR_BUILD read
 *     them all without an error.
 * A broken invariant prints what broke and aborts, which libFuzzer reports
 * as a crash. Memory errors inside Lua (lua_pcall returning LUA_ERRMEM) are
 * not bugs: they end the input quietly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>

#include "load.h"
#include "pos.h"

#define FILE_ID 3u
#define MAX_DOCS 1000 /* the documents limit below */

static const ir_load_limits limits = {64, 1048576, MAX_DOCS, 100000};

static void fail_check(const char *what, int line)
{
    fprintf(stderr, "fuzz_load: invariant broken (fuzz_load.c:%d): %s\n", line, what);
    abort();
}
#define CHECK(c) ((c) ? (void)0 : fail_check(#c, __LINE__))

typedef struct input {
    const char *data;
    size_t len;
} input;

/* What a pass saw: for each document its Lua type, its number of keys or
 * items when a table (-1 otherwise), whether its first key is
 * `kind: agency`; and how the pass ended. */
typedef struct doc_sum {
    int type, nkeys, agency;
} doc_sum;

typedef struct pass {
    doc_sum docs[MAX_DOCS + 1];
    int ndocs;
    int rc;         /* IR_LOAD_END, IR_LOAD_ERR or IR_LOAD_AGENCY */
    int agency_at;  /* IR_LOAD_AGENCY: the index of that document */
} pass;

typedef struct state {
    const input *in;
    ir_loader ld, ld2;
    ir_posstore ps;
    pass p[3];
} state;

static void check_error(const ir_loader *ld, const input *in)
{
    CHECK(ld->err[0] != '\0');
    CHECK(memchr(ld->err, '\0', sizeof ld->err) != NULL);
    if (ld->err_offset >= 0) { /* an encoding error */
        CHECK(ld->err_line == 0);
        CHECK((size_t)ld->err_offset <= in->len);
        int line = 0, col = 0;
        ir_offset_position(in->data, in->len, ld->err_offset, &line, &col);
        CHECK(line >= 1 && col >= 1);
    } else {
        CHECK(ld->err_offset == -1);
        CHECK(ld->err_line >= 1);
        CHECK(ld->err_col >= 1);
        CHECK((ld->err_line2 == 0) == (ld->err_col2 == 0));
        CHECK(ld->err_line2 >= 0 && ld->err_col2 >= 0);
    }
}

static volatile size_t sink; /* keeps the key reads below from being optimised away */

/* Every record of ps: entries in range, positions >= 1, key text readable. */
static void check_store(const ir_posstore *ps)
{
    CHECK(ps->ne <= ps->cape && ps->n <= ps->cap);
    for (size_t i = 0; i < ps->n; i++) {
        const ir_node *nd = &ps->nodes[i];
        CHECK(nd->kind == IR_MAP || nd->kind == IR_SEQ);
        CHECK(nd->file == FILE_ID);
        CHECK(nd->line >= 1 && nd->col >= 1);
        CHECK((size_t)nd->first + nd->count <= ps->ne);
        CHECK(ir_pos_find(ps, nd->obj) != NULL);
        for (uint32_t k = 0; k < nd->count; k++) {
            const ir_entry *en = &ps->ents[nd->first + k];
            CHECK(en->line >= 1 && en->col >= 1);
            if (nd->kind == IR_SEQ) {
                CHECK(en->key == NULL);
                continue;
            }
            CHECK(en->key != NULL);
            CHECK(en->kline >= 1 && en->kcol >= 1);
            size_t h = 0;
            for (size_t j = 0; j < en->klen; j++) /* ASan: the text must be alive */
                h = h * 31 + (unsigned char)en->key[j];
            sink += h;
        }
    }
}

/* Every table reachable from the value at idx has a record of the right
 * kind and an entry for each key or index. visited: a table at vidx.
 * Maps and sequences are told apart by their record, since an empty one of
 * either is an empty table. stack: +0 */
static void check_value(lua_State *L, const ir_posstore *ps, int idx, int vidx, int depth)
{
    /* aliases can chain past the depth limit: stop before the C stack does */
    if (lua_type(L, idx) != LUA_TTABLE || depth > 200)
        return;
    if (lua_rawgetp(L, vidx, lua_topointer(L, idx)) != LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
    lua_rawsetp(L, vidx, lua_topointer(L, idx));
    const ir_node *nd = ir_pos_find(ps, lua_topointer(L, idx));
    CHECK(nd != NULL);
    luaL_checkstack(L, 4, "check_value");
    lua_pushnil(L);
    lua_Integer items = 0;
    while (lua_next(L, idx)) {
        const ir_entry *en = NULL;
        if (nd->kind == IR_MAP) {
            CHECK(lua_type(L, -2) == LUA_TSTRING); /* keys are always strings */
            size_t n;
            const char *k = lua_tolstring(L, -2, &n);
            en = ir_pos_entry_key(ps, nd, k, n);
            CHECK(en != NULL);
            CHECK(en->klen == n && memcmp(en->key, k, n) == 0);
        } else {
            CHECK(lua_isinteger(L, -2));
            en = ir_pos_entry_index(ps, nd, lua_tointeger(L, -2));
            CHECK(en != NULL);
            items++;
        }
        CHECK(en->line >= 1 && en->col >= 1);
        /* the null placeholder of a mapping never survives its mapping */
        CHECK(lua_type(L, -1) != LUA_TLIGHTUSERDATA || lua_touserdata(L, -1) == IR_NULL_ITEM);
        CHECK(lua_type(L, -1) != LUA_TLIGHTUSERDATA || nd->kind == IR_SEQ);
        check_value(L, ps, lua_gettop(L), vidx, depth + 1);
        lua_pop(L, 1);
    }
    if (nd->kind == IR_SEQ) {
        CHECK((lua_Integer)lua_rawlen(L, idx) == items); /* no holes: null items are kept */
        CHECK(nd->count == (uint32_t)items);
    }
}

static doc_sum summarise(lua_State *L, int idx)
{
    doc_sum d = {lua_type(L, idx), -1, 0};
    if (d.type != LUA_TTABLE)
        return d;
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        n++;
        lua_pop(L, 1);
    }
    d.nkeys = n;
    return d;
}

/* Whether the document's first key (in source order) is `kind: agency`. */
static int first_key_is_agency(lua_State *L, const ir_posstore *ps, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return 0;
    const ir_node *nd = ir_pos_find(ps, lua_topointer(L, idx));
    if (!nd || nd->kind != IR_MAP || nd->count == 0)
        return 0;
    const ir_entry *en = &ps->ents[nd->first];
    if (en->klen != 4 || memcmp(en->key, "kind", 4) != 0)
        return 0;
    int t = lua_getfield(L, idx, "kind");
    size_t n = 0;
    const char *v = t == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    int yes = v && n == 6 && memcmp(v, "agency", 6) == 0;
    lua_pop(L, 1);
    return yes;
}

/* Whether doc's kind is the string "agency", wherever the key is. */
static int kind_is_agency(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return 0;
    size_t n = 0;
    const char *v = lua_getfield(L, idx, "kind") == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
    int yes = v && n == 6 && memcmp(v, "agency", 6) == 0;
    lua_pop(L, 1);
    return yes;
}

/* Whether the input has an alias (a `*`) at all: then `kind: *a` may be
 * the agency's first key, which IR_STOP_AT_AGENCY does not look at. */
static int alias_kind(const input *in) { return memchr(in->data, '*', in->len) != NULL; }

/* One ir_loader_next with the stack checks; the built value (if any) is
 * left on top. */
static int next_doc(lua_State *L, ir_loader *ld, ir_posstore *ps, int mode, const input *in)
{
    int top = lua_gettop(L);
    int line = -7, col = -7;
    luaL_checkstack(L, 8, "next_doc");
    int rc = ir_loader_next(ld, L, ps, FILE_ID, mode, &line, &col);
    CHECK(rc == IR_LOAD_DOC || rc == IR_LOAD_END || rc == IR_LOAD_ERR || rc == IR_LOAD_AGENCY);
    CHECK(rc != IR_LOAD_AGENCY || mode == IR_STOP_AT_AGENCY);
    if (rc == IR_LOAD_DOC && mode != IR_SKIP) {
        CHECK(lua_gettop(L) == top + 1);
        /* nil is an empty document (no root: 0, 0) or a null root */
        if (lua_isnil(L, -1))
            CHECK((line == 0 && col == 0) || (line >= 1 && col >= 1));
        else
            CHECK(line >= 1 && col >= 1);
    } else {
        CHECK(lua_gettop(L) == top);
    }
    if (rc == IR_LOAD_ERR)
        check_error(ld, in);
    return rc;
}

/* Pass 1: IR_BUILD over everything, documents kept alive. */
static int pass_build(lua_State *L)
{
    state *s = lua_touserdata(L, 1);
    pass *p = &s->p[0];
    lua_newtable(L); /* the documents */
    int docs = lua_gettop(L);
    lua_newtable(L); /* visited tables */
    int visited = lua_gettop(L);
    ir_loader_init(&s->ld, &limits);
    ir_loader_buffer(&s->ld, s->in->data, s->in->len);
    for (;;) {
        size_t nrec = s->ps.n;
        int rc = next_doc(L, &s->ld, &s->ps, IR_BUILD, s->in);
        if (rc != IR_LOAD_DOC) {
            p->rc = rc;
            /* the failed document's tables are gone: so go its records, as
             * in an audit (which drops the whole file's) */
            if (rc == IR_LOAD_ERR)
                ir_pos_truncate(&s->ps, nrec);
            break;
        }
        int d = lua_gettop(L);
        CHECK(p->ndocs < MAX_DOCS);
        p->docs[p->ndocs] = summarise(L, d);
        p->docs[p->ndocs].agency = first_key_is_agency(L, &s->ps, d);
        p->ndocs++;
        check_value(L, &s->ps, d, visited, 0);
        lua_rawseti(L, docs, p->ndocs);
        CHECK(lua_gettop(L) == visited);
    }
    /* a full collection: every record still points at live key text */
    lua_gc(L, LUA_GCCOLLECT);
    check_store(&s->ps);
    ir_loader_done(&s->ld);
    lua_settop(L, 1);
    return 0;
}

/* Pass 2: what an audit does. IR_STOP_AT_AGENCY up to the first agency
 * (phase 1), then a new loader: IR_SKIP before it, IR_BUILD from it on with
 * the store cleared for each document (phase 2). */
static int pass_audit(lua_State *L)
{
    state *s = lua_touserdata(L, 1);
    pass *p = &s->p[1];
    const pass *p1 = &s->p[0];
    int base = lua_gettop(L);
    ir_pos_clear(&s->ps);
    ir_loader_init(&s->ld, &limits);
    ir_loader_buffer(&s->ld, s->in->data, s->in->len);
    int first_agency = -1, stopped = 0;
    for (;;) {
        int rc = next_doc(L, &s->ld, &s->ps, IR_STOP_AT_AGENCY, s->in);
        if (rc == IR_LOAD_AGENCY) {
            first_agency = p->ndocs;
            stopped = 1;
            break;
        }
        if (rc != IR_LOAD_DOC) {
            p->rc = rc;
            break;
        }
        CHECK(p->ndocs < MAX_DOCS);
        p->docs[p->ndocs] = summarise(L, lua_gettop(L));
        p->docs[p->ndocs].agency = first_key_is_agency(L, &s->ps, lua_gettop(L));
        /* `kind: agency` first should have stopped it, unless the value is
         * an alias (only a scalar is looked at) */
        CHECK(!p->docs[p->ndocs].agency || alias_kind(s->in));
        if (kind_is_agency(L, lua_gettop(L))) { /* kind elsewhere: the audit stops here too */
            first_agency = p->ndocs;
            lua_pop(L, 1);
            break;
        }
        p->ndocs++;
        lua_pop(L, 1);
    }
    ir_loader_done(&s->ld);
    if (first_agency >= 0) {
        /* pass 1 built that document too, unless it failed inside it
         * (after the `kind: agency` that stopped this pass); it starts with
         * `kind: agency` exactly when IR_STOP_AT_AGENCY stopped there */
        CHECK(p1->ndocs >= first_agency);
        CHECK(p1->ndocs > first_agency || (stopped && p1->rc == IR_LOAD_ERR));
        if (p1->ndocs > first_agency && stopped)
            CHECK(p1->docs[first_agency].agency);
        ir_loader_init(&s->ld2, &limits);
        ir_loader_buffer(&s->ld2, s->in->data, s->in->len);
        lua_newtable(L);
        int visited = lua_gettop(L);
        for (int doc = 0;; doc++) {
            lua_settop(L, visited);
            ir_pos_clear(&s->ps);
            int mode = doc < first_agency ? IR_SKIP : IR_BUILD;
            int rc = next_doc(L, &s->ld2, &s->ps, mode, s->in);
            if (rc != IR_LOAD_DOC) {
                p->rc = rc;
                break;
            }
            if (mode == IR_SKIP)
                continue;
            CHECK(p->ndocs < MAX_DOCS);
            p->docs[p->ndocs++] = summarise(L, lua_gettop(L));
            p->docs[p->ndocs - 1].agency = first_key_is_agency(L, &s->ps, lua_gettop(L));
            check_value(L, &s->ps, lua_gettop(L), visited, 0);
            lua_gc(L, LUA_GCCOLLECT); /* only the document is alive: positions hold their own key text */
            check_store(&s->ps);
        }
        ir_loader_done(&s->ld2);
    }
    lua_settop(L, base);
    return 0;
}

/* Pass 3: IR_SKIP over everything. */
static int pass_skip(lua_State *L)
{
    state *s = lua_touserdata(L, 1);
    pass *p = &s->p[2];
    ir_pos_clear(&s->ps);
    ir_loader_init(&s->ld, &limits);
    ir_loader_buffer(&s->ld, s->in->data, s->in->len);
    for (;;) {
        int rc = next_doc(L, &s->ld, &s->ps, IR_SKIP, s->in);
        if (rc != IR_LOAD_DOC) {
            p->rc = rc;
            break;
        }
        p->ndocs++;
        CHECK(p->ndocs <= MAX_DOCS);
    }
    CHECK(s->ps.n == 0 && s->ps.ne == 0); /* skipping records nothing */
    ir_loader_done(&s->ld);
    return 0;
}

static int run_pass(lua_State *L, state *s, lua_CFunction fn, ir_loader *ld)
{
    lua_settop(L, 0);
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, s);
    int rc = lua_pcall(L, 1, 0, 0);
    if (rc != LUA_OK) {
        /* only memory errors may come out of the loader */
        CHECK(rc == LUA_ERRMEM);
        ir_loader_done(ld);
        ir_loader_done(&s->ld2);
        return -1;
    }
    CHECK(lua_gettop(L) == 0);
    return 0;
}

static int same_docs(const pass *a, const pass *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a->docs[i].type != b->docs[i].type || a->docs[i].nkeys != b->docs[i].nkeys ||
            a->docs[i].agency != b->docs[i].agency)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state *s;
    if (!s && !(s = malloc(sizeof *s)))
        abort();
    input in = {(const char *)data, size};
    memset(s, 0, sizeof *s);
    s->in = &in;
    ir_pos_init(&s->ps);
    lua_State *L = luaL_newstate();
    if (!L)
        abort();
    if (run_pass(L, s, pass_build, &s->ld) == 0 && run_pass(L, s, pass_audit, &s->ld) == 0 &&
        run_pass(L, s, pass_skip, &s->ld) == 0) {
        const pass *b = &s->p[0], *a = &s->p[1], *k = &s->p[2];
        /* the audit pass: the same documents as pass 1, as far as it went */
        int n = a->ndocs < b->ndocs ? a->ndocs : b->ndocs;
        CHECK(same_docs(a, b, n));
        if (b->rc == IR_LOAD_END) {
            /* pass 1 read everything: so do the others, to the same end */
            CHECK(a->ndocs == b->ndocs && a->rc == IR_LOAD_END);
            CHECK(k->ndocs == b->ndocs && k->rc == IR_LOAD_END);
        } else {
            /* an error: the others read no further than pass 1 (skipping
             * builds nothing, so it may get past a duplicate key or a
             * limit on depth, scalars or nodes; never past a syntax
             * error or the documents limit) */
            CHECK(a->ndocs <= b->ndocs);
            CHECK(a->rc == IR_LOAD_ERR);
            CHECK(k->ndocs >= b->ndocs);
        }
        if (b->rc == IR_LOAD_END) {
            int first = -1;
            for (int i = 0; i < b->ndocs && first < 0; i++)
                if (b->docs[i].agency)
                    first = i;
            (void)first; /* checked in pass_audit: it stops at exactly that document */
        }
    }
    lua_close(L);
    ir_pos_free(&s->ps);
    return 0;
}
