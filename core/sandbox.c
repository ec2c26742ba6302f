/* sandbox.c: the Lua state rules run in (ENGINE.md "The sandbox").
 *
 * One state per engine. Rule files never see the real globals: each gets an
 * environment of its own, with fresh copies of the allowed libraries. Limits
 * hold per rule run: an instruction budget counted by a hook, a memory
 * ceiling kept by the allocator; once one trips, the hook raises on every
 * call, line and instruction until the run is unwound, so pcall cannot
 * swallow it (Redis's scripting does the same). */
#include <limits.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>
#include <lualib.h>

#include "engine.h"
#include "load.h"
#include "pattern.h"

#define HOOK_STEP 1000
#define PRISTINE "isorules.pristine"

static void hook(lua_State *L, lua_Debug *ar);
static int l_msgh(lua_State *L);

/* Adds n steps to the budget spent, saturating (a hostile count must not
 * overflow it). */
static void spend(isorules_engine *e, long long n)
{
    e->spent = n > LLONG_MAX - e->spent ? LLONG_MAX : e->spent + n;
}

static isorules_engine *engine_of(lua_State *L) { return *(isorules_engine **)lua_getextraspace(L); }

/* From now on the hook fires on every call, line and instruction, and
 * raises until the run is unwound. Async-safe by design (lua.c sets hooks
 * from a signal handler), so the allocator may call it. */
static void keep_raising(lua_State *L) { lua_sethook(L, hook, LUA_MASKCALL | LUA_MASKLINE | LUA_MASKCOUNT, 1); }

/* A monotonic clock in milliseconds (vDSO: a few tens of nanoseconds). */
static long long clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The instruction budget counts instructions, but one instruction can take
 * long: == and < on two long strings that differ at the end compare them
 * whole inside the VM, where nothing can charge it (a review timed 0.5
 * million such instructions at 368 s). The time limit is a backstop of
 * wall time, checked each time the count hook fires. */
static int over_time(isorules_engine *e)
{
    return e->limits[LIM_TIME] && clock_ms() - e->run_began_ms > e->limits[LIM_TIME];
}

/* Trips the run when it is cancelled, has spent its budget or, when the
 * caller reads the clock, is past its time: the checks of the hook and of
 * the C code that charges the budget where no hook fires. Returns whether
 * the run is tripped. */
static int limit_reached(isorules_engine *e, int clock)
{
    if (!e->tripped) {
        if (atomic_load(&e->cancel))
            e->tripped = TRIP_CANCEL;
        else if (e->limits[LIM_INSTRUCTIONS] && e->spent > e->limits[LIM_INSTRUCTIONS])
            e->tripped = TRIP_BUDGET;
        else if (clock && over_time(e))
            e->tripped = TRIP_TIME;
    }
    return e->tripped != 0;
}

/* Notes the line of the rule code running, when a limit trips where no
 * Lua line may run after it (Lua calls no message handler for memory
 * errors; a trip in C can be caught by a tail-called pcall). getinfo "Sl"
 * does not allocate. */
static void note_line(isorules_engine *e)
{
    lua_Debug ar;
    for (int level = 0; e->trip_line == 0 && lua_getstack(e->L, level, &ar); level++)
        if (lua_getinfo(e->L, "Sl", &ar) && ar.currentline > 0)
            e->trip_line = ar.currentline;
}

/* The memory limit of the run is reached. */
static void trip_memory(isorules_engine *e)
{
    if (e->tripped || !e->L)
        return;
    e->tripped = TRIP_MEMORY;
    note_line(e);
    keep_raising(e->L);
}

/* A growth past a limit of the run trips it, but provisionally: Lua's own
 * allocations (lmem.c, tryagain) answer a refusal with an emergency
 * collection, which only frees, and then ask again for the same block and
 * sizes, before any other growth and before any hook. If that request
 * fits with room to spare, what stood in the way was garbage, which the
 * collector lets grow to the size of the heap before a cycle starts: the
 * trip is taken back (refused_again). A refusal that nothing asks again
 * for (lauxlib's buffers raise at once) stays a trip, and so does a
 * refusal while tripped. Returns NULL. */
static void *refuse(isorules_engine *e, uintptr_t ptr, size_t osize, size_t nsize, int state_limit)
{
    e->refused = 0; /* the limits hold in rule runs only (mem_ceiling, state_max) */
    if (e->tripped)
        return NULL;
    e->refused_line = e->trip_line; /* the message handler may have set it */
    if (state_limit)
        e->state_bound = 1;
    trip_memory(e);
    e->refused = 1;
    e->refused_ptr = ptr, e->refused_osize = osize, e->refused_nsize = nsize;
    return NULL;
}

/* A growth was made: if it is Lua asking again for the block just refused,
 * and the collection left at least an eighth of the limit free (so that a
 * rule living at its limit, with a little garbage, cannot have the whole
 * state collected for every few allocations), the trip is taken back. The
 * collection traversed what is alive, and putting the hook back resets its
 * count: both are charged to the budget (a step per 64 bytes, as for
 * making memory), which may trip instead; the eighth the run must make,
 * and pay for, before the next refusal bounds how often a big state is
 * traversed again. */
static void refused_again(isorules_engine *e, uintptr_t ptr, size_t osize, size_t nsize)
{
    int same = ptr == e->refused_ptr && osize == e->refused_osize && nsize == e->refused_nsize;
    e->refused = 0;
    if (!same || e->tripped != TRIP_MEMORY)
        return;
    /* what is in use against what is allowed, less an eighth */
    size_t use = e->mem_used, max = e->mem_ceiling, spare = (size_t)e->limits[LIM_MEMORY] / 8;
    if (e->state_bound) {
        use = e->pool.slab_bytes + e->mem_big;
        max = (size_t)e->limits[LIM_STATE_MEMORY];
        spare = max / 8;
    }
    if (spare > max || use > max - spare)
        return;
    spend(e, HOOK_STEP + (long long)(e->mem_used >> 6));
    if (e->limits[LIM_INSTRUCTIONS] && e->spent > e->limits[LIM_INSTRUCTIONS]) {
        e->tripped = TRIP_BUDGET; /* the hook still raises, with this message */
        return;
    }
    e->tripped = 0;
    e->trip_line = e->refused_line;
    e->state_bound = 0;
    lua_sethook(e->L, hook, LUA_MASKCOUNT, HOOK_STEP);
}

/* Once a run has tripped, it may grow this far past its limits while it
 * unwinds: every allocation refused costs Lua a full collection, and a
 * tripped run still calls close handlers and C functions, which allocate
 * (a review timed 5,000 of them at 55 s). The hook ends the run at its
 * next Lua line. */
#define TRIP_SLACK ((size_t)1 << 20)

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    isorules_engine *e = ud;
    if (ptr == NULL)
        osize = 0;
    if (nsize == 0) {
        ir_pool_realloc(&e->pool, ptr, osize, 0);
        e->mem_used -= osize;
        if (osize > IR_POOL_MAX)
            e->mem_big -= osize;
        return NULL;
    }
    uintptr_t old = (uintptr_t)ptr;
    size_t slack = e->tripped && e->in_run ? TRIP_SLACK : 0;
    if (nsize > osize && e->mem_ceiling && e->mem_used + (nsize - osize) > e->mem_ceiling + slack)
        return refuse(e, old, osize, nsize, 0);
    /* the whole state's limit counts what the state takes from the system:
     * the pool's slabs (free blocks of one size class serve no other, so a
     * rule that cycles through sizes grows them past what is alive) and the
     * large blocks. Past it a rule run ends with the limit's message. It
     * bounds rule runs only: a rule that filled the state must not stop
     * the loader, the model stage and the engine's own work, which the
     * input limits bound and which free each agency when it is audited (a
     * review saw a full state end the whole audit on "out of memory"). */
    size_t state_max = e->in_run ? (size_t)e->limits[LIM_STATE_MEMORY] : 0;
    if (nsize > osize && state_max) {
        size_t grow = nsize > IR_POOL_MAX ? nsize - (osize > IR_POOL_MAX ? osize : 0)
                                          : ir_pool_growth(&e->pool, osize, nsize);
        if (grow && e->pool.slab_bytes + e->mem_big + grow > state_max + slack)
            return refuse(e, old, osize, nsize, 1);
    }
    void *p = ir_pool_realloc(&e->pool, ptr, osize, nsize);
    if (p) {
        if (osize > IR_POOL_MAX)
            e->mem_big -= osize;
        if (nsize > IR_POOL_MAX)
            e->mem_big += nsize;
        e->mem_used = e->mem_used - osize + nsize;
        if (nsize > osize && e->refused)
            refused_again(e, old, osize, nsize);
        /* during a rule run, building memory costs budget too: one step per
         * 64 bytes, so one instruction that copies megabytes (a `..` of two
         * long strings, string.upper on one) is not nearly free, with or
         * without a memory limit */
        if (e->in_run && nsize > osize) {
            spend(e, (long long)((nsize - osize) >> 6));
            /* C calling C (table.sort calling pcall calling tostring) runs
             * no Lua instruction, so no count hook sees this: trip here,
             * and the hook raises at the next call */
            if (!e->tripped && limit_reached(e, 0)) {
                note_line(e);
                keep_raising(e->L);
            }
        }
    }
    return p;
}

static const char *trip_message(isorules_engine *e, char *buf, size_t n)
{
    switch (e->tripped) {
    case TRIP_BUDGET:
        snprintf(buf, n, "instruction budget spent (%lld)", e->limits[LIM_INSTRUCTIONS]);
        break;
    case TRIP_MEMORY:
        if (e->state_bound) /* what runs before kept (in upvalues, say) fills the state */
            snprintf(buf, n, "memory limit of the whole state reached (state-memory %lld bytes)",
                     e->limits[LIM_STATE_MEMORY]);
        else
            snprintf(buf, n, "memory limit reached (%lld bytes)", e->limits[LIM_MEMORY]);
        break;
    case TRIP_TIME:
        snprintf(buf, n, "time limit reached (%lld ms)", e->limits[LIM_TIME]);
        break;
    default:
        snprintf(buf, n, "cancelled");
        break;
    }
    return buf;
}

static void hook(lua_State *L, lua_Debug *ar)
{
    isorules_engine *e = engine_of(L);
    e->refused = 0; /* Lua asks again before any hook runs, or not at all */
    if (!e->tripped) {
        if (ar->event != LUA_HOOKCOUNT)
            return;
        spend(e, HOOK_STEP);
        if (!limit_reached(e, 1))
            return;
    }
    if (ar->event == LUA_HOOKCALL || ar->event == LUA_HOOKTAILCALL) {
        /* let the message handler run; raise in anything else, C functions
         * too: a C close handler runs as the trip unwinds, and one that
         * asks for megabytes had every request refused after a full
         * collection (a review: 22 s a run) */
        if (lua_getinfo(L, "f", ar)) {
            int msgh = lua_tocfunction(L, -1) == l_msgh;
            lua_pop(L, 1);
            if (msgh)
                return;
        }
    }
    if (e->trip_line == 0 && lua_getinfo(L, "l", ar) && ar->currentline > 0)
        e->trip_line = ar->currentline;
    keep_raising(L);
    char buf[96];
    lua_pushstring(L, trip_message(e, buf, sizeof buf));
    lua_error(L);
}

/* The budgeted pattern matcher (core/pattern.c) charges its steps here: they
 * count like instructions, and spending the budget trips the run as the
 * hook does. Outside a rule run (no hook set) matching is not counted. */
void ir_pattern_charge(lua_State *L, long steps)
{
    if (lua_gethook(L) == NULL)
        return;
    isorules_engine *e = engine_of(L);
    e->refused = 0;
    spend(e, steps);
    if (!limit_reached(e, steps >= HOOK_STEP)) /* the clock for big C work; the hook sees the rest */
        return;
    note_line(e);
    keep_raising(L);
    char buf[96];
    luaL_error(L, "%s", trip_message(e, buf, sizeof buf));
}

/* Charges the string arguments of the running C function: 1 step per 64
 * bytes, as the allocator charges making them. C code may scan a string
 * where no hook sees it, and any argument that C reads as a number may be a
 * numeric string of megabytes ("   ...   1"), converted in one call. */
void ir_sandbox_charge_args(lua_State *L)
{
    long long bytes = 0;
    for (int i = lua_gettop(L); i > 0; i--)
        if (lua_type(L, i) == LUA_TSTRING)
            bytes += (long long)lua_rawlen(L, i);
    if (bytes >= 64)
        ir_pattern_charge(L, bytes >> 6 > LONG_MAX ? LONG_MAX : (long)(bytes >> 6));
}

int ir_sandbox_reserve(lua_State *L, size_t n)
{
    isorules_engine *e = engine_of(L);
    if (!e->mem_ceiling)
        return 0;
    /* garbage does not count: collect it before refusing (as l_alloc lets
     * Lua do), charging the collection to the budget as refused_again does */
    if (e->mem_used > e->mem_ceiling || n > e->mem_ceiling - e->mem_used) {
        spend(e, (long long)(e->mem_used >> 6));
        lua_gc(L, LUA_GCCOLLECT);
        if (e->mem_used > e->mem_ceiling || n > e->mem_ceiling - e->mem_used) {
            trip_memory(e);
            return -1;
        }
    }
    e->mem_ceiling -= n;
    return 0;
}

/* Message handler of every rule run: notes the line of the rule code that
 * raised. Never calls back into rule code (no __tostring), since an error
 * object's metamethods may be hostile. */
static int l_msgh(lua_State *L)
{
    isorules_engine *e = engine_of(L);
    lua_Debug ar;
    if (e->trip_line == 0) {
        /* the line in the rule's own file (not in a chunk it load()ed), else
         * the innermost line known */
        const char *file = e->cur_rule ? e->cur_rule->info.file : NULL;
        int first = 0;
        for (int level = 1; lua_getstack(L, level, &ar); level++) {
            if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
                continue;
            if (!first)
                first = ar.currentline;
            if (file && ar.source[0] == '@' && strcmp(ar.source + 1, file) == 0) {
                e->trip_line = ar.currentline;
                break;
            }
        }
        if (e->trip_line == 0)
            e->trip_line = first;
    }
    if (e->tripped) {
        char buf[96];
        lua_pushstring(L, trip_message(e, buf, sizeof buf));
    } else if (lua_type(L, 1) != LUA_TSTRING && lua_type(L, 1) != LUA_TNUMBER) {
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    } else {
        lua_pushvalue(L, 1);
    }
    return 1;
}

static int push_message(lua_State *L)
{
    lua_pushstring(L, lua_touserdata(L, 1));
    return 1;
}

int ir_sandbox_call(isorules_engine *e, int nargs, int nresults)
{
    lua_State *L = e->L;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, l_msgh);
    lua_insert(L, base);
    e->spent = 0;
    e->run_began_ms = e->limits[LIM_TIME] ? clock_ms() : 0;
    e->run_findings = 0;
    e->tripped = 0;
    e->trip_line = 0;
    /* the run's ceiling: what it may add (memory); the whole state's limit
     * (state-memory, l_alloc) holds as well, so that a rule keeping data from
     * run to run cannot grow the state agency after agency */
    size_t limit = (size_t)e->limits[LIM_MEMORY];
    /* measured from the heap the run finds, garbage included, which a
     * take-back would free for this run: collect first when the heap has
     * grown since the last collection (or its lowest since) by an eighth
     * of the limit, or of that heap when it is bigger, so that garbage
     * cannot raise the ceiling run after run, and a big state is not
     * traversed for every few megabytes of garbage */
    if (e->mem_used < e->gc_base)
        e->gc_base = e->mem_used;
    size_t grown = e->mem_used - e->gc_base, room = (limit > e->gc_base ? limit : e->gc_base) / 8;
    if (limit && grown > room) {
        lua_gc(L, LUA_GCCOLLECT);
        e->gc_base = e->mem_used;
    }
    e->mem_ceiling = limit ? e->mem_used + limit : 0;
    e->state_bound = 0;
    e->in_run = 1;
    lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_STEP);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_sethook(L, NULL, 0, 0);
    e->refused = 0;
    e->mem_ceiling = 0;
    e->in_run = 0;
    lua_remove(L, base);
    if (e->tripped) {
        char buf[96];
        if (status == LUA_OK) { /* no Lua line ran after the trip: `return pcall(f)` */
            lua_settop(L, base - 1);
            status = LUA_ERRRUN;
        } else {
            lua_pop(L, 1);
        }
        /* the state may be past its limit: making the message must not
         * raise here, outside any pcall (a review saw the whole audit end
         * on "out of memory"); failing, Lua's own "not enough memory" is
         * left, which takes nothing */
        lua_pushcfunction(L, push_message);
        trip_message(e, buf, sizeof buf);
        lua_pushlightuserdata(L, buf);
        lua_pcall(L, 1, 1, 0);
    } else if (status == LUA_ERRMEM) {
        lua_pop(L, 1);
        lua_pushliteral(L, "not enough memory");
    }
    return status;
}

const char *ir_sandbox_error(isorules_engine *e, int *line)
{
    const char *msg = lua_tostring(e->L, -1);
    *line = e->trip_line;
    if (!msg)
        return "error";
    /* "@file:12: message" or "file:12: message": keep the message, the line
     * comes from the handler */
    const char *p = msg;
    while (*p && *p != '\n') {
        if (p[0] == ':' && p[1] >= '0' && p[1] <= '9') {
            const char *q = p + 1;
            int ln = 0;
            while (*q >= '0' && *q <= '9')
                ln = ln * 10 + (*q++ - '0');
            if (q[0] == ':' && q[1] == ' ') {
                if (*line == 0)
                    *line = ln;
                return q + 2;
            }
        }
        p++;
    }
    return msg;
}

/* print(...): to stderr, prefixed with the running rule's id, never into a
 * report. */
static int l_print(lua_State *L)
{
    isorules_engine *e = engine_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addchar(&b, '[');
    luaL_addstring(&b, e->cur_rule ? e->cur_rule->info.id : "rules");
    luaL_addstring(&b, "] ");
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    fwrite(s, 1, len, stderr);
    return 0;
}

/* error(message [, level]): Lua's, with its arguments charged (a level
 * may be a numeric string of megabytes). Not a wrapper: the position it
 * adds is the caller's. */
static int l_error(lua_State *L)
{
    ir_sandbox_charge_args(L);
    int level = (int)luaL_optinteger(L, 2, 1);
    lua_settop(L, 1);
    if (lua_type(L, 1) == LUA_TSTRING && level > 0) {
        luaL_where(L, level);
        lua_pushvalue(L, 1);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

/* load(chunk [, chunkname [, mode [, env]]]): text only; the chunk gets the
 * calling file's environment (upvalue 1) unless env is given. Compiling
 * comments and blanks allocates nothing: the chunk is charged. */
static int l_load(lua_State *L)
{
    ir_sandbox_charge_args(L);
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (!s || lua_type(L, 1) != LUA_TSTRING)
        return luaL_argerror(L, 1, "a string chunk expected (reader functions are not allowed)");
    const char *name = luaL_optstring(L, 2, s);
    const char *mode = luaL_optstring(L, 3, "t");
    if (strchr(mode, 'b') && !strchr(mode, 't'))
        return luaL_argerror(L, 3, "binary chunks are not allowed");
    int has_env = !lua_isnone(L, 4);
    if (luaL_loadbufferx(L, s, len, name, "t") != LUA_OK) {
        lua_pushnil(L);
        lua_insert(L, -2);
        return 2;
    }
    if (has_env)
        lua_pushvalue(L, 4);
    else
        lua_pushvalue(L, lua_upvalueindex(1));
    lua_setupvalue(L, -2, 1);
    return 1;
}

/* rawset(t, k, v): refuses the read-only tables of the final pass
 * (keep.c), which __newindex alone cannot protect. */
static int l_rawset(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
        lua_pushliteral(L, IR_READONLY);
        int ro = lua_rawget(L, -2) != LUA_TNIL; /* raw: no metamethod of the rule's runs here */
        lua_pop(L, 2);
        if (ro)
            return luaL_error(L, "ctx.index and ctx.kept are read-only");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* setmetatable(t, mt): refuses __gc, since Lua runs finalizers with hooks
 * off, beyond any budget. */
static int l_setmetatable(lua_State *L)
{
    /* the model's tables stay plain: a metamethod on one would run inside
     * other rules, and in the engine, which reads the model */
    if (ir_node_of(engine_of(L), L, 1, NULL))
        return luaL_error(L, "the tables of the model cannot get a metatable");
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in rules");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* xpcall(f, handler, ...): the handler runs after the error has unwound,
 * not as a Lua message handler. When a limit trips, the hook raises with
 * Lua's hooks off until a pcall boundary restores them; a message handler
 * called in between would run unhooked, so a handler that loops would loop
 * for ever. Here the handler runs under the hook like any other code. */
static int l_xpcall(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    luaL_checkany(L, 1);
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++)
        lua_pushvalue(L, i);
    if (lua_pcall(L, n < 2 ? 0 : n - 2, LUA_MULTRET, 0) == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return lua_gettop(L) - n;
    }
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_pcall(L, 1, 1, 0); /* a handler that fails gives its own error */
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/* Library functions wrapped to charge to the budget the work that C does
 * where the hook cannot see it (upvalue 1: the real function; upvalue 2:
 * which charge). Before they run: their string arguments
 * (ir_sandbox_charge_args), and the loops of the kinds below; after they
 * return, one step per value they pushed (string.byte, utf8.codepoint and
 * string.unpack push one per byte or item). */
enum { CH_PLAIN, CH_REP, CH_MOVE, CH_SHIFT, CH_RANGE, CH_SORT };

/* Argument i as the library reads it (luaL_checkinteger takes integral
 * floats and numeric strings too: "9e18" must be charged as such), or def. */
static long long arg_int(lua_State *L, int i, long long def)
{
    int ok = 0;
    lua_Integer v = lua_tointegerx(L, i, &ok);
    return ok ? (long long)v : def;
}

/* The length a table library function will use (luaL_len, which calls
 * __len), which the charge must know before the call: a rule's __len could
 * answer one thing here and another to the function (a review ran
 * table.insert on a __len of 2^60), so tables with one are refused; the
 * final pass's views and proxies, whose __len is the engine's, are not. */
static long long table_len(lua_State *L, int i)
{
    if (lua_type(L, i) != LUA_TTABLE)
        return 0;
    if (luaL_getmetafield(L, i, "__len") != LUA_TNIL) {
        int own = ir_keep_own_len(L, -1);
        lua_pop(L, 1);
        if (!own)
            luaL_error(L, "a table with __len cannot be given to the table library here (its length "
                          "could not be charged to the budget)");
        return (long long)luaL_len(L, i);
    }
    return (long long)lua_rawlen(L, i);
}

/* The steps of a call of kind `kind` with the arguments on the stack, beyond
 * its string arguments. */
static long long loop_steps(lua_State *L, int kind)
{
    long long steps = 0;
    switch (kind) {
    case CH_REP: { /* string.rep(s, n [, sep]) of empty strings: n rounds that
                    * allocate nothing (the allocator charges the others) */
        size_t ls = 0, lsep = 0;
        if (lua_type(L, 1) == LUA_TSTRING)
            lua_tolstring(L, 1, &ls);
        if (lua_type(L, 3) == LUA_TSTRING)
            lua_tolstring(L, 3, &lsep);
        steps = ls + lsep == 0 ? arg_int(L, 2, 0) : 0;
        break;
    }
    case CH_MOVE: /* table.move(a1, f, e, t [, a2]) */
        steps = arg_int(L, 3, 0) - arg_int(L, 2, 0);
        break;
    case CH_SHIFT: /* table.insert / table.remove move the elements after the position */
        steps = table_len(L, 1);
        break;
    case CH_RANGE: { /* table.concat(t, sep, i, j), table.unpack(t, i, j) */
        int first = lua_type(L, 2) == LUA_TSTRING ? 3 : 2;
        long long len = table_len(L, 1);
        steps = arg_int(L, first + 1, len) - arg_int(L, first, 1);
        break;
    }
    case CH_SORT: { /* comparisons of a sort with no Lua comparator, each of
                     * which may compare two long strings whole (a review
                     * sorted 3,000 copies of an 8 MB string for 6 s within
                     * the budget): a comparison costs a step per 64 bytes of
                     * the longest string, found in a pass that costs a step
                     * per element */
        long long len = table_len(L, 1);
        size_t longest = 0;
        for (long long i = 1; i <= len; i++) {
            if (lua_rawgeti(L, 1, (lua_Integer)i) == LUA_TSTRING && lua_rawlen(L, -1) > longest)
                longest = lua_rawlen(L, -1);
            lua_pop(L, 1);
        }
        long long each = 1 + (long long)(longest >> 6);
        long long round = len > LLONG_MAX / each ? LLONG_MAX : len * each; /* n comparisons */
        steps = len;
        for (long long k = len; k > 1; k >>= 1)
            steps = steps > LLONG_MAX - round ? LLONG_MAX : steps + round;
        break;
    }
    }
    return steps;
}

static int l_charged(lua_State *L)
{
    int n = lua_gettop(L);
    ir_sandbox_charge_args(L);
    long long steps = loop_steps(L, (int)lua_tointeger(L, lua_upvalueindex(2)));
    if (steps > 0)
        ir_pattern_charge(L, steps > LONG_MAX ? LONG_MAX : (long)steps);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    int nres = lua_gettop(L);
    ir_pattern_charge(L, nres);
    return nres;
}

/* stack: f -> f wrapped with charge `kind` */
static void charged(lua_State *L, int kind)
{
    lua_pushinteger(L, kind);
    lua_pushcclosure(L, l_charged, 2);
}

/* stack: lib -> lib, with lib[name] wrapped */
static void charge_wrap(lua_State *L, const char *name, int kind)
{
    lua_getfield(L, -1, name);
    charged(L, kind);
    lua_setfield(L, -2, name);
}

/* stack: lib -> lib, with every C function of lib that is not wrapped yet
 * wrapped as CH_PLAIN */
static void charge_wrap_all(lua_State *L)
{
    lua_pushnil(L);
    while (lua_next(L, -2)) { /* stack: lib key value */
        lua_CFunction f = lua_tocfunction(L, -1);
        if (f && f != l_charged) {
            charged(L, CH_PLAIN);
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, -4); /* changing an existing field while traversing is allowed */
        } else {
            lua_pop(L, 1);
        }
    }
}

static const char *const base_names[] = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal",
    "rawget", "rawlen", "rawset", "select", "tonumber", "tostring", "type", "_VERSION", NULL};
static const char *const lib_names[] = {"string", "table", "math", "utf8", NULL};
/* base functions that read numbers or compare strings in C */
static const char *const charged_base[] = {"tonumber", "select", "rawequal", NULL};

/* stack: +0. Copies table at idx into a new table. */
static void shallow_copy(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
}

void ir_sandbox_push_format(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, PRISTINE);
    lua_getfield(L, -1, "string");
    lua_getfield(L, -1, "format");
    lua_replace(L, -3);
    lua_pop(L, 1);
}

void ir_sandbox_env(lua_State *L, isorules_engine *e, const char *name)
{
    (void)name;
    lua_newtable(L); /* env */
    int env = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, PRISTINE);
    int pr = lua_gettop(L);
    for (int i = 0; base_names[i]; i++) {
        lua_getfield(L, pr, base_names[i]);
        lua_setfield(L, env, base_names[i]);
    }
    for (int i = 0; lib_names[i]; i++) {
        lua_getfield(L, pr, lib_names[i]);
        shallow_copy(L, -1);
        lua_setfield(L, env, lib_names[i]);
        lua_pop(L, 1);
    }
    lua_getfield(L, pr, "setmetatable");
    lua_pushcclosure(L, l_setmetatable, 1);
    lua_setfield(L, env, "setmetatable");
    lua_getfield(L, pr, "rawset");
    lua_pushcclosure(L, l_rawset, 1);
    lua_setfield(L, env, "rawset");
    lua_pushcfunction(L, l_print);
    lua_setfield(L, env, "print");
    lua_pushcfunction(L, l_xpcall);
    lua_setfield(L, env, "xpcall");
    lua_pushvalue(L, env);
    lua_pushcclosure(L, l_load, 1);
    lua_setfield(L, env, "load");
    lua_pushvalue(L, env);
    lua_setfield(L, env, "_G");
    lua_pushinteger(L, ISORULES_RULE_API);
    lua_setfield(L, env, "ISORULES_RULE_API");
    lua_pop(L, 1); /* pristine */
    ir_rules_open_lib(L, e); /* rule, isorules */
}

/* Keeps the stock libraries out of reach of rules, and builds the string
 * metatable every string shares. Runs unprotected on a fresh state: only
 * memory errors could raise, and the engine handles that at open. */
static int l_setup(lua_State *L)
{
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},       {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8},  {NULL, NULL}};
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    lua_newtable(L); /* pristine */
    int pr = lua_gettop(L);
    lua_pushglobaltable(L);
    /* the budgeted find, match, gmatch and gsub, in the stock table too:
     * argument errors name a function by where package.loaded has it */
    lua_getfield(L, -1, LUA_STRLIBNAME);
    ir_pattern_register(L, -1);
    lua_pop(L, 1);
    for (int i = 0; base_names[i]; i++) {
        lua_getfield(L, -1, base_names[i]);
        lua_setfield(L, pr, base_names[i]);
    }
    lua_getfield(L, -1, "setmetatable");
    lua_setfield(L, pr, "setmetatable");
    for (int i = 0; lib_names[i]; i++) {
        lua_getfield(L, -1, lib_names[i]);
        shallow_copy(L, -1);
        lua_remove(L, -2);
        lua_setfield(L, pr, lib_names[i]);
    }
    lua_pop(L, 1); /* globals */
    lua_pushcfunction(L, l_error);
    lua_setfield(L, pr, "error");
    for (int i = 0; charged_base[i]; i++)
        charge_wrap(L, charged_base[i], CH_PLAIN);
    lua_getfield(L, pr, "table");
    charge_wrap(L, "move", CH_MOVE);
    charge_wrap(L, "insert", CH_SHIFT);
    charge_wrap(L, "remove", CH_SHIFT);
    charge_wrap(L, "concat", CH_RANGE);
    charge_wrap(L, "unpack", CH_RANGE);
    charge_wrap(L, "sort", CH_SORT);
    lua_pop(L, 1);
    lua_getfield(L, pr, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    charge_wrap(L, "rep", CH_REP);
    lua_pop(L, 1);
    for (int i = 0; lib_names[i]; i++) {
        lua_getfield(L, pr, lib_names[i]);
        charge_wrap_all(L);
        lua_pop(L, 1);
    }
    lua_getfield(L, pr, "string");
    /* the shared string metatable: methods from a hidden copy, protected;
     * its arithmetic (`"1" + 1`, which reads numeric strings) charged */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    charge_wrap_all(L);
    shallow_copy(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 3);
    lua_setfield(L, LUA_REGISTRYINDEX, PRISTINE);
    return 0;
}

int ir_sandbox_open(isorules_engine *e)
{
    ir_pool_init(&e->pool);
    lua_State *L = lua_newstate(l_alloc, e);
    if (!L)
        return ISORULES_NOMEM;
    *(isorules_engine **)lua_getextraspace(L) = e;
    e->L = L;
    lua_pushcfunction(L, l_setup);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        ir_pool_free(&e->pool);
        e->L = NULL;
        return ISORULES_NOMEM;
    }
    return ISORULES_OK;
}
