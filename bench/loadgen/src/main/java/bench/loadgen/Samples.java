package bench.loadgen;

import java.util.Arrays;

/** A growable list of long samples (latencies in nanoseconds) with percentiles. Not thread-safe. */
final class Samples {
    private long[] values = new long[1024];
    private int count;
    private boolean sorted = true;

    void add(long value) {
        if (count == values.length) {
            values = Arrays.copyOf(values, count * 2);
        }
        values[count++] = value;
        sorted = false;
    }

    void addAll(Samples other) {
        for (int i = 0; i < other.count; i++) {
            add(other.values[i]);
        }
    }

    int count() {
        return count;
    }

    /** The p-quantile (0 < p <= 1), nearest rank; 0 when empty. */
    long quantile(double p) {
        if (count == 0) {
            return 0;
        }
        sort();
        int rank = (int) Math.ceil(p * count);
        return values[Math.max(0, Math.min(count - 1, rank - 1))];
    }

    long max() {
        return quantile(1.0);
    }

    private void sort() {
        if (!sorted) {
            Arrays.sort(values, 0, count);
            sorted = true;
        }
    }

    static double ms(long nanos) {
        return nanos / 1e6;
    }
}
