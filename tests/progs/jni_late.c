/* SPDX-License-Identifier: MIT */
/* A JNI library for tests/jvm_launcher.sh (tests/java/Hooks.java calls it
 * after the JVM is up): it installs a SIGTERM handler with
 * sigaction(SIGTERM, &sa, NULL), never having read the disposition. Without
 * the shim it replaces HotSpot's handler; with the shim it must stay chained
 * with it (a component that installs without looking does not take the
 * signal over), so HotSpot's Terminator still runs after it. */
#include <jni.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void jni_handler(int sig)
{
    (void)sig;
    static const char msg[] = "jni handler\n";
    if (write(1, msg, sizeof msg - 1) < 0) {
    }
}

JNIEXPORT jint JNICALL Java_Hooks_installLate(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jni_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGTERM, &sa, NULL); /* no oldact: without looking */
}
