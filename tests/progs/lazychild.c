/* SPDX-License-Identifier: MIT */
/* A forked child's first call of a function its parent never called: the
 * dynamic loader binds it then (lazy binding), looking the name up in
 * every object of the global scope, the preloaded shim included. Prints
 * how much of the shim's code is resident, in the parent and then in the
 * child after that lookup: "parent N child M" (KiB). Fork copies no page
 * table entries of a file's code, so whatever the lookup reads there the
 * child faults in again. Linked with -z lazy (tests/CMakeLists.txt). */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long shim_code_kb(void)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    long total = 0, kb;
    int in_code = 0;
    while (f && fgets(line, sizeof line, f)) {
        char perms[8];
        if (sscanf(line, "%*x-%*x %7s", perms) == 1) /* a mapping's first line */
            in_code = strstr(line, "/libmultiexit.so") && perms[2] == 'x';
        else if (in_code && sscanf(line, "Rss: %ld kB", &kb) == 1)
            total += kb;
    }
    if (f)
        fclose(f);
    return total;
}

int main(void)
{
    long parent = shim_code_kb(); /* binds everything the child will use */
    printf("parent %ld ", parent);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        if (getppid() == 1) /* the first call of getppid: a lookup */
            return 1;
        printf("child %ld\n", shim_code_kb());
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
