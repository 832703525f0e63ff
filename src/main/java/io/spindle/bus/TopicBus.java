package io.spindle.bus;

import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import io.spindle.config.Settings;
import io.spindle.error.SpindleException;

/**
 * Topics and their subscribers on this instance, and the way out to other instances.
 *
 * <p>Publishing never waits for a subscriber: each has a bounded queue that loses its oldest event when full.
 * Each topic numbers its events and keeps the newest in a replay ring for subscribers that reconnect. The
 * number of topics is bounded: a topic with no subscriber is forgotten {@code topicTtl} after its last
 * subscriber left (or after it was created); at {@code maxTopics} the longest-idle topics without subscribers are
 * forgotten at once, and when every topic has subscribers a new topic is refused (503). Ids are per instance:
 * they start above every id this instance may have issued before (they are seeded from the clock), so a
 * {@code Last-Event-ID} from before a restart or from a forgotten topic is recognised as unknown, never
 * mistaken for a recent one.
 */
public final class TopicBus implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(TopicBus.class.getName());
    private static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final Settings.Bus settings;
    private final BusMetrics metrics;
    private final LongSupplier millis;
    private final long idSeed;
    private final ConcurrentHashMap<String, Topic> topics = new ConcurrentHashMap<>();
    private final ReentrantLock creating = new ReentrantLock();
    private final AtomicLong issued = new AtomicLong();
    private final AtomicInteger subscriptions = new AtomicInteger();
    private final Topic.RingBudget ringBudget;
    private volatile Forwarder forwarder = Forwarder.NONE;
    private volatile Runnable firstSubscriber = () -> { };
    private volatile boolean closed;

    public TopicBus(Settings.Bus settings, BusMetrics metrics, Clock clock) {
        this.settings = settings;
        this.metrics = metrics;
        this.millis = clock::millis;
        // a million ids a second of headroom over the previous run of this instance, which is never reached
        this.idSeed = clock.millis() * 1000;
        this.ringBudget = new Topic.RingBudget(settings.replayBytes());
        metrics.bind(subscriptions::get, topics::size, ringBudget::held);
    }

    /**
     * Publishes an event here and to every other instance with a subscriber for the topic. Creates the topic if
     * needed, so the event is kept for replay even when nobody subscribes yet.
     *
     * @param data JSON text; line breaks (only possible as whitespace in JSON) are turned into spaces
     * @return the event with its id on this instance (0 once the bus is closed)
     * @throws SpindleException.Unavailable when the topic is new and this instance holds the most topics it
     *                                      may, each with subscribers
     */
    public Event publish(String topic, String type, String data) {
        requireName("topic", topic, 128);
        requireName("type", type, 64);
        String line = oneLine(data);
        Event event = deliver(topic, type, line, true, true);
        Forwarder out = forwarder;
        if (out.wants(topic)) {
            out.forward(topic, type, line);
        }
        return event;
    }

    /**
     * Publishes only if someone may receive the event: a subscriber here, a topic here whose subscribers left
     * less than {@code topicTtl} ago (for their replay), or a subscriber on another instance. Otherwise does
     * nothing and never calls {@code data}, which makes high-volume events (task lifecycle) nearly free while
     * nobody watches.
     *
     * @return whether the event was published
     */
    public boolean publishIfWatched(String topic, String type, Supplier<String> data) {
        requireName("topic", topic, 128);
        requireName("type", type, 64);
        Forwarder out = forwarder;
        boolean remote = out.wants(topic);
        if (!remote && !topics.containsKey(topic)) {
            return false;
        }
        String line = oneLine(data.get());
        deliver(topic, type, line, false, true);
        if (remote) {
            out.forward(topic, type, line);
        }
        return true;
    }

    /**
     * Subscribes to a topic, creating it if needed.
     *
     * @param lastEventId the {@code Last-Event-ID} a reconnecting client sent, or {@code null}
     * @throws SpindleException.Unavailable when this instance holds the most subscriptions or topics it may, or
     *                                      is shutting down
     */
    public Subscription subscribe(String topic, String lastEventId) {
        if (closed) {
            throw new SpindleException.Unavailable("The service is shutting down.", RETRY_AFTER, null);
        }
        if (subscriptions.incrementAndGet() > settings.maxSubscribers()) {
            subscriptions.decrementAndGet();
            throw new SpindleException.Unavailable("This instance serves the most event streams it may ("
                    + settings.maxSubscribers() + "); try again later.", RETRY_AFTER, null);
        }
        try {
            while (true) {
                Topic t = topicFor(topic);
                Topic.Subscribed subscribed = t.subscribe(lastEventId, settings.subscriberCapacity(), settings.subscriberBytes());
                if (subscribed == null) {
                    topics.remove(topic, t);
                    continue;
                }
                if (subscribed.replay() != Topic.ReplayResult.NONE) {
                    metrics.replayed(subscribed.replay().name().toLowerCase(java.util.Locale.ROOT), subscribed.replayed());
                }
                if (t.subscriberCount() == 1) {
                    firstSubscriber.run();
                }
                Subscription subscription = subscribed.subscription();
                if (closed) {
                    subscription.end();
                }
                return subscription;
            }
        } catch (RuntimeException e) {
            subscriptions.decrementAndGet();
            throw e;
        }
    }

    /** Every topic held here, by name. */
    public List<TopicStats> topics() {
        return topics.values().stream().map(Topic::stats).sorted(Comparator.comparing(TopicStats::name)).toList();
    }

    /** Bytes held in all replay rings (estimated). */
    long replayBytes() {
        return ringBudget.held();
    }

    /** Subscriptions open on this instance. */
    public int subscriptions() {
        return subscriptions.get();
    }

    /**
     * Forgets topics that have had no subscriber for {@code topicTtl}, with their rings, and refreshes the
     * per-topic subscriber gauges. Run periodically.
     */
    public void sweep() {
        long idleBefore = millis.getAsLong() - settings.topicTtl().toMillis();
        topics.forEach((name, topic) -> {
            if (topic.forgetIfIdle(idleBefore)) {
                topics.remove(name, topic);
            }
        });
        metrics.topTopics(topics.values().stream()
                                  .map(t -> new BusMetrics.TopicCount(t.name(), t.subscriberCount()))
                                  .toList());
    }

    /** Ends every subscription (each gets a final {@code shutdown} event) and takes nothing more. */
    @Override
    public void close() {
        closed = true;
        int ended = 0;
        for (Topic topic : topics.values()) {
            for (Subscription subscription : topic.forget()) {
                subscription.end();
                ended++;
            }
        }
        topics.clear();
        int count = ended;
        LOG.info(() -> "topic bus closed; " + count + " subscriptions ended");
    }

    /** Delivers an event that another instance published; only to topics held here. */
    void deliverRemote(String topic, String type, String data) {
        deliver(topic, type, data, false, false);
    }

    /** Whether another instance has a subscriber for the topic, as far as this one knows. */
    boolean wantedElsewhere(String topic) {
        return forwarder.wants(topic);
    }

    /** Whether the topic is held here (has subscribers, or had them recently). */
    boolean holds(String topic) {
        return topics.containsKey(topic);
    }

    /** Topics with at least one subscriber here: what other instances should forward to this one. */
    Set<String> subscribedTopics() {
        return topics.values().stream()
                .filter(t -> t.subscriberCount() > 0)
                .map(Topic::name)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Sets the way out to other instances. */
    void forwardTo(Forwarder forwarder) {
        this.forwarder = forwarder;
    }

    /** Runs {@code callback} (quickly, on the subscriber's thread) whenever a topic gets its first subscriber. */
    void onFirstSubscriber(Runnable callback) {
        this.firstSubscriber = callback;
    }

    private Event deliver(String topic, String type, String data, boolean create, boolean local) {
        if (closed) {
            return new Event(topic, 0, type, data);
        }
        while (true) {
            Topic t = create ? topicFor(topic) : topics.get(topic);
            if (t == null) {
                return null;
            }
            // counted before numbering, so a later topic of this name starts above every id this one issues
            issued.incrementAndGet();
            Topic.Published published = t.publish(type, data);
            if (published != null) {
                metrics.published(local);
                if (published.lost() > 0) {
                    metrics.droppedForLag(published.lost());
                }
                return published.event();
            }
            topics.remove(topic, t);
        }
    }

    private Topic topicFor(String name) {
        Topic topic = topics.get(name);
        if (topic != null) {
            return topic;
        }
        creating.lock();
        try {
            topic = topics.get(name);
            if (topic == null) {
                if (topics.size() >= settings.maxTopics()) {
                    makeRoom();
                }
                topic = new Topic(name, idSeed + issued.get() + 1, settings.replaySize(), millis,
                                  s -> subscriptions.decrementAndGet(), ringBudget);
                topics.put(name, topic);
            }
            return topic;
        } finally {
            creating.unlock();
        }
    }

    /** At the bound: forgets the longest-idle tenth of the topics without subscribers, or refuses. */
    private void makeRoom() {
        List<Topic> idle = topics.values().stream()
                .filter(t -> t.subscriberCount() == 0)
                .sorted(Comparator.comparingLong(Topic::lastActive))
                .limit(Math.max(1, settings.maxTopics() / 10))
                .toList();
        int forgotten = 0;
        for (Topic topic : idle) {
            if (topic.forgetIfIdle(Long.MAX_VALUE)) {
                topics.remove(topic.name(), topic);
                forgotten++;
            }
        }
        if (forgotten == 0) {
            throw new SpindleException.Unavailable("This instance holds the most topics it may ("
                    + settings.maxTopics() + "), each with subscribers; try again later.", RETRY_AFTER, null);
        }
        int count = forgotten;
        LOG.fine(() -> "topic bound reached; forgot " + count + " idle topics");
    }

    /**
     * Topics and types are {@code [A-Za-z0-9._-]}: they go on SSE lines and into the bridge's tab-separated
     * payloads as they are.
     *
     * @throws IllegalArgumentException for anything else (a bug in the caller; clients' names are checked earlier)
     */
    private static void requireName(String what, String name, int maxLength) {
        int length = name == null ? 0 : name.length();
        boolean valid = length > 0 && length <= maxLength;
        for (int i = 0; valid && i < length; i++) {
            char ch = name.charAt(i);
            valid = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || ch == '.' || ch == '_' || ch == '-';
        }
        if (!valid) {
            throw new IllegalArgumentException("invalid event " + what + ": " + name);
        }
    }

    private static String oneLine(String data) {
        if (data == null) {
            return "null";
        }
        if (data.indexOf('\n') < 0 && data.indexOf('\r') < 0) {
            return data;
        }
        return data.replace('\n', ' ').replace('\r', ' ');
    }
}
