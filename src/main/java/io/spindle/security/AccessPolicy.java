package io.spindle.security;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which roles may call which {@code /v1} route (SPEC §6), decided from the method and the routed path alone so
 * that routes added later (topics, notifications) are covered by their pattern. A method and path that match no
 * known route need {@code admin}: a new route is closed until it is classified here.
 */
public final class AccessPolicy {
    /** {@code POST /v1/queues/{name}/tasks/{id}/…}: a client's retry, and a long task's backend reporting. */
    private static final Set<String> TASK_ACTIONS = Set.of("retry", "heartbeat", "complete", "fail");

    /** What a route does, and the roles that may do it. */
    public enum Access {
        MANAGE_QUEUES(EnumSet.of(Role.ADMIN)),
        READ_QUEUES(EnumSet.of(Role.ADMIN, Role.SUBSCRIBER)),
        READ_TASKS(EnumSet.of(Role.ADMIN, Role.PRODUCER, Role.SUBSCRIBER)),
        WRITE_TASKS(EnumSet.of(Role.ADMIN, Role.PRODUCER)),
        PUBLISH(EnumSet.of(Role.ADMIN, Role.PRODUCER)),
        SUBSCRIBE(EnumSet.of(Role.ADMIN, Role.SUBSCRIBER)),
        /** Any valid key: asking for a stream token (which opens only the streams the key's roles may). */
        ANY_KEY(EnumSet.allOf(Role.class)),
        UNCLASSIFIED(EnumSet.of(Role.ADMIN));

        private final Set<Role> roles;

        Access(Set<Role> roles) {
            this.roles = roles;
        }

        public Set<Role> roles() {
            return roles;
        }

        public boolean allows(Set<Role> held) {
            for (Role role : held) {
                if (roles.contains(role)) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * A classified request: the route's pattern (what audit lines name, never the raw path), what it does,
     * and whether it opens an event stream (counted against the client's stream bound).
     */
    public record Route(String pattern, Access access, boolean stream) {
        static Route of(String method, String pattern, Access access) {
            return new Route(method + " " + pattern, access, false);
        }
    }

    private AccessPolicy() {
    }

    /**
     * @param method the request method
     * @param path   the decoded path the router matches, beginning with {@code /v1}
     */
    public static Route classify(String method, String path) {
        String verb = "HEAD".equals(method) ? "GET" : method;
        String[] s = segments(path);
        if (s == null || s.length < 2 || !"v1".equals(s[0])) {
            return unclassified(method);
        }
        Route route = switch (s[1]) {
            case "queues" -> queues(verb, s);
            case "topics" -> topics(verb, s);
            case "users" -> users(verb, s);
            case "stream-tokens" -> s.length == 2 && "POST".equals(verb)
                    ? Route.of(verb, "/v1/stream-tokens", Access.ANY_KEY) : null;
            default -> null;
        };
        return route == null ? unclassified(method) : route;
    }

    private static Route queues(String verb, String[] s) {
        return switch (s.length) {
            case 2 -> "GET".equals(verb) ? Route.of(verb, "/v1/queues", Access.READ_QUEUES) : null;
            case 3 -> switch (verb) {
                case "GET" -> Route.of(verb, "/v1/queues/{name}", Access.READ_QUEUES);
                case "PUT", "DELETE" -> Route.of(verb, "/v1/queues/{name}", Access.MANAGE_QUEUES);
                default -> null;
            };
            case 4 -> switch (s[3]) {
                case "pause", "resume" -> "POST".equals(verb)
                        ? Route.of(verb, "/v1/queues/{name}/" + s[3], Access.MANAGE_QUEUES) : null;
                case "tasks" -> switch (verb) {
                    case "GET" -> Route.of(verb, "/v1/queues/{name}/tasks", Access.READ_TASKS);
                    case "POST" -> Route.of(verb, "/v1/queues/{name}/tasks", Access.WRITE_TASKS);
                    default -> null;
                };
                case "schedules" -> "GET".equals(verb)
                        ? Route.of(verb, "/v1/queues/{name}/schedules", Access.READ_QUEUES) : null;
                default -> null;
            };
            case 5 -> "schedules".equals(s[3]) ? schedule(verb) : !"tasks".equals(s[3]) ? null : switch (verb) {
                case "GET" -> Route.of(verb, "/v1/queues/{name}/tasks/{id}", Access.READ_TASKS);
                case "DELETE" -> Route.of(verb, "/v1/queues/{name}/tasks/{id}", Access.WRITE_TASKS);
                case "POST" -> switch (s[4]) {
                    case "batch", "retry" -> Route.of(verb, "/v1/queues/{name}/tasks/" + s[4], Access.WRITE_TASKS);
                    default -> null;
                };
                default -> null;
            };
            case 6 -> "tasks".equals(s[3]) && "POST".equals(verb) && TASK_ACTIONS.contains(s[5])
                    ? Route.of(verb, "/v1/queues/{name}/tasks/{id}/" + s[5], Access.WRITE_TASKS)
                    : "schedules".equals(s[3]) && ("pause".equals(s[5]) || "resume".equals(s[5])) && "POST".equals(verb)
                    ? Route.of(verb, "/v1/queues/{name}/schedules/{schedule}/" + s[5], Access.MANAGE_QUEUES) : null;
            default -> null;
        };
    }

    /** A schedule is part of its queue's configuration: read as a queue is read, written as a queue is managed. */
    private static Route schedule(String verb) {
        return switch (verb) {
            case "GET" -> Route.of(verb, "/v1/queues/{name}/schedules/{schedule}", Access.READ_QUEUES);
            case "PUT", "DELETE" -> Route.of(verb, "/v1/queues/{name}/schedules/{schedule}", Access.MANAGE_QUEUES);
            default -> null;
        };
    }

    private static Route topics(String verb, String[] s) {
        if (s.length == 2) {
            return "GET".equals(verb) ? Route.of(verb, "/v1/topics", Access.SUBSCRIBE) : null;
        }
        if (s.length == 4 && "events".equals(s[3])) {
            return switch (verb) {
                case "GET" -> new Route("GET /v1/topics/{topic}/events", Access.SUBSCRIBE, true);
                case "POST" -> Route.of(verb, "/v1/topics/{topic}/events", Access.PUBLISH);
                default -> null;
            };
        }
        return null;
    }

    private static Route users(String verb, String[] s) {
        if (s.length == 4 && "notifications".equals(s[3])) {
            return switch (verb) {
                case "GET" -> new Route("GET /v1/users/{userId}/notifications", Access.SUBSCRIBE, true);
                case "POST" -> Route.of(verb, "/v1/users/{userId}/notifications", Access.PUBLISH);
                default -> null;
            };
        }
        return null;
    }

    private static Route unclassified(String method) {
        return new Route(method + " /v1/…", Access.UNCLASSIFIED, false);
    }

    /**
     * The segments after the leading slash, less one trailing slash (the router serves {@code /v1/queues/} as
     * {@code /v1/queues}); {@code null} when a segment is empty or a dot segment, which the router has already
     * normalised away, so that such a path is unclassified rather than misread.
     */
    private static String[] segments(String path) {
        if (path.length() < 2 || path.charAt(0) != '/') {
            return null;
        }
        int end = path.endsWith("/") ? path.length() - 1 : path.length();
        String[] s = path.substring(1, end).split("/", -1);
        for (String segment : s) {
            if (segment.isEmpty() || ".".equals(segment) || "..".equals(segment)) {
                return null;
            }
        }
        return s;
    }
}
