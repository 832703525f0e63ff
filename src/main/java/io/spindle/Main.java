package io.spindle;

import java.lang.management.ManagementFactory;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.helidon.config.ConfigException;
import io.helidon.logging.common.LogConfig;
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
        LogConfig.configureRuntime();
        GlobalMeters.buildInBackground();
        Logger log = Logger.getLogger(Main.class.getName());
        Settings settings;
        try {
            settings = SettingsLoader.load(SettingsLoader.defaultSources());
        } catch (InvalidSettingException | ConfigException e) {
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
}
