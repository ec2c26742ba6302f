/* engine.h: the engine's state, shared by the stages (internal). */
#ifndef ISORULES_ENGINE_H
#define ISORULES_ENGINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <lua.h>

#include "isorules.h"
#include "pool.h"
#include "pos.h"

enum {
    LIM_INSTRUCTIONS,
    LIM_MEMORY,
    LIM_FILE_SIZE,
    LIM_DEPTH,
    LIM_SCALAR,
    LIM_DOCUMENTS,
    LIM_NODES,
    LIM_STATE_MEMORY,
    LIM_TIME,
    LIM_COUNT
};

enum { SCOPE_AGENCY, SCOPE_PLAN, SCOPE_MODEL, SCOPE_FORMAT };
/* Bounds on what one rule run may leave outside its Lua state. */
#define MAX_RUN_FINDINGS 10000
#define MAX_SUBJECT 1024
#define MAX_MESSAGE 4096
enum { LANG_EN, LANG_VI };
/* why a rule run was stopped from outside the rule (the hook keeps raising) */
enum { TRIP_NONE, TRIP_BUDGET, TRIP_MEMORY, TRIP_CANCEL, TRIP_TIME };

typedef struct ir_rule {
    isorules_rule_info info; /* strings owned (malloc) */
    int scope;
    int check_ref, keep_ref; /* registry refs, LUA_NOREF when absent */
    int ctx_ref;             /* the ctx its file sees */
    int selected;
} ir_rule;

/* A finding or error waiting for its file to finish (strings owned). */
typedef struct ir_finding {
    char *rule, *agency, *subject, *message;
    uint32_t file;
    int line, col, severity;
} ir_finding;

typedef struct ir_findings {
    ir_finding *v;
    size_t n, cap;
} ir_findings;

typedef struct ir_buf {
    char *p;
    size_t n, cap;
    int oom;
} ir_buf;

typedef struct ir_error {
    char *rule, *file, *input_file, *message;
    int line, col, input_line, input_col;
} ir_error;

typedef struct ir_errors {
    ir_error *v;
    size_t n, cap;
} ir_errors;

/* The index entry of an agency (ENGINE.md "Streaming"). */
typedef struct ir_agency {
    char *id, *name, *level, *parent, *province, *role;
    uint32_t file;
    int line, col;
    int id_line, id_col; /* where the id's value is (the document's position without one) */
} ir_agency;

/* An agency of the engine's index: what the final pass needs of an
 * ir_agency, its present strings one after another in the index's arena
 * (a few dozen bytes an agency). */
enum { IX_ID, IX_NAME, IX_LEVEL, IX_PARENT, IX_PROVINCE, IX_ROLE, IX_COUNT };
typedef struct ir_indexed {
    const char *text; /* the present fields in IX_ order, each NUL-terminated, but words */
    uint32_t file;
    int32_t line;     /* of its document (ctx.index) */
    uint8_t fields;   /* bit k: field k is present */
    uint8_t owns_id;  /* the first agency with this id */
    uint16_t word[3]; /* level, province, role, which repeat from agency to agency:
                         1 + their entry in the engine's words, or 0 (in text) */
} ir_indexed;

/* Field k of an index entry, or NULL when absent. */
const char *ir_indexed_field(const isorules_engine *e, const ir_indexed *a, int k);
/* Its id, or NULL. */
static inline const char *ir_indexed_id(const ir_indexed *a) { return a->fields & 1 ? a->text : NULL; }

/* What auditing one agency leaves for the engine to take in, in file order:
 * its index entry (with where its id is) and what each model rule's keep
 * returned (ir_keep_save's bytes, one buffer per keep, in rule order). */
typedef struct ir_audited {
    ir_agency a;
    ir_buf *kept;
    size_t nkept;
} ir_audited;

/* What a model rule's keep returned for an agency: bytes (keep.c) in the
 * engine's arena. rule: its index in the engine's rules. */
typedef struct ir_keptref {
    const char *p;
    uint32_t agency, len, rule;
} ir_keptref;

typedef struct ir_input {
    char *path; /* as given; NULL for a buffer */
    char *name; /* buffer name */
    char *data;
    size_t len;
} ir_input;

/* What a file's passes leave for its turn (finish_file): made when a pass
 * has something to leave, freed when the file is handed out, so that only
 * the files in flight hold one. */
typedef struct ir_fileout {
    ir_findings held;  /* findings of the first pass and plan rules */
    /* the second pass's results, taken in by the engine in file order */
    ir_findings found;
    ir_errors errors;
    ir_audited *audited;
    size_t naudited, capaudited;
} ir_fileout;

/* One input file of a run, after directories are walked. */
typedef struct ir_file {
    char *name;   /* path as given joined with the path below */
    const ir_input *buffer; /* memory input, or NULL */
    long long nodes1;  /* YAML nodes its first pass read (the nodes limit is per file) */
    long first_agency; /* index of its first agency document, -1: none */
    ir_fileout *out;   /* or NULL: nothing waits */
    uint8_t dup;       /* read under another name */
    uint8_t failed;    /* an input error: not audited further */
    uint8_t has_registers; /* its first pass kept register documents */
    uint8_t done;      /* a worker has finished it */
    uint8_t finished;  /* handed out (finish_file) */
} ir_file;

/* A rule source, kept so that worker engines load the same rules. */
typedef struct ir_source {
    char *name, *src;
    size_t len;
    int builtin;
} ir_source;

struct isorules_engine {
    lua_State *L;
    /* allocator: bytes in use, and the ceiling in force (0 = none) */
    size_t mem_used, mem_ceiling;
    int state_bound; /* the memory limit reached was the state's (state-memory) */
    /* the last growth refused, which Lua may ask for again (sandbox.c) */
    int refused;
    uintptr_t refused_ptr;
    size_t refused_osize, refused_nsize;
    int refused_line;      /* trip_line before the refusal */
    size_t gc_base;        /* mem_used after the last collection before a run, or lower */
    size_t mem_big;  /* bytes in blocks larger than the pool's (malloc's) */
    int in_run;      /* a rule runs (ir_sandbox_call) */
    ir_pool pool; /* the state's small blocks (pool.h) */
    /* the running rule: instructions counted by the hook */
    long long spent;
    int run_findings; /* findings of the running rule run */
    int tripped;
    long long run_began_ms; /* the clock (sandbox.c, clock_ms) when the run began */
    int trip_line;
    atomic_int cancel;
    int running;
    int loading;       /* a rule source is loading: rule{} is allowed */

    long long limits[LIM_COUNT];
    char as_of[11];
    int lang;
    char errmsg[512];

    ir_input *inputs;
    size_t ninputs, capinputs;

    ir_rule *rules;
    size_t nrules, caprules;
    char *only, *skip;
    ir_source *sources;
    size_t nsources, capsources;
    int jobs;          /* worker threads for the second pass */
    ir_errors *errbuf; /* when set, errors are held here (the file being audited) */
    ir_error *pending; /* rule loading errors, delivered at the next run */
    size_t npending, cappending;

    int keep_results;              /* isorules_keep_results */
    isorules_finding *kept_findings; /* strings owned */
    size_t nkept_findings, capkept_findings;
    isorules_error *kept_errors;
    size_t nkept_errors, capkept_errors;

    isorules_finding_fn on_finding;
    void *finding_ud;
    isorules_error_fn on_error;
    void *error_ud;
    isorules_agency_fn on_agency;
    void *agency_ud;
    isorules_agency_info_fn on_agency_info;
    void *agency_info_ud;
    isorules_progress_fn on_progress;
    void *progress_ud;

    /* a run */
    ir_file *files;
    size_t nfiles;
    ir_arena names;     /* the files' names (workers borrow the engine's) */
    char **last_names;  /* the last run's input files, for isorules_input_name */
    ir_arena last_names_text;
    size_t nlast_names;
    ir_posstore reg, unit; /* registers; the agency being audited */
    ir_indexed *index; /* strings in index_text */
    size_t nindex, capindex;
    ir_arena index_text;
    const char **words; /* the index's distinct levels, provinces and roles (text in index_text) */
    size_t nwords, capwords;
    uint32_t *wordslots; /* 1 + a word, 0 = empty */
    size_t nwordslots;
    uint32_t *idslots; /* the index's first agency of each id: 1 + its entry, 0 = empty */
    size_t nidslots, nowners; /* a power of two, or 0; ids in it */
    size_t max_id;      /* the length of the longest id in it */
    ir_arena kept_bytes; /* what keep functions returned, in agency order */
    unsigned long long kept_total; /* bytes this engine's keeps returned (keep_bounded) */
    ir_keptref *kept;
    size_t nkept, capkept;
    ir_findings *sink;  /* where findings go now */
    uint32_t cur_file;  /* file being read */
    int cur_line, cur_col; /* the document being audited */
    const char *cur_agency; /* its id, or NULL */
    const ir_rule *cur_rule;
    int final_pass;     /* model rules run: a finding's agency is its node's */
    unsigned final_gen; /* which final pass (keep.c's views belong to one) */
    isorules_summary sum;
};

/* the built-in rule files, embedded at build time (build/builtin_rules.c) */
typedef struct ir_builtin {
    const char *name; /* "rules/qms.lua" */
    const char *src;
    size_t len;
} ir_builtin;
extern const ir_builtin ir_builtins[];
extern const int ir_nbuiltins;

/* errors and messages (audit.c) */
int ir_fail(isorules_engine *e, int rc, const char *fmt, ...);
void ir_error_emit(isorules_engine *e, const char *rule, const char *file, int line, int col,
                   const char *input_file, int input_line, int input_col, const char *msg);
const char *ir_file_name(const isorules_engine *e, uint32_t file);
/* A rule source failed to load: kept for the error callback of the next run. */
void ir_pending_add(isorules_engine *e, const char *file, int line, const char *msg);
int ir_findings_push(ir_findings *fs, const char *rule, int severity, const char *agency,
                     const char *subject, const char *message, uint32_t file, int line, int col);
void ir_findings_free(ir_findings *fs);
/* Moves every finding of from to the end of to; -1 when out of memory (what
 * was not moved stays in from). */
int ir_findings_take(ir_findings *to, ir_findings *from);
/* Sorts and hands out a batch of findings, counting them, then frees it. */
void ir_emit_findings(isorules_engine *e, ir_findings *fs, int final_pass);
/* Does id match a comma-separated list of ids (a trailing '*': a prefix)? */
int ir_matches(const char *list, const char *id);
/* Walks the inputs into e->files, in byte order of names, each file once. */
int ir_collect_files(isorules_engine *e);
/* Holds a copy of an error; emits (when e) and frees held errors. */
void ir_errors_push(ir_errors *es, const isorules_error *err);
void ir_errors_emit_free(isorules_engine *e, ir_errors *es);
void ir_agency_free(ir_agency *a);
/* The file's results, made when it has none (NULL when out of memory). */
ir_fileout *ir_file_out(ir_file *f);
/* Frees what a file's passes left (its errors not emitted). */
void ir_file_results_free(ir_file *f);
/* Empties the owned lists of results. */
void ir_results_clear(isorules_engine *e);
/* Frees what a run left (files, index, positions). */
void ir_run_free(isorules_engine *e);
void ir_last_names_free(isorules_engine *e);
/* FMT001's message for an agency id used by an earlier agency (audit.c;
 * merge.c gives the same for ids repeated across shards). */
void ir_repeated_agency_message(const char *id, int vi, char *buf, size_t n);
/* The rule with this id, or NULL. */
ir_rule *ir_rule_get(isorules_engine *e, const char *id);

/* The metatable field that marks the read-only tables of the final pass
 * (keep.c), which the sandbox's rawset refuses. */
#define IR_READONLY "__isorules_readonly"
/* Whether the value at idx is the __len of a view or a read-only proxy
 * (keep.c), which answers the table's length and runs no rule code. */
int ir_keep_own_len(lua_State *L, int idx);

/* keep.c: a kept value as bytes (in a worker), taken in by the engine (0,
 * or -1 when out of memory), and read back in the final pass through the
 * views: ctx.index (rule -1) and ctx.kept of a rule (its index), read-only
 * tables whose entries are made when asked for. Decoded tables carry their
 * positions (ir_keep_node) between ir_keep_begin and ir_keep_end. */
void ir_keep_save(isorules_engine *e, ir_buf *b, int idx);
int ir_keep_add(isorules_engine *e, uint32_t rule, uint32_t agency, const ir_buf *b);
void ir_keep_begin(lua_State *L);
void ir_keep_end(lua_State *L);
void ir_view_push(lua_State *L, int rule); /* stack: +1 */
/* The position record of the decoded kept table at idx, or NULL. */
const ir_node *ir_keep_node(lua_State *L, int idx, const ir_posstore **store);
void ir_buf_free(ir_buf *b);
/* The index entry (0-based) of the first agency with this id, or -1. */
long ir_index_find(const isorules_engine *e, const char *id, size_t n);

/* model.c */
enum { KIND_NOTMAP, KIND_NONE, KIND_UNKNOWN, KIND_AGENCY, KIND_LEGAL, KIND_CATALOG, KIND_PLAN, KIND_EXPECT };
/* The kind of the document at idx. */
int ir_model_kind(lua_State *L, int idx);
/* Checks and normalises the known fields of the document at idx (FMT002,
 * FMT003, repeats within the document: FMT001). May raise memory errors. */
void ir_model_check(isorules_engine *e, int idx, int kind, ir_posstore *ps);
/* Lets go of the tables the model stage removed from the documents of ps:
 * call when its records are cleared. */
void ir_model_forget(lua_State *L, const ir_posstore *ps);
/* An FMT finding, when that rule is selected. */
void ir_fmt(isorules_engine *e, const char *id, const char *subject, const char *vi,
            const char *en, uint32_t file, int line, int col);

/* sandbox.c */
int ir_sandbox_open(isorules_engine *e);
/* Pushes a new environment for a rule file (chunk name `name`). stack: +1 */
void ir_sandbox_env(lua_State *L, isorules_engine *e, const char *name);
/* Calls the function below nargs arguments with the rule-run limits in force;
 * returns a LUA_* status. On error the message is on the stack; `tripped`
 * tells a limit from an error. stack: fn args -> (results | message) */
int ir_sandbox_call(isorules_engine *e, int nargs, int nresults);
/* The message of a failed call, with its line in the rule file (0 unknown). */
const char *ir_sandbox_error(isorules_engine *e, int *line);
/* stack: key value of the pristine libraries' table */
void ir_sandbox_push_format(lua_State *L);
/* Charges the string arguments of the running C function to the budget
 * (they may be scanned, or read as numbers, where no hook sees it). */
void ir_sandbox_charge_args(lua_State *L);
/* Counts n bytes that C keeps for a rule file outside the Lua state against
 * the memory limit of the run in force. Returns 0, or -1 once the limit is
 * reached: the caller frees what it holds, then raises. */
int ir_sandbox_reserve(lua_State *L, size_t n);

/* rules.c */
int ir_rules_load(isorules_engine *e, const char *name, const char *src, size_t len, int builtin);
void ir_rules_free(isorules_engine *e);
void ir_sources_free(isorules_engine *e);
/* The ctx proxy, created once per state. stack: +1 */
void ir_ctx_push(lua_State *L);
/* Findings of rules and of the model stage go through here. */
void ir_report(isorules_engine *e, const ir_rule *r, const char *subject, const char *message,
               uint32_t file, int line, int col);
/* A userdata owning a malloc'd pointer (freed by __gc), so that a Lua
 * error between malloc and free cannot leak it. stack: +1 */
char **ir_box_new(lua_State *L);
/* Pushes the normalised identifier (RULES.md) of s and returns its text, or
 * pushes nothing and returns NULL for invalid UTF-8. stack: +1 or +0 */
char *ir_normalize_boxed(lua_State *L, const char *s, size_t n, size_t *outn);
/* The position record of the table at idx (the agency being audited, the
 * registers, kept values), or NULL; *store gets the store it is in. */
const ir_node *ir_node_of(isorules_engine *e, lua_State *L, int idx, const ir_posstore **store);
void ir_rules_open_lib(lua_State *L, isorules_engine *e);

#endif
