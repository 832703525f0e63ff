package io.spindle.dispatch;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.spindle.config.Settings;
import io.spindle.task.MaintenanceStore;

/**
 * Keeps Spindle's tables in shape whether or not the server's autovacuum runs (or runs lazily for a queue's
 * churn): every {@code maintenance.interval} it folds the queue counts of closed connections and vacuums each
 * table whose dead rows passed the threshold, one table at a time, on one instance at a time. Meters:
 * {@code spindle_maintenance_vacuums_total{table}}, {@code spindle_table_dead_tuples{table}} (as last read) and
 * {@code spindle_db_autovacuum} (1 when the server's autovacuum is on).
 */
public final class TableMaintenance implements Runnable {
    private static final Logger LOG = Logger.getLogger(TableMaintenance.class.getName());

    private final MaintenanceStore store;
    private final Settings.Maintenance settings;
    private final Map<String, Counter> vacuums = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> dead = new ConcurrentHashMap<>();
    private final AtomicLong autovacuum = new AtomicLong(-1);

    public TableMaintenance(MaintenanceStore store, Settings.Maintenance settings, MeterRegistry registry) {
        this.store = store;
        this.settings = settings;
        for (String table : MaintenanceStore.TABLES) {
            vacuums.put(table, Counter.builder("spindle.maintenance.vacuums")
                    .description("VACUUM (ANALYZE) runs Spindle made of its own tables").tag("table", table)
                    .register(registry));
            AtomicLong rows = new AtomicLong();
            dead.put(table, rows);
            Gauge.builder("spindle.table.dead.tuples", rows, AtomicLong::get)
                    .description("Dead rows of Spindle's tables, as the last maintenance pass read them")
                    .tag("table", table).register(registry);
        }
        Gauge.builder("spindle.db.autovacuum", autovacuum, AtomicLong::get)
                .description("1 when the server's autovacuum runs, 0 when it is off (Spindle then relies on its own vacuum)")
                .register(registry);
    }

    /** Reads whether autovacuum runs, and warns when it does not: Spindle's tables then depend on this duty. */
    public void checkAutovacuum() {
        boolean on = store.autovacuumOn();
        autovacuum.set(on ? 1 : 0);
        if (on) {
            return;
        }
        if (settings.vacuumEnabled()) {
            LOG.warning("autovacuum is off on this PostgreSQL (SHOW autovacuum); Spindle vacuums its own tables when "
                        + "their dead rows pass maintenance.vacuum-dead-tuples (" + settings.vacuumDeadTuples()
                        + ") plus maintenance.vacuum-dead-percent (" + settings.vacuumDeadPercent() + " %) of live rows");
        } else {
            LOG.warning("autovacuum is off on this PostgreSQL (SHOW autovacuum) and maintenance.vacuum-enabled is "
                        + "false: nothing vacuums Spindle's tables, which will grow without end under churn");
        }
    }

    @Override
    public void run() {
        store.pass(table -> settings.vacuumEnabled() && table.dead() > threshold(table.live())).ifPresent(pass -> {
            pass.tables().forEach(table -> dead.get(table.table()).set(table.dead()));
            if (pass.keyed() > 0) {
                LOG.info(() -> pass.keyed() + " tasks of keyed queues were enqueued without a key while their queue became "
                               + "keyed; they now have the empty key");
            }
            for (MaintenanceStore.Vacuumed done : pass.vacuumed()) {
                vacuums.get(done.table()).increment();
                LOG.fine(() -> "vacuumed " + done.table() + " in " + done.took().toMillis() + " ms");
            }
        });
    }

    private long threshold(long live) {
        return settings.vacuumDeadTuples() + live * settings.vacuumDeadPercent() / 100;
    }
}
