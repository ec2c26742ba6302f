/* test_pattern.c: unit tests for the budgeted pattern matcher
 * (core/pattern.c, cmocka):
 *
 * - differential: the budgeted find, match, gmatch and gsub against the real
 *   string library of the Lua we link, on patterns and subjects generated
 *   with a fixed seed; every result, every callback argument and every error
 *   message must agree;
 * - the manual's examples and rules (6.4, 6.4.1);
 * - the budget, through the public API: a backtracking pattern ends with
 *   "instruction budget spent", and the next rule still runs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <lauxlib.h>
#include <lualib.h>

#include "isorules.h"
#include "helpers.h"
#include "pattern.h"

/* ---- helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Escapes n bytes of s into out (C-like escapes), for messages. */
static const char *show(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 32 && c < 127 && c != '\\')
            out[k++] = (char)c;
        else
            k += (size_t)snprintf(out + k, cap - k, "\\x%02x", c);
    }
    out[k] = '\0';
    return out;
}

/* Runs a Lua chunk in L; fails the test with its error. */
static void run_lua(lua_State *L, const char *name, const char *code)
{
    if (luaL_loadbuffer(L, code, strlen(code), name) != LUA_OK || lua_pcall(L, 0, 0, 0) != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        fail_msg("%s", msg ? msg : "(error object)");
    }
}

/* A fixed-seed generator (xorshift64*), the same sequence everywhere. */
typedef struct rng {
    uint64_t x;
} rng;

static uint32_t rnd(rng *r, uint32_t n)
{
    r->x ^= r->x >> 12;
    r->x ^= r->x << 25;
    r->x ^= r->x >> 27;
    return (uint32_t)((r->x * 2685821657736338717ULL) >> 33) % n;
}

typedef struct buf {
    char b[512];
    size_t n;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->n + n < sizeof b->b) {
        memcpy(b->b + b->n, s, n);
        b->n += n;
    }
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void putc_(buf *b, char c) { put(b, &c, 1); }

static const char *pick(rng *r, const char *const *list, size_t n) { return list[rnd(r, (uint32_t)n)]; }

#define PICK(r, list) pick((r), (list), sizeof(list) / sizeof *(list))

/* ---- the differential test ---- */

/* The driver: compare(kind, s, p, a, b) runs one operation with the real
 * string library and with ours and returns both outcomes as text (results
 * with their types, the arguments every replacement function got, errors
 * without a "file:line:" prefix) and whether they agree. */
static const char driver[] =
    "local real, mine = ...\n"
    "local pack, unpack, select, type, tostring = table.pack, table.unpack, select, type, tostring\n"
    "local fmt, concat, rgsub = real.format, table.concat, real.gsub\n"
    "local function val(v)\n"
    "  if type(v) == 'string' then return fmt('%q', v) end\n"
    "  if type(v) == 'number' then return math.type(v) .. ':' .. tostring(v) end\n"
    "  return type(v) .. (type(v) == 'boolean' and (':' .. tostring(v)) or '')\n"
    "end\n"
    "local function vals(r, from)\n"
    "  local out = {}\n"
    "  for i = from, r.n do out[#out + 1] = val(r[i]) end\n"
    "  return r.n - from + 1 .. '[' .. concat(out, ',') .. ']'\n"
    "end\n"
    "local log\n"
    "local function frepl(...)\n"
    "  local args = pack(...)\n"
    "  log[#log + 1] = vals(args, 1)\n"
    "  local k = #log % 7\n"
    "  if k == 1 then return '<' .. tostring(args[1]) .. '>'\n"
    "  elseif k == 2 then return nil\n"
    "  elseif k == 3 then return false\n"
    "  elseif k == 4 then return 42\n"
    "  elseif k == 5 then return 1.5\n"
    "  elseif k == 6 and #log % 3 == 0 then return {}\n"
    "  else return '' end\n"
    "end\n"
    "local trepl = { a = 'A', b = false, ab = 12, c = {}, [1] = 'one', [2] = 'two', [''] = 'E',\n"
    "  ['\\0'] = 'Z', [3] = 3.25, A = true }\n"
    "local function collect(lib, s, p, init)\n"
    "  local it = lib.gmatch(s, p, init)\n"
    "  local out = {}\n"
    "  for _ = 1, 100 do\n"
    "    local r = pack(it())\n"
    "    out[#out + 1] = vals(r, 1)\n"
    "    if r.n == 0 or r[1] == nil then break end\n"
    "  end\n"
    "  return concat(out, ';')\n"
    "end\n"
    "local ops = {\n"
    "  function(lib, s, p, a, b) return pack(lib.find(s, p)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.find(s, p, a)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.find(s, p, a, b)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.match(s, p)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.match(s, p, a)) end,\n"
    "  function(lib, s, p, a, b) return pack(collect(lib, s, p)) end,\n"
    "  function(lib, s, p, a, b) return pack(collect(lib, s, p, a)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.gsub(s, p, a)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.gsub(s, p, a, b)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.gsub(s, p, trepl)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.gsub(s, p, trepl, b)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.gsub(s, p, frepl)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.gsub(s, p, frepl, b)) end,\n"
    "  function(lib, s, p, a, b) return pack(lib.gsub(s, p, a, b)) end,\n"
    "}\n"
    "local function run(lib, kind, s, p, a, b)\n"
    "  log = {}\n"
    "  local ok, r = pcall(ops[kind], lib, s, p, a, b)\n"
    "  local out\n"
    "  if ok then out = 'ok ' .. vals(r, 1)\n"
    "  elseif type(r) == 'string' then out = 'error ' .. fmt('%q', (rgsub(r, '^[^\\n]-:%d+: ', '')))\n"
    "  else out = 'error ' .. val(r) end\n"
    "  return out .. (#log > 0 and (' calls ' .. concat(log, ' ')) or '')\n"
    "end\n"
    "return function(kind, s, p, a, b)\n"
    "  local x, y = run(real, kind, s, p, a, b), run(mine, kind, s, p, a, b)\n"
    "  return x == y, x, y\n"
    "end\n";

#define NKINDS 14

typedef struct diff {
    lua_State *L;
    int cmp;      /* registry ref of the compare function */
    long compared, errors, matched;
} diff;

static void diff_open(diff *d)
{
    memset(d, 0, sizeof *d);
    d->L = luaL_newstate();
    assert_non_null(d->L);
    luaL_openlibs(d->L);
    if (luaL_loadbuffer(d->L, driver, strlen(driver), "=driver") != LUA_OK)
        fail_msg("driver: %s", lua_tostring(d->L, -1));
    lua_getglobal(d->L, "string");
    lua_newtable(d->L);
    ir_pattern_register(d->L, -1);
    lua_call(d->L, 2, 1);
    d->cmp = luaL_ref(d->L, LUA_REGISTRYINDEX);
}

static void diff_close(diff *d) { lua_close(d->L); }

/* One comparison. a: the init (or the replacement string for kinds 8, 9
 * and 14); b: plain (kind 3) or the maximum of replacements. */
static void diff_one(diff *d, int kind, const char *s, size_t ls, const char *p, size_t lp, const char *a, long ia,
                     int has_b, long ib)
{
    lua_State *L = d->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, d->cmp);
    lua_pushinteger(L, kind);
    lua_pushlstring(L, s, ls);
    lua_pushlstring(L, p, lp);
    if (a)
        lua_pushstring(L, a);
    else
        lua_pushinteger(L, ia);
    if (!has_b)
        lua_pushnil(L);
    else if (kind == 3)
        lua_pushboolean(L, (int)ib);
    else
        lua_pushinteger(L, ib);
    if (lua_pcall(L, 5, 3, 0) != LUA_OK)
        fail_msg("driver failed: %s", lua_tostring(L, -1));
    d->compared++;
    const char *real = lua_tostring(L, -2);
    if (strncmp(real, "error", 5) == 0)
        d->errors++;
    else if (strncmp(real, "ok 1[nil]", 9) != 0 && strncmp(real, "ok 2[\"", 6) != 0)
        d->matched++;
    if (!lua_toboolean(L, -3)) {
        char ps[1100], ss[1100], as[200];
        fail_msg("kind %d subject \"%s\" pattern \"%s\" a=%s b=%s%ld\n  real: %s\n  ours: %s", kind,
                 show(s, ls, ss, sizeof ss), show(p, lp, ps, sizeof ps),
                 a ? show(a, strlen(a), as, sizeof as) : (snprintf(as, sizeof as, "%ld", ia), as),
                 has_b ? "" : "nil/", ib, real, lua_tostring(L, -1));
    }
    lua_pop(L, 3);
}

/* literal bytes of subjects and patterns: ASCII, UTF-8 (é, €), NUL,
 * newline, specials */
static const char *const subject_chars[] = {"a", "a", "b", "c", "A", "1", "9", " ", "(", ")", "-", "%", ".", "x",
                                            "\n", "\xc3\xa9", "\xe2\x82\xac", "]", "\"", "\x01", "\xff"};
static const char *const pattern_literals[] = {"a", "a", "b", "c", "A", "1", " ", "x", "\xc3", "\xa9", "\xe2\x82\xac",
                                               "\"", "]", "^", "$", "=", "\n", "\x01", "\xff"};
static const char *const escaped[] = {"%.", "%%", "%(", "%)", "%[", "%]", "%-", "%$", "%^", "%*", "%+", "%?", "%a"};
static const char *const classes[] = {"%a", "%d", "%s", "%w", "%p", "%l", "%u", "%c", "%x", "%g", "%A", "%D",
                                      "%S", "%W", "%P", "%L", "%U", "%C", "%X", "%G", "%z", ".", "."};
static const char *const set_members[] = {"a",   "b",   "c",  "1", "-",  "]",  "^",  "%", "a-c", "0-9", "\xc0-\xff",
                                          "%d",  "%s",  "%a", "%]", "%-", "%%", "(", "\x00", "A-Z", "z-a", "%W"};
static const char *const quantifiers[] = {"*", "+", "-", "?"};
static const char *const balances[] = {"%b()", "%b\"\"", "%bab", "%b((", "%b)(", "%b[]"};
static const char *const frontiers[] = {"%f[%w]", "%f[%W]", "%f[^a]", "%f[%z]", "%f[a-c]", "%f[%s]", "%f[%a_]",
                                        "%f[^%z]"};
static const char *const backrefs[] = {"%1", "%1", "%2", "%3", "%0", "%9"};
static const char *const malformed[] = {"%",  "[a",  "[^", "%f", "%fa", "%b", "%ba", ")", "(",
                                        "[%", "[]",  "[^]", "%f[", "(()", "))", "%9"};
static const char *const replacements[] = {"",   "x",       "%0",   "%1",   "<%1|%2>", "%%",  "%",   "a%",
                                           "%x", "%9",      "[%0]", "%2%1", "%%1",     "é%0", "%3",  "-%1-"};

typedef struct gen {
    rng r;
    int quant; /* quantifiers left in this pattern */
} gen;

static void gen_items(gen *g, buf *b, int n, int depth);

static void gen_class(gen *g, buf *b)
{
    uint32_t k = rnd(&g->r, 100);
    if (k < 35) {
        puts_(b, PICK(&g->r, pattern_literals));
    } else if (k < 45) {
        puts_(b, PICK(&g->r, escaped));
    } else if (k < 75) {
        puts_(b, PICK(&g->r, classes));
    } else {
        putc_(b, '[');
        if (rnd(&g->r, 3) == 0)
            putc_(b, '^');
        int m = 1 + (int)rnd(&g->r, 3);
        for (int i = 0; i < m; i++) {
            const char *s = PICK(&g->r, set_members);
            put(b, s, s[0] ? strlen(s) : 1); /* "\x00" is one NUL */
        }
        putc_(b, ']');
    }
}

static void gen_item(gen *g, buf *b, int depth)
{
    uint32_t k = rnd(&g->r, 100);
    if (k < 62) {
        gen_class(g, b);
        if (g->quant > 0 && rnd(&g->r, 100) < 40) {
            g->quant--;
            puts_(b, PICK(&g->r, quantifiers));
        }
    } else if (k < 74) {
        if (rnd(&g->r, 6) == 0) {
            puts_(b, "()");
        } else if (depth < 2) {
            putc_(b, '(');
            gen_items(g, b, (int)rnd(&g->r, 4), depth + 1);
            putc_(b, ')');
        } else {
            puts_(b, "(.)");
        }
    } else if (k < 78) {
        puts_(b, PICK(&g->r, balances));
    } else if (k < 82) {
        puts_(b, PICK(&g->r, frontiers));
    } else if (k < 88) {
        puts_(b, PICK(&g->r, backrefs));
    } else if (k < 91) {
        putc_(b, rnd(&g->r, 2) ? '$' : '^');
    } else if (k < 95) {
        if (g->quant > 0) {
            g->quant--;
            puts_(b, rnd(&g->r, 2) ? ".-" : ".*");
        } else {
            putc_(b, '.');
        }
    } else {
        puts_(b, PICK(&g->r, malformed));
    }
}

static void gen_items(gen *g, buf *b, int n, int depth)
{
    for (int i = 0; i < n; i++)
        gen_item(g, b, depth);
}

static void gen_pattern(gen *g, buf *b)
{
    b->n = 0;
    g->quant = 4;
    if (rnd(&g->r, 100) < 15)
        putc_(b, '^');
    gen_items(g, b, 1 + (int)rnd(&g->r, 6), 0);
    uint32_t k = rnd(&g->r, 100);
    if (k < 15)
        putc_(b, '$');
    else if (k < 18)
        putc_(b, '%');
}

static void gen_subject(gen *g, buf *b)
{
    b->n = 0;
    int n = (int)rnd(&g->r, 11);
    for (int i = 0; i < n; i++) {
        const char *c = PICK(&g->r, subject_chars);
        put(b, c, c[0] ? strlen(c) : 1);
    }
    if (rnd(&g->r, 8) == 0) /* a NUL somewhere */
        put(b, "\0", 1);
}

/* All operations on one pattern and one subject. */
static void diff_all(diff *d, gen *g, const char *s, size_t ls, const char *p, size_t lp)
{
    for (int kind = 1; kind <= NKINDS; kind++) {
        long init = (long)rnd(&g->r, 25) - 12;
        long n = (long)rnd(&g->r, 6) - 1;
        const char *repl = PICK(&g->r, replacements);
        switch (kind) {
        case 3:
            diff_one(d, kind, s, ls, p, lp, NULL, init, 1, (long)rnd(&g->r, 2));
            break;
        case 8:
            diff_one(d, kind, s, ls, p, lp, repl, 0, 0, 0);
            break;
        case 9:
        case 14:
            diff_one(d, kind, s, ls, p, lp, repl, 0, kind == 9, n);
            break;
        default:
            diff_one(d, kind, s, ls, p, lp, NULL, init, 1, n);
            break;
        }
    }
}

#define DIFF_PATTERNS 8000
#define DIFF_SUBJECTS 3

static void test_pattern_differential_generated(void **state)
{
    (void)state;
    diff d;
    diff_open(&d);
    /* a fixed seed; PATTERN_SEED=n explores others */
    const char *seed = getenv("PATTERN_SEED");
    gen g = {{seed ? strtoull(seed, NULL, 0) * 2654435761ULL + 1 : 0x9e3779b97f4a7c15ULL}, 0};
    buf p, s;
    double t0 = now_s();
    for (int i = 0; i < DIFF_PATTERNS; i++) {
        gen_pattern(&g, &p);
        for (int j = 0; j < DIFF_SUBJECTS; j++) {
            gen_subject(&g, &s);
            diff_all(&d, &g, s.b, s.n, p.b, p.n);
        }
    }
    print_message("%ld comparisons (%d patterns x %d subjects x %d operations), %ld with a match, %ld errors, "
                  "%.1f s\n",
                  d.compared, DIFF_PATTERNS, DIFF_SUBJECTS, NKINDS, d.matched, d.errors, now_s() - t0);
    assert_true(d.errors > d.compared / 50);   /* errors are exercised */
    assert_true(d.matched > d.compared / 10); /* and so are matches */
    diff_close(&d);
}

/* Hand-picked patterns through the same comparison: nesting and capture
 * limits, edge cases of sets, anchors and empty matches. */
static void test_pattern_differential_fixed(void **state)
{
    (void)state;
    static const char *const patterns[] = {
        "", "^", "$", "^$", "^^", "$$", "a$b", "^*", "*", "+", "-", "?", "a**", "a-+", "[]", "[]]", "[^]]", "[]-a]",
        "[a-]", "[-a]", "[%a-z]", "[a-%d]", "[%]]", "[^%]]", "[%", "[a%]", "[a%", "%f[]", "%f[]]", "%f[^]]",
        "%f[%a]%a+%f[%A]", "%b", "%b(", "%b()", "%b%%", "%b%", "(%b())", "()", "()()", "(()", "(())", "()%1",
        "(a)%1", "(a*)%1", "(.)%1", "((a)%2)", "(a%1)", "%1", "%0", "(a)(b)(c)%4", ")", "a)", "(a))", "((a)",
        "(.-)$", "^(.-)%s*$", "(.-)%1", "[%w_]+", "[^%s]+", "%s*", "%S*$", "x*", ".-", ".-$", "a?a?a?aaa", ".",
        "(.)(.)(.)(.)(.)(.)(.)(.)(.)(.)%9%10", "%z+", "%Z", "[%z]", "\xc3\xa9+", "[\xc3\xa9]+", "%f[\xc3]",
        "%w+=%w+", "(%w+)=(%w+)", "%$(%w+)", "%b\"\"", "%b''", "a%", "%a%", "(%a", "%)", "(.*)", "(.*)(.*)",
        "^(a?)(b?)$", "()a*()", "[^a]-b", "[a-c-e]", "[%-]", "[---]", "[z-a]", "[\x01-\xff]+", "%g%G%c%C%x%X%p%P",
    };
    static const char *const subjects[] = {"", "a", "aaa", "abc", "a b c", "hello world", "a=1, b=22",
                                           "(a(b)c)", "\"q\" 'r'", "x\xc3\xa9y", "\xe2\x82\xac 5", "a-b]c",
                                           "THE (quick) fox", "$x $yy", "aa bb aa"};
    diff d;
    diff_open(&d);
    gen g = {{12345}, 0};
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
        for (size_t j = 0; j < sizeof subjects / sizeof *subjects; j++)
            diff_all(&d, &g, subjects[j], strlen(subjects[j]), patterns[i], strlen(patterns[i]));
    /* NUL bytes in patterns and subjects */
    static const char nul_pat[][6] = {"a\0b", "[\0]", "%b\0a", "\0*", "%z", "[^\0]+"};
    static const size_t nul_len[] = {3, 3, 4, 2, 2, 5};
    for (size_t i = 0; i < 6; i++) {
        diff_all(&d, &g, "xa\0b\0", 5, nul_pat[i], nul_len[i]);
        diff_all(&d, &g, "\0", 1, nul_pat[i], nul_len[i]);
        diff_all(&d, &g, "", 0, nul_pat[i], nul_len[i]);
    }
    /* the nesting limit (200 levels) and the capture limit (32), at and
     * around their edges */
    char pat[1024], subj[512];
    memset(subj, 'a', sizeof subj);
    for (int k = 190; k <= 210; k++) {
        size_t n = 0;
        for (int i = 0; i < k; i++)
            pat[n++] = 'a', pat[n++] = '?';
        diff_all(&d, &g, subj, (size_t)k, pat, n);
        diff_all(&d, &g, subj, (size_t)k / 2, pat, n);
    }
    for (int k = 28; k <= 36; k++) {
        size_t n = 0;
        for (int i = 0; i < k; i++)
            pat[n++] = '(', pat[n++] = 'a', pat[n++] = ')';
        diff_all(&d, &g, subj, (size_t)k, pat, n);
        n = 0;
        for (int i = 0; i < k; i++)
            pat[n++] = '(';
        diff_all(&d, &g, subj, 3, pat, n);
        n = 0;
        for (int i = 0; i < k; i++)
            pat[n++] = '(', pat[n++] = ')';
        diff_all(&d, &g, subj, 3, pat, n);
    }
    for (int k = 95; k <= 105; k++) { /* captures nest two levels each */
        size_t n = 0;
        for (int i = 0; i < k; i++)
            pat[n++] = 'a', pat[n++] = '*';
        diff_all(&d, &g, "aaa", 3, pat, n);
    }
    print_message("%ld comparisons of fixed cases\n", d.compared);
    diff_close(&d);
}

/* Argument handling: types, conversions, missing arguments. */
static void test_pattern_differential_arguments(void **state)
{
    (void)state;
    diff d;
    diff_open(&d);
    static const char code[] =
        "local cmp = ...\n"
        "local bad = 0\n"
        "local values = { 'ab', 12, 1.5, 2.0, -1, true, {}, 1e100, math.mininteger, math.maxinteger, '3', '0x2', ' 2 ', 'x', tostring }\n"
        "local n = 0\n"
        "for _, kind in ipairs{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14} do\n"
        "  for i = 0, #values do\n"
        "    for j = 0, #values, 3 do\n"
        "      local s, p = 'a1b2ab', '%d'\n"
        "      local a, b = values[i], values[j]\n"
        "      if i % 4 == 1 then s = values[i] end\n"
        "      if i % 4 == 2 then p = values[i] end\n"
        "      local same, x, y = cmp(kind, s, p, a, b)\n"
        "      n = n + 1\n"
        "      if not same then error(('kind %d a=%s b=%s s=%s p=%s\\n  real: %s\\n  ours: %s'):format(kind, tostring(a), tostring(b), tostring(s), tostring(p), x, y)) end\n"
        "    end\n"
        "  end\n"
        "end\n"
        "return n\n";
    assert_int_equal(luaL_loadbuffer(d.L, code, strlen(code), "=args"), LUA_OK);
    lua_rawgeti(d.L, LUA_REGISTRYINDEX, d.cmp);
    if (lua_pcall(d.L, 1, 1, 0) != LUA_OK)
        fail_msg("%s", lua_tostring(d.L, -1));
    print_message("%lld argument combinations\n", (long long)lua_tointeger(d.L, -1));
    diff_close(&d);
}

/* ---- the manual ---- */

/* A state whose string library (and so the string methods) is ours. */
static lua_State *manual_state(void)
{
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    luaL_openlibs(L);
    lua_getglobal(L, "string");
    lua_getfield(L, -1, "find");
    lua_setglobal(L, "stock_find");
    ir_pattern_register(L, -1);
    lua_pop(L, 1);
    static const char helpers[] =
        "P = table.pack\n"
        "function T(name, want, ...)\n"
        "  local got = P(...)\n"
        "  if got.n ~= want.n then error(name .. ': ' .. got.n .. ' results, want ' .. want.n, 2) end\n"
        "  for i = 1, want.n do\n"
        "    if got[i] ~= want[i] or math.type(got[i]) ~= math.type(want[i]) then\n"
        "      error(string.format('%s: result %d is %q, want %q', name, i, tostring(got[i]), tostring(want[i])), 2)\n"
        "    end\n"
        "  end\n"
        "end\n"
        "function E(name, want, f, ...)\n"
        "  local ok, msg = pcall(f, ...)\n"
        "  if ok then error(name .. ': no error', 2) end\n"
        "  if msg:sub(1, #want) ~= want then error(name .. ': error \"' .. msg .. '\", want \"' .. want .. '\"', 2) end\n"
        "end\n";
    if (luaL_dostring(L, helpers) != LUA_OK)
        fail_msg("%s", lua_tostring(L, -1));
    return L;
}

static void test_pattern_registered(void **state)
{
    (void)state;
    lua_State *L = manual_state();
    run_lua(L, "=registered",
            "assert(string.find ~= stock_find)\n"
            "assert(('x').find == string.find)\n"
            "T('method', P(2, 2), ('abc'):find('b'))\n");
    lua_close(L);
}

static void test_pattern_manual_find(void **state)
{
    (void)state;
    lua_State *L = manual_state();
    run_lua(L, "=find",
            "T('plain text', P(5, 7), string.find('hello world', 'o w'))\n"
            "T('no match', P(nil), string.find('hello', 'x'))\n"
            "T('init', P(8, 8), string.find('hello world', 'o', 6))\n"
            "T('negative init', P(8, 8), string.find('hello world', 'o', -4))\n"
            "T('init before start', P(1, 1), string.find('abc', 'a', -10))\n"
            "T('init 0', P(1, 1), string.find('abc', 'a', 0))\n"
            "T('init past end', P(nil), string.find('abc', '', 5))\n"
            "T('init at end + 1', P(4, 3), string.find('abc', '', 4))\n"
            "T('plain flag', P(2, 3), string.find('a.b', '.b', 1, true))\n"
            "T('plain specials', P(2, 5), string.find('x(a%)', '(a%)', 1, true))\n"
            "T('pattern dot', P(2, 3), string.find('a.b', '.b'))\n"
            "T('captures', P(1, 5, 'key', 'v'), string.find('key=v', '(%w+)=(%w+)'))\n"
            "T('position captures', P(3, 4, 3, 5), string.find('flaaap', '()aa()'))\n"
            "T('anchor', P(nil), string.find('xab', '^ab'))\n"
            "T('anchor with init', P(2, 3), string.find('xab', '^ab', 2))\n"
            "T('end anchor', P(3, 4), string.find('abab', 'ab$'))\n"
            "T('dollar inside', P(2, 3), string.find('a$b', '$b'))\n"
            "T('caret inside', P(1, 3), string.find('a^b', 'a?^b'))\n"
            "T('NUL bytes', P(2, 3), string.find('a\\0b', '\\0b'))\n"
            "T('%z', P(2, 2), string.find('a\\0b', '%z'))\n");
    lua_close(L);
}

static void test_pattern_manual_classes(void **state)
{
    (void)state;
    lua_State *L = manual_state();
    run_lua(L, "=classes",
            "T('%a', P('abc'), ('12abc3'):match('%a+'))\n"
            "T('%d', P('12'), ('12abc3'):match('%d+'))\n"
            "T('%s', P(' \\t\\n'), ('x \\t\\ny'):match('%s+'))\n"
            "T('%w', P('a1B'), ('-a1B-'):match('%w+'))\n"
            "T('%p', P('.,;'), ('ab.,;cd'):match('%p+'))\n"
            "T('%l', P('bc'), ('AbcD'):match('%l+'))\n"
            "T('%u', P('D'), ('AbcD'):match('%u$'))\n"
            "T('%c', P('\\1\\2'), ('a\\1\\2b'):match('%c+'))\n"
            "T('%x', P('0fA'), ('0fAg'):match('%x+'))\n"
            "T('%g', P('ab'), (' ab '):match('%g+'))\n"
            "T('complement', P('ab'), ('12ab34'):match('%D+'))\n"
            "T('escaped special', P('a.b'), ('xa.by'):match('a%.b'))\n"
            "T('%% literal', P('5%'), ('5%'):match('%d%%'))\n"
            "T('set', P('bca'), ('xbcay'):match('[abc]+'))\n"
            "T('set range', P('42'), ('x42y'):match('[0-9]+'))\n"
            "T('set with class', P('a_1'), (' a_1 '):match('[%w_]+'))\n"
            "T('negated set', P(' - '), ('ab - cd'):match('[^%a]+'))\n"
            "T('] first in set', P(']]'), ('a]]b'):match('[]]+'))\n"
            "T('- at set end', P('a-'), ('a-b'):match('[a-]+'))\n"
            "T('multibyte bytes', P('\\xc3\\xa9'), ('x\\xc3\\xa9y'):match('[\\x80-\\xff]+'))\n"
            "T('star', P(''), ('b'):match('a*'))\n"
            "T('plus', P(nil), ('b'):match('a+'))\n"
            "T('lazy', P('<a>'), ('<a><b>'):match('<.->'))\n"
            "T('greedy', P('<a><b>'), ('<a><b>'):match('<.*>'))\n"
            "T('optional', P('-1', '1'), ('x-1'):match('(-?(%d))'))\n"
            "T('%b', P('(a(b)c)'), ('x(a(b)c)y'):match('%b()'))\n"
            "T('%b unbalanced', P(nil), ('(a'):match('%b()'))\n"
            "T('%f', P('THE', 'fox'), ('THE (quick) fox'):match('%f[%a](%u+).-(%f[%a]%l+)$'))\n"
            "T('%f at end', P(4), ('abc'):match('()%f[%z]'))\n"
            "T('%f at start', P(1), ('abc'):match('()%f[%a]'))\n"
            "T('back-reference', P('\"', 'hi'), ([[say \"hi\" 'x']]):match('([\"\\'])(.-)%1'))\n");
    lua_close(L);
}

static void test_pattern_manual_gmatch(void **state)
{
    (void)state;
    lua_State *L = manual_state();
    run_lua(L, "=gmatch",
            "local words = {}\n"
            "for w in string.gmatch('hello world from Lua', '%a+') do words[#words + 1] = w end\n"
            "T('words', P('hello', 'world', 'from', 'Lua'), table.unpack(words))\n"
            "local t = {}\n"
            "for k, v in string.gmatch('from=world, to=Lua', '(%w+)=(%w+)') do t[k] = v end\n"
            "T('pairs', P('world', 'Lua'), t.from, t.to)\n"
            "local pos = {}\n"
            "for p in ('abc'):gmatch('()') do pos[#pos + 1] = p end\n"
            "T('empty matches', P(1, 2, 3, 4), table.unpack(pos))\n"
            "local parts = {}\n"
            "for p in ('a,,b'):gmatch('[^,]*') do parts[#parts + 1] = '<' .. p .. '>' end\n"
            "T('empty after non-empty', P('<a>', '<>', '<b>'), table.unpack(parts))\n"
            "local from3 = {}\n"
            "for w in ('one two three'):gmatch('%a+', 5) do from3[#from3 + 1] = w end\n"
            "T('init', P('two', 'three'), table.unpack(from3))\n"
            "local neg = {}\n"
            "for w in ('one two three'):gmatch('%a+', -5) do neg[#neg + 1] = w end\n"
            "T('negative init', P('three'), table.unpack(neg))\n"
            "T('init past end', P(), ('abc'):gmatch('.*', 10)())\n"
            "T('caret is literal', P('^b'), ('a^b'):gmatch('^b')())\n"
            "local it = ('ab'):gmatch('.')\n"
            "T('iterator', P('a', 'b'), it(), it())\n"
            "T('iterator end', P(), it())\n");
    lua_close(L);
}

static void test_pattern_manual_gsub(void **state)
{
    (void)state;
    lua_State *L = manual_state();
    run_lua(L, "=gsub",
            "T('dup words', P('hello hello world world', 2), string.gsub('hello world', '(%w+)', '%1 %1'))\n"
            "T('max n', P('hello hello world', 1), string.gsub('hello world', '%w+', '%0 %0', 1))\n"
            "T('swap', P('world hello Lua from', 2), string.gsub('hello world from Lua', '(%w+)%s*(%w+)', '%2 %1'))\n"
            "T('function', P('4+5 = 9', 1), string.gsub('4+5 = $return 4+5$', '%$(.-)%$', function(s) return load(s)() end))\n"
            "local t = {name = 'lua', version = '5.4'}\n"
            "T('table', P('lua-5.4.tar.gz', 2), string.gsub('$name-$version.tar.gz', '%$(%w+)', t))\n"
            "T('false keeps', P('a-b', 1), string.gsub('a-b', '-', function() return false end))\n"
            "T('nil keeps', P('ab', 2), string.gsub('ab', '%w', {}))\n"
            "T('number value', P('1-a', 1), string.gsub('a-a', 'a', {a = 1}, 1))\n"
            "T('%%', P('50%', 1), string.gsub('50', '%d+', '%0%%'))\n"
            "T('%1 without captures', P('[ab]', 1), string.gsub('ab', '%w+', '[%1]'))\n"
            "T('position in repl', P('1a2b3', 3), string.gsub('ab', '()', '%1'))\n"
            "T('empty pattern', P('-a-b-c-', 4), string.gsub('abc', '', '-'))\n"
            "T('no empty match after a match', P('-', 1), string.gsub('abc', '%w*', '-'))\n"
            "T('empty after match', P('x x', 2), string.gsub('hello world', '%w*', 'x'))\n"
            "T('anchored', P('xab', 1), string.gsub('abab', '^ab', 'x'))\n"
            "T('n = 0', P('abc', 0), string.gsub('abc', '%w', 'x', 0))\n"
            "T('n < 0', P('abc', 0), string.gsub('abc', '%w', 'x', -1))\n"
            "T('numbers', P('1x3', 1), string.gsub(123, 2, 'x'))\n"
            "T('number repl', P('a7c', 1), string.gsub('abc', 'b', 7))\n"
            "T('unchanged is the subject', P('abc', 0), string.gsub('abc', 'z', 'y'))\n"
            "local args\n"
            "string.gsub('k=v', '((%w)=(%w))()', function(...) args = P(...) end)\n"
            "T('function arguments', P('k=v', 'k', 'v', 4), table.unpack(args, 1, args.n))\n");
    lua_close(L);
}

static void test_pattern_manual_errors(void **state)
{
    (void)state;
    lua_State *L = manual_state();
    run_lua(L, "=errors",
            "E('ends with %', \"malformed pattern (ends with '%')\", string.find, 'a', 'a%')\n"
            "E('missing ]', \"malformed pattern (missing ']')\", string.find, 'a', '[a')\n"
            "E('missing ] after ^', \"malformed pattern (missing ']')\", string.find, 'a', '[^')\n"
            "E('%b args', \"malformed pattern (missing arguments to '%b')\", string.find, 'a', '%b(')\n"
            "E('%f [', \"missing '[' after '%f' in pattern\", string.find, 'a', '%fa')\n"
            "E('capture index', 'invalid capture index %1', string.find, 'a', '%1')\n"
            "E('capture index 0', 'invalid capture index %0', string.find, 'a', '%0')\n"
            "E('open capture ref', 'invalid capture index %1', string.find, 'a', '(%1)')\n"
            "E('invalid pattern capture', 'invalid pattern capture', string.match, 'a', 'a)')\n"
            "E('unfinished', 'unfinished capture', string.match, 'a', '(a')\n"
            "E('too many', 'too many captures', string.find, 'a', ('()'):rep(33))\n"
            "E('too complex', 'pattern too complex', string.find, ('a'):rep(300), ('a?'):rep(300))\n"
            "E('repl %', \"invalid use of '%' in replacement string\", string.gsub, 'a', 'a', '%')\n"
            "E('repl %x', \"invalid use of '%' in replacement string\", string.gsub, 'a', 'a', '%x')\n"
            "E('repl index', 'invalid capture index %2', string.gsub, 'a', '(a)', '%2')\n"
            "E('repl value', 'invalid replacement value (a table)', string.gsub, 'a', 'a', {a = {}})\n"
            "E('repl value fn', 'invalid replacement value (a boolean)', string.gsub, 'a', 'a', function() return true end)\n"
            "E('repl type', 'bad argument #3 to', string.gsub, 'a', 'a', true)\n"
            "E('n type', 'bad argument #4 to', string.gsub, 'a', 'a', 'b', 'x')\n"
            "E('init type', 'bad argument #3 to', string.find, 'a', 'a', 1.5)\n"
            "E('subject type', 'bad argument #1 to', string.match, {}, 'a')\n"
            "E('gmatch pattern', 'bad argument #2 to', string.gmatch, 'a')\n"
            /* a malformed piece the matcher never reaches is no error */
            "T('lazy errors', P(nil), string.find('x', 'a%'))\n"
            "T('lazy errors 2', P(nil), string.match('x', 'a[b'))\n"
            "T('no capture error in string repl', P('xaxbx', 3), string.gsub('ab', '(', 'x'))\n"
            /* ... and 199 levels of nesting are fine */
            "T('199 levels', P(1, 199), string.find(('a'):rep(199), ('a?'):rep(199)))\n"
            "T('32 captures', P(32), select('#', string.match('a', ('()'):rep(32))))\n");
    lua_close(L);
}

/* Charging outside a rule run is free, and no charge is lost: a long match
 * in a plain state (no hook) just runs. */
static void test_pattern_no_hook_no_charge(void **state)
{
    (void)state;
    lua_State *L = manual_state();
    run_lua(L, "=nohook",
            "local s = ('a'):rep(20)\n"
            "T('slow but finite', P(nil), s:find(('a*'):rep(4) .. 'b'))\n");
    lua_close(L);
}

/* ---- the budget, through the public API ---- */

#define BUDGET 1000000LL

static const char two_agencies[] = "kind: agency\n"
                                   "id: a1\n"
                                   "name: One\n"
                                   "---\n"
                                   "kind: agency\n"
                                   "id: a2\n"
                                   "name: Two\n";

typedef struct fixture {
    isorules_engine *e;
    irt_log log;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx || !(fx->e = irt_engine(BUDGET, 64LL << 20, two_agencies))) {
        free(fx);
        return -1;
    }
    irt_attach(fx->e, &fx->log);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    isorules_close(fx->e);
    irt_log_free(&fx->log);
    free(fx);
    return 0;
}

/* Runs rule LIM with `body` (line 2 of its file), then rule OK: LIM must
 * end on both agencies with "instruction budget spent" at line 2, quickly,
 * and OK must report on both. */
static void assert_budget(fixture *fx, const char *body)
{
    char src[2048];
    int n = snprintf(src, sizeof src,
                     "-- a rule with a backtracking pattern\n"
                     "rule { id = 'LIM', severity = 'error', check = function(a, ctx) %s end }\n"
                     "rule { id = 'OK', severity = 'info', check = function(a, ctx) "
                     "ctx.report(a, a.id, 'alive') end }\n",
                     body);
    assert_true(n > 0 && (size_t)n < sizeof src);
    assert_int_equal(irt_rules(fx->e, "budget.lua", src), ISORULES_OK);
    double t0 = now_s();
    assert_int_equal(isorules_run(fx->e), ISORULES_OK);
    double took = now_s() - t0;
    char want[64];
    snprintf(want, sizeof want, "instruction budget spent (%lld)", BUDGET);
    assert_int_equal(irt_count_errors(&fx->log, "LIM"), 2);
    assert_int_equal(fx->log.ne, 2);
    for (size_t i = 0; i < fx->log.ne; i++) {
        assert_string_equal(fx->log.err[i].message, want);
        assert_string_equal(fx->log.err[i].file, "budget.lua");
        assert_int_equal(fx->log.err[i].line, 2);
    }
    assert_int_equal(irt_count_rule(&fx->log, "LIM"), 0);
    assert_int_equal(irt_count_rule(&fx->log, "OK"), 2);
    assert_non_null(irt_find_msg(&fx->log, "OK", "alive"));
    print_message("%s: %.3f s for both agencies\n", body, took);
    assert_true(took < 10.0); /* unbudgeted, this runs for hours */
}

#define EVIL "local s = ('a'):rep(40) local p = ('a*'):rep(40) .. 'b' "

static void test_pattern_budget_find(void **state) { assert_budget(*state, EVIL "s:find(p)"); }

static void test_pattern_budget_string_find(void **state) { assert_budget(*state, EVIL "string.find(s, p)"); }

static void test_pattern_budget_match(void **state) { assert_budget(*state, EVIL "s:match(p)"); }

static void test_pattern_budget_gmatch(void **state)
{
    assert_budget(*state, EVIL "for x in s:gmatch(p) do end");
}

static void test_pattern_budget_gsub(void **state) { assert_budget(*state, EVIL "s:gsub(p, '')"); }

static void test_pattern_budget_gsub_function(void **state)
{
    assert_budget(*state, EVIL "string.gsub(s, p, function() end)");
}

static void test_pattern_budget_in_pcall(void **state)
{
    /* pcall cannot swallow it: the rule goes on to report, but never does */
    assert_budget(*state, EVIL "local ok = pcall(string.find, s, p) "
                               "ok = pcall(function() return s:gsub(p, '') end) "
                               "ctx.report(a, 'x', 'escaped')");
}

static void test_pattern_budget_in_loop(void **state)
{
    /* many small matches add up */
    assert_budget(*state, "local s = ('ab'):rep(100) while true do s:find('b', 150) s:gsub('a', 'c') end");
}

static void test_pattern_budget_plain_find(void **state)
{
    /* a plain find compares bytes too: a long needle that almost matches
     * everywhere */
    assert_budget(*state, "local h = ('a'):rep(200000) local n = ('a'):rep(100000) .. 'b' "
                          "h:find(n, 1, true)");
}

static void test_pattern_budget_balance(void **state)
{
    assert_budget(*state, "local s = ('('):rep(3000) s:gsub('%b()', '')");
}

static void *cancel_later(void *arg)
{
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    isorules_cancel(arg);
    return NULL;
}

static void test_pattern_cancel(void **state)
{
    /* with no instruction budget, isorules_cancel still stops a pattern */
    fixture *fx = *state;
    assert_int_equal(isorules_set_limit(fx->e, "instructions", 0), ISORULES_OK);
    assert_int_equal(irt_rules(fx->e, "cancel.lua",
                               "rule { id = 'CA', severity = 'error', check = function(a, ctx)\n"
                               "  local s = ('a'):rep(40) s:find(('a*'):rep(40) .. 'b') end }\n"),
                     ISORULES_OK);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_later, fx->e), 0);
    double t0 = now_s();
    int rc = isorules_run(fx->e);
    double took = now_s() - t0;
    pthread_join(t, NULL);
    assert_int_equal(rc, ISORULES_CANCELLED);
    assert_int_equal(irt_count_rule(&fx->log, "CA"), 0);
    assert_true(took < 10.0);
}

static void test_pattern_within_budget(void **state)
{
    /* ordinary matching stays far below the budget and works */
    fixture *fx = *state;
    static const char src[] =
        "rule { id = 'PM', severity = 'info', check = function(a, ctx)\n"
        "  local s = ('x, y, z'):gsub('%s*,%s*', ';')\n"
        "  local k, v = ('key = value'):match('^(%w+)%s*=%s*(%w+)$')\n"
        "  local n = 0 for _ in ('a b c'):gmatch('%a') do n = n + 1 end\n"
        "  ctx.report(a, s .. '|' .. k .. v .. '|' .. n .. '|' .. string.find('x.y', '.', 1, true), 'pm')\n"
        "end }\n";
    assert_int_equal(irt_rules(fx->e, "pm.lua", src), ISORULES_OK);
    assert_int_equal(isorules_run(fx->e), ISORULES_OK);
    if (fx->log.ne)
        fail_msg("%s:%d: %s", fx->log.err[0].file, fx->log.err[0].line, fx->log.err[0].message);
    const irt_finding *f = irt_find_msg(&fx->log, "PM", "pm");
    assert_non_null(f);
    assert_string_equal(f->subject, "x;y;z|keyvalue|3|2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pattern_differential_generated),
        cmocka_unit_test(test_pattern_differential_fixed),
        cmocka_unit_test(test_pattern_differential_arguments),
        cmocka_unit_test(test_pattern_registered),
        cmocka_unit_test(test_pattern_manual_find),
        cmocka_unit_test(test_pattern_manual_classes),
        cmocka_unit_test(test_pattern_manual_gmatch),
        cmocka_unit_test(test_pattern_manual_gsub),
        cmocka_unit_test(test_pattern_manual_errors),
        cmocka_unit_test(test_pattern_no_hook_no_charge),
        cmocka_unit_test_setup_teardown(test_pattern_budget_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_string_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_match, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_gmatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_gsub, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_gsub_function, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_in_pcall, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_in_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_plain_find, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_budget_balance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pattern_within_budget, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
