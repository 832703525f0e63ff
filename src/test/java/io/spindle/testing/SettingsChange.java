package io.spindle.testing;

import io.spindle.config.Settings;

/**
 * Settings with some of their parts replaced, for tests: {@code SettingsChange.of(s).dispatch(d).build()}. Every
 * part is named once here, so that {@link Settings} itself carries no wither per part that only tests call.
 */
public final class SettingsChange {
    private Settings.Server server;
    private Settings.Connections connections;
    private Settings.Db db;
    private Settings.Shutdown shutdown;
    private Settings.Health health;
    private Settings.Dispatch dispatch;
    private Settings.Enqueue enqueue;
    private Settings.Security security;
    private Settings.ClientLimits clientLimits;
    private Settings.Bus bus;
    private Settings.Listener listener;
    private Settings.Observe observe;
    private Settings.Delivery delivery;
    private Settings.Maintenance maintenance;
    private Settings.Schedules schedules;

    private SettingsChange(Settings s) {
        server = s.server();
        connections = s.connections();
        db = s.db();
        shutdown = s.shutdown();
        health = s.health();
        dispatch = s.dispatch();
        enqueue = s.enqueue();
        security = s.security();
        clientLimits = s.clientLimits();
        bus = s.bus();
        listener = s.listener();
        observe = s.observe();
        delivery = s.delivery();
        maintenance = s.maintenance();
        schedules = s.schedules();
    }

    public static SettingsChange of(Settings settings) {
        return new SettingsChange(settings);
    }

    public SettingsChange connections(Settings.Connections connections) {
        this.connections = connections;
        return this;
    }

    public SettingsChange db(Settings.Db db) {
        this.db = db;
        return this;
    }

    public SettingsChange dispatch(Settings.Dispatch dispatch) {
        this.dispatch = dispatch;
        return this;
    }

    public SettingsChange security(Settings.Security security) {
        this.security = security;
        return this;
    }

    public SettingsChange clientLimits(Settings.ClientLimits clientLimits) {
        this.clientLimits = clientLimits;
        return this;
    }

    public SettingsChange bus(Settings.Bus bus) {
        this.bus = bus;
        return this;
    }

    public SettingsChange delivery(Settings.Delivery delivery) {
        this.delivery = delivery;
        return this;
    }

    public SettingsChange schedules(Settings.Schedules schedules) {
        this.schedules = schedules;
        return this;
    }

    public Settings build() {
        return new Settings(server, connections, db, shutdown, health, dispatch, enqueue, security, clientLimits, bus,
                            listener, observe, delivery, maintenance, schedules);
    }
}
