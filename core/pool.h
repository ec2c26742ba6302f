/* pool.h: the allocator behind a Lua state's small blocks.
 *
 * Loading an agency makes hundreds of thousands of small blocks (strings,
 * tables, their parts) and freeing it returns them all; glibc's malloc spends
 * more on that than the table building itself. A pool hands out blocks of
 * 16-byte size classes up to IR_POOL_MAX from slabs, and keeps freed blocks
 * on one list per class for the next agency. Lua tells the allocator the
 * size of every block it frees or resizes, so blocks carry no header.
 * Larger blocks go to malloc. Slabs go back to the system when the pool is
 * freed: the pool holds the peak of small blocks, which streaming keeps to
 * one agency (and the registers).
 *
 * One pool per lua_State, used by one thread at a time. */
#ifndef ISORULES_POOL_H
#define ISORULES_POOL_H

#include <stddef.h>

#define IR_POOL_MAX 256
#define IR_POOL_CLASSES (IR_POOL_MAX / 16)

typedef struct ir_pool {
    void *free[IR_POOL_CLASSES]; /* class c holds blocks of 16 * (c + 1) bytes */
    struct ir_slab *slabs;       /* every slab, newest first */
    char *bump, *end;            /* what is left of the newest slab */
    size_t slab_bytes;           /* what the slabs take from the system */
} ir_pool;

void ir_pool_init(ir_pool *p);
/* Returns every slab to the system; blocks of malloc are the caller's (Lua
 * frees them all before lua_close returns). */
void ir_pool_free(ir_pool *p);
/* lua_Alloc's contract: ptr NULL allocates nsize bytes; nsize 0 frees ptr
 * (osize bytes) and returns NULL; otherwise resizes ptr from osize bytes
 * (osize must be the size it was allocated with). NULL when out of memory,
 * leaving ptr as it was. */
void *ir_pool_realloc(ir_pool *p, void *ptr, size_t osize, size_t nsize);
/* The bytes ir_pool_realloc(p, ptr, osize, nsize) would take from the
 * system for a small block: 0 when its class has a free block, the slab has
 * room, or the block keeps its class; a slab's size otherwise. */
size_t ir_pool_growth(const ir_pool *p, size_t osize, size_t nsize);

#endif
