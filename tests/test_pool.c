/* test_pool.c: unit tests for core/pool.c, the allocator behind a Lua
 * state's small blocks (cmocka). Under `make check` the pool poisons its
 * free blocks for AddressSanitizer, so these tests also show that what the
 * pool hands out is usable to its last byte and nothing more. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "pool.h"

static void fill(void *p, size_t n, int c) { memset(p, c, n); }

static void assert_filled(const void *p, size_t n, int c)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(b[i], (unsigned char)c);
}

/* Every size up to the largest class and just past it: usable, aligned for
 * any type, and distinct while alive. */
static void test_pool_sizes(void **state)
{
    (void)state;
    ir_pool p;
    ir_pool_init(&p);
    void *blocks[IR_POOL_MAX + 2];
    for (size_t n = 1; n <= IR_POOL_MAX + 1; n++) {
        blocks[n] = ir_pool_realloc(&p, NULL, 0, n);
        assert_non_null(blocks[n]);
        assert_int_equal((uintptr_t)blocks[n] % _Alignof(max_align_t), 0);
        fill(blocks[n], n, (int)(n & 0xff));
    }
    for (size_t n = 1; n <= IR_POOL_MAX + 1; n++) {
        assert_filled(blocks[n], n, (int)(n & 0xff));
        assert_null(ir_pool_realloc(&p, blocks[n], n, 0));
    }
    ir_pool_free(&p);
}

/* A freed block is handed out again for its class, last freed first. */
static void test_pool_reuse(void **state)
{
    (void)state;
    ir_pool p;
    ir_pool_init(&p);
    void *a = ir_pool_realloc(&p, NULL, 0, 40);
    void *b = ir_pool_realloc(&p, NULL, 0, 40);
    assert_ptr_not_equal(a, b);
    ir_pool_realloc(&p, a, 40, 0);
    ir_pool_realloc(&p, b, 40, 0);
    assert_ptr_equal(ir_pool_realloc(&p, NULL, 0, 33), b); /* 33..48 bytes: one class */
    assert_ptr_equal(ir_pool_realloc(&p, NULL, 0, 48), a);
    assert_ptr_not_equal(ir_pool_realloc(&p, NULL, 0, 49), a);
    ir_pool_free(&p);
}

/* Resizing keeps the contents across classes and to and from malloc. */
static void test_pool_resize(void **state)
{
    (void)state;
    ir_pool p;
    ir_pool_init(&p);
    char *s = ir_pool_realloc(&p, NULL, 0, 10);
    memcpy(s, "abcdefghij", 10);
    char *t = ir_pool_realloc(&p, s, 10, 16); /* same class: same block */
    assert_ptr_equal(s, t);
    t = ir_pool_realloc(&p, t, 16, 200);
    assert_memory_equal(t, "abcdefghij", 10);
    fill(t + 10, 190, 'x');
    t = ir_pool_realloc(&p, t, 200, 5000); /* to malloc */
    assert_memory_equal(t, "abcdefghij", 10);
    assert_filled(t + 10, 190, 'x');
    t = ir_pool_realloc(&p, t, 5000, 9000); /* malloc to malloc */
    assert_memory_equal(t, "abcdefghij", 10);
    t = ir_pool_realloc(&p, t, 9000, 3); /* back to the pool, cut */
    assert_memory_equal(t, "abc", 3);
    ir_pool_realloc(&p, t, 3, 0);
    ir_pool_free(&p);
}

/* Many blocks: slabs are added as needed and all returned at the end
 * (ASan's leak check sees any that is not). */
static void test_pool_many(void **state)
{
    (void)state;
    ir_pool p;
    ir_pool_init(&p);
    enum { N = 20000 };
    void **v = calloc(N, sizeof *v);
    assert_non_null(v);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            size_t n = (size_t)(i % IR_POOL_MAX) + 1;
            v[i] = ir_pool_realloc(&p, NULL, 0, n);
            assert_non_null(v[i]);
            fill(v[i], n, i & 0x7f);
        }
        for (int i = 0; i < N; i += 2)
            assert_filled(v[i], (size_t)(i % IR_POOL_MAX) + 1, i & 0x7f);
        for (int i = 0; i < N; i++)
            ir_pool_realloc(&p, v[i], (size_t)(i % IR_POOL_MAX) + 1, 0);
    }
    free(v);
    ir_pool_free(&p);
}

/* The pool as a Lua state's allocator: a real workload of strings and
 * tables, a full collection, and lua_close giving every block back. */
static void *lua_pool_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    return ir_pool_realloc(ud, ptr, osize, nsize);
}

static void test_pool_lua_state(void **state)
{
    (void)state;
    ir_pool p;
    ir_pool_init(&p);
    lua_State *L = lua_newstate(lua_pool_alloc, &p);
    assert_non_null(L);
    luaL_openlibs(L);
    const char *chunk = "local t = {}\n"
                        "for i = 1, 20000 do t[i] = { id = 'TTHC-' .. i, n = i, s = ('x'):rep(i % 300) } end\n"
                        "local sum = 0\n"
                        "for i = 1, #t, 3 do sum = sum + #t[i].s; t[i] = nil end\n"
                        "collectgarbage()\n"
                        "return sum\n";
    assert_int_equal(luaL_dostring(L, chunk), LUA_OK);
    long long want = 0;
    for (int i = 1; i <= 20000; i += 3)
        want += i % 300;
    assert_int_equal(lua_tointeger(L, -1), want);
    lua_close(L);
    ir_pool_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_sizes),
        cmocka_unit_test(test_pool_reuse),
        cmocka_unit_test(test_pool_resize),
        cmocka_unit_test(test_pool_many),
        cmocka_unit_test(test_pool_lua_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
