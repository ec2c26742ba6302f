/* pos.h: source positions kept on the C side (ENGINE.md "Positions").
 *
 * A store holds one record per mapping and sequence, found by the table's
 * address (lua_topointer), and for each record the positions of its values
 * (and keys), in source order. Scalars have no identity in Lua, so a scalar's
 * position is that of the entry holding it: position(table, key). */
#ifndef ISORULES_POS_H
#define ISORULES_POS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum { IR_MAP = 1, IR_SEQ = 2 };

typedef struct ir_entry {
    const char *key; /* map: key text (a copy in the store's arena); seq: NULL */
    size_t klen;
    int kline, kcol; /* key position (maps) */
    int line, col;   /* value position */
} ir_entry;

typedef struct ir_node {
    const void *obj; /* lua_topointer() of the table */
    int line, col;
    uint32_t file;   /* index into the engine's file names */
    uint32_t first, count; /* entries */
    uint8_t kind;    /* IR_MAP or IR_SEQ */
    uint8_t seen;    /* scratch flag for walkers (the model stage) */
    uint32_t agency; /* kept nodes: 1 + the agency's index entry; else 0 */
} ir_node;

typedef struct ir_posstore {
    /* key text is copied here, so an entry's key stays valid however the
     * Lua string it came from lives */
    ir_arena keys;
    ir_node *nodes;
    size_t n, cap;
    ir_entry *ents;
    size_t ne, cape;
    uint32_t *slots; /* open addressing: node index + 1, 0 = empty */
    size_t nslots;   /* power of two */
} ir_posstore;

void ir_pos_init(ir_posstore *ps);
void ir_pos_free(ir_posstore *ps);
/* Forgets every record, keeping the memory for reuse. */
void ir_pos_clear(ir_posstore *ps);
/* Forgets the records from index n on (and their entries), as if they had
 * never been added. Rebuilds the hash: for rare paths only. */
void ir_pos_truncate(ir_posstore *ps, size_t n);
/* Adds a record for obj (replacing any earlier one); returns its index, or
 * -1 when out of memory. */
long ir_pos_add(ir_posstore *ps, const void *obj, int kind, int line, int col, uint32_t file);
/* Sets the table of record idx, added with obj NULL before its table
 * existed (a record with obj NULL is found by nothing). */
void ir_pos_set_obj(ir_posstore *ps, long idx, const void *obj);
/* Appends n entries for record idx, copying their key text into the store;
 * returns 0, or -1 when out of memory. */
int ir_pos_set_entries(ir_posstore *ps, long idx, const ir_entry *ents, size_t n);
/* The record of obj, or NULL. */
ir_node *ir_pos_find(const ir_posstore *ps, const void *obj);
/* The entry of node for a map key, or for a 1-based sequence index. */
const ir_entry *ir_pos_entry_key(const ir_posstore *ps, const ir_node *nd, const char *key, size_t klen);
const ir_entry *ir_pos_entry_index(const ir_posstore *ps, const ir_node *nd, long long index);

#endif
