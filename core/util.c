/* util.c: scalar typing, dates, amounts, identifiers, edit distance (see
 * util.h; the grammars are FORMAT.md "Scalars" and RULES.md "Identifiers"). */
#include "util.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Appends one digit to a value kept negative, because the negative range of
 * int64_t is one larger and INT64_MIN must be readable. */
static int push_digit(int64_t *neg, char c)
{
    return !__builtin_mul_overflow(*neg, 10, neg) &&
           !__builtin_sub_overflow(*neg, (int64_t)(c - '0'), neg);
}

/* Turns the negative accumulator into the signed result. */
static int finish_value(int64_t neg, int negative, int64_t *out)
{
    if (!negative) {
        if (neg == INT64_MIN)
            return 0; /* 9223372036854775808 has no positive int64 */
        neg = -neg;
    }
    *out = neg;
    return 1;
}

int ir_parse_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int negative = 0;
    int64_t v = 0;

    if (n > 0 && s[0] == '-') {
        negative = 1;
        i = 1;
    }
    if (i == n)
        return 0; /* "" and "-" */
    for (; i < n; i++) {
        if (!is_digit(s[i]) || !push_digit(&v, s[i]))
            return 0;
    }
    return finish_value(v, negative, out);
}

int ir_days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Reads between min and max ASCII digits at s[*i] and stops at the first
 * non-digit, so the caller checks the separator that must follow. */
static int read_field(const char *s, size_t n, size_t *i, int min, int max, int *out)
{
    int v = 0, k = 0;

    while (*i < n && is_digit(s[*i])) {
        if (++k > max)
            return 0;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    if (k < min)
        return 0;
    *out = v;
    return 1;
}

int ir_parse_date(const char *s, size_t n, int *y, int *m, int *d)
{
    size_t i = 0;
    int yy, mm, dd;

    if (n == 10 && s[4] == '-' && s[7] == '-') {
        if (!read_field(s, n, &i, 4, 4, &yy) || i != 4)
            return 0;
        i = 5;
        if (!read_field(s, n, &i, 2, 2, &mm) || i != 7)
            return 0;
        i = 8;
        if (!read_field(s, n, &i, 2, 2, &dd) || i != 10)
            return 0;
    } else {
        if (!read_field(s, n, &i, 1, 2, &dd) || i == n || s[i] != '/')
            return 0;
        i++;
        if (!read_field(s, n, &i, 1, 2, &mm) || i == n || s[i] != '/')
            return 0;
        i++;
        if (!read_field(s, n, &i, 4, 4, &yy) || i != n)
            return 0;
    }
    if (yy < 1 || mm < 1 || mm > 12 || dd < 1 || dd > ir_days_in_month(yy, mm))
        return 0;
    *y = yy;
    *m = mm;
    *d = dd;
    return 1;
}

/* Writes the low `width` decimal digits of v; callers pass values already in
 * range, and the modulo keeps out-of-range ones from writing past out. */
static void put_digits(char *p, unsigned v, int width)
{
    for (int k = width - 1; k >= 0; k--) {
        p[k] = (char)('0' + v % 10);
        v /= 10;
    }
}

void ir_format_date(char out[11], int y, int m, int d)
{
    put_digits(out, (unsigned)y % 10000u, 4);
    out[4] = '-';
    put_digits(out + 5, (unsigned)m % 100u, 2);
    out[7] = '-';
    put_digits(out + 8, (unsigned)d % 100u, 2);
    out[10] = '\0';
}

int ir_parse_amount(const char *s, size_t n, int64_t *out)
{
    size_t i = 0, start;
    int negative = 0;
    int64_t v = 0;

    if (n > 0 && s[0] == '-') {
        negative = 1;
        i = 1;
    }
    start = i;
    while (i < n && is_digit(s[i])) {
        if (!push_digit(&v, s[i]))
            return 0;
        i++;
    }
    if (i == start)
        return 0;
    if (i < n) {
        /* Grouped form: the lead group is 1-3 digits, so "1000.000" and
         * "1.0000" are not thousands-separated numbers. */
        if (i - start > 3)
            return 0;
        while (i < n) {
            if (s[i] != '.' || n - i < 4)
                return 0;
            for (size_t k = i + 1; k < i + 4; k++) {
                if (!is_digit(s[k]) || !push_digit(&v, s[k]))
                    return 0;
            }
            i += 4;
        }
    }
    return finish_value(v, negative, out);
}

int ir_add_i64(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;

    if (__builtin_add_overflow(a, b, &r))
        return 0;
    *out = r;
    return 1;
}

int ir_mul_i64(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;

    if (__builtin_mul_overflow(a, b, &r))
        return 0;
    *out = r;
    return 1;
}

/* Decodes one well-formed sequence at s[i], returning its length and storing
 * the code point, or 0 when the bytes there are not strict UTF-8 (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t n, size_t i, int32_t *cp)
{
    unsigned c = s[i];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    int32_t v;

    if (c < 0x80) {
        *cp = (int32_t)c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = (int32_t)(c & 0x1F);
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = (int32_t)(c & 0x0F);
        if (c == 0xE0)
            lo = 0xA0; /* below is overlong */
        else if (c == 0xED)
            hi = 0x9F; /* above is a surrogate */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = (int32_t)(c & 0x07);
        if (c == 0xF0)
            lo = 0x90; /* below is overlong */
        else if (c == 0xF4)
            hi = 0x8F; /* above is past U+10FFFF */
    } else {
        return 0; /* continuation byte, C0, C1 or F5-FF */
    }
    if (n - i < len)
        return 0;
    if (s[i + 1] < lo || s[i + 1] > hi)
        return 0;
    v = (v << 6) | (int32_t)(s[i + 1] & 0x3F);
    for (size_t k = 2; k < len; k++) {
        if ((s[i + k] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (int32_t)(s[i + k] & 0x3F);
    }
    *cp = v;
    return len;
}

int ir_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    int32_t cp;

    while (i < n) {
        if (u[i] < 0x80) { /* ASCII runs dominate real input */
            i++;
            continue;
        }
        size_t len = utf8_decode(u, n, i, &cp);
        if (!len)
            return 0;
        i += len;
    }
    return 1;
}

static int is_ascii_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Unicode White_Space, plus U+FEFF, which editors leave at the start of
 * files and cells and which nobody means as part of an id. */
static int is_space_cp(int32_t c)
{
    if (c < 0x80)
        return is_ascii_space((unsigned char)c);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 ||
           c == 0xFEFF;
}

/* Length of the sequence ending at s[end - 1]; the string is known valid. */
static size_t last_seq_len(const unsigned char *s, size_t start, size_t end)
{
    size_t k = end - 1;

    while (k > start && (s[k] & 0xC0) == 0x80)
        k--;
    return end - k;
}

static char *copy_bytes(const char *s, size_t n, size_t *outlen)
{
    char *r = malloc(n + 1);

    if (!r)
        return NULL;
    if (n)
        memcpy(r, s, n);
    r[n] = '\0';
    if (outlen)
        *outlen = n;
    return r;
}

/* Rewrites U+2010-U+2014 (E2 80 90-94) and U+2212 (E2 88 92) as '-', in
 * place; every one is three bytes becoming one, so the string only shrinks. */
static size_t replace_dashes(char *s, size_t n)
{
    unsigned char *u = (unsigned char *)s;
    size_t r = 0, w = 0;

    while (r < n) {
        if (u[r] == 0xE2 && n - r >= 3 &&
            ((u[r + 1] == 0x80 && u[r + 2] >= 0x90 && u[r + 2] <= 0x94) ||
             (u[r + 1] == 0x88 && u[r + 2] == 0x92))) {
            u[w++] = '-';
            r += 3;
        } else {
            u[w++] = u[r++];
        }
    }
    u[w] = '\0';
    return w;
}

char *ir_normalize_id(const char *s, size_t n, size_t *outlen)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t start = 0, end = n, i;
    int ascii = 1;
    int32_t cp;

    if (n == 0) /* s may be NULL then, and NULL + 0 is undefined */
        return copy_bytes("", 0, outlen);
    for (i = 0; i < n; i++) {
        if (u[i] == 0)
            return NULL; /* an id cannot hold NUL, and C strings cannot carry it */
        if (u[i] >= 0x80)
            ascii = 0;
    }

    if (ascii) {
        /* Hot path: ASCII is its own NFC and holds none of the dashes. */
        while (start < end && is_ascii_space(u[start]))
            start++;
        while (end > start && is_ascii_space(u[end - 1]))
            end--;
        return copy_bytes(s + start, end - start, outlen);
    }

    if (!ir_utf8_valid(s, n))
        return NULL;
    while (start < end) {
        size_t len = utf8_decode(u, n, start, &cp);
        if (!is_space_cp(cp))
            break;
        start += len;
    }
    while (end > start) {
        size_t len = last_seq_len(u, start, end);
        utf8_decode(u, n, end - len, &cp);
        if (!is_space_cp(cp))
            break;
        end -= len;
    }
    if (start == end)
        return copy_bytes("", 0, outlen);

    /* Trim before NFC: composition never turns a non-space into a space (the
     * only canonical decompositions to spaces, U+2000 and U+2001, are spaces
     * themselves), so the ends stay trimmed. utf8proc_map reads exactly the
     * given length because UTF8PROC_NULLTERM is not set. */
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t len = utf8proc_map(u + start, (utf8proc_ssize_t)(end - start), &dst,
                                        (utf8proc_option_t)(UTF8PROC_COMPOSE | UTF8PROC_STABLE));
    if (len < 0)
        return NULL; /* dst is not allocated on error */
    size_t w = replace_dashes((char *)dst, (size_t)len);
    if (outlen)
        *outlen = w;
    return (char *)dst;
}

#define STACK_COLS 128

int ir_edit_distance(const char *a, size_t an, const char *b, size_t bn, int max)
{
    if (max < 0)
        return max + 1; /* every distance is greater than a negative max */

    /* The common prefix and suffix never change the distance and are the
     * bulk of near-miss pairs, so they are cut before the table is built. */
    while (an > 0 && bn > 0 && a[0] == b[0]) {
        a++;
        b++;
        an--;
        bn--;
    }
    while (an > 0 && bn > 0 && a[an - 1] == b[bn - 1]) {
        an--;
        bn--;
    }
    if (an < bn) { /* rows over the longer string, so columns are few */
        const char *t = a;
        a = b;
        b = t;
        size_t tn = an;
        an = bn;
        bn = tn;
    }
    /* The distance is at least an - bn and at most an. */
    if (an - bn > (size_t)max)
        return max == INT_MAX ? INT_MAX : max + 1;
    if (bn == 0)
        return (int)an;

    /* Cells are capped at k + 1: min and +1 commute with the cap, so capped
     * cells stay exact up to k, and a cell off the diagonal by more than k is
     * at least k + 1, which lets each row work only on the band |i - j| <= k
     * (Ukkonen), O(k * an) time instead of O(an * bn). */
    size_t k = (size_t)max < an ? (size_t)max : an;
    size_t cap = k + 1;
    size_t stackbuf[2 * (STACK_COLS + 1)];
    size_t *buf = stackbuf;

    if (bn > STACK_COLS) {
        if (bn >= SIZE_MAX / (2 * sizeof *buf) - 1)
            return max == INT_MAX ? INT_MAX : max + 1;
        buf = malloc(2 * (bn + 1) * sizeof *buf);
        if (!buf) /* no way to report it; "too far" is the safe answer */
            return max == INT_MAX ? INT_MAX : max + 1;
    }
    size_t *prev = buf, *cur = buf + bn + 1;
    size_t result;

    for (size_t j = 0; j <= bn; j++)
        prev[j] = j < cap ? j : cap;
    for (size_t i = 1; i <= an; i++) {
        size_t lo = i > k ? i - k : 1;
        size_t hi = i + k < bn ? i + k : bn;
        size_t rowmin;

        cur[0] = i < cap ? i : cap;
        if (lo > 1)
            cur[lo - 1] = cap; /* left neighbour just outside the band */
        rowmin = lo == 1 ? cur[0] : cap;
        for (size_t j = lo; j <= hi; j++) {
            size_t v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            if (v > cap)
                v = cap;
            cur[j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        /* The next row's band reaches one column further right; what this
         * array holds there is from an older row and must read as capped. */
        if (hi < bn)
            cur[hi + 1] = cap;
        if (rowmin >= cap) { /* cells never decrease along a path */
            result = cap;
            goto done;
        }
        size_t *t = prev;
        prev = cur;
        cur = t;
    }
    result = prev[bn];
done:
    if (buf != stackbuf)
        free(buf);
    if (result > (size_t)max)
        return max == INT_MAX ? INT_MAX : max + 1;
    return (int)result;
}

void *ir_grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t want = *cap ? *cap * 2 : 16;
    if (want > SIZE_MAX / size)
        return NULL;
    void *nv = realloc(v, want * size);
    if (nv)
        *cap = want;
    return nv;
}

/* ---- arena ---- */

char *ir_arena_copy(ir_arena *a, const void *p, size_t n)
{
    ir_arena_block *b = a->cur;
    while (b && b->cap - b->used < n)
        b = b->next; /* blocks after cur are empty (after a clear) or too small */
    if (!b) {
        size_t cap = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        if (a->cur) { /* insert after cur, so that blocks before it stay full */
            b->next = a->cur->next;
            a->cur->next = b;
        } else {
            b->next = a->blocks;
            a->blocks = b;
        }
    }
    a->cur = b;
    char *q = b->data + b->used;
    if (n && p)
        memcpy(q, p, n);
    b->used += n;
    return q;
}

char *ir_arena_str(ir_arena *a, const char *s, size_t n)
{
    char *q = ir_arena_copy(a, NULL, n + 1);
    if (q) {
        if (n)
            memcpy(q, s, n);
        q[n] = 0;
    }
    return q;
}

void ir_arena_clear(ir_arena *a)
{
    for (ir_arena_block *b = a->blocks; b; b = b->next)
        b->used = 0;
    a->cur = a->blocks;
}

void ir_arena_free(ir_arena *a)
{
    for (ir_arena_block *b = a->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->blocks = a->cur = NULL;
}
