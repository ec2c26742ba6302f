/* test_util.c: unit tests for core/util.c (cmocka). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Helpers take NUL-terminated literals; the length is passed explicitly so
 * that the functions are seen to honour n rather than the terminator. */

static int parse_int(const char *s, int64_t *v) { return ir_parse_int(s, strlen(s), v); }

static int parse_amount(const char *s, int64_t *v) { return ir_parse_amount(s, strlen(s), v); }

static int parse_date(const char *s, int *y, int *m, int *d)
{
    return ir_parse_date(s, strlen(s), y, m, d);
}

static void assert_int_parses(const char *s, int64_t want)
{
    int64_t v = 12345;
    assert_int_equal(parse_int(s, &v), 1);
    assert_true(v == want);
}

static void assert_amount_parses(const char *s, int64_t want)
{
    int64_t v = 12345;
    assert_int_equal(parse_amount(s, &v), 1);
    assert_true(v == want);
}

static void assert_date_parses(const char *s, int y, int m, int d)
{
    int yy = -1, mm = -1, dd = -1;
    assert_int_equal(parse_date(s, &yy, &mm, &dd), 1);
    assert_int_equal(yy, y);
    assert_int_equal(mm, m);
    assert_int_equal(dd, d);
}

static void assert_date_rejected(const char *s)
{
    int y, m, d;
    assert_int_equal(parse_date(s, &y, &m, &d), 0);
}

/* Normalises s and compares the result and its reported length. */
static void assert_norm(const char *s, size_t n, const char *want)
{
    size_t len = (size_t)-1;
    char *r = ir_normalize_id(s, n, &len);
    assert_non_null(r);
    assert_string_equal(r, want);
    assert_int_equal(len, strlen(want));
    assert_int_equal(r[len], '\0');
    free(r);
}

static void assert_norm_str(const char *s, const char *want) { assert_norm(s, strlen(s), want); }

static void assert_norm_null(const char *s, size_t n)
{
    size_t len = 77;
    char *r = ir_normalize_id(s, n, &len);
    assert_null(r);
    free(r);
}

static int ed(const char *a, const char *b, int max)
{
    return ir_edit_distance(a, strlen(a), b, strlen(b), max);
}

/* Plain full-table Levenshtein, the reference for the banded, capped one. */
static int ref_distance(const char *a, size_t an, const char *b, size_t bn)
{
    int *prev = malloc((bn + 1) * sizeof *prev), *cur = malloc((bn + 1) * sizeof *cur);
    assert_non_null(prev);
    assert_non_null(cur);
    for (size_t j = 0; j <= bn; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= an; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= bn; j++) {
            int v = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            cur[j] = v;
        }
        int *t = prev;
        prev = cur;
        cur = t;
    }
    int r = prev[bn];
    free(prev);
    free(cur);
    return r;
}

/* ---- ir_parse_int ---- */

static void test_util_int_valid(void **state)
{
    (void)state;
    assert_int_parses("0", 0);
    assert_int_parses("42", 42);
    assert_int_parses("-7", -7);
    assert_int_parses("09", 9);
    assert_int_parses("000", 0);
    assert_int_parses("-0", 0);
    assert_int_parses("-007", -7);
}

static void test_util_int_limits(void **state)
{
    (void)state;
    assert_int_parses("9223372036854775807", INT64_MAX);
    assert_int_parses("-9223372036854775808", INT64_MIN);
    assert_int_parses("00009223372036854775807", INT64_MAX);
    assert_int_parses("-9223372036854775807", -INT64_MAX);

    int64_t v;
    assert_int_equal(parse_int("9223372036854775808", &v), 0);
    assert_int_equal(parse_int("-9223372036854775809", &v), 0);
    assert_int_equal(parse_int("18446744073709551616", &v), 0);
    assert_int_equal(parse_int("99999999999999999999", &v), 0);
}

static void test_util_int_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {"+5", "", "-", "1e3", "1.0", " 1", "1 ", "--1", "1-",
                                "0x10", "abc", "1_000", "1,000", "- 1", "\xd9\xa1"};
    int64_t v;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(parse_int(bad[i], &v), 0);
}

static void test_util_int_length(void **state)
{
    (void)state;
    int64_t v = 0;
    /* Only n bytes count: the digits after them are not read. */
    assert_int_equal(ir_parse_int("1234", 2, &v), 1);
    assert_true(v == 12);
    /* An embedded NUL is a non-digit, not an end. */
    assert_int_equal(ir_parse_int("12\0003", 4, &v), 0);
    assert_int_equal(ir_parse_int(NULL, 0, &v), 0);
}

/* ---- dates ---- */

static void test_util_days_in_month(void **state)
{
    (void)state;
    static const int common[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m = 1; m <= 12; m++) {
        assert_int_equal(ir_days_in_month(2021, m), common[m - 1]);
        assert_int_equal(ir_days_in_month(2024, m), m == 2 ? 29 : common[m - 1]);
    }
    assert_int_equal(ir_days_in_month(2000, 2), 29);
    assert_int_equal(ir_days_in_month(1900, 2), 28);
    assert_int_equal(ir_days_in_month(2100, 2), 28);
    assert_int_equal(ir_days_in_month(2400, 2), 29);
    assert_int_equal(ir_days_in_month(4, 2), 29);
    assert_int_equal(ir_days_in_month(1, 2), 28);
    assert_int_equal(ir_days_in_month(2021, 0), 0);
    assert_int_equal(ir_days_in_month(2021, 13), 0);
}

static void test_util_date_iso(void **state)
{
    (void)state;
    assert_date_parses("2021-03-04", 2021, 3, 4);
    assert_date_parses("0001-01-01", 1, 1, 1);
    assert_date_parses("9999-12-31", 9999, 12, 31);
    assert_date_parses("2000-02-29", 2000, 2, 29);
    assert_date_parses("2024-02-29", 2024, 2, 29);
    assert_date_parses("2021-12-31", 2021, 12, 31);
    assert_date_parses("2021-04-30", 2021, 4, 30);
}

static void test_util_date_vn(void **state)
{
    (void)state;
    assert_date_parses("4/3/2021", 2021, 3, 4);
    assert_date_parses("04/03/2021", 2021, 3, 4);
    assert_date_parses("4/03/2021", 2021, 3, 4);
    assert_date_parses("04/3/2021", 2021, 3, 4);
    assert_date_parses("29/2/2024", 2024, 2, 29);
    assert_date_parses("29/02/2000", 2000, 2, 29);
    assert_date_parses("31/12/9999", 9999, 12, 31);
    assert_date_parses("1/1/0001", 1, 1, 1);
    assert_date_parses("31/1/2021", 2021, 1, 31);
}

static void test_util_date_impossible(void **state)
{
    (void)state;
    assert_date_rejected("2021-02-30");
    assert_date_rejected("2021-02-29");
    assert_date_rejected("1900-02-29");
    assert_date_rejected("2100-02-29");
    assert_date_rejected("2021-13-01");
    assert_date_rejected("2021-00-10");
    assert_date_rejected("2021-01-00");
    assert_date_rejected("2021-04-31");
    assert_date_rejected("2021-01-32");
    assert_date_rejected("0000-01-01");
    assert_date_rejected("29/2/2021");
    assert_date_rejected("29/2/1900");
    assert_date_rejected("31/4/2021");
    assert_date_rejected("0/3/2021");
    assert_date_rejected("4/0/2021");
    assert_date_rejected("4/13/2021");
    assert_date_rejected("32/1/2021");
    assert_date_rejected("1/1/0000");
}

static void test_util_date_malformed(void **state)
{
    (void)state;
    static const char *bad[] = {
        "", "2021", "2021-3-4", "2021-03-4", "21-03-04", "02021-03-04", "2021-03-041",
        "2021-003-04", "2021/03/04", "2021-03/04", "4-3-2021", "4/3/21", "4/3/02021",
        "004/03/2021", "4/003/2021", "4//2021", "/3/2021", "4/3/", "4/3", "43/2021",
        " 2021-03-04", "2021-03-04 ", " 4/3/2021", "4/3/2021 ", "2021-03-04\n",
        "+4/3/2021", "-4/3/2021", "2021-03-0a", "a/3/2021", "2021-03--4",
        /* non-ASCII digits: Arabic-Indic, fullwidth */
        "\xd9\xa2\xd9\xa0\xd9\xa2\xd9\xa1-03-04",
        "4/3/\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x91",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_date_rejected(bad[i]);
}

static void test_util_date_length(void **state)
{
    (void)state;
    int y = 0, m = 0, d = 0;
    assert_int_equal(ir_parse_date("2021-03-045", 10, &y, &m, &d), 1);
    assert_int_equal(d, 4);
    assert_int_equal(ir_parse_date("4/3/20210", 8, &y, &m, &d), 1);
    assert_int_equal(y, 2021);
    assert_int_equal(ir_parse_date("2021-03-04", 9, &y, &m, &d), 0);
    assert_int_equal(ir_parse_date("4/3/2021", 7, &y, &m, &d), 0);
    assert_int_equal(ir_parse_date("2021-03\0004", 10, &y, &m, &d), 0);
    assert_int_equal(ir_parse_date(NULL, 0, &y, &m, &d), 0);
}

static void test_util_format_date(void **state)
{
    (void)state;
    char out[12];
    memset(out, 'x', sizeof out);
    ir_format_date(out, 2021, 3, 4);
    assert_string_equal(out, "2021-03-04");
    assert_int_equal(out[11], 'x');
    ir_format_date(out, 1, 1, 1);
    assert_string_equal(out, "0001-01-01");
    ir_format_date(out, 9999, 12, 31);
    assert_string_equal(out, "9999-12-31");

    /* Both forms read back to the same formatted day. */
    int y, m, d;
    assert_int_equal(parse_date("4/3/2021", &y, &m, &d), 1);
    ir_format_date(out, y, m, d);
    assert_string_equal(out, "2021-03-04");
}

/* ---- amounts and checked arithmetic ---- */

static void test_util_amount_plain(void **state)
{
    (void)state;
    assert_amount_parses("25000", 25000);
    assert_amount_parses("01", 1);
    assert_amount_parses("0", 0);
    assert_amount_parses("-0", 0);
    assert_amount_parses("-42", -42);
    assert_amount_parses("1000", 1000);
    assert_amount_parses("9223372036854775807", INT64_MAX);
    assert_amount_parses("-9223372036854775808", INT64_MIN);
}

static void test_util_amount_grouped(void **state)
{
    (void)state;
    assert_amount_parses("3.982.840", 3982840);
    assert_amount_parses("20.000", 20000);
    assert_amount_parses("1.000", 1000);
    assert_amount_parses("999.999", 999999);
    assert_amount_parses("0.000", 0);
    assert_amount_parses("001.000", 1000);
    assert_amount_parses("-1.000.000", -1000000);
    assert_amount_parses("-0.000", 0);
    assert_amount_parses("9.223.372.036.854.775.807", INT64_MAX);
    assert_amount_parses("-9.223.372.036.854.775.808", INT64_MIN);
}

static void test_util_amount_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "1.5", "1,000", "abc", "1.0000", ".100", "1000.000", "99999999999999999999",
        "9223372036854775808", "-9223372036854775809", "9.223.372.036.854.775.808",
        "-9.223.372.036.854.775.809", "", "-", "-.100", "1.", "1.00", "1..000",
        "1.000.", "1.000.00", "1.000,000", "+1", " 1", "1 ", "1.000 ", "1e3", "1 000",
        "--1", "1-", "1.00a", "\xd9\xa1",
    };
    int64_t v;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(parse_amount(bad[i], &v), 0);
}

static void test_util_amount_length(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(ir_parse_amount("1.000.5", 5, &v), 1);
    assert_true(v == 1000);
    assert_int_equal(ir_parse_amount("1.000", 4, &v), 0);
    assert_int_equal(ir_parse_amount("1.0\0000", 5, &v), 0);
    assert_int_equal(ir_parse_amount(NULL, 0, &v), 0);
}

static void test_util_add_i64(void **state)
{
    (void)state;
    int64_t r = 0;
    assert_int_equal(ir_add_i64(2, 3, &r), 1);
    assert_true(r == 5);
    assert_int_equal(ir_add_i64(INT64_MAX, 0, &r), 1);
    assert_true(r == INT64_MAX);
    assert_int_equal(ir_add_i64(INT64_MAX - 1, 1, &r), 1);
    assert_true(r == INT64_MAX);
    assert_int_equal(ir_add_i64(INT64_MIN, INT64_MAX, &r), 1);
    assert_true(r == -1);
    assert_int_equal(ir_add_i64(INT64_MIN + 1, -1, &r), 1);
    assert_true(r == INT64_MIN);
    assert_int_equal(ir_add_i64(INT64_MAX, 1, &r), 0);
    assert_int_equal(ir_add_i64(INT64_MIN, -1, &r), 0);
    assert_int_equal(ir_add_i64(INT64_MAX, INT64_MAX, &r), 0);
    assert_int_equal(ir_add_i64(INT64_MIN, INT64_MIN, &r), 0);
}

static void test_util_mul_i64(void **state)
{
    (void)state;
    int64_t r = 0;
    assert_int_equal(ir_mul_i64(6, 7, &r), 1);
    assert_true(r == 42);
    assert_int_equal(ir_mul_i64(-6, 7, &r), 1);
    assert_true(r == -42);
    assert_int_equal(ir_mul_i64(INT64_MAX, 1, &r), 1);
    assert_true(r == INT64_MAX);
    assert_int_equal(ir_mul_i64(INT64_MIN, 1, &r), 1);
    assert_true(r == INT64_MIN);
    assert_int_equal(ir_mul_i64(INT64_MAX, -1, &r), 1);
    assert_true(r == -INT64_MAX);
    assert_int_equal(ir_mul_i64(INT64_MIN, 0, &r), 1);
    assert_true(r == 0);
    assert_int_equal(ir_mul_i64(INT64_MIN / 2, 2, &r), 1);
    assert_true(r == INT64_MIN);
    assert_int_equal(ir_mul_i64(3037000499LL, 3037000499LL, &r), 1);
    assert_true(r == 9223372030926249001LL);
    assert_int_equal(ir_mul_i64(INT64_MIN, -1, &r), 0);
    assert_int_equal(ir_mul_i64(INT64_MAX, 2, &r), 0);
    assert_int_equal(ir_mul_i64(3037000500LL, 3037000500LL, &r), 0);
    assert_int_equal(ir_mul_i64(INT64_MAX / 2 + 1, 2, &r), 0);
}

/* ---- UTF-8 ---- */

static void test_util_utf8_valid(void **state)
{
    (void)state;
    static const char *good[] = {
        "", "abc", "Vi\xe1\xbb\x87t", "Q\xc4\x90", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80",
        "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xf0\x90\x80\x80",
        "\xf4\x8f\xbf\xbf", "\xe2\x80\x93",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        assert_int_equal(ir_utf8_valid(good[i], strlen(good[i])), 1);
    assert_int_equal(ir_utf8_valid("a\0b", 3), 1);
}

static void test_util_utf8_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "\x80",                 /* stray continuation */
        "\xbf",
        "a\x80z",
        "\xc0\x80",             /* overlong NUL */
        "\xc1\xbf",             /* overlong */
        "\xe0\x80\x80",         /* overlong */
        "\xe0\x9f\xbf",         /* overlong, just below U+0800 */
        "\xf0\x80\x80\x80",     /* overlong */
        "\xf0\x8f\xbf\xbf",     /* overlong, just below U+10000 */
        "\xed\xa0\x80",         /* surrogate U+D800 */
        "\xed\xbf\xbf",         /* surrogate U+DFFF */
        "\xf4\x90\x80\x80",     /* U+110000 */
        "\xf5\x80\x80\x80",
        "\xf8\x88\x80\x80\x80",
        "\xfe",
        "\xff",
        "\xc4",                 /* truncated */
        "\xe1\xbb",
        "\xf0\x90\x80",
        "\xc4z",                /* bad continuation */
        "\xe1\xbbz",
        "\xe1z\x87",
        "\xf0\x90z\x80",
        "\xf0\x90\x80z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(ir_utf8_valid(bad[i], strlen(bad[i])), 0);
    /* The length bounds the check: a sequence cut by n is invalid. */
    assert_int_equal(ir_utf8_valid("\xc4\x90", 1), 0);
    assert_int_equal(ir_utf8_valid("a\xc4\x90", 1), 1);
}

/* ---- identifiers ---- */

static void test_util_norm_ascii(void **state)
{
    (void)state;
    assert_norm_str("abc", "abc");
    assert_norm_str("  abc  ", "abc");
    assert_norm_str("\t\r\n abc\r\n", "abc");
    assert_norm_str("\v\fabc\f", "abc");
    assert_norm_str("a b  c", "a b  c");
    assert_norm_str("19/2014/QD-TTg", "19/2014/QD-TTg");
    assert_norm_str("", "");
    assert_norm_str("   ", "");
    assert_norm("abcdef", 3, "abc");
    assert_norm(NULL, 0, "");
}

static void test_util_norm_dashes(void **state)
{
    (void)state;
    assert_norm_str("19/2014/Q\xc4\x90\xe2\x80\x93TTg", "19/2014/Q\xc4\x90-TTg"); /* en dash */
    assert_norm_str("a\xe2\x80\x90z", "a-z"); /* U+2010 hyphen */
    assert_norm_str("a\xe2\x80\x91z", "a-z"); /* U+2011 non-breaking hyphen */
    assert_norm_str("a\xe2\x80\x92z", "a-z"); /* U+2012 figure dash */
    assert_norm_str("a\xe2\x80\x93z", "a-z"); /* U+2013 en dash */
    assert_norm_str("a\xe2\x80\x94z", "a-z"); /* U+2014 em dash */
    assert_norm_str("a\xe2\x88\x92z", "a-z"); /* U+2212 minus */
    assert_norm_str("\xe2\x80\x93\xe2\x80\x94\xe2\x88\x92", "---");
    /* Neighbours of the dashes are left alone. */
    assert_norm_str("a\xe2\x80\x95z", "a\xe2\x80\x95z"); /* U+2015 horizontal bar */
    assert_norm_str("a\xe2\x80\x8fz", "a\xe2\x80\x8fz"); /* U+200F */
    assert_norm_str("a\xe2\x88\x93z", "a\xe2\x88\x93z"); /* U+2213 */
    assert_norm_str("a\xef\xb9\xa3z", "a\xef\xb9\xa3z"); /* U+FE63 small hyphen */
}

static void test_util_norm_nfc(void **state)
{
    (void)state;
    /* "Việt": e + circumflex + dot below, and the other mark order, both
     * compose to U+1EC7. */
    assert_norm_str("Vie\xcc\x82\xcc\xa3t", "Vi\xe1\xbb\x87t");
    assert_norm_str("Vie\xcc\xa3\xcc\x82t", "Vi\xe1\xbb\x87t");
    assert_norm_str("Vi\xe1\xbb\x87t", "Vi\xe1\xbb\x87t");
    /* Partly composed: ê + dot below. */
    assert_norm_str("Vi\xc3\xaa\xcc\xa3t", "Vi\xe1\xbb\x87t");
    /* Đ has no decomposition and stays as is. */
    assert_norm_str("Q\xc4\x90", "Q\xc4\x90");
    /* U+212B ANGSTROM SIGN is canonically Å (U+00C5). */
    assert_norm_str("\xe2\x84\xab", "\xc3\x85");
    /* Compatibility characters are not folded (NFC, not NFKC). */
    assert_norm_str("\xef\xac\x81", "\xef\xac\x81");
    assert_norm_str("\xef\xbc\xa1", "\xef\xbc\xa1");
    /* Decomposed text, en dash and surrounding spaces all at once. */
    assert_norm_str("\xc2\xa0 19/2014/Q\xc4\x90\xe2\x80\x93TTg Vie\xcc\x82\xcc\xa3t\xe3\x80\x80",
                    "19/2014/Q\xc4\x90-TTg Vi\xe1\xbb\x87t");
}

static void test_util_norm_unicode_space(void **state)
{
    (void)state;
    assert_norm_str("\xc2\xa0" "abc" "\xc2\xa0", "abc");            /* U+00A0 */
    assert_norm_str("\xe3\x80\x80" "abc" "\xe3\x80\x80", "abc");    /* U+3000 */
    assert_norm_str("\xef\xbb\xbf" "abc", "abc");                   /* U+FEFF */
    assert_norm_str("abc\xef\xbb\xbf", "abc");
    assert_norm_str("\xe2\x80\x80" "abc" "\xe2\x80\x8a", "abc");    /* U+2000, U+200A */
    assert_norm_str("\xe2\x80\x85" "abc" "\xe2\x80\x89", "abc");    /* U+2005, U+2009 */
    assert_norm_str("\xe2\x80\xaf" "abc" "\xe2\x81\x9f", "abc");    /* U+202F, U+205F */
    assert_norm_str("\xc2\x85" "abc" "\xe2\x80\xa8", "abc");        /* U+0085, U+2028 */
    assert_norm_str("\xe1\x9a\x80" "abc" "\xe2\x80\xa9", "abc");    /* U+1680, U+2029 */
    assert_norm_str(" \t\xc2\xa0\xe3\x80\x80 Vi\xe1\xbb\x87t \xc2\xa0\n", "Vi\xe1\xbb\x87t");
    assert_norm_str("\xc2\xa0\xe3\x80\x80", "");
    /* Inside the id, white space stays. */
    assert_norm_str("a\xc2\xa0" "b", "a\xc2\xa0" "b");
    /* Zero width space is not white space. */
    assert_norm_str("\xe2\x80\x8b" "abc", "\xe2\x80\x8b" "abc");
    /* A mark after a trimmed space is kept, not attached to anything. */
    assert_norm_str(" \xcc\x81" "a", "\xcc\x81" "a");
}

static void test_util_norm_invalid(void **state)
{
    (void)state;
    assert_norm_null("a\0b", 3);
    assert_norm_null("\0", 1);
    assert_norm_null("abc\0", 4);
    assert_norm_null("Vi\xe1\xbb\x87t\0", 7);
    assert_norm_null("\xc4", 1);
    assert_norm_null("abc\xff", 4);
    assert_norm_null("\xed\xa0\x80", 3);
    assert_norm_null("\xc0\xaf", 2);
    assert_norm_null("\xf4\x90\x80\x80", 4);
    assert_norm_null("  \xc2\xa0 \x80", 6);
    assert_norm_null("\xc4\x90", 1); /* cut by n */
}

static void test_util_norm_outlen_optional(void **state)
{
    (void)state;
    char *r = ir_normalize_id("  a\xe2\x80\x93" "b ", 8, NULL);
    assert_non_null(r);
    assert_string_equal(r, "a-b");
    free(r);
    r = ir_normalize_id(" ab ", 4, NULL);
    assert_non_null(r);
    assert_string_equal(r, "ab");
    free(r);
}

static void test_util_norm_long(void **state)
{
    (void)state;
    /* A long decomposed id, past any small internal buffer. */
    enum { REPS = 2000 };
    static const char unit_in[] = "e\xcc\x82\xcc\xa3\xe2\x80\x93";
    static const char unit_out[] = "\xe1\xbb\x87-";
    size_t lin = sizeof unit_in - 1, lout = sizeof unit_out - 1;
    char *in = malloc(REPS * lin + 1), *want = malloc(REPS * lout + 1);
    assert_non_null(in);
    assert_non_null(want);
    for (size_t i = 0; i < REPS; i++) {
        memcpy(in + i * lin, unit_in, lin);
        memcpy(want + i * lout, unit_out, lout);
    }
    in[REPS * lin] = '\0';
    want[REPS * lout] = '\0';
    assert_norm(in, REPS * lin, want);
    free(in);
    free(want);
}

/* ---- edit distance ---- */

static void test_util_edit_examples(void **state)
{
    (void)state;
    assert_int_equal(ed("proces", "process", 3), 1);
    assert_int_equal(ed("justifcation", "justification", 3), 1);
    assert_int_equal(ed("anouncements", "announcements", 3), 1);
    assert_int_equal(ed("kitten", "sitting", 5), 3);
    assert_int_equal(ed("sitting", "kitten", 5), 3);
    assert_int_equal(ed("flaw", "lawn", 5), 2);
    assert_int_equal(ed("abc", "abc", 0), 0);
    assert_int_equal(ed("abc", "abd", 1), 1);
    assert_int_equal(ed("", "", 0), 0);
    assert_int_equal(ed("", "abc", 5), 3);
    assert_int_equal(ed("abc", "", 5), 3);
    assert_int_equal(ed("abc", "xyz", 5), 3);
    assert_int_equal(ed("ab", "ba", 5), 2); /* no transpositions */
    assert_int_equal(ed("intention", "execution", 10), 5);
    /* Bytes, not characters: é differs from e in two bytes, one substitution
     * plus one insertion. */
    assert_int_equal(ed("e", "\xc3\xa9", 5), 2);
}

static void test_util_edit_cutoff(void **state)
{
    (void)state;
    assert_int_equal(ed("kitten", "sitting", 3), 3);
    assert_int_equal(ed("kitten", "sitting", 2), 3);
    assert_int_equal(ed("kitten", "sitting", 1), 2);
    assert_int_equal(ed("kitten", "sitting", 0), 1);
    assert_int_equal(ed("abc", "abd", 0), 1);
    assert_int_equal(ed("", "abcd", 2), 3);
    assert_int_equal(ed("abcdef", "a", 2), 3);
    assert_int_equal(ed("abcdef", "uvwxyz", 2), 3);
    assert_int_equal(ed("proces", "process", 0), 1);
    assert_int_equal(ed("abc", "abc", INT_MAX), 0);
    assert_int_equal(ed("abc", "xyz", INT_MAX), 3);
    /* A negative max is exceeded by any distance. */
    assert_int_equal(ed("abc", "abc", -1), 0);
    assert_int_equal(ed("abc", "abc", -5), -4);
}

static void test_util_edit_length(void **state)
{
    (void)state;
    assert_int_equal(ir_edit_distance("abcX", 3, "abcY", 3, 2), 0);
    assert_int_equal(ir_edit_distance("a\0b", 3, "a\0c", 3, 2), 1);
    assert_int_equal(ir_edit_distance("a\0b", 3, "ab", 2, 2), 1);
    assert_int_equal(ir_edit_distance(NULL, 0, NULL, 0, 2), 0);
    assert_int_equal(ir_edit_distance(NULL, 0, "ab", 2, 5), 2);
}

static void test_util_edit_long(void **state)
{
    (void)state;
    /* Lengths past any stack buffer, differences at the ends and in the
     * middle, so neither prefix nor suffix stripping hides them. */
    enum { N = 5000 };
    char *a = malloc(N), *b = malloc(N + 1);
    assert_non_null(a);
    assert_non_null(b);
    for (size_t i = 0; i < N; i++)
        a[i] = b[i] = (char)('a' + (i * 7) % 26);
    assert_int_equal(ir_edit_distance(a, N, b, N, 0), 0);
    b[0] = '#';
    b[N / 2] = '#';
    b[N - 1] = '#';
    assert_int_equal(ir_edit_distance(a, N, b, N, 10), 3);
    assert_int_equal(ir_edit_distance(a, N, b, N, 3), 3);
    assert_int_equal(ir_edit_distance(a, N, b, N, 2), 3);
    assert_int_equal(ir_edit_distance(a, N, b, N, INT_MAX), 3);
    /* An insertion: lengths differ by one. */
    memcpy(b, a, N);
    memmove(b + 101, b + 100, N - 100);
    b[100] = '#';
    b[0] = '#';
    assert_int_equal(ir_edit_distance(a, N, b, N + 1, 5), 2);
    assert_int_equal(ir_edit_distance(b, N + 1, a, N, 5), 2);
    assert_int_equal(ir_edit_distance(a, N, b, N + 1, 1), 2);
    /* Completely different long strings stop early at max + 1. */
    memset(b, '#', N);
    assert_int_equal(ir_edit_distance(a, N, b, N, 4), 5);
    assert_int_equal(ir_edit_distance(a, N, b, N, N), N);
    /* A huge length gap is settled without a table. */
    assert_int_equal(ir_edit_distance(a, N, "x", 1, 10), 11);
    free(a);
    free(b);
}

static void test_util_edit_random(void **state)
{
    (void)state;
    /* Against the full-table reference, over small alphabets so strings
     * share a lot, with lengths on both sides of the stack buffer. */
    uint32_t seed = 12345;
    char a[300], b[300];
    for (int round = 0; round < 400; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t an = (seed >> 8) % (round < 300 ? 40 : 300);
        seed = seed * 1103515245u + 12345u;
        size_t bn = (seed >> 8) % (round < 300 ? 40 : 300);
        seed = seed * 1103515245u + 12345u;
        unsigned alpha = 1 + (seed >> 8) % 4;
        for (size_t i = 0; i < an; i++) {
            seed = seed * 1103515245u + 12345u;
            a[i] = (char)('a' + (seed >> 16) % alpha);
        }
        /* b is often a mutation of a, so distances are small. */
        for (size_t i = 0; i < bn; i++) {
            seed = seed * 1103515245u + 12345u;
            b[i] = (i < an && (seed >> 16) % 8) ? a[i] : (char)('a' + (seed >> 20) % alpha);
        }
        int want = ref_distance(a, an, b, bn);
        static const int maxes[] = {0, 1, 2, 3, 5, 8, 20, 100, 1000};
        for (size_t k = 0; k < sizeof maxes / sizeof *maxes; k++) {
            int max = maxes[k];
            int expect = want > max ? max + 1 : want;
            assert_int_equal(ir_edit_distance(a, an, b, bn, max), expect);
            assert_int_equal(ir_edit_distance(b, bn, a, an, max), expect);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_util_int_valid),
        cmocka_unit_test(test_util_int_limits),
        cmocka_unit_test(test_util_int_invalid),
        cmocka_unit_test(test_util_int_length),
        cmocka_unit_test(test_util_days_in_month),
        cmocka_unit_test(test_util_date_iso),
        cmocka_unit_test(test_util_date_vn),
        cmocka_unit_test(test_util_date_impossible),
        cmocka_unit_test(test_util_date_malformed),
        cmocka_unit_test(test_util_date_length),
        cmocka_unit_test(test_util_format_date),
        cmocka_unit_test(test_util_amount_plain),
        cmocka_unit_test(test_util_amount_grouped),
        cmocka_unit_test(test_util_amount_invalid),
        cmocka_unit_test(test_util_amount_length),
        cmocka_unit_test(test_util_add_i64),
        cmocka_unit_test(test_util_mul_i64),
        cmocka_unit_test(test_util_utf8_valid),
        cmocka_unit_test(test_util_utf8_invalid),
        cmocka_unit_test(test_util_norm_ascii),
        cmocka_unit_test(test_util_norm_dashes),
        cmocka_unit_test(test_util_norm_nfc),
        cmocka_unit_test(test_util_norm_unicode_space),
        cmocka_unit_test(test_util_norm_invalid),
        cmocka_unit_test(test_util_norm_outlen_optional),
        cmocka_unit_test(test_util_norm_long),
        cmocka_unit_test(test_util_edit_examples),
        cmocka_unit_test(test_util_edit_cutoff),
        cmocka_unit_test(test_util_edit_length),
        cmocka_unit_test(test_util_edit_long),
        cmocka_unit_test(test_util_edit_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
