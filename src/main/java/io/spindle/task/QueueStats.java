package io.spindle.task;

import java.time.Duration;

/**
 * Task counts of one queue by state, computed in SQL. {@code pending} counts due tasks; {@code scheduled}
 * counts pending tasks whose {@code runAt} is still ahead.
 */
public record QueueStats(long pending,
                         long scheduled,
                         long running,
                         long succeeded,
                         long failed,
                         long cancelled,
                         Duration oldestPendingAge) {
}
