/* pattern.h: Lua 5.4 patterns whose matching steps are charged to the rule's
 * instruction budget (ENGINE.md "The sandbox").
 *
 * Lua's own string.find, match, gmatch and gsub match in C, where no hook
 * fires, so a backtracking pattern can run for hours inside one call. These
 * replacements behave like Lua 5.4's (results, errors and their messages:
 * tests/test_pattern.c compares them on a generated corpus) but report every
 * matching step through ir_pattern_charge. */
#ifndef ISORULES_PATTERN_H
#define ISORULES_PATTERN_H

#include <lua.h>

/* Sets find, match, gmatch and gsub in the table at idx to the budgeted
 * versions. Stack: +0. */
void ir_pattern_register(lua_State *L, int idx);

/* Adds steps to the running rule's budget (core/sandbox.c). Returns when
 * no rule run is in progress or the budget holds; otherwise raises a Lua
 * error and does not return. The matcher calls it in batches. */
void ir_pattern_charge(lua_State *L, long steps);

#endif /* ISORULES_PATTERN_H */
