/* pos.c: the position store (see pos.h). */
#include "pos.h"

#include <stdlib.h>
#include <string.h>

void ir_pos_init(ir_posstore *ps) { memset(ps, 0, sizeof *ps); }

void ir_pos_free(ir_posstore *ps)
{
    ir_arena_free(&ps->keys);
    free(ps->nodes);
    free(ps->ents);
    free(ps->slots);
    memset(ps, 0, sizeof *ps);
}

void ir_pos_clear(ir_posstore *ps)
{
    ps->n = 0;
    ps->ne = 0;
    ir_arena_clear(&ps->keys);
    if (ps->slots)
        memset(ps->slots, 0, ps->nslots * sizeof *ps->slots);
}

static size_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static void slot_insert(ir_posstore *ps, const void *obj, uint32_t idx1)
{
    if (!obj)
        return; /* a table not made yet, or forgotten: found by nothing */
    size_t mask = ps->nslots - 1, i = hash_ptr(obj) & mask;
    while (ps->slots[i]) {
        if (ps->nodes[ps->slots[i] - 1].obj == obj)
            break; /* a newer record replaces an older one for the same address */
        i = (i + 1) & mask;
    }
    ps->slots[i] = idx1;
}

static int grow_slots(ir_posstore *ps)
{
    size_t want = ps->nslots ? ps->nslots * 2 : 256;
    uint32_t *s = calloc(want, sizeof *s);
    if (!s)
        return -1;
    free(ps->slots);
    ps->slots = s;
    ps->nslots = want;
    for (size_t i = 0; i < ps->n; i++)
        slot_insert(ps, ps->nodes[i].obj, (uint32_t)(i + 1));
    return 0;
}

long ir_pos_add(ir_posstore *ps, const void *obj, int kind, int line, int col, uint32_t file)
{
    if (ps->n == ps->cap) { /* tested here: this runs for every collection */
        ir_node *nn = ir_grow(ps->nodes, &ps->cap, ps->n, sizeof *nn);
        if (!nn)
            return -1;
        ps->nodes = nn;
    }
    /* keep the load factor under one half */
    if ((ps->n + 1) * 2 > ps->nslots && grow_slots(ps) != 0)
        return -1;
    ir_node *nd = &ps->nodes[ps->n];
    nd->obj = obj;
    nd->line = line;
    nd->col = col;
    nd->file = file;
    nd->first = (uint32_t)ps->ne;
    nd->count = 0;
    nd->kind = (uint8_t)kind;
    nd->seen = 0;
    nd->agency = 0;
    slot_insert(ps, obj, (uint32_t)(ps->n + 1));
    return (long)ps->n++;
}

void ir_pos_set_obj(ir_posstore *ps, long idx, const void *obj)
{
    ps->nodes[idx].obj = obj;
    slot_insert(ps, obj, (uint32_t)(idx + 1));
}

int ir_pos_set_entries(ir_posstore *ps, long idx, const ir_entry *ents, size_t n)
{
    if (ps->ne + n > ps->cape) {
        size_t want = ps->cape ? ps->cape : 1024;
        while (want < ps->ne + n)
            want *= 2;
        ir_entry *ne = realloc(ps->ents, want * sizeof *ne);
        if (!ne)
            return -1;
        ps->ents = ne;
        ps->cape = want;
    }
    for (size_t i = 0; i < n; i++) {
        ir_entry *en = &ps->ents[ps->ne + i];
        *en = ents[i];
        if (en->key && !(en->key = ir_arena_copy(&ps->keys, en->key, en->klen)))
            return -1;
    }
    ps->nodes[idx].first = (uint32_t)ps->ne;
    ps->nodes[idx].count = (uint32_t)n;
    ps->ne += n;
    return 0;
}

ir_node *ir_pos_find(const ir_posstore *ps, const void *obj)
{
    if (!ps->nslots || !obj)
        return NULL;
    size_t mask = ps->nslots - 1, i = hash_ptr(obj) & mask;
    while (ps->slots[i]) {
        ir_node *nd = &ps->nodes[ps->slots[i] - 1];
        if (nd->obj == obj)
            return nd;
        i = (i + 1) & mask;
    }
    return NULL;
}

const ir_entry *ir_pos_entry_key(const ir_posstore *ps, const ir_node *nd, const char *key, size_t klen)
{
    if (nd->kind != IR_MAP)
        return NULL;
    const ir_entry *e = ps->ents + nd->first;
    for (uint32_t i = 0; i < nd->count; i++)
        if (e[i].klen == klen && (e[i].key == key || memcmp(e[i].key, key, klen) == 0))
            return &e[i];
    return NULL;
}

const ir_entry *ir_pos_entry_index(const ir_posstore *ps, const ir_node *nd, long long index)
{
    if (nd->kind != IR_SEQ || index < 1 || (unsigned long long)index > nd->count)
        return NULL;
    return ps->ents + nd->first + (index - 1);
}

void ir_pos_truncate(ir_posstore *ps, size_t n)
{
    if (n >= ps->n)
        return;
    ps->n = n;
    ps->ne = n ? ps->nodes[n - 1].first + ps->nodes[n - 1].count : 0;
    for (size_t i = 0; i < n; i++) /* entries are appended when a collection closes */
        if (ps->nodes[i].first + ps->nodes[i].count > ps->ne)
            ps->ne = ps->nodes[i].first + ps->nodes[i].count;
    memset(ps->slots, 0, ps->nslots * sizeof *ps->slots);
    for (size_t i = 0; i < n; i++)
        slot_insert(ps, ps->nodes[i].obj, (uint32_t)(i + 1));
}
