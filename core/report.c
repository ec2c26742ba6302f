/* report.c: text and JSON reports (CLI.md "Text output", "JSON output").
 * Findings are written as the engine hands them out; JSON errors are held
 * (they are few) and written by finish. The agency list comes after them,
 * one entry an agency: it is written as it comes to an unlinked temporary
 * file in $TMPDIR (or /tmp), or to memory when none can be made there, and
 * copied out by finish, so that memory does not grow with a country's
 * agencies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "isorules.h"
#include "report.h"
#include "util.h"

enum { FMT_TEXT, FMT_JSON };

typedef struct held_error {
    char *rule, *file, *input_file, *message;
    int line, col, input_line, input_col;
} held_error;

struct isorules_report {
    int format, vi;
    FILE *out, *err;
    size_t nfindings;
    held_error *errors;
    size_t nerrors, caperrors;
    FILE *agencies; /* the agency list's JSON so far */
    char *amem;     /* its text, when it is a memory stream */
    size_t amemlen;
    size_t nagencies;
    int oom;
};

/* Writes s as a JSON string: quotes, escapes, and any byte that is not part
 * of valid UTF-8 as U+FFFD, so that the report always parses. Characters a
 * YAML reader refuses raw (DEL, the C1 controls, U+FEFF, U+FFFE, U+FFFF)
 * are escaped too: `isorules merge` reads reports with libyaml. */
static void json_str(FILE *fp, const char *s)
{
    if (!s) {
        fputs("null", fp);
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    putc('"', fp);
    while (*p) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            putc('\\', fp);
            putc((int)c, fp);
            p++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n': fputs("\\n", fp); break;
            case '\t': fputs("\\t", fp); break;
            case '\r': fputs("\\r", fp); break;
            default: fprintf(fp, "\\u%04x", c); break;
            }
            p++;
        } else if (c < 0x7F) {
            putc((int)c, fp);
            p++;
        } else if (c == 0x7F) {
            fputs("\\u007f", fp);
            p++;
        } else {
            int n = c >= 0xF5 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
            int ok = n > 0;
            for (int i = 1; ok && i < n; i++)
                ok = (p[i] & 0xC0) == 0x80;
            if (ok && n == 3) /* no overlongs, no surrogates */
                ok = !(c == 0xE0 && p[1] < 0xA0) && !(c == 0xED && p[1] >= 0xA0);
            if (ok && n == 4)
                ok = !(c == 0xF0 && p[1] < 0x90) && !(c == 0xF4 && p[1] >= 0x90);
            unsigned cp = !ok ? 0 : n == 2 ? (c & 0x1Fu) << 6 | (p[1] & 0x3Fu)
                                   : n == 3 ? (c & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu) : 0;
            if (ok && ((cp >= 0x80 && cp <= 0x9F) || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)) {
                fprintf(fp, "\\u%04x", cp);
                p += n;
            } else if (ok) {
                fwrite(p, 1, (size_t)n, fp);
                p += n;
            } else {
                fputs("\xEF\xBF\xBD", fp);
                p++;
            }
        }
    }
    putc('"', fp);
}

static char *dup_str(const char *s) { return s ? strdup(s) : NULL; }

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void ir_report_finding(isorules_report *r, const isorules_finding *f)
{
    FILE *fp = r->out;
    const char *sev = isorules_severity_name(f->severity);
    if (r->format == FMT_TEXT) {
        fprintf(fp, "%s:%d:%d: %s %s", f->file, f->line, f->column, sev, f->rule);
        if (f->agency)
            fprintf(fp, " [%s]", f->agency);
        if (f->subject)
            fprintf(fp, " %s", f->subject);
        fprintf(fp, ": %s\n", f->message);
        return;
    }
    fputs(r->nfindings ? ",\n    { \"rule\": " : "\n    { \"rule\": ", fp);
    json_str(fp, f->rule);
    fputs(", \"severity\": ", fp);
    json_str(fp, sev);
    fputs(", \"agency\": ", fp);
    json_str(fp, f->agency);
    fputs(", \"subject\": ", fp);
    json_str(fp, f->subject);
    fputs(", \"message\": ", fp);
    json_str(fp, f->message);
    fputs(", \"file\": ", fp);
    json_str(fp, f->file);
    fprintf(fp, ", \"line\": %d, \"column\": %d", f->line, f->column);
    fputs(f->final_pass ? ", \"final\": true }" : " }", fp);
    r->nfindings++;
}

static void on_finding(void *ud, const isorules_finding *f) { ir_report_finding(ud, f); }

void ir_report_error(isorules_report *r, const isorules_error *err)
{
    if (r->format == FMT_TEXT) {
        if (!r->err)
            return;
        if (err->rule)
            fprintf(r->err, "%s:%d: %s: %s", err->file, err->line, err->rule, err->message);
        else if (err->line)
            fprintf(r->err, "%s:%d:%d: %s", err->file, err->line, err->column, err->message);
        else
            fprintf(r->err, "%s: %s", err->file, err->message);
        if (err->input_file)
            fprintf(r->err, " (auditing %s:%d:%d)", err->input_file, err->input_line, err->input_column);
        fputc('\n', r->err);
        return;
    }
    held_error *nv = ir_grow(r->errors, &r->caperrors, r->nerrors, sizeof *nv);
    if (!nv) {
        r->oom = 1;
        return;
    }
    r->errors = nv;
    held_error *h = &r->errors[r->nerrors++];
    h->rule = dup_str(err->rule);
    h->file = dup_str(err->file);
    h->input_file = dup_str(err->input_file);
    h->message = dup_str(err->message);
    h->line = err->line;
    h->col = err->column;
    h->input_line = err->input_line;
    h->input_col = err->input_column;
}

static void on_error(void *ud, const isorules_error *err) { ir_report_error(ud, err); }

/* An unlinked temporary file in $TMPDIR or /tmp, read and written; NULL
 * when none can be made. */
static FILE *spill_open(void)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(path, sizeof path, "%s/isorules-XXXXXX", dir) >= (int)sizeof path)
        return NULL;
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    unlink(path);
    FILE *fp = fdopen(fd, "w+");
    if (!fp)
        close(fd);
    return fp;
}

void ir_report_agency(isorules_report *r, const isorules_agency *in)
{
    if (r->format != FMT_JSON || r->oom)
        return;
    if (!r->agencies && !(r->agencies = spill_open()) &&
        !(r->agencies = open_memstream(&r->amem, &r->amemlen))) {
        r->oom = 1;
        return;
    }
    FILE *fp = r->agencies;
    fputs(r->nagencies++ ? ",\n    { \"id\": " : "\n    { \"id\": ", fp);
    json_str(fp, in->id);
    fputs(", \"file\": ", fp);
    json_str(fp, in->file);
    fprintf(fp, ", \"line\": %d, \"column\": %d, \"id_line\": %d, \"id_column\": %d }", in->line,
            in->column, in->id_line, in->id_column);
    if (ferror(fp))
        r->oom = 1;
}

/* Copies the agency list to the report; 0, or -1 when it cannot be read. */
static int copy_agencies(isorules_report *r)
{
    if (!r->agencies)
        return 0;
    if (fflush(r->agencies) != 0 || ferror(r->agencies))
        return -1;
    if (r->amem) { /* a memory stream: its text is in amem */
        fwrite(r->amem, 1, r->amemlen, r->out);
        return 0;
    }
    char buf[8192];
    size_t n;
    rewind(r->agencies);
    while ((n = fread(buf, 1, sizeof buf, r->agencies)) > 0)
        fwrite(buf, 1, n, r->out);
    return ferror(r->agencies) ? -1 : 0;
}

static void on_agency(void *ud, const isorules_agency *a) { ir_report_agency(ud, a); }

int isorules_report_open(isorules_report **out, const char *format, FILE *out_fp, FILE *err_fp,
                         const char *lang)
{
    *out = NULL;
    int fmt;
    if (format && strcmp(format, "text") == 0)
        fmt = FMT_TEXT;
    else if (format && strcmp(format, "json") == 0)
        fmt = FMT_JSON;
    else
        return ISORULES_MISUSE;
    isorules_report *r = calloc(1, sizeof *r);
    if (!r)
        return ISORULES_NOMEM;
    r->format = fmt;
    r->out = out_fp;
    r->err = err_fp;
    r->vi = lang && strcmp(lang, "vi") == 0;
    *out = r;
    return ISORULES_OK;
}

void ir_report_set_lang(isorules_report *r, const char *lang) { r->vi = strcmp(lang, "vi") == 0; }

void ir_report_begin(isorules_report *r, const char *as_of)
{
    if (r->format == FMT_JSON) {
        fputs("{\n  \"isorules\": 1,\n  \"as_of\": ", r->out);
        json_str(r->out, as_of);
        fputs(r->vi ? ",\n  \"lang\": \"vi\"" : ",\n  \"lang\": \"en\"", r->out);
        fputs(",\n  \"findings\": [", r->out);
    }
}

void isorules_report_attach(isorules_report *r, isorules_engine *e)
{
    isorules_on_finding(e, on_finding, r);
    isorules_on_error(e, on_error, r);
    isorules_on_agency(e, NULL, NULL);
    isorules_on_agency_info(e, on_agency, r);
    ir_report_begin(r, isorules_as_of(e));
}

static void text_summary(isorules_report *r, const isorules_summary *s, const char *as_of)
{
    FILE *fp = r->out;
    if (r->vi) {
        fprintf(fp, "%d lỗi, %d cảnh báo", s->errors, s->warnings);
        if (s->infos)
            fprintf(fp, ", %d thông tin", s->infos);
        fprintf(fp, " trong %d cơ quan (%d quy tắc, tính đến ngày %s)\n", s->agencies, s->rules, as_of);
    } else {
        fprintf(fp, "%d error%s, %d warning%s", s->errors, s->errors == 1 ? "" : "s", s->warnings,
                s->warnings == 1 ? "" : "s");
        if (s->infos)
            fprintf(fp, ", %d info%s", s->infos, s->infos == 1 ? "" : "s");
        fprintf(fp, " in %d agenc%s (%d rule%s, as of %s)\n", s->agencies, s->agencies == 1 ? "y" : "ies",
                s->rules, s->rules == 1 ? "" : "s", as_of);
    }
    if (s->failures && r->err)
        fprintf(r->err, r->vi ? "%d tệp hoặc quy tắc không kiểm tra được (xem ở trên)\n"
                              : "%d input%s or rules could not be audited (see above)\n",
                s->failures, r->vi ? "" : (s->failures == 1 ? "" : "s"));
}

static void json_list(FILE *fp, const char *name, const char *const *v, size_t n)
{
    fprintf(fp, "  \"%s\": [", name);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n    " : "\n    ", fp);
        json_str(fp, v[i]);
    }
    fputs(n ? "\n  ]" : "]", fp);
}

static void json_tail(isorules_report *r, const isorules_summary *s, const char *const *files,
                      size_t nfiles, const char *const *rules, size_t nrules)
{
    FILE *fp = r->out;
    fputs(r->nfindings ? "\n  ],\n  \"errors\": [" : "],\n  \"errors\": [", fp);
    for (size_t i = 0; i < r->nerrors; i++) {
        const held_error *h = &r->errors[i];
        fputs(i ? ",\n    { " : "\n    { ", fp);
        if (h->rule) {
            fputs("\"rule\": ", fp);
            json_str(fp, h->rule);
            fputs(", ", fp);
        }
        fputs("\"file\": ", fp);
        json_str(fp, h->file);
        fprintf(fp, ", \"line\": %d, \"column\": %d", h->line, h->col);
        if (h->input_file) {
            fputs(", \"input\": { \"file\": ", fp);
            json_str(fp, h->input_file);
            fprintf(fp, ", \"line\": %d, \"column\": %d }", h->input_line, h->input_col);
        }
        fputs(", \"message\": ", fp);
        json_str(fp, h->message);
        fputs(" }", fp);
    }
    fputs(r->nerrors ? "\n  ],\n" : "],\n", fp);
    fprintf(fp,
            "  \"summary\": { \"files\": %d, \"agencies\": %d, \"rules\": %d, \"errors\": %d, "
            "\"warnings\": %d, \"infos\": %d },\n  \"agencies\": [",
            s->files, s->agencies, s->rules, s->errors, s->warnings, s->infos);
    if (copy_agencies(r) != 0)
        r->oom = 1;
    fputs(r->nagencies ? "\n  ]" : "]", fp);
    /* a list not known in full (a merge of reports without one) is left out */
    if (rules) {
        fputs(",\n", fp);
        json_list(fp, "rules", rules, nrules);
    }
    if (files) {
        fputs(",\n", fp);
        json_list(fp, "files", files, nfiles);
    }
    fputs("\n}\n", fp);
}

int ir_report_end(isorules_report *r, const isorules_summary *s, const char *as_of,
                  const char *const *files, size_t nfiles, const char *const *rules, size_t nrules)
{
    if (r->format == FMT_TEXT)
        text_summary(r, s, as_of);
    else
        json_tail(r, s, files, nfiles, rules, nrules);
    if (fflush(r->out) != 0 || ferror(r->out) || r->oom)
        return ISORULES_ERROR;
    return ISORULES_OK;
}

int isorules_report_finish(isorules_report *r, isorules_engine *e)
{
    isorules_summary s;
    isorules_get_summary(e, &s);
    size_t n = 0;
    while (isorules_input_name(e, (int)n))
        n++;
    /* the rules in force, in id order */
    size_t nr = 0, nall = (size_t)isorules_rule_count(e);
    const char **files = malloc((n + nall + 1) * sizeof *files);
    if (!files)
        return ISORULES_ERROR;
    const char **rules = files + n;
    for (size_t i = 0; i < n; i++)
        files[i] = isorules_input_name(e, (int)i);
    for (size_t i = 0; i < nall; i++) {
        const isorules_rule_info *in = isorules_rule_at(e, (int)i);
        if (in && isorules_rule_selected(e, in->id))
            rules[nr++] = in->id;
    }
    qsort(rules, nr, sizeof *rules, str_cmp);
    int rc = ir_report_end(r, &s, isorules_as_of(e), files, n, rules, nr);
    free(files);
    return rc;
}

void isorules_report_close(isorules_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nerrors; i++) {
        free(r->errors[i].rule);
        free(r->errors[i].file);
        free(r->errors[i].input_file);
        free(r->errors[i].message);
    }
    free(r->errors);
    if (r->agencies)
        fclose(r->agencies);
    free(r->amem);
    free(r);
}
