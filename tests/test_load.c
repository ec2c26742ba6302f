/* test_load.c: unit tests for the loader, core/load.c (with core/pos.c for
 * positions), cmocka. Each case feeds a YAML buffer to ir_loader_next and
 * inspects the Lua values it builds, the positions it records and the
 * errors it gives (FORMAT.md "Scalars", "Structure rules of the loader";
 * ENGINE.md "Load", "Positions"). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>

#include "load.h"
#include "pos.h"

#define FILE_ID 7u

typedef struct lt {
    lua_State *L;
    ir_posstore ps;
    ir_loader ld;
    int line, col; /* the root position of the last document read */
} lt;

static int lt_setup(void **state)
{
    lt *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->L = luaL_newstate();
    if (!t->L) {
        free(t);
        return -1;
    }
    ir_pos_init(&t->ps);
    ir_loader_init(&t->ld, NULL);
    lua_newtable(t->L);
    *state = t;
    return 0;
}

static int lt_teardown(void **state)
{
    lt *t = *state;
    ir_loader_done(&t->ld);
    ir_pos_free(&t->ps);
    lua_close(t->L);
    free(t);
    return 0;
}

/* Starts reading yaml (len bytes; borrowed) with these limits (NULL: none). */
static void start_len(lt *t, const char *yaml, size_t len, const ir_load_limits *lim)
{
    ir_loader_done(&t->ld);
    ir_loader_init(&t->ld, lim);
    ir_loader_buffer(&t->ld, yaml, len);
}

static void start(lt *t, const char *yaml, const ir_load_limits *lim)
{
    start_len(t, yaml, strlen(yaml), lim);
}

/* ir_loader_next, checking that it pushes exactly one value when it says
 * it built a document and nothing otherwise. */
static int next_doc(lt *t, int mode)
{
    int top = lua_gettop(t->L);
    t->line = t->col = -1;
    int rc = ir_loader_next(&t->ld, t->L, &t->ps, FILE_ID, mode, &t->line, &t->col);
    if (rc == IR_LOAD_DOC && mode != IR_SKIP)
        assert_int_equal(lua_gettop(t->L), top + 1);
    else
        assert_int_equal(lua_gettop(t->L), top);
    return rc;
}

/* Reads the first document of yaml, which must be a table; leaves it on top. */
static void load_table(lt *t, const char *yaml)
{
    start(t, yaml, NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_int_equal(lua_type(t->L, -1), LUA_TTABLE);
}

/* Expects the next read of yaml to fail at (line, col), with a message
 * holding `what`; the loader pushes nothing. */
static void expect_error(lt *t, const char *yaml, const ir_load_limits *lim, const char *what,
                         int line, int col)
{
    start(t, yaml, lim);
    int rc = next_doc(t, IR_BUILD);
    assert_int_equal(rc, IR_LOAD_ERR);
    assert_true(t->ld.err[0] != '\0');
    if (what)
        assert_non_null(strstr(t->ld.err, what));
    assert_int_equal(t->ld.err_line, line);
    if (col > 0)
        assert_int_equal(t->ld.err_col, col);
    else /* where libyaml puts an empty node: any column of the line */
        assert_true(t->ld.err_col >= 1);
}

/* The type of t[key] for the table at the top; the value is left on top. */
static int field(lt *t, const char *key) { return lua_getfield(t->L, -1, key); }

static void assert_int_field(lt *t, const char *key, lua_Integer want)
{
    assert_int_equal(field(t, key), LUA_TNUMBER);
    assert_true(lua_isinteger(t->L, -1));
    assert_true(lua_tointeger(t->L, -1) == want);
    lua_pop(t->L, 1);
}

static void assert_str_field(lt *t, const char *key, const char *want)
{
    assert_int_equal(field(t, key), LUA_TSTRING);
    size_t n;
    const char *s = lua_tolstring(t->L, -1, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(s, want, n);
    lua_pop(t->L, 1);
}

static void assert_bool_field(lt *t, const char *key, int want)
{
    assert_int_equal(field(t, key), LUA_TBOOLEAN);
    assert_int_equal(lua_toboolean(t->L, -1), want);
    lua_pop(t->L, 1);
}

static void assert_absent_field(lt *t, const char *key)
{
    assert_int_equal(field(t, key), LUA_TNIL);
    lua_pop(t->L, 1);
}

/* How many keys the table at the top has. */
static int count_keys(lt *t)
{
    int n = 0;
    lua_pushnil(t->L);
    while (lua_next(t->L, -2)) {
        n++;
        lua_pop(t->L, 1);
    }
    return n;
}

/* The position record of the table at idx (which must have one). */
static const ir_node *node_of(lt *t, int idx)
{
    const ir_node *nd = ir_pos_find(&t->ps, lua_topointer(t->L, idx));
    assert_non_null(nd);
    assert_int_equal(nd->file, FILE_ID);
    return nd;
}

static void assert_node_pos(lt *t, int idx, int kind, int line, int col)
{
    const ir_node *nd = node_of(t, idx);
    assert_int_equal(nd->kind, kind);
    assert_int_equal(nd->line, line);
    assert_int_equal(nd->col, col);
}

/* The value position of key in the mapping at idx, and its key position. */
static void assert_key_pos(lt *t, int idx, const char *key, int kline, int kcol, int line, int col)
{
    const ir_entry *en = ir_pos_entry_key(&t->ps, node_of(t, idx), key, strlen(key));
    assert_non_null(en);
    assert_int_equal(en->kline, kline);
    assert_int_equal(en->kcol, kcol);
    assert_int_equal(en->line, line);
    assert_int_equal(en->col, col);
}

/* The position of item i (1-based) of the sequence at idx. */
static void assert_index_pos(lt *t, int idx, long long i, int line, int col)
{
    const ir_entry *en = ir_pos_entry_index(&t->ps, node_of(t, idx), i);
    assert_non_null(en);
    assert_null(en->key);
    assert_int_equal(en->line, line);
    assert_int_equal(en->col, col);
}

/* ---- scalars ---- */

static void test_load_scalar_integers(void **state)
{
    lt *t = *state;
    load_table(t, "a: 42\nb: -7\nc: 09\nd: 0\ne: -007\n");
    assert_int_field(t, "a", 42);
    assert_int_field(t, "b", -7);
    assert_int_field(t, "c", 9);
    assert_int_field(t, "d", 0);
    assert_int_field(t, "e", -7);
    assert_int_equal(count_keys(t), 5);
}

static void test_load_scalar_int64_limits(void **state)
{
    lt *t = *state;
    load_table(t, "max: 9223372036854775807\n"
                  "min: -9223372036854775808\n"
                  "over: 9223372036854775808\n"
                  "under: -9223372036854775809\n"
                  "huge: 99999999999999999999\n");
    assert_int_field(t, "max", INT64_MAX);
    assert_int_field(t, "min", INT64_MIN);
    /* too big for 64 bits: the string exactly as written, never a float */
    assert_str_field(t, "over", "9223372036854775808");
    assert_str_field(t, "under", "-9223372036854775809");
    assert_str_field(t, "huge", "99999999999999999999");
}

static void test_load_scalar_booleans(void **state)
{
    lt *t = *state;
    load_table(t, "t: true\nf: false\ny: yes\nn: no\n");
    assert_bool_field(t, "t", 1);
    assert_bool_field(t, "f", 0);
    assert_str_field(t, "y", "yes");
    assert_str_field(t, "n", "no");
}

static void test_load_scalar_nulls(void **state)
{
    lt *t = *state;
    load_table(t, "a: null\nb: ~\nc:\nd: x\ne: {k: ~, l: 1}\n");
    assert_absent_field(t, "a");
    assert_absent_field(t, "b");
    assert_absent_field(t, "c");
    assert_str_field(t, "d", "x");
    assert_int_equal(count_keys(t), 2);
    assert_int_equal(field(t, "e"), LUA_TTABLE);
    assert_absent_field(t, "k");
    assert_int_field(t, "l", 1);
    assert_int_equal(count_keys(t), 1);
}

static void test_load_scalar_quoted_strings(void **state)
{
    lt *t = *state;
    load_table(t, "a: \"42\"\nb: '-7'\nc: \"true\"\nd: 'null'\ne: \"\"\nf: '~'\n");
    assert_str_field(t, "a", "42");
    assert_str_field(t, "b", "-7");
    assert_str_field(t, "c", "true");
    assert_str_field(t, "d", "null");
    assert_str_field(t, "e", "");
    assert_str_field(t, "f", "~");
}

static void test_load_scalar_strings_as_written(void **state)
{
    lt *t = *state;
    load_table(t, "a: 20.000\nb: 1e3\nc: 2021-03-04\nd: 1.5\ne: +5\nf: 0x1F\ng: 3.982.840\n"
                  "h: .inf\ni: 1_000\nj: 4/3/2021\n");
    assert_str_field(t, "a", "20.000");
    assert_str_field(t, "b", "1e3");
    assert_str_field(t, "c", "2021-03-04");
    assert_str_field(t, "d", "1.5");
    assert_str_field(t, "e", "+5");
    assert_str_field(t, "f", "0x1F");
    assert_str_field(t, "g", "3.982.840");
    assert_str_field(t, "h", ".inf");
    assert_str_field(t, "i", "1_000");
    assert_str_field(t, "j", "4/3/2021");
}

static void test_load_scalar_tags(void **state)
{
    lt *t = *state;
    load_table(t, "a: !!str 42\nb: !!str true\nc: !!str ~\nd: !!str\ne: ! 7\nf: !custom 42\n"
                  "g: !custom text\n");
    assert_str_field(t, "a", "42");
    assert_str_field(t, "b", "true");
    assert_str_field(t, "c", "~");
    assert_str_field(t, "d", "");
    assert_str_field(t, "e", "7");
    /* tags other than the core ones are ignored */
    assert_int_field(t, "f", 42);
    assert_str_field(t, "g", "text");
}

static void test_load_scalar_keys_are_strings(void **state)
{
    lt *t = *state;
    load_table(t, "1: one\ntrue: yes\n\"2\": two\n");
    assert_str_field(t, "1", "one");
    assert_str_field(t, "true", "yes");
    assert_str_field(t, "2", "two");
    lua_rawgeti(t->L, -1, 1); /* never an integer key */
    assert_true(lua_isnil(t->L, -1));
    lua_pop(t->L, 1);
}

/* ---- positions ---- */

static void test_load_positions(void **state)
{
    lt *t = *state;
    load_table(t, "kind: agency\n"                /* 1 */
                  "id: x\n"                      /* 2 */
                  "qms:\n"                       /* 3 */
                  "  applied_since: 2017-05-01\n" /* 4 */
                  "  internal_audits:\n"         /* 5 */
                  "    - date: 2020-11-15\n"     /* 6 */
                  "    - date: 2021-01-02\n"     /* 7 */
                  "basis: [a, bb, 3]\n");        /* 8 */
    assert_int_equal(t->line, 1);
    assert_int_equal(t->col, 1);
    int root = lua_gettop(t->L);
    assert_node_pos(t, root, IR_MAP, 1, 1);
    assert_key_pos(t, root, "kind", 1, 1, 1, 7);
    assert_key_pos(t, root, "id", 2, 1, 2, 5);
    assert_key_pos(t, root, "qms", 3, 1, 4, 3);
    assert_key_pos(t, root, "basis", 8, 1, 8, 8);
    assert_null(ir_pos_entry_key(&t->ps, node_of(t, root), "nope", 4));

    assert_int_equal(field(t, "qms"), LUA_TTABLE);
    int qms = lua_gettop(t->L);
    assert_node_pos(t, qms, IR_MAP, 4, 3);
    assert_key_pos(t, qms, "applied_since", 4, 3, 4, 18);
    assert_key_pos(t, qms, "internal_audits", 5, 3, 6, 5);

    assert_int_equal(field(t, "internal_audits"), LUA_TTABLE);
    int ia = lua_gettop(t->L);
    assert_node_pos(t, ia, IR_SEQ, 6, 5);
    assert_index_pos(t, ia, 1, 6, 7);
    assert_index_pos(t, ia, 2, 7, 7);
    assert_null(ir_pos_entry_index(&t->ps, node_of(t, ia), 3));
    assert_null(ir_pos_entry_index(&t->ps, node_of(t, ia), 0));
    lua_rawgeti(t->L, ia, 2);
    assert_node_pos(t, -1, IR_MAP, 7, 7);
    assert_key_pos(t, lua_gettop(t->L), "date", 7, 7, 7, 13);
    lua_settop(t->L, root);

    assert_int_equal(field(t, "basis"), LUA_TTABLE);
    int basis = lua_gettop(t->L);
    assert_node_pos(t, basis, IR_SEQ, 8, 8);
    assert_index_pos(t, basis, 1, 8, 9);
    assert_index_pos(t, basis, 2, 8, 12);
    assert_index_pos(t, basis, 3, 8, 16);
}

/* Columns are counted in characters, not bytes. */
static void test_load_positions_columns_in_characters(void **state)
{
    lt *t = *state;
    /* "ở" is three bytes in UTF-8 */
    load_table(t, "x: {a: S\xe1\xbb\x9f Khoa, b: 1}\n");
    assert_int_equal(field(t, "x"), LUA_TTABLE);
    assert_key_pos(t, lua_gettop(t->L), "b", 1, 17, 1, 20);
    assert_key_pos(t, lua_gettop(t->L), "a", 1, 5, 1, 8);
}

/* ---- documents ---- */

static void test_load_multi_document(void **state)
{
    lt *t = *state;
    start(t, "a: 1\n---\nb: 2\n---\n- 3\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_int_field(t, "a", 1);
    assert_int_equal(t->line, 1);
    assert_int_equal(t->col, 1);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_int_field(t, "b", 2);
    assert_absent_field(t, "a");
    assert_int_equal(t->line, 3);
    assert_int_equal(t->col, 1);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_int_equal(lua_type(t->L, -1), LUA_TTABLE);
    assert_int_equal(t->line, 5);
    assert_node_pos(t, -1, IR_SEQ, 5, 1);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_END);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_END); /* and stays at the end */
}

static void test_load_empty_documents(void **state)
{
    lt *t = *state;
    start(t, "", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_END);
    start(t, "# only a comment\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_END);
    start(t, "---\n...\n---\na: 1\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_true(lua_isnil(t->L, -1));
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_int_field(t, "a", 1);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_END);
}

static void test_load_scalar_document(void **state)
{
    lt *t = *state;
    start(t, "hello\n---\n42\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_string_equal(lua_tostring(t->L, -1), "hello");
    assert_int_equal(lua_type(t->L, -1), LUA_TSTRING);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_true(lua_isinteger(t->L, -1));
    assert_true(lua_tointeger(t->L, -1) == 42);
    assert_int_equal(t->line, 3);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_END);
}

/* ---- duplicate, null and non-scalar keys ---- */

static void test_load_duplicate_key(void **state)
{
    lt *t = *state;
    expect_error(t, "a: 1\nb: 2\na: 3\n", NULL, "duplicate key \"a\"", 3, 1);
    assert_non_null(strstr(t->ld.err, "line 1, column 1"));
    assert_int_equal(t->ld.err_line2, 1);
    assert_int_equal(t->ld.err_col2, 1);
}

static void test_load_duplicate_key_nested(void **state)
{
    lt *t = *state;
    expect_error(t, "top:\n  k: 1\n  y: [1, {k: 2}]\n  k: 2\n", NULL, "duplicate key \"k\"", 4, 3);
    assert_non_null(strstr(t->ld.err, "line 2, column 3"));
    assert_int_equal(t->ld.err_line2, 2);
    assert_int_equal(t->ld.err_col2, 3);
}

static void test_load_duplicate_key_in_flow(void **state)
{
    lt *t = *state;
    expect_error(t, "m: {a: 1, b: 2, a: 1}\n", NULL, "duplicate key \"a\"", 1, 17);
    assert_non_null(strstr(t->ld.err, "line 1, column 5"));
}

static void test_load_duplicate_key_null_value(void **state)
{
    lt *t = *state;
    expect_error(t, "a:\nb: 1\na: 2\n", NULL, "duplicate key \"a\"", 3, 1);
    assert_non_null(strstr(t->ld.err, "line 1, column 1"));
    expect_error(t, "x: 0\na: ~\na: ~\n", NULL, "duplicate key \"a\"", 3, 1);
    assert_non_null(strstr(t->ld.err, "line 2, column 1"));
}

/* Small collections wait on the Lua stack and get their table when they
 * close; large ones (core/load.c's DEFER_MAX items and more) get it midway.
 * Both must read alike: every size around the switch, with null values and
 * repeated keys before and after it, positions for each key and item. */
static char *big_map(int n, int null_at, int dup_of, int dup_at)
{
    size_t cap = (size_t)n * 32 + 64, len = 0;
    char *y = malloc(cap);
    assert_non_null(y);
    for (int i = 0; i < n; i++) {
        int k = i == dup_at ? dup_of : i;
        len += (size_t)snprintf(y + len, cap - len, i == null_at ? "k%d:\n" : "k%d: %d\n", k, i);
    }
    return y;
}

static void test_load_large_mappings(void **state)
{
    lt *t = *state;
    static const int sizes[] = {1, 2, 63, 64, 65, 128, 129, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        char *y = big_map(n, n / 2, -1, -1);
        load_table(t, y);
        assert_int_equal(count_keys(t), n - 1); /* the null value's key is not kept */
        char key[16];
        for (int i = 0; i < n; i++) {
            snprintf(key, sizeof key, "k%d", i);
            if (i == n / 2) {
                assert_absent_field(t, key);
                continue;
            }
            assert_int_field(t, key, i);
            assert_key_pos(t, -1, key, i + 1, 1, i + 1, (int)strlen(key) + 3);
        }
        lua_pop(t->L, 1);
        free(y);
    }
}

static void test_load_large_mapping_duplicates(void **state)
{
    lt *t = *state;
    /* a key repeated within the first items, across the switch, and long
     * after it; and the key of a null value repeated after the switch */
    static const int cases[][4] = {{10, -1, 2, 5},  {200, -1, 3, 40},  {200, -1, 10, 70},
                                   {200, -1, 100, 150}, {200, 5, 5, 100}, {200, 80, 80, 120}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *y = big_map(cases[c][0], cases[c][1], cases[c][2], cases[c][3]);
        char what[64];
        snprintf(what, sizeof what, "duplicate key \"k%d\" (first at line %d, column 1)", cases[c][2],
                 cases[c][2] + 1);
        expect_error(t, y, NULL, what, cases[c][3] + 1, 1);
        free(y);
    }
}

static void test_load_large_sequences(void **state)
{
    lt *t = *state;
    static const int sizes[] = {0, 1, 63, 64, 65, 130, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        size_t cap = (size_t)n * 16 + 16, len = 0;
        char *y = malloc(cap);
        assert_non_null(y);
        len += (size_t)snprintf(y, cap, "l:\n");
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(y + len, cap - len, i == 70 ? "- ~\n" : "- %d\n", i);
        if (n == 0)
            snprintf(y, cap, "l: []\n");
        load_table(t, y);
        assert_int_equal(field(t, "l"), LUA_TTABLE);
        assert_int_equal(lua_rawlen(t->L, -1), n);
        for (int i = 0; i < n; i++) {
            lua_rawgeti(t->L, -1, i + 1);
            if (i == 70)
                assert_ptr_equal(lua_touserdata(t->L, -1), IR_NULL_ITEM);
            else
                assert_int_equal(lua_tointeger(t->L, -1), i);
            lua_pop(t->L, 1);
            assert_index_pos(t, -1, i + 1, i + 2, 3);
        }
        lua_pop(t->L, 2);
        free(y);
    }
}

/* Nested collections, each deferred inside a deferred parent, and an
 * anchored one (made at once, for the alias inside it) among them. */
static void test_load_nested_deferred(void **state)
{
    lt *t = *state;
    load_table(t, "a: {b: [1, {c: 2}], d: {}}\ne: &x [3, *x]\nf: [[], [[4]]]\n");
    assert_int_equal(field(t, "a"), LUA_TTABLE);
    assert_node_pos(t, -1, IR_MAP, 1, 4);
    assert_int_equal(field(t, "b"), LUA_TTABLE);
    assert_node_pos(t, -1, IR_SEQ, 1, 8);
    lua_rawgeti(t->L, -1, 2);
    assert_int_field(t, "c", 2);
    assert_node_pos(t, -1, IR_MAP, 1, 12);
    lua_pop(t->L, 2);
    assert_int_equal(field(t, "d"), LUA_TTABLE);
    assert_int_equal(count_keys(t), 0);
    lua_pop(t->L, 2);
    assert_int_equal(field(t, "e"), LUA_TTABLE);
    lua_rawgeti(t->L, -1, 2);
    assert_true(lua_rawequal(t->L, -1, -2));
    lua_pop(t->L, 2);
    assert_int_equal(field(t, "f"), LUA_TTABLE);
    lua_rawgeti(t->L, -1, 2);
    lua_rawgeti(t->L, -1, 1);
    lua_rawgeti(t->L, -1, 1);
    assert_int_equal(lua_tointeger(t->L, -1), 4);
    lua_pop(t->L, 5);
}

static void test_load_same_key_in_other_mappings(void **state)
{
    lt *t = *state;
    load_table(t, "a: {k: 1}\nb: {k: 2}\nk: 3\n");
    assert_int_field(t, "k", 3);
}

static void test_load_null_key(void **state)
{
    lt *t = *state;
    expect_error(t, "a: 1\n~: 2\n", NULL, "null", 2, 1);
    expect_error(t, "null: 1\n", NULL, "null", 1, 1);
    expect_error(t, "a: 1\n? \n: 2\n", NULL, "null", 2, -1);
    expect_error(t, "a: 1\n? ~\n: 2\n", NULL, "null", 2, 3);
    /* a quoted "null" is a string key */
    load_table(t, "\"null\": 1\n'~': 2\n");
    assert_int_field(t, "null", 1);
    assert_int_field(t, "~", 2);
}

static void test_load_nonscalar_key(void **state)
{
    lt *t = *state;
    expect_error(t, "? [a, b]\n: 1\n", NULL, "not a scalar", 1, 3);
    expect_error(t, "x: 1\n? {a: 1}\n: 2\n", NULL, "not a scalar", 2, 3);
    /* an alias of a collection used as a key */
    expect_error(t, "a: &x [1]\n*x : 2\n", NULL, "not a scalar", 2, 1);
    /* an alias of a scalar is a fine key */
    load_table(t, "a: &k name\n*k : 2\n");
    assert_int_field(t, "name", 2);
}

/* ---- anchors and aliases ---- */

static void test_load_alias_same_table(void **state)
{
    lt *t = *state;
    load_table(t, "a: &x {k: 1}\nb: *x\nc: [*x, *x]\ns: &v 42\nu: *v\n");
    int root = lua_gettop(t->L);
    lua_getfield(t->L, root, "a");
    lua_getfield(t->L, root, "b");
    lua_getfield(t->L, root, "c");
    int a = root + 1, b = root + 2, c = root + 3;
    assert_int_equal(lua_type(t->L, a), LUA_TTABLE);
    assert_true(lua_rawequal(t->L, a, b));
    assert_true(lua_topointer(t->L, a) == lua_topointer(t->L, b));
    assert_int_equal(lua_rawlen(t->L, c), 2);
    lua_rawgeti(t->L, c, 1);
    assert_true(lua_rawequal(t->L, a, -1));
    lua_rawgeti(t->L, c, 2);
    assert_true(lua_rawequal(t->L, a, -1));
    lua_settop(t->L, root);
    assert_int_field(t, "u", 42);
    /* one table, so one position record: the anchored node's, which
     * starts at its anchor */
    lua_getfield(t->L, root, "b");
    assert_node_pos(t, -1, IR_MAP, 1, 4);
}

static void test_load_alias_cycle(void **state)
{
    lt *t = *state;
    load_table(t, "a: &a [1, *a]\nm: &m {self: *m}\n");
    assert_int_equal(field(t, "a"), LUA_TTABLE);
    assert_int_equal(lua_rawlen(t->L, -1), 2);
    lua_rawgeti(t->L, -1, 2);
    assert_true(lua_rawequal(t->L, -1, -2));
    lua_pop(t->L, 2);
    assert_int_equal(field(t, "m"), LUA_TTABLE);
    assert_int_equal(field(t, "self"), LUA_TTABLE);
    assert_true(lua_rawequal(t->L, -1, -2));
}

static void test_load_alias_unknown(void **state)
{
    lt *t = *state;
    expect_error(t, "a: 1\nb: *nope\n", NULL, "nope", 2, 4);
    /* anchors do not reach into the next document */
    start(t, "a: &x 1\n---\nb: *x\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    assert_int_equal(t->ld.err_line, 3);
    assert_int_equal(t->ld.err_col, 4);
}

/* ---- encodings and line ends ---- */

static void test_load_crlf(void **state)
{
    lt *t = *state;
    load_table(t, "a: 1\r\nb:\r\n  c: hello\r\n  d: [x, y]\r\ne: \"q\"\r\n");
    int root = lua_gettop(t->L);
    assert_int_field(t, "a", 1);
    assert_str_field(t, "e", "q");
    assert_node_pos(t, root, IR_MAP, 1, 1);
    assert_key_pos(t, root, "a", 1, 1, 1, 4);
    assert_key_pos(t, root, "b", 2, 1, 3, 3);
    assert_key_pos(t, root, "e", 5, 1, 5, 4);
    assert_int_equal(field(t, "b"), LUA_TTABLE);
    assert_str_field(t, "c", "hello"); /* no '\r' left in values */
    assert_key_pos(t, lua_gettop(t->L), "c", 3, 3, 3, 6);
    assert_key_pos(t, lua_gettop(t->L), "d", 4, 3, 4, 6);
}

/* A BOM is skipped by libyaml's encoding detection: positions are those
 * of the text after it. */
static void test_load_bom(void **state)
{
    lt *t = *state;
    load_table(t, "\xef\xbb\xbf"
                  "a: 1\r\nb:\r\n  c: hello\r\n");
    int root = lua_gettop(t->L);
    assert_int_field(t, "a", 1);
    assert_node_pos(t, root, IR_MAP, 1, 1);
    assert_key_pos(t, root, "a", 1, 1, 1, 4);
    assert_key_pos(t, root, "b", 2, 1, 3, 3);
    assert_int_equal(field(t, "b"), LUA_TTABLE);
    assert_str_field(t, "c", "hello");
    assert_key_pos(t, lua_gettop(t->L), "c", 3, 3, 3, 6);
    lua_pop(t->L, 2);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_END);
}

/* A BOM alone in front of a one-line document. */
static void test_load_bom_single_line(void **state)
{
    lt *t = *state;
    load_table(t, "\xef\xbb\xbf{a: 1, b: 2}\n");
    assert_int_field(t, "a", 1);
    assert_int_field(t, "b", 2);
}

static void test_load_invalid_utf8(void **state)
{
    lt *t = *state;
    start(t, "a: \xff\xfe\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    assert_true(t->ld.err[0] != '\0');
    start(t, "a: \"\xc0\xaf\"\n", NULL); /* an overlong '/' */
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    assert_true(t->ld.err[0] != '\0');
    start(t, "a: \xed\xa0\x80\n", NULL); /* a surrogate */
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    start(t, "a: x\xe1\xbb\n", NULL); /* cut short */
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
}

/* libyaml's reader gives an encoding error as a byte offset: the loader
 * passes it on (err_line 0) and ir_offset_position turns it into 3:4. */
static void test_load_invalid_utf8_position(void **state)
{
    lt *t = *state;
    start(t, "a: 1\nb: 2\nc: \xff\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    assert_int_equal(t->ld.err_line, 0);
    assert_int_equal(t->ld.err_offset, 13);
    static const char text[] = "a: 1\nb: 2\nc: \xff\n";
    int line = 0, col = 0;
    ir_offset_position(text, sizeof text - 1, t->ld.err_offset, &line, &col);
    assert_int_equal(line, 3);
    assert_int_equal(col, 4);
}

/* ---- null list items ---- */

static void test_load_null_list_items(void **state)
{
    lt *t = *state;
    load_table(t, "l: [1, ~, 3, null]\nm:\n  - a\n  -\n  - c\n");
    assert_int_equal(field(t, "l"), LUA_TTABLE);
    int l = lua_gettop(t->L);
    assert_int_equal(lua_rawlen(t->L, l), 4);
    lua_rawgeti(t->L, l, 2);
    assert_int_equal(lua_type(t->L, -1), LUA_TLIGHTUSERDATA);
    assert_ptr_equal(lua_touserdata(t->L, -1), IR_NULL_ITEM);
    lua_rawgeti(t->L, l, 4);
    assert_ptr_equal(lua_touserdata(t->L, -1), IR_NULL_ITEM);
    lua_rawgeti(t->L, l, 3);
    assert_true(lua_tointeger(t->L, -1) == 3);
    assert_index_pos(t, l, 2, 1, 8);
    assert_index_pos(t, l, 3, 1, 11);
    lua_settop(t->L, l - 1);

    assert_int_equal(field(t, "m"), LUA_TTABLE);
    int m = lua_gettop(t->L);
    assert_int_equal(lua_rawlen(t->L, m), 3);
    lua_rawgeti(t->L, m, 2);
    assert_ptr_equal(lua_touserdata(t->L, -1), IR_NULL_ITEM);
    lua_rawgeti(t->L, m, 3);
    assert_string_equal(lua_tostring(t->L, -1), "c");
    assert_index_pos(t, m, 3, 5, 5);
    const ir_entry *en = ir_pos_entry_index(&t->ps, node_of(t, m), 2);
    assert_non_null(en);
    assert_int_equal(en->line, 4);
}

/* ---- limits ---- */

static void test_load_limit_depth(void **state)
{
    lt *t = *state;
    ir_load_limits lim = {.depth = 2};
    start(t, "a: {b: 1}\n", &lim);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    expect_error(t, "a:\n  b:\n    c: 1\n", &lim, "depth", 3, 5);
    expect_error(t, "a: [[1]]\n", &lim, "depth", 1, 5);
}

static void test_load_limit_scalar(void **state)
{
    lt *t = *state;
    ir_load_limits lim = {.scalar = 5};
    start(t, "a: 12345\n", &lim);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    expect_error(t, "a: 1\nb: 123456\n", &lim, "scalar", 2, 4);
    expect_error(t, "a: 1\nlongkey: 1\n", &lim, "scalar", 2, 1);
}

static void test_load_limit_documents(void **state)
{
    lt *t = *state;
    ir_load_limits lim = {.documents = 2};
    start(t, "a: 1\n---\nb: 2\n---\nc: 3\n", &lim);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    assert_non_null(strstr(t->ld.err, "documents"));
    assert_int_equal(t->ld.err_line, 4);
    assert_int_equal(t->ld.err_col, 1);
    /* exactly at the limit is fine */
    start(t, "a: 1\n---\nb: 2\n", &lim);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_END);
}

static void test_load_limit_nodes(void **state)
{
    lt *t = *state;
    ir_load_limits lim = {.nodes = 5};
    /* a mapping and two pairs: 5 nodes */
    start(t, "a: 1\nb: 2\n", &lim);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    /* the sixth node, the scalar 2, is one too many */
    expect_error(t, "a: 1\nb: [2]\n", &lim, "nodes", 2, 5);
    /* the count is per file, across documents */
    start(t, "a: 1\n---\nb: 2\n", &lim);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    assert_non_null(strstr(t->ld.err, "nodes"));
    assert_int_equal(t->ld.err_line, 3);
    assert_int_equal(t->ld.err_col, 4);
}

/* ---- modes ---- */

static void test_load_stop_at_agency(void **state)
{
    lt *t = *state;
    start(t, "kind: legal\ndocuments: []\n---\nkind: agency\nid: x\n", NULL);
    assert_int_equal(next_doc(t, IR_STOP_AT_AGENCY), IR_LOAD_DOC);
    assert_str_field(t, "kind", "legal");
    assert_int_equal(field(t, "documents"), LUA_TTABLE);
    lua_pop(t->L, 2);
    assert_int_equal(next_doc(t, IR_STOP_AT_AGENCY), IR_LOAD_AGENCY);

    /* `kind` not first: built, the caller sees the kind */
    start(t, "id: x\nkind: agency\n", NULL);
    assert_int_equal(next_doc(t, IR_STOP_AT_AGENCY), IR_LOAD_DOC);
    assert_str_field(t, "kind", "agency");
    assert_str_field(t, "id", "x");
    lua_pop(t->L, 1);

    /* a nested `kind: agency` is not the document's kind */
    start(t, "x:\n  kind: agency\nkind: plan\n", NULL);
    assert_int_equal(next_doc(t, IR_STOP_AT_AGENCY), IR_LOAD_DOC);
    assert_str_field(t, "kind", "plan");
    lua_pop(t->L, 1);

    /* IR_BUILD builds agencies too */
    start(t, "kind: agency\nid: x\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_str_field(t, "kind", "agency");
}

static void test_load_skip(void **state)
{
    lt *t = *state;
    start(t, "a: 1\n---\nb: [1, {c: 2}]\n---\nc: 3\n", NULL);
    size_t n0 = t->ps.n;
    assert_int_equal(next_doc(t, IR_SKIP), IR_LOAD_DOC);
    assert_int_equal(t->ps.n, n0); /* nothing recorded */
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_int_equal(field(t, "b"), LUA_TTABLE);
    assert_int_equal(lua_rawlen(t->L, -1), 2);
    lua_pop(t->L, 1);
    assert_absent_field(t, "a");
    lua_pop(t->L, 1);
    size_t n1 = t->ps.n;
    assert_true(n1 > n0);
    assert_int_equal(next_doc(t, IR_SKIP), IR_LOAD_DOC);
    assert_int_equal(t->ps.n, n1);
    assert_int_equal(next_doc(t, IR_SKIP), IR_LOAD_END);
}

/* The file-size limit is counted on the bytes read, not on what fstat said
 * when the file was opened: a file that grows is stopped at the limit, at
 * the position where it was passed. A small read size changes nothing. */
static void read_file_limited(lt *t, const char *yaml, long long max, size_t chunk, int *rc)
{
    FILE *fp = fmemopen((void *)yaml, strlen(yaml), "rb");
    assert_non_null(fp);
    ir_loader_done(&t->ld);
    ir_loader_init(&t->ld, NULL);
    ir_loader_file(&t->ld, fp, max);
    t->ld.chunk = chunk;
    *rc = next_doc(t, IR_BUILD);
    if (*rc == IR_LOAD_DOC)
        lua_pop(t->L, 1);
    fclose(fp);
}

static void test_load_limit_file_size_read(void **state)
{
    lt *t = *state;
    const char *yaml = "a: 1\nb: 2\nc: [3, 4]\n"; /* 20 bytes */
    int rc;
    read_file_limited(t, yaml, 20, 0, &rc);
    assert_int_equal(rc, IR_LOAD_DOC);
    read_file_limited(t, yaml, 0, 3, &rc);
    assert_int_equal(rc, IR_LOAD_DOC);
    read_file_limited(t, yaml, 12, 0, &rc);
    assert_int_equal(rc, IR_LOAD_ERR);
    assert_non_null(strstr(t->ld.err, "larger than 12 bytes (limit file-size)"));
    assert_int_equal(t->ld.err_offset, 12);
    int line, col;
    ir_offset_position(yaml, strlen(yaml), t->ld.err_offset, &line, &col);
    assert_int_equal(line, 3);
    assert_int_equal(col, 3);
    read_file_limited(t, yaml, 12, 1, &rc);
    assert_int_equal(rc, IR_LOAD_ERR);
    assert_int_equal(t->ld.err_offset, 12);
}

/* ---- YAML errors ---- */

static void test_load_syntax_error(void **state)
{
    lt *t = *state;
    expect_error(t, "a: b: c\n", NULL, "mapping values", 1, 5);
    expect_error(t, "a: 1\nb:\n\t- 2\n", NULL, NULL, 3, 1);
    start(t, "a: [1, 2\nb: 3\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    assert_true(t->ld.err[0] != '\0');
    assert_true(t->ld.err_line >= 2);
    assert_true(t->ld.err_col >= 1);
}

static void test_load_syntax_error_later_document(void **state)
{
    lt *t = *state;
    start(t, "a: 1\n---\nb: 2\nc: [\n", NULL);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_DOC);
    assert_int_field(t, "a", 1);
    lua_pop(t->L, 1);
    assert_int_equal(next_doc(t, IR_BUILD), IR_LOAD_ERR);
    assert_true(t->ld.err[0] != '\0');
    assert_true(t->ld.err_line >= 4);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, lt_setup, lt_teardown)
    const struct CMUnitTest tests[] = {
        T(test_load_scalar_integers),
        T(test_load_scalar_int64_limits),
        T(test_load_scalar_booleans),
        T(test_load_scalar_nulls),
        T(test_load_scalar_quoted_strings),
        T(test_load_scalar_strings_as_written),
        T(test_load_scalar_tags),
        T(test_load_scalar_keys_are_strings),
        T(test_load_positions),
        T(test_load_positions_columns_in_characters),
        T(test_load_multi_document),
        T(test_load_empty_documents),
        T(test_load_scalar_document),
        T(test_load_duplicate_key),
        T(test_load_duplicate_key_nested),
        T(test_load_duplicate_key_in_flow),
        T(test_load_duplicate_key_null_value),
        T(test_load_same_key_in_other_mappings),
        T(test_load_large_mappings),
        T(test_load_large_mapping_duplicates),
        T(test_load_large_sequences),
        T(test_load_nested_deferred),
        T(test_load_null_key),
        T(test_load_nonscalar_key),
        T(test_load_alias_same_table),
        T(test_load_alias_cycle),
        T(test_load_alias_unknown),
        T(test_load_crlf),
        T(test_load_bom),
        T(test_load_invalid_utf8_position),
        T(test_load_bom_single_line),
        T(test_load_invalid_utf8),
        T(test_load_null_list_items),
        T(test_load_limit_depth),
        T(test_load_limit_scalar),
        T(test_load_limit_documents),
        T(test_load_limit_nodes),
        T(test_load_limit_file_size_read),
        T(test_load_stop_at_agency),
        T(test_load_skip),
        T(test_load_syntax_error),
        T(test_load_syntax_error_later_document),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
