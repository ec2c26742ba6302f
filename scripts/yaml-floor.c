/* yaml-floor: the floor of `make bench`. Parses every file named on the
 * command line (or below a folder) with libyaml's event API and throws the
 * events away: what reading the YAML costs before isorules does anything
 * with it. Prints the number of files and events.
 * usage: yaml-floor PATH... */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

static long long files, events;

static int parse_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        perror(path);
        return 1;
    }
    yaml_parser_t p;
    yaml_event_t ev;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, fp);
    int rc = 0;
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) {
            fprintf(stderr, "%s: %s\n", path, p.problem ? p.problem : "error");
            rc = 1;
            break;
        }
        events++;
        int done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (done)
            break;
    }
    yaml_parser_delete(&p);
    fclose(fp);
    files++;
    return rc;
}

static int walk(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return parse_file(path);
    DIR *d = opendir(path);
    if (!d)
        return 1;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        size_t n = strlen(de->d_name);
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            rc |= walk(sub);
        else if ((n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0) ||
                 (n > 4 && strcmp(de->d_name + n - 4, ".yml") == 0))
            rc |= parse_file(sub);
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++)
        rc |= walk(argv[i]);
    printf("%lld files, %lld events\n", files, events);
    return rc;
}
