// SPDX-License-Identifier: MIT
// The Java side of tests/jvm_launcher.sh, called by tests/progs/jvm_launcher.c
// through JNI: a shutdown hook, "ready <pid>", then a wait that the test ends
// by closing stdin (or SIGTERM does, through HotSpot's handler and Java's
// Terminator: exit(143) after the hooks). Whether that handler runs, and
// which C handlers run with it, is what the test compares.
public class Hooks {
    private static native int installLate();

    /** Launcher mode: only the launcher's and HotSpot's SIGTERM handlers. */
    public static void launcher() throws Exception {
        readyThenWait();
    }

    /** JNI-late mode: a JNI library (path in -Djni_late.path) installs a
     * SIGTERM handler after HotSpot's, without looking. */
    public static void jniLate() throws Exception {
        System.load(System.getProperty("jni_late.path"));
        if (installLate() != 0)
            throw new IllegalStateException("jni_late: sigaction failed");
        readyThenWait();
    }

    private static void readyThenWait() throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("shutdown hook ran");
            System.out.flush();
        }));
        System.out.println("ready " + ProcessHandle.current().pid());
        System.out.flush();
        while (System.in.read() >= 0) {
        } // until EOF: the test closes our stdin
        System.out.println("stdin closed");
        System.out.flush();
    }
}
