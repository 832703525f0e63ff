package io.spindle;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.spindle.config.InvalidSettingException;
import io.spindle.config.Settings;
import io.spindle.config.SettingsLoader;
import io.spindle.observe.GlobalMeters;

/**
 * Starts Spindle: reads and validates the settings, installs the one shutdown hook, and wires the service.
 * A bad setting, found while reading the settings or while starting, ends the process with exit code 2 and
 * one line naming the key.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        CompletableFuture<Config> configuration = new CompletableFuture<>();
        GlobalMeters.buildInBackground(configuration);
        configureLogging();
        Logger log = Logger.getLogger(Main.class.getName());
        Settings settings;
        try {
            Config config = SettingsLoader.defaultSources();
            configuration.complete(config);
            settings = SettingsLoader.load(config);
        } catch (InvalidSettingException | ConfigException e) {
            configuration.completeExceptionally(e);
            System.err.println("spindle: " + e.getMessage());
            System.exit(2);
            return;
        }
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.installShutdownHook();
        try {
            // a listener that stopped accepting for good: exit through the shutdown hook, so that the process is restarted
            Spindle.start(settings, lifecycle, () -> Thread.ofPlatform().daemon(true).name("spindle-exit")
                    .start(() -> System.exit(1)));
            long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
            log.info(() -> "Spindle started in " + uptime + " ms");
        } catch (InvalidSettingException e) {
            // found only at start, e.g. no db.url on a build without the embedded PostgreSQL
            lifecycle.close();
            System.err.println("spindle: " + e.getMessage());
            System.exit(2);
        } catch (RuntimeException e) {
            log.log(Level.SEVERE, "Spindle failed to start: " + e.getMessage(), e);
            lifecycle.close();
            System.exit(1);
        }
    }

    /**
     * java.util.logging from {@code logging.properties} in the working directory if there is one, else from the
     * jar's; left to the JVM when {@code java.util.logging.config.file} or {@code .class} is set. (Helidon's
     * {@code LogConfig} reads the same files; this does it without a service lookup of its providers.)
     */
    private static void configureLogging() {
        if (System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null) {
            return;
        }
        Path local = Path.of("logging.properties");
        try (InputStream in = Files.exists(local) ? Files.newInputStream(local)
                : Main.class.getResourceAsStream("/logging.properties")) {
            if (in != null) {
                LogManager.getLogManager().readConfiguration(in);
            }
        } catch (IOException e) {
            System.err.println("spindle: cannot read logging.properties, logging with the JVM's defaults: " + e.getMessage());
        }
    }
}
