#ifndef ISORULES_TEST_HELPERS_H
#define ISORULES_TEST_HELPERS_H

/* ---- irt_*: collecting an engine's findings and errors (test_sandbox,
 * test_rules, test_report). Copies of every callback argument go into
 * growable arrays; irt_log_free frees them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isorules.h"

typedef struct irt_finding {
    char *rule, *agency, *subject, *message, *file;
    int severity, line, column, final_pass;
} irt_finding;

typedef struct irt_error {
    char *rule, *file, *input_file, *message;
    int line, column, input_line, input_column;
} irt_error;

typedef struct irt_log {
    irt_finding *f;
    size_t nf, capf;
    irt_error *err;
    size_t ne, cape;
    isorules_engine *cancel_on; /* when set, the first finding cancels it */
} irt_log;

static inline char *irt_dup(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static inline void *irt_grow(void *v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return v;
    size_t want = *cap ? *cap * 2 : 8;
    void *nv = realloc(v, want * size);
    if (!nv)
        abort();
    *cap = want;
    return nv;
}

static inline void irt_on_finding(void *ud, const isorules_finding *f)
{
    irt_log *log = ud;
    log->f = irt_grow(log->f, &log->capf, log->nf, sizeof *log->f);
    irt_finding *c = &log->f[log->nf++];
    c->rule = irt_dup(f->rule);
    c->agency = irt_dup(f->agency);
    c->subject = irt_dup(f->subject);
    c->message = irt_dup(f->message);
    c->file = irt_dup(f->file);
    c->severity = f->severity;
    c->line = f->line;
    c->column = f->column;
    c->final_pass = f->final_pass;
    if (log->cancel_on)
        isorules_cancel(log->cancel_on);
}

static inline void irt_on_error(void *ud, const isorules_error *err)
{
    irt_log *log = ud;
    log->err = irt_grow(log->err, &log->cape, log->ne, sizeof *log->err);
    irt_error *c = &log->err[log->ne++];
    c->rule = irt_dup(err->rule);
    c->file = irt_dup(err->file);
    c->input_file = irt_dup(err->input_file);
    c->message = irt_dup(err->message);
    c->line = err->line;
    c->column = err->column;
    c->input_line = err->input_line;
    c->input_column = err->input_column;
}

/* Forgets what was collected (the arrays stay allocated). */
static inline void irt_log_reset(irt_log *log)
{
    for (size_t i = 0; i < log->nf; i++) {
        irt_finding *c = &log->f[i];
        free(c->rule), free(c->agency), free(c->subject), free(c->message), free(c->file);
    }
    for (size_t i = 0; i < log->ne; i++) {
        irt_error *c = &log->err[i];
        free(c->rule), free(c->file), free(c->input_file), free(c->message);
    }
    log->nf = log->ne = 0;
}

static inline void irt_log_free(irt_log *log)
{
    irt_log_reset(log);
    free(log->f);
    free(log->err);
    memset(log, 0, sizeof *log);
}

/* Installs log's collectors on e. */
static inline void irt_attach(isorules_engine *e, irt_log *log)
{
    isorules_on_finding(e, irt_on_finding, log);
    isorules_on_error(e, irt_on_error, log);
}

/* The first finding with this message (and rule, unless NULL), or NULL. */
static inline const irt_finding *irt_find_msg(const irt_log *log, const char *rule, const char *message)
{
    for (size_t i = 0; i < log->nf; i++)
        if (strcmp(log->f[i].message, message) == 0 && (!rule || strcmp(log->f[i].rule, rule) == 0))
            return &log->f[i];
    return NULL;
}

/* How many findings of this rule arrived. */
static inline size_t irt_count_rule(const irt_log *log, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < log->nf; i++)
        n += strcmp(log->f[i].rule, rule) == 0;
    return n;
}

/* The first error naming this rule, or NULL. */
static inline const irt_error *irt_find_error(const irt_log *log, const char *rule)
{
    for (size_t i = 0; i < log->ne; i++)
        if (log->err[i].rule && strcmp(log->err[i].rule, rule) == 0)
            return &log->err[i];
    return NULL;
}

/* How many errors name this rule. */
static inline size_t irt_count_errors(const irt_log *log, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < log->ne; i++)
        n += log->err[i].rule && strcmp(log->err[i].rule, rule) == 0;
    return n;
}

/* isorules_add_rules_string / _input_buffer with a NUL-terminated text. */
static inline int irt_rules(isorules_engine *e, const char *name, const char *src)
{
    return isorules_add_rules_string(e, name, src, strlen(src));
}

static inline int irt_input(isorules_engine *e, const char *name, const char *yaml)
{
    return isorules_add_input_buffer(e, name, yaml, strlen(yaml));
}

/* Reads all of fp (from its start) into a NUL-terminated malloc'd string. */
static inline char *irt_slurp(FILE *fp)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    fflush(fp);
    rewind(fp);
    for (;;) {
        if (n + 1024 + 1 > cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb)
                abort();
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, fp);
        n += got;
        if (got == 0)
            break;
    }
    buf[n] = '\0';
    return buf;
}

/* An engine for a test: audit date 2021-12-31, the given instruction budget
 * and memory cap (0: the defaults), and input a.yaml when yaml is not NULL.
 * NULL when any step fails. */
static inline isorules_engine *irt_engine(long long budget, long long memory, const char *yaml)
{
    isorules_engine *e;
    if (isorules_open(&e) != ISORULES_OK)
        return NULL;
    if (isorules_set_as_of(e, "2021-12-31") != ISORULES_OK ||
        (budget && isorules_set_limit(e, "instructions", budget) != ISORULES_OK) ||
        (memory && isorules_set_limit(e, "memory", memory) != ISORULES_OK) ||
        (yaml && irt_input(e, "a.yaml", yaml) != ISORULES_OK)) {
        isorules_close(e);
        return NULL;
    }
    return e;
}

#endif /* ISORULES_TEST_HELPERS_H */
