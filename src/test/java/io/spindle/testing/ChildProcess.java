package io.spindle.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * The packaged service ({@code target/spindle.jar} with {@code target/libs/}) run as a child process with the
 * JVM that runs the tests, its environment set by the test, its stdout and stderr written to {@code output.log}
 * in its working directory (a file, so nothing is lost when the process is signalled).
 */
public final class ChildProcess implements AutoCloseable {
    /** Variables of the parent that would configure the child behind the test's back. */
    private static final List<String> CONFIG_PREFIXES = List.of("SERVER_", "DB_", "SHUTDOWN_", "HEALTH_", "SECURITY_");

    private static final HttpClient PROBE = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(1))
            .build();

    private final Process process;
    private final Path log;
    private final long startedNanos;

    private ChildProcess(Process process, Path log, long startedNanos) {
        this.process = process;
        this.log = log;
        this.startedNanos = startedNanos;
    }

    /** The packaged jar, which failsafe runs after {@code package}. */
    public static Path jar() {
        Path jar = Path.of("target/spindle.jar").toAbsolutePath();
        if (!Files.isRegularFile(jar) || !Files.isDirectory(jar.resolveSibling("libs"))) {
            throw new IllegalStateException(jar + " with libs/ is missing; run mvn package (failsafe runs *IT after it)");
        }
        return jar;
    }

    /** Launches {@code java [jvmArgs] -jar target/spindle.jar} in {@code workDir} with {@code env} added. */
    public static ChildProcess launch(Path workDir, Map<String, String> env, List<String> jvmArgs) {
        return launch(List.of(), jar(), workDir, env, jvmArgs);
    }

    /**
     * Launches the packaged jar as the leader of a process group of its own (through {@code setsid}, which execs
     * it under the same pid), as a shell starts a foreground job, so that {@link #interruptGroup()} is Ctrl-C.
     * SIGINT is set back to its default on the way (perl, which execs too): a build started in the background by
     * a non-interactive shell ignores SIGINT, every child inherits that, and a JVM that starts with SIGINT
     * ignored installs no handler for it, so Ctrl-C would not reach the service as it does in a terminal.
     */
    public static ChildProcess launchAsGroupLeader(Path workDir, Map<String, String> env, List<String> jvmArgs) {
        return launch(List.of("setsid", "perl", "-e", "$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec: $!\\n\""),
                      jar(), workDir, env, jvmArgs);
    }

    /** Launches the packaged jar under {@code prefix}, a command that execs it (e.g. {@code prlimit --nofile=…}). */
    public static ChildProcess launchUnder(List<String> prefix, Path workDir, Map<String, String> env, List<String> jvmArgs) {
        return launch(prefix, jar(), workDir, env, jvmArgs);
    }

    /** Launches {@code java [jvmArgs] -jar jar}: a copy of the packaged jar beside a libs/ the test put together. */
    public static ChildProcess launch(Path jar, Path workDir, Map<String, String> env, List<String> jvmArgs) {
        return launch(List.of(), jar, workDir, env, jvmArgs);
    }

    private static ChildProcess launch(List<String> prefix, Path jar, Path workDir, Map<String, String> env,
                                       List<String> jvmArgs) {
        String java = ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(prefix);
        command.add(java);
        command.addAll(jvmArgs);
        command.add("-jar");
        command.add(jar.toString());
        Path log = workDir.resolve("output.log");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(name -> CONFIG_PREFIXES.stream().anyMatch(name::startsWith));
        builder.environment().putAll(env);
        try {
            long started = System.nanoTime();
            return new ChildProcess(builder.start(), log, started);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot launch " + command, e);
        }
    }

    /** A loopback port that was free a moment ago. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Polls {@code /observe/health/ready} on {@code port} until it answers 200; returns the time since launch.
     *
     * @throws AssertionError when the process exits first or is not ready within {@code atMost}, with its output
     */
    public Duration awaitReady(int port, Duration atMost) {
        HttpRequest probe = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/health/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(20)).until(() -> {
                if (!process.isAlive()) {
                    throw new AssertionError("the service exited with " + process.exitValue()
                            + " before it was ready:\n" + output());
                }
                try {
                    return PROBE.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (IOException e) {
                    return false; // not listening yet
                }
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not ready within " + atMost + ":\n" + output(), e);
        }
        return age();
    }

    public Process process() {
        return process;
    }

    /** How long ago the process was launched. */
    public Duration age() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    /** Waits for the process to end; returns its exit code. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the process did not exit within " + timeout + "; output so far:\n" + output());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Every line the process wrote so far, stdout and stderr together. */
    public List<String> lines() {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String output() {
        return String.join("\n", lines());
    }

    /** Sends SIGTERM (on Linux), as a service manager or {@code docker stop} does. */
    public void terminate() {
        process.toHandle().destroy();
    }

    /** Sends SIGINT to the process group the process leads, as Ctrl-C in a terminal does to a foreground job. */
    public void interruptGroup() {
        try {
            Process kill = new ProcessBuilder("kill", "-INT", "--", "-" + process.pid()).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill -INT -" + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
