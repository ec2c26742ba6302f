/* report.h: the parts of the report writer (report.c), for merge.c, which
 * writes a report without an engine: begin, then findings, errors and
 * agencies in report order, then end with the summary and the input files. */
#ifndef ISORULES_REPORT_H
#define ISORULES_REPORT_H

#include "isorules.h"

/* Writes the report in lang ("vi" or "en"), whatever it was opened with:
 * a merge writes in the language of the reports it merges. */
void ir_report_set_lang(isorules_report *r, const char *lang);

void ir_report_begin(isorules_report *r, const char *as_of);
void ir_report_finding(isorules_report *r, const isorules_finding *f);
void ir_report_error(isorules_report *r, const isorules_error *err);
void ir_report_agency(isorules_report *r, const isorules_agency *a);
/* files and rules NULL: lists not known in full, left out of the JSON.
 * Returns ISORULES_OK, or ISORULES_ERROR when a write failed. */
int ir_report_end(isorules_report *r, const isorules_summary *s, const char *as_of,
                  const char *const *files, size_t nfiles, const char *const *rules, size_t nrules);

#endif
