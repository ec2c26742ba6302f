/* util.h: small pure helpers shared by the stages: scalar typing, dates,
 * amounts, identifier normalisation, edit distance, growable buffers.
 * Nothing here touches Lua or libyaml; every function is reentrant. */
#ifndef ISORULES_UTIL_H
#define ISORULES_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A plain YAML scalar that is a decimal integer: an optional '-', then one or
 * more ASCII digits (leading zeros allowed), fitting in int64_t. Returns 1 and
 * stores the value, or 0 (not an integer, or out of range). */
int ir_parse_int(const char *s, size_t n, int64_t *out);

/* A date in ISO form, exactly YYYY-MM-DD, or Vietnamese D/M/YYYY (day and
 * month one or two digits, year four), ASCII digits only, a real calendar day
 * (Gregorian, years 0001-9999). Returns 1 and stores y, m, d; else 0. */
int ir_parse_date(const char *s, size_t n, int *y, int *m, int *d);

/* Writes "YYYY-MM-DD" and a NUL into out (11 bytes). */
void ir_format_date(char out[11], int y, int m, int d);

/* Days in month m of year y (Gregorian leap years). */
int ir_days_in_month(int y, int m);

/* An amount: -?[0-9]+ or -?[0-9]{1,3}(\.[0-9]{3})+ within int64_t. Returns 1
 * and stores the value, or 0. */
int ir_parse_amount(const char *s, size_t n, int64_t *out);

/* Checked int64 arithmetic: return 1 and store the result, or 0 on overflow. */
int ir_add_i64(int64_t a, int64_t b, int64_t *out);
int ir_mul_i64(int64_t a, int64_t b, int64_t *out);

/* Normalises an identifier (RULES.md "Identifiers"): surrounding white space
 * (ASCII and Unicode) removed, Unicode NFC, the dashes U+2010 U+2011 U+2012
 * U+2013 U+2014 U+2212 replaced by '-'. Returns a malloc'd NUL-terminated
 * string the caller frees with free(), its length in *outlen; NULL when the
 * input is not valid UTF-8 or on allocation failure. */
char *ir_normalize_id(const char *s, size_t n, size_t *outlen);

/* Levenshtein distance between a and b (bytes), or max + 1 when it is
 * greater than max (computation stops early). */
int ir_edit_distance(const char *a, size_t an, const char *b, size_t bn, int max);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates). */
int ir_utf8_valid(const char *s, size_t n);

/* Room for one more element in a growable array: v itself while n < *cap,
 * else v reallocated to twice the capacity (16 elements at first) with
 * *cap updated; NULL when out of memory, v untouched. The caller stores the
 * result back: `T *nv = ir_grow(v, &cap, n, sizeof *nv); if (!nv) ...`. */
void *ir_grow(void *v, size_t *cap, size_t n, size_t size);

/* An arena: bytes copied into 64 KiB blocks that never move, for text that
 * must outlive where it came from (position keys, kept values, the agency
 * index). Cleared, it keeps its blocks for reuse; freed, it returns them. */
typedef struct ir_arena_block {
    struct ir_arena_block *next;
    size_t used, cap;
    char data[];
} ir_arena_block;

typedef struct ir_arena {
    ir_arena_block *blocks, *cur; /* all blocks; the one being filled */
} ir_arena;

/* A copy of p[0..n) (p may be NULL for n bytes left to fill), not aligned;
 * NULL when out of memory. */
char *ir_arena_copy(ir_arena *a, const void *p, size_t n);
/* A NUL-terminated copy of s[0..n), or NULL when out of memory. */
char *ir_arena_str(ir_arena *a, const char *s, size_t n);
void ir_arena_clear(ir_arena *a);
void ir_arena_free(ir_arena *a);

#endif
