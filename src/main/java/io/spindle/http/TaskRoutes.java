package io.spindle.http;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.spindle.dispatch.EnqueueCommitter;
import io.spindle.dispatch.TaskCommands;
import io.spindle.error.SpindleException;
import io.spindle.error.SpindleException.FieldError;
import io.spindle.task.Enqueued;
import io.spindle.task.Names;
import io.spindle.task.NewTask;
import io.spindle.task.QueueStore;
import io.spindle.task.Task;
import io.spindle.task.TaskState;
import io.spindle.task.TaskStore;
import io.spindle.task.TaskWaiters;

/**
 * {@code /v1/queues/{name}/tasks}: enqueue (one or a batch), read (with long-poll), list, cancel and retry.
 */
public final class TaskRoutes implements HttpService {
    static final Duration MAX_WAIT = Duration.ofSeconds(60);
    static final int DEFAULT_LIMIT = 50;
    static final int MAX_LIMIT = 500;

    private final EnqueueCommitter committer;
    private final TaskCommands commands;
    private final TaskStore tasks;
    private final QueueStore queues;
    private final TaskWaiters waiters;
    private final Clock clock;

    public TaskRoutes(EnqueueCommitter committer, TaskCommands commands, TaskStore tasks, QueueStore queues,
                      TaskWaiters waiters, Clock clock) {
        this.committer = committer;
        this.commands = commands;
        this.tasks = tasks;
        this.queues = queues;
        this.waiters = waiters;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/{name}/tasks", this::enqueue)
                .get("/{name}/tasks", this::list)
                .any("/{name}/tasks", MethodNotAllowed.allow("GET, POST"))
                .post("/{name}/tasks/batch", this::enqueueBatch)
                .any("/{name}/tasks/batch", MethodNotAllowed.allow("POST"))
                .post("/{name}/tasks/retry", this::retryAll)
                .any("/{name}/tasks/retry", MethodNotAllowed.allow("POST"))
                .get("/{name}/tasks/{id}", this::get)
                .delete("/{name}/tasks/{id}", this::cancel)
                .any("/{name}/tasks/{id}", MethodNotAllowed.allow("GET, DELETE"))
                .post("/{name}/tasks/{id}/retry", this::retry)
                .any("/{name}/tasks/{id}/retry", MethodNotAllowed.allow("POST"));
    }

    private void enqueue(ServerRequest req, ServerResponse res) {
        String queue = queueName(req);
        Optional<String> header = EnqueueRequest.idempotencyHeader(
                req.headers().first(HeaderNames.create("Idempotency-Key")));
        NewTask task = EnqueueRequest.one(queue, RequestBodies.json(req), header, clock);
        Enqueued enqueued = committer.enqueue(task);
        if (enqueued.created()) {
            res.header(HeaderNames.LOCATION, location(enqueued.task()));
        }
        JsonResponses.sendBytes(res, enqueued.created() ? Status.CREATED_201 : Status.OK_200,
                                TaskJson.one(enqueued.task()));
    }

    private void enqueueBatch(ServerRequest req, ServerResponse res) {
        String queue = queueName(req);
        List<NewTask> batch = EnqueueRequest.batch(queue, RequestBodies.json(req), clock);
        RequestCharge.of(req).ifPresent(charge -> charge.batch(batch.size()));
        List<Enqueued> enqueued = committer.enqueueAll(batch);
        JsonResponses.sendBytes(res, Status.CREATED_201,
                                TaskJson.items(enqueued.stream().map(Enqueued::task).toList(), Optional.empty()));
    }

    private void get(ServerRequest req, ServerResponse res) throws InterruptedException {
        String queue = queueName(req);
        long id = taskId(req, queue);
        Duration wait = waitParameter(req);
        Task task = waiters.await(id, wait, () -> tasks.find(queue, id).orElseThrow(() -> TaskStore.notFound(queue, id)));
        JsonResponses.sendBytes(res, Status.OK_200, TaskJson.one(task));
    }

    private void list(ServerRequest req, ServerResponse res) {
        String queue = queueName(req);
        Optional<TaskState> state = req.query().first("state").asOptional().map(s -> TaskState.parse(s)
                .orElseThrow(() -> invalid("state", "must be one of pending, running, succeeded, failed, cancelled")));
        int limit = req.query().first("limit").asOptional().map(TaskRoutes::limit).orElse(DEFAULT_LIMIT);
        Optional<Long> before = req.query().first("cursor").asOptional().map(TaskRoutes::cursor);
        TaskStore.Page page = tasks.list(queue, state, limit, before);
        if (page.tasks().isEmpty() && !queues.exists(queue)) {
            throw QueueStore.notFound(queue); // only an empty page can hide an unknown queue
        }
        JsonResponses.sendBytes(res, Status.OK_200,
                                TaskJson.items(page.tasks(), Optional.of(page.nextBefore().map(TaskRoutes::encodeCursor))));
    }

    private void cancel(ServerRequest req, ServerResponse res) {
        String queue = queueName(req);
        Task task = commands.cancel(queue, taskId(req, queue));
        JsonResponses.sendBytes(res, Status.OK_200, TaskJson.one(task));
    }

    private void retry(ServerRequest req, ServerResponse res) {
        String queue = queueName(req);
        Task task = commands.retry(queue, taskId(req, queue));
        JsonResponses.sendBytes(res, Status.OK_200, TaskJson.one(task));
    }

    /** Bulk redrive: {@code {"state": "failed"}} (or {@code "cancelled"}) sends every such task back to pending. */
    private void retryAll(ServerRequest req, ServerResponse res) {
        String queue = queueName(req);
        TaskState state = RedriveRequest.state(RequestBodies.json(req));
        if (!queues.exists(queue)) {
            throw QueueStore.notFound(queue);
        }
        var body = Json.mapper().createObjectNode();
        body.put("count", commands.retryAll(queue, state));
        JsonResponses.send(res, Status.OK_200, body);
    }

    static String queueName(ServerRequest req) {
        return Names.requireQueueName(req.path().pathParameters().get("name"));
    }

    /** Ids are opaque to clients; one that is not ours names no task. */
    static long taskId(ServerRequest req, String queue) {
        String raw = req.path().pathParameters().get("id");
        try {
            long id = Long.parseLong(raw);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // falls through to not found
        }
        throw new SpindleException.NotFound("Task " + (raw.length() > 64 ? raw.substring(0, 64) + "…" : raw)
                                                    + " does not exist in queue '" + queue + "'.");
    }

    private static Duration waitParameter(ServerRequest req) {
        Optional<String> raw = req.query().first("wait").asOptional();
        if (raw.isEmpty()) {
            return Duration.ZERO;
        }
        try {
            Duration wait = Duration.parse(raw.get());
            if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
                throw invalid("wait", "must be between PT0S and PT60S");
            }
            return wait;
        } catch (DateTimeParseException e) {
            throw invalid("wait", "must be an ISO-8601 duration such as PT10S");
        }
    }

    private static int limit(String raw) {
        try {
            int limit = Integer.parseInt(raw);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw invalid("limit", "must be a whole number from 1 to " + MAX_LIMIT);
    }

    private static long cursor(String raw) {
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(raw), StandardCharsets.US_ASCII);
            if (decoded.startsWith("before:")) {
                return Long.parseLong(decoded.substring("before:".length()));
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw invalid("cursor", "is not a cursor this service issued");
    }

    private static String encodeCursor(long before) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("before:" + before).getBytes(StandardCharsets.US_ASCII));
    }

    private static String location(Task task) {
        return "/v1/queues/" + task.queue() + "/tasks/" + task.id();
    }

    private static SpindleException.Invalid invalid(String parameter, String message) {
        return new SpindleException.Invalid("Invalid query parameter '" + parameter + "'.",
                                            List.of(new FieldError(parameter, message)));
    }
}
