/* multiexit [OPTIONS] [--] COMMAND [ARG]...
 *
 * Runs COMMAND with libmultiexit preloaded: options map onto the MULTIEXIT_*
 * variables, the library is put in front of an existing LD_PRELOAD, and the
 * command is exec'd (same pid: signals reach the program itself).
 * Exit status: 125 for the wrapper's own errors, 126 when COMMAND cannot be
 * run, 127 when it is not found, otherwise COMMAND's own. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "me_config.h"

#define LIBNAME "libmultiexit.so." ME_SOVERSION

__attribute__((format(printf, 2, 3), noreturn)) static void die(int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "multiexit: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

static void usage(FILE *to)
{
    fputs("Usage: multiexit [OPTION]... [--] COMMAND [ARG]...\n"
          "Run COMMAND so that a termination signal runs its exit functions\n"
          "(atexit, on_exit, C++ destructors, stdio flush) before it dies by that\n"
          "signal, with every handler its parts install chained.\n"
          "\n"
          "  -s, --signals=LIST     managed signals (MULTIEXIT_SIGNALS), e.g. TERM,INT,HUP\n"
          "  -t, --timeout=SECONDS  limit for the cleanup, 0 = none (MULTIEXIT_TIMEOUT)\n"
          "      --shared           plain atexit functions also run in forked children\n"
          "      --private          they run only in the process that registered them\n"
          "      --child-ignore-int forked children ignore SIGINT (MULTIEXIT_CHILD_SIGINT)\n"
          "      --no-chain         every handler install replaces, as the kernel's\n"
          "                         (MULTIEXIT_CHAIN=off); the cleanup stays\n"
          "  -v, --verbose          one line on stderr per event (MULTIEXIT_VERBOSE)\n"
          "  -h, --help             show this help and exit\n"
          "      --version          show the version and exit\n"
          "\n"
          "Options after COMMAND belong to COMMAND. Exit status: COMMAND's own;\n"
          "125 if multiexit itself fails, 126 if COMMAND cannot be run, 127 if it is\n"
          "not found. Statically linked and setuid programs cannot be preloaded.\n"
          "See multiexit(1) and libmultiexit(7).\n",
          to);
}

struct bad {
    const char *line;
};

static void first_bad(void *ctx, const char *line)
{
    struct bad *b = ctx;
    if (!b->line)
        b->line = strdup(line);
}

static bool readable(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The library next to the wrapper (build tree), then in the lib directories
 * of the wrapper's own prefix, then where it was installed. Never relative
 * to the current directory: every candidate is an absolute path. */
static const char *find_library(void)
{
    static char found[PATH_MAX];
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            static const char *const rel[] = {"", "/../" ME_LIBDIR, "/../lib/" ME_MULTIARCH,
                                              "/../lib", "/../lib64"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                char dir[PATH_MAX + 64], real[PATH_MAX];
                snprintf(dir, sizeof dir, "%s%s", self, rel[i]);
                if (!realpath(dir, real))
                    continue;
                int w = snprintf(found, sizeof found, "%s/%s", real, LIBNAME);
                if (w > 0 && (size_t)w < sizeof found && readable(found))
                    return found;
            }
        }
    }
    if (readable(ME_FULL_LIBDIR "/" LIBNAME))
        return ME_FULL_LIBDIR "/" LIBNAME;
    return NULL;
}

/* The file execvp would run, or NULL. */
static const char *resolve(const char *cmd, char *buf, size_t n)
{
    int w;
    if (strchr(cmd, '/'))
        return cmd;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        w = snprintf(buf, n, "%.*s/%s", (int)len, len ? path : ".", cmd);
        if (w > 0 && (size_t)w < n && access(buf, X_OK) == 0)
            return buf;
        path += len + (end ? 1 : 0);
    }
    return NULL;
}

/* 1 if an ELF file without PT_INTERP (static), 0 otherwise. */
static int is_static_elf(const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    Elf64_Ehdr eh;
    int result = 0;
    if (read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
        eh.e_ident[EI_CLASS] == ELFCLASS64 && (eh.e_type == ET_EXEC || eh.e_type == ET_DYN)) {
        result = 1;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize)) !=
                (ssize_t)sizeof ph)
                break;
            if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC) {
                result = 0; /* dynamic (or static-pie with a dynamic section) */
                break;
            }
        }
    }
    close(fd);
    return result;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"signals", required_argument, NULL, 's'}, {"timeout", required_argument, NULL, 't'},
        {"shared", no_argument, NULL, 'S'},        {"private", no_argument, NULL, 'P'},
        {"child-ignore-int", no_argument, NULL, 'I'}, {"verbose", no_argument, NULL, 'v'},
        {"no-chain", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    opterr = 0;
    /* '+': stop at the first non-option, so COMMAND's options are its own */
    while ((c = getopt_long(argc, argv, "+s:t:vh", opts, NULL)) != -1) {
        struct bad bad = {NULL};
        switch (c) {
        case 's':
            me_parse_signals(optarg, first_bad, &bad);
            if (bad.line) /* "multiexit: MULTIEXIT_SIGNALS: ignoring 'X': why" */
                die(125, "--signals: %s", strstr(bad.line, "ignoring ") + strlen("ignoring "));
            setenv("MULTIEXIT_SIGNALS", optarg, 1);
            break;
        case 't':
            me_parse_timeout(optarg, first_bad, &bad);
            if (bad.line)
                die(125, "--timeout: '%s' is not a number of seconds from 0 to 86400", optarg);
            setenv("MULTIEXIT_TIMEOUT", optarg, 1);
            break;
        case 'S':
            setenv("MULTIEXIT_INHERIT", "shared", 1);
            break;
        case 'P':
            setenv("MULTIEXIT_INHERIT", "private", 1);
            break;
        case 'I':
            setenv("MULTIEXIT_CHILD_SIGINT", "ignore", 1);
            break;
        case 'N':
            setenv("MULTIEXIT_CHAIN", "off", 1);
            break;
        case 'v':
            setenv("MULTIEXIT_VERBOSE", "1", 1);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("multiexit %s\n", ME_VERSION);
            return 0;
        default:
            if (optopt == 's' || optopt == 't')
                die(125, "option '%s' needs a value (see multiexit --help)",
                    optopt == 's' ? "--signals" : "--timeout");
            die(125, "unknown option '%s' (see multiexit --help)", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        die(125, "no command given (see multiexit --help)");

    const char *lib = find_library();
    if (!lib)
        die(125, "cannot find %s next to this command or in %s", LIBNAME, ME_FULL_LIBDIR);
    if (strpbrk(lib, " :\t\n"))
        die(125, "library path '%s' contains a space or colon, which LD_PRELOAD cannot carry",
            lib);
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(lib) + (old ? strlen(old) : 0) + 2;
    char *preload = malloc(len);
    if (!preload)
        die(125, "out of memory");
    snprintf(preload, len, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
    setenv("LD_PRELOAD", preload, 1);

    char buf[PATH_MAX];
    const char *file = resolve(argv[optind], buf, sizeof buf);
    if (file) {
        struct stat st;
        if (is_static_elf(file))
            fprintf(stderr, "multiexit: warning: %s is statically linked: the shim cannot be "
                            "loaded into it; running it anyway\n", argv[optind]);
        else if (stat(file, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)))
            fprintf(stderr, "multiexit: warning: %s is setuid/setgid: the loader ignores "
                            "LD_PRELOAD for it; running it anyway\n", argv[optind]);
    }
    execvp(argv[optind], argv + optind);
    int err = errno;
    free(preload);
    die(err == ENOENT ? 127 : 126, "%s: %s", argv[optind],
        err == ENOENT ? "command not found" : strerror(err));
}
