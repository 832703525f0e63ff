package io.spindle.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.spindle.security.AccessPolicy.Access;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The role table of SPEC §6, route by route, including the topic and notification routes and what matches none.
 */
class AccessPolicyTest {

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', textBlock = """
            GET    | /v1/queues                          | READ_QUEUES
            GET    | /v1/queues/                         | READ_QUEUES
            HEAD   | /v1/queues                          | READ_QUEUES
            GET    | /v1/queues/emails                   | READ_QUEUES
            PUT    | /v1/queues/emails                   | MANAGE_QUEUES
            DELETE | /v1/queues/emails                   | MANAGE_QUEUES
            POST   | /v1/queues/emails/pause             | MANAGE_QUEUES
            POST   | /v1/queues/emails/resume            | MANAGE_QUEUES
            POST   | /v1/queues/emails/tasks             | WRITE_TASKS
            POST   | /v1/queues/emails/tasks/batch       | WRITE_TASKS
            GET    | /v1/queues/emails/tasks             | READ_TASKS
            GET    | /v1/queues/emails/tasks/42          | READ_TASKS
            DELETE | /v1/queues/emails/tasks/42          | WRITE_TASKS
            POST   | /v1/queues/emails/tasks/42/retry    | WRITE_TASKS
            GET    | /v1/queues/emails/schedules         | READ_QUEUES
            GET    | /v1/queues/emails/schedules/nightly | READ_QUEUES
            PUT    | /v1/queues/emails/schedules/nightly | MANAGE_QUEUES
            DELETE | /v1/queues/emails/schedules/nightly | MANAGE_QUEUES
            POST   | /v1/queues/emails/schedules/n/pause | MANAGE_QUEUES
            POST   | /v1/queues/emails/schedules/n/resume| MANAGE_QUEUES
            POST   | /v1/queues/emails/schedules         | UNCLASSIFIED
            POST   | /v1/queues/emails/schedules/nightly | UNCLASSIFIED
            GET    | /v1/queues/emails/schedules/n/pause | UNCLASSIFIED
            POST   | /v1/queues/emails/schedules/n/retry | UNCLASSIFIED
            GET    | /v1/topics                          | SUBSCRIBE
            GET    | /v1/topics/orders.eu/events         | SUBSCRIBE
            POST   | /v1/topics/orders.eu/events         | PUBLISH
            GET    | /v1/users/u-1/notifications         | SUBSCRIBE
            POST   | /v1/users/u-1/notifications         | PUBLISH
            POST   | /v1/queues                          | UNCLASSIFIED
            PATCH  | /v1/queues/emails                   | UNCLASSIFIED
            GET    | /v1/queues/emails/pause             | UNCLASSIFIED
            DELETE | /v1/queues/emails/tasks             | UNCLASSIFIED
            POST   | /v1/queues/emails/tasks/42          | UNCLASSIFIED
            GET    | /v1/queues/emails/tasks/42/retry    | UNCLASSIFIED
            PUT    | /v1/topics/t/events                 | UNCLASSIFIED
            GET    | /v1/topics/t                        | UNCLASSIFIED
            GET    | /v1/users/u-1                       | UNCLASSIFIED
            GET    | /v1/admin                           | UNCLASSIFIED
            GET    | /v1                                 | UNCLASSIFIED
            GET    | /v1//queues                         | UNCLASSIFIED
            GET    | /v1/queues/a/../b                   | UNCLASSIFIED
            OPTIONS| /v1/queues                          | UNCLASSIFIED
            """)
    void eachRouteNeedsItsRoles(String method, String path, Access access) {
        assertThat(AccessPolicy.classify(method, path).access()).isEqualTo(access);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            MANAGE_QUEUES | true  | false | false
            READ_QUEUES   | true  | false | true
            READ_TASKS    | true  | true  | true
            WRITE_TASKS   | true  | true  | false
            PUBLISH       | true  | true  | false
            SUBSCRIBE     | true  | false | true
            UNCLASSIFIED  | true  | false | false
            """)
    void theRoleTable(Access access, boolean admin, boolean producer, boolean subscriber) {
        assertThat(access.allows(java.util.Set.of(Role.ADMIN))).isEqualTo(admin);
        assertThat(access.allows(java.util.Set.of(Role.PRODUCER))).isEqualTo(producer);
        assertThat(access.allows(java.util.Set.of(Role.SUBSCRIBER))).isEqualTo(subscriber);
        assertThat(access.allows(java.util.Set.of())).isFalse();
        assertThat(access.allows(java.util.Set.of(Role.PRODUCER, Role.SUBSCRIBER))).isEqualTo(producer || subscriber);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            GET  | /v1/topics/t/events          | true
            GET  | /v1/users/u/notifications    | true
            HEAD | /v1/topics/t/events          | true
            POST | /v1/topics/t/events          | false
            GET  | /v1/topics                   | false
            GET  | /v1/queues/q/tasks/1         | false
            """)
    void eventStreamsAreRecognised(String method, String path, boolean stream) {
        assertThat(AccessPolicy.classify(method, path).stream()).isEqualTo(stream);
    }

    @org.junit.jupiter.api.Test
    void auditLinesNameThePatternNotThePath() {
        assertThat(AccessPolicy.classify("DELETE", "/v1/queues/secret-name/tasks/7").pattern())
                .isEqualTo("DELETE /v1/queues/{name}/tasks/{id}");
        assertThat(AccessPolicy.classify("GET", "/v1/whatever/you/like").pattern()).isEqualTo("GET /v1/…");
    }
}
