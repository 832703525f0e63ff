package io.spindle.task;

/**
 * Where task transitions are announced. The bus behind it makes this cheap when nobody watches the queue.
 */
@FunctionalInterface
public interface TaskEvents {
    void emit(TaskEvent event, Task task);
}
