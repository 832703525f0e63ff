package io.spindle.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import io.spindle.testing.Json;
import io.spindle.testing.TestServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

/**
 * The pages Spindle serves from its jar: the dashboard with its chart library and a strict content policy, the
 * OpenAPI description in YAML and JSON, and Swagger UI.
 */
class WebContentTest {
    @AutoClose
    static final TestServer server = TestServer.start();

    @Test
    void dashboardIsServedWithAStrictContentPolicy() {
        HttpResponse<String> page = server.get("/ui/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(page.body()).contains("<title>Spindle");
        assertThat(page.headers().firstValue("Content-Security-Policy"))
                .hasValueSatisfying(csp -> assertThat(csp).contains("script-src 'self'").doesNotContain("unsafe-eval")
                        .contains("frame-ancestors 'none'"));
        assertThat(server.get("/ui/app.js").statusCode()).isEqualTo(200);
        HttpResponse<String> chart = server.get("/ui/vendor/uplot/uPlot.esm.js");
        assertThat(chart.statusCode()).isEqualTo(200);
        assertThat(chart.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("javascript"));
    }

    @Test
    void bareUiPathLeadsToTheDashboard() {
        HttpResponse<String> bare = server.get("/ui");
        assertThat(bare.statusCode()).isIn(200, 301, 307, 308);
        if (bare.statusCode() != 200) {
            assertThat(bare.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/ui/"));
        }
    }

    @Test
    void openApiDocumentIsServedAsYamlAndJson() {
        HttpResponse<String> yaml = server.get("/openapi");
        assertThat(yaml.statusCode()).isEqualTo(200);
        assertThat(yaml.body()).contains("openapi: 3.1.0");
        HttpResponse<String> json = server.send(HttpRequest.newBuilder(server.uri("/openapi")).header("Accept", "application/json"));
        assertThat(json.statusCode()).isEqualTo(200);
        JsonNode doc = Json.parse(json.body());
        assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
        assertThat(doc.path("paths").has("/v1/queues/{name}/tasks/retry")).isTrue();
        HttpResponse<String> asked = server.get("/openapi?format=JSON");
        assertThat(Json.parse(asked.body()).path("openapi").asText()).as("what Swagger UI asks for").isEqualTo("3.1.0");
    }

    @Test
    void swaggerUiIsServedWithItsBundle() {
        HttpResponse<String> page = server.get("/openapi/ui/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("swagger-ui-bundle.js");
        assertThat(server.get("/openapi/ui/vendor/swagger-ui-bundle.js").statusCode()).isEqualTo(200);
        assertThat(server.get("/openapi/ui/init.js").body()).contains("/openapi");
    }
}
