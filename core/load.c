/* load.c: libyaml events into Lua values (FORMAT.md "Scalars", "Structure
 * rules of the loader") with positions in a posstore (ENGINE.md "Positions").
 *
 * One pass over the events, no recursion: each open collection is a frame on
 * a C stack. A small collection's items (a map's keys and values) wait on
 * the Lua stack and its table is made when it closes, at its exact size, so
 * no table is grown and rehashed key by key; a collection with an anchor (an
 * alias may name it before it closes) or more than DEFER_MAX items has its
 * table on the stack from then on, with a pending map key above it. Anchors
 * live in a table below the frames, so an alias is the anchored table
 * itself, never a copy. */
#include "load.h"

#include <stdlib.h>
#include <string.h>
#include <lauxlib.h>

#include "util.h"

const char ir_null_sentinel = 0;
/* Placeholder stored for a key whose value is null while its mapping is
 * open, so that a later duplicate of that key is seen; removed at the end. */
static const char null_value_mark = 0;
#define NULL_VALUE ((void *)&null_value_mark)

/* Items a collection keeps on the Lua stack before it makes its table. */
#define DEFER_MAX 64

typedef struct frame {
    int kind;          /* IR_MAP or IR_SEQ */
    long node;         /* its record in the posstore */
    size_t tmp0;       /* its first entry in ld->tmp */
    long long n;       /* items so far */
    int has_key;       /* map: a key is pushed above the table */
    int key_line, key_col;
    int has_null;      /* map: some value was null */
    int deferred;      /* no table yet: its items are on the stack from `base` */
    int base;          /* deferred: stack index of the first item */
} frame;

typedef struct build {
    ir_loader *ld;
    lua_State *L;
    ir_posstore *ps;
    uint32_t file;
    int mode;
    int anchors; /* stack index of the anchor table */
    frame *fr;   /* ld->frames */
    size_t nfr;
    int stop;    /* IR_STOP_AT_AGENCY: the document is an agency */
} build;

void ir_loader_init(ir_loader *ld, const ir_load_limits *lim)
{
    memset(ld, 0, sizeof *ld);
    ld->err_offset = -1;
    if (lim)
        ld->lim = *lim;
}

static void open_parser(ir_loader *ld)
{
    yaml_parser_initialize(&ld->parser);
    ld->open = 1;
}

/* libyaml's read handler for a FILE: 1 and *got bytes, or 0 for an error
 * (a read error, or more bytes than the file-size limit allows). */
static int read_file(void *data, unsigned char *buf, size_t size, size_t *got)
{
    ir_loader *ld = data;
    if (ld->chunk) { /* the first read small, each next one twice as large */
        if (size > ld->chunk)
            size = ld->chunk;
        if (ld->chunk < ((size_t)1 << 30))
            ld->chunk *= 2;
    }
    if (ld->max_bytes && (long long)size > ld->max_bytes - ld->bytes + 1)
        size = (size_t)(ld->max_bytes - ld->bytes + 1); /* one past the limit shows it */
    *got = fread(buf, 1, size, ld->fp);
    ld->bytes += (long long)*got;
    if (ld->max_bytes && ld->bytes > ld->max_bytes) {
        ld->too_big = 1;
        return 0;
    }
    return !ferror(ld->fp);
}

void ir_loader_file(ir_loader *ld, FILE *fp, long long max_bytes)
{
    open_parser(ld);
    ld->fp = fp;
    ld->max_bytes = max_bytes;
    /* the encoding is detected by libyaml, which is also what skips a BOM */
    yaml_parser_set_input(&ld->parser, read_file, ld);
}

void ir_loader_buffer(ir_loader *ld, const char *data, size_t len)
{
    open_parser(ld);
    yaml_parser_set_input_string(&ld->parser, (const unsigned char *)data, len);
}

void ir_loader_done(ir_loader *ld)
{
    if (ld->open)
        yaml_parser_delete(&ld->parser);
    free(ld->tmp);
    ld->tmp = NULL;
    free(ld->frames);
    ld->frames = NULL;
    ld->capfr = 0;
    if (ld->have_ev)
        yaml_event_delete(&ld->ev);
    ld->have_ev = 0;
    ld->open = 0;
}

static int fail(ir_loader *ld, const yaml_mark_t *m, const char *msg)
{
    snprintf(ld->err, sizeof ld->err, "%s", msg);
    ld->err_line = m ? (int)m->line + 1 : 0;
    ld->err_col = m ? (int)m->column + 1 : 0;
    return IR_LOAD_ERR;
}

static int parse_error(ir_loader *ld)
{
    yaml_parser_t *p = &ld->parser;
    const char *problem = p->problem ? p->problem : "YAML error";
    if (p->context)
        snprintf(ld->err, sizeof ld->err, "%s %s", p->context, problem);
    else if (p->error == YAML_MEMORY_ERROR)
        snprintf(ld->err, sizeof ld->err, "out of memory while parsing");
    else
        snprintf(ld->err, sizeof ld->err, "%s", problem);
    ld->err_line = (int)p->problem_mark.line + 1;
    ld->err_col = (int)p->problem_mark.column + 1;
    if (p->error == YAML_READER_ERROR && ld->too_big) {
        snprintf(ld->err, sizeof ld->err, "larger than %lld bytes (limit file-size)", ld->max_bytes);
        ld->err_line = ld->err_col = 0;
        ld->err_offset = ld->max_bytes;
    } else if (p->error == YAML_READER_ERROR) {
        /* the reader gives a byte offset, not a mark: the caller, who has
         * the bytes, turns it into a line and column (ir_offset_position) */
        ld->err_line = ld->err_col = 0;
        ld->err_offset = (long long)p->problem_offset;
    }
    return IR_LOAD_ERR;
}

void ir_offset_position(const char *data, size_t len, long long offset, int *line, int *col)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < len && (long long)i < offset; i++) {
        unsigned char ch = (unsigned char)data[i];
        if (ch == '\n')
            l++, c = 1;
        else if ((ch & 0xC0) != 0x80) /* columns count characters */
            c++;
    }
    *line = l;
    *col = c;
}

static int tmp_push(ir_loader *ld, const ir_entry *e)
{
    if (ld->ntmp == ld->captmp) { /* tested here: this runs for every value */
        ir_entry *t = ir_grow(ld->tmp, &ld->captmp, ld->ntmp, sizeof *t);
        if (!t)
            return -1;
        ld->tmp = t;
    }
    ld->tmp[ld->ntmp++] = *e;
    return 0;
}

static int is_tag(const yaml_char_t *tag, const char *name)
{
    return tag && strcmp((const char *)tag, name) == 0;
}

/* Pushes the typed value of a scalar; returns 0 for null (nothing pushed). */
static int push_scalar(lua_State *L, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const yaml_char_t *tag = ev->data.scalar.tag;
    int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!plain || is_tag(tag, "tag:yaml.org,2002:str") || is_tag(tag, "!")) {
        lua_pushlstring(L, s, n);
        return 1;
    }
    int64_t v;
    if (n == 0 || (n == 4 && memcmp(s, "null", 4) == 0) || (n == 1 && s[0] == '~'))
        return 0;
    if (ir_parse_int(s, n, &v))
        lua_pushinteger(L, (lua_Integer)v);
    else if (n == 4 && memcmp(s, "true", 4) == 0)
        lua_pushboolean(L, 1);
    else if (n == 5 && memcmp(s, "false", 5) == 0)
        lua_pushboolean(L, 0);
    else
        lua_pushlstring(L, s, n);
    return 1;
}

static int count_node(build *b, const yaml_mark_t *m)
{
    ir_loader *ld = b->ld;
    if (ld->lim.nodes && ++ld->nodes > ld->lim.nodes) {
        char msg[96];
        snprintf(msg, sizeof msg, "more than %lld nodes in the file (limit nodes)", ld->lim.nodes);
        return fail(ld, m, msg);
    }
    return 0;
}

static void make_table(build *b, frame *f, int exact);

/* Stores the value on top of the stack (or null when has_value is 0) into
 * the innermost frame, or keeps it as the document when there is none.
 * stack: [value] -> (frame: key/value consumed, or kept while deferred) */
static int attach(build *b, int has_value, const yaml_mark_t *m, int *done)
{
    lua_State *L = b->L;
    if (b->nfr == 0) {
        if (!has_value)
            lua_pushnil(L);
        *done = 1;
        return 0;
    }
    frame *f = &b->fr[b->nfr - 1];
    ir_entry e = {0};
    e.line = (int)m->line + 1;
    e.col = (int)m->column + 1;
    if (f->kind == IR_SEQ) {
        if (!has_value)
            lua_pushlightuserdata(L, IR_NULL_ITEM);
        ++f->n;
        if (!f->deferred)
            lua_rawseti(L, -2, f->n);
    } else {
        /* stack: tbl key value, or ... key value while deferred */
        if (!has_value) {
            lua_pushlightuserdata(L, NULL_VALUE);
            f->has_null = 1;
        }
        e.key = lua_tolstring(L, -2, &e.klen);
        e.kline = f->key_line;
        e.kcol = f->key_col;
        if (!f->deferred)
            lua_rawset(L, -3);
        f->has_key = 0;
        f->n++;
    }
    if (tmp_push(b->ld, &e) != 0)
        return fail(b->ld, m, "out of memory");
    if (f->deferred && f->n >= DEFER_MAX)
        make_table(b, f, 0); /* a large collection: the table grows from here */
    return 0;
}

/* A scalar (or a scalar alias) in key position: push it as a string key.
 * stack: tbl [value] -> tbl key */
static int take_key(build *b, int has_value, const yaml_mark_t *m)
{
    lua_State *L = b->L;
    frame *f = &b->fr[b->nfr - 1];
    if (!has_value)
        return fail(b->ld, m, "a mapping key is null");
    if (lua_type(L, -1) == LUA_TTABLE || lua_type(L, -1) == LUA_TLIGHTUSERDATA) {
        lua_pop(L, 1);
        return fail(b->ld, m, "a mapping key is not a scalar");
    }
    if (lua_type(L, -1) != LUA_TSTRING) {
        luaL_tolstring(L, -1, NULL); /* integers and booleans keep their text */
        lua_remove(L, -2);
    }
    /* a repeated key: while deferred, among the entries so far (their
     * keys are on the stack; short strings are interned, so most differ by
     * address or length), later with a lookup in the table */
    size_t klen;
    const char *k = lua_tolstring(L, -1, &klen);
    int dup = 1;
    if (!f->deferred) {
        lua_pushvalue(L, -1);
        dup = lua_rawget(L, -3) != LUA_TNIL;
        lua_pop(L, 1);
    }
    const ir_entry *first = NULL;
    for (size_t i = f->tmp0; dup && i < b->ld->ntmp && !first; i++) {
        const ir_entry *e = &b->ld->tmp[i];
        if (e->klen == klen && (e->key == k || (klen && e->key[0] == k[0] && memcmp(e->key, k, klen) == 0)))
            first = e;
    }
    if (f->deferred)
        dup = first != NULL;
    if (dup) {
        b->ld->err_line2 = first ? first->kline : 0;
        b->ld->err_col2 = first ? first->kcol : 0;
        char msg[240];
        snprintf(msg, sizeof msg, "duplicate key \"%.*s\" (first at line %d, column %d)",
                 klen > 120 ? 120 : (int)klen, k, b->ld->err_line2, b->ld->err_col2);
        lua_pop(L, 1); /* the key's text is used above, while it is on the stack */
        return fail(b->ld, m, msg);
    }
    f->has_key = 1;
    f->key_line = (int)m->line + 1;
    f->key_col = (int)m->column + 1;
    return 0;
}

/* A value (or key) has been pushed, or is null: route it. */
static int value_done(build *b, int has_value, const yaml_mark_t *m, int *done)
{
    if (b->nfr && b->fr[b->nfr - 1].kind == IR_MAP && !b->fr[b->nfr - 1].has_key)
        return take_key(b, has_value, m);
    return attach(b, has_value, m, done);
}

static void set_anchor(build *b, const yaml_char_t *anchor, int has_value)
{
    lua_State *L = b->L;
    if (!anchor)
        return;
    if (has_value)
        lua_pushvalue(L, -1);
    else
        lua_pushlightuserdata(L, NULL_VALUE);
    lua_setfield(L, b->anchors, (const char *)anchor);
}

/* Makes the table of a deferred frame from the items above f->base: at its
 * exact size when the collection is complete (exact), leaving out the keys
 * of null values, which a table cannot hold; else for a collection still
 * open, with placeholders for null values so that a later repeat of their
 * key is seen. stack: items -> table */
static void make_table(build *b, frame *f, int exact)
{
    lua_State *L = b->L;
    int n = lua_gettop(L) - f->base + 1; /* values on the stack */
    if (f->kind == IR_SEQ) {
        lua_createtable(L, n, 0);
        lua_insert(L, f->base);
        for (int i = n; i >= 1; i--)
            lua_rawseti(L, f->base, i);
    } else {
        int nrec = n / 2;
        if (exact && f->has_null)
            for (int i = f->base + 1; i <= f->base + n; i += 2)
                nrec -= lua_touserdata(L, i) == NULL_VALUE;
        lua_createtable(L, 0, nrec);
        lua_insert(L, f->base);
        for (int i = n / 2; i >= 1; i--) {
            if (exact && lua_touserdata(L, -1) == NULL_VALUE)
                lua_pop(L, 2);
            else
                lua_rawset(L, f->base);
        }
        if (exact)
            f->has_null = 0;
    }
    f->deferred = 0;
    ir_pos_set_obj(b->ps, f->node, lua_topointer(L, f->base));
}

static int open_collection(build *b, const yaml_event_t *ev, int kind)
{
    lua_State *L = b->L;
    ir_loader *ld = b->ld;
    const yaml_mark_t *m = &ev->start_mark;
    if (b->nfr && b->fr[b->nfr - 1].kind == IR_MAP && !b->fr[b->nfr - 1].has_key)
        return fail(ld, m, "a mapping key is not a scalar");
    if (ld->lim.depth && (long long)b->nfr >= ld->lim.depth) {
        char msg[96];
        snprintf(msg, sizeof msg, "nesting deeper than %lld (limit depth)", ld->lim.depth);
        return fail(ld, m, msg);
    }
    if (!lua_checkstack(L, 4))
        return fail(ld, m, "nesting too deep for the Lua stack");
    if (b->nfr == ld->capfr) {
        size_t want = ld->capfr ? ld->capfr * 2 : 16;
        frame *nf = realloc(b->fr, want * sizeof *nf);
        if (!nf)
            return fail(ld, m, "out of memory");
        b->fr = nf;
        ld->frames = nf;
        ld->capfr = want;
    }
    const yaml_char_t *anchor = kind == IR_MAP ? ev->data.mapping_start.anchor
                                               : ev->data.sequence_start.anchor;
    /* an anchored collection needs its table now, for an alias inside it;
     * deferring needs room on the stack for the items (and a key) */
    int deferred = !anchor && lua_checkstack(L, 2 * DEFER_MAX + 4);
    long idx = ir_pos_add(b->ps, NULL, kind, (int)m->line + 1, (int)m->column + 1, b->file);
    if (idx < 0)
        return fail(ld, m, "out of memory");
    frame *f = &b->fr[b->nfr++];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->node = idx;
    f->tmp0 = ld->ntmp;
    f->deferred = 1;
    f->base = lua_gettop(L) + 1;
    if (!deferred) {
        make_table(b, f, 0);
        set_anchor(b, anchor, 1);
    }
    return 0;
}

static int close_collection(build *b, const yaml_mark_t *end, int *done)
{
    lua_State *L = b->L;
    ir_loader *ld = b->ld;
    frame *f = &b->fr[b->nfr - 1];
    /* positions first: the store copies the key text, while the keys of
     * null values are still on the stack or in the table */
    size_t n = ld->ntmp - f->tmp0;
    if (ir_pos_set_entries(b->ps, f->node, n ? ld->tmp + f->tmp0 : NULL, n) != 0)
        return fail(ld, end, "out of memory");
    if (f->deferred) {
        make_table(b, f, 1);
    } else if (f->has_null) {
        for (size_t i = f->tmp0; i < ld->ntmp; i++) {
            lua_pushlstring(L, ld->tmp[i].key, ld->tmp[i].klen);
            if (lua_rawget(L, -2) == LUA_TLIGHTUSERDATA && lua_touserdata(L, -1) == NULL_VALUE) {
                lua_pop(L, 1);
                lua_pushlstring(L, ld->tmp[i].key, ld->tmp[i].klen);
                lua_pushnil(L);
                lua_rawset(L, -3);
            } else {
                lua_pop(L, 1);
            }
        }
    }
    ld->ntmp = f->tmp0;
    b->nfr--;
    const ir_node *nd = &b->ps->nodes[f->node];
    yaml_mark_t m = {0, (size_t)(nd->line - 1), (size_t)(nd->col - 1)};
    return value_done(b, 1, &m, done);
}

static int on_alias(build *b, const yaml_event_t *ev, int *done)
{
    lua_State *L = b->L;
    const yaml_mark_t *m = &ev->start_mark;
    lua_getfield(L, b->anchors, (const char *)ev->data.alias.anchor);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        char msg[200];
        snprintf(msg, sizeof msg, "unknown anchor \"%.120s\"", (const char *)ev->data.alias.anchor);
        return fail(b->ld, m, msg);
    }
    int has_value = 1;
    if (lua_touserdata(L, -1) == NULL_VALUE) {
        lua_pop(L, 1);
        has_value = 0;
    }
    return value_done(b, has_value, m, done);
}

static int on_scalar(build *b, const yaml_event_t *ev, int *done)
{
    ir_loader *ld = b->ld;
    const yaml_mark_t *m = &ev->start_mark;
    if (ld->lim.scalar && (long long)ev->data.scalar.length > ld->lim.scalar) {
        char msg[96];
        snprintf(msg, sizeof msg, "a scalar longer than %lld bytes (limit scalar)", ld->lim.scalar);
        return fail(ld, m, msg);
    }
    int has_value = push_scalar(b->L, ev);
    set_anchor(b, ev->data.scalar.anchor, has_value);
    /* IR_STOP_AT_AGENCY: the first key of the root mapping is `kind` and
     * its value `agency` (the frame holds the key "kind" with nothing yet) */
    if (b->mode == IR_STOP_AT_AGENCY && b->nfr == 1 && b->fr[0].has_key && b->fr[0].n == 0 &&
        has_value && lua_type(b->L, -1) == LUA_TSTRING) {
        size_t n, kn;
        const char *v = lua_tolstring(b->L, -1, &n);
        const char *k = lua_tolstring(b->L, -2, &kn);
        if (kn == 4 && memcmp(k, "kind", 4) == 0 && n == 6 && memcmp(v, "agency", 6) == 0) {
            b->stop = 1;
            return 0;
        }
    }
    return value_done(b, has_value, m, done);
}

/* The next event, into ld->ev (deleted by drop_event or ir_loader_done). */
static int next_event(ir_loader *ld)
{
    if (!yaml_parser_parse(&ld->parser, &ld->ev))
        return parse_error(ld);
    ld->have_ev = 1;
    return 0;
}

static void drop_event(ir_loader *ld)
{
    yaml_event_delete(&ld->ev);
    ld->have_ev = 0;
}

/* Reads past one document without building it. */
static int skip_document(ir_loader *ld)
{
    for (;;) {
        if (next_event(ld) != 0)
            return IR_LOAD_ERR;
        yaml_event_type_t t = ld->ev.type;
        drop_event(ld);
        if (t == YAML_DOCUMENT_END_EVENT)
            return IR_LOAD_DOC;
    }
}

static int build_document(build *b, int *line, int *col)
{
    ir_loader *ld = b->ld;
    lua_State *L = b->L;
    int done = 0, rc = 0;
    int base = lua_gettop(L);
    lua_newtable(L); /* anchors */
    b->anchors = lua_gettop(L);
    *line = *col = 0;
    while (!done && rc == 0 && !b->stop) {
        if (next_event(ld) != 0) {
            rc = IR_LOAD_ERR;
            break;
        }
        const yaml_event_t ev = ld->ev;
        if (b->nfr == 0 && (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_ALIAS_EVENT ||
                            ev.type == YAML_MAPPING_START_EVENT ||
                            ev.type == YAML_SEQUENCE_START_EVENT)) {
            *line = (int)ev.start_mark.line + 1;
            *col = (int)ev.start_mark.column + 1;
        }
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            rc = count_node(b, &ev.start_mark);
            if (rc == 0)
                rc = on_scalar(b, &ev, &done);
            break;
        case YAML_ALIAS_EVENT:
            rc = count_node(b, &ev.start_mark);
            if (rc == 0)
                rc = on_alias(b, &ev, &done);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = count_node(b, &ev.start_mark);
            if (rc == 0)
                rc = open_collection(b, &ev, IR_MAP);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = count_node(b, &ev.start_mark);
            if (rc == 0)
                rc = open_collection(b, &ev, IR_SEQ);
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            rc = close_collection(b, &ev.end_mark, &done);
            break;
        case YAML_DOCUMENT_END_EVENT:
            /* an empty document: no root node */
            lua_pushnil(L);
            done = 2;
            break;
        default:
            break;
        }
        drop_event(ld);
    }
    if (rc != 0 || b->stop) {
        lua_settop(L, base);
        return rc != 0 ? IR_LOAD_ERR : IR_LOAD_AGENCY;
    }
    /* the root is on top; read up to the end of the document */
    if (done == 1) {
        if (next_event(ld) != 0) {
            lua_settop(L, base);
            return IR_LOAD_ERR;
        }
        drop_event(ld); /* DOCUMENT_END */
    }
    lua_remove(L, b->anchors);
    return IR_LOAD_DOC;
}

int ir_loader_next(ir_loader *ld, lua_State *L, ir_posstore *ps, uint32_t file, int mode,
                   int *line, int *col)
{
    if (ld->ended)
        return IR_LOAD_END;
    for (;;) {
        if (next_event(ld) != 0)
            return IR_LOAD_ERR;
        yaml_event_type_t t = ld->ev.type;
        yaml_mark_t m = ld->ev.start_mark;
        drop_event(ld);
        if (t == YAML_STREAM_END_EVENT) {
            ld->ended = 1;
            return IR_LOAD_END;
        }
        if (t != YAML_DOCUMENT_START_EVENT)
            continue;
        if (ld->lim.documents && ++ld->docs > ld->lim.documents) {
            char msg[96];
            snprintf(msg, sizeof msg, "more than %lld documents in the file (limit documents)",
                     ld->lim.documents);
            return fail(ld, &m, msg);
        }
        if (mode == IR_SKIP)
            return skip_document(ld);
        build b = {0};
        b.fr = ld->frames;
        b.ld = ld;
        b.L = L;
        b.ps = ps;
        b.file = file;
        b.mode = mode;
        ld->ntmp = 0;
        return build_document(&b, line, col);
    }
}
