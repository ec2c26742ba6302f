/* audit-buffer: audits a record held in memory (as a form would hand it
 * over) and prints its findings, then the same through the owned list.
 * Build: cc audit-buffer.c $(pkg-config --cflags --libs isorules) */
#include <stdio.h>
#include <string.h>
#include <isorules.h>

static const char record[] =
    "kind: agency\n"
    "id: so-vi-du\n"
    "name: Sở Ví Dụ\n"
    "qms:\n"
    "  applied_since: 2021-06-01\n"
    "procedures:\n"
    "  - code: 1.000001.000.00.00.H34\n"
    "    name: Thủ tục chưa có quy trình\n"
    "  - code: 1.000002.000.00.00.H34\n"
    "    proces: QT-01\n";

static void print_finding(void *ud, const isorules_finding *f)
{
    int *count = ud;
    ++*count;
    printf("%s:%d:%d: %s %s [%s] %s: %s\n", f->file, f->line, f->column,
           isorules_severity_name(f->severity), f->rule, f->agency ? f->agency : "-",
           f->subject ? f->subject : "-", f->message);
}

static void print_error(void *ud, const isorules_error *err)
{
    (void)ud;
    fprintf(stderr, "error: %s:%d: %s\n", err->file, err->line, err->message);
}

int main(void)
{
    isorules_engine *e;
    int count = 0;
    if (isorules_open(&e) != ISORULES_OK)
        return 2;
    printf("isorules %s\n", isorules_version());
    if (isorules_add_builtin_rules(e) != ISORULES_OK ||
        isorules_add_input_buffer(e, "form.yaml", record, strlen(record)) != ISORULES_OK ||
        isorules_set_as_of(e, "2021-12-31") != ISORULES_OK) {
        fprintf(stderr, "setup: %s\n", isorules_errmsg(e));
        isorules_close(e);
        return 2;
    }
    isorules_on_finding(e, print_finding, &count);
    isorules_on_error(e, print_error, NULL);
    isorules_keep_results(e, 1);
    if (isorules_run(e) != ISORULES_OK) {
        fprintf(stderr, "run: %s\n", isorules_errmsg(e));
        isorules_close(e);
        return 2;
    }
    isorules_summary s;
    isorules_get_summary(e, &s);
    printf("%d findings (%d errors, %d warnings, %d infos), %zu kept\n", count, s.errors, s.warnings,
           s.infos, isorules_finding_count(e));
    for (size_t i = 0; i < isorules_finding_count(e); i++)
        printf("kept: %s %s\n", isorules_finding_at(e, i)->rule, isorules_finding_at(e, i)->subject);
    isorules_close(e);
    return 0;
}
