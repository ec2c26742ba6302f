/* cli.c: the isorules command (CLI.md), a thin client of isorules.h. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isorules.h"

#define EXIT_FOUND 1
#define EXIT_TROUBLE 2

static const char usage_main[] =
    "usage: isorules COMMAND [options] [PATH...]\n"
    "\n"
    "Checks YAML descriptions of agencies' quality management systems (TCVN ISO\n"
    "9001:2015) against a pack of Lua rules.\n"
    "\n"
    "commands:\n"
    "  audit [options] PATH...      audit YAML files or folders (every *.yaml, *.yml below)\n"
    "  test [options] PATH...       run rule tests (files holding a `kind: expect` document)\n"
    "  rules [--format text|json]   list the rules in force: id, severity, title, basis\n"
    "  rules show ID                a rule's full explanation, legal basis and source file\n"
    "  merge [options] REPORT...    combine the JSON reports of shards into one report\n"
    "  version                      print the version\n"
    "  help [COMMAND|limits]        this text, a command's options, or the limits\n"
    "\n"
    "Every command also takes --help. 'isorules help audit' lists the audit options.\n"
    "exit codes: 0 nothing found at or above --fail-on; 1 something found;\n"
    "            2 bad usage, an unreadable input, or a rule that failed.\n";

static const char usage_audit[] =
    "usage: isorules audit [options] PATH...\n"
    "\n"
    "Audits the YAML files and folders given (every *.yaml and *.yml below a folder,\n"
    "hidden ones skipped), all taken together in byte order of their paths.\n"
    "\n"
    "options:\n"
    "  --as-of DATE        the audit date, YYYY-MM-DD or D/M/YYYY (default: today)\n"
    "  --rules PATH        add the rules of a Lua file or folder (repeatable); a rule\n"
    "                      with a built-in id replaces it\n"
    "  --no-builtin        do not load the built-in rule pack (FMT rules stay)\n"
    "  --only IDS          run only these rules: comma-separated, QMS0* for a prefix\n"
    "  --skip IDS          do not run these rules\n"
    "  --format FMT        text (default) or json\n"
    "  -o, --output FILE   write the report there, atomically (default: stdout)\n"
    "  --fail-on LEVEL     error (default), warning, info or never: the lowest\n"
    "                      severity that makes the exit code 1\n"
    "  --lang vi|en        language of messages (default: from LANG, vi* -> vi)\n"
    "  -j N                worker threads (default: the number of cores); the report\n"
    "                      is the same with any N\n"
    "  -q, --quiet, --no-progress\n"
    "                      no progress line on stderr (shown only on a terminal)\n"
    "  --limit NAME=VALUE  change a limit (repeatable); 'isorules help limits'\n"
    "\n"
    "Findings print as FILE:LINE:COL: SEVERITY RULE [AGENCY] SUBJECT: MESSAGE, then a\n"
    "summary line. Errors (unreadable inputs, failing rules) go to stderr in text\n"
    "format and into \"errors\" in JSON. The JSON agency list waits in an unlinked\n"
    "file in TMPDIR (default /tmp), or in memory when none can be made there.\n";

static const char usage_test[] =
    "usage: isorules test [--rules PATH] [--no-builtin] [--only IDS] [--skip IDS]\n"
    "                     [--lang vi|en] [--limit NAME=VALUE] PATH...\n"
    "\n"
    "Runs rule tests. Every YAML file below PATH that holds a `kind: expect` document\n"
    "is a test: its other documents (for a file named expect.yaml, every YAML file of\n"
    "its folder and below) are audited at the expect document's as_of, and the\n"
    "findings must be exactly its `findings`, as a multiset of (rule, agency,\n"
    "subject). Prints ok or FAIL per test with each missing and unexpected finding,\n"
    "then `N passed, N failed`. Exit 0 all passed, 1 some failed, 2 some could not\n"
    "run (an input error in the model, a malformed expect document, a rule file\n"
    "that failed to load).\n";

static const char usage_merge[] =
    "usage: isorules merge [--format text|json] [-o FILE] [--fail-on LEVEL] [--lang vi|en]\n"
    "                      REPORT...\n"
    "\n"
    "Combines the JSON reports that `isorules audit --format json` wrote for shards of\n"
    "one model (for example one province each, every shard given the national\n"
    "registers too) into one report, as if the union had been audited at once:\n"
    "findings and errors of all shards in report order, what several shards report\n"
    "identically as often as one shard does, FMT001 for an agency id repeated\n"
    "across shards (when they ran it), the summary\n"
    "recounted. Reports of different as_of are refused. Options as for audit;\n"
    "--lang: the language of the report when the reports do not say theirs (a\n"
    "merged report is in the language of its reports).\n"
    "Exit codes as for audit; 2 also when a report cannot be read or they do not\n"
    "fit together (then nothing is written). See docs/scaling.md.\n";

static const char usage_rules[] =
    "usage: isorules rules [--format text|json] [--rules PATH] [--no-builtin] [--lang vi|en]\n"
    "       isorules rules show ID\n"
    "\n"
    "Lists the rules in force, or shows one rule's explanation, legal basis and source.\n";

/* ---- options ---- */

typedef struct opts {
    const char *as_of, *only, *skip, *format, *output, *fail_on, *lang;
    const char **rules;
    int nrules;
    const char **limits;
    int nlimits;
    const char **paths;
    int npaths;
    int no_builtin, quiet, help, jobs;
} opts;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "isorules: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see 'isorules help')\n");
    return EXIT_TROUBLE;
}

/* Takes the value of option name at argv[*i] (--name=value or --name value). */
static const char *value_of(int argc, char **argv, int *i, const char *name, int *bad)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) == 0 && a[n] == '=')
        return a + n + 1;
    if (strcmp(a, name) == 0) {
        if (*i + 1 < argc)
            return argv[++*i];
        usage_error("option %s needs a value", name);
        *bad = 1;
        return NULL;
    }
    return NULL;
}

static int is_opt(const char *a, const char *name)
{
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static int parse_opts(int argc, char **argv, int first, opts *o)
{
    memset(o, 0, sizeof *o);
    o->rules = calloc((size_t)argc, sizeof *o->rules);
    o->limits = calloc((size_t)argc, sizeof *o->limits);
    o->paths = calloc((size_t)argc, sizeof *o->paths);
    if (!o->rules || !o->limits || !o->paths)
        return usage_error("%s", "out of memory");
    int bad = 0, only_paths = 0;
    for (int i = first; i < argc && !bad; i++) {
        const char *a = argv[i], *v;
        if (only_paths || a[0] != '-' || strcmp(a, "-") == 0) {
            o->paths[o->npaths++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0)
            only_paths = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            o->help = 1;
        else if (strcmp(a, "--no-builtin") == 0)
            o->no_builtin = 1;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0 || strcmp(a, "--no-progress") == 0)
            o->quiet = 1;
        else if (is_opt(a, "--as-of"))
            o->as_of = value_of(argc, argv, &i, "--as-of", &bad);
        else if (is_opt(a, "--rules")) {
            if ((v = value_of(argc, argv, &i, "--rules", &bad)))
                o->rules[o->nrules++] = v;
        } else if (is_opt(a, "--only"))
            o->only = value_of(argc, argv, &i, "--only", &bad);
        else if (is_opt(a, "--skip"))
            o->skip = value_of(argc, argv, &i, "--skip", &bad);
        else if (is_opt(a, "--format"))
            o->format = value_of(argc, argv, &i, "--format", &bad);
        else if (is_opt(a, "--output"))
            o->output = value_of(argc, argv, &i, "--output", &bad);
        else if (strcmp(a, "-o") == 0)
            o->output = value_of(argc, argv, &i, "-o", &bad);
        else if (is_opt(a, "--fail-on"))
            o->fail_on = value_of(argc, argv, &i, "--fail-on", &bad);
        else if (is_opt(a, "--lang"))
            o->lang = value_of(argc, argv, &i, "--lang", &bad);
        else if (is_opt(a, "--limit")) {
            if ((v = value_of(argc, argv, &i, "--limit", &bad)))
                o->limits[o->nlimits++] = v;
        } else if (strncmp(a, "-j", 2) == 0) {
            const char *n = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
            char *end;
            long j = n ? strtol(n, &end, 10) : 0;
            if (!n || *end || j < 1 || j > 256)
                return usage_error("-j takes a number of threads, 1 to 256%s", "");
            o->jobs = (int)j;
        } else
            return usage_error("unknown option '%s'", a);
    }
    return bad ? EXIT_TROUBLE : 0;
}

static void free_opts(opts *o)
{
    free(o->rules);
    free(o->limits);
    free(o->paths);
}

/* The language: --lang, else LC_ALL, LC_MESSAGES, LANG (vi* -> vi), else en. */
static const char *pick_lang(const char *given)
{
    if (given)
        return given;
    const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return strncmp(v, "vi", 2) == 0 ? "vi" : "en";
    }
    return "en";
}

/* Loads rules and settings shared by audit and rules. A rule source that
 * fails to load is an errors entry of the audit; with say_errors (rules
 * command), it is printed here. Returns 0, or an exit code. */
static int setup_engine(isorules_engine *e, const opts *o, int say_errors)
{
    const char *lang = pick_lang(o->lang);
    int rc = 0;
    if (isorules_set_lang(e, lang) != ISORULES_OK)
        return usage_error("--lang takes vi or en, not '%s'", lang);
    if (!o->no_builtin && isorules_add_builtin_rules(e) != ISORULES_OK && say_errors)
        fprintf(stderr, "isorules: %s\n", isorules_errmsg(e)), rc = EXIT_TROUBLE;
    for (int i = 0; i < o->nrules; i++)
        if (isorules_add_rules_path(e, o->rules[i]) != ISORULES_OK && say_errors)
            fprintf(stderr, "isorules: %s\n", isorules_errmsg(e)), rc = EXIT_TROUBLE;
    return rc;
}

/* ---- audit ---- */

static isorules_engine *volatile running_engine;
static volatile sig_atomic_t got_signal;
static char temp_path[4096]; /* the report being written, for the watchdog */

/* The cancel lands at the rule's next instructions or the next agency; if a
 * C function still holds the thread 5 s later, remove the temporary report
 * and go (unlink and _exit are async-signal-safe). */
static void on_alarm(int sig)
{
    (void)sig;
    if (temp_path[0])
        unlink(temp_path);
    _exit(128 + (got_signal ? got_signal : SIGALRM));
}

static void on_signal(int sig)
{
    got_signal = sig;
    if (running_engine)
        isorules_cancel(running_engine);
    signal(SIGALRM, on_alarm);
    alarm(5);
    signal(sig, SIG_DFL); /* a second one ends the process at once */
}

static void on_progress(void *ud, int pass, int done, int total, const char *file)
{
    (void)ud;
    if (file)
        fprintf(stderr, "\r\033[K[%d/2] %d/%d %.60s", pass, done, total, file);
    else
        fprintf(stderr, "\r\033[K");
}

static int severity_level(const char *s)
{
    if (!s || strcmp(s, "error") == 0)
        return ISORULES_ERROR_SEVERITY;
    if (strcmp(s, "warning") == 0)
        return ISORULES_WARNING;
    if (strcmp(s, "info") == 0)
        return ISORULES_INFO;
    if (strcmp(s, "never") == 0)
        return 99;
    return -1;
}

static int apply_limits(isorules_engine *e, const opts *o)
{
    for (int i = 0; i < o->nlimits; i++) {
        char name[64];
        const char *eq = strchr(o->limits[i], '=');
        char *end;
        if (!eq || (size_t)(eq - o->limits[i]) >= sizeof name)
            return usage_error("--limit takes NAME=VALUE, not '%s'", o->limits[i]);
        memcpy(name, o->limits[i], (size_t)(eq - o->limits[i]));
        name[eq - o->limits[i]] = '\0';
        errno = 0;
        long long v = strtoll(eq + 1, &end, 10);
        if (!eq[1] || *end || errno || v < 0)
            return usage_error("--limit: '%s' needs a whole number of 0 or more", o->limits[i]);
        if (isorules_set_limit(e, name, v) != ISORULES_OK)
            return usage_error("--limit: unknown limit '%s' (see 'isorules help limits')", name);
    }
    return 0;
}

/* The report goes to a temporary file beside FILE, renamed over it once
 * complete, so that a failed or interrupted run leaves no half file. */
typedef struct output {
    FILE *fp;
    char *tmp;
    const char *final;
} output;

static int output_open(output *out, const char *path)
{
    memset(out, 0, sizeof *out);
    if (!path || strcmp(path, "-") == 0) {
        out->fp = stdout;
        return 0;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* a device or a FIFO cannot be replaced: write to it directly */
        if (!(out->fp = fopen(path, "w"))) {
            fprintf(stderr, "isorules: cannot write %s: %s\n", path, strerror(errno));
            return -1;
        }
        out->final = path;
        return 0;
    }
    size_t n = strlen(path) + 16;
    out->tmp = malloc(n);
    if (!out->tmp)
        return -1;
    snprintf(out->tmp, n, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(out->tmp);
    if (fd >= 0) {
        /* mkstemp makes the file 0600: give the report the mode a new file
         * gets, or the one of the file it replaces */
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, stat(path, &st) == 0 ? st.st_mode & 07777 : 0666 & ~mask);
    }
    if (fd < 0 || !(out->fp = fdopen(fd, "w"))) {
        fprintf(stderr, "isorules: cannot write %s: %s\n", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(out->tmp);
        }
        free(out->tmp);
        out->tmp = NULL;
        return -1;
    }
    out->final = path;
    snprintf(temp_path, sizeof temp_path, "%s", out->tmp);
    return 0;
}

/* Completes (ok) or abandons the output. Returns 0, or -1 after a message. */
static int output_close(output *out, int ok)
{
    if (!out->tmp && out->final) { /* a device */
        if (fclose(out->fp) != 0 && ok) {
            fprintf(stderr, "isorules: cannot write %s: %s\n", out->final, strerror(errno));
            ok = 0;
        }
        return ok ? 0 : -1;
    }
    if (!out->tmp)
        return ok ? 0 : -1;
    int rc = 0;
    if (ok && (fflush(out->fp) != 0 || fsync(fileno(out->fp)) != 0))
        ok = 0, rc = -1;
    if (fclose(out->fp) != 0 && ok)
        ok = 0, rc = -1;
    if (ok && rename(out->tmp, out->final) != 0)
        ok = 0, rc = -1;
    if (rc)
        fprintf(stderr, "isorules: cannot write %s: %s\n", out->final, strerror(errno));
    if (!ok)
        unlink(out->tmp);
    temp_path[0] = '\0';
    free(out->tmp);
    return ok ? 0 : -1;
}

/* --format and --fail-on of a command that writes a report; 0, or -1 after
 * the usage message. */
static int check_report_opts(const opts *o, const char *format, int *fail_on)
{
    if (strcmp(format, "sarif") == 0 || strcmp(format, "junit") == 0 || strcmp(format, "html") == 0)
        return usage_error("--format %s is not available in this version (text, json)", format), -1;
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return usage_error("--format takes text or json, not '%s'", format), -1;
    *fail_on = severity_level(o->fail_on);
    if (*fail_on < 0)
        return usage_error("--fail-on takes error, warning, info or never, not '%s'", o->fail_on), -1;
    return 0;
}

/* The exit code for a report written (ok) with summary s. */
static int exit_code(const isorules_summary *s, int ok, int fail_on)
{
    if (!ok || s->failures > 0)
        return EXIT_TROUBLE;
    int worst = s->errors     ? ISORULES_ERROR_SEVERITY
                : s->warnings ? ISORULES_WARNING
                : s->infos    ? ISORULES_INFO
                              : -1;
    return worst >= fail_on ? EXIT_FOUND : 0;
}

static int cmd_audit(const opts *o)
{
    const char *format = o->format ? o->format : "text";
    if (o->help) {
        fputs(usage_audit, stdout);
        return 0;
    }
    int fail_on;
    if (check_report_opts(o, format, &fail_on) != 0)
        return EXIT_TROUBLE;
    if (o->npaths == 0)
        return usage_error("%s", "audit needs at least one file or folder");

    isorules_engine *e;
    if (isorules_open(&e) != ISORULES_OK)
        return usage_error("%s", "out of memory");
    /* the limits first: loading a rule file runs its code, within them */
    int rc = apply_limits(e, o);
    if (!rc)
        rc = setup_engine(e, o, 0);
    if (!rc && o->as_of && isorules_set_as_of(e, o->as_of) != ISORULES_OK)
        rc = usage_error("--as-of: %s", isorules_errmsg(e));
    if (!rc)
        isorules_select(e, o->only, o->skip);
    if (!rc) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        int jobs = o->jobs ? o->jobs : cores > 0 ? (int)(cores > 256 ? 256 : cores) : 1;
        isorules_set_jobs(e, jobs > 256 ? 256 : jobs);
    }
    for (int i = 0; !rc && i < o->npaths; i++)
        isorules_add_input_path(e, o->paths[i]);
    output out;
    if (!rc && output_open(&out, o->output) != 0)
        rc = EXIT_TROUBLE;
    if (rc) {
        isorules_close(e);
        return rc;
    }
    isorules_report *r;
    isorules_report_open(&r, format, out.fp, stderr, pick_lang(o->lang));
    isorules_report_attach(r, e);
    if (!o->quiet && isatty(STDERR_FILENO))
        isorules_on_progress(e, on_progress, NULL);
    running_engine = e;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int run = isorules_run(e);
    running_engine = NULL;
    isorules_summary s;
    isorules_get_summary(e, &s);
    int wrote = run == ISORULES_OK && isorules_report_finish(r, e) == ISORULES_OK;
    if (run == ISORULES_OK && !wrote && !out.tmp)
        fprintf(stderr, "isorules: writing the report failed: %s\n", strerror(errno ? errno : EIO));
    if (run != ISORULES_OK && run != ISORULES_CANCELLED)
        fprintf(stderr, "isorules: %s\n", isorules_errmsg(e));
    int closed = output_close(&out, wrote);
    isorules_report_close(r);
    isorules_close(e);
    if (got_signal) {
        fprintf(stderr, "isorules: interrupted\n");
        signal(got_signal, SIG_DFL);
        raise(got_signal);
        return 128 + got_signal;
    }
    return exit_code(&s, wrote && closed == 0, fail_on);
}

/* ---- test ---- */

static int cmd_test(const opts *o)
{
    if (o->help) {
        fputs(usage_test, stdout);
        return 0;
    }
    if (o->npaths == 0)
        return usage_error("%s", "test needs at least one file or folder");
    if (o->format || o->output || o->as_of || o->fail_on)
        return usage_error("%s", "test takes --rules, --no-builtin, --only, --skip, --lang, --limit");
    isorules_engine *e;
    if (isorules_open(&e) != ISORULES_OK)
        return usage_error("%s", "out of memory");
    int rc = apply_limits(e, o);
    if (!rc)
        rc = setup_engine(e, o, 0);
    if (!rc) {
        isorules_select(e, o->only, o->skip);
        rc = isorules_test_paths(e, o->paths, o->npaths, stdout);
    }
    isorules_close(e);
    if (fflush(stdout) != 0)
        rc = EXIT_TROUBLE;
    return rc;
}

/* ---- rules ---- */

static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static int rule_cmp(const void *a, const void *b)
{
    return strcmp((*(const isorules_rule_info *const *)a)->id, (*(const isorules_rule_info *const *)b)->id);
}

static int cmd_rules(const opts *o)
{
    if (o->help) {
        fputs(usage_rules, stdout);
        return 0;
    }
    const char *format = o->format ? o->format : "text";
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return usage_error("rules: --format takes text or json, not '%s'", format);
    int show = o->npaths > 0 && strcmp(o->paths[0], "show") == 0;
    if ((show && o->npaths != 2) || (!show && o->npaths > 0))
        return usage_error("%s", "usage: isorules rules [--format text|json] | isorules rules show ID");
    isorules_engine *e;
    if (isorules_open(&e) != ISORULES_OK)
        return usage_error("%s", "out of memory");
    int rc = setup_engine(e, o, 1);
    int vi = strcmp(pick_lang(o->lang), "vi") == 0;
    if (show) {
        const isorules_rule_info *r = isorules_rule_find(e, o->paths[1]);
        if (!r) {
            isorules_close(e);
            return usage_error("no rule '%s' (see 'isorules rules')", o->paths[1]);
        }
        printf("%s  %s  (%s, scope %s)\n\n", r->id, vi ? r->title_vi : r->title_en,
               isorules_severity_name(r->severity), r->scope);
        printf("%s\n\n", vi ? r->explain_vi : r->explain_en);
        printf("%s: %s\n", vi ? "Căn cứ" : "Legal basis", r->basis);
        printf("%s: %s\n", vi ? "Tiêu đề (en)" : "Title (vi)", vi ? r->title_en : r->title_vi);
        printf("%s: %s:%d%s\n", vi ? "Tệp" : "Source", r->file, r->line,
               r->builtin ? (vi ? " (tích hợp sẵn)" : " (built in)") : "");
        isorules_close(e);
        return rc;
    }
    int n = isorules_rule_count(e);
    const isorules_rule_info **sorted = calloc((size_t)n + 1, sizeof *sorted);
    if (!sorted) {
        isorules_close(e);
        return usage_error("%s", "out of memory");
    }
    for (int i = 0; i < n; i++)
        sorted[i] = isorules_rule_at(e, i);
    qsort(sorted, (size_t)n, sizeof *sorted, rule_cmp);
    if (strcmp(format, "json") == 0)
        printf("[");
    for (int i = 0; i < n; i++) {
        const isorules_rule_info *r = sorted[i];
        if (strcmp(format, "json") == 0) {
            printf(i ? ",\n  { \"id\": " : "\n  { \"id\": ");
            json_string(r->id);
            printf(", \"severity\": ");
            json_string(isorules_severity_name(r->severity));
            printf(", \"scope\": ");
            json_string(r->scope);
            printf(", \"title\": { \"vi\": ");
            json_string(r->title_vi);
            printf(", \"en\": ");
            json_string(r->title_en);
            printf(" }, \"explain\": { \"vi\": ");
            json_string(r->explain_vi);
            printf(", \"en\": ");
            json_string(r->explain_en);
            printf(" }, \"basis\": ");
            json_string(r->basis);
            printf(", \"tags\": ");
            json_string(r->tags);
            printf(", \"file\": ");
            json_string(r->file);
            printf(", \"line\": %d, \"builtin\": %s }", r->line, r->builtin ? "true" : "false");
        } else {
            printf("%-8s %-7s %s  [%s]\n", r->id, isorules_severity_name(r->severity),
                   vi ? r->title_vi : r->title_en, r->basis);
        }
    }
    if (strcmp(format, "json") == 0)
        printf("\n]\n");
    free(sorted);
    isorules_close(e);
    return rc;
}

/* ---- merge ---- */

/* Merging runs no rule to cancel: an interrupt removes the temporary report
 * and ends the process (unlink and _exit are async-signal-safe). */
static void on_merge_signal(int sig)
{
    if (temp_path[0])
        unlink(temp_path);
    _exit(128 + sig);
}

static int cmd_merge(const opts *o)
{
    const char *format = o->format ? o->format : "text";
    if (o->help) {
        fputs(usage_merge, stdout);
        return 0;
    }
    if (o->nrules || o->no_builtin || o->only || o->skip || o->as_of || o->nlimits || o->jobs)
        return usage_error("%s", "merge takes only --format, -o, --fail-on, --lang and reports");
    int fail_on;
    if (check_report_opts(o, format, &fail_on) != 0)
        return EXIT_TROUBLE;
    if (o->npaths == 0)
        return usage_error("%s", "merge needs at least one JSON report of isorules audit");
    output out;
    if (output_open(&out, o->output) != 0)
        return EXIT_TROUBLE;
    isorules_report *r;
    if (isorules_report_open(&r, format, out.fp, stderr, pick_lang(o->lang)) != ISORULES_OK) {
        output_close(&out, 0);
        return usage_error("%s", "out of memory");
    }
    signal(SIGINT, on_merge_signal);
    signal(SIGTERM, on_merge_signal);
    isorules_summary s;
    char msg[600];
    int rc = isorules_merge(r, o->paths, o->npaths, pick_lang(o->lang), &s, msg, sizeof msg);
    if (rc != ISORULES_OK)
        fprintf(stderr, "isorules: %s\n", msg);
    int closed = output_close(&out, rc == ISORULES_OK);
    isorules_report_close(r);
    return exit_code(&s, rc == ISORULES_OK && closed == 0, fail_on);
}

/* ---- help ---- */

static int cmd_help(const char *topic)
{
    if (!topic) {
        fputs(usage_main, stdout);
    } else if (strcmp(topic, "audit") == 0) {
        fputs(usage_audit, stdout);
    } else if (strcmp(topic, "rules") == 0) {
        fputs(usage_rules, stdout);
    } else if (strcmp(topic, "test") == 0) {
        fputs(usage_test, stdout);
    } else if (strcmp(topic, "merge") == 0) {
        fputs(usage_merge, stdout);
    } else if (strcmp(topic, "limits") == 0) {
        isorules_engine *e;
        if (isorules_open(&e) != ISORULES_OK)
            return EXIT_TROUBLE;
        printf("limits (--limit NAME=VALUE; 0 = none), with their defaults:\n");
        for (int i = 0; isorules_limit_name(i); i++)
            printf("  %-13s %12lld  %s\n", isorules_limit_name(i), isorules_get_limit(e, isorules_limit_name(i)),
                   isorules_limit_help(i));
        isorules_close(e);
    } else if (strcmp(topic, "version") == 0) {
        printf("usage: isorules version\n");
    } else {
        return usage_error("no help on '%s'", topic);
    }
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN); /* a closed pipe is a write error, not a death */
    if (argc < 2)
        return fputs(usage_main, stderr), EXIT_TROUBLE;
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
        return cmd_help(NULL);
    if (strcmp(cmd, "help") == 0)
        return cmd_help(argc > 2 ? argv[2] : NULL);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("isorules %s (rule API %d, report format %d)\n", isorules_version(), ISORULES_RULE_API,
               ISORULES_REPORT_VERSION);
        return 0;
    }
    if (strcmp(cmd, "audit") != 0 && strcmp(cmd, "rules") != 0 && strcmp(cmd, "test") != 0 &&
        strcmp(cmd, "merge") != 0)
        return usage_error("unknown command '%s'", cmd);
    opts o;
    int rc = parse_opts(argc, argv, 2, &o);
    if (rc == 0)
        rc = strcmp(cmd, "audit") == 0   ? cmd_audit(&o)
             : strcmp(cmd, "test") == 0  ? cmd_test(&o)
             : strcmp(cmd, "merge") == 0 ? cmd_merge(&o)
                                         : cmd_rules(&o);
    free_opts(&o);
    return rc;
}
