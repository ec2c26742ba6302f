/* yaml_suite.c: loads one case of the YAML test suite with the library's own
 * loader (core/load.c, as the engine drives it: IR_BUILD, the default limits,
 * an encoding error's offset turned into a line and column) and prints what
 * happened. scripts/yaml-suite.sh runs it once per case, under `timeout`, and
 * judges the verdicts; a crash or a hang is seen there, from outside.
 *
 * usage: yaml_suite [--error] [--id ID] FILE
 *   --error  the suite says FILE is not valid YAML
 * Prints one line:
 *   loaded ID: N documents                valid case, every document built
 *   refused ID LINE:COL: MESSAGE          valid case, refused by isorules
 *   error-refused ID LINE:COL: MESSAGE    error case, refused with a position
 *   error-nopos ID: MESSAGE               error case, refused without one
 *   error-accepted ID: N documents        error case that loads (a parser gap)
 * and exits 0; 2 when the file cannot be read or the usage is wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>

#include "load.h"
#include "pos.h"

typedef struct run {
    const char *data;
    size_t len;
    ir_loader ld;
    ir_posstore ps;
    long long docs; /* documents built */
    int rc;         /* IR_LOAD_END or IR_LOAD_ERR */
} run;

/* Reads every document, as the engine does, in protected mode (the loader
 * raises only on memory errors). Keeps the documents alive to the end so that
 * no position record outlives its table. */
static int load_all(lua_State *L)
{
    run *r = lua_touserdata(L, 1);
    lua_settop(L, 0);
    lua_newtable(L); /* 1: the documents */
    for (;;) {
        int line, col;
        int rc = ir_loader_next(&r->ld, L, &r->ps, 1, IR_BUILD, &line, &col);
        if (rc != IR_LOAD_DOC) {
            r->rc = rc;
            return 0;
        }
        if (line < 0 || col < 0)
            return luaL_error(L, "document %lld: root position %d:%d", r->docs + 1, line, col);
        r->docs++;
        lua_rawseti(L, 1, (lua_Integer)r->docs);
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        n += fread(buf + n, 1, cap - n, fp);
        if (n < cap)
            break;
        char *more = realloc(buf, cap * 2);
        if (!more) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = more;
        cap *= 2;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Prints the message on one line: newlines and other control bytes as spaces. */
static void print_msg(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 ? ' ' : *s);
    putchar('\n');
}

int main(int argc, char **argv)
{
    int is_error = 0;
    const char *id = NULL, *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--error") == 0)
            is_error = 1;
        else if (strcmp(argv[i], "--id") == 0 && i + 1 < argc)
            id = argv[++i];
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            fprintf(stderr, "usage: yaml_suite [--error] [--id ID] FILE\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: yaml_suite [--error] [--id ID] FILE\n");
        return 2;
    }
    if (!id)
        id = path;

    run r;
    memset(&r, 0, sizeof r);
    char *data = slurp(path, &r.len);
    if (!data) {
        fprintf(stderr, "yaml_suite: cannot read %s\n", path);
        return 2;
    }
    r.data = data;
    /* the engine's default limits (docs/engine.md "Limits") */
    const ir_load_limits lim = {64, 1 << 20, 100000, 10000000};
    ir_loader_init(&r.ld, &lim);
    ir_loader_buffer(&r.ld, data, r.len);
    ir_pos_init(&r.ps);
    r.rc = IR_LOAD_ERR;

    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "yaml_suite: no Lua state\n");
        return 2;
    }
    lua_pushcfunction(L, load_all);
    lua_pushlightuserdata(L, &r);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        /* a memory error or a bad root position: not a verdict on the YAML */
        fprintf(stderr, "yaml_suite: %s: %s\n", id, lua_tostring(L, -1));
        lua_close(L);
        ir_loader_done(&r.ld);
        ir_pos_free(&r.ps);
        free(data);
        return 3;
    }

    if (r.rc == IR_LOAD_ERR && r.ld.err_offset >= 0) /* as audit.c's load_error */
        ir_offset_position(data, r.len, r.ld.err_offset, &r.ld.err_line, &r.ld.err_col);
    const char *msg = r.ld.err[0] ? r.ld.err : "(no message)";
    if (r.rc != IR_LOAD_ERR)
        printf("%s %s: %lld document%s\n", is_error ? "error-accepted" : "loaded", id, r.docs,
               r.docs == 1 ? "" : "s");
    else if (is_error && (r.ld.err_line <= 0 || !r.ld.err[0])) {
        printf("error-nopos %s: ", id);
        print_msg(msg);
    } else {
        printf("%s %s %d:%d: ", is_error ? "error-refused" : "refused", id, r.ld.err_line,
               r.ld.err_col);
        print_msg(msg);
    }

    lua_close(L);
    ir_loader_done(&r.ld);
    ir_pos_free(&r.ps);
    free(data);
    return 0;
}
