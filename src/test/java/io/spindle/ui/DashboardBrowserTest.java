package io.spindle.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import io.spindle.config.Settings;
import io.spindle.config.SettingsLoader;
import io.spindle.testing.Backend;
import io.spindle.testing.Json;
import io.spindle.testing.SettingsChange;
import io.spindle.testing.TcpProxy;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The dashboard in real headless Chromium against a running Spindle on a fresh database: queues appear with
 * their counts changing live while tasks run, a task opens with its payload and error, a failed task is retried
 * one by one and all at once, a queue is paused, a topic is tailed (with {@code lagged} shown after a reconnect that missed more than the ring holds); with API keys a
 * key is asked for and a {@code subscriber} key gets no action buttons. Hostile text in a payload, an error and an
 * event renders as text and runs nothing. Each page is saved under target/ui-screenshots/. Skipped where
 * Chromium is not installed ({@code .ci/run} installs it).
 */
class DashboardBrowserTest {
    static final String HOSTILE = "<img src=x onerror=alert(1)>";
    static final String ADMIN_KEY = "admin-key-for-the-dashboard-test";
    static final String SUBSCRIBER_KEY = "subscriber-key-for-the-dashboard-test";

    static Backend backend;
    static TestServer server;
    static Browser browser;
    static final AtomicBoolean failing = new AtomicBoolean(true);

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(Browser.installed(), "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        backend = Backend.start().answer(request -> {
            if (request.path().equals("/slow")) {
                Thread.sleep(150);
                return Backend.Reply.json(200, "{\"sent\":true}");
            }
            return failing.get() ? Backend.Reply.json(400, "{\"error\":\"" + HOSTILE + "\"}")
                                 : Backend.Reply.json(200, "{\"delivered\":\"" + HOSTILE + "\"}");
        });
        server = TestServer.start(s -> SettingsChange.of(s)
                .bus(new Settings.Bus(s.bus().subscriberCapacity(), s.bus().subscriberBytes(), 5, s.bus().replayBytes(),
                                      s.bus().maxTopics(), s.bus().maxSubscribers(), s.bus().keepAlive(),
                                      s.bus().topicTtl(), s.bus().flushInterval()))
                .build());
        browser = new Browser();
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.close();
        }
        if (server != null) {
            server.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private static String queue(String path, int maxAttempts, int maxConcurrent) {
        return """
                {"handler": {"type": "http", "backends": ["%s"], "path": "%s", "timeout": "PT5S"},
                 "maxConcurrent": %d, "retry": {"maxAttempts": %d, "minBackoff": "PT1S", "maxBackoff": "PT1S"}}
                """.formatted(backend.uri(), path, maxConcurrent, maxAttempts);
    }

    private static void expect(int status, java.net.http.HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    }

    private static void assertNothingRan() {
        assertThat(browser.alertOpen()).as("no script of the payload ran").isFalse();
        assertThat(browser.all("main img")).as("no element made from data").isEmpty();
    }

    @Test
    void queuesShowLiveCountsAndThroughputPageAndPause() {
        browser.open(server.uri("/ui/").toString());
        browser.text("main h1", "Queues");
        expect(201, server.put("/v1/queues/emails", queue("/slow", 3, 4)));
        browser.open(server.uri("/ui/#/queues").toString());
        WebElement row = browser.find("tr[data-queue='emails']");
        browser.until(d -> "open".equals(row.findElement(By.cssSelector(".live")).getText()) ? true : null);
        browser.script("window.__samePage = true");

        StringBuilder batch = new StringBuilder("{\"tasks\": [");
        for (int i = 0; i < 60; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"payload\": {\"n\": ").append(i).append("}}");
        }
        expect(201, server.post("/v1/queues/emails/tasks/batch", batch.append("]}").toString()));
        browser.until(d -> Integer.parseInt(row.findElement(By.cssSelector("[data-count='running']")).getText()) > 0 ? true : null);
        long started = System.nanoTime();
        browser.until(d -> "60".equals(row.findElement(By.cssSelector("[data-count='succeeded']")).getText()) ? true : null);
        assertThat(browser.script("return window.__samePage === true")).as("counts changed without a reload").isEqualTo(true);
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        long reads = ((Number) browser.script("return performance.getEntriesByType('resource')"
                + ".filter(e => e.name.endsWith('/v1/queues/emails')).length")).longValue();
        assertThat(reads).as("at most one read of the queue a second while 60 tasks ran for %d s", seconds)
                .isLessThanOrEqualTo(seconds + 2);
        assertThat(browser.find(".summary").getText()).matches("Last 10 s: .* enqueued/s, .* finished/s\\.");
        browser.screenshot("queues");

        browser.open(server.uri("/ui/#/queues/emails/tasks").toString());
        browser.until(d -> d.findElements(By.cssSelector("tr[data-task]")).size() == 50 ? true : null);
        long oldestShown = Long.parseLong(browser.all("tr[data-task]").getLast().getAttribute("data-task"));
        browser.text(".pager a", "Older").click();
        browser.until(d -> d.findElements(By.cssSelector("tr[data-task]")).size() == 10 ? true : null);
        assertThat(Long.parseLong(browser.find("tr[data-task]").getAttribute("data-task")))
                .as("the older page goes on below the first, newest first").isLessThan(oldestShown);

        browser.open(server.uri("/ui/#/queues").toString());
        WebElement again = browser.find("tr[data-queue='emails']");
        again.findElement(By.cssSelector("button[aria-label='Pause emails']")).click();
        browser.until(d -> again.getText().contains("paused") ? true : null);
        assertThat(Json.parse(server.get("/v1/queues/emails").body()).path("paused").asBoolean()).isTrue();
        var waiting = server.post("/v1/queues/emails/tasks", "{\"payload\": \"wait\"}");
        browser.open(server.uri("/ui/#/queues/emails/tasks/" + Json.parse(waiting.body()).path("id").asText()).toString());
        browser.text("button", "Cancel task").click();
        browser.text(".fields .badge", "cancelled");
        browser.open(server.uri("/ui/#/queues").toString());
        WebElement paused = browser.find("tr[data-queue='emails']");
        paused.findElement(By.cssSelector("button[aria-label='Resume emails']")).click();
        browser.until(d -> paused.getText().contains("active") ? true : null);

        browser.size(375, 812);
        browser.open(server.uri("/ui/#/queues").toString());
        browser.find("tr[data-queue='emails']");
        assertThat(((Number) browser.script("return document.documentElement.scrollWidth")).intValue())
                .as("nothing wider than a 375 px screen but the tables' own scrolling").isLessThanOrEqualTo(375);
        browser.screenshot("queues-375px");
        browser.size(1280, 900);
    }

    @Test
    void aFailedTaskShowsItsPayloadAndErrorAsTextAndIsRetried() {
        failing.set(true);
        expect(201, server.put("/v1/queues/hostile", queue("/hook", 1, 2)));
        var enqueued = server.post("/v1/queues/hostile/tasks",
                "{\"payload\": {\"note\": \"" + HOSTILE + "\"}, \"key\": \"" + HOSTILE + "\"}");
        expect(201, enqueued);
        String id = Json.parse(enqueued.body()).path("id").asText();
        await().atMost(Duration.ofSeconds(20)).until(() ->
                Json.parse(server.get("/v1/queues/hostile/tasks/" + id).body()).path("state").asText().equals("failed"));

        browser.open(server.uri("/ui/#/queues/hostile/tasks?state=failed").toString());
        WebElement row = browser.find("tr[data-task='" + id + "']");
        assertThat(row.getText()).contains("failed").contains(HOSTILE);
        assertNothingRan();
        browser.screenshot("tasks");

        row.findElement(By.cssSelector("a")).click();
        browser.text("#payload", HOSTILE);
        assertThat(browser.find("#last-error").getText()).contains("HTTP 400").contains(HOSTILE);
        assertThat(browser.find(".fields").getText()).contains("1 of 1").contains(HOSTILE);
        assertNothingRan();
        browser.screenshot("task");

        failing.set(false);
        browser.text("button", "Retry task").click();
        browser.text(".fields .badge", "succeeded");
        browser.text("#result", HOSTILE);
        assertNothingRan();
        browser.screenshot("task-retried");
    }

    @Test
    void retryAllFailedRedrivesEveryFailedTask() {
        failing.set(true);
        expect(201, server.put("/v1/queues/redrive", queue("/hook", 1, 4)));
        expect(201, server.post("/v1/queues/redrive/tasks/batch",
                                "{\"tasks\": [{\"payload\": 1}, {\"payload\": 2}, {\"payload\": 3}]}"));
        await().atMost(Duration.ofSeconds(20)).until(() ->
                Json.parse(server.get("/v1/queues/redrive").body()).path("stats").path("failed").asInt() == 3);
        browser.open(server.uri("/ui/#/queues/redrive/tasks").toString());
        failing.set(false);
        browser.text("button", "Retry all failed (3)").click();
        browser.acceptConfirm();
        browser.text("#status", "3 failed tasks of redrive sent back to pending.");
        await().atMost(Duration.ofSeconds(20)).until(() ->
                Json.parse(server.get("/v1/queues/redrive").body()).path("stats").path("succeeded").asInt() == 3);
        browser.until(d -> d.findElements(By.cssSelector("tr[data-task] .state-succeeded")).size() == 3 ? true : null);
    }

    @Test
    void topicTailShowsEventsAsTextAndLagged() {
        // through a proxy the test can cut, so that the stream breaks and reconnects as over a real network
        TcpProxy proxy = TcpProxy.start("127.0.0.1", server.port());
        try {
            tailThrough(proxy);
        } finally {
            proxy.close();
        }
    }

    private void tailThrough(TcpProxy proxy) {
        browser.open("http://127.0.0.1:" + proxy.port() + "/ui/#/topics/news?types=message");
        browser.text("#tail-state", "open");
        expect(202, server.post("/v1/topics/news/events", "{\"data\": {\"html\": \"" + HOSTILE + "\"}}"));
        browser.text("#tail-events .event", HOSTILE);
        assertNothingRan();
        browser.screenshot("topic-tail");

        // cut off, the stream breaks; 20 events later it reconnects with Last-Event-ID, and the ring keeps only 5
        proxy.cut();
        browser.text("#tail-state", "reconnecting");
        for (int i = 0; i < 20; i++) {
            expect(202, server.post("/v1/topics/news/events", "{\"data\": {\"n\": " + i + "}}"));
        }
        proxy.restore();
        browser.text("#tail-events .lagged", "15 events dropped");
        browser.text("#tail-events .event", "\"n\":19");
        browser.screenshot("topics");
    }

    @Test
    void schedulesPageShowsEachScheduleWithItsNextRuns() {
        expect(201, server.put("/v1/queues/reports", queue("/hook", 3, 4)));
        expect(201, server.put("/v1/queues/reports/schedules/nightly",
                               "{\"cron\": \"30 2 * * *\", \"timezone\": \"Europe/Berlin\", \"payload\": {\"kind\": \"nightly\"}}"));
        browser.open(server.uri("/ui/#/schedules").toString());
        browser.text("main h1", "Schedules");
        WebElement row = browser.find("tr[data-schedule='reports/nightly']");
        assertThat(row.getText()).contains("nightly", "reports", "30 2 * * *", "Europe/Berlin", "active");
        assertThat(row.findElements(By.cssSelector("ol li"))).as("the next runs shown").hasSize(3);
        browser.screenshot("schedules");
        expect(204, server.delete("/v1/queues/reports/schedules/nightly"));
    }

    @Test
    void swaggerUiShowsTheDocument() {
        browser.open(server.uri("/openapi/ui/").toString());
        browser.text(".information-container", "Spindle");
        browser.text("#swagger-ui", "/v1/queues/{name}/tasks/retry");
        browser.screenshot("openapi-ui");
    }

    @Test
    void withKeysTheDashboardAsksForOneAndHidesActionsFromASubscriber() {
        Settings.Security keys = new Settings.Security(false, List.of(
                new Settings.ApiKey("ops", Set.of("admin"), SettingsLoader.sha256Hex(ADMIN_KEY)),
                new Settings.ApiKey("reader", Set.of("subscriber"), SettingsLoader.sha256Hex(SUBSCRIBER_KEY))));
        try (TestServer keyed = TestServer.start(s -> SettingsChange.of(s).security(keys).build());
             Browser other = new Browser()) {
            keyed.send(java.net.http.HttpRequest.newBuilder(keyed.uri("/v1/queues/orders"))
                               .header("Authorization", "Bearer " + ADMIN_KEY).header("Content-Type", "application/json")
                               .PUT(java.net.http.HttpRequest.BodyPublishers.ofString(queue("/hook", 1, 1))));
            other.open(keyed.uri("/ui/").toString());
            other.find("#login[open]");
            other.find("#login-key").sendKeys("not-a-key");
            other.find("#login-submit").click();
            other.text("#login-error", "not valid");
            other.screenshot("sign-in");

            other.find("#login-key").clear();
            other.find("#login-key").sendKeys(SUBSCRIBER_KEY);
            other.find("#login-submit").click();
            WebElement row = other.find("tr[data-queue='orders']");
            other.text("#who", "reader (subscriber)");
            other.until(d -> "open".equals(row.findElement(By.cssSelector(".live")).getText()) ? true : null);
            assertThat(other.all("main button")).as("a subscriber gets no action buttons").isEmpty();
            assertThat(other.script("return sessionStorage.getItem('spindle.apiKey')")).isEqualTo(SUBSCRIBER_KEY);
            other.screenshot("subscriber");

            var refused = keyed.send(java.net.http.HttpRequest.newBuilder(keyed.uri("/v1/queues/orders/pause"))
                                             .header("Authorization", "Bearer " + SUBSCRIBER_KEY)
                                             .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
            assertThat(refused.statusCode()).as("the server refuses the subscriber anyway").isEqualTo(403);

            other.find("#signout").click();
            other.find("#login[open]");
            other.find("#login-key").sendKeys(ADMIN_KEY);
            other.find("#login-submit").click();
            other.text("#who", "ops (admin)");
            other.find("tr[data-queue='orders'] button[aria-label='Pause orders']");
        }
    }
}
