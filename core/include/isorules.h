/*
 * isorules.h: the whole embedding API of isorules, a rule-checking
 * interpreter for the quality management systems (TCVN ISO 9001:2015) of
 * Vietnamese state agencies.
 *
 * An engine loads YAML inputs (agencies, legal registers, procedure catalogs,
 * plans), runs sandboxed Lua rules over them and hands each finding and each
 * error to a callback as it is produced.
 *
 *     isorules_engine *e;
 *     if (isorules_open(&e) != ISORULES_OK) ...;      // e is NULL only on NOMEM
 *     isorules_add_builtin_rules(e);
 *     isorules_add_input_path(e, "samples/");
 *     isorules_set_as_of(e, "2021-12-31");
 *     isorules_on_finding(e, print_finding, NULL);
 *     isorules_run(e);
 *     isorules_close(e);
 *
 * Threads: an engine is used by one thread at a time; engines share nothing,
 * so one engine per thread runs in parallel safely. The one call that may come
 * from another thread while isorules_run() is running is isorules_cancel().
 *
 * Strings: every string given to the API is UTF-8 and is copied by the call
 * unless its comment says otherwise. Every string the API gives back is owned
 * by the engine, and its lifetime is stated where it is returned.
 *
 * Positions are 1-based lines and columns, columns counted in characters;
 * a column (or line) of 0 means unknown.
 */
#ifndef ISORULES_H
#define ISORULES_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && defined(ISORULES_BUILDING)
#define ISORULES_API __attribute__((visibility("default")))
#else
#define ISORULES_API
#endif

#define ISORULES_VERSION_MAJOR 0
#define ISORULES_VERSION_MINOR 2
#define ISORULES_VERSION_PATCH 0
#define ISORULES_VERSION "0.2.0"
/* The version of the rule API (rule{}, ctx) that rule files see, as the
 * global ISORULES_RULE_API inside rule files. */
#define ISORULES_RULE_API 1
/* The version of the JSON report ("isorules": 1). */
#define ISORULES_REPORT_VERSION 1

/* Result codes. */
#define ISORULES_OK 0
#define ISORULES_ERROR 1     /* see isorules_errmsg() */
#define ISORULES_NOMEM 2     /* out of memory */
#define ISORULES_MISUSE 3    /* bad argument, or call at the wrong time */
#define ISORULES_CANCELLED 4 /* isorules_cancel() stopped the run */

/* Severities, lowest first. */
#define ISORULES_INFO 0
#define ISORULES_WARNING 1
#define ISORULES_ERROR_SEVERITY 2

typedef struct isorules_engine isorules_engine;

/* A finding. Every pointer is owned by the engine and valid only during the
 * callback that receives it: copy what you keep. */
typedef struct isorules_finding {
    const char *rule;     /* rule id, e.g. "QMS001" */
    int severity;         /* ISORULES_INFO, _WARNING or _ERROR_SEVERITY */
    const char *agency;   /* agency id, or NULL (registers, plans, FMT001) */
    const char *subject;  /* normalised subject, or NULL */
    const char *message;  /* in the engine's language */
    const char *file;     /* input file, as given joined with the path below */
    int line, column;     /* 1-based; 0 = unknown */
    int final_pass;       /* 1 when decided by the whole model (comes last) */
} isorules_finding;

/* An error: something that stopped a file or a rule from being audited.
 * Pointers owned by the engine, valid only during the callback. */
typedef struct isorules_error {
    const char *rule;       /* the rule that raised, or NULL */
    const char *file;       /* input file; for a rule error, the rule file */
    int line, column;       /* 0 = unknown */
    const char *input_file; /* rule errors: the input being audited, or NULL */
    int input_line, input_column;
    const char *message;
} isorules_error;

/* Totals of the last run, see isorules_summary(). */
typedef struct isorules_summary {
    int files;    /* input files read */
    int agencies; /* agency documents audited */
    int rules;    /* rules in force (after --only/--skip) */
    int errors, warnings, infos; /* findings by severity */
    int failures; /* entries given to the error callback */
} isorules_summary;

/* A loaded rule. Strings valid until the engine is closed or more rules are
 * added. Titles and explanations may be "" when a rule omits them. */
typedef struct isorules_rule_info {
    const char *id;
    int severity;
    const char *scope; /* "agency", "plan", "model" or "format" */
    const char *title_vi, *title_en;
    const char *explain_vi, *explain_en;
    const char *basis;
    const char *tags;  /* comma-separated, or "" */
    const char *file;  /* rule file, e.g. "rules/qms.lua" for built-ins */
    int line;          /* line of its rule{} call */
    int builtin;       /* 1 for the built-in pack */
} isorules_rule_info;

typedef void (*isorules_finding_fn)(void *ud, const isorules_finding *f);
typedef void (*isorules_error_fn)(void *ud, const isorules_error *err);
/* An agency document was audited: its id (NULL if it has none), file and line.
 * Reported in input order, once its file is done. */
typedef void (*isorules_agency_fn)(void *ud, const char *id, const char *file, int line);
/* The same, with every position: the document's line and column, and where
 * its id's value is (the position of FMT001 for a repeated id). Pointers
 * owned by the engine, valid only during the callback. */
typedef struct isorules_agency {
    const char *id;   /* NULL if it has none */
    const char *file;
    int line, column;
    int id_line, id_column; /* the document's position when it has no id */
} isorules_agency;
typedef void (*isorules_agency_info_fn)(void *ud, const isorules_agency *a);
/* Progress: files finished of total, in the current pass (1 registers,
 * 2 agencies); file is the one now being read (borrowed, during the call). */
typedef void (*isorules_progress_fn)(void *ud, int pass, int done, int total, const char *file);

/* The library's version, e.g. "0.1.0". Static storage. */
ISORULES_API const char *isorules_version(void);
/* ISORULES_VERSION_MAJOR * 10000 + MINOR * 100 + PATCH of the library. */
ISORULES_API int isorules_version_number(void);

/* Creates an engine and stores it in *out. Returns ISORULES_OK, or
 * ISORULES_NOMEM with *out NULL. The caller closes it with isorules_close(). */
ISORULES_API int isorules_open(isorules_engine **out);

/* Frees the engine and everything it owns. NULL is a harmless no-op. */
ISORULES_API void isorules_close(isorules_engine *e);

/* The message of the last failed call on e, in English. Valid until the next
 * call on e. Never NULL; "" when the last call succeeded. */
ISORULES_API const char *isorules_errmsg(isorules_engine *e);

/* Language of titles and messages: "vi" or "en" (default "en").
 * Returns ISORULES_MISUSE for anything else. */
ISORULES_API int isorules_set_lang(isorules_engine *e, const char *lang);

/* The audit date, ISO (2021-12-31) or D/M/YYYY. Default: today, local time.
 * Returns ISORULES_MISUSE for a string that is not a real date. */
ISORULES_API int isorules_set_as_of(isorules_engine *e, const char *date);

/* The audit date in force, ISO form. Valid until the next set_as_of. */
ISORULES_API const char *isorules_as_of(isorules_engine *e);

/* Limits. Names and defaults (isorules_limit_name(i) lists them):
 *   instructions  Lua instructions per rule run        10000000
 *   memory        bytes a rule run may allocate         67108864
 *   file-size     bytes per input file                  67108864
 *   depth         nesting of YAML collections                 64
 *   scalar        bytes per YAML scalar                  1048576
 *   documents     YAML documents per file                 100000
 *   nodes         YAML nodes per file                   10000000
 *   state-memory  bytes of the whole Lua state        1073741824
 *   time          milliseconds a rule run may take        10000
 * A value of 0 means no limit. Returns ISORULES_MISUSE for an unknown name
 * or a negative value. */
ISORULES_API int isorules_set_limit(isorules_engine *e, const char *name, long long value);
ISORULES_API long long isorules_get_limit(isorules_engine *e, const char *name);
/* The i-th limit's name (static storage), or NULL past the last one. */
ISORULES_API const char *isorules_limit_name(int i);
/* One line saying what the i-th limit bounds (static storage), or NULL. */
ISORULES_API const char *isorules_limit_help(int i);

/* Rule sources. Each returns ISORULES_OK, or ISORULES_ERROR when the source
 * could not be read or raised an error while loading: the message is in
 * isorules_errmsg() and the error is also given to the error callback at the
 * start of every run (a failed rule source does not stop the audit).
 * A rule whose id is already loaded replaces the earlier one. */
ISORULES_API int isorules_add_builtin_rules(isorules_engine *e);
/* A Lua file, or a directory: every *.lua below it, in byte order of paths. */
ISORULES_API int isorules_add_rules_path(isorules_engine *e, const char *path);
/* Rule source in memory; name is used in positions ("my-rules.lua"). */
ISORULES_API int isorules_add_rules_string(isorules_engine *e, const char *name,
                                           const char *src, size_t len);

/* Loaded rules: count, and the i-th (0-based) or NULL past the last. */
ISORULES_API int isorules_rule_count(isorules_engine *e);
ISORULES_API const isorules_rule_info *isorules_rule_at(isorules_engine *e, int i);
/* The rule with this id, or NULL. */
ISORULES_API const isorules_rule_info *isorules_rule_find(isorules_engine *e, const char *id);
/* 1 when the rule with this id is in force (loaded and chosen by
 * isorules_select) for the current or last run, else 0 (since 0.2). */
ISORULES_API int isorules_rule_selected(isorules_engine *e, const char *id);

/* Which rules run: comma-separated ids, a trailing '*' matching a prefix
 * ("QMS0*"). only NULL or "" = all; skip NULL or "" = none. Copied. */
ISORULES_API int isorules_select(isorules_engine *e, const char *only, const char *skip);

/* Inputs. A path is a YAML file or a directory (FORMAT.md); it is read when
 * the engine runs, so a missing path is an error of the run, not of this
 * call. A buffer is copied; name is used in positions and orders it among
 * the files. */
ISORULES_API int isorules_add_input_path(isorules_engine *e, const char *path);
ISORULES_API int isorules_add_input_buffer(isorules_engine *e, const char *name,
                                           const char *data, size_t len);
/* Forgets all inputs (rules, limits and callbacks stay). Does nothing when
 * called from a callback of a run. */
ISORULES_API void isorules_clear_inputs(isorules_engine *e);

/* Threads for the agencies (the second pass): each worker has an engine of
 * its own; the findings, errors and their order are those of one thread.
 * 1 (the default) to 256; ISORULES_MISUSE otherwise. */
ISORULES_API int isorules_set_jobs(isorules_engine *e, int jobs);

/* Callbacks; fn NULL removes one. ud is passed back untouched. */
ISORULES_API void isorules_on_finding(isorules_engine *e, isorules_finding_fn fn, void *ud);
ISORULES_API void isorules_on_error(isorules_engine *e, isorules_error_fn fn, void *ud);
ISORULES_API void isorules_on_agency(isorules_engine *e, isorules_agency_fn fn, void *ud);
/* Called right after the agency callback, for the same agency (since 0.2). */
ISORULES_API void isorules_on_agency_info(isorules_engine *e, isorules_agency_info_fn fn, void *ud);
ISORULES_API void isorules_on_progress(isorules_engine *e, isorules_progress_fn fn, void *ud);

/* Owned lists, for callers who prefer them to callbacks: with on != 0 the
 * engine also keeps a copy of every finding and error of each run (callbacks
 * are still called). The lists are emptied when a run starts and when
 * keeping is turned off. */
ISORULES_API void isorules_keep_results(isorules_engine *e, int on);
/* Findings of the last run, in report order. The pointers stay valid until
 * the next isorules_run, isorules_keep_results or isorules_close. */
ISORULES_API size_t isorules_finding_count(isorules_engine *e);
ISORULES_API const isorules_finding *isorules_finding_at(isorules_engine *e, size_t i);
/* Errors of the last run, in the order they came; same lifetime. */
ISORULES_API size_t isorules_error_count(isorules_engine *e);
ISORULES_API const isorules_error *isorules_error_at(isorules_engine *e, size_t i);

/* Audits the inputs with the rules in force. Findings come file by file in
 * byte order of paths, sorted within a file by line, column, rule, subject,
 * message; whole-model findings last. Returns ISORULES_OK when the run went
 * to its end (whatever it found or failed to read: see the summary),
 * ISORULES_CANCELLED, ISORULES_NOMEM, or ISORULES_MISUSE when called from a
 * callback. An engine may run again, with the same or other inputs. */
ISORULES_API int isorules_run(isorules_engine *e);

/* Totals of the last run. */
ISORULES_API void isorules_get_summary(isorules_engine *e, isorules_summary *out);
/* The i-th input file of the last run (0-based, in byte order of the
 * paths), or NULL past the last (summary.files of them). Valid until the
 * next run or isorules_close (since 0.2). */
ISORULES_API const char *isorules_input_name(const isorules_engine *e, int i);

/* Asks a running isorules_run() to stop soon (between two files, or inside a
 * rule at its next instructions). Safe from any thread and from a signal
 * handler. The next isorules_run() clears the request. */
ISORULES_API void isorules_cancel(isorules_engine *e);

/* "error", "warning" or "info" (static storage); NULL for anything else. */
ISORULES_API const char *isorules_severity_name(int severity);

/* Rule tests (isorules test): every file below the paths that holds a
 * `kind: expect` document is a test, audited at its as_of with e's rules,
 * selection, limits and language, its findings compared with the expected
 * ones as a multiset of (rule, agency, subject). Writes `ok FILE` or
 * `FAIL FILE` with each missing and unexpected finding, then
 * `N passed, N failed`, to out (borrowed). Replaces e's inputs and restores
 * its finding and error callbacks. Returns 0 when all passed, 1 when one
 * failed, 2 when one could not run (an input error in its model, a malformed
 * expect document, an unreadable file). */
ISORULES_API int isorules_test_paths(isorules_engine *e, const char *const *paths, int npaths, FILE *out);

/* ---- Reports ----
 * A report writer turns a run into text or JSON (the formats of the
 * isorules command, CLI.md). It installs the engine's finding, error and
 * agency callbacks; findings are written as they come. The JSON agency list,
 * which comes last, waits in an unlinked temporary file in $TMPDIR (or
 * /tmp; in memory when none can be made there) until
 * isorules_report_finish.
 *
 *     isorules_report *r;
 *     isorules_report_open(&r, "json", stdout, stderr, "en");
 *     isorules_report_attach(r, e);
 *     isorules_run(e);
 *     if (isorules_report_finish(r, e) != ISORULES_OK) ... // a write failed
 *     isorules_report_close(r);
 */
typedef struct isorules_report isorules_report;

/* format: "text" or "json". out receives the report; err (text only) the
 * errors entries, one line each (may be the same stream, or NULL to drop
 * them). Both streams are borrowed: the caller keeps them open until
 * isorules_report_close and closes them. lang: "vi" or "en" for the summary
 * line. Returns ISORULES_OK, ISORULES_MISUSE for an unknown format, or
 * ISORULES_NOMEM; *out is NULL unless ISORULES_OK. */
ISORULES_API int isorules_report_open(isorules_report **out, const char *format, FILE *out_fp,
                                      FILE *err_fp, const char *lang);
/* Installs r's callbacks on e (replacing the finding, error and agency
 * callbacks, agency info included). Attach before isorules_run; r must
 * outlive the run, and an engine that runs again after r is closed needs
 * those callbacks replaced or removed (isorules_on_finding(e, NULL, NULL)...). */
ISORULES_API void isorules_report_attach(isorules_report *r, isorules_engine *e);
/* Writes what comes after the findings (JSON: errors, summary, agencies;
 * text: the summary line) and flushes. Returns ISORULES_OK, or
 * ISORULES_ERROR when any write to out failed (disk full, closed pipe). */
ISORULES_API int isorules_report_finish(isorules_report *r, isorules_engine *e);
/* Frees r; NULL is a no-op. Does not close the streams. */
ISORULES_API void isorules_report_close(isorules_report *r);

/* ---- Merging shards (since 0.2) ----
 * Reads the JSON reports that `audit` wrote for shards of one model (for
 * example one province each, every shard given the national registers too)
 * and writes with r (opened, not attached) one report as if the union had
 * been audited at once (CLI.md "isorules merge", docs/cli.md): findings and
 * errors of all shards in report order, what several shards report
 * identically as often as one of them does, FMT001 for an agency id repeated
 * across shards when they ran it (in the reports' language, which the merged
 * report is written in; lang, "vi" or "en", for reports that do not say
 * theirs), the summary recomputed into
 * *sum. Reports of different as_of or language are refused.
 * Returns ISORULES_OK; ISORULES_ERROR with a message in msg (msglen bytes)
 * when a report cannot be read or the reports do not fit together (nothing
 * is written) or when writing failed; ISORULES_NOMEM. */
ISORULES_API int isorules_merge(isorules_report *r, const char *const *reports, int n, const char *lang,
                                isorules_summary *sum, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif
