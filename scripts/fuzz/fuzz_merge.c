/* fuzz_merge.c: libFuzzer harness for isorules_merge(), which reads JSON
 * reports of `isorules audit` that anyone may hand it (docs/fuzzing.md).
 *
 * The input is split at its first NUL byte into one or two reports, written
 * to temporary files and merged in both orders, into JSON (and, for a
 * quarter of the inputs, text). The result must be ISORULES_OK, or
 * ISORULES_ERROR with a message naming a report; nothing else. When the
 * merge succeeds: the JSON is well-formed JSON in valid UTF-8, the summary
 * counts what was written, and the two orders give the same report (merge
 * does not depend on the order of its reports). Merging the merged report
 * alone gives it back (a merge is a report like any other).
 * A broken invariant prints what broke and aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isorules.h"
#include "json_check.h"

static void fail_check(const char *what, int line)
{
    fprintf(stderr, "fuzz_merge: invariant broken (fuzz_merge.c:%d): %s\n", line, what);
    abort();
}
#define CHECK(c) ((c) ? (void)0 : fail_check(#c, __LINE__))

static char paths[3][64];

static void remove_files(void)
{
    for (int i = 0; i < 3; i++)
        unlink(paths[i]);
}

static void setup(void)
{
    for (int i = 0; i < 3; i++)
        snprintf(paths[i], sizeof paths[i], "/tmp/fuzz_merge.%ld.%d.json", (long)getpid(), i);
    atexit(remove_files);
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    CHECK(fp != NULL);
    CHECK(fwrite(p, 1, n, fp) == n);
    CHECK(fclose(fp) == 0);
}

/* Merges the reports into memory; returns the result, the output in *out
 * (to free) and the summary in *sum. */
static int merge(const char *const *reports, int n, const char *format, char **out, size_t *len,
                 isorules_summary *sum)
{
    FILE *fp = open_memstream(out, len);
    CHECK(fp != NULL);
    isorules_report *r = NULL;
    CHECK(isorules_report_open(&r, format, fp, fp, "en") == ISORULES_OK);
    char msg[600];
    msg[0] = 'x';
    int rc = isorules_merge(r, reports, n, "en", sum, msg, sizeof msg);
    CHECK(rc == ISORULES_OK || rc == ISORULES_ERROR);
    if (rc != ISORULES_OK) /* the reason names a report */
        CHECK(strstr(msg, "/tmp/fuzz_merge.") != NULL);
    isorules_report_close(r);
    CHECK(fclose(fp) == 0);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    write_file(paths[0], data, n1);
    int n = 1;
    if (nul) {
        write_file(paths[1], nul + 1, size - n1 - 1);
        n = 2;
    }
    const char *ab[2] = {paths[0], paths[1]}, *ba[2] = {paths[1], paths[0]};
    char *out1 = NULL, *out2 = NULL, *out3 = NULL;
    size_t len1 = 0, len2 = 0, len3 = 0;
    isorules_summary s1, s2, s3;
    int rc1 = merge(ab, n, "json", &out1, &len1, &s1);
    if (rc1 == ISORULES_OK) {
        CHECK(json_ok(out1, len1));
        CHECK(s1.errors >= 0 && s1.warnings >= 0 && s1.infos >= 0 && s1.failures >= 0);
        if (n == 2) { /* the order of the reports does not matter */
            int rc2 = merge(ba, 2, "json", &out2, &len2, &s2);
            CHECK(rc2 == ISORULES_OK);
            CHECK(len2 == len1 && memcmp(out1, out2, len1) == 0);
        }
        /* the merged report merged alone is itself */
        write_file(paths[2], (const uint8_t *)out1, len1);
        const char *one[1] = {paths[2]};
        int rc3 = merge(one, 1, "json", &out3, &len3, &s3);
        CHECK(rc3 == ISORULES_OK);
        CHECK(len3 == len1 && memcmp(out1, out3, len1) == 0);
        if ((size & 3) == 0) { /* and in text */
            free(out3);
            out3 = NULL;
            CHECK(merge(ab, n, "text", &out3, &len3, &s3) == ISORULES_OK);
        }
    }
    free(out1);
    free(out2);
    free(out3);
    return 0;
}
