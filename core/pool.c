/* pool.c: size classes over slabs for Lua's small blocks (see pool.h). */
#include "pool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer a block on a free list is poisoned, so that a use
 * after free inside the pool is found as it would be with malloc; only the
 * list's link is unpoisoned while the pool reads it. */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define SLAB_BYTES ((size_t)64 * 1024)

struct ir_slab {
    struct ir_slab *next;
    /* the blocks follow, aligned as malloc aligns */
    max_align_t data[];
};

void ir_pool_init(ir_pool *p) { memset(p, 0, sizeof *p); }

void ir_pool_free(ir_pool *p)
{
    for (struct ir_slab *s = p->slabs, *next; s; s = next) {
        next = s->next;
        UNPOISON(s, SLAB_BYTES);
        free(s);
    }
    memset(p, 0, sizeof *p);
}

/* The class of a small size (1 .. IR_POOL_MAX bytes), and its block size. */
static size_t class_of(size_t n) { return (n - 1) >> 4; }
static size_t class_bytes(size_t c) { return (c + 1) << 4; }

static void *take(ir_pool *p, size_t n)
{
    size_t c = class_of(n), bytes = class_bytes(c);
    void *b = p->free[c];
    if (b) {
        UNPOISON(b, sizeof(void *));
        memcpy(&p->free[c], b, sizeof(void *)); /* the next block of the list */
        POISON(b, bytes);
        UNPOISON(b, n); /* the rest of the class stays out of bounds */
        return b;
    }
    if ((size_t)(p->end - p->bump) < bytes) {
        /* what is left of this slab (under IR_POOL_MAX bytes) is not used */
        struct ir_slab *s = malloc(SLAB_BYTES);
        if (!s)
            return NULL;
        s->next = p->slabs;
        p->slabs = s;
        p->slab_bytes += SLAB_BYTES;
        p->bump = (char *)s->data;
        p->end = (char *)s + SLAB_BYTES;
        POISON(p->bump, (size_t)(p->end - p->bump));
    }
    b = p->bump;
    p->bump += bytes;
    UNPOISON(b, n);
    return b;
}

static void give(ir_pool *p, void *b, size_t n)
{
    size_t c = class_of(n);
    UNPOISON(b, sizeof(void *));
    memcpy(b, &p->free[c], sizeof(void *));
    p->free[c] = b;
    POISON(b, class_bytes(c));
}

size_t ir_pool_growth(const ir_pool *p, size_t osize, size_t nsize)
{
    if (nsize == 0 || nsize > IR_POOL_MAX)
        return 0;
    size_t c = class_of(nsize);
    if ((osize > 0 && osize <= IR_POOL_MAX && class_of(osize) == c) || p->free[c] ||
        (size_t)(p->end - p->bump) >= class_bytes(c))
        return 0;
    return SLAB_BYTES;
}

void *ir_pool_realloc(ir_pool *p, void *ptr, size_t osize, size_t nsize)
{
    if (!ptr)
        osize = 0;
    int small_old = osize > 0 && osize <= IR_POOL_MAX, small_new = nsize > 0 && nsize <= IR_POOL_MAX;
    if (nsize == 0) {
        if (small_old)
            give(p, ptr, osize);
        else
            free(ptr);
        return NULL;
    }
    if (!ptr)
        return small_new ? take(p, nsize) : malloc(nsize);
    if (small_old && small_new && class_of(osize) == class_of(nsize)) {
        POISON(ptr, class_bytes(class_of(nsize)));
        UNPOISON(ptr, nsize);
        return ptr;
    }
    if (!small_old && !small_new)
        return realloc(ptr, nsize);
    void *q = small_new ? take(p, nsize) : malloc(nsize);
    if (!q)
        return NULL;
    memcpy(q, ptr, osize < nsize ? osize : nsize);
    if (small_old)
        give(p, ptr, osize);
    else
        free(ptr);
    return q;
}
