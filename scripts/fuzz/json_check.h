/* json_check.h: a small JSON checker for the fuzz harnesses (RFC 8259
 * syntax, valid UTF-8): json_ok(buf, len). Static functions, included by
 * the harnesses that check the reports they make. */
#ifndef ISORULES_FUZZ_JSON_CHECK_H
#define ISORULES_FUZZ_JSON_CHECK_H

#include <stddef.h>

typedef struct jp {
    const unsigned char *p, *end;
    int depth;
} jp;

static void ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

/* One UTF-8 character at j->p (not ASCII); 0 when invalid. */
static int utf8_char(jp *j)
{
    const unsigned char *p = j->p;
    size_t left = (size_t)(j->end - p);
    unsigned c = p[0];
    int n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (!n || left < (size_t)n)
        return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (c == 0xE0 && p[1] < 0xA0)
        return 0; /* overlong */
    if (c == 0xED && p[1] >= 0xA0)
        return 0; /* surrogate */
    if (c == 0xF0 && p[1] < 0x90)
        return 0; /* overlong */
    if (c == 0xF4 && p[1] >= 0x90)
        return 0; /* past U+10FFFF */
    j->p += n;
    return 1;
}

static int j_string(jp *j)
{
    if (j->p >= j->end || *j->p != '"')
        return 0;
    j->p++;
    while (j->p < j->end) {
        unsigned c = *j->p;
        if (c == '"') {
            j->p++;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end)
                return 0;
            c = *j->p++;
            if (c == 'u') {
                for (int i = 0; i < 4; i++, j->p++)
                    if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
                        return 0;
            } else if (!strchr("\"\\/bfnrt", (int)c) || !c) {
                return 0;
            }
        } else if (c < 0x80) {
            j->p++;
        } else if (!utf8_char(j)) {
            return 0;
        }
    }
    return 0;
}

static int j_value(jp *j);

static int j_number(jp *j)
{
    const unsigned char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return 0;
    if (*j->p == '0')
        j->p++;
    else
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return 0;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return 0;
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    return j->p > s;
}

static int j_word(jp *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return 0;
    j->p += n;
    return 1;
}

static int j_value(jp *j)
{
    ws(j);
    if (j->p >= j->end || ++j->depth > 100)
        return 0;
    int ok;
    switch (*j->p) {
    case '{':
    case '[': {
        char close = *j->p == '{' ? '}' : ']';
        j->p++;
        ws(j);
        ok = 1;
        if (j->p < j->end && *j->p == close) {
            j->p++;
            break;
        }
        for (;;) {
            if (close == '}') { /* a member: "key": value */
                ws(j);
                if (!j_string(j))
                    return 0;
                ws(j);
                if (j->p >= j->end || *j->p++ != ':')
                    return 0;
            }
            if (!j_value(j))
                return 0;
            ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (j->p < j->end && *j->p == close) {
                j->p++;
                break;
            }
            return 0;
        }
        break;
    }
    case '"':
        ok = j_string(j);
        break;
    case 't':
        ok = j_word(j, "true");
        break;
    case 'f':
        ok = j_word(j, "false");
        break;
    case 'n':
        ok = j_word(j, "null");
        break;
    default:
        ok = j_number(j);
        break;
    }
    j->depth--;
    return ok;
}

static int json_ok(const char *buf, size_t len)
{
    jp j = {(const unsigned char *)buf, (const unsigned char *)buf + len, 0};
    if (!j_value(&j))
        return 0;
    ws(&j);
    return j.p == j.end;
}

#endif
