package io.spindle.security;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A map from client to value with a hard bound on its size. Lookups of present keys take no lock; creating an
 * entry takes one {@link ReentrantLock}, so the bound is never passed even by racing first requests. When the map
 * is full, one sweep frees a tenth of it: every entry idle longer than the idle timeout, then the least recently
 * used ones. Entries idle past the timeout are also swept, at most once per half timeout, as new ones arrive.
 *
 * <p>An entry evicted while a request still holds its value is simply forgotten: the next request of that client
 * creates a fresh one. For rate limiters that means a client idle for a whole period loses nothing it had (its
 * bucket would have refilled anyway); only clients pushed out by the LRU step under a flood of new clients can
 * get a fresh bucket early.
 */
final class IdleEvictingCache<K, V> {
    /** Touching an entry writes a shared field; within this many nanoseconds a second touch is skipped. */
    private static final long TOUCH_GRANULARITY_NANOS = 1_000_000;

    private static final class Entry<V> {
        final V value;
        volatile long lastUsed;

        Entry(V value, long now) {
            this.value = value;
            this.lastUsed = now;
        }
    }

    private final Map<K, Entry<V>> map = new ConcurrentHashMap<>();
    private final ReentrantLock inserting = new ReentrantLock();
    private final int maxSize;
    private final long idleNanos;
    private final LongSupplier nanoTime;
    private final Function<K, V> create;
    private long nextSweep;
    private long evicted;

    IdleEvictingCache(int maxSize, long idleNanos, LongSupplier nanoTime, Function<K, V> create) {
        if (maxSize < 1 || idleNanos < 1) {
            throw new IllegalArgumentException("maxSize and idleNanos must be positive");
        }
        this.maxSize = maxSize;
        this.idleNanos = idleNanos;
        this.nanoTime = nanoTime;
        this.create = create;
        this.nextSweep = nanoTime.getAsLong() + idleNanos / 2;
    }

    /** The value of {@code key}, created if absent. */
    V get(K key) {
        long now = nanoTime.getAsLong();
        Entry<V> entry = map.get(key);
        if (entry != null) {
            if (now - entry.lastUsed > TOUCH_GRANULARITY_NANOS) {
                entry.lastUsed = now;
            }
            return entry.value;
        }
        inserting.lock();
        try {
            entry = map.get(key);
            if (entry == null) {
                if (now - nextSweep >= 0) {
                    nextSweep = now + idleNanos / 2;
                    evicted += removeIdle(now);
                }
                if (map.size() >= maxSize) {
                    evicted += makeRoom(now);
                }
                // entries touched during the sweep may have survived it; the bound holds regardless
                Iterator<Entry<V>> any = map.values().iterator();
                while (map.size() >= maxSize && any.hasNext()) {
                    any.next();
                    any.remove();
                    evicted++;
                }
                entry = new Entry<>(create.apply(key), now);
                map.put(key, entry);
            }
            return entry.value;
        } finally {
            inserting.unlock();
        }
    }

    int size() {
        return map.size();
    }

    int maxSize() {
        return maxSize;
    }

    /** Entries removed by sweeps and evictions so far. */
    long evicted() {
        inserting.lock();
        try {
            return evicted;
        } finally {
            inserting.unlock();
        }
    }

    void clear() {
        inserting.lock();
        try {
            map.clear();
        } finally {
            inserting.unlock();
        }
    }

    private int removeIdle(long now) {
        int before = map.size();
        map.values().removeIf(e -> now - e.lastUsed > idleNanos);
        return before - map.size();
    }

    /** Frees a tenth of the bound: the idle first, then the least recently used. Called with the lock held. */
    private int makeRoom(long now) {
        int before = map.size();
        int target = Math.max(1, maxSize / 10);
        long[] stamps = new long[before];
        int n = 0;
        for (Entry<V> e : map.values()) {
            if (n == stamps.length) {
                break;
            }
            stamps[n++] = e.lastUsed - now; // relative, so that sorting is right across nanoTime wrap-around
        }
        Arrays.sort(stamps, 0, n);
        long cutoff = Math.max(stamps[Math.min(target, n) - 1], -idleNanos - 1);
        map.values().removeIf(e -> e.lastUsed - now <= cutoff);
        return before - map.size();
    }
}
