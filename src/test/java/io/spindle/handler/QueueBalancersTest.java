package io.spindle.handler;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import io.spindle.task.HandlerSpec;
import org.junit.jupiter.api.Test;

class QueueBalancersTest {
    private static final URI A = URI.create("http://10.0.0.1:9000");
    private static final URI B = URI.create("http://10.0.0.2:9000/base");

    @Test
    void keepsOneBalancerPerQueueWhileItsBackendsStayTheSame() {
        QueueBalancers balancers = new QueueBalancers(BackendBreakers.standalone(Duration.ofSeconds(10)));
        Balancer first = balancers.route("q", http(List.of(A, B), "/hook")).balancer();

        assertThat(balancers.route("q", http(List.of(A, B), "/hook")).balancer()).isSameAs(first);
        assertThat(endpoints(first, 2)).containsExactly(URI.create("http://10.0.0.1:9000/hook"),
                                                       URI.create("http://10.0.0.2:9000/base/hook"));
    }

    @Test
    void replacesTheBalancerWhenBackendsOrPathChange() {
        QueueBalancers balancers = new QueueBalancers(BackendBreakers.standalone(Duration.ofSeconds(10)));
        Balancer first = balancers.route("q", http(List.of(A, B), "/hook")).balancer();

        Balancer fewer = balancers.route("q", http(List.of(A), "/hook")).balancer();
        Balancer moved = balancers.route("q", http(List.of(A), "/other")).balancer();

        assertThat(fewer).isNotSameAs(first);
        assertThat(endpoints(fewer, 1)).containsExactly(URI.create("http://10.0.0.1:9000/hook"));
        assertThat(endpoints(moved, 1)).containsExactly(URI.create("http://10.0.0.1:9000/other"));
    }

    @Test
    void aTimeoutChangeKeepsTheBalancer() {
        QueueBalancers balancers = new QueueBalancers(BackendBreakers.standalone(Duration.ofSeconds(10)));
        Balancer first = balancers.route("q", new HandlerSpec.Http(List.of(A), "/", Duration.ofSeconds(1))).balancer();

        Balancer later = balancers.route("q", new HandlerSpec.Http(List.of(A), "/", Duration.ofSeconds(9))).balancer();

        assertThat(later).isSameAs(first);
    }

    @Test
    void staysWithinItsBound() {
        QueueBalancers balancers = new QueueBalancers(BackendBreakers.standalone(Duration.ofSeconds(10)), 100);

        for (int i = 0; i < 1_000; i++) {
            balancers.route("q" + i, http(List.of(A), "/"));
        }

        assertThat(balancers.size()).isLessThanOrEqualTo(100);
    }

    @Test
    void encodesAPathThatIsNotValidUriText() {
        assertThat(QueueBalancers.endpoint(A, "/hooks/a b")).isEqualTo(URI.create("http://10.0.0.1:9000/hooks/a%20b"));
        assertThat(QueueBalancers.endpoint(URI.create("http://h/"), "/x")).isEqualTo(URI.create("http://h/x"));
    }

    private static List<URI> endpoints(Balancer balancer, int n) {
        List<URI> endpoints = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            endpoints.add(balancer.next().orElseThrow().endpoint());
        }
        return endpoints;
    }

    private static HandlerSpec.Http http(List<URI> backends, String path) {
        return new HandlerSpec.Http(backends, path, Duration.ofSeconds(5));
    }
}
