/* audit-threads: audits the provinces of a country folder in parallel, one
 * engine per thread (an engine is used by one thread at a time; engines share
 * nothing). Each subfolder is one province, audited with the national
 * registers at the top of the folder, which is exact since agencies report
 * within their province. Results are printed in folder order, whatever
 * thread finishes first.
 * Build: cc audit-threads.c $(pkg-config --cflags --libs isorules) -pthread
 * Run:   ./audit-threads COUNTRY_DIR [THREADS] */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <isorules.h>

typedef struct job {
    char dir[4096];
    isorules_summary sum;
    int rc;
} job;

typedef struct pool {
    job *jobs;
    int njobs, next;
    const char *registers; /* top-level YAML files, or NULL */
    pthread_mutex_t lock;
} pool;

static void audit_one(job *j, const char *registers)
{
    isorules_engine *e;
    if (isorules_open(&e) != ISORULES_OK) {
        j->rc = ISORULES_NOMEM;
        return;
    }
    isorules_add_builtin_rules(e);
    isorules_set_as_of(e, "2021-12-31");
    if (registers)
        isorules_add_input_path(e, registers);
    isorules_add_input_path(e, j->dir);
    j->rc = isorules_run(e);
    isorules_get_summary(e, &j->sum);
    isorules_close(e);
}

static void *worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int i = p->next < p->njobs ? p->next++ : -1;
        pthread_mutex_unlock(&p->lock);
        if (i < 0)
            return NULL;
        audit_one(&p->jobs[i], p->registers);
    }
}

static int by_name(const void *a, const void *b) { return strcmp(((const job *)a)->dir, ((const job *)b)->dir); }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: audit-threads COUNTRY_DIR [THREADS]\n");
        return 2;
    }
    int nthreads = argc > 2 ? atoi(argv[2]) : 2;
    if (nthreads < 1)
        nthreads = 1;
    pool p = {NULL, 0, 0, NULL, PTHREAD_MUTEX_INITIALIZER};
    char registers[4096];
    snprintf(registers, sizeof registers, "%s/legal.yaml", argv[1]);
    struct stat st;
    if (stat(registers, &st) == 0)
        p.registers = registers;
    DIR *d = opendir(argv[1]);
    if (!d) {
        perror(argv[1]);
        return 2;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], de->d_name);
        if (de->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        job *nj = realloc(p.jobs, (size_t)(p.njobs + 1) * sizeof *nj);
        if (!nj)
            break;
        p.jobs = nj;
        memset(&p.jobs[p.njobs], 0, sizeof *nj);
        snprintf(p.jobs[p.njobs++].dir, sizeof nj->dir, "%s", path);
    }
    closedir(d);
    qsort(p.jobs, (size_t)p.njobs, sizeof *p.jobs, by_name);
    pthread_t *t = calloc((size_t)nthreads, sizeof *t);
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, &p);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    int total = 0, bad = 0;
    for (int i = 0; i < p.njobs; i++) {
        const job *j = &p.jobs[i];
        printf("%s: %d agencies, %d errors, %d warnings, %d infos%s\n", j->dir, j->sum.agencies,
               j->sum.errors, j->sum.warnings, j->sum.infos, j->rc ? " (run failed)" : "");
        total += j->sum.agencies;
        bad |= j->rc != ISORULES_OK || j->sum.failures > 0;
    }
    printf("%d provinces, %d agencies\n", p.njobs, total);
    free(t);
    free(p.jobs);
    return bad ? 2 : 0;
}
