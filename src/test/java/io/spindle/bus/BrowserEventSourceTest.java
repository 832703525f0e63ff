package io.spindle.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spindle.testing.Json;
import io.spindle.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A real browser client: headless Chromium opens an {@code EventSource} on a page served by the test, from the
 * same origin as the stream, and receives a notification with its id. Skipped where Chromium is not installed
 * ({@code apt-get install chromium chromium-driver}; {@code .ci/run} installs them).
 */
class BrowserEventSourceTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final String PAGE = """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>connecting</title></head>
            <body><pre id="log"></pre>
            <script>
              const received = [];
              const source = new EventSource('/v1/users/carol/notifications');
              source.onopen = () => { document.title = 'open'; };
              source.addEventListener('notification', e => {
                received.push({id: e.lastEventId, message: JSON.parse(e.data).message});
                document.getElementById('log').textContent = JSON.stringify(received);
              });
            </script></body></html>
            """;

    static TestDatabase.Fresh db;
    static BusServer server;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                               "Chromium and chromedriver are not installed");
        db = TestDatabase.fresh();
        server = BusServer.start(db, BusServer.settings(Duration.ofSeconds(15)), new SimpleMeterRegistry(),
                                 routing -> routing.get("/test/events.html", (req, res) -> {
                                     res.header("Content-Type", "text/html; charset=utf-8");
                                     res.send(PAGE);
                                 }));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @Test
    void chromiumReceivesANotificationThroughEventSource() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--disable-background-networking", "--disable-component-update", "--disable-sync",
                             "--no-first-run");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort()
                .build();
        ChromeDriver browser = new ChromeDriver(service, options);
        try {
            browser.get(server.uri("/test/events.html").toString());
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
            wait.until(b -> "open".equals(b.getTitle()));
            assertThat(server.bus().subscriptions()).isEqualTo(1);

            var first = server.post("/v1/users/carol/notifications", "{\"message\": \"Hello from Spindle\"}");
            var second = server.post("/v1/users/carol/notifications", "{\"message\": \"Ünïcödé ✓\"}");
            assertThat(List.of(first.statusCode(), second.statusCode())).containsOnly(202);
            wait.until(b -> b.findElement(By.id("log")).getText().contains("✓"));

            var received = Json.parse(browser.findElement(By.id("log")).getText());
            assertThat(received).hasSize(2);
            assertThat(received.get(0).path("message").asText()).isEqualTo("Hello from Spindle");
            assertThat(received.get(0).path("id").asText()).isEqualTo(Json.parse(first.body()).path("id").asText());
            assertThat(received.get(1).path("message").asText()).isEqualTo("Ünïcödé ✓");
            assertThat(received.get(1).path("id").asText()).isEqualTo(Json.parse(second.body()).path("id").asText());
        } finally {
            browser.quit();
        }
        // the server learns that the browser left when it next writes: publish until the subscription is freed
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).untilAsserted(() -> {
            server.bus().publish("users.carol", "notification", "{\"message\":\"probe\"}");
            assertThat(server.bus().subscriptions()).as("the closed browser's subscription is freed").isZero();
        });
    }
}
