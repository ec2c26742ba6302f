/* load.h: libyaml events straight into Lua values, typed as FORMAT.md says,
 * with every mapping's and sequence's position in a posstore. */
#ifndef ISORULES_LOAD_H
#define ISORULES_LOAD_H

#include <stdio.h>
#include <yaml.h>
#include <lua.h>

#include "pos.h"

/* The value of a null list item, exported to rules as isorules.null. */
#define IR_NULL_ITEM ((void *)&ir_null_sentinel)
extern const char ir_null_sentinel;

typedef struct ir_load_limits {
    long long depth, scalar, documents, nodes; /* 0 = none */
} ir_load_limits;

typedef struct ir_loader {
    yaml_parser_t parser;
    int open;
    int ended;          /* stream end seen */
    long long docs;     /* documents read so far */
    long long nodes;    /* nodes read so far */
    ir_load_limits lim;
    ir_entry *tmp;      /* entries of the open collections */
    void *frames;       /* open collections (load.c's frame) */
    size_t capfr;
    yaml_event_t ev;    /* the event being handled, freed even after a longjmp */
    int have_ev;
    size_t ntmp, captmp;
    char err[256];
    int err_line, err_col; /* position of the error, 1-based */
    int err_line2, err_col2; /* a second position (a duplicate key's first), or 0 */
    long long err_offset;    /* an encoding error: its byte offset (err_line is 0), else -1 */
    FILE *fp;           /* ir_loader_file's input */
    long long bytes;    /* bytes read from fp so far */
    int too_big;        /* max_bytes was passed */
    long long max_bytes; /* more than this from fp is an error (limit file-size); 0 = none */
    size_t chunk;       /* read at most this much next, then twice as much each time (0 =
                           as much as libyaml asks): a caller that may only need a file's
                           first lines sets it small */
} ir_loader;

enum {
    IR_LOAD_DOC = 1,   /* a document was read (see modes) */
    IR_LOAD_END = 0,   /* no more documents */
    IR_LOAD_ERR = -1,  /* err, err_line, err_col say what and where */
    IR_LOAD_AGENCY = 2 /* IR_STOP_AT_AGENCY: a document whose first key says kind: agency */
};

enum {
    IR_BUILD = 0,          /* build the document */
    IR_SKIP = 1,           /* read past it without building */
    IR_STOP_AT_AGENCY = 2  /* build it, but stop at once on `kind: agency` first */
};

void ir_loader_init(ir_loader *ld, const ir_load_limits *lim);
/* The line and column (characters) of byte offset in data. */
void ir_offset_position(const char *data, size_t len, long long offset, int *line, int *col);
/* Input from a FILE (borrowed, kept open by the caller) or from memory
 * (borrowed until ir_loader_done). A FILE is read through a handler that
 * counts bytes: reading more than max_bytes (0 = no limit) fails with the
 * file-size limit's message at the position where the limit was passed,
 * even if the file grew after its size was checked. */
void ir_loader_file(ir_loader *ld, FILE *fp, long long max_bytes);
void ir_loader_buffer(ir_loader *ld, const char *data, size_t len);
void ir_loader_done(ir_loader *ld);

/* Reads the next document. With IR_BUILD (or IR_STOP_AT_AGENCY) and result
 * IR_LOAD_DOC, the document's value is pushed on L (nil for an empty document)
 * and *line, *col give its root's position; its collections are recorded in ps
 * under file id `file`. On IR_LOAD_ERR nothing is pushed and the loader cannot
 * go on. On IR_LOAD_AGENCY nothing is pushed and the loader cannot go on
 * either (the caller reads the file again).
 * Runs Lua API calls that may raise only on memory errors: call it in
 * protected mode. stack: +0 or +1 */
int ir_loader_next(ir_loader *ld, lua_State *L, ir_posstore *ps, uint32_t file, int mode,
                   int *line, int *col);

#endif
