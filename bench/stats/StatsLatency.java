import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * The latency of one queue's stats, {@code GET /v1/queues/{name}}, one request at a time on one keep-alive
 * connection (bench/stats.sh). JDK source launcher, no dependencies.
 *
 * <pre>java StatsLatency.java BASE_URL QUEUE [requests=2000] [warmup=300]</pre>
 */
public final class StatsLatency {
    public static void main(String[] args) throws Exception {
        String base = args[0];
        String queue = args[1];
        int requests = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 300;
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create(base + "/v1/queues/" + queue))
                .timeout(Duration.ofSeconds(30)).build();
        long[] nanos = new long[requests];
        String body = "";
        for (int i = -warmup; i < requests; i++) {
            long start = System.nanoTime();
            HttpResponse<String> response = client.send(get, HttpResponse.BodyHandlers.ofString());
            long took = System.nanoTime() - start;
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET answered " + response.statusCode() + ": " + response.body());
            }
            if (i >= 0) {
                nanos[i] = took;
            }
            body = response.body();
        }
        Arrays.sort(nanos);
        System.out.printf(Locale.ROOT, "GET /v1/queues/%s x %d: p50 %.2f ms, p99 %.2f ms, max %.2f ms%n", queue, requests,
                          nanos[requests / 2] / 1e6, nanos[(int) (requests * 0.99)] / 1e6, nanos[requests - 1] / 1e6);
        int stats = body.indexOf("\"stats\"");
        System.out.println("stats: " + (stats < 0 ? body : body.substring(stats)));
    }
}
