/* pattern.c: string.find, match, gmatch and gsub for the sandbox, with Lua
 * 5.4 patterns (reference manual 6.4 and 6.4.1) and a matcher that charges
 * its steps to the rule's budget (ENGINE.md "The sandbox").
 *
 * Written for isorules from the manual and from the observable behaviour of
 * the stock library, which tests/test_pattern.c compares it with. Behaviour
 * the manual leaves open follows the stock library, because rules written
 * against plain Lua must not change meaning here:
 *
 * - a malformed piece of a pattern is an error only when the matcher reaches
 *   it (("x"):find("a%") is nil: no attempt gets past the 'a');
 * - nesting is bounded: every piece that has to try alternatives (a capture
 *   opening or closing, and a quantified class that matched at least once)
 *   matches the rest of the pattern one level deeper, and the 201st level is
 *   "pattern too complex". This is also what keeps the C stack bounded;
 * - at most 32 captures ("too many captures");
 * - a back-reference to a position capture never matches.
 *
 * Budget: pm_step counts one step for every attempt to match one class
 * against one character and for every (re)entry of the matcher, plus the
 * bytes compared by back-references, balances and plain searches; the count
 * goes to ir_pattern_charge every PM_BATCH steps and at the end of a call. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <lauxlib.h>

#include "pattern.h"

#define PM_ESC '%'
#define PM_MAXCAP 32
#define PM_MAXDEPTH 200
#define PM_BATCH 256
#define PM_SPECIALS "^$*+?.([%-"

/* capture lengths that are not lengths */
#define PM_OPEN (-1) /* still open: '(' seen, ')' not yet */
#define PM_POS (-2)  /* position capture '()' */

#if defined(LUA_VERSION_RELEASE_NUM) && LUA_VERSION_RELEASE_NUM >= 50406
#define PM_BADREF_PAT "invalid capture index %%%d in pattern"
#define PM_BADREF_REPL "invalid capture index %%%d in replacement string"
#else /* 5.4.0-5.4.4 give no context */
#define PM_BADREF_PAT "invalid capture index %%%d"
#define PM_BADREF_REPL "invalid capture index %%%d"
#endif

typedef struct pm_cap {
    const char *at;
    ptrdiff_t len; /* or PM_OPEN, PM_POS */
} pm_cap;

typedef struct pm_state {
    lua_State *L;
    const char *sb, *se; /* subject: first byte, one past the last */
    const char *pe;      /* one past the pattern's last byte */
    int levels;          /* nesting levels still allowed */
    int ncap;
    long steps;          /* counted, not yet charged */
    pm_cap cap[PM_MAXCAP];
} pm_state;

static void pm_init(pm_state *m, lua_State *L, const char *s, size_t ls, const char *pe)
{
    m->L = L;
    m->sb = s;
    m->se = s + ls;
    m->pe = pe;
    m->levels = PM_MAXDEPTH;
    m->ncap = 0;
    m->steps = 0;
}

/* Before each attempt at a new subject position. */
static void pm_restart(pm_state *m)
{
    m->levels = PM_MAXDEPTH;
    m->ncap = 0;
}

static void pm_flush(pm_state *m)
{
    long n = m->steps;
    if (n > 0) {
        m->steps = 0;
        ir_pattern_charge(m->L, n);
    }
}

static void pm_step(pm_state *m, long n)
{
    m->steps += n;
    if (m->steps >= PM_BATCH)
        pm_flush(m);
}

/* ---- classes ---- */

/* Does byte c belong to class letter cl (the letter after '%')? An upper
 * case letter is the complement; any other character stands for itself. */
static int pm_in_class(int c, int cl)
{
    int yes;
    switch (tolower(cl)) {
    case 'a': yes = isalpha(c); break;
    case 'c': yes = iscntrl(c); break;
    case 'd': yes = isdigit(c); break;
    case 'g': yes = isgraph(c); break;
    case 'l': yes = islower(c); break;
    case 'p': yes = ispunct(c); break;
    case 's': yes = isspace(c); break;
    case 'u': yes = isupper(c); break;
    case 'w': yes = isalnum(c); break;
    case 'x': yes = isxdigit(c); break;
    case 'z': yes = c == 0; break; /* gone from the manual, kept by 5.4 */
    default: return cl == c;
    }
    yes = yes != 0;
    return isupper(cl) ? !yes : yes;
}

/* Does c belong to the set that opens at `open` ('[') and closes at
 * `close` (its ']')? */
static int pm_in_set(int c, const char *open, const char *close)
{
    const char *p = open + 1;
    int found = 1;
    if (*p == '^') {
        found = 0;
        p++;
    }
    while (p < close) {
        unsigned char lo = (unsigned char)p[0];
        if (lo == PM_ESC) {
            if (pm_in_class(c, (unsigned char)p[1]))
                return found;
            p += 2;
        } else if (p + 2 < close && p[1] == '-') {
            if (lo <= c && c <= (unsigned char)p[2])
                return found;
            p += 3;
        } else {
            if (lo == c)
                return found;
            p++;
        }
    }
    return !found;
}

/* The end of the single-character class that starts at p (one of x, .,
 * %x, [set]); raises on a malformed one. */
static const char *pm_class_end(pm_state *m, const char *p)
{
    const char *pe = m->pe;
    if (*p == PM_ESC) {
        if (p + 1 >= pe)
            luaL_error(m->L, "malformed pattern (ends with '%c')", PM_ESC);
        return p + 2;
    }
    if (*p != '[')
        return p + 1;
    p++;
    if (p < pe && *p == '^')
        p++;
    /* the first member is taken as is, so "[]]" and "[^]]" hold ']' */
    do {
        if (p >= pe)
            luaL_error(m->L, "malformed pattern (missing ']')");
        if (*p == PM_ESC && p + 1 < pe)
            p += 2;
        else
            p++;
    } while (p >= pe || *p != ']');
    return p + 1;
}

/* Does the class [p, ep) match the byte at s? */
static int pm_class_at(pm_state *m, const char *s, const char *p, const char *ep)
{
    pm_step(m, 1);
    if (s >= m->se)
        return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.':
        return 1;
    case PM_ESC:
        return pm_in_class(c, (unsigned char)p[1]);
    case '[':
        return pm_in_set(c, p, ep - 1);
    default:
        return (unsigned char)*p == c;
    }
}

/* ---- the matcher ---- */

static const char *pm_match(pm_state *m, const char *s, const char *p);

/* `class*` (and the rest of `class+` after its first byte): as many as
 * possible, then fewer. */
static const char *pm_greedy(pm_state *m, const char *s, const char *p, const char *ep)
{
    size_t n = 0;
    while (pm_class_at(m, s + n, p, ep))
        n++;
    for (;;) {
        const char *r = pm_match(m, s + n, ep + 1);
        if (r || n == 0)
            return r;
        n--;
    }
}

/* `class-`: as few as possible, then more. */
static const char *pm_lazy(pm_state *m, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = pm_match(m, s, ep + 1);
        if (r)
            return r;
        if (!pm_class_at(m, s, p, ep))
            return NULL;
        s++;
    }
}

static const char *pm_open_capture(pm_state *m, const char *s, const char *p, ptrdiff_t kind)
{
    if (m->ncap >= PM_MAXCAP)
        luaL_error(m->L, "too many captures");
    pm_cap *c = &m->cap[m->ncap++];
    c->at = s;
    c->len = kind;
    const char *r = pm_match(m, s, p);
    if (!r)
        m->ncap--;
    return r;
}

static const char *pm_close_capture(pm_state *m, const char *s, const char *p)
{
    int k = m->ncap - 1;
    while (k >= 0 && m->cap[k].len != PM_OPEN)
        k--;
    if (k < 0)
        luaL_error(m->L, "invalid pattern capture");
    m->cap[k].len = s - m->cap[k].at;
    const char *r = pm_match(m, s, p);
    if (!r)
        m->cap[k].len = PM_OPEN;
    return r;
}

/* %bxy at s: x, then the shortest text in which x and y balance, then y. */
static const char *pm_balance(pm_state *m, const char *s, char open, char close)
{
    if (s >= m->se || *s != open)
        return NULL;
    long depth = 1;
    const char *from = s;
    while (++s < m->se) {
        if (*s == close) {
            if (--depth == 0) {
                pm_step(m, 1 + (s - from));
                return s + 1;
            }
        } else if (*s == open) {
            depth++;
        }
    }
    pm_step(m, 1 + (s - from));
    return NULL;
}

/* %1-%9 at s (digit d): the text of that capture again. */
static const char *pm_backref(pm_state *m, const char *s, int d)
{
    int k = d - '1';
    if (k < 0 || k >= m->ncap || m->cap[k].len == PM_OPEN)
        luaL_error(m->L, PM_BADREF_PAT, k + 1);
    ptrdiff_t len = m->cap[k].len;
    if (len < 0) /* a position */
        return NULL;
    pm_step(m, 1 + len / 16);
    if (m->se - s >= len && memcmp(m->cap[k].at, s, (size_t)len) == 0)
        return s + len;
    return NULL;
}

/* Matches pattern [p, pe) at s; the end of the match, or NULL. Each call is
 * one nesting level; pieces that need no alternatives loop here instead. */
static const char *pm_match(pm_state *m, const char *s, const char *p)
{
    const char *pe = m->pe;
    if (m->levels-- == 0)
        luaL_error(m->L, "pattern too complex");
    pm_step(m, 1);
    while (s && p < pe) {
        if (*p == '(') {
            if (p + 1 < pe && p[1] == ')')
                s = pm_open_capture(m, s, p + 2, PM_POS);
            else
                s = pm_open_capture(m, s, p + 1, PM_OPEN);
            break;
        }
        if (*p == ')') {
            s = pm_close_capture(m, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == pe) {
            if (s != m->se)
                s = NULL;
            break;
        }
        if (*p == PM_ESC && p + 1 < pe) {
            char what = p[1];
            if (what == 'b') {
                if (p + 3 >= pe)
                    luaL_error(m->L, "malformed pattern (missing arguments to '%cb')", PM_ESC);
                s = pm_balance(m, s, p[2], p[3]);
                p += 4;
                continue;
            }
            if (what == 'f') {
                const char *set = p + 2;
                if (set >= pe || *set != '[')
                    luaL_error(m->L, "missing '[' after '%cf' in pattern", PM_ESC);
                const char *ep = pm_class_end(m, set);
                int before = s == m->sb ? 0 : (unsigned char)s[-1];
                int here = s < m->se ? (unsigned char)*s : 0;
                pm_step(m, 1);
                if (pm_in_set(before, set, ep - 1) || !pm_in_set(here, set, ep - 1))
                    s = NULL;
                p = ep;
                continue;
            }
            if (what >= '0' && what <= '9') {
                s = pm_backref(m, s, (unsigned char)what);
                p += 2;
                continue;
            }
        }
        /* one class, maybe quantified */
        const char *ep = pm_class_end(m, p);
        char q = ep < pe ? *ep : '\0';
        if (!pm_class_at(m, s, p, ep)) {
            if (q == '*' || q == '?' || q == '-') {
                p = ep + 1; /* zero of them */
                continue;
            }
            s = NULL;
            break;
        }
        if (q == '?') {
            const char *r = pm_match(m, s + 1, ep + 1);
            if (r) {
                s = r;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (q == '+') {
            s = pm_greedy(m, s + 1, p, ep);
            break;
        }
        if (q == '*') {
            s = pm_greedy(m, s, p, ep);
            break;
        }
        if (q == '-') {
            s = pm_lazy(m, s, p, ep);
            break;
        }
        s++;
        p = ep;
    }
    m->levels++;
    return s;
}

/* ---- captures to Lua values ---- */

/* Pushes capture k; with no captures at all, capture 0 is the whole match
 * [s, e). */
static void pm_push_capture(pm_state *m, int k, const char *s, const char *e, const char *badref)
{
    lua_State *L = m->L;
    if (k >= m->ncap) {
        if (k != 0)
            luaL_error(L, badref, k + 1);
        lua_pushlstring(L, s, (size_t)(e - s));
        return;
    }
    const pm_cap *c = &m->cap[k];
    if (c->len == PM_OPEN)
        luaL_error(L, "unfinished capture");
    if (c->len == PM_POS)
        lua_pushinteger(L, (lua_Integer)(c->at - m->sb) + 1);
    else
        lua_pushlstring(L, c->at, (size_t)c->len);
}

/* Pushes every capture, or the whole match when there are none and s is
 * set (find passes NULL: its match is given by positions). */
static int pm_push_captures(pm_state *m, const char *s, const char *e)
{
    int n = m->ncap == 0 && s ? 1 : m->ncap;
    luaL_checkstack(m->L, n, "too many captures");
    for (int k = 0; k < n; k++)
        pm_push_capture(m, k, s, e, PM_BADREF_REPL);
    return n;
}

/* ---- find, match ---- */

/* A 1-based start position as the manual has it: negative counts from the
 * end, 0 and anything before the start is 1. */
static size_t pm_start(lua_Integer i, size_t len)
{
    if (i > 0)
        return (size_t)i;
    if (i == 0 || i < -(lua_Integer)len)
        return 1;
    return len - (size_t)(-i) + 1;
}

static int pm_is_plain(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] != '\0' && strchr(PM_SPECIALS, p[i]))
            return 0;
    return 1;
}

/* The first occurrence of [n, n+ln) in [h, h+lh), or NULL. */
static const char *pm_search(pm_state *m, const char *h, size_t lh, const char *n, size_t ln)
{
    if (ln == 0)
        return h;
    if (ln > lh)
        return NULL;
    const char *last = h + (lh - ln); /* the last possible start */
    const char *at = h;
    while (at <= last) {
        const char *hit = memchr(at, n[0], (size_t)(last - at) + 1);
        pm_step(m, 1 + (long)(((hit ? hit : last) - at) / 64));
        if (!hit)
            return NULL;
        pm_step(m, 1 + (long)(ln / 64));
        if (memcmp(hit + 1, n + 1, ln - 1) == 0)
            return hit;
        at = hit + 1;
    }
    return NULL;
}

static int pm_find_or_match(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = pm_start(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    pm_state m;
    if (find && (lua_toboolean(L, 4) || pm_is_plain(p, lp))) {
        pm_init(&m, L, s, ls, p + lp);
        const char *hit = pm_search(&m, s + init, ls - init, p, lp);
        pm_flush(&m);
        if (!hit) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
        lua_pushinteger(L, (lua_Integer)(hit - s + lp));
        return 2;
    }
    int anchored = lp > 0 && p[0] == '^';
    if (anchored)
        p++;
    pm_init(&m, L, s, ls, p + (lp - (size_t)anchored));
    const char *at = s + init;
    for (;;) {
        pm_restart(&m);
        const char *e = pm_match(&m, at, p);
        if (e) {
            pm_flush(&m);
            if (!find)
                return pm_push_captures(&m, at, e);
            lua_pushinteger(L, (lua_Integer)(at - s) + 1);
            lua_pushinteger(L, (lua_Integer)(e - s));
            return 2 + pm_push_captures(&m, NULL, NULL);
        }
        if (anchored || at >= m.se)
            break;
        at++;
    }
    pm_flush(&m);
    luaL_pushfail(L);
    return 1;
}

static int pm_find(lua_State *L) { return pm_find_or_match(L, 1); }

static int pm_match_fn(lua_State *L) { return pm_find_or_match(L, 0); }

/* ---- gmatch ---- */

/* upvalues: subject, pattern, where the next search starts (0-based), where
 * the last match ended (-1: none yet) */
static int pm_gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    lua_Integer from = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
    pm_state m;
    pm_init(&m, L, s, ls, p + lp);
    for (lua_Integer at = from; at <= (lua_Integer)ls; at++) {
        pm_restart(&m);
        const char *e = pm_match(&m, s + at, p);
        /* an empty match right where the last one ended does not count */
        if (e && e - s != last) {
            lua_pushinteger(L, (lua_Integer)(e - s));
            lua_pushvalue(L, -1);
            lua_replace(L, lua_upvalueindex(3));
            lua_replace(L, lua_upvalueindex(4));
            pm_flush(&m);
            return pm_push_captures(&m, s + at, e);
        }
    }
    pm_flush(&m);
    return 0;
}

static int pm_gmatch(lua_State *L)
{
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = pm_start(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls)
        init = ls + 1; /* nothing left to match */
    lua_settop(L, 2);
    lua_pushinteger(L, (lua_Integer)init);
    lua_pushinteger(L, -1);
    lua_pushcclosure(L, pm_gmatch_next, 4);
    return 1;
}

/* ---- gsub ---- */

/* Appends the replacement string (argument 3) for the match [s, e). */
static void pm_add_template(pm_state *m, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = m->L;
    size_t lr;
    const char *r = lua_tolstring(L, 3, &lr);
    const char *end = r + lr;
    pm_step(m, 1 + (long)(lr / 64));
    for (;;) {
        const char *esc = memchr(r, PM_ESC, (size_t)(end - r));
        if (!esc) {
            luaL_addlstring(b, r, (size_t)(end - r));
            return;
        }
        luaL_addlstring(b, r, (size_t)(esc - r));
        int c = esc + 1 < end ? (unsigned char)esc[1] : '\0';
        if (c == PM_ESC) {
            luaL_addchar(b, PM_ESC);
        } else if (c == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit(c)) {
            pm_push_capture(m, c - '1', s, e, PM_BADREF_REPL);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", PM_ESC);
        }
        r = esc + 2;
    }
}

/* Appends the replacement for the match [s, e); 0 when the match is kept
 * as it is (a table or function gave false or nil). */
static int pm_add_replacement(pm_state *m, luaL_Buffer *b, const char *s, const char *e, int how)
{
    lua_State *L = m->L;
    if (how == LUA_TFUNCTION) {
        pm_flush(m);
        lua_pushvalue(L, 3);
        int n = pm_push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (how == LUA_TTABLE) {
        pm_push_capture(m, 0, s, e, PM_BADREF_REPL);
        lua_gettable(L, 3);
    } else {
        pm_add_template(m, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1))
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int pm_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int how = lua_type(L, 3);
    lua_Integer most = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, how == LUA_TNUMBER || how == LUA_TSTRING || how == LUA_TFUNCTION || how == LUA_TTABLE, 3,
                     "string/function/table");
    int anchored = lp > 0 && p[0] == '^';
    if (anchored)
        p++;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    pm_state m;
    pm_init(&m, L, s, ls, p + (lp - (size_t)anchored));
    const char *at = s, *last = NULL;
    lua_Integer n = 0;
    int changed = 0;
    while (n < most) {
        pm_restart(&m);
        const char *e = pm_match(&m, at, p);
        if (e && e != last) {
            n++;
            changed |= pm_add_replacement(&m, &b, at, e, how);
            at = last = e;
        } else if (at < m.se) {
            luaL_addchar(&b, *at);
            at++;
        } else {
            break;
        }
        if (anchored)
            break;
    }
    pm_flush(&m);
    if (changed) {
        luaL_addlstring(&b, at, (size_t)(m.se - at));
        luaL_pushresult(&b);
    } else {
        lua_pushvalue(L, 1); /* nothing replaced: the subject itself */
    }
    lua_pushinteger(L, n);
    return 2;
}

void ir_pattern_register(lua_State *L, int idx)
{
    static const luaL_Reg fns[] = {
        {"find", pm_find}, {"match", pm_match_fn}, {"gmatch", pm_gmatch}, {"gsub", pm_gsub}, {NULL, NULL}};
    idx = lua_absindex(L, idx);
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, idx, f->name);
    }
}
