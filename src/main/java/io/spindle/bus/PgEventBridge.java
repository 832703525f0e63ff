package io.spindle.bus;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

import io.spindle.db.Database;
import io.spindle.db.Notifications;
import io.spindle.db.PgListener;

/**
 * Makes the buses of all instances on one database behave as one, through LISTEN/NOTIFY on
 * {@link Notifications#EVENTS}.
 *
 * <p>NOTIFY serialises commits across the whole database, so this bridge sends as little as it can: an event
 * goes out only if another instance has a subscriber for its topic (each instance records the topics it has
 * subscribers for in {@code bus_interest}, refreshes the row periodically and announces changes; the row of a
 * crashed instance expires), and one sender thread packs the events that are waiting into as few payloads
 * (under 8,000 bytes each) and transactions as it can. An event too large for a payload is stored in
 * {@code bus_events} and sent by id. Nobody subscribed elsewhere: nothing is sent, and deciding that costs one
 * lookup in an empty set.
 *
 * <p>Payloads: {@code e|<instance>|<n>} followed by one line per event, {@code <topic>\t<type>\t<data>} or
 * {@code @\t<topic>\t<uuid>} for a stored one; {@code i|<instance>} when an instance's interest changed. Each
 * instance numbers the events it receives itself. Events sent while a listener is disconnected are lost to it.
 */
public final class PgEventBridge implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PgEventBridge.class.getName());
    /** PostgreSQL refuses payloads of 8,000 bytes or more. */
    static final int PAYLOAD_BUDGET = Notifications.MAX_PAYLOAD;

    /** Bounds and pace; fixed, as they need no tuning per deployment. */
    record Tuning(int outbox, int inbox, int maxBatch, Duration linger, Duration interestRefresh, Duration interestTtl,
                  Duration storedRetention) {
        static final Tuning DEFAULTS = new Tuning(65_536, 10_000, 4_000, Duration.ofMillis(2),
                                                  Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(5));
    }

    private record Outgoing(String topic, String type, String data) {
    }

    private final TopicBus bus;
    private final BusStore store;
    private final String instance;
    private final BusMetrics metrics;
    private final Tuning tuning;
    private final String ownEvents;
    private final String announcement;
    private final ArrayBlockingQueue<Outgoing> outbox;
    private final ArrayBlockingQueue<String> inbox;
    private final Semaphore interestWake = new Semaphore(0);
    private final AtomicBoolean reloadInterest = new AtomicBoolean();
    private final AtomicBoolean reannounce = new AtomicBoolean();
    private final AtomicLong lastWarning = new AtomicLong(Long.MIN_VALUE);
    private volatile Set<String> wanted = Set.of();
    private volatile boolean closed;
    private long payloadSequence;
    private Thread sender;
    private Thread receiver;
    private Thread interest;

    public PgEventBridge(TopicBus bus, Database database, String instance, BusMetrics metrics) {
        this.bus = bus;
        this.store = new BusStore(database);
        this.instance = instance;
        this.metrics = metrics;
        this.tuning = Tuning.DEFAULTS;
        this.ownEvents = "e|" + instance + "|";
        this.announcement = "i|" + instance;
        this.outbox = new ArrayBlockingQueue<>(tuning.outbox());
        this.inbox = new ArrayBlockingQueue<>(tuning.inbox());
    }

    /** Registers with the listener; call before the listener starts. */
    public void listenOn(PgListener listener) {
        listener.on(Notifications.EVENTS, this::received);
        listener.onReconnect(() -> {
            // notifications sent meanwhile are gone; interest rows may have expired
            reannounce.set(true);
            reloadInterest.set(true);
            interestWake.release();
        });
    }

    /** Loads what the other instances want, connects to the bus, and starts the sender, receiver and interest duties. */
    public void start() {
        try {
            wanted = Set.copyOf(store.othersInterest(instance));
        } catch (RuntimeException e) {
            warn("cannot read other instances' interest yet", e);
        }
        bus.forwardTo(new Forwarder() {
            @Override
            public boolean wants(String topic) {
                Set<String> topics = wanted;
                return !topics.isEmpty() && topics.contains(topic);
            }

            @Override
            public void forward(String topic, String type, String data) {
                if (!outbox.offer(new Outgoing(topic, type, data))) {
                    metrics.droppedForwarding(1);
                    warn("the queue of events to other instances is full; dropping", null);
                }
            }
        });
        bus.onFirstSubscriber(interestWake::release);
        sender = Thread.ofVirtual().name("bus-sender").start(this::sendLoop);
        receiver = Thread.ofVirtual().name("bus-receiver").start(this::receiveLoop);
        interest = Thread.ofVirtual().name("bus-interest").start(this::interestLoop);
    }

    /** Topics other instances want now; for tests and diagnostics. */
    Set<String> wanted() {
        return wanted;
    }

    /**
     * Stops forwarding: sends what is queued, withdraws this instance's interest, and stops receiving.
     */
    @Override
    public void close() throws InterruptedException {
        bus.forwardTo(Forwarder.NONE);
        closed = true;
        interestWake.release();
        // both finish their last work (queued events, withdrawing interest) side by side, within one deadline
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        for (Thread thread : new Thread[] {sender, interest}) {
            if (thread != null) {
                thread.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
                thread.interrupt();
            }
        }
        if (receiver != null) {
            receiver.interrupt();
            receiver.join(Duration.ofMillis(500));
        }
    }

    // --- receiving ------------------------------------------------------------------------------------------

    /** On the listener's thread: must not block. */
    private void received(String payload) {
        if (payload.startsWith(ownEvents) || payload.equals(announcement)) {
            return;
        }
        if (payload.startsWith("i|")) {
            reloadInterest.set(true);
            interestWake.release();
        } else if (payload.startsWith("e|") && !inbox.offer(payload)) {
            metrics.droppedReceiving((int) payload.chars().filter(ch -> ch == '\n').count());
            warn("the queue of events from other instances is full; dropping", null);
        }
    }

    private void receiveLoop() {
        while (!closed) {
            String payload;
            try {
                payload = inbox.take();
            } catch (InterruptedException e) {
                return;
            }
            try {
                deliver(payload);
            } catch (RuntimeException e) {
                warn("cannot deliver events from another instance", e);
            }
        }
    }

    private void deliver(String payload) {
        String[] lines = payload.split("\n");
        Map<UUID, BusStore.Stored> stored = fetchStored(lines);
        int delivered = 0;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int tab = line.indexOf('\t');
            int tab2 = tab < 0 ? -1 : line.indexOf('\t', tab + 1);
            if (tab2 < 0) {
                continue;
            }
            if (tab == 1 && line.charAt(0) == '@') {
                BusStore.Stored event = stored.get(parseUuid(line.substring(tab2 + 1)));
                if (event != null) {
                    bus.deliverRemote(event.topic(), event.type(), event.data());
                    delivered++;
                }
                continue;
            }
            String topic = line.substring(0, tab);
            if (bus.holds(topic)) {
                bus.deliverRemote(topic, line.substring(tab + 1, tab2), line.substring(tab2 + 1));
                delivered++;
            }
        }
        metrics.received(delivered);
    }

    /** Reads, in one query, the stored events of the payload whose topics are held here. */
    private Map<UUID, BusStore.Stored> fetchStored(String[] lines) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.startsWith("@\t")) {
                int tab2 = line.indexOf('\t', 2);
                if (tab2 > 0 && bus.holds(line.substring(2, tab2))) {
                    UUID id = parseUuid(line.substring(tab2 + 1));
                    if (id != null) {
                        ids.add(id);
                    }
                }
            }
        }
        if (ids.isEmpty()) {
            return Map.of();
        }
        Map<UUID, BusStore.Stored> found = new HashMap<>();
        try {
            store.fetch(ids).forEach(s -> found.put(s.id(), s));
        } catch (RuntimeException e) {
            metrics.droppedReceiving(ids.size());
            warn("cannot read large events from the database", e);
        }
        return found;
    }

    private static UUID parseUuid(String text) {
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    // --- sending --------------------------------------------------------------------------------------------

    private void sendLoop() {
        List<Outgoing> batch = new ArrayList<>();
        while (true) {
            Outgoing first;
            try {
                first = outbox.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                if (closed) {
                    return;
                }
                continue;
            }
            batch.add(first);
            try {
                gather(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            send(batch);
            batch.clear();
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }

    /** Adds what is waiting, and what arrives within the linger, up to the batch bound. */
    private void gather(List<Outgoing> batch) throws InterruptedException {
        long deadline = System.nanoTime() + tuning.linger().toNanos();
        outbox.drainTo(batch, tuning.maxBatch() - batch.size());
        while (batch.size() < tuning.maxBatch() && !closed) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            Outgoing next = outbox.poll(left, TimeUnit.NANOSECONDS);
            if (next == null) {
                return;
            }
            batch.add(next);
            outbox.drainTo(batch, tuning.maxBatch() - batch.size());
        }
    }

    private void send(List<Outgoing> batch) {
        List<String> payloads = new ArrayList<>();
        List<BusStore.Stored> large = new ArrayList<>();
        StringBuilder payload = new StringBuilder(PAYLOAD_BUDGET);
        int bytes = startPayload(payload);
        int emptyBytes = bytes;
        for (Outgoing event : batch) {
            String line = event.topic() + '\t' + event.type() + '\t' + event.data();
            int lineBytes = utf8Length(line);
            if (emptyBytes + 1 + lineBytes > PAYLOAD_BUDGET) {
                UUID id = UUID.randomUUID();
                large.add(new BusStore.Stored(id, event.topic(), event.type(), event.data()));
                line = "@\t" + event.topic() + '\t' + id;
                lineBytes = line.length();
            }
            if (bytes + 1 + lineBytes > PAYLOAD_BUDGET) {
                payloads.add(payload.toString());
                payload.setLength(0);
                bytes = startPayload(payload);
            }
            payload.append('\n').append(line);
            bytes += 1 + lineBytes;
        }
        payloads.add(payload.toString());
        try {
            store.send(payloads, large);
            metrics.forwarded(batch.size(), payloads.size());
        } catch (RuntimeException e) {
            metrics.droppedForwarding(batch.size());
            warn("cannot forward " + batch.size() + " events to other instances", e);
            pause();
        }
    }

    private int startPayload(StringBuilder payload) {
        payload.append(ownEvents).append(++payloadSequence);
        return utf8Length(payload);
    }

    private static int utf8Length(CharSequence text) {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch < 0x80) {
                bytes++;
            } else if (ch < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(ch)) {
                bytes += 4;
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    // --- interest -------------------------------------------------------------------------------------------

    /**
     * Keeps this instance's row in {@code bus_interest} current: a topic that gets its first subscriber is
     * announced at once; topics whose subscribers left are withdrawn at the next refresh (a client that
     * reconnects meanwhile finds them still forwarded). Reloads the others' interest when told, and at each
     * refresh, which also lets a crashed instance's interest lapse.
     */
    private void interestLoop() {
        Set<String> announced = null;
        long nextRefresh = System.nanoTime();
        while (!closed) {
            boolean periodic = System.nanoTime() - nextRefresh >= 0;
            if (reannounce.getAndSet(false)) {
                announced = null;
            }
            try {
                Set<String> local = bus.subscribedTopics();
                if (announced == null || !announced.containsAll(local) || (periodic && !local.equals(announced))) {
                    if (local.isEmpty()) {
                        store.deleteInterest(instance, announcement);
                    } else {
                        store.saveInterest(instance, local, tuning.interestTtl(), announcement);
                    }
                    announced = local;
                } else if (periodic && !local.isEmpty() && !store.extendInterest(instance, tuning.interestTtl())) {
                    announced = null;
                    continue;
                }
                if (reloadInterest.getAndSet(false) || periodic) {
                    wanted = Set.copyOf(store.othersInterest(instance));
                }
                if (periodic) {
                    store.deleteExpiredInterest();
                    store.deleteStoredBefore(tuning.storedRetention());
                    nextRefresh = System.nanoTime() + tuning.interestRefresh().toNanos();
                }
            } catch (RuntimeException e) {
                warn("cannot update the topics other instances forward here", e);
                announced = null;
                reloadInterest.set(true);
                nextRefresh = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            }
            try {
                long wait = Math.max(0, nextRefresh - System.nanoTime());
                if (interestWake.tryAcquire(wait, TimeUnit.NANOSECONDS)) {
                    interestWake.drainPermits();
                }
            } catch (InterruptedException e) {
                break;
            }
        }
        try {
            store.deleteInterest(instance, announcement);
        } catch (RuntimeException e) {
            LOG.fine(() -> "could not withdraw interest at shutdown: " + e.getMessage());
        }
    }

    // --- helpers --------------------------------------------------------------------------------------------

    private void pause() {
        try {
            Thread.sleep(closed ? 10 : 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Logs a problem at most once a minute, so an outage does not flood the log. */
    private void warn(String message, Throwable e) {
        long now = System.nanoTime();
        long last = lastWarning.get();
        if (last != Long.MIN_VALUE && now - last < TimeUnit.MINUTES.toNanos(1)) {
            return;
        }
        if (lastWarning.compareAndSet(last, now)) {
            LOG.log(Level.WARNING, message + (e == null ? "" : ": " + e.getMessage()));
        }
    }
}
